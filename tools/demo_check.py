"""What script/develop checks before it says the demo is ready, through Home Assistant's APIs.

A step is done when its effect shows where the user will look: the Tempo tariff is set when
the meter's cost sensors hold numbers, the cost statistic has yesterday's euros and the six
Tempo series have days of data (what the device page, the Energy dashboard and the "Tempo"
dashboard show); the shedding automation is there when its entity is on. Each wait gives up
with a :class:`DemoStepFailed` that says what was missing.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
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


def local_midnight(day: date) -> datetime:
    """Midnight in Paris at the start of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=PARIS)


async def last_linky_day(hass: Hass, sandbox: str) -> date:
    """The newest Linky day the simulator serves now (``GET /_control``, its own clock).

    Asked before the meter is added: its back-fill brings that day at least, so the check
    waits for the day the demo fetched even when midnight passes meanwhile (Paris time).
    """
    async with hass.session.get(f"{sandbox}/_control") as response:
        response.raise_for_status()
        described = await response.json()
    return date.fromisoformat(described["linky"]["last_published_day"])


def _month_expected(month_state: dict[str, Any] | None, day: date) -> bool:
    """Whether "cost this month" must hold euros: its month (HA's clock) contains ``day``.

    On the 1st of a month, until that 1st is published (the next night in the demo, the next
    morning with Enedis), no day of the month is known: the integration then shows the
    sensor unknown rather than 0 € (no hour of the month is computed; a user reads "not known
    yet", not "free"). That is right, so the check does not require euros then.
    """
    month = (month_state or {}).get("attributes", {}).get("month")
    return month is None or month == f"{day.year:04d}-{day.month:02d}"


async def check_costs(hass: Hass, within: float, day: date) -> str:
    """Wait until ``day``'s Tempo costs show everywhere the README shows them; say what they are.

    ``day`` is the newest Linky day published when the meter was added (:func:`last_linky_day`):
    the "cost yesterday" sensor shows it (or a later day), the cost statistic has its euros,
    the six Tempo series have days up to it, "cost this month" has euros when its month has it.
    """
    entry = await meter_entry(hass, CONSUMER_PRM)
    cost_yesterday = await entity_of(hass, "linky_cost_yesterday", entry)
    cost_month = await entity_of(hass, "linky_cost_month", entry)
    series = [statistic_id(name) for name in (*TEMPO_SERIES, "cost")]
    following = local_midnight(day + timedelta(days=1))
    first_shown = local_midnight(day - timedelta(days=DAYS_SHOWN - 1))
    deadline = time.monotonic() + within
    while True:
        yesterday_state = await hass.state(cost_yesterday)
        yesterday = _number(yesterday_state)
        shown_day = (yesterday_state or {}).get("attributes", {}).get("date")
        month_state = await hass.state(cost_month)
        month = _number(month_state)
        month_expected = _month_expected(month_state, day)
        days = await daily_changes(hass, series, first_shown, following)
        last = await daily_changes(hass, [statistic_id("cost")], local_midnight(day), following)
        cost_statistic = sum(last[statistic_id("cost")])
        empty = [name.removeprefix(statistic_id("")) for name in series if not days[name]]
        if (
            yesterday
            and shown_day is not None
            and shown_day >= day.isoformat()  # a later day if midnight passed since
            and (month or not month_expected)
            and cost_statistic > 0
            and not empty
        ):
            covered = min(len(days[name]) for name in series)
            month_text = f"{month:.2f} €" if month else "not known yet (no day of it published)"
            later = (
                f" (the sensor is on {shown_day} already)" if shown_day != day.isoformat() else ""
            )
            return (
                f"Checked: Linky …{CONSUMER_PRM[-4:]} cost yesterday {yesterday:.2f} € "
                f"(Energy dashboard {cost_statistic:.2f} €) on {day.isoformat()}{later}, "
                f"this month {month_text}; "
                f"the six Tempo series cover {covered} of the {DAYS_SHOWN} days to {day:%d/%m}"
            )
        if time.monotonic() > deadline:
            raise DemoStepFailed(
                f"The Tempo costs of {day.isoformat()} are missing after {within:.0f} s: "
                f"cost yesterday {yesterday} (of {shown_day}), this month {month}, "
                f"cost statistic of that day {cost_statistic}, series without data {empty}"
            )
        await asyncio.sleep(POLL_SECONDS)
