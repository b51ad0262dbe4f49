"""When the forecast calls RTE, and what it does when RTE refuses, limits or fails."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from itertools import pairwise
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, STATE_UNAVAILABLE
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.diagnostics import async_get_config_entry_diagnostics
from custom_components.delestage.forecast.store import storage_key
from tests.rte.conftest import CLIENT_ID
from tests.rte.fake_rte import FakeRte

from .fake_rte_forecasts import FakeRteForecasts
from .ha import (
    PARIS,
    SENSORS,
    TODAY,
    async_move,
    async_setup,
    attributes,
    forecast_calls,
    paris,
    publish_colours,
    publish_forecasts,
    rte_entry,
    state_of,
)

CONSUMPTION_ISSUE = "tempo_forecast_consumption_not_subscribed"
GENERATION_ISSUE = "tempo_forecast_generation_not_subscribed"


@pytest.fixture(autouse=True)
async def paris_time_zone(hass: HomeAssistant) -> None:
    """The home is in France."""
    await hass.config.async_set_time_zone("Europe/Paris")


@pytest.fixture
def week(fake_rte: FakeRte, fake_forecasts: FakeRteForecasts) -> FakeRteForecasts:
    """RTE's colours of the season up to today and its forecasts of the coming days."""
    publish_colours(fake_rte, TODAY)
    publish_forecasts(fake_forecasts, TODAY)
    return fake_forecasts


