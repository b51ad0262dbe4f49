"""Config flow of a Linky entry through a gateway, against the simulator's gateways.

Per source: valid secret, wrong secret, expired token, several meters (pick list), reauth.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestServer
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.const import DOMAIN
from tools.sandbox import SandboxState, create_app
from tools.sandbox.conso_api import make_token
from tools.sandbox.state import CONSUMER_PRM, PRODUCER_PRM, SandboxConfig
from tools.sandbox.weather import PARIS

SECRET = SandboxConfig().conso_api_secret
MED_SECRET = SandboxConfig().med_client_secret


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncGenerator[tuple[SandboxState, str]]:
    """The simulator on localhost; returns its state and root URL."""
    state = SandboxState(SandboxConfig())
    server = TestServer(create_app(state))
    await server.start_server()
    yield state, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture(autouse=True)
def no_setup() -> Generator[None]:
    """The flow only: entries are not set up."""
    with (
        patch("custom_components.delestage.async_setup_entry", return_value=True),
        patch("custom_components.delestage.async_unload_entry", return_value=True),
    ):
        yield


def token(prms: list[str], days: int = 1094, secret: str = SECRET) -> str:
    return make_token(secret, prms, datetime.now(UTC), days)


async def open_source(hass: HomeAssistant, source: str) -> dict[str, Any]:
    """Menu → Enedis → the source menu → the source's form."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "enedis"}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [
        "enedis_conso_api",
        "enedis_myelectricaldata",
        "enedis_dataconnect",
    ]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": f"enedis_{source}"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == f"enedis_{source}"
    return result


async def submit(
    hass: HomeAssistant, result: dict[str, Any], url: str, secret: str, **extra: Any
) -> dict[str, Any]:
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": secret, "advanced": {"api_base_url": url}, **extra}
    )


async def test_conso_api_valid_token(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    state, root = simulator
    secret = token([CONSUMER_PRM], days=400)
    result = await open_source(hass, "conso_api")
    assert result["description_placeholders"] == {"url": "https://conso.boris.sh"}
    result = await submit(hass, result, f"{root}/conso_api/api", secret, production=False)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected_end = (datetime.now(UTC) + timedelta(days=400)).astimezone().date()
    assert result["data"] == {
        "entry_type": "enedis",
        "source": "conso_api",
        "prm": CONSUMER_PRM,
        "api_token": secret,
        "consent_end": result["data"]["consent_end"],
        "production": False,
        "api_base_url": f"{root}/conso_api/api",
    }
    assert (
        abs((datetime.fromisoformat(result["data"]["consent_end"]).date() - expected_end).days) <= 1
    )
    assert result["result"].unique_id == CONSUMER_PRM
    assert result["title"] == "Linky …9012"
    # One cheap request checked the token (yesterday's daily values).
    assert state.stats["conso_api"].calls == 1
    assert list(state.stats["conso_api"].by_path) == ["/api/consommation_quotidienne"]


async def test_conso_api_several_meters_pick_list(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    _, root = simulator
    result = await open_source(hass, "conso_api")
    result = await submit(
        hass, result, f"{root}/conso_api/api", token([CONSUMER_PRM, PRODUCER_PRM]), production=True
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "enedis_gateway_meter"
    options = result["data_schema"].schema["prm"].config["options"]
    assert [option["value"] for option in options] == [CONSUMER_PRM, PRODUCER_PRM]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"prm": PRODUCER_PRM}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["prm"] == PRODUCER_PRM
    assert result["data"]["production"] is True


@pytest.mark.parametrize(
    ("secret", "error"),
    [
        ("abc", "enedis_token_malformed"),
        (token([CONSUMER_PRM], days=0), "enedis_token_expired"),
        (token([CONSUMER_PRM], secret="not-the-gateway-key"), "enedis_token_invalid"),
    ],
)
async def test_conso_api_wrong_or_expired_token(
    hass: HomeAssistant, simulator: tuple[SandboxState, str], secret: str, error: str
) -> None:
    _, root = simulator
    result = await open_source(hass, "conso_api")
    result = await submit(hass, result, f"{root}/conso_api/api", secret, production=False)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"api_token": error}
    # The user pastes the right one: the same form goes on.
    result = await submit(hass, result, f"{root}/conso_api/api", token([CONSUMER_PRM]))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_conso_api_unreachable_and_bad_url(hass: HomeAssistant) -> None:
    result = await open_source(hass, "conso_api")
    result = await submit(hass, result, "ftp:nope", token([CONSUMER_PRM]))
    assert result["errors"] == {"base": "invalid_url"}
    with patch(
        "custom_components.delestage.api.enedis_gateways.async_fetch",
        side_effect=__import__(
            "custom_components.delestage.api.errors", fromlist=["ApiConnectionError"]
        ).ApiConnectionError("down"),
    ):
        result = await submit(hass, result, "http://127.0.0.1:9/api", token([CONSUMER_PRM]))
    assert result["errors"] == {"base": "enedis_cannot_connect"}


async def test_myelectricaldata_valid_secret_several_meters(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    state, root = simulator
    result = await open_source(hass, "myelectricaldata")
    assert "production" not in result["data_schema"].schema
    result = await submit(hass, result, f"{root}/myelectricaldata/api", MED_SECRET)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "enedis_gateway_meter"
    labels = [o["label"] for o in result["data_schema"].schema["prm"].config["options"]]
    assert labels == [f"{CONSUMER_PRM} (Maison)", f"{PRODUCER_PRM} (Maison solaire)"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"prm": PRODUCER_PRM}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        "entry_type": "enedis",
        "source": "myelectricaldata",
        "prm": PRODUCER_PRM,
        "api_token": MED_SECRET,
        "consent_end": None,
        "production": True,
        "api_base_url": f"{root}/myelectricaldata/api",
    }
    # The meter list was the check: one request.
    assert state.stats["myelectricaldata"].calls == 1


async def test_myelectricaldata_single_meter_and_wrong_secret(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    state, root = simulator
    state.meters[PRODUCER_PRM].consent = False
    result = await open_source(hass, "myelectricaldata")
    result = await submit(hass, result, f"{root}/myelectricaldata/api", "wrong")
    assert result["errors"] == {"api_token": "enedis_token_invalid"}
    result = await submit(hass, result, f"{root}/myelectricaldata/api", MED_SECRET)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["prm"] == CONSUMER_PRM
    # Already added: refused.
    result = await open_source(hass, "myelectricaldata")
    result = await submit(hass, result, f"{root}/myelectricaldata/api", MED_SECRET)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_myelectricaldata_account_without_meter(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    state, root = simulator
    for meter in state.meters.values():
        meter.consent = False
    result = await open_source(hass, "myelectricaldata")
    result = await submit(hass, result, f"{root}/myelectricaldata/api", MED_SECRET)
    assert result["errors"] == {"base": "enedis_no_meter"}


def gateway_entry(source: str, url: str, secret: str, prm: str = CONSUMER_PRM) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Linky …9012",
        unique_id=prm,
        version=1,
        minor_version=3,
        data={
            "entry_type": "enedis",
            "source": source,
            "prm": prm,
            "api_token": secret,
            "consent_end": None,
            "production": False,
            "api_base_url": url,
        },
    )


async def test_conso_api_reauth(hass: HomeAssistant, simulator: tuple[SandboxState, str]) -> None:
    _, root = simulator
    entry = gateway_entry("conso_api", f"{root}/conso_api/api", "old")
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_enedis_gateway"
    assert result["description_placeholders"]["gateway"] == "Conso API"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": token([PRODUCER_PRM])}
    )
    assert result["errors"] == {"api_token": "enedis_token_wrong_meter"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": token([CONSUMER_PRM], days=0)}
    )
    assert result["errors"] == {"api_token": "enedis_token_expired"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": token([CONSUMER_PRM], secret="forged")}
    )
    assert result["errors"] == {"api_token": "enedis_token_invalid"}
    new = token([CONSUMER_PRM, PRODUCER_PRM])
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"api_token": new})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["api_token"] == new
    assert entry.data["consent_end"] is not None
    assert entry.data["api_base_url"] == f"{root}/conso_api/api"


