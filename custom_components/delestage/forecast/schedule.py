"""When the Tempo forecast calls RTE: at the hours RTE updates its forecasts (pure functions).

Publication times (``reference/rte-forecast.md`` §1-2, secondary sources): the Consumption API's
two-day-ahead forecast around 07:00 and its day-ahead one around 19:30, the weekly forecast in
the morning, the Generation Forecast's day-ahead wind and solar around 18:00 the day before.
Tempo's own colour is published around 10:30; it reaches the forecast through the RTE entry's
Tempo calls (no call here).

- **Consumption** (``short_term`` and ``weekly_forecasts``, 2 calls): at 07:45 and 20:15 Paris.
- **Generation Forecast** (tomorrow's wind onshore, offshore and solar, 3 calls): at 20:15,
  once tomorrow's values are in; not again for the same day once they are.
- Each app calls 0-14 minutes after these times (a fixed offset derived from its client id),
  so that the homes using the integration do not all call in the same second.
- After a failure: again after 1 h, 2 h, 4 h, then every 6 h, never later than the next time
  above. After a 403 (not subscribed): once a day. After a 429: not before its Retry-After
  (at least 15 minutes), for every forecast call of the app.

Pure Python, no Home Assistant import.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
import hashlib
from typing import Final

from ..api.rte_models import PARIS

CONSUMPTION_TIMES: Final = (time(7, 45), time(20, 15))
GENERATION_TIME: Final = time(20, 15)
# Spread of the apps' call times after the times above.
OFFSET_MINUTES: Final = 15
FIRST_RETRY: Final = timedelta(hours=1)
LONGEST_RETRY: Final = timedelta(hours=6)
REPROBE: Final = timedelta(hours=24)
MIN_RATE_LIMIT_WAIT: Final = timedelta(minutes=15)
# A Tempo day starts at 06:00 Paris: the forecast's days move on then.
TEMPO_DAY_START: Final = time(6)


def call_offset(client_id: str) -> timedelta:
    """Return the app's fixed delay after the call times (0-14 minutes)."""
    digest = hashlib.sha256(client_id.encode()).hexdigest()
    return timedelta(minutes=int(digest[:8], 16) % OFFSET_MINUTES)


def at_paris(day: date, when: time, offset: timedelta = timedelta()) -> datetime:
    """``when`` on ``day`` in Paris, plus ``offset``."""
    return datetime.combine(day, when, PARIS) + offset


def next_time(after: datetime, times: Sequence[time], offset: timedelta) -> datetime:
    """Return the first of the daily ``times`` (plus ``offset``) strictly after ``after``."""
    first = after.astimezone(PARIS).date()
    for day in (first, first + timedelta(days=1)):
        for when in sorted(times):
            candidate = at_paris(day, when, offset)
            if candidate > after:
                return candidate
    raise AssertionError("a daily time always comes within two days")  # pragma: no cover


def retry_delay(failures: int) -> timedelta:
    """Wait after ``failures`` failed calls in a row (1 h, 2 h, 4 h, then 6 h)."""
    doubling: int = 2 ** min(max(failures - 1, 0), 8)
    return min(FIRST_RETRY * doubling, LONGEST_RETRY)


def next_consumption_call(
    last_call: datetime | None,
    *,
    failures: int,
    subscribed: bool | None,
    offset: timedelta,
    now: datetime,
) -> datetime:
    """When the Consumption forecasts are asked next."""
    if last_call is None:
        return now
    if subscribed is False:
        return last_call + REPROBE
    scheduled = next_time(last_call, CONSUMPTION_TIMES, offset)
    if failures:
        return min(scheduled, last_call + retry_delay(failures))
    return scheduled


def next_generation_call(
    last_call: datetime | None,
    *,
    failures: int,
    subscribed: bool | None,
    have_tomorrow: bool,
    offset: timedelta,
    now: datetime,
) -> datetime:
    """When tomorrow's wind and solar are asked next (``have_tomorrow``: already known)."""
    if subscribed is False and last_call is not None:
        return last_call + REPROBE
    today = now.astimezone(PARIS).date()
    if have_tomorrow:
        return at_paris(today + timedelta(days=1), GENERATION_TIME, offset)
    due = at_paris(today, GENERATION_TIME, offset)
    if failures and last_call is not None:
        due = max(due, last_call + retry_delay(failures))
    return due


def next_tempo_day(now: datetime) -> datetime:
    """Return the next start of a Tempo day (06:00 Paris) after ``now``."""
    return next_time(now, (TEMPO_DAY_START,), timedelta())
