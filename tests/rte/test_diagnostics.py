"""Diagnostics of an RTE entry: call state and data, no secret, no token."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.delestage.diagnostics import async_get_config_entry_diagnostics

from .conftest import CLIENT_ID, CLIENT_SECRET
from .fake_rte import FakeRte


async def test_diagnostics_redact_secrets(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    freezer.move_to(datetime(2022, 6, 3, 8, 20, tzinfo=dt_util.get_time_zone("Europe/Paris")))
    fake_rte.tempo_status = 403
    rte_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(rte_entry.entry_id)
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=5))

    diagnostics: dict[str, Any] = await async_get_config_entry_diagnostics(hass, rte_entry)

    text = str(diagnostics)
    assert CLIENT_SECRET not in text
    assert CLIENT_ID not in text
    assert "token-1" not in text
    assert diagnostics["runtime"]["requests_since_setup"] == {
        "token_calls": 1,
        "signals_calls": 1,
        "tempo_calls": 1,
    }
    assert diagnostics == snapshot(exclude=props("entry_id", "created_at", "modified_at"))
