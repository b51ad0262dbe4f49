"""Tempo's calendar rules and stocks (reference/rte-forecast.md §4)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from custom_components.delestage.forecast.rules import (
    Colour,
    Stocks,
    day_of_season,
    is_public_holiday,
    public_holidays,
    red_days_left,
    red_possible,
    season_start,
    stocks_on,
    white_possible,
)


def test_colour_names_rte_edf_and_entity_states() -> None:
    assert Colour.parse("ROUGE") is Colour.RED
    assert Colour.parse(" white ") is Colour.WHITE
    assert Colour.parse("Bleu") is Colour.BLUE
    assert Colour.parse(Colour.RED) is Colour.RED
    assert Colour.parse("purple") is None
    assert Colour.parse(None) is None


def test_season_runs_from_1_september() -> None:
    assert season_start(date(2026, 8, 31)) == date(2025, 9, 1)
    assert season_start(date(2026, 9, 1)) == date(2026, 9, 1)
    assert day_of_season(date(2026, 9, 1)) == 1
    assert day_of_season(date(2027, 1, 15)) == 137


@pytest.mark.parametrize(
    ("year", "easter_monday", "ascension", "whit_monday"),
    [
        (2019, date(2019, 4, 22), date(2019, 5, 30), date(2019, 6, 10)),
        (2024, date(2024, 4, 1), date(2024, 5, 9), date(2024, 5, 20)),
        (2027, date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17)),
    ],
)
def test_public_holidays_with_easter(
    year: int, easter_monday: date, ascension: date, whit_monday: date
) -> None:
    holidays = public_holidays(year)
    assert len(holidays) == 11
    assert {easter_monday, ascension, whit_monday} <= holidays
    assert {date(year, 1, 1), date(year, 11, 11), date(year, 12, 25)} <= holidays


def test_red_only_on_weekdays_from_november_to_march_never_on_holidays() -> None:
    assert red_possible(date(2026, 11, 2))  # Monday
    assert not red_possible(date(2026, 10, 30))  # Friday, October
    assert not red_possible(date(2026, 11, 7))  # Saturday
    assert not red_possible(date(2026, 11, 8))  # Sunday
    assert not red_possible(date(2026, 11, 11))  # Armistice, a Wednesday
    assert is_public_holiday(date(2027, 3, 29))  # Easter Monday in March
    assert not red_possible(date(2027, 3, 29))
    assert red_possible(date(2027, 3, 31))
    assert not red_possible(date(2027, 4, 1))


def test_white_any_day_but_sunday() -> None:
    assert white_possible(date(2026, 11, 7))  # Saturday
    assert white_possible(date(2027, 1, 1))  # a holiday (white on 1 Jan 2015, 2020, 2021)
    assert white_possible(date(2026, 6, 3))
    assert not white_possible(date(2026, 11, 8))


def test_red_days_left_counts_to_31_march() -> None:
    assert red_days_left(date(2027, 3, 31)) == 1
    assert red_days_left(date(2027, 3, 29)) == 2  # Easter Monday, then 30 and 31
    assert red_days_left(date(2027, 4, 1)) == 0
    assert red_days_left(date(2026, 10, 1)) == 0
    weekdays = sum(
        1
        for n in range(151)
        if (d := date(2026, 11, 1) + timedelta(days=n)).weekday() < 5 and not is_public_holiday(d)
    )
    assert red_days_left(date(2026, 11, 1)) == weekdays


def test_stocks_count_known_colours_and_missing_days_are_blue() -> None:
    colours = {
        date(2026, 12, 1): Colour.RED,
        date(2026, 12, 2): Colour.RED,
        date(2026, 12, 3): Colour.WHITE,
        date(2025, 12, 1): Colour.RED,  # previous season: not counted
    }
    stocks = stocks_on(date(2026, 12, 3), colours)
    assert stocks == Stocks(20, 43, 2)
    assert stocks_on(date(2026, 12, 4), colours) == Stocks(20, 42, 0)
    assert stocks_on(date(2026, 9, 1), colours) == Stocks(22, 43, 0)


def test_reds_left_on_31_march_become_whites() -> None:
    stocks = Stocks(4, 1, 0).after(date(2020, 3, 31), Colour.BLUE)
    assert stocks == Stocks(0, 5, 0)
    assert Stocks(3, 2, 0).after(date(2020, 3, 30), Colour.RED) == Stocks(2, 2, 1)


def test_red_allowed_needs_a_red_left_and_fewer_than_5_in_a_row() -> None:
    friday = date(2027, 1, 15)
    assert Stocks(5, 10, 4).red_allowed(friday)
    assert not Stocks(5, 10, 5).red_allowed(friday)
    assert not Stocks(0, 10, 0).red_allowed(friday)
    assert not Stocks(5, 0, 0).white_allowed(friday)
    assert Stocks(5, 1, 0).white_allowed(friday)
