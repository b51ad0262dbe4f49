"""Config flow of a station: credentials, station picker, reauth, reconfigure, options."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.meteofrance.flow import station_display_name

from ..conftest import FakeDns
from .conftest import FIXTURE_NOW, station_entry
from .fake_dpobs import API_KEY, APPLICATION_ID, FakeDpobs, throttled

pytestmark = pytest.mark.freeze_time(FIXTURE_NOW)


@pytest.fixture(autouse=True)
def home_in_paris(hass: HomeAssistant) -> None:
    """Home at the Hôtel de Ville, Paris."""
    hass.config.latitude = 48.8566
    hass.config.longitude = 2.3522


async def start(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "meteofrance"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meteofrance"
    return result


def credentials(url: str, method: str = "api_key", secret: str = API_KEY) -> dict[str, Any]:
    return {"auth_method": method, "credential": secret, "advanced": {"api_base_url": url}}


async def to_station_step(hass: HomeAssistant, url: str, **kwargs: str) -> dict[str, Any]:
    result = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(url, **kwargs)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meteofrance_station"
    return result


def station_options(result: dict[str, Any]) -> list[dict[str, str]]:
    field = result["data_schema"].schema["station_id"]
    return list(field.config["options"])


async def test_api_key_and_nearest_station(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    result = await to_station_step(hass, dpobs_url)

    options = station_options(result)
    assert [option["value"] for option in options[:3]] == ["75114001", "92046001", "78621001"]
    assert options[0]["label"] == "Paris-Montsouris (75114001) – 4.0 km"
    assert options[1]["label"].startswith("Châtillon (92046001) – ")
    assert result["description_placeholders"] == {"count": "8"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"station_id": "75114001"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Paris-Montsouris"
    assert result["data"] == {
        "entry_type": "meteofrance",
        "auth_method": "api_key",
        "api_key": API_KEY,
        "station_id": "75114001",
        "api_base_url": dpobs_url,
    }
    assert result["options"] == {"resolution": "hourly"}
    entry = result["result"]
    assert entry.unique_id == "75114001"
    assert entry.state is ConfigEntryState.LOADED
    # Validated with the list and one observation, then the entry's own first observation.
    assert [path.rsplit("/", 1)[-1] for path, _, _ in fake_dpobs.data_requests] == [
        "liste-stations",
        "horaire",
        "horaire",
    ]


async def test_manual_id_keeps_its_leading_zero(hass: HomeAssistant, dpobs_url: str) -> None:
    result = await to_station_step(hass, dpobs_url)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"station_id": " 01014002 "}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Arbent"
    assert result["data"]["station_id"] == "01014002"
    assert result["result"].unique_id == "01014002"


async def test_station_missing_from_the_list(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    record = {**fake_dpobs.observations["horaire", "75114001"][0], "geo_id_insee": "97209001"}
    fake_dpobs.observations["horaire", "97209001"] = [record]
    result = await to_station_step(hass, dpobs_url)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"station_id": "97209001"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "97209001"


@pytest.mark.parametrize(
    ("station_id", "error"),
    [
        ("1014002", "meteofrance_invalid_station_id"),  # leading zero lost
        ("0101400A", "meteofrance_invalid_station_id"),
        ("99999999", "meteofrance_station_not_found"),  # empty list: no such station
    ],
)
async def test_bad_station_then_a_good_one(
    hass: HomeAssistant, dpobs_url: str, station_id: str, error: str
) -> None:
    result = await to_station_step(hass, dpobs_url)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"station_id": station_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"station_id": error}
    # The typed id is offered again.
    assert station_options(result)[0] == {"value": station_id, "label": station_id}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"station_id": "75114001"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_application_id(hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs) -> None:
    result = await to_station_step(
        hass, dpobs_url, method="application_id", secret=f" {APPLICATION_ID} "
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"station_id": "75114001"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        "entry_type": "meteofrance",
        "auth_method": "application_id",
        "application_id": APPLICATION_ID,
        "station_id": "75114001",
        "api_base_url": dpobs_url,
    }
    assert fake_dpobs.token_requests >= 1


def _status(status: int, body: object) -> Callable[[], web.Response]:
    return lambda: web.json_response(body, status=status)


@pytest.mark.parametrize(
    ("method", "secret", "fault", "error"),
    [
        ("api_key", "wrong-key", None, "meteofrance_invalid_auth"),
        ("application_id", "not an id", None, "meteofrance_invalid_application_id"),
        ("application_id", "dXNlcjpwYXNz", None, "meteofrance_invalid_auth"),  # user:pass
        ("api_key", API_KEY, _status(403, {"message": "Forbidden"}), "meteofrance_not_subscribed"),
        (
            "api_key",
            API_KEY,
            lambda: throttled("2026-Nov-23 15:12:00+0000 UTC"),
            ("meteofrance_rate_limited"),
        ),
        ("api_key", API_KEY, _status(500, {"message": "boom"}), "meteofrance_cannot_connect"),
        (
            "api_key",
            API_KEY,
            lambda: web.Response(text="Id_station;Nom\n"),
            (
                "meteofrance_cannot_connect"  # a station list without positions
            ),
        ),
    ],
)
async def test_credential_errors_then_success(
    hass: HomeAssistant,
    dpobs_url: str,
    fake_dpobs: FakeDpobs,
    method: str,
    secret: str,
    fault: Callable[[], web.Response] | None,
    error: str,
) -> None:
    if fault is not None:
        fake_dpobs.faults.append(fault)
    result = await start(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(dpobs_url, method, secret)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meteofrance"
    assert result["errors"] == {"base": error}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(dpobs_url)
    )
    assert result["step_id"] == "meteofrance_station"


@pytest.mark.parametrize(
    ("base_url", "error"),
    [
        ("ftp://example.com", "meteofrance_invalid_url"),
        # Plain http to the Internet would send the API key in clear.
        ("http://public-api.meteofrance.fr/public/DPObs/v1", "meteofrance_insecure_url"),
        ("http://203.0.113.9.nip.example/public/DPObs/v1", "meteofrance_insecure_url"),
    ],
)
async def test_invalid_base_url(
    hass: HomeAssistant, fake_dpobs: FakeDpobs, fake_dns: FakeDns, base_url: str, error: str
) -> None:
    fake_dns["public-api.meteofrance.fr"] = ["185.86.168.137"]
    result = await start(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(base_url)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"api_base_url": error}
    assert fake_dpobs.requests == []


async def test_station_already_configured(hass: HomeAssistant, dpobs_url: str) -> None:
    station_entry(dpobs_url).add_to_hass(hass)
    result = await to_station_step(hass, dpobs_url)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"station_id": "75114001"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_with_a_new_credential(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    entry = station_entry(dpobs_url)
    entry.add_to_hass(hass)

    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_meteofrance"
    assert result["description_placeholders"]["station"] == "Paris-Montsouris"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"auth_method": "api_key", "credential": "revoked"}
    )
    assert result["errors"] == {"base": "meteofrance_invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"auth_method": "application_id", "credential": APPLICATION_ID}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert dict(entry.data) == {
        "entry_type": "meteofrance",
        "auth_method": "application_id",
        "application_id": APPLICATION_ID,
        "station_id": "75114001",
        "api_base_url": dpobs_url,
    }
    # Checked on the entry's own station.
    assert fake_dpobs.data_requests[-1][2]["id_station"] == "75114001"


async def test_reconfigure_station_and_resolution(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    entry = station_entry(dpobs_url)
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_meteofrance"
    assert station_options(result)[0]["value"] == "75114001"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"station_id": "1014002", "resolution": "six_minutes"}
    )
    assert result["errors"] == {"station_id": "meteofrance_invalid_station_id"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"station_id": "01014002", "resolution": "six_minutes"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == "01014002"
    assert entry.title == "Arbent"
    assert entry.data["station_id"] == "01014002"
    assert entry.options == {"resolution": "six_minutes"}
    assert fake_dpobs.data_requests[-1][0].endswith("/station/infrahoraire-6m")


async def test_reconfigure_resolution_only_keeps_title(hass: HomeAssistant, dpobs_url: str) -> None:
    entry = station_entry(dpobs_url, title="My garden station")
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"station_id": "75114001", "resolution": "hourly"}
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert entry.title == "My garden station"
    assert entry.unique_id == "75114001"


async def test_reconfigure_to_a_station_of_another_entry(
    hass: HomeAssistant, dpobs_url: str
) -> None:
    entry = station_entry(dpobs_url)
    entry.add_to_hass(hass)
    station_entry(dpobs_url, "01014002", "Arbent").add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"station_id": "01014002", "resolution": "hourly"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.unique_id == "75114001"


async def test_reconfigure_without_station_list(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    entry = station_entry(dpobs_url)
    entry.add_to_hass(hass)
    fake_dpobs.faults.append(lambda: web.Response(status=503))

    result = await entry.start_reconfigure_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert station_options(result) == [{"value": "75114001", "label": "75114001"}]


async def test_options_flow_switches_resolution(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    entry = station_entry(dpobs_url, "01014002", "Arbent")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meteofrance_options"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"resolution": "six_minutes"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {"resolution": "six_minutes"}
    assert entry.state is ConfigEntryState.LOADED  # reloaded
    assert fake_dpobs.data_requests[-1][0].endswith("/station/infrahoraire-6m")


@pytest.mark.parametrize(
    ("name", "display"),
    [
        ("PARIS-MONTSOURIS", "Paris-Montsouris"),
        ("BRÉTIGNY-SUR-ORGE", "Brétigny-sur-Orge"),
        ("LE PUY-EN-VELAY", "Le Puy-en-Velay"),
        ("ST GERMAIN DE LA COUDRE", "St Germain de la Coudre"),
    ],
)
def test_station_display_name(name: str, display: str) -> None:
    assert station_display_name(name) == display
