"""Tests of the tariff feature."""