def _issue(hass: HomeAssistant, key: str, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{key}_{entry.entry_id}")


async def _restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Stop the entry and set it up again as Home Assistant does when it boots."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    hass.set_state(CoreState.not_running)
    assert await hass.config_entries.async_setup(entry.entry_id)
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_restart_with_fresh_forecasts_makes_no_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    week: FakeRteForecasts,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Everything is in the Stores: no call of any kind, the same week at once."""
    freezer.move_to(paris(2026, 1, 14, 21, 0))
    entry = rte_entry()
    await async_setup(hass, entry)
    before = {sensor: attributes(hass, sensor) for sensor in SENSORS}
    assert forecast_calls(week) == {"short_term": 1, "weekly": 1, "generation": 3}
    calls = aioclient_mock.call_count

    freezer.move_to(paris(2026, 1, 14, 21, 10))
    await _restart(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert aioclient_mock.call_count == calls
    assert {sensor: attributes(hass, sensor) for sensor in SENSORS} == before


def _in_window(when: datetime, start: time) -> bool:
    """Whether ``when`` (Paris) lies in the 20 minutes after ``start`` (5-minute steps)."""
    local = when.astimezone(PARIS)
    first = datetime.combine(local.date(), start, PARIS)
    return first <= local <= first + timedelta(minutes=20)


async def test_calls_at_the_hours_rte_publishes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fake_rte: FakeRte, week: FakeRteForecasts
) -> None:
    """Two days minute by minute (RTE publishing each day): 7 calls a day, at 07:45 and 20:15
    (plus the app's fixed offset), the wind and solar only in the evening."""
    freezer.move_to(paris(2026, 1, 14, 0, 30))
    await async_setup(hass, rte_entry())
    published = TODAY
    seen = sum(week.calls.values())
    calls: list[tuple[datetime, str]] = []
    now = paris(2026, 1, 14, 0, 30)
    while now < paris(2026, 1, 16, 0, 30):
        now += timedelta(minutes=5)
        if (day := now.date()) != published:  # RTE's new forecasts, from midnight
            publish_forecasts(week, day)
            publish_colours(fake_rte, day)
            published = day
        await async_move(hass, freezer, now)
        total = sum(week.calls.values())
        calls.extend((now, "call") for _ in range(total - seen))
        seen = total

    per_day = Counter(when.astimezone(PARIS).date() for when, _ in calls)
    assert per_day == {date(2026, 1, 14): 7, date(2026, 1, 15): 7}
    # The set-up call at 00:30, then only the publication windows.
    assert all(_in_window(when, time(7, 45)) or _in_window(when, time(20, 15)) for when, _ in calls)
    assert forecast_calls(week) == {"short_term": 5, "weekly": 5, "generation": 6}
    assert state_of(hass, SENSORS[0]) != STATE_UNAVAILABLE


async def test_a_429_is_waited_out_and_the_forecast_kept(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    week: FakeRteForecasts,
    caplog: pytest.LogCaptureFixture,
) -> None:
    freezer.move_to(paris(2026, 1, 14, 8, 0))
    await async_setup(hass, rte_entry())
    before = attributes(hass, SENSORS[0])
    week.fail("short_term", 429, **{"Retry-After": "7200"})

    await async_move(hass, freezer, paris(2026, 1, 14, 20, 30))  # the evening call: 429
    assert week.calls["short_term"] == 2
    assert week.calls["generation"] == 0  # held by the 429 too
    for minutes in range(10, 120, 10):  # nothing during Retry-After
        await async_move(hass, freezer, paris(2026, 1, 14, 20, 30) + timedelta(minutes=minutes))
    assert week.calls["short_term"] == 2
    assert attributes(hass, SENSORS[0]) == before

    week.subscribe()
    await async_move(hass, freezer, paris(2026, 1, 14, 22, 31))
    assert week.calls["short_term"] == 3
    assert week.calls["generation"] == 3
    messages = [r.getMessage() for r in caplog.records if "Tempo forecast of" in r.getMessage()]
    assert len(messages) == 2
    assert "unavailable" in messages[0]
    assert "available again" in messages[1]


async def test_server_errors_keep_the_forecast_log_once_and_back_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    week: FakeRteForecasts,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """5xx: the last forecast stays two days, retries 1 h, 2 h, 4 h… apart, one log each way."""
    freezer.move_to(paris(2026, 1, 14, 21, 0))
    await async_setup(hass, rte_entry())
    week.fail("short_term", 500)
    caplog.set_level(logging.INFO)

    calls: list[datetime] = []
    now = paris(2026, 1, 14, 21, 0)
    seen = week.calls["short_term"]
    while now < paris(2026, 1, 16, 21, 10):
        now += timedelta(minutes=10)
        await async_move(hass, freezer, now)
        if week.calls["short_term"] > seen:
            calls.append(now)
            seen = week.calls["short_term"]
        if now < paris(2026, 1, 16, 20, 0):
            assert state_of(hass, SENSORS[1]) != STATE_UNAVAILABLE, now
    # Two days without RTE's forecasts: unavailable.
    assert state_of(hass, SENSORS[1]) == STATE_UNAVAILABLE
    gaps = [later - earlier for earlier, later in pairwise(calls)]
    # Seen at 10-minute steps: each retry in the step after its due time.
    assert [round(gap / timedelta(hours=1)) for gap in gaps[:3]] == [1, 2, 4]
    assert len(calls) <= 12  # two days of a failing API

    week.subscribe()
    await async_move(hass, freezer, calls[-1] + timedelta(hours=7))
    assert state_of(hass, SENSORS[1]) != STATE_UNAVAILABLE
    messages = [r.getMessage() for r in caplog.records if "consumption forecasts" in r.getMessage()]
    assert len(messages) == 2
    assert "RTE's consumption forecasts are unavailable" in messages[0]
    assert "RTE's consumption forecasts are available again" in messages[1]


async def test_not_subscribed_to_consumption_repair_daily_probe_and_recovery(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fake_rte: FakeRte
) -> None:
    publish_colours(fake_rte, TODAY)
    freezer.move_to(paris(2026, 1, 14, 8, 5))
    entry = rte_entry()
    await async_setup(hass, entry)
    forecasts = fake_rte.forecasts

    issue = _issue(hass, CONSUMPTION_ISSUE, entry)
    assert issue is not None
    assert issue.translation_key == CONSUMPTION_ISSUE
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["title"] == "RTE Ecowatt"
    assert "Consumption/v1.2" in issue.translation_placeholders["url"]
    assert _issue(hass, GENERATION_ISSUE, entry) is None

    # Once a day, not more.
    await async_move(hass, freezer, paris(2026, 1, 15, 8, 0))
    assert forecast_calls(forecasts)["short_term"] == 1
    publish_forecasts(forecasts, date(2026, 1, 15))
    forecasts.subscribe()
    await async_move(hass, freezer, paris(2026, 1, 15, 8, 6))
    assert forecast_calls(forecasts)["short_term"] == 2

    assert _issue(hass, CONSUMPTION_ISSUE, entry) is None
    assert attributes(hass, SENSORS[0])["date"] == "2026-01-16"


async def test_a_reload_probes_at_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fake_rte: FakeRte
) -> None:
    """The user subscribed and reloads the entry: asked again now, not tomorrow."""
    publish_colours(fake_rte, TODAY)
    freezer.move_to(paris(2026, 1, 14, 8, 5))
    entry = rte_entry()
    await async_setup(hass, entry)
    assert _issue(hass, CONSUMPTION_ISSUE, entry) is not None
    publish_forecasts(fake_rte.forecasts, TODAY)
    fake_rte.forecasts.subscribe()

    await async_move(hass, freezer, paris(2026, 1, 14, 9, 0))
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert _issue(hass, CONSUMPTION_ISSUE, entry) is None
    assert state_of(hass, SENSORS[0]) != STATE_UNAVAILABLE


async def test_a_restart_does_not_probe_an_unsubscribed_app(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fake_rte: FakeRte
) -> None:
    publish_colours(fake_rte, TODAY)
    freezer.move_to(paris(2026, 1, 14, 8, 5))
    entry = rte_entry()
    await async_setup(hass, entry)

    await _restart(hass, entry)

    assert forecast_calls(fake_rte.forecasts)["short_term"] == 1
    assert _issue(hass, CONSUMPTION_ISSUE, entry) is not None


async def test_without_generation_forecast_the_forecast_still_works(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, week: FakeRteForecasts
) -> None:
    """The wind and solar are the month's usual ones; a repair says what is missing."""
    week.fail("generation", 403)
    freezer.move_to(paris(2026, 1, 14, 21, 0))
    entry = rte_entry()
    await async_setup(hass, entry)

    issue = _issue(hass, GENERATION_ISSUE, entry)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert "Generation-Forecast/v3.0" in issue.translation_placeholders["url"]
    assert _issue(hass, CONSUMPTION_ISSUE, entry) is None
    assert state_of(hass, SENSORS[0]) in {"blue", "white", "red"}
    assert week.calls["generation"] == 1  # the first refusal stops the evening's calls

    await async_move(hass, freezer, paris(2026, 1, 15, 20, 59))
    assert week.calls["generation"] == 1
    await async_move(hass, freezer, paris(2026, 1, 15, 21, 1))
    assert week.calls["generation"] == 2


async def test_an_app_without_tempo_gets_no_forecast(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    week: FakeRteForecasts,
) -> None:
    """Without this season's colours the stocks are unknown: no sensor, no call."""
    fake_rte.tempo_status = 403
    freezer.move_to(paris(2026, 1, 14, 21, 0))
    entry = rte_entry()
    await async_setup(hass, entry)

    registry = er.async_get(hass)
    assert all(registry.async_get(sensor) is None for sensor in SENSORS)
    assert forecast_calls(week) == {"short_term": 0, "weekly": 0, "generation": 0}
    diagnostics: dict[str, Any] = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["runtime"]["tempo_forecast"]["active"] is False


async def test_diagnostics_and_removal(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    week: FakeRteForecasts,
    hass_storage: dict[str, Any],
) -> None:
    freezer.move_to(paris(2026, 1, 14, 21, 0))
    entry = rte_entry()
    await async_setup(hass, entry)

    diagnostics: dict[str, Any] = await async_get_config_entry_diagnostics(hass, entry)
    forecast = diagnostics["runtime"]["tempo_forecast"]
    assert forecast["active"] is True
    assert forecast["calls_since_setup"] == {"consumption": 2, "generation": 3}
    assert forecast["consumption"]["subscribed"] is True
    assert forecast["forecast"]["tempo_day"] == "2026-01-14"
    assert len(forecast["forecast"]["days"]) == 7
    assert CLIENT_ID not in str(diagnostics)

    await hass.config_entries.async_unload(entry.entry_id)
    assert storage_key(CLIENT_ID) in hass_storage
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert storage_key(CLIENT_ID) not in hass_storage


async def test_offshore_wind_not_served_is_no_failure(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, week: FakeRteForecasts
) -> None:
    """RTE refuses one production type (400): the others count, nothing is retried."""
    week.answers["generation"]["WIND_OFFSHORE"] = 400
    freezer.move_to(paris(2026, 1, 14, 21, 0))
    entry = rte_entry()
    await async_setup(hass, entry)

    assert week.calls["generation"] == 3
    diagnostics: dict[str, Any] = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["runtime"]["tempo_forecast"]["generation"]["failures"] == 0
    await async_move(hass, freezer, paris(2026, 1, 15, 7, 0))
    assert week.calls["generation"] == 3


async def test_unreadable_parameters_leave_the_rte_entry_working(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    week: FakeRteForecasts,
    caplog: pytest.LogCaptureFixture,
) -> None:
    freezer.move_to(paris(2026, 1, 14, 21, 0))
    entry = rte_entry()
    with patch(
        "custom_components.delestage.forecast.feature.load_parameters",
        side_effect=OSError("no such file"),
    ):
        await async_setup(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert state_of(hass, "sensor.rte_ecowatt_tempo_today") != STATE_UNAVAILABLE
    assert hass.states.get(SENSORS[0]) is None
    assert forecast_calls(week) == {"short_term": 0, "weekly": 0, "generation": 0}
    assert "The Tempo forecast's parameters cannot be read" in caplog.text
