"""The polling schedule: Ecowatt spacing by time of day, Tempo around publication."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from custom_components.delestage.api.rte_models import PARIS, TempoCalendar
from custom_components.delestage.rte.schedule import next_signals_call, next_tempo_call


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("last_call", "first_day", "succeeded", "expected"),
    [
        # Daytime: hourly.
        (paris(2026, 1, 10, 12, 5), date(2026, 1, 10), True, paris(2026, 1, 10, 13, 5)),
        # Morning, file still starting with yesterday: every 30 minutes.
        (paris(2026, 1, 10, 7, 0), date(2026, 1, 9), True, paris(2026, 1, 10, 7, 30)),
        # Morning, today's file in: hourly.
        (paris(2026, 1, 10, 7, 0), date(2026, 1, 10), True, paris(2026, 1, 10, 8, 0)),
        # Night: every 3 hours, but 06:00 is never skipped.
        (paris(2026, 1, 10, 23, 10), date(2026, 1, 10), True, paris(2026, 1, 11, 2, 10)),
        (paris(2026, 1, 11, 4, 0), date(2026, 1, 10), True, paris(2026, 1, 11, 6, 0)),
        # ... and never closer than the production quota.
        (paris(2026, 1, 11, 5, 55), date(2026, 1, 10), True, paris(2026, 1, 11, 6, 10, 30)),
        # After a failure: 30 minutes.
        (paris(2026, 1, 10, 12, 5), date(2026, 1, 10), False, paris(2026, 1, 10, 12, 35)),
    ],
)
def test_signals_schedule(
    last_call: datetime, first_day: date, succeeded: bool, expected: datetime
) -> None:
    due = next_signals_call(last_call, succeeded=succeeded, first_day=first_day, production=True)
    assert due == expected


def test_sandbox_is_not_held_by_the_quota() -> None:
    last = paris(2026, 1, 11, 5, 55)
    assert next_signals_call(last, succeeded=True, first_day=None, production=False) == paris(
        2026, 1, 11, 6, 0
    )


def test_a_day_of_production_calls_stays_within_24() -> None:
    """Worst case: RTE publishes late (never before 10:00), calls made as soon as due."""
    start = paris(2026, 1, 10, 0, 0)
    when, calls = start, 0
    while when < start + timedelta(days=1):
        calls += 1
        first_day = date(2026, 1, 9) if when.astimezone(PARIS).hour < 10 else date(2026, 1, 10)
        when = next_signals_call(when, succeeded=True, first_day=first_day, production=True)
    assert calls <= 24


def test_tempo_schedule() -> None:
    known_tomorrow = TempoCalendar({date(2026, 1, 10): "BLUE", date(2026, 1, 11): "RED"}, {})
    known_today = TempoCalendar({date(2026, 1, 10): "BLUE"}, {})
    empty = TempoCalendar({}, {})

    assert next_tempo_call(paris(2026, 1, 10, 11), succeeded=True, calendar=known_tomorrow) == (
        paris(2026, 1, 11, 10, 40)
    )
    assert next_tempo_call(paris(2026, 1, 10, 8), succeeded=True, calendar=known_today) == (
        paris(2026, 1, 10, 10, 40)
    )
    assert next_tempo_call(paris(2026, 1, 10, 11), succeeded=True, calendar=known_today) == (
        paris(2026, 1, 10, 11, 30)
    )
    assert next_tempo_call(paris(2026, 1, 10, 15), succeeded=True, calendar=known_today) == (
        paris(2026, 1, 10, 16)
    )
    assert next_tempo_call(paris(2026, 1, 10, 15), succeeded=True, calendar=empty) == (
        paris(2026, 1, 10, 16)
    )
    assert next_tempo_call(paris(2026, 1, 10, 15), succeeded=False, calendar=known_today) == (
        paris(2026, 1, 10, 16)
    )
