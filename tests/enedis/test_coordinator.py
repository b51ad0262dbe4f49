"""The daily Linky refresh: values, schedule, and each error's Home Assistant mechanism."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from aiohttp import web
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.config_entry_oauth2_flow import async_get_config_entry_implementation
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.enedis.client import async_create_client
from custom_components.delestage.enedis.coordinator import LinkyCoordinator, consent_end
from custom_components.delestage.enedis.oauth import EnedisOAuth2Implementation

from .conftest import make_entry, paris_today, yesterday
from .fake_enedis import PARIS, FakeEnedis

pytestmark = pytest.mark.usefixtures("credentials")


async def make_coordinator(
    hass: HomeAssistant, entry: MockConfigEntry, *, producing: bool = False
) -> LinkyCoordinator:
    """A coordinator whose statistics belong to the back-fill (no recorder needed)."""
    assert await async_setup_component(hass, DOMAIN, {})  # as when entries are set up
    entry.add_to_hass(hass)
    implementation = await async_get_config_entry_implementation(hass, entry)
    assert isinstance(implementation, EnedisOAuth2Implementation)
    client = async_create_client(
        hass,
        implementation,
        environment="production",
        api_base_url=entry.data["api_base_url"],
    )
    coordinator = LinkyCoordinator(hass, entry, client, producing=producing)
    coordinator.import_statistics = False
    return coordinator


def inject(gateway: FakeEnedis, status: int, code: str, **headers: str) -> None:
    """The next data call answers this error."""
    gateway.injected.append(
        web.json_response({"code": code, "message": "erreur"}, status=status, headers=headers)
    )


def issues(hass: HomeAssistant) -> dict[str, ir.IssueEntry]:
    """Open issues of the integration, by translation key."""
    return {
        issue.translation_key: issue
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key
    }


def reauth_flows(hass: HomeAssistant) -> list[Any]:
    """Reauth flows in progress."""
    return [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


async def test_refresh_reads_the_newest_values(
    hass: HomeAssistant, api_url: str, gateway: FakeEnedis
) -> None:
    coordinator = await make_coordinator(hass, make_entry(api_url))
    await coordinator.async_refresh()

    assert coordinator.last_update_success
    data = coordinator.data
    assert data.consumption.day == yesterday()
    assert data.consumption.wh == gateway.daily_wh(yesterday())
    assert data.max_power.va == 4680
    assert data.subscribed_power_kva == 12
    assert data.consent_end.isoformat() == "2029-11-20"
    assert data.production is None

    # The contract is read once a day.
    contract_calls = sum(1 for _ in gateway.requests)  # measure calls only
    await coordinator.async_refresh()
    assert len(gateway.requests) - contract_calls == 2  # daily + max power, no contract call


async def test_schedule_follows_publication(
    hass: HomeAssistant, api_url: str, gateway: FakeEnedis
) -> None:
    coordinator = await make_coordinator(hass, make_entry(api_url))
    tomorrow = paris_today() + timedelta(days=1)
    first_try = datetime.combine(tomorrow, time(8, 30), PARIS)

    coordinator.import_statistics = False  # while the back-fill runs: never "complete"
    await coordinator.async_refresh()
    assert coordinator.next_refresh is not None
    assert coordinator.next_refresh <= first_try + timedelta(minutes=20)
    assert coordinator.update_interval is not None
    assert coordinator.update_interval >= timedelta(minutes=1)


@pytest.mark.usefixtures("recorder_mock")
async def test_complete_day_waits_for_tomorrow(
    hass: HomeAssistant, api_url: str, gateway: FakeEnedis
) -> None:
    coordinator = await make_coordinator(hass, make_entry(api_url))
    coordinator.import_statistics = True
    await coordinator.async_refresh()
    tomorrow = paris_today() + timedelta(days=1)
    first_try = datetime.combine(tomorrow, time(8, 30), PARIS)
    assert first_try <= coordinator.next_refresh <= first_try + timedelta(minutes=20)

    # Yesterday's curve not published yet: try again today (or tomorrow's first try).
    gateway.missing_curve_days = {yesterday()}
    await coordinator.async_refresh()
    assert coordinator.next_refresh <= first_try + timedelta(minutes=20)

    # No load curve at all: daily values still come, the user is told how to activate it.
    gateway.missing_curve_days = set()
    gateway.curve_enabled = False
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.data.consumption.day == yesterday()
    assert "enedis_curve_not_activated" in issues(hass)
    assert coordinator.curve_available["consumption"] is False


async def test_no_consent_starts_reauth(
    hass: HomeAssistant, api_url: str, gateway: FakeEnedis
) -> None:
    coordinator = await make_coordinator(hass, make_entry(api_url))
    inject(gateway, 403, "ADAM-DC-0008")
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert not coordinator.last_update_success
    assert len(reauth_flows(hass)) == 1


async def test_expired_consent_starts_reauth_without_calling(
    hass: HomeAssistant, api_url: str, gateway: FakeEnedis
) -> None:
    ended = (paris_today() - timedelta(days=1)).isoformat()
    coordinator = await make_coordinator(hass, make_entry(api_url, consent_end=ended))
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert len(reauth_flows(hass)) == 1
    assert gateway.data_calls == 0


async def test_consent_ending_soon_raises_a_fixable_issue(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    api_url: str,
    gateway: FakeEnedis,
) -> None:
    end = paris_today() + timedelta(days=12)
    entry = make_entry(api_url, consent_end=end.isoformat())
    coordinator = await make_coordinator(hass, entry)
    await coordinator.async_refresh()

    issue = issues(hass)["enedis_consent_expiring"]
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "title": entry.title,
        "end": end.isoformat(),
        "days": "12",
    }

    # The repair flow starts the reauth that renews the consent.
    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue.issue_id}
    )
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    assert len(reauth_flows(hass)) == 1

    # Once renewed, the issue goes away.
    hass.config_entries.async_update_entry(entry, data={**entry.data, "consent_end": "2029-11-20"})
    await coordinator.async_refresh()
    assert "enedis_consent_expiring" not in issues(hass)


async def test_unrelated_issue_gets_a_confirm_flow(hass: HomeAssistant) -> None:
    from custom_components.delestage.repairs import async_create_fix_flow

    flow = await async_create_fix_flow(hass, "something_else", None)
    assert type(flow).__name__ == "ConfirmRepairFlow"


@pytest.mark.parametrize(
    ("status", "code", "key", "issue"),
    [
        (403, "ADAM-DC-0007", "enedis_meter_moved", "enedis_meter_moved"),
        (403, "900908", "enedis_api_not_subscribed", "enedis_api_not_subscribed"),
    ],
)
async def test_user_action_errors_raise_issues(
    hass: HomeAssistant,
    api_url: str,
    gateway: FakeEnedis,
    status: int,
    code: str,
    key: str,
    issue: str,
) -> None:
    coordinator = await make_coordinator(hass, make_entry(api_url))
    await coordinator.async_refresh()
    good = coordinator.data

    inject(gateway, status, code)
    await coordinator.async_refresh()

    assert not coordinator.last_update_success
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == key
    assert coordinator.last_exception.retry_after == 6 * 3600
    assert issue in issues(hass)
    assert coordinator.data is good  # last good data kept
    assert not reauth_flows(hass)

    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert issue not in issues(hass)


async def test_rate_limit_honours_retry_after(
    hass: HomeAssistant, api_url: str, gateway: FakeEnedis
) -> None:
    coordinator = await make_coordinator(hass, make_entry(api_url))
    inject(gateway, 429, "429", **{"Retry-After": "900"})
    await coordinator.async_refresh()

    error = coordinator.last_exception
    assert isinstance(error, UpdateFailed)
    assert error.translation_key == "enedis_rate_limited"
    assert error.retry_after == 900


@pytest.mark.parametrize(
    ("status", "code"),
    [(500, "technical_error"), (500, "ADAM-DC-0500"), (503, "STM-ERR-0000001")],
)
async def test_technical_errors_retry_within_the_hour(
    hass: HomeAssistant, api_url: str, gateway: FakeEnedis, status: int, code: str
) -> None:
    coordinator = await make_coordinator(hass, make_entry(api_url))
    inject(gateway, status, code)
    await coordinator.async_refresh()

    error = coordinator.last_exception
    assert isinstance(error, UpdateFailed)
    assert error.translation_key == "enedis_unavailable"
    assert 3600 <= error.retry_after <= 3600 + 1200
    assert not issues(hass)

    await coordinator.async_refresh()  # nothing lost: the next try reads the whole week
    assert coordinator.last_update_success
    assert coordinator.data.consumption.day == yesterday()


async def test_no_data_yet_keeps_previous_values(
    hass: HomeAssistant, api_url: str, gateway: FakeEnedis
) -> None:
    coordinator = await make_coordinator(hass, make_entry(api_url))
    await coordinator.async_refresh()
    good = coordinator.data

    inject(gateway, 404, "no_data_found")  # daily
    inject(gateway, 404, "no_data_found")  # max power
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.data.consumption == good.consumption
    assert coordinator.data.max_power == good.max_power


async def test_meter_activated_this_week(
    hass: HomeAssistant, api_url: str, gateway: FakeEnedis
) -> None:
    """Enedis refuses a week before activation (ADAM-ERR0123): yesterday alone, no failure."""
    gateway.activation = yesterday() - timedelta(days=2)
    coordinator = await make_coordinator(hass, make_entry(api_url))
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.data.consumption.day == yesterday()
    assert coordinator.data.consumption.wh == gateway.daily_wh(yesterday())
    assert coordinator.data.max_power is not None

    shown = coordinator.data
    gateway.activation = paris_today()  # Enedis refuses even yesterday: no failure, values kept
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.data.consumption == shown.consumption
    assert coordinator.data.max_power == shown.max_power


async def test_production_meter(hass: HomeAssistant, api_url: str, gateway: FakeEnedis) -> None:
    gateway.producer = True
    coordinator = await make_coordinator(hass, make_entry(api_url), producing=True)
    await coordinator.async_refresh()
    assert coordinator.data.production.wh == gateway.daily_wh(yesterday(), True)

    gateway.producer = False  # Enedis: not a production point → the value stays
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.data.production.wh == gateway.daily_wh(yesterday(), True)


def test_consent_end_parsing(api_url: str) -> None:
    assert consent_end(make_entry(api_url, consent_end="bad")) is None
    assert consent_end(make_entry(api_url, consent_end=None)) is None


@pytest.mark.usefixtures("recorder_mock")
async def test_production_flag_on_a_consumption_only_meter(
    hass: HomeAssistant, api_url: str, gateway: FakeEnedis
) -> None:
    coordinator = await make_coordinator(hass, make_entry(api_url), producing=True)
    coordinator.import_statistics = True
    await coordinator.async_refresh()  # Enedis: not a production point → no production value
    assert coordinator.last_update_success
    assert coordinator.data.production is None
    assert coordinator.data.consumption.day == yesterday()
