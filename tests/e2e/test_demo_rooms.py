"""The demo's heated rooms (tools/demo_rooms.py) on a Home Assistant test instance.

The configuration script/develop writes sets up the two thermostats; the rooms' physics, over
REST as in the demo, writes their sensors and plays the pilot-wire radiator's own thermostat;
the Ecowatt automation names them in its pre-heating inputs; the dashboard graphs them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tools import demo_rooms, develop
from tools.demo_content import shedding_automation
from tools.hass_client import DemoStepFailed, Hass


@pytest.fixture
async def demo(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, tmp_path: Path, socket_enabled: None
) -> AsyncGenerator[develop.Hass]:
    """The demo's configuration set up; develop's client logged in to the test instance."""
    develop.write_config(tmp_path / "config", 8213, "fr")
    config = load_yaml_dict(tmp_path / "config" / "configuration.yaml")
    for component in ("homeassistant", "api", "websocket_api", "config"):
        assert await async_setup_component(hass, component, {})
    for component in ("input_boolean", "input_select", "climate", "template"):
        assert await async_setup_component(hass, component, {component: config[component]})
    await hass.async_block_till_done()
    client = await hass_client()
    async with aiohttp.ClientSession() as session:
        demo = develop.Hass(session, str(client.make_url("")).rstrip("/"), "fr")
        demo.token = client.session.headers["Authorization"].removeprefix("Bearer ")
        yield demo
        await demo.close()


def _state(hass: HomeAssistant, entity_id: str) -> Any:
    state = hass.states.get(entity_id)
    assert state is not None
    return state


async def test_the_demo_rooms_heat_and_are_pre_heated(
    hass: HomeAssistant, demo: develop.Hass
) -> None:
    climates = await demo_rooms.climate_entities(demo)
    assert climates == {"sejour": "climate.sejour", "chambre": "climate.chambre"}
    assert _state(hass, "climate.chambre").attributes["preset_modes"] == ["comfort", "eco", "frost"]

    # Cold rooms: the physics writes their sensors; the generic thermostat heats the living
    # room, the radiator's own thermostat the bedroom.
    simulated = demo_rooms.simulated_rooms()
    for room in simulated:
        room.physics.temperature = 16.0
    now = dt_util.utcnow()
    await demo_rooms.step(demo, simulated, now, now)
    await hass.async_block_till_done()
    assert _state(hass, "sensor.temperature_sejour").state == "16.0"
    assert _state(hass, "climate.sejour").attributes["current_temperature"] == 16.0
    assert _state(hass, "input_boolean.chauffage_sejour").state == "on"
    assert _state(hass, "input_boolean.chauffage_chambre").state == "on"
    # An hour on, heaters on: both rooms warmer.
    await demo_rooms.step(demo, simulated, now, now + timedelta(hours=1))
    await hass.async_block_till_done()
    assert float(_state(hass, "sensor.temperature_sejour").state) > 17.0
    assert float(_state(hass, "sensor.temperature_chambre").state) > 16.5

    automation = shedding_automation("fr", "sensor.niveau", sorted(climates.values()))
    assert automation["use_blueprint"]["input"]["thermostats"] == [
        "climate.chambre",
        "climate.sejour",
    ]
    dashboard = demo_rooms.dashboard("fr", climates, ["sensor.x"])
    graphs = [card for card in dashboard["views"][0]["cards"] if card["type"] == "history-graph"]
    assert [g["entities"] for g in graphs] == [
        [{"entity": "climate.sejour"}],
        [{"entity": "climate.chambre"}, {"entity": "input_select.fil_pilote_chambre"}],
    ]


async def _run_rooms(
    monkeypatch: pytest.MonkeyPatch,
    stop_at: int,
    failures: dict[int, Exception] | None = None,
    **options: float,
) -> tuple[list[str], int]:
    """Run the rooms' loop without waiting, each step failing as ``failures`` says (by its
    number, from 1), until step ``stop_at`` cancels it; return the log-ins and the steps made.
    """
    logins: list[str] = []
    steps: list[bool] = []

    async def log_in(self: Hass, username: str, password: str, name: str) -> None:
        logins.append(username)

    async def step(*_: Any) -> None:
        steps.append(True)
        if len(steps) == stop_at:
            raise asyncio.CancelledError
        if (failure := (failures or {}).get(len(steps))) is not None:
            raise failure

    monkeypatch.setattr(Hass, "log_in", log_in)
    monkeypatch.setattr(demo_rooms, "step", step)
    monkeypatch.setattr(demo_rooms, "PERIOD_S", 0.0)
    with pytest.raises(asyncio.CancelledError):
        await demo_rooms.run("http://127.0.0.1:1", "demo", "delestage", "en", **options)
    return logins, len(steps)


@pytest.mark.parametrize(
    "refused",
    [
        aiohttp.ClientResponseError(None, (), status=401),  # type: ignore[arg-type]
        DemoStepFailed("input_boolean.turn_on: HTTP 401"),
    ],
)
async def test_the_rooms_log_in_again_when_their_token_expires(
    monkeypatch: pytest.MonkeyPatch, refused: Exception
) -> None:
    """Home Assistant's access tokens last 30 minutes: a refused step logs in again.

    Before, a 401 on a state read was taken for Home Assistant restarting: the rooms froze half
    an hour into the demo (their sensors stopped moving).
    """
    logins, steps = await _run_rooms(monkeypatch, 4, {2: refused})
    assert logins == ["demo", "demo"]  # at start, then after the refused step
    assert steps == 4


async def test_other_http_errors_do_not_log_in_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 502 while Home Assistant restarts: the rooms wait for the next step, same token."""
    bad_gateway = aiohttp.ClientResponseError(None, (), status=502)  # type: ignore[arg-type]
    logins, _ = await _run_rooms(monkeypatch, 3, {2: bad_gateway})
    assert logins == ["demo"]


async def test_the_rooms_renew_their_token_before_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Renewed on time, the token is never refused: no "Login attempt failed" notification."""
    logins, _ = await _run_rooms(monkeypatch, 3, renew_after=0.0)
    assert logins == ["demo"] * 4  # at start, then before each of the three steps
    logins, _ = await _run_rooms(monkeypatch, 3)
    assert logins == ["demo"]  # 25 minutes not reached: only the first log-in
