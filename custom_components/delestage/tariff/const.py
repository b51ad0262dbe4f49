"""Constants of the tariff feature: its options, kept in the Linky entry's options."""

from __future__ import annotations

from typing import Final

CONF_TARIFF: Final = "tariff"  # base | hp_hc | tempo
CONF_OFFPEAK_HOURS: Final = "offpeak_hours"  # the user's ranges; absent = the meter's
CONF_PRICES: Final = "prices"  # price key → €/kWh (number) or a sensor/input_number entity id
CONF_SUBSCRIPTION: Final = "subscription"  # €/month, spread over the month's hours
