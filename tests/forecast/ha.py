"""What the Home Assistant tests of the Tempo forecast share: a winter week, RTE's answers.

The RTE entry is the real one (``FakeRte``: token, Ecowatt, Tempo); RTE's Consumption and
Generation Forecast answers are built like the simulator's (``fake_rte_forecasts``): half-hour
slots over whole Paris days, ``D-1`` for tomorrow, ``D-2`` for the day after, the weekly
forecast for days 3 to 9, tomorrow's wind and solar.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.delestage.const import DOMAIN
from tests.rte.conftest import CLIENT_ID, ENTRY_DATA
from tests.rte.fake_rte import FakeRte, tempo_payload

from .fake_rte_forecasts import (
    FakeRteForecasts,
    generation_payload,
    short_term_payload,
    weekly_payload,
)

PARIS = dt_util.get_time_zone("Europe/Paris")
SENSORS = [f"sensor.rte_ecowatt_tempo_forecast_day_{n}" for n in range(1, 8)]
# A cold Wednesday in January 2026 (the Tempo day of the forecast).
TODAY = date(2026, 1, 14)
# RTE's forecasts of the coming days (mean MW), by days ahead: a cold spell peaking on
# Monday 19th, a mild weekend.
CONSUMPTION = {1: 76_000.0, 2: 78_000.0, 3: 66_000.0, 4: 62_000.0, 5: 80_000.0, 6: 81_000.0}
CONSUMPTION |= {7: 79_000.0, 8: 74_000.0, 9: 70_000.0}
WIND = {"WIND_ONSHORE": 3_500.0, "WIND_OFFSHORE": 400.0}
SOLAR = 1_200.0


def paris(*args: int) -> datetime:
    """A Paris wall-clock time."""
    return datetime(*args, tzinfo=PARIS)


def season_colours(until: date) -> dict[date, str]:
    """RTE's colours from 1 September 2025 to ``until``: 9 reds and 18 whites by mid-January.

    Reds on some winter weekdays, whites on some other days but Sundays, blue otherwise.
    """
    colours: dict[date, str] = {}
    day = date(2025, 9, 1)
    while day <= until:
        colour = "BLUE"
        winter = day.month in (11, 12, 1, 2, 3)
        if winter and day.weekday() < 5 and day.toordinal() % 7 == 3:
            colour = "RED"
        elif day.weekday() != 6 and day.toordinal() % (4 if winter else 30) == 1:
            colour = "WHITE"
        colours[day] = colour
        day += timedelta(days=1)
    return colours


def publish_colours(
    fake_rte: FakeRte, until: date, extra: Mapping[date, str] | None = None
) -> None:
    """RTE's Tempo calendar holds the season's colours up to ``until`` (and ``extra``)."""
    fake_rte.tempo = tempo_payload(season_colours(until) | dict(extra or {}))


def publish_forecasts(
    fake: FakeRteForecasts,
    today: date,
    consumption: Mapping[int, float] = CONSUMPTION,
    *,
    wind: Mapping[str, float] = WIND,
    solar: float = SOLAR,
) -> None:
    """RTE's forecasts as published on ``today``: day-ahead, two-day, weekly, wind and solar."""
    made = datetime.combine(today, datetime.min.time(), PARIS).replace(hour=7).isoformat()
    on = {ahead: today + timedelta(days=ahead) for ahead in consumption}
    fake.answers["short_term"] = short_term_payload(
        {
            "D-1": {on[1]: consumption[1]},
            "D-2": {on[2]: consumption[2]},
        },
        made,
    )
    fake.answers["weekly"] = weekly_payload(
        {on[ahead]: value for ahead, value in consumption.items() if ahead >= 3}, made
    )
    tomorrow = today + timedelta(days=1)
    fake.answers["generation"] = {
        production_type: generation_payload(production_type, tomorrow, value)
        for production_type, value in {**wind, "SOLAR": solar}.items()
    }


def rte_entry() -> MockConfigEntry:
    """A production RTE entry."""
    return MockConfigEntry(
        domain=DOMAIN, title="RTE Ecowatt", unique_id=CLIENT_ID, data=dict(ENTRY_DATA)
    )


async def async_setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set the entry up (Home Assistant runs: the forecast starts at once)."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def async_move(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime) -> None:
    """Move the clock to ``when`` and run what is due."""
    freezer.move_to(when)
    async_fire_time_changed(hass, when)
    # Scheduled refreshes run as background tasks (the model runs in the executor).
    await hass.async_block_till_done(wait_background_tasks=True)


def attributes(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    """The state's attributes (the state must exist)."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return dict(state.attributes)


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """The state (the entity must exist)."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def forecast_calls(fake: FakeRteForecasts) -> dict[str, int]:
    """Calls to each forecast endpoint so far."""
    return {name: fake.calls[name] for name in ("short_term", "weekly", "generation")}
