"""Config flow of the RTE entry: add, errors, reauth, reconfigure."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.delestage.const import DOMAIN

from ..conftest import FakeDns
from .conftest import CLIENT_ID, CLIENT_SECRET, ENTRY_DATA
from .fake_rte import FakeRte

NOW = datetime(2022, 6, 3, 8, 20, tzinfo=dt_util.get_time_zone("Europe/Paris"))


@pytest.fixture(autouse=True)
def _frozen(freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to(NOW)


async def _start(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "rte"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "rte"
    return dict(result)


def _form(**values: Any) -> dict[str, Any]:
    return {"environment": "production", "advanced": {}, **values}


async def test_add_keeps_the_first_answer_so_setup_makes_no_call(
    hass: HomeAssistant, fake_rte: FakeRte
) -> None:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "RTE Ecowatt"
    assert result["data"] == ENTRY_DATA
    entry = result["result"]
    assert entry.unique_id == CLIENT_ID
    assert entry.state is ConfigEntryState.LOADED
    # One token and one signals call in all: set-up reused both.
    assert fake_rte.calls["token"] == 1
    assert fake_rte.calls["signals"] == 1
    assert fake_rte.rate_limited == 0
    assert hass.states.get("sensor.rte_ecowatt_level_now").state == "red"  # type: ignore[union-attr]


async def test_add_with_base64_sandbox_and_simulator_url(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    fake = FakeRte(aioclient_mock, base_url="http://localhost:8099")
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "basic_auth": "b3RoZXItYXBwOm90aGVyLXNlY3JldA==",  # other-app:other-secret
            "environment": "sandbox",
            "advanced": {"api_base_url": "http://localhost:8099/"},
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "RTE Ecowatt (sandbox)"
    assert result["data"] == {
        "entry_type": "rte",
        "client_id": "other-app",
        "client_secret": "other-secret",
        "environment": "sandbox",
        "api_base_url": "http://localhost:8099",
    }
    assert fake.calls["sandbox"] == 1
    assert fake.calls["token"] == 1


@pytest.mark.parametrize(
    ("form", "setup", "error"),
    [
        (_form(client_id=CLIENT_ID), None, "rte_missing_credentials"),
        (_form(basic_auth="%%% not base64"), None, "rte_invalid_basic_auth"),
        (
            _form(client_id=CLIENT_ID, client_secret="s", advanced={"api_base_url": "ftp://x"}),
            None,
            "invalid_url",
        ),
        (_form(client_id=CLIENT_ID, client_secret="s"), {"token_status": 400}, "rte_invalid_auth"),
        (
            _form(client_id=CLIENT_ID, client_secret="s"),
            {"signals_status": 403},
            "rte_not_subscribed",
        ),
        (
            _form(client_id=CLIENT_ID, client_secret="s"),
            {"signals_status": 503},
            "rte_cannot_connect",
        ),
    ],
)
async def test_add_errors_then_recover(
    hass: HomeAssistant,
    fake_rte: FakeRte,
    form: dict[str, Any],
    setup: dict[str, Any] | None,
    error: str,
) -> None:
    for key, value in (setup or {}).items():
        setattr(fake_rte, key, value)
    result = await _start(hass)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    # Secrets are never suggested back into the form.
    fake_rte.token_status = fake_rte.signals_status = 200
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_plain_http_to_a_name_that_leads_off_the_local_network(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, fake_dns: FakeDns
) -> None:
    """``http://ai`` is refused when the name resolves to a public address, or to none."""
    fake_dns["ai"] = ["93.184.215.14"]  # a DNS search domain answered for the single label
    fake_dns["sandbox"] = ["172.18.0.2"]  # a Docker service on the local network
    fake = FakeRte(aioclient_mock, base_url="http://sandbox:8099")
    result = await _start(hass)
    for url in ("http://ai:8099", "http://nowhere:8099"):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            _form(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, advanced={"api_base_url": url}),
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "insecure_url"}
    assert aioclient_mock.call_count == 0  # the secret was sent nowhere

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _form(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            advanced={"api_base_url": "http://sandbox:8099"},
        ),
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["api_base_url"] == "http://sandbox:8099"
    assert fake.calls["token"] == 1


async def test_add_unexpected_error(hass: HomeAssistant, fake_rte: FakeRte) -> None:
    result = await _start(hass)
    with patch(
        "custom_components.delestage.rte.flow.RteClient.async_get_signals",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _form(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        )
    assert result["errors"] == {"base": "rte_unknown"}


async def test_rate_limited_then_added_without_a_second_call(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fake_rte: FakeRte
) -> None:
    fake_rte.last_signals_call = dt_util.utcnow() - timedelta(minutes=5)
    result = await _start(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    )
    assert result["errors"] == {"base": "rte_rate_limited"}
    assert result["description_placeholders"]["minutes"] == "10"  # Retry-After 600 s

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert fake_rte.calls["signals"] == 1
    # Set-up has no data yet and waits for the quota instead of calling.
    assert result["result"].state is ConfigEntryState.SETUP_RETRY


async def test_same_app_twice_aborts(hass: HomeAssistant, fake_rte: FakeRte) -> None:
    MockConfigEntry(domain=DOMAIN, unique_id=CLIENT_ID, data=dict(ENTRY_DATA)).add_to_hass(hass)
    result = await _start(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert fake_rte.calls["token"] == 0


async def _loaded_entry(hass: HomeAssistant) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN, title="RTE Ecowatt", unique_id=CLIENT_ID, data=dict(ENTRY_DATA)
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_reauth_with_new_secret(hass: HomeAssistant, fake_rte: FakeRte) -> None:
    entry = await _loaded_entry(hass)
    signals = fake_rte.calls["signals"]
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_rte"

    fake_rte.token_status = 401
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"client_secret": "wrong"}
    )
    assert result["errors"] == {"base": "rte_invalid_auth"}

    fake_rte.token_status = 200
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"client_secret": "new-secret"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "rte_reauth_successful"
    assert entry.data["client_secret"] == "new-secret"
    # The reload reuses the cached answer: no signals call (the quota is not touched).
    assert fake_rte.calls["signals"] == signals
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth_errors(hass: HomeAssistant, fake_rte: FakeRte) -> None:
    entry = await _loaded_entry(hass)
    result = await entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "rte_missing_credentials"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"basic_auth": "YW5vdGhlci1hcHA6eA=="}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "rte_unique_id_mismatch"


