"""script/develop (tools/develop.py): readiness probe, command line, server language, the
simulator's state across restarts, a failing step. Its steps against Home Assistant and the
simulator: tests/e2e/test_demo.py."""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, Mock, patch

import aiohttp
from aiohttp import web
from homeassistant.components.http import ban
from homeassistant.core import HomeAssistant
from homeassistant.core_config import CORE_CONFIG_SCHEMA
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tools import develop
from tools.demo_content import DEMO_METER, shedding_automation
from tools.hass_client import DemoStepFailed
from tools.sandbox.state import CONSUMER_PRM


def _running() -> Any:
    return Mock(poll=Mock(return_value=None))


async def test_readiness_probe_fails_no_authentication(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The probe must not raise "Login attempt failed" (an unauthenticated /api/ does)."""
    assert await async_setup_component(hass, "auth", {})
    assert await async_setup_component(hass, "api", {})
    client = await hass_client_no_auth()
    wrong_login = AsyncMock(wraps=ban.process_wrong_login)

    with patch.object(ban, "process_wrong_login", wrong_login):
        await develop.Hass(client, "").wait_until_up(_running(), within=30)  # type: ignore[arg-type]
        assert wrong_login.await_count == 0

        # What the old probe did: a failed login, and the notification that goes with it.
        response = await client.get("/api/")
        assert response.status == 401
        assert wrong_login.await_count == 1


async def test_readiness_probe_waits_while_the_auth_views_are_missing(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Up = the login views answer (404 before they are registered: keep waiting)."""
    assert await async_setup_component(hass, "http", {})
    client = await hass_client_no_auth()
    process = Mock(poll=Mock(side_effect=[None, None, 1]), returncode=1)

    # Without the auth views the probe gets 404 and polls on, until the process is gone.
    with (
        patch.object(develop.asyncio, "sleep", AsyncMock()),
        pytest.raises(RuntimeError, match="exited with code 1"),
    ):
        await develop.Hass(client, "").wait_until_up(process, within=30)  # type: ignore[arg-type]


def test_every_option_has_a_description() -> None:
    parser = develop.build_parser()

    undocumented = [
        action.option_strings
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and not (action.help or "").strip()
    ]
    assert undocumented == []
    text = parser.format_help()
    for option in ("--config", "--port", "--sandbox-port", "--timeout", "--language"):
        assert option in text


def test_language_option() -> None:
    parser = develop.build_parser()

    assert parser.parse_args([]).language == "en"
    assert parser.parse_args(["--language", "fr"]).language == "fr"


def test_server_language_is_written_to_the_configuration(tmp_path: Path) -> None:
    config = tmp_path / "config"
    develop.write_config(config, 8213, "fr")

    core = load_yaml_dict(config / "configuration.yaml")["homeassistant"]
    assert CORE_CONFIG_SCHEMA(core)["language"] == "fr"

    develop.write_config(config, 8213, "en")  # the demo configuration follows each run
    assert load_yaml_dict(config / "configuration.yaml")["homeassistant"]["language"] == "en"


def test_the_demo_names_follow_the_language(tmp_path: Path) -> None:
    config = tmp_path / "config"

    develop.write_config(config, 8213, "en")
    english = load_yaml_dict(config / "configuration.yaml")
    develop.write_config(config, 8213, "fr")
    french = load_yaml_dict(config / "configuration.yaml")

    assert english["homeassistant"]["name"] == "Délestage (demo)"
    assert english["input_boolean"]["chauffe_eau"]["name"] == "Water heater"
    assert french["input_boolean"]["chauffe_eau"]["name"] == "Chauffe-eau"
    assert set(english["input_boolean"]) == set(french["input_boolean"])  # same entity ids
    level = "sensor.rte_ecowatt_level_now"
    assert shedding_automation("en", level)["alias"].startswith("Délestage: switch the loads off")
    assert shedding_automation("fr", level)["alias"].startswith("Délestage : couper les charges")


def _url(runner: web.AppRunner) -> str:
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}"


