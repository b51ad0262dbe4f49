"""Tests of the shedding report (issue 16)."""
