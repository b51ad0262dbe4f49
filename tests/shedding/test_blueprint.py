"""The Ecowatt load-shedding blueprint, run by the real automation integration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
import shutil
import time
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import CoreState, Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.delestage.const import DOMAIN

from ..rte.conftest import ENTRY_DATA
from ..rte.fake_rte import FakeRte, day_payload, tempo_payload
from .conftest import async_set_load

# The template trigger's once-a-minute re-render timer outlives the frozen test clock.
pytestmark = pytest.mark.parametrize("expected_lingering_timers", [True])

PARIS = ZoneInfo("Europe/Paris")
BLUEPRINTS = Path(__file__).parents[2] / "blueprints"
LEVEL = "sensor.rte_ecowatt_level_now"
STAND_IN = "sensor.ecowatt_level_now"
AUTOMATION = "automation.shed_on_red"

# A winter evening: red 18:00-20:00 Paris time, orange at 17:00 and 20:00.
DAY = datetime(2026, 12, 7, tzinfo=PARIS)
LEVELS_BY_HOUR = {17: "orange", 18: "red", 19: "red", 20: "orange"}


def _wall_clock() -> float:
    """Real elapsed time; the test clock is frozen, and freezegun patches perf_counter."""
    return time.clock_gettime(time.CLOCK_MONOTONIC_RAW)


def _level_at(hour: int) -> str:
    return LEVELS_BY_HOUR.get(hour, "green")


def _forecast() -> list[dict[str, Any]]:
    return [
        {"start": (DAY + timedelta(hours=hour)).isoformat(), "level": _level_at(hour)}
        for hour in range(24)
    ]


def _stand_in_level(hass: HomeAssistant) -> Callable[[], None]:
    """A stand-in "level now" sensor (same state and forecast attribute as the real one)."""

    @callback
    def _refresh() -> None:
        now = datetime.now(PARIS)
        hass.states.async_set(STAND_IN, _level_at(now.hour), {"forecast": _forecast()})

    return _refresh


TEMPO_TODAY = "sensor.rte_ecowatt_tempo_today"
TEMPO_TOMORROW = "sensor.rte_ecowatt_tempo_tomorrow"
# Tempo colours by Tempo day (a Tempo day runs 06:00 to 06:00).
TEMPO = {
    DAY.date() - timedelta(days=1): "blue",
    DAY.date(): "red",
    DAY.date() + timedelta(days=1): "white",
}


_HVALUE = {"green": 1, "orange": 2, "red": 3}


@pytest.fixture
async def rte_entry(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """A real RTE entry whose Ecowatt forecast has the red evening of DAY, Tempo red on DAY."""
    await hass.config.async_set_time_zone("Europe/Paris")
    fake_rte = FakeRte(
        aioclient_mock,
        signals={
            "signals": [
                day_payload(
                    (DAY + timedelta(days=offset)).date(),
                    [_HVALUE[_level_at(hour)] if offset == 0 else 1 for hour in range(24)],
                )
                for offset in range(4)
            ]
        },
    )
    fake_rte.tempo = tempo_payload({day: colour.upper() for day, colour in TEMPO.items()})
    entry = MockConfigEntry(
        domain=DOMAIN, title="RTE Ecowatt", unique_id=ENTRY_DATA["client_id"], data=ENTRY_DATA
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
def ecowatt(rte_entry: MockConfigEntry) -> Callable[[], None]:
    """The RTE entry's sensors follow the hour boundaries themselves: nothing to refresh."""
    return lambda: None


async def _setup_automation(
    hass: HomeAssistant,
    tmp_path: Path,
    loads: tuple[str, ...],
    blueprint: str = "ecowatt_load_shedding.yaml",
    **inputs: Any,
) -> None:
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints")
    hass.config.config_dir = str(tmp_path)
    assert await async_setup_component(hass, DOMAIN, {})
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": "shed_on_red",
                    "alias": "Shed on red",
                    "use_blueprint": {
                        "path": f"delestage/{blueprint}",
                        "input": {"loads": list(loads), **inputs},
                    },
                }
            ]
        },
    )
    await hass.async_block_till_done()


async def _move_to(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, refresh: Callable[[], None], when: datetime
) -> None:
    freezer.move_to(when)
    refresh()  # the integration's sensors follow the hour boundary
    async_fire_time_changed(hass, when)
    await hass.async_block_till_done()


