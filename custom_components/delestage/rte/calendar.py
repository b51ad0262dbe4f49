"""Calendar of the RTE entry: one event per Ecowatt alert period (orange or red hours merged)."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from ..api.rte_models import EcowattForecast, EcowattHour, EcowattRun, alert_runs
from ..const import DOMAIN
from ..hub import get_hub
from .coordinator import EcowattCoordinator
from .entity import RteEntity, level_state

ALERTS_CALENDAR = CalendarEntityDescription(key="ecowatt_alerts", translation_key="ecowatt_alerts")


class EcowattAlertCalendar(RteEntity[EcowattForecast], CalendarEntity):
    """Ecowatt alert periods; its state is on during an alert."""

    def __init__(self, coordinator: EcowattCoordinator) -> None:
        """Create the calendar."""
        super().__init__(coordinator, ALERTS_CALENDAR)
        self._level_names: dict[str, str] = {}

    async def async_added_to_hass(self) -> None:
        """Load the translated level names used in event texts."""
        await super().async_added_to_hass()
        translations = await async_get_translations(
            self.hass, self.hass.config.language, "entity", {DOMAIN}
        )
        prefix = f"component.{DOMAIN}.entity.sensor.ecowatt_level_now.state."
        self._level_names = {
            key.removeprefix(prefix): value
            for key, value in translations.items()
            if key.startswith(prefix)
        }

    def _name(self, level: int) -> str:
        state = level_state(level) or str(level)
        return self._level_names.get(state, state)

    def _event(self, run: EcowattRun, report: str | None = None) -> CalendarEvent:
        parts = ", ".join(
            f"{dt_util.as_local(start):%H:%M}–{dt_util.as_local(end):%H:%M} {self._name(level)}"
            for start, end, level in run.parts
        )
        return CalendarEvent(
            start=dt_util.as_local(run.start),
            end=dt_util.as_local(run.end),
            summary=f"Ecowatt: {self._name(run.level)}",
            description=f"Ecowatt {self._name(run.level)}: {parts}"
            + (f"\n{report}" if report else ""),
            uid=f"ecowatt_{run.start.isoformat()}",
        )

    @property
    def event(self) -> CalendarEvent | None:
        """The alert in progress, else the next one (None when there is none)."""
        now = dt_util.utcnow()
        for run in self.data.runs():
            if run.end > now:
                return self._event(run)
        return None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Alert periods overlapping the requested range; past ones with the features' texts.

        Hours that have gone are kept as they were seen (the shedding report's log, completed
        by the forecast's own past hours); from the current hour on, only the newest forecast
        counts: when RTE revises an alert, its old future part is replaced, not shown beside
        the new one. Both are merged hour by hour, so an alert running across the boundary
        (or across midnight) stays one event. The features (the shedding report) give the past
        hours and a text per event through their calendar hooks (``hub.py``).
        """
        hooks = get_hub(hass).calendar_hooks()
        current = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
        levels: dict[datetime, int] = {}
        for hook in hooks:
            for start, level in hook.past_alert_hours(current).items():
                levels.setdefault(start, level)
        for hour in self.data.hours:
            if hour.start >= current:
                levels[hour.start] = hour.level
            else:
                levels.setdefault(hour.start, hour.level)
        hours = [EcowattHour(start, level) for start, level in sorted(levels.items())]
        events = []
        for run in alert_runs(hours):
            if run.start < end_date and run.end > start_date:
                texts = [
                    text
                    for hook in hooks
                    if (text := await hook.async_describe(run.start, run.end))
                ]
                events.append(self._event(run, "\n".join(texts) or None))
        return events
