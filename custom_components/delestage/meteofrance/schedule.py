"""When to poll: shortly after each publication, not on a blind interval.

Hourly observations (valid at HH:00) are published at about HH:10; 6-minute observations about
6 minutes after their time. We poll a little after that, and when an hourly observation is late
we look again a few times within the hour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from ..api.meteofrance import Resolution

# How long after its validity time an observation is published.
PUBLICATION_DELAY: Final = {
    Resolution.HOURLY: timedelta(minutes=10),
    Resolution.SIX_MINUTES: timedelta(minutes=6),
}
# Margin after the publication time before we poll (hourly → HH:11, 6-min → slot + 1.5 min).
POLL_MARGIN: Final = {
    Resolution.HOURLY: timedelta(minutes=1),
    Resolution.SIX_MINUTES: timedelta(seconds=90),
}
# An hourly observation that is not out yet is looked for again this often...
LATE_RETRY: Final = timedelta(minutes=5)
# ... until this long after the planned poll; then we wait for the next hour.
LATE_WINDOW: Final = timedelta(minutes=30)
# Wait before retrying after a transient error (never later than the next planned poll).
ERROR_RETRY: Final = timedelta(minutes=5)
# A refresh timer may fire a little before its planned time: Home Assistant schedules on the
# event loop's monotonic clock truncated to the second, which drifts from the wall clock. A
# poll this close before the planned time is taken as that planned poll, so the next one is
# planned after it (not again before the mark, which made bursts of polls). Half the shortest
# step between two planned polls (LATE_RETRY, 5 min), so it can never swallow another slot; a
# manual refresh that early only moves that slot's poll forward.
EARLY_FIRE_TOLERANCE: Final = timedelta(minutes=2)


def _floor(moment: datetime, period: timedelta) -> datetime:
    seconds = period.total_seconds()
    return datetime.fromtimestamp(moment.timestamp() // seconds * seconds, UTC)


def expected_validity(now: datetime, resolution: Resolution) -> datetime:
    """Return the validity time of the newest observation that should be published at ``now``."""
    return _floor(now - PUBLICATION_DELAY[resolution], _period(resolution))


def next_poll(now: datetime, resolution: Resolution) -> datetime:
    """Return the first planned poll strictly after ``now``."""
    offset = PUBLICATION_DELAY[resolution] + POLL_MARGIN[resolution]
    return _floor(now - offset, _period(resolution)) + _period(resolution) + offset


def delay_until_next_poll(
    now: datetime, resolution: Resolution, latest: datetime | None
) -> timedelta:
    """Delay before the next poll, given the validity time of the newest observation we have."""
    planned = next_poll(now, resolution) - now
    expected = expected_validity(now, resolution)
    if latest is None or latest >= expected or resolution is not Resolution.HOURLY:
        return planned
    planned_poll = expected + PUBLICATION_DELAY[resolution] + POLL_MARGIN[resolution]
    if now - planned_poll < LATE_WINDOW:
        return min(LATE_RETRY, planned)
    return planned


def poll_time(now: datetime, planned: datetime | None) -> datetime:
    """Return the time a poll made at ``now`` stands for: ``planned`` if just before it."""
    if planned is not None and now < planned <= now + EARLY_FIRE_TOLERANCE:
        return planned
    return now


def delay_after_error(now: datetime, resolution: Resolution) -> timedelta:
    """Delay before retrying after a transient error."""
    return min(ERROR_RETRY, next_poll(now, resolution) - now)


def _period(resolution: Resolution) -> timedelta:
    return timedelta(seconds=resolution.period_seconds)
