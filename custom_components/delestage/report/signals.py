"""The grid's past signals, as the report needs them: Ecowatt alert hours and Tempo red days.

RTE's Ecowatt answer covers today and the next three days only, so yesterday's red hours are
gone from it the next morning, when the Linky data of that day arrives. ``EcowattLog`` writes
down every orange/red hour it sees (from every RTE entry, at each report run and every hour)
and keeps them :data:`KEEP_DAYS` days: the hours of today and later follow the newest forecast,
the past ones are final. Tempo red days come from the RTE entry's Tempo history (one ranged
call per year at most, cached by the RTE entry). Both are read through ``hub.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..api.rte_models import ALERT_LEVEL, LEVEL_RED, EcowattHour, EcowattRun, alert_runs
from ..const import DOMAIN, LOGGER
from ..hub import get_hub
from .model import PARIS, PeriodKind, ShedPeriod, tempo_red_period

STORAGE_KEY: Final = f"{DOMAIN}.report_signals"
STORAGE_VERSION: Final = 1
KEEP_DAYS: Final = 400

DATA_ECOWATT_LOG: HassKey[EcowattLog] = HassKey(f"{DOMAIN}_report_ecowatt_log")


class EcowattLog:
    """Orange and red Ecowatt hours seen, persisted (UTC hour start → level)."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the log; ``async_load`` reads what was seen before a restart."""
        self.hass = hass
        self.hours: dict[datetime, int] = {}
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)

    async def async_load(self) -> None:
        """Read the stored hours; a damaged file is started again, not fatal."""
        stored = await self._store.async_load() or {}
        try:
            self.hours = {
                datetime.fromisoformat(start).astimezone(UTC): int(level)
                for start, level in dict(stored.get("hours", {})).items()
            }
        except (TypeError, ValueError) as err:
            LOGGER.warning("Shedding report: Ecowatt history unreadable (%s), started again", err)
            self.hours = {}

    def ingest(self, now: datetime | None = None) -> bool:
        """Take the alert hours of every RTE entry's forecast; return whether anything changed."""
        now = now or dt_util.utcnow()
        today = now.astimezone(PARIS).date()
        before = dict(self.hours)
        for forecast in get_hub(self.hass).ecowatt_forecasts():
            for hour in forecast.hours:
                if hour.start.astimezone(PARIS).date() < today:
                    continue  # past days are final
                if hour.level >= ALERT_LEVEL:
                    self.hours[hour.start] = hour.level
                else:
                    self.hours.pop(hour.start, None)
        oldest = now - timedelta(days=KEEP_DAYS)
        self.hours = {start: level for start, level in self.hours.items() if start >= oldest}
        if self.hours != before:
            self._store.async_delay_save(
                lambda: {"hours": {s.isoformat(): lvl for s, lvl in sorted(self.hours.items())}},
                1.0,
            )
            return True
        return False

    def runs(self, start: datetime | None = None, end: datetime | None = None) -> list[EcowattRun]:
        """Consecutive alert hours merged, like the calendar's events, overlapping the range."""
        hours = (EcowattHour(hour, level) for hour, level in sorted(self.hours.items()))
        return [
            run
            for run in alert_runs(hours)
            if (start is None or run.end > start) and (end is None or run.start < end)
        ]

    def hours_before(self, moment: datetime) -> dict[datetime, int]:
        """Return the alert hours that started before ``moment`` (UTC hour start → level)."""
        return {hour: level for hour, level in self.hours.items() if hour < moment}

    def periods(self, start: datetime | None = None) -> list[ShedPeriod]:
        """Each run as a report period, of its highest level."""
        return [
            ShedPeriod(
                run.start,
                run.end,
                PeriodKind.ECOWATT_RED if run.level >= LEVEL_RED else PeriodKind.ECOWATT_ORANGE,
            )
            for run in self.runs(start)
        ]


async def async_ecowatt_log(hass: HomeAssistant) -> EcowattLog:
    """Return the shared log, loaded once."""
    if (log := hass.data.get(DATA_ECOWATT_LOG)) is None:
        log = EcowattLog(hass)
        hass.data[DATA_ECOWATT_LOG] = log
        await log.async_load()
    return log


async def async_tempo_red_periods(hass: HomeAssistant, first: date, last: date) -> list[ShedPeriod]:
    """06:00-22:00 of the Tempo red days in ``[first, last]`` (none without Tempo)."""
    if (source := get_hub(hass).tempo_source()) is None:
        return []
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    colors = await source.async_colors(days)
    return [tempo_red_period(day) for day, color in sorted(colors.items()) if color == "RED"]
