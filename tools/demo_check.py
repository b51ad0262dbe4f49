"""What script/develop checks before it says the demo is ready, through Home Assistant's APIs.

A step is done when its effect shows where the user will look: the Tempo tariff is set when
the meter's cost sensors hold numbers, the cost statistic has yesterday's euros and the six
Tempo series have days of data (what the device page, the Energy dashboard and the "Tempo"
dashboard show); the shedding automation is there when its entity is on. Each wait gives up
with a :class:`DemoStepFailed` that says what was missing.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
import time
from typing import Any
from zoneinfo import ZoneInfo

from tools.demo_content import AUTOMATION_ID, DAYS_SHOWN, TEMPO_SERIES, statistic_id
from tools.hass_client import DemoStepFailed, Hass
from tools.sandbox.state import CONSUMER_PRM

PARIS = ZoneInfo("Europe/Paris")  # the demo server's time zone (configuration.yaml)
POLL_SECONDS = 1.0


async def meter_entry(hass: Hass, prm: str) -> str:
    """The config entry of a Linky meter (its device is identified by the PRM)."""
    for device in await hass.ws({"type": "config/device_registry/list"}):
        if ["delestage", prm] in device.get("identifiers", []):
            return str(device.get("primary_config_entry") or device["config_entries"][0])
    raise DemoStepFailed(f"No Linky …{prm[-4:]} device")


async def entity_of(
    hass: Hass, translation_key: str, entry_id: str | None = None, *, within: float = 30
) -> str:
    """The entity id of a Délestage entity (by translation key, of one entry or any)."""
    deadline = time.monotonic() + within
    while True:
        for entity in await hass.ws({"type": "config/entity_registry/list"}):
            if (
                entity["platform"] == "delestage"
                and entity.get("translation_key") == translation_key
                and entry_id in (None, entity.get("config_entry_id"))
            ):
                return str(entity["entity_id"])
        if time.monotonic() > deadline:
            raise DemoStepFailed(f"No Délestage entity {translation_key!r} after {within:.0f} s")
        await asyncio.sleep(POLL_SECONDS)


async def wait_for_automation(hass: Hass, within: float = 30) -> str:
    """The demo's shedding automation once loaded and on (a bad blueprint input fails here)."""
    deadline = time.monotonic() + within
    states: list[dict[str, Any]] = []
    while time.monotonic() <= deadline:
        states = await hass.ws({"type": "get_states"})
        for state in states:
            if (
                state["entity_id"].startswith("automation.")
                and state["attributes"].get("id") == AUTOMATION_ID
                and state["state"] == "on"
            ):
                return str(state["entity_id"])
        await asyncio.sleep(POLL_SECONDS)
    found = [s for s in states if s["attributes"].get("id") == AUTOMATION_ID]
    raise DemoStepFailed(f"The load-shedding automation is not on: {found or 'not loaded'}")


def _number(state: dict[str, Any] | None) -> float | None:
    try:
        return float(state["state"]) if state else None
    except ValueError:
        return None


async def daily_changes(
    hass: Hass, series: list[str], start: datetime, end: datetime
) -> dict[str, list[float]]:
    """Each statistic's daily change between two local midnights (days with no row: absent)."""
    answer = await hass.ws(
        {
            "type": "recorder/statistics_during_period",
            "start_time": start.isoformat(),
            "end_time": end.isoformat(),
            "statistic_ids": series,
            "period": "day",
            "types": ["change"],
        }
    )
    return {
        name: [row["change"] for row in answer.get(name, []) if row.get("change") is not None]
        for name in series
    }


def local_midnight(days_ago: int) -> datetime:
    """Midnight in Paris, ``days_ago`` days before today."""
    today = datetime.now(PARIS).date() - timedelta(days=days_ago)
    return datetime(today.year, today.month, today.day, tzinfo=PARIS)


async def check_costs(hass: Hass, within: float) -> str:
    """Wait until the Tempo costs show everywhere the README shows them; say what they are."""
    entry = await meter_entry(hass, CONSUMER_PRM)
    cost_yesterday = await entity_of(hass, "linky_cost_yesterday", entry)
    cost_month = await entity_of(hass, "linky_cost_month", entry)
    series = [statistic_id(name) for name in (*TEMPO_SERIES, "cost")]
    deadline = time.monotonic() + within
    while True:
        yesterday = _number(await hass.state(cost_yesterday))
        month = _number(await hass.state(cost_month))
        days = await daily_changes(hass, series, local_midnight(DAYS_SHOWN), local_midnight(0))
        last = await daily_changes(
            hass, [statistic_id("cost")], local_midnight(1), local_midnight(0)
        )
        cost_statistic = sum(last[statistic_id("cost")])
        empty = [name.removeprefix(statistic_id("")) for name in series if not days[name]]
        if yesterday and month and cost_statistic > 0 and not empty:
            covered = min(len(days[name]) for name in series)
            return (
                f"Checked: Linky …{CONSUMER_PRM[-4:]} cost yesterday {yesterday:.2f} € "
                f"(Energy dashboard {cost_statistic:.2f} €), this month {month:.2f} €; "
                f"the six Tempo series cover {covered} of the last {DAYS_SHOWN} days"
            )
        if time.monotonic() > deadline:
            raise DemoStepFailed(
                f"The Tempo costs are missing after {within:.0f} s: cost yesterday {yesterday}, "
                f"this month {month}, cost statistic yesterday {cost_statistic}, "
                f"series without data {empty}"
            )
        await asyncio.sleep(POLL_SECONDS)
