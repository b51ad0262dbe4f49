"""Tempo's calendar rules and stocks, as RTE applies them (``reference/rte-forecast.md`` §3-4).

A Tempo season runs from 1 September to 31 August with 22 red and 43 white days. Red only on
weekdays from 1 November to 31 March, never on a public holiday (EDF's rule; no red fell on one
in 2014-2021, while 1 January was white three times), at most 5 in a row; white any day but
Sunday. The 5-in-a-row limit never binds on its own (no red on weekends), it is checked anyway.
Reds left on 31 March are added to the whites (2019-20: 18 red and 47 white days).

Pure Python, standard library only, Python 3.11 syntax: ``tools/tempo_backtest.py`` loads
this module without Home Assistant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache

RED_DAYS = 22
WHITE_DAYS = 43
MAX_REDS_IN_A_ROW = 5
ONE_DAY = timedelta(days=1)

_NAMES = {
    "blue": "blue",
    "bleu": "blue",
    "white": "white",
    "blanc": "white",
    "red": "red",
    "rouge": "red",
}


class Colour(StrEnum):
    """A Tempo colour (the values are the entity states)."""

    BLUE = "blue"
    WHITE = "white"
    RED = "red"

    @classmethod
    def parse(cls, value: object) -> Colour | None:
        """Read ``BLUE``/``white``/``ROUGE``/``Bleu``…; None for anything else."""
        if isinstance(value, Colour):
            return value
        if not isinstance(value, str):
            return None
        name = _NAMES.get(value.strip().lower())
        return None if name is None else cls(name)


def season_start(day: date) -> date:
    """1 September of the Tempo season holding ``day``."""
    return date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def day_of_season(day: date) -> int:
    """Day number in the season, 1 = 1 September (the ``j`` of RTE's thresholds)."""
    return (day - season_start(day)).days + 1


def _easter(year: int) -> date:
    """Easter Sunday (Gregorian computus, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


@cache
def public_holidays(year: int) -> frozenset[date]:
    """Return the eleven French public holidays of ``year`` (mainland)."""
    easter = _easter(year)
    return frozenset(
        {
            date(year, 1, 1),
            easter + ONE_DAY,  # Easter Monday
            date(year, 5, 1),
            date(year, 5, 8),
            easter + timedelta(days=39),  # Ascension
            easter + timedelta(days=50),  # Whit Monday
            date(year, 7, 14),
            date(year, 8, 15),
            date(year, 11, 1),
            date(year, 11, 11),
            date(year, 12, 25),
        }
    )


def is_public_holiday(day: date) -> bool:
    """Whether ``day`` is a French public holiday."""
    return day in public_holidays(day.year)


def in_red_period(day: date) -> bool:
    """Whether ``day`` lies between 1 November and 31 March."""
    return day.month >= 11 or day.month <= 3


def red_possible(day: date) -> bool:
    """Whether the calendar lets ``day`` be red (weekday, 1 Nov-31 Mar, not a holiday)."""
    return day.weekday() < 5 and in_red_period(day) and not is_public_holiday(day)


def white_possible(day: date) -> bool:
    """Whether the calendar lets ``day`` be white (any day but Sunday)."""
    return day.weekday() != 6


@cache
def red_days_left(day: date) -> int:
    """Count the days from ``day`` to 31 March (both included) that may be red."""
    if not in_red_period(day):
        return 0
    end = date(day.year if day.month <= 3 else day.year + 1, 3, 31)
    count = 0
    current = day
    while current <= end:
        count += red_possible(current)
        current += ONE_DAY
    return count


@dataclass(frozen=True, slots=True)
class Stocks:
    """Red and white days left in the season, and reds in a row just before the day."""

    red: int
    white: int
    reds_in_a_row: int = 0

    def after(self, day: date, colour: Colour) -> Stocks:
        """Return the stocks of the next day once ``day`` has ``colour``."""
        red, white = self.red, self.white
        run = self.reds_in_a_row + 1 if colour is Colour.RED else 0
        if colour is Colour.RED:
            red -= 1
        elif colour is Colour.WHITE:
            white -= 1
        if day.month == 3 and day.day == 31:  # reds left become whites
            white, red = white + max(red, 0), 0
        return Stocks(red, white, run)

    def red_allowed(self, day: date) -> bool:
        """Whether ``day`` may be red: calendar, a red left, fewer than 5 reds in a row."""
        return self.red > 0 and self.reds_in_a_row < MAX_REDS_IN_A_ROW and red_possible(day)

    def white_allowed(self, day: date) -> bool:
        """Whether ``day`` may be white: calendar and a white left."""
        return self.white > 0 and white_possible(day)


def stocks_on(day: date, colours: Mapping[date, Colour]) -> Stocks:
    """Stocks left on ``day``, counted from the known colours of the season before it.

    A day of the season without a colour counts as blue (it spends nothing).
    """
    stocks = Stocks(RED_DAYS, WHITE_DAYS)
    current = season_start(day)
    while current < day:
        stocks = stocks.after(current, colours.get(current, Colour.BLUE))
        current += ONE_DAY
    return stocks
