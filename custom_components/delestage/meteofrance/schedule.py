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


def delay_after_error(now: datetime, resolution: Resolution) -> timedelta:
    """Delay before retrying after a transient error."""
    return min(ERROR_RETRY, next_poll(now, resolution) - now)


def _period(resolution: Resolution) -> timedelta:
    return timedelta(seconds=resolution.period_seconds)
