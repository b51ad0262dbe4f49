"""Poll times: shortly after each publication, again a few times when an hourly one is late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.delestage.api.meteofrance import Resolution
from custom_components.delestage.meteofrance.schedule import (
    delay_after_error,
    delay_until_next_poll,
    expected_validity,
    next_poll,
    poll_time,
)

HOURLY = Resolution.HOURLY
SIX = Resolution.SIX_MINUTES


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "resolution", "poll"),
    [
        (at(15, 0), HOURLY, at(15, 11)),  # the 15:00 observation is out at ~15:10
        (at(15, 10, 59), HOURLY, at(15, 11)),
        (at(15, 11), HOURLY, at(16, 11)),  # strictly after now
        (at(15, 40), HOURLY, at(16, 11)),
        (at(23, 30), HOURLY, datetime(2026, 11, 24, 0, 11, tzinfo=UTC)),
        (at(15, 0), SIX, at(15, 1, 30)),  # the 14:54 observation is out at ~15:00
        (at(15, 1, 30), SIX, at(15, 7, 30)),
        (at(15, 5), SIX, at(15, 7, 30)),
    ],
)
def test_next_poll(now: datetime, resolution: Resolution, poll: datetime) -> None:
    assert next_poll(now, resolution) == poll


def test_expected_validity() -> None:
    assert expected_validity(at(15, 11), HOURLY) == at(15, 0)
    assert expected_validity(at(15, 9), HOURLY) == at(14, 0)
    assert expected_validity(at(15, 7, 30), SIX) == at(15, 0)


def test_delay_until_next_poll() -> None:
    # Up to date: wait for the next publication.
    assert delay_until_next_poll(at(15, 11), HOURLY, at(15, 0)) == timedelta(hours=1)
    assert delay_until_next_poll(at(15, 11), HOURLY, None) == timedelta(hours=1)
    # Late hourly observation: look again in 5 minutes, for half an hour.
    assert delay_until_next_poll(at(15, 11), HOURLY, at(14, 0)) == timedelta(minutes=5)
    assert delay_until_next_poll(at(15, 40), HOURLY, at(14, 0)) == timedelta(minutes=5)
    assert delay_until_next_poll(at(15, 41), HOURLY, at(14, 0)) == timedelta(minutes=30)
    # 6-minute data: the next slot comes soon anyway.
    assert delay_until_next_poll(at(15, 1, 30), SIX, at(14, 48)) == timedelta(minutes=6)


def test_delay_after_error() -> None:
    assert delay_after_error(at(15, 11), HOURLY) == timedelta(minutes=5)
    assert delay_after_error(at(16, 9), HOURLY) == timedelta(minutes=2)
    assert delay_after_error(at(15, 6), SIX) == timedelta(seconds=90)


def test_calls_per_day() -> None:
    """Planned polls over one day: 24 hourly, 240 at 6 minutes (well under 50 per minute)."""
    for resolution, expected in ((HOURLY, 24), (SIX, 240)):
        now, polls = at(0, 0), 0
        end = now + timedelta(days=1)
        while (now := next_poll(now, resolution)) < end:
            polls += 1
        assert polls == expected


@pytest.mark.parametrize(
    ("now", "planned", "expected"),
    [
        (at(15, 10, 59), at(15, 11), at(15, 11)),  # timer a little early: the planned poll
        (at(15, 9), at(15, 11), at(15, 11)),  # two minutes early at most
        (at(15, 8, 59), at(15, 11), at(15, 8, 59)),  # earlier: a manual refresh
        (at(15, 11), at(15, 11), at(15, 11)),
        (at(15, 11, 3), at(15, 11), at(15, 11, 3)),  # late: the clock
        (at(15, 10, 59), None, at(15, 10, 59)),
    ],
)
def test_poll_time(now: datetime, planned: datetime | None, expected: datetime) -> None:
    assert poll_time(now, planned) == expected
    if expected == planned:
        # Taken as the planned poll, the next one is an hour later, not a second from now.
        assert next_poll(expected, HOURLY) - now >= timedelta(minutes=58)