async def test_myelectricaldata_reauth(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    _, root = simulator
    entry = gateway_entry("myelectricaldata", f"{root}/myelectricaldata/api", "old")
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["description_placeholders"]["gateway"] == "MyElectricalData"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"api_token": "x"})
    assert result["errors"] == {"api_token": "enedis_token_invalid"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_token": MED_SECRET}
    )
    assert result["reason"] == "reauth_successful"
    assert entry.data["api_token"] == MED_SECRET
    # Reconfigure is for Data Connect entries; a gateway entry changes its secret by reauth.
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_not_supported"


async def test_gateway_quota_answer_in_the_flow(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    state, root = simulator
    from tools.sandbox.state import Fault

    state.add_fault("conso_api", Fault("429", 1))
    result = await open_source(hass, "conso_api")
    result = await submit(hass, result, f"{root}/conso_api/api", token([CONSUMER_PRM]))
    assert result["errors"] == {"base": "enedis_gateway_refused"}


async def test_conso_api_pick_list_then_refused_and_no_data_yet(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    state, root = simulator
    result = await open_source(hass, "conso_api")
    forged = token([CONSUMER_PRM, PRODUCER_PRM], secret="forged")
    result = await submit(hass, result, f"{root}/conso_api/api", forged)
    assert result["step_id"] == "enedis_gateway_meter"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"prm": CONSUMER_PRM}
    )
    assert result["errors"] == {"base": "enedis_token_invalid"}
    # A meter with no published day yet (404), or not even activated (ADAM-ERR0123): the token
    # works, the entry is made.
    for prm, days in ((CONSUMER_PRM, 0), (PRODUCER_PRM, 3)):
        state.meters[prm].activation = datetime.now(PARIS).date() + timedelta(days=days)
        state.meters[prm].producer = False
        result = await open_source(hass, "conso_api")
        result = await submit(hass, result, f"{root}/conso_api/api", token([prm]))
        assert result["type"] is FlowResultType.CREATE_ENTRY, result