def _is_on(hass: HomeAssistant, entity_id: str) -> bool:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state == "on"


@pytest.fixture
def switch_commands(hass: HomeAssistant) -> list[tuple[float, str, Any]]:
    """Record (wall clock, service, entity ids) of every switch command."""
    calls: list[tuple[float, str, Any]] = []

    @callback
    def _record(event: Event) -> None:
        if event.data["domain"] == "switch":
            calls.append(
                (_wall_clock(), event.data["service"], event.data["service_data"]["entity_id"])
            )

    hass.bus.async_listen("call_service", _record)
    return calls


@pytest.mark.freeze_time("2026-12-07T16:00:00+01:00")
async def test_red_period_with_lead_time(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    loads: tuple[str, ...],
    ecowatt: Callable[[], None],
    switch_commands: list[tuple[float, str, Any]],
) -> None:
    water_heater, radiator, dryer = loads
    freezer.move_to(DAY + timedelta(hours=16))
    ecowatt()
    await async_set_load(hass, water_heater, True)
    await async_set_load(hass, radiator, True)
    await _setup_automation(hass, tmp_path, loads, ecowatt_level=LEVEL, lead_time=15)
    switch_commands.clear()

    # Orange at 17:00 does not count when only red is chosen.
    await _move_to(hass, freezer, ecowatt, DAY + timedelta(hours=17, minutes=44))
    assert _is_on(hass, water_heater)
    assert switch_commands == []

    boundary = DAY + timedelta(hours=17, minutes=45)  # 18:00 minus the lead time
    started = _wall_clock()
    await _move_to(hass, freezer, ecowatt, boundary)
    assert not _is_on(hass, water_heater)
    assert not _is_on(hass, radiator)
    assert not _is_on(hass, dryer)  # was off, stays off
    assert sorted(entity for _, _, entity in switch_commands) == sorted([water_heater, radiator])
    print(f"\nshed command {1000 * (switch_commands[0][0] - started):.1f} ms after the boundary")

    # Still red at 19:30: nothing changes.
    await _move_to(hass, freezer, ecowatt, DAY + timedelta(hours=19, minutes=30))
    assert not _is_on(hass, water_heater)

    switch_commands.clear()
    started = _wall_clock()
    await _move_to(hass, freezer, ecowatt, DAY + timedelta(hours=20))
    assert _is_on(hass, water_heater)
    assert _is_on(hass, radiator)
    assert not _is_on(hass, dryer)
    assert [service for _, service, _ in switch_commands] == ["turn_on", "turn_on"]
    print(f"restore command {1000 * (switch_commands[0][0] - started):.1f} ms after the boundary")


@pytest.mark.freeze_time("2026-12-07T16:30:00+01:00")
async def test_orange_and_red_without_restore(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    loads: tuple[str, ...],
    ecowatt: Callable[[], None],
) -> None:
    water_heater = loads[0]
    freezer.move_to(DAY + timedelta(hours=16, minutes=30))
    ecowatt()
    await async_set_load(hass, water_heater, True)
    await _setup_automation(
        hass, tmp_path, loads, ecowatt_level=LEVEL, levels="orange_red", restore=False
    )

    await _move_to(hass, freezer, ecowatt, DAY + timedelta(hours=17))
    assert not _is_on(hass, water_heater)

    await _move_to(hass, freezer, ecowatt, DAY + timedelta(hours=21))
    assert not _is_on(hass, water_heater)  # not switched back on, as asked


@pytest.mark.freeze_time("2026-12-07T18:20:00+01:00")
async def test_restart_in_the_middle_of_a_period(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    loads: tuple[str, ...],
    ecowatt: Callable[[], None],
) -> None:
    """Home Assistant starts during a red period, then the period ends."""
    water_heater, radiator, _dryer = loads
    freezer.move_to(DAY + timedelta(hours=18, minutes=20))
    ecowatt()
    await async_set_load(hass, water_heater, True)
    hass.set_state(CoreState.not_running)
    await _setup_automation(hass, tmp_path, loads, ecowatt_level=LEVEL)
    assert _is_on(hass, water_heater)

    # Home Assistant finishes starting: the automation catches up and sheds the load that is on.
    await hass.async_start()
    await hass.async_block_till_done()
    assert not _is_on(hass, water_heater)

    # The user switches the radiator on during the period: it is theirs, left alone.
    await async_set_load(hass, radiator, True)
    await _move_to(hass, freezer, ecowatt, DAY + timedelta(hours=19))
    assert _is_on(hass, radiator)

    await _move_to(hass, freezer, ecowatt, DAY + timedelta(hours=20))
    assert _is_on(hass, water_heater)
    assert _is_on(hass, radiator)


