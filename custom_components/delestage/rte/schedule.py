"""When to call RTE: pure functions of the last call and what it returned.

Ecowatt (production allows 1 call / 15 min; the target is at most 24 calls a day):
- 06:00-10:00 Paris, while the answer still starts with yesterday (RTE publishes the new file
  in the morning): every 30 minutes, so the new forecast shows up quickly;
- 10:00-23:00 (and 06:00-10:00 once today's file is in): every hour, which also catches the
  afternoon D+3 update and any alert RTE adds during the day;
- 23:00-06:00: every 3 hours (nothing is published at night), with one call at 06:00.
Tempo: tomorrow's colour is published around 10:30 (confirmed at 10:40). Once it is known, the
next call is the next day at 10:40; until then every 30 minutes (every hour after 14:00).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ..api.rte_models import PARIS, TempoCalendar
from .const import MIN_SIGNALS_SPACING, SIGNALS_RETRY_AFTER_FAILURE, TEMPO_RETRY_AFTER_FAILURE

MORNING_START = time(6)
MORNING_END = time(10)
NIGHT_START = time(23)
TEMPO_PUBLISHED = time(10, 40)


def next_signals_call(
    last_call: datetime, *, succeeded: bool, first_day: date | None, production: bool
) -> datetime:
    """When the next Ecowatt signals call is due after a call made at ``last_call``."""
    local = last_call.astimezone(PARIS)
    if not succeeded:
        due = last_call + SIGNALS_RETRY_AFTER_FAILURE
    elif local.time() >= NIGHT_START or local.time() < MORNING_START:
        morning = datetime.combine(local.date(), MORNING_START, PARIS)
        if morning <= local:
            morning = datetime.combine(local.date() + timedelta(days=1), MORNING_START, PARIS)
        due = min(last_call + timedelta(hours=3), morning)
    elif local.time() < MORNING_END and first_day is not None and first_day < local.date():
        due = last_call + timedelta(minutes=30)
    else:
        due = last_call + timedelta(hours=1)
    if production:
        due = max(due, last_call + MIN_SIGNALS_SPACING)
    return due


def next_tempo_call(
    last_call: datetime, *, succeeded: bool, calendar: TempoCalendar | None
) -> datetime:
    """When the next Tempo call is due after a call made at ``last_call``."""
    if not succeeded or calendar is None or (last_day := calendar.last_day) is None:
        return last_call + TEMPO_RETRY_AFTER_FAILURE
    # The colour of day L+1 is published on day L around 10:30.
    published = datetime.combine(last_day, TEMPO_PUBLISHED, PARIS)
    if published > last_call:
        return published
    step = timedelta(minutes=30) if last_call.astimezone(PARIS).hour < 14 else timedelta(hours=1)
    return last_call + step
