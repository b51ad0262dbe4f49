"""The Enedis consent flow, end to end through the callback view."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any
from unittest.mock import patch
from urllib.parse import parse_qs, urlparse

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ImplementationUnavailableError
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.delestage import application_credentials
from custom_components.delestage.const import DOMAIN
from custom_components.delestage.enedis.flow import split_usage_points
from custom_components.delestage.enedis.oauth import (
    EnedisOAuth2Implementation,
    PendingConsents,
    async_pending_consents,
)

from .conftest import AUTH_DOMAIN, CALLBACK, consent_state, make_entry, paris_today
from .fake_enedis import CLIENT_ID, PRM, FakeEnedis

pytestmark = pytest.mark.usefixtures("credentials")


@pytest.fixture(autouse=True)
def no_entry_setup() -> Generator[None]:
    """The flow's tests stop at the entry; setting it up is tested elsewhere."""
    with (
        patch("custom_components.delestage.async_setup_entry", return_value=True),
        patch("custom_components.delestage.async_unload_entry", return_value=True),
    ):
        yield


async def _start(hass: HomeAssistant, api_url: str, duration: str = "p3y") -> dict[str, Any]:
    """Menu → Enedis → form → submit: returns the external step."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "enedis"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "enedis_dataconnect"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "enedis_dataconnect"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "consent_duration": duration,
            "advanced": {"environment": "production", "api_base_url": api_url},
        },
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    return dict(result)


async def _redirect(client: Any, **query: str) -> tuple[int, str]:
    response = await client.get(CALLBACK, params=query)
    return response.status, await response.text()


async def test_v2_consent_creates_the_entry(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, api_url: str
) -> None:
    result = await _start(hass, api_url, "p2y")

    url = urlparse(result["url"])
    query = parse_qs(url.query)
    # With an API base URL (the simulator), its consent page stands in for Enedis' one.
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{api_url}/dataconnect/v2/oauth2/authorize"
    assert query["client_id"] == [CLIENT_ID]
    assert query["duration"] == ["P2Y"]
    assert query["response_type"] == ["code"]
    state = query["state"][0]
    assert 16 <= len(state) <= 100
    assert result["flow_id"] not in state  # the flow id stays on our side

    client = await hass_client_no_auth()
    status, text = await _redirect(client, autorisation_id="123", state=state)
    assert status == 200
    assert "window.close()" in text

    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Linky …0123"
    assert PRM not in result["title"]
    entry = result["result"]
    assert entry.unique_id == PRM
    data = dict(entry.data)
    token = data.pop("token")
    assert token["access_token"].startswith("eyJ")
    assert token["expires_at"] > 0
    assert data == {
        "entry_type": "enedis",
        "source": "dataconnect",
        "auth_implementation": AUTH_DOMAIN,
        "prm": PRM,
        "autorisation_id": "123",
        "consent_end": "2029-11-20",
        "consent_duration": "p2y",
        "environment": "production",
        "production": False,
        "api_base_url": api_url,
    }

    # The state was single use.
    status, _ = await _redirect(client, autorisation_id="123", state=state)
    assert status == 400


async def test_production_meter_is_flagged(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    api_url: str,
    gateway: FakeEnedis,
) -> None:
    gateway.producer = True
    result = await _start(hass, api_url)
    client = await hass_client_no_auth()
    await _redirect(client, autorisation_id="123", state=consent_state(result["url"]))
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["result"].data["production"] is True


async def test_v1_redirect_with_one_meter(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, api_url: str
) -> None:
    result = await _start(hass, api_url, "p1y")
    client = await hass_client_no_auth()
    status, _ = await _redirect(
        client,
        code="cg0ooX32Nx45gpSkQR8LRCUx",
        usage_point_id=PRM,
        state=consent_state(result["url"]),
    )
    assert status == 200

    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["result"].data
    assert data["prm"] == PRM
    assert data["autorisation_id"] is None
    # A v1 redirect has no end date: it is counted from today.
    assert data["consent_end"] == (paris_today() + timedelta(days=365)).isoformat()
    assert data["token"]["access_token"]


async def test_v1_redirect_with_several_meters_lets_the_user_pick(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, api_url: str
) -> None:
    other = "11111111111111"
    result = await _start(hass, api_url)
    client = await hass_client_no_auth()
    await _redirect(
        client, code="abc", usage_point_id=f"{other};{PRM}", state=consent_state(result["url"])
    )

    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "enedis_pick_meter"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"prm": other})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == other


def test_split_usage_points() -> None:
    assert split_usage_points(" 1;2 ; 2,3;") == ["1", "2", "3"]
    assert split_usage_points("") == []


async def test_v1_redirect_with_a_bad_meter_number(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, api_url: str
) -> None:
    result = await _start(hass, api_url)
    client = await hass_client_no_auth()
    await _redirect(client, code="abc", usage_point_id="12AB", state=consent_state(result["url"]))
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_meter"


@pytest.mark.parametrize(
    ("error", "reason"),
    [("access_denied", "consent_refused"), ("server_error", "consent_failed")],
)
async def test_error_redirect_aborts(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    api_url: str,
    gateway: FakeEnedis,
    error: str,
    reason: str,
) -> None:
    result = await _start(hass, api_url)
    client = await hass_client_no_auth()
    status, _ = await _redirect(
        client, error=error, error_description="<b>no</b>", state=consent_state(result["url"])
    )
    assert status == 200

    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert result["description_placeholders"] == {"error": error}
    assert gateway.token_calls == 0


async def test_unknown_state_is_rejected(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, api_url: str
) -> None:
    result = await _start(hass, api_url)
    client = await hass_client_no_auth()

    status, text = await _redirect(client, autorisation_id="123", state="forged-state")
    assert status == 400
    assert "unknown" in text
    status, _ = await _redirect(client, autorisation_id="123", state="x" * 101)
    assert status == 400
    status, _ = await _redirect(client, autorisation_id="123")
    assert status == 400
    status, _ = await _redirect(client, state=consent_state(result["url"]))  # nothing usable
    assert status == 400

    # The flow still waits for Enedis; the real state still works.
    progress = hass.config_entries.flow.async_get(result["flow_id"])
    assert progress["step_id"] == "enedis_consent"
    status, _ = await _redirect(client, autorisation_id="123", state=consent_state(result["url"]))
    assert status == 200


async def test_expired_state_is_rejected(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    api_url: str,
    freezer: FrozenDateTimeFactory,
) -> None:
    result = await _start(hass, api_url)
    client = await hass_client_no_auth()
    freezer.tick(timedelta(minutes=10, seconds=1))

    status, _ = await _redirect(client, autorisation_id="123", state=consent_state(result["url"]))
    assert status == 400
    assert hass.config_entries.flow.async_get(result["flow_id"])["step_id"] == "enedis_consent"


def test_pending_consents_forget_expired_states(freezer: FrozenDateTimeFactory) -> None:
    pending = PendingConsents()
    first = pending.issue("flow-1")
    freezer.tick(timedelta(minutes=11))
    second = pending.issue("flow-2")

    assert len(pending) == 1  # the expired state was dropped
    assert first != second
    assert pending.claim(first) is None
    assert pending.claim(second) == "flow-2"
    assert pending.claim(second) is None


async def test_redirect_for_a_closed_flow(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, api_url: str
) -> None:
    result = await _start(hass, api_url)
    hass.config_entries.flow.async_abort(result["flow_id"])
    client = await hass_client_no_auth()
    status, text = await _redirect(
        client, autorisation_id="123", state=consent_state(result["url"])
    )
    assert status == 400
    assert "no longer open" in text


async def _remove_credentials(hass: HomeAssistant) -> None:
    storage = hass.data["application_credentials"]
    for item in list(storage.async_items()):
        await storage.async_delete_item(item["id"])


async def test_bad_app_secret_aborts(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, api_url: str
) -> None:
    await _remove_credentials(hass)
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(CLIENT_ID, "wrong"), AUTH_DOMAIN
    )
    result = await _start(hass, api_url)
    client = await hass_client_no_auth()
    await _redirect(client, autorisation_id="123", state=consent_state(result["url"]))
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_client"


async def test_unknown_consent_and_unreachable_gateway_abort(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, api_url: str
) -> None:
    result = await _start(hass, api_url)
    client = await hass_client_no_auth()
    await _redirect(client, autorisation_id="999", state=consent_state(result["url"]))
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"  # the consent covers no meter

    result = await _start(hass, "http://127.0.0.1:9")  # nothing listens there
    await _redirect(client, autorisation_id="123", state=consent_state(result["url"]))
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_same_meter_twice_aborts(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, api_url: str
) -> None:
    make_entry(api_url).add_to_hass(hass)
    result = await _start(hass, api_url)
    client = await hass_client_no_auth()
    await _redirect(client, autorisation_id="123", state=consent_state(result["url"]))
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_invalid_api_url_shows_an_error(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "enedis"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "enedis_dataconnect"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "consent_duration": "p3y",
            "advanced": {"environment": "sandbox", "api_base_url": "ftp:x"},
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_url"}


async def test_several_apps_let_the_user_choose(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, api_url: str
) -> None:
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential("other-id", "other-secret", "Other app"), "other_app"
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "enedis"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "enedis_dataconnect"}
    )
    assert "implementation" in result["data_schema"].schema
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "implementation": AUTH_DOMAIN,
            "consent_duration": "p3y",
            "advanced": {"environment": "production", "api_base_url": api_url},
        },
    )
    assert parse_qs(urlparse(result["url"]).query)["client_id"] == [CLIENT_ID]


async def test_no_app_credentials_aborts(hass: HomeAssistant) -> None:
    await _remove_credentials(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "enedis"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "enedis_dataconnect"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"


async def test_reauth_renews_the_consent(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    api_url: str,
    gateway: FakeEnedis,
) -> None:
    entry = make_entry(api_url, consent_end="2026-12-01")
    entry.add_to_hass(hass)
    gateway.consent_end = "2029-12-01"

    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_enedis"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"consent_duration": "p1y"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    assert parse_qs(urlparse(result["url"]).query)["duration"] == ["P1Y"]
    client = await hass_client_no_auth()
    await _redirect(client, autorisation_id="123", state=consent_state(result["url"]))
    result = await hass.config_entries.flow.async_configure(result["flow_id"])

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["consent_end"] == "2029-12-01"
    assert entry.data["consent_duration"] == "p1y"
    assert entry.data["api_base_url"] == api_url


async def test_reauth_with_another_meter_aborts(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, api_url: str
) -> None:
    entry = make_entry(api_url, prm="22222222222222")
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, unique_id="22222222222222")

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"consent_duration": "p3y"}
    )
    client = await hass_client_no_auth()
    await _redirect(client, autorisation_id="123", state=consent_state(result["url"]))
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_meter"
    assert entry.data["prm"] == "22222222222222"


async def test_reauth_without_the_app_credentials(hass: HomeAssistant, api_url: str) -> None:
    entry = make_entry(api_url, auth_implementation="removed_app")
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"consent_duration": "p3y"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"


async def test_reconfigure_renews_the_consent(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, api_url: str
) -> None:
    entry = make_entry(api_url, consent_end="2027-01-01")
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_enedis"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"consent_duration": "p3y"}
    )
    client = await hass_client_no_auth()
    await _redirect(client, autorisation_id="123", state=consent_state(result["url"]))
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["consent_end"] == "2029-11-20"


async def test_credentials_dialog_names_the_redirect_url(hass: HomeAssistant) -> None:
    await hass.config.async_update(external_url="https://home.example.org")
    placeholders = await application_credentials.async_get_description_placeholders(hass)
    assert placeholders["redirect_url"] == f"https://home.example.org{CALLBACK}"

    await hass.config.async_update(external_url=None, internal_url=None)
    placeholders = await application_credentials.async_get_description_placeholders(hass)
    assert placeholders["redirect_url"].endswith(CALLBACK)


async def test_implementation_default_consent_url(hass: HomeAssistant) -> None:
    implementation = await application_credentials.async_get_auth_implementation(
        hass, AUTH_DOMAIN, ClientCredential(CLIENT_ID, "secret")
    )
    assert isinstance(implementation, EnedisOAuth2Implementation)
    assert implementation.name == CLIENT_ID
    assert implementation.domain == AUTH_DOMAIN
    url = await implementation.async_generate_authorize_url("flow-id")
    assert url.startswith(
        "https://mon-compte-particulier.enedis.fr/dataconnect/v2/oauth2/authorize?"
    )
    assert parse_qs(urlparse(url).query)["duration"] == ["P3Y"]
    with pytest.raises(ValueError, match="duration"):
        implementation.async_consent_url("flow-id", "P5Y")
    assert await implementation.async_resolve_external_data({"a": "b"}) == {"a": "b"}


async def test_view_is_served_before_any_entry(hass: HomeAssistant) -> None:
    """A first consent starts before the integration is set up: the view still exists."""
    assert await async_setup_component(hass, "http", {})
    implementation = EnedisOAuth2Implementation(hass, AUTH_DOMAIN, ClientCredential("a", "b"))
    implementation.async_consent_url("flow", "p1y")
    implementation.async_consent_url("flow", "p1y")  # registered once
    routes = [
        resource.canonical
        for resource in hass.http.app.router.resources()  # type: ignore[attr-defined]
    ]
    assert routes.count(CALLBACK) == 1


async def test_credentials_provider_down(hass: HomeAssistant, api_url: str) -> None:
    with patch(
        "custom_components.delestage.enedis.flow.async_get_implementations",
        side_effect=ImplementationUnavailableError("down"),
    ):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "enedis"}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "enedis_dataconnect"}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "oauth_implementation_unavailable"

        entry = make_entry(api_url)
        entry.add_to_hass(hass)
        result = await entry.start_reauth_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"consent_duration": "p3y"}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "oauth_implementation_unavailable"


async def test_consent_step_without_redirect_shows_the_link_again(
    hass: HomeAssistant, api_url: str
) -> None:
    result = await _start(hass, api_url)
    flow = hass.config_entries.flow._progress[result["flow_id"]]
    again = await flow.async_step_enedis_consent(None)
    assert again["type"] is FlowResultType.EXTERNAL_STEP
    assert consent_state(again["url"]) != consent_state(result["url"])


async def test_redirect_url_without_any_known_address(hass: HomeAssistant) -> None:
    with patch("custom_components.delestage.enedis.oauth.get_url", side_effect=NoURLAvailableError):
        placeholders = await application_credentials.async_get_description_placeholders(hass)
    assert placeholders["redirect_url"] == (f"https://<your-home-assistant-address>{CALLBACK}")


async def test_second_link_of_a_flow_that_moved_on(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, api_url: str
) -> None:
    result = await _start(hass, api_url)
    spare = async_pending_consents(hass).issue(result["flow_id"])  # the link shown twice
    client = await hass_client_no_auth()
    await _redirect(
        client,
        code="abc",
        usage_point_id=f"11111111111111;{PRM}",
        state=consent_state(result["url"]),
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["step_id"] == "enedis_pick_meter"

    status, text = await _redirect(client, autorisation_id="123", state=spare)
    assert status == 400
    assert "moved on" in text
    assert hass.config_entries.flow.async_get(result["flow_id"])["step_id"] == "enedis_pick_meter"
