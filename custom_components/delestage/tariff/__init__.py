"""Tariff of a Linky meter: off-peak and Tempo parts of the consumption, and its cost."""