async def test_a_red_period_set_in_the_demo_survives_a_restart(
    tmp_path: Path, socket_enabled: None
) -> None:
    """Restarting script/develop restarts the simulator: the red period set by hand stays."""
    runner, state = await develop.start_sandbox("127.0.0.1", 0, "http://localhost:8123", tmp_path)
    assert state.red_start == state.default_red_start(1)  # the demo's red run: in an hour
    try:
        async with aiohttp.ClientSession() as session:
            answer = await session.post(
                f"{_url(runner)}/_control/rte/red", json={"in_hours": 0, "hours": 2}
            )
            red_run = await answer.json()
    finally:
        await runner.cleanup()

    runner, state = await develop.start_sandbox("127.0.0.1", 0, "http://localhost:8123", tmp_path)
    try:
        async with aiohttp.ClientSession() as session:
            described = await (await session.get(f"{_url(runner)}/_control")).json()
    finally:
        await runner.cleanup()
    assert described["red_run"] == red_run
    assert (tmp_path / develop.SANDBOX_STATE).is_file()


async def test_a_failing_step_ends_the_demo_with_status_1(
    tmp_path: Path, socket_enabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """No "Ready" banner after a step that failed: its message, and exit status 1."""
    args = develop.build_parser().parse_args(
        ["--config", str(tmp_path), "--sandbox-port", "0", "--exit-when-ready"]
    )
    stopped = Mock(poll=Mock(return_value=0))
    failure = DemoStepFailed("Tempo tariff: unexpected step 'enedis_offpeak'")
    with (
        patch.object(develop.Hass, "wait_until_up", AsyncMock()),
        patch.object(develop.Hass, "log_in", AsyncMock()),
        patch.object(develop.Hass, "wait_until_running", AsyncMock()),
        patch.object(develop, "provision", AsyncMock(side_effect=failure)),
    ):
        status = await develop.run(args, tmp_path, stopped, 0.0)

    assert status == 1
    out = capsys.readouterr().out
    assert "The demo is not ready: Tempo tariff: unexpected step 'enedis_offpeak'" in out
    assert "Ready in" not in out


def test_the_demo_meter_is_the_simulators_consumer() -> None:
    assert DEMO_METER == CONSUMER_PRM


@pytest.mark.parametrize(
    ("paris_time", "checked"),
    [
        # CI's hour: Enedis would not serve yesterday before 08:00, the demo's simulator does.
        ("2026-12-08T00:30:00+01:00", "2026-12-07"),
        ("2026-12-08T07:59:00+01:00", "2026-12-07"),
        ("2026-12-08T08:00:00+01:00", "2026-12-07"),
        ("2026-12-01T00:30:00+01:00", "2026-11-30"),
        # Started at 23:59: midnight passes while the entries are added; the day fetched stays.
        ("2026-12-07T23:59:00+01:00", "2026-12-06"),
    ],
)
async def test_the_demo_checks_the_costs_of_the_day_its_simulator_served(
    tmp_path: Path, socket_enabled: None, paris_time: str, checked: str
) -> None:
    """provision() reads the newest Linky day from the simulator before adding the meter."""
    runner, state = await develop.start_sandbox("127.0.0.1", 0, "http://localhost:8123", tmp_path)
    now = datetime.fromisoformat(paris_time)
    state.clock = lambda: now

    def two_minutes_later(*_: Any) -> None:
        nonlocal now
        now += timedelta(minutes=2)

    check_costs = AsyncMock(return_value="Checked")
    steps = ("add_rte", "add_meteofrance", "add_gateways", "set_tariff", "set_energy")
    try:
        async with aiohttp.ClientSession() as session:
            with (
                patch.multiple(develop, **{step: AsyncMock() for step in steps}),
                patch.object(develop, "add_enedis", AsyncMock(side_effect=two_minutes_later)),
                patch.object(develop, "add_tempo_dashboard", AsyncMock()),
                patch.object(develop, "add_shedding", AsyncMock()),
                patch.object(develop, "add_preheating_dashboard", AsyncMock()),
                patch.object(develop, "ignore_host_notices", AsyncMock()),
                patch.object(develop.demo_check, "check_costs", check_costs),
            ):
                await develop.provision(develop.Hass(session, ""), _url(runner), tmp_path, 5)
    finally:
        await runner.cleanup()

    assert state.config.enedis_publication_hour == develop.DEMO_PUBLICATION_HOUR == 0
    check_costs.assert_awaited_once()
    assert check_costs.await_args.args[2] == date.fromisoformat(checked)
