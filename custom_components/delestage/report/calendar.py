"""Past Ecowatt periods and their report, for the RTE entry's alert calendar (a hub hook).

The calendar's own events come from the forecast (today and the next days); the hours that have
gone are taken from the report's Ecowatt log, as they were seen. An event whose hours were shed
gets the report's figures in its description (consumption, usual use, avoided energy and money,
outdoor temperature). The report registers :class:`ReportCalendarHook` with ``hub.py``; the
calendar never imports it.
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from ..const import DOMAIN
from .manager import async_get_reports
from .model import ResultStatus
from .signals import DATA_ECOWATT_LOG

# Labels of the description: the attribute names of the last-period sensor, translated.
_LABELS = ("consumption_kwh", "baseline_kwh", "avoided_kwh", "avoided_cost_eur")
_PREFIX = f"component.{DOMAIN}.entity.sensor.shedding_last_avoided_energy.state_attributes."


class ReportCalendarHook:
    """The report's part of the alert calendar (``hub.CalendarHook``)."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Read the Ecowatt log and the meters' reports of ``hass``."""
        self.hass = hass

    def past_alert_hours(self, before: datetime) -> dict[datetime, int]:
        """Return the alert hours of the log that started before ``before`` (UTC → level)."""
        return past_alert_hours(self.hass, before)

    async def async_describe(self, start: datetime, end: datetime) -> str | None:
        """Return the report's line(s) for the shed periods within an event, or None."""
        return await async_describe(self.hass, start, end)


def past_alert_hours(hass: HomeAssistant, before: datetime) -> dict[datetime, int]:
    """Alert hours of the Ecowatt log that started before ``before`` (none before any report)."""
    log = hass.data.get(DATA_ECOWATT_LOG)
    return {} if log is None else log.hours_before(before)


async def async_describe(hass: HomeAssistant, start: datetime, end: datetime) -> str | None:
    """Return the report's line(s) for the shed periods within an event, or None."""
    lines: list[str] = []
    names: dict[str, str] | None = None
    for report in async_get_reports(hass).values():
        for result in report.result_for(start, end):
            if result.status is not ResultStatus.OK:
                continue
            if names is None:
                names = await async_get_translations(hass, hass.config.language, "entity", {DOMAIN})
            row = result.as_row()

            def label(key: str, texts: dict[str, str]) -> str:
                return texts.get(f"{_PREFIX}{key}.name", key)

            parts = [f"{label(k, names)} {row[k]:.2f} kWh" for k in _LABELS[:3]]
            if row["avoided_cost_eur"] is not None:
                parts.append(f"{label('avoided_cost_eur', names)} {row['avoided_cost_eur']:.2f} €")
            if row["outdoor_temperature_c"] is not None:
                temp = row["outdoor_temperature_c"]
                parts.append(f"{label('outdoor_temperature_c', names)} {temp:.1f} °C")
            lines.append(" · ".join(parts))
    return "\n".join(lines) or None
