"""Quota, cache and error handling of the RTE coordinators."""

from __future__ import annotations

from datetime import date, datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, STATE_UNAVAILABLE
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.delestage.const import DOMAIN

from .conftest import STORE_KEY, seed_store
from .fake_rte import FakeRte, day_payload, load_json, tempo_payload

LEVEL = "sensor.rte_ecowatt_level_now"
TEMPO_TODAY = "sensor.rte_ecowatt_tempo_today"


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=dt_util.get_time_zone("Europe/Paris"))


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _move(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime) -> None:
    freezer.move_to(when)
    async_fire_time_changed(hass, when)
    await hass.async_block_till_done()


def _today_signals(day: date) -> dict[str, Any]:
    return {"signals": [day_payload(day + timedelta(days=n), [1] * 24) for n in range(4)]}


async def test_restart_with_fresh_cache_makes_no_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    aioclient_mock: AiohttpClientMocker,
) -> None:
    now = paris(2022, 6, 3, 8, 20)
    freezer.move_to(now)
    seed_store(
        hass_storage,
        signals=load_json("sandbox_signals.json"),
        fetched_at=now - timedelta(minutes=10),
        tempo=tempo_payload({date(2022, 6, 3): "BLUE", date(2022, 6, 4): "RED"}),
        tempo_fetched_at=now - timedelta(hours=1),
        tempo_subscribed=True,
        token_expires_at=(now + timedelta(hours=1)).timestamp(),
    )

    hass.set_state(CoreState.not_running)  # as when Home Assistant boots
    await _setup(hass, rte_entry)
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()

    assert rte_entry.state is ConfigEntryState.LOADED
    assert aioclient_mock.call_count == 0
    assert hass.states.get(LEVEL).state == "red"  # type: ignore[union-attr]
    assert hass.states.get(TEMPO_TODAY).state == "blue"  # type: ignore[union-attr]

    # The next call comes an hour after the cached one, with the persisted token.
    await _move(hass, freezer, now + timedelta(minutes=51))
    assert fake_rte.calls["signals"] == 1
    assert fake_rte.calls["token"] == 0
    assert aioclient_mock.mock_calls[0][3]["Authorization"] == "Bearer persisted-token"


