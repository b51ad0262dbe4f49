"""The "prepare for a likely red day" blueprint, run by the real automation integration."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import CoreState, Event, HomeAssistant, callback
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.delestage.const import DOMAIN
from tests.rte.fake_rte import FakeRte

from .fake_rte_forecasts import FakeRteForecasts
from .ha import (
    SENSORS,
    TODAY,
    async_setup,
    attributes,
    paris,
    publish_colours,
    publish_forecasts,
    rte_entry,
)

# The template and time triggers' timers outlive the frozen test clock.
pytestmark = pytest.mark.parametrize("expected_lingering_timers", [True])

BLUEPRINTS = Path(__file__).parents[2] / "blueprints"
STAND_IN = "sensor.tempo_forecast_day_2"
EVENT = "prepare_for_red"


@pytest.fixture(autouse=True)
async def paris_time_zone(hass: HomeAssistant) -> None:
    """The home is in France."""
    await hass.config.async_set_time_zone("Europe/Paris")


@pytest.fixture
def prepared(hass: HomeAssistant) -> list[dict[str, Any]]:
    """The data of each run of the actions (they fire an event with the blueprint's variables)."""
    runs: list[dict[str, Any]] = []

    @callback
    def _record(event: Event) -> None:
        runs.append(dict(event.data))

    hass.bus.async_listen(EVENT, _record)
    return runs


async def _setup_automation(
    hass: HomeAssistant, tmp_path: Path, forecast_day: str, **inputs: Any
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
                    "id": "prepare_for_red",
                    "alias": "Prepare for red",
                    "use_blueprint": {
                        "path": "delestage/tempo_forecast_prepare.yaml",
                        "input": {
                            "forecast_day": forecast_day,
                            "actions": [
                                {
                                    "event": EVENT,
                                    "event_data": {
                                        "date": "{{ forecast_date }}",
                                        "red": "{{ red_probability }}",
                                        "official": "{{ official }}",
                                    },
                                }
                            ],
                            **inputs,
                        },
                    },
                }
            ]
        },
    )
    await hass.async_block_till_done()


def _forecast(hass: HomeAssistant, day: str, red: float, official: bool = False) -> None:
    """The stand-in forecast sensor (the real one's state and attributes)."""
    rest = (1.0 - red) / 2
    hass.states.async_set(
        STAND_IN,
        "red" if red >= rest else "blue",
        {
            "date": day,
            "probability_blue": rest,
            "probability_white": rest,
            "probability_red": red,
            "official": official,
        },
    )


async def _move(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime) -> None:
    freezer.move_to(when)
    async_fire_time_changed(hass, when)
    await hass.async_block_till_done()


async def test_acts_once_per_tempo_day_when_red_is_likely(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    prepared: list[dict[str, Any]],
) -> None:
    freezer.move_to(paris(2026, 1, 14, 8, 0))
    _forecast(hass, "2026-01-16", 0.4)
    await _setup_automation(hass, tmp_path, STAND_IN, threshold=60)
    assert prepared == []

    # The evening forecast: 65 % red two days ahead.
    freezer.move_to(paris(2026, 1, 14, 20, 20))
    _forecast(hass, "2026-01-16", 0.65)
    await hass.async_block_till_done()
    assert prepared == [{"date": "2026-01-16", "red": 65, "official": False}]

    # It rises again the same Tempo day (evening, then night): already prepared.
    for when in (paris(2026, 1, 14, 23, 0), paris(2026, 1, 15, 5, 0)):
        freezer.move_to(when)
        _forecast(hass, "2026-01-16", 0.8 if when.hour == 23 else 0.85)
        await hass.async_block_till_done()
        assert len(prepared) == 1

    # The next Tempo day watches the next date: acted on at the first check after 07:00.
    _forecast(hass, "2026-01-17", 0.7)
    await hass.async_block_till_done()
    assert len(prepared) == 1  # 05:00: the previous Tempo day still
    freezer.move_to(paris(2026, 1, 15, 6, 30))
    _forecast(hass, "2026-01-17", 0.72)
    await hass.async_block_till_done()
    assert len(prepared) == 1  # before "not before"
    await _move(hass, freezer, paris(2026, 1, 15, 7, 0))
    assert prepared[1] == {"date": "2026-01-17", "red": 72, "official": False}


async def test_below_threshold_or_unavailable_does_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    prepared: list[dict[str, Any]],
) -> None:
    freezer.move_to(paris(2026, 1, 14, 12, 0))
    _forecast(hass, "2026-01-16", 0.55)
    await _setup_automation(hass, tmp_path, STAND_IN, threshold=60, not_before="00:00:00")
    hass.states.async_set(STAND_IN, "unavailable", {})
    await hass.async_block_till_done()
    _forecast(hass, "2026-01-16", 0.594)  # 59 %
    await hass.async_block_till_done()
    assert prepared == []
    _forecast(hass, "2026-01-16", 1.0, official=True)
    await hass.async_block_till_done()
    assert prepared == [{"date": "2026-01-16", "red": 100, "official": True}]


async def test_checked_when_home_assistant_starts(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    prepared: list[dict[str, Any]],
) -> None:
    freezer.move_to(paris(2026, 1, 14, 9, 0))
    hass.set_state(CoreState.not_running)
    _forecast(hass, "2026-01-16", 0.9)
    await _setup_automation(hass, tmp_path, STAND_IN)
    assert prepared == []

    await hass.async_start()
    await hass.async_block_till_done()

    assert prepared == [{"date": "2026-01-16", "red": 90, "official": False}]


async def test_with_the_real_forecast_sensors(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    fake_rte: FakeRte,
    fake_forecasts: FakeRteForecasts,
    prepared: list[dict[str, Any]],
) -> None:
    """The RTE entry's own sensor: the cold Monday five days ahead is likely red."""
    publish_colours(fake_rte, TODAY)
    publish_forecasts(fake_forecasts, TODAY)
    freezer.move_to(paris(2026, 1, 14, 7, 30))
    await async_setup(hass, rte_entry())
    day_5 = attributes(hass, SENSORS[4])
    assert day_5["probability_red"] >= 0.6

    await _setup_automation(hass, tmp_path, SENSORS[4], threshold=60, not_before="08:00:00")
    assert prepared == []
    await _move(hass, freezer, paris(2026, 1, 14, 8, 0))

    assert len(prepared) == 1
    assert prepared[0]["date"] == day_5["date"] == (TODAY + timedelta(days=5)).isoformat()
    assert prepared[0]["red"] >= 60
