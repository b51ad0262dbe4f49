"""The polling schedule: Ecowatt spacing by time of day, Tempo around publication."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("last_call", "first_day", "expected"),
    [
        # The coordinator passes UTC: Paris is UTC+1 in winter, UTC+2 in summer.
        (utc(2026, 1, 10, 5, 0), date(2026, 1, 9), utc(2026, 1, 10, 5, 30)),  # 06:00 Paris
        (utc(2026, 1, 10, 4, 59), date(2026, 1, 9), utc(2026, 1, 10, 5, 0)),  # 05:59: 06:00 next
        (utc(2026, 7, 10, 4, 0), date(2026, 7, 9), utc(2026, 7, 10, 4, 30)),  # 06:00 CEST
        (utc(2026, 7, 10, 3, 59), date(2026, 7, 9), utc(2026, 7, 10, 4, 0)),
        (utc(2026, 1, 10, 8, 59), date(2026, 1, 9), utc(2026, 1, 10, 9, 29)),  # 09:59 Paris
        (utc(2026, 1, 10, 9, 0), date(2026, 1, 9), utc(2026, 1, 10, 10, 0)),  # 10:00: hourly
        (utc(2026, 1, 10, 21, 59), date(2026, 1, 10), utc(2026, 1, 10, 22, 59)),  # 22:59
        (utc(2026, 1, 10, 22, 0), date(2026, 1, 10), utc(2026, 1, 11, 1, 0)),  # 23:00: night
        (utc(2026, 1, 10, 23, 30), date(2026, 1, 10), utc(2026, 1, 11, 2, 30)),
        (utc(2026, 1, 11, 3, 0), date(2026, 1, 10), utc(2026, 1, 11, 5, 0)),  # 04:00 → 06:00
        # Spring forward (29 March, 02:00 CET → 03:00 CEST): 06:00 CEST is 04:00 UTC.
        (utc(2026, 3, 29, 0, 30), date(2026, 3, 28), utc(2026, 3, 29, 3, 30)),
        (utc(2026, 3, 29, 2, 0), date(2026, 3, 28), utc(2026, 3, 29, 4, 0)),
        # Fall back (25 October, 03:00 CEST → 02:00 CET): 06:00 CET is 05:00 UTC.
        (utc(2026, 10, 25, 3, 0), date(2026, 10, 24), utc(2026, 10, 25, 5, 0)),
        (utc(2026, 10, 25, 5, 0), date(2026, 10, 24), utc(2026, 10, 25, 5, 30)),
    ],
)
def test_signals_schedule_from_utc_times(
    last_call: datetime, first_day: date, expected: datetime
) -> None:
    """Times of day are Paris times whatever the zone of ``last_call``."""
    due = next_signals_call(last_call, succeeded=True, first_day=first_day, production=False)
    assert due == expected


def test_the_call_at_six_is_made_at_six_paris_time_from_a_utc_clock() -> None:
    calls = _day_of_calls(utc(2026, 1, 9, 23, 0), production=True)

    assert utc(2026, 1, 10, 5, 0) in calls  # 06:00 Paris
    assert utc(2026, 1, 10, 5, 30) in calls  # then every 30 min while the file is late


def _day_of_calls(start: datetime, *, production: bool) -> list[datetime]:
    """Calls from ``start`` for 24 h; RTE publishes today's file at 10:00 Paris."""
    when, calls = start, []
    while when < start + timedelta(days=1):
        calls.append(when)
        local = when.astimezone(PARIS)
        first_day = local.date() - timedelta(days=1) if local.hour < 10 else local.date()
        when = next_signals_call(when, succeeded=True, first_day=first_day, production=production)
    return calls


@pytest.mark.parametrize("production", [True, False])
def test_a_day_of_calls_exactly(production: bool) -> None:
    """Midnight to midnight (Paris), made from a UTC clock: the exact 24 calls of the day."""
    calls = _day_of_calls(utc(2026, 1, 9, 23, 0), production=production)

    times = [call.astimezone(PARIS).strftime("%H:%M") for call in calls]
    assert times == [
        "00:00", "03:00", "06:00", "06:30", "07:00", "07:30", "08:00", "08:30", "09:00", "09:30",
        *(f"{hour:02}:00" for hour in range(10, 24)),
    ]  # fmt: skip
    assert len(calls) == 24


def test_a_failed_call_is_retried_after_thirty_minutes_at_night_too() -> None:
    last = utc(2026, 1, 10, 1, 0)  # 02:00 Paris
    assert next_signals_call(last, succeeded=False, first_day=None, production=True) == utc(
        2026, 1, 10, 1, 30
    )


@pytest.mark.parametrize(
    ("last_call", "calendar_days", "succeeded", "expected"),
    [
        # Exactly at 10:40 with tomorrow unknown: not now again, 30 minutes later.
        (utc(2026, 1, 10, 9, 40), 1, True, utc(2026, 1, 10, 10, 10)),
        (utc(2026, 1, 10, 9, 39), 1, True, utc(2026, 1, 10, 9, 40)),
        # Every 30 minutes until 14:00 Paris, then every hour.
        (utc(2026, 1, 10, 12, 59), 1, True, utc(2026, 1, 10, 13, 29)),
        (utc(2026, 1, 10, 13, 0), 1, True, utc(2026, 1, 10, 14, 0)),
        (utc(2026, 7, 10, 11, 59), 1, True, utc(2026, 7, 10, 12, 29)),  # 13:59 CEST
        (utc(2026, 7, 10, 12, 0), 1, True, utc(2026, 7, 10, 13, 0)),  # 14:00 CEST
        # Tomorrow known: the next day's 10:40 Paris.
        (utc(2026, 1, 10, 13, 0), 2, True, utc(2026, 1, 11, 9, 40)),
        (utc(2026, 7, 10, 13, 0), 2, True, utc(2026, 7, 11, 8, 40)),
        # A failure or no answer: an hour.
        (utc(2026, 1, 10, 9, 0), 2, False, utc(2026, 1, 10, 10, 0)),
        (utc(2026, 1, 10, 9, 0), None, True, utc(2026, 1, 10, 10, 0)),
        (utc(2026, 1, 10, 9, 0), 0, True, utc(2026, 1, 10, 10, 0)),
    ],
)
def test_tempo_schedule_from_utc_times(
    last_call: datetime, calendar_days: int | None, succeeded: bool, expected: datetime
) -> None:
    today = last_call.astimezone(PARIS).date()
    calendar = (
        None
        if calendar_days is None
        else TempoCalendar(
            {today + timedelta(days=offset): "BLUE" for offset in range(calendar_days)}, {}
        )
    )
    assert next_tempo_call(last_call, succeeded=succeeded, calendar=calendar) == expected
