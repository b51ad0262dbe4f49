"""The shedding report of one Linky meter in Home Assistant: when it runs, what it reads, writes.

When: once Home Assistant has started, after each refresh of the meter's coordinator (the
morning Linky import, which re-imports the last week, so late or corrected data recomputes the
periods it touches), and when the ``delestage.shedding_report`` action is called. Every run
reads the periods of the last :data:`REPORT_DAYS` days and their inputs from the recorder, and
computes again only the periods whose inputs changed (results kept under a digest of what they
read, ``model.inputs_digest``: late data can never leave a stale figure). The two series are
then made equal to the report: each run reads them back from the recorder over the report's
days and upserts only the hours that differ, an hour that no longer belongs to a computed
period (its period gone, or left without figures) becoming 0; a run that finds nothing new
writes nothing, and a restart in between changes nothing. The cache is in memory: after a
restart the first run computes every period once (in the executor, a minute after start-up),
so no saved file can disagree with the recorder.

What: the grid's periods (``signals.py``) during which a shedding group was active (the
shedding history, ``shedding.async_get_shed_periods``), the meter's hourly consumption and cost,
and the temperature of the first Météo-France station (``hub.py``; none: unadjusted baseline).

Each Linky meter gets its report when its entry sets up (``report/__init__.py`` attaches it
through the hub); :func:`async_get_reports` lists them for the action and the calendar.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN, LOGGER
from ..hub import get_hub
from ..shedding import async_get_shed_periods
from .model import (
    HOUR,
    LOOKBACK_DAYS,
    PARIS,
    REBOUND_HOURS,
    PeriodResult,
    ResultStatus,
    compute_report,
    prices_from_cost,
    shed_periods,
)
from .recorder import SERIES, async_read_inputs, async_read_series, async_write_series
from .signals import async_ecowatt_log, async_tempo_red_periods

# Periods older than this are not recomputed nor reported (the shedding history keeps 400 days).
REPORT_DAYS: Final = 400
# The season: a Tempo year, from 1 September.
SEASON_START_MONTH: Final = 9
# Ecowatt hours are written down at least this often (the forecast forgets past days).
LOG_INTERVAL: Final = timedelta(hours=1)
# The first computation after start-up waits this long: it never competes with the start.
FIRST_RUN_DELAY: Final = 60.0

DATA_REPORTS: HassKey[dict[str, ShedReport]] = HassKey(f"{DOMAIN}_reports")


@callback
def async_get_reports(hass: HomeAssistant) -> dict[str, ShedReport]:
    """Return the report of each Linky entry set up, by entry id."""
    return hass.data.setdefault(DATA_REPORTS, {})


def season_start(now: datetime) -> datetime:
    """Start (aware) of the season holding ``now``: the last 1 September, 00:00 local."""
    local = now.astimezone(PARIS)
    year = local.year if local.month >= SEASON_START_MONTH else local.year - 1
    return datetime(year, SEASON_START_MONTH, 1, tzinfo=PARIS)


@dataclass(frozen=True, slots=True)
class SeasonTotals:
    """What the season's computed periods add up to."""

    periods: int
    avoided_kwh: float
    avoided_cost_eur: float | None


def temperature_entity(hass: HomeAssistant) -> str | None:
    """Return the temperature sensor of the first Météo-France station (by title)."""
    for station in get_hub(hass).observation_stations():
        if (entity_id := station.temperature_entity()) is not None:
            return entity_id
    return None


