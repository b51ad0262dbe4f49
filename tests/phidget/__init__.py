"""Tests of the Phidget relays entry type."""
