"""script/develop (tools/develop.py): readiness probe, command line, server language."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, Mock, patch

from homeassistant.components.http import ban
from homeassistant.core import HomeAssistant
from homeassistant.core_config import CORE_CONFIG_SCHEMA
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tools import develop


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