async def test_reconfigure_environment_keeps_secret(hass: HomeAssistant, fake_rte: FakeRte) -> None:
    entry = await _loaded_entry(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_rte"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"client_id": CLIENT_ID, "environment": "sandbox", "advanced": {}},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "rte_reconfigure_successful"
    assert entry.data == {**ENTRY_DATA, "environment": "sandbox"}
    assert fake_rte.calls["sandbox"] == 1  # tested once, then reused by set-up
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_within_quota_and_errors(hass: HomeAssistant, fake_rte: FakeRte) -> None:
    entry = await _loaded_entry(hass)
    result = await entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"client_id": CLIENT_ID, "environment": "production", "advanced": {"api_base_url": "x"}},
    )
    assert result["errors"] == {"base": "invalid_url"}

    fake_rte.token_status = 400
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"client_id": CLIENT_ID, "environment": "production", "advanced": {}}
    )
    assert result["errors"] == {"base": "rte_invalid_auth"}
    fake_rte.token_status = 200

    # Production again, 0 minutes after set-up's call: only the token is tested.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "client_id": CLIENT_ID,
            "client_secret": "s2",
            "environment": "production",
            "advanced": {},
        },
    )
    await hass.async_block_till_done()
    assert result["reason"] == "rte_reconfigure_successful"
    assert fake_rte.calls["signals"] == 1
    assert fake_rte.rate_limited == 0
    assert entry.data["client_secret"] == "s2"

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "client_id": "someone-else",
            "client_secret": "x",
            "environment": "production",
            "advanced": {},
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "rte_unique_id_mismatch"


async def _reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, environment: str
) -> dict[str, Any]:
    """Run the reconfigure step with the same app and another environment."""
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"client_id": CLIENT_ID, "environment": environment, "advanced": {}}
    )
    await hass.async_block_till_done()
    return dict(result)


async def test_failed_reconfigure_leaves_the_cache_of_the_running_entry(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fake_rte: FakeRte
) -> None:
    """A sandbox test that fails must not cost the production entry its cache."""
    entry = await _loaded_entry(hass)
    assert fake_rte.calls["signals"] == 1

    freezer.move_to(NOW + timedelta(minutes=5))
    fake_rte.signals_status = 503  # the sandbox is down too
    result = await _reconfigure(hass, entry, "sandbox")
    assert result["errors"] == {"base": "rte_cannot_connect"}
    fake_rte.signals_status = 200

    # The user gives up; Home Assistant restarts a few minutes later.
    freezer.move_to(NOW + timedelta(minutes=8))
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert fake_rte.calls["signals"] == 1
    assert fake_rte.rate_limited == 0
    assert hass.states.get("sensor.rte_ecowatt_level_now").state == "red"  # type: ignore[union-attr]


async def test_sandbox_and_back_keeps_the_production_quota(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fake_rte: FakeRte
) -> None:
    """Production -> sandbox -> production within 15 minutes: no second production call."""
    entry = await _loaded_entry(hass)

    freezer.move_to(NOW + timedelta(minutes=3))
    result = await _reconfigure(hass, entry, "sandbox")
    assert result["reason"] == "rte_reconfigure_successful"

    freezer.move_to(NOW + timedelta(minutes=6))
    result = await _reconfigure(hass, entry, "production")

    assert result["reason"] == "rte_reconfigure_successful"
    assert entry.state is ConfigEntryState.LOADED
    assert fake_rte.calls["signals"] == 1
    assert fake_rte.rate_limited == 0
    assert hass.states.get("sensor.rte_ecowatt_level_now").state == "red"  # type: ignore[union-attr]


async def test_refused_token_does_not_hold_the_first_call_after_reauth(
    hass: HomeAssistant, fake_rte: FakeRte
) -> None:
    """No signals call was made when the token was refused: nothing to wait for after reauth."""
    fake_rte.token_status = 400
    entry = await _loaded_entry(hass)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert fake_rte.calls["signals"] == 0

    fake_rte.token_status = 200
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"client_secret": "new-secret"}
    )
    await hass.async_block_till_done()

    assert result["reason"] == "rte_reauth_successful"
    assert entry.state is ConfigEntryState.LOADED
    assert fake_rte.calls["signals"] == 1
    assert hass.states.get("sensor.rte_ecowatt_level_now").state == "red"  # type: ignore[union-attr]