async def test_restart_with_old_cache_calls_once_and_persists(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    now = paris(2022, 6, 3, 8, 20)
    freezer.move_to(now)
    seed_store(
        hass_storage, signals=load_json("sandbox_signals.json"), fetched_at=now - timedelta(hours=2)
    )

    await _setup(hass, rte_entry)
    await hass.config_entries.async_unload(rte_entry.entry_id)
    await hass.async_block_till_done()

    assert fake_rte.calls["signals"] == 1
    assert fake_rte.calls["token"] == 1
    stored = hass_storage[STORE_KEY]["data"]
    assert dt_util.parse_datetime(stored["signals"]["last_call"]) == now
    assert stored["token"]["access_token"] == "token-1"


async def _setup_rate_limited(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> datetime:
    """Set up with a cache two hours old while another client just used the quota."""
    now = paris(2022, 6, 3, 8, 20)
    freezer.move_to(now)
    seed_store(
        hass_storage, signals=load_json("sandbox_signals.json"), fetched_at=now - timedelta(hours=2)
    )
    fake_rte.last_signals_call = dt_util.utcnow() - timedelta(minutes=5)  # someone else
    await _setup(hass, entry)
    return now


async def test_429_honours_retry_after_and_keeps_data(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = await _setup_rate_limited(hass, freezer, fake_rte, rte_entry, hass_storage)

    assert fake_rte.rate_limited == 1
    assert hass.states.get(LEVEL).state == "red"  # type: ignore[union-attr]
    not_before = dt_util.parse_datetime(hass_storage[STORE_KEY]["data"]["signals"]["not_before"])
    assert not_before is not None
    assert now + timedelta(minutes=10) <= not_before <= now + timedelta(minutes=16)

    # No call before the wait is over, even across a restart.
    assert await hass.config_entries.async_reload(rte_entry.entry_id)
    await hass.async_block_till_done()
    await _move(hass, freezer, now + timedelta(minutes=9))
    assert fake_rte.calls["signals"] == 1

    await _move(hass, freezer, not_before + timedelta(seconds=5))
    assert fake_rte.calls["signals"] == 2
    assert fake_rte.rate_limited == 1
    assert hass_storage[STORE_KEY]["data"]["signals"]["not_before"] is None


async def test_malformed_answer_keeps_data_logs_once_and_ages_out(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = paris(2026, 1, 10, 12, 0)
    freezer.move_to(now)
    fake_rte.signals = _today_signals(date(2026, 1, 10))
    seed_store(hass_storage, signals=fake_rte.signals, fetched_at=now - timedelta(hours=2))
    fake_rte.signals_text = '{"signals": [ {"jour": "2026-01-1'

    with caplog.at_level(logging.ERROR):
        await _setup(hass, rte_entry)
        assert hass.states.get(LEVEL).state == "green"  # type: ignore[union-attr]
        for minutes in (31, 62, 93):
            await _move(hass, freezer, now + timedelta(minutes=minutes))

    assert fake_rte.calls["signals"] == 4
    errors = [r for r in caplog.records if "cannot be read" in r.getMessage()]
    assert len(errors) == 1
    assert hass.states.get(LEVEL).state == "green"  # type: ignore[union-attr]

    # A day after the last good answer, the data is no longer trusted.
    await _move(hass, freezer, now + timedelta(hours=22, minutes=1))
    assert hass.states.get(LEVEL).state == STATE_UNAVAILABLE  # type: ignore[union-attr]

    # A good answer brings it back, logged once.
    fake_rte.signals_text = None
    fake_rte.signals = _today_signals(date(2026, 1, 11))
    with caplog.at_level(logging.INFO):
        await _move(hass, freezer, now + timedelta(hours=23))
    assert hass.states.get(LEVEL).state == "green"  # type: ignore[union-attr]
    assert any("recovered" in r.getMessage() for r in caplog.records)


async def test_invalid_client_starts_reauth(
    hass: HomeAssistant, fake_rte: FakeRte, rte_entry: MockConfigEntry
) -> None:
    fake_rte.token_status = 400

    await _setup(hass, rte_entry)

    assert rte_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]
    assert fake_rte.calls["signals"] == 0


async def test_401_later_starts_reauth_and_keeps_data(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    now = paris(2022, 6, 3, 8, 20)
    freezer.move_to(now)
    await _setup(hass, rte_entry)
    fake_rte.reject_next_tokens = 10
    fake_rte.token_status = 401

    await _move(hass, freezer, now + timedelta(hours=3))

    flows = hass.config_entries.flow.async_progress()
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]
    assert hass.states.get(LEVEL).state == "green"  # type: ignore[union-attr]


async def test_403_on_ecowatt_raises_a_repair_issue_then_clears_it(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    now = paris(2022, 6, 3, 8, 20)
    freezer.move_to(now)
    fake_rte.signals_status = 403

    await _setup(hass, rte_entry)

    assert rte_entry.state is ConfigEntryState.SETUP_RETRY
    issue = issue_registry.async_get_issue(
        DOMAIN, f"rte_ecowatt_not_subscribed_{rte_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_key == "rte_ecowatt_not_subscribed"
    assert issue.severity is ir.IssueSeverity.ERROR

    # The user subscribes the app; set-up retries once the quota allows it.
    fake_rte.signals_status = 200
    await _move(hass, freezer, now + timedelta(minutes=31))
    await hass.config_entries.async_reload(rte_entry.entry_id)
    await hass.async_block_till_done()
    assert rte_entry.state is ConfigEntryState.LOADED
    assert (
        issue_registry.async_get_issue(DOMAIN, f"rte_ecowatt_not_subscribed_{rte_entry.entry_id}")
        is None
    )


def _sandbox_entry() -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id="app-client-id",
        title="RTE Ecowatt (sandbox)",
        data={
            "entry_type": "rte",
            "client_id": "app-client-id",
            "client_secret": "s",
            "environment": "sandbox",
        },
    )


async def test_sandbox_replays_the_frozen_days_as_today(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
) -> None:
    entry = _sandbox_entry()
    now = paris(2026, 11, 23, 8, 20)
    freezer.move_to(now)

    await _setup(hass, entry)

    assert fake_rte.calls["sandbox"] == 1
    assert fake_rte.calls["signals"] == 0
    assert hass.states.get(LEVEL).state == "red"  # type: ignore[union-attr]
    assert hass.states.get("sensor.rte_ecowatt_in_3_days").state == "green"  # type: ignore[union-attr]

    # The sandbox has no quota: after a restart the next call is on the normal schedule.
    await _move(hass, freezer, now + timedelta(hours=1, minutes=1))
    assert fake_rte.calls["sandbox"] == 2


async def test_sandbox_is_polled_every_minute(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
) -> None:
    """No quota in the sandbox: a simulated red run reaches automations within a minute."""
    entry = _sandbox_entry()
    now = paris(2026, 11, 23, 14, 20)
    freezer.move_to(now)
    await _setup(hass, entry)
    assert fake_rte.calls["sandbox"] == 1

    await _move(hass, freezer, now + timedelta(seconds=30))
    assert fake_rte.calls["sandbox"] == 1
    for step in (1, 2, 3):
        await _move(hass, freezer, now + timedelta(seconds=62 * step))
        assert fake_rte.calls["sandbox"] == 1 + step


async def test_tempo_waits_for_publication(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    fake_rte.signals = _today_signals(date(2026, 1, 10))
    fake_rte.tempo = tempo_payload({date(2026, 1, 10): "BLUE"})
    freezer.move_to(paris(2026, 1, 10, 9, 0))
    await _setup(hass, rte_entry)
    assert fake_rte.calls["tempo"] == 1

    # Tomorrow's colour is not asked before 10:40.
    await _move(hass, freezer, paris(2026, 1, 10, 10, 39))
    assert fake_rte.calls["tempo"] == 1
    await _move(hass, freezer, paris(2026, 1, 10, 10, 41))
    assert fake_rte.calls["tempo"] == 2

    # Published: no further call until tomorrow 10:40.
    fake_rte.tempo = tempo_payload({date(2026, 1, 10): "BLUE", date(2026, 1, 11): "WHITE"})
    await _move(hass, freezer, paris(2026, 1, 10, 11, 12))
    assert fake_rte.calls["tempo"] == 3
    assert hass.states.get("sensor.rte_ecowatt_tempo_tomorrow").state == "white"  # type: ignore[union-attr]
    for hour in (14, 18, 23):
        await _move(hass, freezer, paris(2026, 1, 10, hour, 0))
    await _move(hass, freezer, paris(2026, 1, 11, 10, 0))
    assert fake_rte.calls["tempo"] == 3


async def test_tempo_answer_with_one_day_object(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    """A one-day answer shaped as in RTE's guide (``values`` an object) gives today's colour."""
    fake_rte.signals = _today_signals(date(2026, 1, 10))
    one_day = tempo_payload({date(2026, 1, 10): "RED"})
    one_day["tempo_like_calendars"]["values"] = one_day["tempo_like_calendars"]["values"][0]
    fake_rte.tempo = one_day
    freezer.move_to(paris(2026, 1, 10, 9, 0))

    await _setup(hass, rte_entry)

    assert hass.states.get(TEMPO_TODAY).state == "red"  # type: ignore[union-attr]


async def test_unreadable_cache_is_ignored(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    now = paris(2022, 6, 3, 8, 20)
    freezer.move_to(now)
    seed_store(hass_storage, signals={"signals": "garbage"}, fetched_at=now - timedelta(minutes=1))
    hass_storage[STORE_KEY]["data"]["tempo"] = "garbage"
    hass_storage[STORE_KEY]["data"]["signals"]["last_call"] = None

    await _setup(hass, rte_entry)

    assert rte_entry.state is ConfigEntryState.LOADED
    assert fake_rte.calls["signals"] == 1
    assert hass.states.get(LEVEL).state == "red"  # type: ignore[union-attr]


async def test_tempo_subscription_removed_drops_its_entities(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    fake_rte.signals = _today_signals(date(2026, 1, 10))
    fake_rte.tempo = tempo_payload({date(2026, 1, 10): "BLUE", date(2026, 1, 11): "RED"})
    freezer.move_to(paris(2026, 1, 10, 12, 0))
    await _setup(hass, rte_entry)
    assert hass.states.get(TEMPO_TODAY).state == "blue"  # type: ignore[union-attr]

    fake_rte.tempo_status = 403
    await _move(hass, freezer, paris(2026, 1, 11, 10, 41))
    await hass.async_block_till_done()

    assert fake_rte.calls["tempo"] == 2
    assert rte_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(TEMPO_TODAY).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert rte_entry.runtime_data.tempo_active is False  # type: ignore[attr-defined]


async def test_failure_after_a_429_waits_like_any_failure(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A 5xx after the 429 wait must not leave the past "not before" time in charge."""
    now = await _setup_rate_limited(hass, freezer, fake_rte, rte_entry, hass_storage)
    assert fake_rte.rate_limited == 1

    # RTE is down when the wait is over.
    fake_rte.signals_status = 500
    await _move(hass, freezer, now + timedelta(minutes=16))
    assert fake_rte.calls["signals"] == 2

    # The next attempts follow the failure back-off (30 min), not one per second.
    for seconds in (2, 4, 6, 60, 600):
        await _move(hass, freezer, now + timedelta(minutes=16, seconds=seconds))
    assert fake_rte.calls["signals"] == 2
    await _move(hass, freezer, now + timedelta(minutes=46, seconds=5))
    assert fake_rte.calls["signals"] == 3
