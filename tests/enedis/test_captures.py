"""Done-when of issue 11: an entry fed only with Enedis' real answers (the capture files,
served byte for byte) sets up, shows its values and imports the hourly history exactly."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.delestage.const import DOMAIN

from .conftest import make_entry
from .fake_enedis import CAPTURE_PRM, PARIS, FakeEnedis
from .test_init import hourly_sums

pytestmark = pytest.mark.usefixtures("credentials", "recorder_mock")


def state_of(hass: HomeAssistant, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{CAPTURE_PRM}_{key}")
    assert entity_id is not None, key
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_entry_fed_only_with_the_captures(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, gateway: FakeEnedis, api_url: str
) -> None:
    """Set-up, consumption 38.022 kWh, max power 6510 VA, 12 kVA; hours sum to the days."""
    freezer.move_to(datetime(2026, 10, 1, 8, 0, tzinfo=UTC))  # 10:00 in Paris
    gateway.captures = True  # every answer is a capture file, byte for byte (or a 404)
    gateway.today = date(2026, 10, 1)
    entry = make_entry(api_url, prm=CAPTURE_PRM)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED

    assert float(state_of(hass, "consumption_yesterday")) == pytest.approx(38.022)
    assert float(state_of(hass, "max_power_yesterday")) == 6510
    assert float(state_of(hass, "subscribed_power")) == 12

    rows = await hourly_sums(hass, f"{DOMAIN}:linky_{CAPTURE_PRM}_consumption")
    per_day: dict[date, float] = defaultdict(float)
    for row in rows:
        per_day[datetime.fromtimestamp(row["start"], UTC).astimezone(PARIS).date()] += row["state"]
    assert {day: round(kwh * 1000) for day, kwh in per_day.items()} == {
        date(2026, 9, 29): 33495,
        date(2026, 9, 30): 38022,
    }
    assert len(rows) == 48
    assert rows[-1]["sum"] == pytest.approx(33.495 + 38.022)
