"""The contract is not on the critical path: measures, statistics and back-fill go on."""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.delestage.const import DOMAIN

from .conftest import make_entry, yesterday
from .fake_enedis import NOT_SUBSCRIBED, FakeEnedis, capture_bytes
from .test_init import STAT, entity_id, hourly_sums, setup_entry

pytestmark = pytest.mark.usefixtures("credentials", "recorder_mock")

TECHNICAL = b'{"code": "technical_error", "message": "Technical error. Please try later."}'


def contract_issue(hass: HomeAssistant, entry_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"enedis_contract_unavailable_{entry_id}")


@pytest.mark.parametrize(
    ("status", "body", "issue_at_once"),
    [
        (403, capture_bytes(NOT_SUBSCRIBED), True),  # the real 403 900908 body
        (500, TECHNICAL, False),
        (200, b'{"contrats": "a shape we do not know"}', False),
        (200, b"<html>maintenance</html>", False),
    ],
)
async def test_a_failing_contract_loses_only_the_contract_sensor(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    api_url: str,
    gateway: FakeEnedis,
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: bytes,
    issue_at_once: bool,
) -> None:
    gateway.activation = yesterday() - timedelta(days=20)
    gateway.contract_body, gateway.contract_status = body, status
    entry = make_entry(api_url)
    with caplog.at_level(logging.WARNING):
        await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    assert coordinator.last_update_success
    assert hass.states.get(entity_id(hass, "subscribed_power")).state == STATE_UNAVAILABLE
    consumption = hass.states.get(entity_id(hass, "consumption_yesterday")).state
    assert float(consumption) == pytest.approx(gateway.daily_wh(yesterday()) / 1000, abs=1e-3)
    assert float(hass.states.get(entity_id(hass, "max_power_yesterday")).state) == 4680
    assert entry.runtime_data.backfill_progress.finished
    assert await hourly_sums(hass, STAT)  # statistics flow
    warnings = [r for r in caplog.records if "contract" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert (contract_issue(hass, entry.entry_id) is not None) is issue_at_once

    # Still failing the next day: a repair issue names the API to subscribe.
    caplog.clear()
    freezer.tick(timedelta(days=1))
    gateway.today += timedelta(days=1)
    await coordinator.async_refresh()
    issue = contract_issue(hass, entry.entry_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["api"] == "situation_contrat_auto/v1"
    assert coordinator.last_update_success
    assert (
        not [  # logged once
            r for r in caplog.records if r.levelno >= logging.WARNING and "delestage" in r.name
        ]
    )
    diagnostics = await entry.runtime_data.async_diagnostics()
    assert diagnostics["contract"]["read"] is False
    assert diagnostics["contract"]["last_error"]

    # The contract answers again: the sensor and the issue recover.
    gateway.contract_body = None
    freezer.tick(timedelta(days=1))
    gateway.today += timedelta(days=1)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(entity_id(hass, "subscribed_power")).state == "12.0"
    assert contract_issue(hass, entry.entry_id) is None


async def test_a_later_failure_keeps_the_last_contract(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, api_url: str, gateway: FakeEnedis
) -> None:
    gateway.activation = yesterday() - timedelta(days=20)
    entry = make_entry(api_url)
    await setup_entry(hass, entry)
    assert hass.states.get(entity_id(hass, "subscribed_power")).state == "12.0"

    gateway.contract_body, gateway.contract_status = TECHNICAL, 500
    freezer.tick(timedelta(days=1))
    gateway.today += timedelta(days=1)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator.last_update_success
    assert hass.states.get(entity_id(hass, "subscribed_power")).state == "12.0"
