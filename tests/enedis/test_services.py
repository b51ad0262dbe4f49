"""The ``delestage.linky_import_history`` action."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.config_entry_oauth2_flow import async_get_config_entry_implementation
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.enedis.client import async_create_client
from custom_components.delestage.enedis.history import async_import_history
from custom_components.delestage.enedis.oauth import EnedisOAuth2Implementation
from custom_components.delestage.enedis.statistics import EnergyKind

from .conftest import make_entry, paris_today, yesterday
from .fake_enedis import PRM, FakeEnedis
from .test_init import hourly_sums, setup_entry

pytestmark = pytest.mark.usefixtures("credentials")


async def call(hass: HomeAssistant, entry_id: str, start: Any, end: Any) -> Any:
    """Run the action and return its response."""
    return await hass.services.async_call(
        DOMAIN,
        "linky_import_history",
        {"config_entry_id": entry_id, "start": str(start), "end": str(end)},
        blocking=True,
        return_response=True,
    )


def inject(gateway: FakeEnedis, status: int, code: str, **headers: str) -> None:
    """The next data call answers this error."""
    gateway.injected.append(
        web.json_response({"code": code, "message": "erreur"}, status=status, headers=headers)
    )


@pytest.mark.usefixtures("recorder_mock")
async def test_import_history(hass: HomeAssistant, api_url: str, gateway: FakeEnedis) -> None:
    gateway.activation = paris_today() - timedelta(days=20)
    entry = make_entry(api_url)
    await setup_entry(hass, entry)
    before = await hourly_sums(hass)
    last = yesterday()
    first = last - timedelta(days=9)
    gateway.requests.clear()

    response = await call(hass, entry.entry_id, first, last)
    await hass.async_block_till_done()

    # Same data as the back-fill wrote: nothing to change.
    assert response == {"consumption": {"days": 10, "hours_changed": 0}}
    # One daily call, then the curve in 7-day windows.
    assert [resource for resource, _ in gateway.requests] == [
        "consommation_quotidienne",
        "courbe_de_charge_consommation",
        "courbe_de_charge_consommation",
    ]
    assert gateway.requests[0][1]["dateDebut"] == first.isoformat()
    assert gateway.requests[0][1]["dateFin"] == (last + timedelta(days=1)).isoformat()
    after = await hourly_sums(hass)
    assert len(after) == len(before)  # re-imported, not duplicated
    assert after[-1]["sum"] == pytest.approx(before[-1]["sum"])

    # Bad ranges: translated validation errors, nothing fetched.
    gateway.requests.clear()
    for start, end, key in (
        (last, first, "enedis_range_reversed"),
        (first, paris_today(), "enedis_range_in_future"),
        (last - timedelta(days=1200), last, "enedis_range_too_old"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, entry.entry_id, start, end)
        assert err.value.translation_key == key
    assert gateway.requests == []

    # Failures: translated errors.
    inject(gateway, 500, "technical_error")
    with pytest.raises(HomeAssistantError) as failed:
        await call(hass, entry.entry_id, first, last)
    assert failed.value.translation_key == "enedis_import_failed"

    inject(gateway, 429, "429", **{"Retry-After": "1200"})
    with pytest.raises(HomeAssistantError) as limited:
        await call(hass, entry.entry_id, first, last)
    assert limited.value.translation_key == "enedis_import_rate_limited"
    assert limited.value.translation_placeholders == {"minutes": "20"}

    inject(gateway, 403, "ADAM-DC-0008")
    with pytest.raises(HomeAssistantError) as refused:
        await call(hass, entry.entry_id, first, last)
    assert refused.value.translation_key == "enedis_consent_invalid"
    await hass.async_block_till_done()
    assert any(
        flow["context"]["source"] == SOURCE_REAUTH
        for flow in hass.config_entries.flow.async_progress()
    )

    # No load curve: the days come from the daily values, and the user is told.
    gateway.curve_enabled = False
    response = await call(hass, entry.entry_id, first, last)
    assert response["consumption"]["days"] == 10
    assert 200 < response["consumption"]["hours_changed"] <= 240  # flat days replace the curve
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"enedis_curve_not_activated_{entry.entry_id}"
    )
    after = await hourly_sums(hass)
    assert after[-1]["sum"] == pytest.approx(before[-1]["sum"])  # same daily totals

    # While the first back-fill runs, the action waits for it.
    entry.runtime_data.backfill_progress.finished = False
    with pytest.raises(HomeAssistantError) as running:
        await call(hass, entry.entry_id, first, last)
    assert running.value.translation_key == "enedis_backfill_running"


async def test_entry_must_be_a_loaded_linky(hass: HomeAssistant, api_url: str) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    other = MockConfigEntry(domain=DOMAIN, data={"entry_type": "rte"})
    other.add_to_hass(hass)
    linky = make_entry(api_url)
    linky.add_to_hass(hass)  # not set up

    for entry_id, key in (
        ("nope", "enedis_entry_not_found"),
        (other.entry_id, "enedis_entry_not_found"),
        (linky.entry_id, "enedis_entry_not_loaded"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, entry_id, "2026-01-01", "2026-01-02")
        assert err.value.translation_key == key


@pytest.mark.usefixtures("recorder_mock")
async def test_history_gaps_and_directions(
    hass: HomeAssistant, api_url: str, gateway: FakeEnedis
) -> None:
    entry = make_entry(api_url)
    entry.add_to_hass(hass)
    implementation = await async_get_config_entry_implementation(hass, entry)
    assert isinstance(implementation, EnedisOAuth2Implementation)
    client = async_create_client(
        hass, implementation, environment="production", api_base_url=api_url
    )
    last = yesterday()
    first = last - timedelta(days=2)

    # Not a producing meter: nothing to import.
    done = await async_import_history(
        hass, client, PRM, EnergyKind.PRODUCTION, start=first, end=last, with_curve=True
    )
    assert (done.days_with_data, done.hours_changed) == (0, 0)

    # No daily values, no curve yet: nothing imported, no error.
    inject(gateway, 404, "no_data_found")
    inject(gateway, 404, "no_data_found")
    done = await async_import_history(
        hass, client, PRM, EnergyKind.CONSUMPTION, start=first, end=last, with_curve=True
    )
    assert (done.days_with_data, done.hours_changed) == (0, 0)

    # Daily values but no curve: the days are imported flat.
    gateway.missing_curve_days = {first, first + timedelta(days=1)}
    done = await async_import_history(
        hass, client, PRM, EnergyKind.CONSUMPTION, start=first, end=last, with_curve=True
    )
    assert done.days_with_data == 2
    assert done.hours_changed == 48
