"""What a tariff sensor shows next to what the statistics hold for the same window.

The dashboards (Energy, the demo's "Tempo") show a statistic's change over a day or a month;
the sensors "Cost yesterday", "Cost this month" and "… this month" must show the same number.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.delestage.const import DOMAIN
from tests.enedis.fake_enedis import PARIS

# Sensor key (unique id suffix) → the statistic it totals (€, or kWh for the parts).
SERIES = {
    "cost_yesterday": "cost",
    "cost_month": "cost",
    **{
        f"month_{part}": part
        for part in (
            "consumption_hp",
            "consumption_hc",
            *(f"{color}_{period}" for color in ("blue", "white", "red") for period in ("hp", "hc")),
        )
    },
}


def _window(attributes: dict[str, Any]) -> tuple[datetime, str]:
    """Start of the sensor's window (its ``date`` or ``month`` attribute) and its period."""
    if "date" in attributes:
        day = date.fromisoformat(attributes["date"])
        return datetime(day.year, day.month, day.day, tzinfo=PARIS), "day"
    year, month = (int(part) for part in attributes["month"].split("-"))
    return datetime(year, month, 1, tzinfo=PARIS), "month"


async def shown_and_recorded(
    hass: HomeAssistant, prm: str, key: str
) -> tuple[float | None, float | None]:
    """A sensor's number and the change of its statistic over the sensor's own window."""
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{prm}_{key}")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    shown = None if state.state in ("unknown", "unavailable") else float(state.state)
    start, period = _window(dict(state.attributes))
    statistic = f"{DOMAIN}:linky_{prm}_{SERIES[key]}"
    await async_wait_recording_done(hass)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period, hass, start, None, {statistic}, period, None, {"change"}
    )
    first = next(iter(rows.get(statistic, [])), None)
    recorded = None
    if first is not None and first["start"] == start.timestamp():
        recorded = first["change"]
    return shown, recorded
