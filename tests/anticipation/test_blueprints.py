"""The shipped blueprints pre-heat the rooms and the water heater they are given.

The real automation integration runs the blueprints (``blueprints/automation/delestage``);
the signal sensors are stand-ins with the RTE entry's states and attributes (the forecast
RTE publishes, Tempo's colours), so the test decides when RTE announces or drops a period.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from .conftest import (
    DAY,
    PARIS,
    RED_END,
    RED_START,
    SimulatedRoom,
    async_run,
    async_setup_delestage,
    async_setup_home,
    target_of,
)

# The template trigger's once-a-minute re-render timer outlives the frozen test clock.
pytestmark = pytest.mark.parametrize("expected_lingering_timers", [True])

BLUEPRINTS = Path(__file__).parents[2] / "blueprints"
LEVEL = "sensor.ecowatt_level_now"
TODAY, TOMORROW = "sensor.tempo_today", "sensor.tempo_tomorrow"
LIVING, TANK = "climate.living", "switch.water_tank"


def _forecast(red_hours: tuple[int, ...]) -> list[dict[str, Any]]:
    return [
        {
            "start": (DAY + timedelta(hours=h)).isoformat(),
            "level": "red" if h in red_hours else "green",
        }
        for h in range(24)
    ]


def _publish_level(hass: HomeAssistant, red_hours: tuple[int, ...]) -> None:
    """The "Ecowatt level now" sensor: the hour's level and RTE's forecast."""
    hour = datetime.now(PARIS).hour
    hass.states.async_set(
        LEVEL, "red" if hour in red_hours else "green", {"forecast": _forecast(red_hours)}
    )


def _automation(
    hass: HomeAssistant, tmp_path: Path, blueprint: str, **inputs: Any
) -> dict[str, Any]:
    """The shipped blueprint's automation (its folder copied into the configuration)."""
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints")
    hass.config.config_dir = str(tmp_path)
    return {
        "id": "red_hours",
        "alias": "Red hours",
        "use_blueprint": {"path": f"delestage/{blueprint}", "input": inputs},
    }


async def _ecowatt_home(
    hass: HomeAssistant, tmp_path: Path, freezer: FrozenDateTimeFactory
) -> SimulatedRoom:
    """At noon, a green day; the Ecowatt automation with the living room and no load."""
    freezer.move_to(DAY + timedelta(hours=12))
    await async_setup_delestage(hass)
    _publish_level(hass, ())
    automation = _automation(
        hass,
        tmp_path,
        "ecowatt_load_shedding.yaml",
        ecowatt_level=LEVEL,
        thermostats=[LIVING],
        boost=1.5,
        floor=2,
    )
    return (await async_setup_home(hass, automations=[automation]))["living"]


async def test_ecowatt_red_run_announced_then_pre_heated(
    hass: HomeAssistant, tmp_path: Path, freezer: FrozenDateTimeFactory
) -> None:
    living = await _ecowatt_home(hass, tmp_path, freezer)
    red = (18, 19)
    await async_run(hass, freezer, DAY + timedelta(hours=13), [living])
    _publish_level(hass, red)  # RTE announces a red evening
    targets: list[tuple[datetime, float]] = []

    async def follow(at: datetime) -> None:
        if at.minute == 0:
            _publish_level(hass, red)
        targets.append((at, target_of(hass, LIVING)))

    await async_run(hass, freezer, RED_END + timedelta(minutes=10), [living], each=follow)
    before = [t for at, t in targets if RED_START - timedelta(minutes=30) <= at < RED_START]
    during = [t for at, t in targets if RED_START + timedelta(minutes=5) <= at < RED_END]
    assert min(before) > 20.0  # pre-heated
    assert set(during) == {18.5}  # the floor held by the thermostat
    assert targets[-1][1] == 20.0
    assert living.lowest(RED_START, RED_END) >= 18.0


async def test_ecowatt_run_dropped_by_rte(
    hass: HomeAssistant, tmp_path: Path, freezer: FrozenDateTimeFactory
) -> None:
    """RTE drops the red run while the room pre-heats: its set point comes back at once."""
    living = await _ecowatt_home(hass, tmp_path, freezer)
    _publish_level(hass, (18, 19))
    await async_run(hass, freezer, RED_START - timedelta(minutes=20), [living])
    assert target_of(hass, LIVING) > 20.0
    _publish_level(hass, ())
    await hass.async_block_till_done()
    assert target_of(hass, LIVING) == 20.0


async def test_tempo_red_day_pre_heated_in_the_night(
    hass: HomeAssistant, tmp_path: Path, freezer: FrozenDateTimeFactory
) -> None:
    """Red tomorrow, known at 11:00: water heated in the night, rooms pre-heated, lowered."""
    freezer.move_to(DAY - timedelta(hours=13))  # the day before, 11:00
    await async_setup_delestage(hass)
    hass.states.async_set(TODAY, "blue")
    hass.states.async_set(TOMORROW, "red")
    automation = _automation(
        hass,
        tmp_path,
        "tempo_load_shedding.yaml",
        tempo_today=TODAY,
        tempo_tomorrow=TOMORROW,
        thermostats=[LIVING],
        water_heater=[TANK],
    )
    living = (await async_setup_home(hass, tank=True, automations=[automation]))["living"]
    await hass.services.async_call("automation", "trigger", {"entity_id": "automation.red_hours"})
    await hass.async_block_till_done()
    await hass.services.async_call("switch", "turn_off", {"entity_id": TANK}, blocking=True)
    seen: list[tuple[datetime, float, str]] = []

    async def follow(at: datetime) -> None:
        if at == DAY + timedelta(hours=6):  # the red day starts: the sensors move on
            hass.states.async_set(TODAY, "red")
            hass.states.async_set(TOMORROW, "white")
        state = hass.states.get(TANK)
        seen.append((at, target_of(hass, LIVING), state.state if state else "?"))

    await async_run(hass, freezer, DAY + timedelta(hours=22, minutes=10), [living], each=follow)

    def at(moment: datetime) -> tuple[float, str]:
        return next((t, s) for when, t, s in seen if when >= moment)

    assert at(DAY - timedelta(hours=2, minutes=30)) == (20.0, "off")  # 21:30: not yet
    assert at(DAY - timedelta(hours=1, minutes=50))[1] == "on"  # heated from 22:00
    assert at(DAY + timedelta(hours=5, minutes=50))[0] > 20.0  # pre-heated before 06:00
    assert at(DAY + timedelta(hours=6, minutes=10)) == (18.5, "off")
    assert at(DAY + timedelta(hours=15)) == (18.5, "off")
    assert at(DAY + timedelta(hours=22, minutes=10)) == (20.0, "off")  # the user's settings
    assert living.lowest(DAY + timedelta(hours=6), DAY + timedelta(hours=22)) >= 18.0
