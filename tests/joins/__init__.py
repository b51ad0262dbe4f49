"""Tests of the joins: sources and features together, through the paths a user takes."""