class ShedReport:
    """Computes and publishes the shedding report of one meter."""

    def __init__(self, hass: HomeAssistant, prm: str) -> None:
        """Create the report; ``async_start`` makes it run."""
        self.hass = hass
        self.prm = prm
        self.results: list[PeriodResult] = []
        self.computed_at: datetime | None = None
        self.weather_entity: str | None = None
        self._lock = asyncio.Lock()
        # Results by digest of their inputs (in memory).
        self._cache: dict[bytes, PeriodResult] = {}
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsubs: list[CALLBACK_TYPE] = []

    @callback
    def async_start(self, listen: Callable[[CALLBACK_TYPE], CALLBACK_TYPE]) -> None:
        """Run soon, after each refresh ``listen`` reports, and log Ecowatt hours hourly."""
        self._unsubs.append(listen(self._async_schedule))
        self._unsubs.append(
            async_track_time_interval(self.hass, self._async_log_signals, LOG_INTERVAL)
        )
        self._unsubs.append(async_call_later(self.hass, FIRST_RUN_DELAY, self._async_first_run))

    @callback
    def async_stop(self) -> None:
        """Stop listening."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()

    @callback
    def _async_first_run(self, _now: datetime) -> None:
        self._async_schedule()

    @callback
    def _async_schedule(self) -> None:
        self.hass.async_create_background_task(
            self.async_update(), f"{DOMAIN} shedding report {self.prm[-4:]}"
        )

    async def _async_log_signals(self, _now: datetime) -> None:
        (await async_ecowatt_log(self.hass)).ingest()

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> Callable[[], None]:
        """Call ``listener`` after each computation; returns the unsubscribe callback."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def async_update(self) -> list[PeriodResult]:
        """Recompute every period (one run at a time); returns the results."""
        async with self._lock:
            try:
                self.results = await self._async_compute()
            except Exception:  # a report must never take the meter down with it
                LOGGER.exception("Shedding report of meter …%s failed", self.prm[-4:])
                return self.results
            self.computed_at = dt_util.utcnow()
        for listener in list(self._listeners):
            listener()
        return self.results

    async def _async_compute(self) -> list[PeriodResult]:
        hass = self.hass
        now = dt_util.utcnow()
        since = now - timedelta(days=REPORT_DAYS)
        log = await async_ecowatt_log(hass)
        log.ingest(now)
        today = now.astimezone(PARIS).date()
        signals = [
            *log.periods(since),
            *await async_tempo_red_periods(hass, since.astimezone(PARIS).date(), today),
        ]
        active = [
            (period.start, period.end or now) for period in async_get_shed_periods(hass, since, now)
        ]
        periods = [p for p in shed_periods(signals, active) if p.start < now]
        if not periods:
            await self._async_write([], since, now)
            return []
        self.weather_entity = temperature_entity(hass)
        first = periods[0].start - timedelta(days=LOOKBACK_DAYS + 1)
        last = periods[-1].end + REBOUND_HOURS * HOUR
        consumption, cost, temperature = await async_read_inputs(
            hass, self.prm, self.weather_entity, first, last
        )
        results = await hass.async_add_executor_job(
            partial(
                compute_report,
                periods,
                consumption,
                temperature or None,
                prices_from_cost(consumption, cost) or None,
                cache=self._cache,
            )
        )
        await self._async_write(results, since, now)
        return results

    async def _async_write(
        self, results: list[PeriodResult], since: datetime, now: datetime
    ) -> None:
        """Make both series over ``[since, now[`` equal the results (upsert what differs)."""
        done = [result for result in results if result.status is ResultStatus.OK]
        wanted = {
            "avoided_energy": {h: kwh for r in done for h, kwh in r.avoided_by_hour.items()},
            "baseline": {h: kwh for r in done for h, kwh in r.baseline_by_hour.items()},
        }
        for series in SERIES:
            hourly = wanted[series]
            stored = await async_read_series(self.hass, self.prm, series, since, now)
            changed = {hour: kwh for hour, kwh in hourly.items() if stored.get(hour) != kwh}
            changed |= {hour: 0.0 for hour, kwh in stored.items() if kwh and hour not in hourly}
            if changed:
                await async_write_series(self.hass, self.prm, series, changed)

    def diagnostics(self) -> dict[str, object]:
        """Return what the last run found (no PRM, no statistic id: both name the meter)."""
        statuses: dict[str, int] = {}
        for result in self.results:
            statuses[result.status.value] = statuses.get(result.status.value, 0) + 1
        totals = self.season()
        return {
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
            "periods": statuses,
            "weather_adjusted": sum(r.weather_adjusted for r in self.results),
            "weather_entity": self.weather_entity,
            "season_avoided_kwh": round(totals.avoided_kwh, 3),
        }

    def last_result(self) -> PeriodResult | None:
        """Return the most recent period with figures."""
        done = [r for r in self.results if r.status is ResultStatus.OK]
        return done[-1] if done else None

    def season(self, now: datetime | None = None) -> SeasonTotals:
        """Totals of the computed periods of the current season."""
        start = season_start(now or dt_util.utcnow())
        done = [r for r in self.results if r.status is ResultStatus.OK and r.period.start >= start]
        costs = [r.avoided_cost_eur for r in done]
        return SeasonTotals(
            len(done),
            sum(r.avoided_kwh or 0.0 for r in done),
            None if not done or None in costs else sum(c or 0.0 for c in costs),
        )

    def result_for(self, start: datetime, end: datetime) -> list[PeriodResult]:
        """Results of the periods overlapping ``[start, end[``."""
        return [r for r in self.results if r.period.start < end and r.period.end > start]

    def rows(
        self, first: date | None = None, last: date | None = None
    ) -> list[dict[str, str | float | None]]:
        """Return the action's table: one row per period (DESIGN.md §2 fields), oldest first."""
        return [
            result.as_row()
            for result in self.results
            if (first is None or result.period.start.astimezone(PARIS).date() >= first)
            and (last is None or result.period.start.astimezone(PARIS).date() <= last)
        ]