async def test_no_signal_no_decision(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    loads: tuple[str, ...],
) -> None:
    """While the Ecowatt sensor is unavailable, shed loads stay off."""
    water_heater = loads[0]
    ecowatt = _stand_in_level(hass)
    freezer.move_to(DAY + timedelta(hours=17, minutes=50))
    ecowatt()
    await async_set_load(hass, water_heater, True)
    await _setup_automation(hass, tmp_path, loads, ecowatt_level=STAND_IN)
    await _move_to(hass, freezer, ecowatt, DAY + timedelta(hours=18))
    assert not _is_on(hass, water_heater)

    hass.states.async_set(STAND_IN, "unavailable")
    await hass.async_block_till_done()
    freezer.move_to(DAY + timedelta(hours=20, minutes=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert not _is_on(hass, water_heater)  # the period is over, but nobody can tell

    # The signal is back (green): the period is over, the load comes back.
    ecowatt()
    await hass.async_block_till_done()
    assert _is_on(hass, water_heater)


@pytest.fixture
def tempo(rte_entry: MockConfigEntry) -> Callable[[], None]:
    """The RTE entry's Tempo sensors switch at 06:00 themselves: nothing to refresh."""
    return lambda: None


@pytest.mark.freeze_time("2026-12-07T04:00:00+01:00")
async def test_tempo_red_day_peak_hours(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    loads: tuple[str, ...],
    tempo: Callable[[], None],
) -> None:
    water_heater, radiator, _dryer = loads
    freezer.move_to(DAY + timedelta(hours=4))
    tempo()
    await async_set_load(hass, water_heater, True)
    await _setup_automation(
        hass,
        tmp_path,
        loads,
        blueprint="tempo_load_shedding.yaml",
        tempo_today=TEMPO_TODAY,
        tempo_tomorrow=TEMPO_TOMORROW,
        lead_time=30,
    )

    await _move_to(hass, freezer, tempo, DAY + timedelta(hours=5, minutes=29))
    assert _is_on(hass, water_heater)
    # 30 minutes before the red day's peak hours: today's sensor still shows yesterday (blue).
    await _move_to(hass, freezer, tempo, DAY + timedelta(hours=5, minutes=30))
    assert not _is_on(hass, water_heater)

    await _move_to(hass, freezer, tempo, DAY + timedelta(hours=6))
    await async_set_load(hass, radiator, True)  # the user's choice during the day
    await _move_to(hass, freezer, tempo, DAY + timedelta(hours=21, minutes=59))
    assert not _is_on(hass, water_heater)

    await _move_to(hass, freezer, tempo, DAY + timedelta(hours=22))
    assert _is_on(hass, water_heater)
    assert _is_on(hass, radiator)

    # The next day is white: nothing happens at its 06:00.
    await _move_to(hass, freezer, tempo, DAY + timedelta(days=1, hours=6))
    assert _is_on(hass, water_heater)


async def test_cancelled_period_gives_loads_back_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    loads: tuple[str, ...],
) -> None:
    """Loads shed ahead of a red period come back as soon as RTE drops that period."""
    water_heater = loads[0]
    ecowatt = _stand_in_level(hass)
    freezer.move_to(DAY + timedelta(hours=15, minutes=50))
    ecowatt()
    await async_set_load(hass, water_heater, True)
    await _setup_automation(hass, tmp_path, loads, ecowatt_level=STAND_IN, lead_time=120)
    await _move_to(hass, freezer, ecowatt, DAY + timedelta(hours=16))
    assert not _is_on(hass, water_heater)

    # 16:10: the new forecast has no red hour left; the level now stays green for hours.
    freezer.move_to(DAY + timedelta(hours=16, minutes=10))
    green_day = [{**hour, "level": "green"} for hour in _forecast()]
    hass.states.async_set(STAND_IN, "green", {"forecast": green_day})
    await hass.async_block_till_done()

    assert _is_on(hass, water_heater)
