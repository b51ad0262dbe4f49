"""Snapshots of a station's sensors (all enabled) and of its redacted diagnostics."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .conftest import FIXTURE_NOW, station_entry
from .fake_dpobs import API_KEY, APPLICATION_ID, CLIENT_SECRET, FakeDpobs

pytestmark = pytest.mark.freeze_time(FIXTURE_NOW)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_sensors_snapshot(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    dpobs_url: str,
) -> None:
    entry = station_entry(dpobs_url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_diagnostics_redacted_api_key(
    hass: HomeAssistant, hass_client: Any, snapshot: SnapshotAssertion, dpobs_url: str
) -> None:
    entry = station_entry(dpobs_url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics["entry"]["data"]["api_key"] == "**REDACTED**"
    assert API_KEY not in str(diagnostics)
    assert diagnostics["runtime"]["observation"]["temperature"] == pytest.approx(8.3)
    assert diagnostics["runtime"]["api_calls"] == 1
    assert diagnostics == snapshot(
        exclude=props("entry_id", "created_at", "modified_at", "api_base_url")
    )


async def test_diagnostics_redacted_application_id(
    hass: HomeAssistant, hass_client: Any, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    entry = station_entry(dpobs_url, auth_method="application_id", application_id=APPLICATION_ID)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics["entry"]["data"]["application_id"] == "**REDACTED**"
    assert diagnostics["runtime"]["auth_method"] == "application_id"
    assert diagnostics["runtime"]["token_requests"] == 1
    text = str(diagnostics)
    assert APPLICATION_ID not in text
    assert CLIENT_SECRET not in text
    assert not any(token in text for token in fake_dpobs.valid_tokens)
