"""The tariff split of a Linky entry: statistics, Energy dashboard cost, options, sensors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir, storage
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.enedis.statistics import StatisticsNotWrittenError
from custom_components.delestage.hub import ConsumptionImport, get_hub
from custom_components.delestage.tariff.manager import TariffManager, async_get_tariffs
from tests.enedis.conftest import make_entry, open_linky_options, paris_today
from tests.enedis.fake_enedis import PARIS, PRM, FakeEnedis, quiet_sql
from tests.enedis.test_init import hourly_sums
from tests.enedis.test_statistics import curve
from tests.tariff.shown import shown_and_recorded
from tests.translations import lookup

pytestmark = pytest.mark.usefixtures("credentials", "recorder_mock", "quiet_sql")
__all__ = ["quiet_sql"]

PRICES = {
    "blue_hp": 0.1612,
    "blue_hc": 0.1325,
    "white_hp": 0.1871,
    "white_hc": 0.1499,
    "red_hp": 0.7060,
    "red_hc": 0.1575,
}
SUBSCRIPTION = 15.5


def stat(series: str) -> str:
    """Statistic id of one of the meter's series."""
    return f"{DOMAIN}:linky_{PRM}_{series}"


def color_of(day: date) -> str:
    """The synthetic Tempo calendar: a red day every third day, white every fifth."""
    if day.toordinal() % 3 == 0:
        return "RED"
    return "WHITE" if day.toordinal() % 5 == 0 else "BLUE"


class FakeTempo:
    """Stands for the RTE entry's Tempo history."""

    def __init__(self, unknown: Iterable[date] = ()) -> None:
        self.unknown = set(unknown)
        self.asked: list[set[date]] = []

    async def async_colors(self, days: Iterable[date]) -> dict[date, str]:
        wanted = set(days)
        self.asked.append(wanted)
        return {d: color_of(d) for d in wanted if d not in self.unknown}


@pytest.fixture(autouse=True)
async def paris_time_zone(hass: HomeAssistant) -> None:
    """The home is in France (the dashboard's days are local days)."""
    await hass.config.async_set_time_zone("Europe/Paris")


@pytest.fixture
def recent_meter(gateway: FakeEnedis) -> FakeEnedis:
    """A meter activated 12 days ago (short back-fill)."""
    gateway.activation = paris_today() - timedelta(days=12)
    return gateway


@pytest.fixture
def tempo() -> Iterable[FakeTempo]:
    """Colours from a fake RTE entry."""
    fake = FakeTempo()
    with patch.object(TariffManager, "_tempo_history", lambda _self: fake):
        yield fake


async def setup_with_options(
    hass: HomeAssistant, api_url: str, options: dict[str, Any]
) -> MockConfigEntry:
    """Set up an entry with ``options``; wait for the back-fill and the tariff split."""
    entry = make_entry(api_url)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options=options)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await flush(hass)
    return entry


async def flush(hass: HomeAssistant) -> None:
    """Let the debounced split run and its writes land."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=15))
    await hass.async_block_till_done(wait_background_tasks=True)
    await hourly_sums(hass)  # waits for the recorder


def by_start(rows: list[dict[str, Any]]) -> dict[float, float]:
    """Hour start → state."""
    return {row["start"]: row["state"] for row in rows}


TEMPO_OPTIONS = {"tariff": "tempo", "prices": PRICES, "subscription": SUBSCRIPTION}


def tempo_prices(prices: dict[str, float]) -> dict[str, dict[str, Any]]:
    """The Tempo price form's answer: one section per colour."""
    return {
        color: {f"price_{p}": prices[f"{color}_{p}"] for p in ("hp", "hc")}
        for color in ("blue", "white", "red")
    }


def hand_cost(fake: FakeEnedis, day: date, prices: dict[str, float]) -> float:
    """A local day's Tempo cost computed by hand from the gateway's curve."""
    total = 0.0
    for point in curve(fake, day):
        start = point.start.astimezone(PARIS)
        period = "hc" if start.hour >= 22 or start.hour < 6 else "hp"
        tempo_day = (start - timedelta(hours=6)).date()
        total += point.wh / 1000 * prices[f"{color_of(tempo_day).lower()}_{period}"]
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    month_hours = (
        datetime(following.year, following.month, 1, tzinfo=PARIS)
        - datetime(first.year, first.month, 1, tzinfo=PARIS)
    ) / timedelta(hours=1)
    start, end = (
        datetime(d.year, d.month, d.day, tzinfo=PARIS) for d in (day, day + timedelta(days=1))
    )
    return total + (end - start) / timedelta(hours=1) * SUBSCRIPTION / month_hours


async def test_tempo_series_add_up_and_the_energy_dashboard_takes_the_cost(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    api_url: str,
    recent_meter: FakeEnedis,
    tempo: FakeTempo,
) -> None:
    entry = await setup_with_options(hass, api_url, TEMPO_OPTIONS)
    assert entry.state is ConfigEntryState.LOADED
    assert recent_meter.metering_calls == 1  # comptage_auto, once

    total = by_start(await hourly_sums(hass, stat("consumption")))
    hp = by_start(await hourly_sums(hass, stat("consumption_hp")))
    hc = by_start(await hourly_sums(hass, stat("consumption_hc")))
    six = [
        by_start(await hourly_sums(hass, stat(f"{c}_{p}")))
        for c in ("blue", "white", "red")
        for p in ("hp", "hc")
    ]
    assert len(total) == 12 * 24 or len(total) in {12 * 24 - 1, 12 * 24 + 1}
    for start, kwh in total.items():
        # Parts equal the total every hour, to the Wh.
        assert abs(hp[start] + hc[start] - kwh) < 1e-6
        assert abs(sum(series[start] for series in six) - kwh) < 1e-6
    # The cost statistic is in EUR, with a sum.
    cost_rows = await hourly_sums(hass, stat("cost"))
    assert len(cost_rows) == len(total)
    sums = [row["sum"] for row in cost_rows]
    assert sums == sorted(sums)

    # Energy dashboard: the consumption with the cost statistic.
    assert await async_setup_component(hass, "energy", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "energy/save_prefs",
            "energy_sources": [
                {
                    "type": "grid",
                    "stat_energy_from": stat("consumption"),
                    "stat_cost": stat("cost"),
                    "cost_adjustment_day": 0,
                }
            ],
        }
    )
    saved = await client.receive_json()
    assert saved["success"], saved
    await client.send_json_auto_id({"type": "energy/validate"})
    validation = await client.receive_json()
    assert validation["success"]
    assert validation["result"]["energy_sources"] == [[]]  # no issue with either statistic

    # What the dashboard shows for yesterday's cost: the day's change of the cost statistic.
    day = paris_today() - timedelta(days=1)
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS)
    await client.send_json_auto_id(
        {
            "type": "recorder/statistics_during_period",
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(days=1, hours=2))
            .astimezone(PARIS)
            .replace(hour=0)
            .isoformat(),
            "statistic_ids": [stat("cost"), stat("consumption")],
            "period": "day",
            "types": ["change"],
        }
    )
    answer = await client.receive_json()
    assert answer["success"], answer
    dashboard_cost = answer["result"][stat("cost")][0]["change"]
    assert dashboard_cost == pytest.approx(hand_cost(recent_meter, day, PRICES), abs=1e-6)

    # Sensors: yesterday's cost is the same number; this month's parts add up.
    registry = er.async_get(hass)
    cost_id = registry.async_get_entity_id("sensor", DOMAIN, f"{PRM}_cost_yesterday")
    assert cost_id is not None
    assert float(hass.states.get(cost_id).state) == pytest.approx(dashboard_cost, abs=1e-3)
    assert hass.states.get(cost_id).attributes["unit_of_measurement"] == "EUR"
    period_id = registry.async_get_entity_id("sensor", DOMAIN, f"{PRM}_tariff_period_now")
    assert period_id is not None
    now = dt_util.now(PARIS)
    assert hass.states.get(period_id).state == ("hc" if now.hour >= 22 or now.hour < 6 else "hp")
    red_id = registry.async_get_entity_id("sensor", DOMAIN, f"{PRM}_month_red_hp")
    assert red_id is not None
    assert registry.async_get(red_id).translation_key == "linky_month_red_hp"
    hp_month = registry.async_get_entity_id("sensor", DOMAIN, f"{PRM}_month_consumption_hp")
    assert registry.async_get(hp_month).disabled_by is not None  # Tempo: HP/HC totals off

    # Re-running changes nothing (idempotent).
    runtime = entry.runtime_data
    manager = async_get_tariffs(hass)[entry.entry_id]
    written = manager.rows_written
    await manager.async_process()
    assert manager.rows_written == written

    diagnostics = await runtime.async_diagnostics()
    assert diagnostics["tariff"]["option"] == "tempo"
    assert diagnostics["tariff"]["ranges"] == ["22:00-06:00"]


async def test_price_change_recomputes_the_cost_only(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis, tempo: FakeTempo
) -> None:
    entry = await setup_with_options(hass, api_url, TEMPO_OPTIONS)
    before_hp = by_start(await hourly_sums(hass, stat("consumption_hp")))
    day = paris_today() - timedelta(days=2)

    result = await open_linky_options(hass, entry, "enedis_tariff")
    assert result["step_id"] == "enedis_tariff"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"tariff": "tempo", "subscription": SUBSCRIPTION}
    )
    assert result["step_id"] == "enedis_offpeak"
    assert result["description_placeholders"] == {"meter": "HC (22H00-6H00)"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"offpeak_hours": "22:00-06:00"}
    )
    assert result["step_id"] == "enedis_prices"
    higher = {**PRICES, "blue_hp": 0.30, "red_hp": 0.90}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], tempo_prices(higher)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["prices"] == higher
    assert entry.options["offpeak_hours"] is None  # same as the meter's: follows the meter
    await flush(hass)

    rows = await hourly_sums(hass, stat("cost"))
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS).timestamp()
    day_cost = sum(r["state"] for r in rows if start <= r["start"] < start + 86400)
    assert day_cost == pytest.approx(hand_cost(recent_meter, day, higher), abs=1e-6)
    assert by_start(await hourly_sums(hass, stat("consumption_hp"))) == before_hp
    # Sum still continuous after the rewrite.
    assert rows[-1]["sum"] == pytest.approx(sum(r["state"] for r in rows), abs=1e-6)


async def test_late_colour_splits_the_waiting_hours(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis, tempo: FakeTempo
) -> None:
    late = paris_today() - timedelta(days=3)
    tempo.unknown = {late}
    entry = await setup_with_options(hass, api_url, TEMPO_OPTIONS)
    total = by_start(await hourly_sums(hass, stat("consumption")))
    red_or_blue = [
        by_start(await hourly_sums(hass, stat(f"{c}_hp"))) for c in ("blue", "white", "red")
    ]
    six_day = datetime(late.year, late.month, late.day, 6, tzinfo=PARIS).timestamp()
    assert all(six_day not in series for series in red_or_blue)  # waiting
    assert six_day in by_start(await hourly_sums(hass, stat("consumption_hp")))

    tempo.unknown = set()
    await async_get_tariffs(hass)[entry.entry_id].async_process()
    await hourly_sums(hass)
    six = [
        by_start(await hourly_sums(hass, stat(f"{c}_{p}")))
        for c in ("blue", "white", "red")
        for p in ("hp", "hc")
    ]
    for start, kwh in total.items():
        assert abs(sum(series[start] for series in six) - kwh) < 1e-6
    rows = await hourly_sums(hass, stat("cost"))
    assert len(rows) == len(total)
    assert rows[-1]["sum"] == pytest.approx(sum(r["state"] for r in rows), abs=1e-6)
    assert any(late in asked for asked in tempo.asked)


async def test_a_colour_rte_learns_later_splits_the_waiting_hours(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis, tempo: FakeTempo
) -> None:
    """RTE had no colour for a day; when it tells it knows more, the waiting hours are split."""
    late = paris_today() - timedelta(days=3)
    tempo.unknown = {late}
    await setup_with_options(hass, api_url, TEMPO_OPTIONS)
    six_day = datetime(late.year, late.month, late.day, 6, tzinfo=PARIS).timestamp()
    colours = ("blue", "white", "red")
    assert [six_day in await by_series(hass, f"{c}_hp") for c in colours] == [False] * 3

    tempo.unknown = set()
    get_hub(hass).tempo_updated()  # what the RTE entry does after each Tempo refresh
    await flush(hass)
    assert [six_day in await by_series(hass, f"{c}_hp") for c in colours] == [True] * 3


async def by_series(hass: HomeAssistant, series: str) -> dict[float, float]:
    """Hour start → state of one of the meter's series."""
    return by_start(await hourly_sums(hass, stat(series)))


async def test_without_an_rte_entry_tempo_waits_and_hp_hc_is_written(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis
) -> None:
    entry = await setup_with_options(hass, api_url, TEMPO_OPTIONS)
    assert async_get_tariffs(hass)[entry.entry_id].tempo_waiting
    assert await hourly_sums(hass, stat("consumption_hp"))
    assert not await hourly_sums(hass, stat("cost"))
    assert not await hourly_sums(hass, stat("blue_hp"))
    assert (await entry.runtime_data.async_diagnostics())["tariff"]["tempo_waiting_for_rte"]
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"enedis_tempo_needs_rte_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "enedis_tempo_needs_rte"

    # An RTE entry with Tempo appears: the waiting hours are split, the issue goes away.
    fake = FakeTempo()
    with patch.object(TariffManager, "_tempo_history", lambda _self: fake):
        await async_get_tariffs(hass)[entry.entry_id].async_process()
    await hourly_sums(hass)
    assert await hourly_sums(hass, stat("cost"))
    assert await hourly_sums(hass, stat("blue_hp"))
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"enedis_tempo_needs_rte_{entry.entry_id}")
        is None
    )


async def test_hp_hc_with_a_price_entity_and_typed_ranges(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis
) -> None:
    recent_meter.offpeak_hours = None  # the app has no access to comptage_auto (403)
    hass.states.async_set("input_number.prix_hp", "0.25")
    options = {
        "tariff": "hp_hc",
        "offpeak_hours": "01:30-07:30; 12:30-14:30",
        "prices": {"hp": "input_number.prix_hp", "hc": 0.18},
    }
    entry = await setup_with_options(hass, api_url, options)
    manager = async_get_tariffs(hass)[entry.entry_id]
    assert manager.meter_offpeak_available is False
    assert [str(r) for r in manager.config.ranges] == ["01:30-07:30", "12:30-14:30"]
    # Published to the features that plan around them (the hot-water plan).
    assert get_hub(hass).offpeak_ranges() == [
        (time(1, 30), time(7, 30)),
        (time(12, 30), time(14, 30)),
    ]
    total = by_start(await hourly_sums(hass, stat("consumption")))
    hp = by_start(await hourly_sums(hass, stat("consumption_hp")))
    hc = by_start(await hourly_sums(hass, stat("consumption_hc")))
    for start, kwh in total.items():
        assert abs(hp[start] + hc[start] - kwh) < 1e-6
    assert not await hourly_sums(hass, stat("blue_hp"))
    # 01:00-02:00 local: the half-hour curve splits exactly at 01:30.
    day = paris_today() - timedelta(days=2)
    points = curve(recent_meter, day)
    one = datetime(day.year, day.month, day.day, 1, tzinfo=PARIS)
    first_half = next(p.wh for p in points if p.start == one)
    assert hp[one.timestamp()] == pytest.approx(first_half / 1000, abs=1e-9)

    cost = await hourly_sums(hass, stat("cost"))
    expected = sum(hp.values()) * 0.25 + sum(hc.values()) * 0.18
    assert cost[-1]["sum"] == pytest.approx(expected, abs=1e-6)
    # A new price applies from now on: past hours keep theirs.
    hass.states.async_set("input_number.prix_hp", "0.40")
    await flush(hass)
    assert (await hourly_sums(hass, stat("cost")))[-1]["sum"] == pytest.approx(expected, abs=1e-6)
    assert [v for _, v in manager.price_log["input_number.prix_hp"]] == [0.25, 0.40]
    assert manager.price("hp", int(dt_util.utcnow().timestamp()) + 3600) == 0.40

    # Switching to base: one price; the HP/HC series of the old option are cleared.
    result = await open_linky_options(hass, entry, "enedis_tariff")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"tariff": "base"}
    )
    assert result["step_id"] == "enedis_prices"
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "price_missing"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"price_base": 0.2}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await flush(hass)
    assert not await hourly_sums(hass, stat("consumption_hp"))
    assert get_hub(hass).offpeak_ranges() == []
    cost = await hourly_sums(hass, stat("cost"))
    assert cost[-1]["sum"] == pytest.approx(sum(total.values()) * 0.2, abs=1e-6)
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{PRM}_month_consumption_hp") is None


async def test_options_flow_checks_the_ranges(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis
) -> None:
    recent_meter.offpeak_hours = None
    entry = await setup_with_options(hass, api_url, {})
    result = await open_linky_options(hass, entry, "enedis_tariff")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"tariff": "hp_hc"}
    )
    assert result["description_placeholders"] == {"meter": "—"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"offpeak_hours": "la nuit"}
    )
    assert result["errors"] == {"offpeak_hours": "invalid_offpeak"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"offpeak_hours": "HC (23H00-7H00)"}
    )
    assert result["step_id"] == "enedis_prices"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"price_hp": 0.27, "price_hc": 0.2}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["offpeak_hours"] == "23:00-07:00"
    await flush(hass)
    assert [str(r) for r in async_get_tariffs(hass)[entry.entry_id].config.ranges] == [
        "23:00-07:00"
    ]


async def test_restart_rewrites_nothing(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis, tempo: FakeTempo
) -> None:
    entry = await setup_with_options(hass, api_url, TEMPO_OPTIONS)
    cost = await hourly_sums(hass, stat("cost"))
    halfhours = len(async_get_tariffs(hass)[entry.entry_id].ledger.halfhours)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await flush(hass)
    manager = async_get_tariffs(hass)[entry.entry_id]
    assert len(manager.ledger.halfhours) == halfhours  # kept in the Store
    assert manager.rows_written == 0
    assert recent_meter.metering_calls == 1  # the meter's ranges are not asked again
    assert await hourly_sums(hass, stat("cost")) == cost
    # This month's sensors are back after the restart (on the 1st, the month has no day yet).
    month = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{PRM}_cost_month")
    assert month is not None
    if paris_today().day > 1:
        assert hass.states.get(month).state not in ("unknown", "unavailable")


@pytest.fixture
async def november_evening(
    hass: HomeAssistant,
    api_url: str,
    recent_meter: FakeEnedis,
    tempo: FakeTempo,
    freezer: FrozenDateTimeFactory,
) -> tuple[MockConfigEntry, FrozenDateTimeFactory]:
    """30 November 2026, 21:00 in Paris: a Tempo meter activated 12 days ago, set up."""
    freezer.move_to(datetime(2026, 11, 30, 21, tzinfo=PARIS))
    recent_meter.today = date(2026, 11, 30)
    recent_meter.activation = recent_meter.today - timedelta(days=12)
    return await setup_with_options(hass, api_url, TEMPO_OPTIONS), freezer


async def midnight(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """The clock passes midnight: 1 December 2026, 00:00:01 in Paris."""
    freezer.move_to(datetime(2026, 12, 1, 0, 0, 1, tzinfo=PARIS))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_the_month_moves_at_midnight(
    hass: HomeAssistant, november_evening: tuple[MockConfigEntry, FrozenDateTimeFactory]
) -> None:
    """Issue 20: "Cost this month" showed November's euros on 1 December until the morning's
    data came, while December's statistic had none: the window moves at midnight."""
    _entry, freezer = november_evening
    shown, recorded = await shown_and_recorded(hass, PRM, "cost_month")
    assert shown is not None
    assert shown == pytest.approx(recorded, abs=1e-4)

    await midnight(hass, freezer)

    month = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{PRM}_cost_month")
    assert month is not None
    state = hass.states.get(month)
    assert state is not None
    assert state.attributes["month"] == "2026-12"
    assert await shown_and_recorded(hass, PRM, "cost_month") == (None, None)
    # "Yesterday" (30 November) is not published yet: the newest complete day stays.
    shown, recorded = await shown_and_recorded(hass, PRM, "cost_yesterday")
    assert shown == pytest.approx(recorded, abs=1e-4)


async def test_a_refused_write_leaves_the_sensors_on_the_statistics(
    hass: HomeAssistant, november_evening: tuple[MockConfigEntry, FrozenDateTimeFactory]
) -> None:
    """New prices the database refuses to write: the sensors keep showing what the statistics
    hold (also when midnight redraws them), then both change together once it is written."""
    entry, freezer = november_evening
    before, recorded = await shown_and_recorded(hass, PRM, "cost_yesterday")
    assert before == pytest.approx(recorded, abs=1e-4)

    refused = AsyncMock(side_effect=StatisticsNotWrittenError("database is locked"))
    higher = {**PRICES, "blue_hp": 0.30, "white_hp": 0.35, "red_hp": 0.90}
    with patch("custom_components.delestage.tariff.manager.async_import_series", refused):
        hass.config_entries.async_update_entry(entry, options={**TEMPO_OPTIONS, "prices": higher})
        await hass.async_block_till_done()
        await midnight(hass, freezer)
    assert refused.await_count
    assert await shown_and_recorded(hass, PRM, "cost_yesterday") == (
        pytest.approx(before, abs=1e-4),
        pytest.approx(recorded, abs=1e-6),
    )

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=11))  # the retry
    await flush(hass)
    after, recorded = await shown_and_recorded(hass, PRM, "cost_yesterday")
    assert after == pytest.approx(recorded, abs=1e-4)
    assert after is not None
    assert after > before


async def test_period_sensor_is_right_from_the_first_set_up(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis
) -> None:
    recent_meter.offpeak_hours = "HC (1H30-7H30;12H30-14H30)"
    entry = make_entry(api_url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    period_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{PRM}_tariff_period_now")
    assert period_id is not None
    state = hass.states.get(period_id)
    now = dt_util.now(PARIS)
    minute = now.hour * 60 + now.minute
    offpeak = 90 <= minute < 450 or 750 <= minute < 870
    assert state.state == ("hc" if offpeak else "hp")
    assert state.attributes["offpeak_hours"] == ["01:30-07:30", "12:30-14:30"]
    assert state.attributes["source"] == "meter"
    assert state.attributes["options"] == ["hp", "hc"]
    await flush(hass)


async def test_options_flow_tempo_defaults_and_price_entities(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis, tempo: FakeTempo
) -> None:
    recent_meter.offpeak_hours = None  # the meter's hours are not available
    entry = await setup_with_options(hass, api_url, {})
    result = await open_linky_options(hass, entry, "enedis_tariff")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"tariff": "tempo"}
    )
    assert result["step_id"] == "enedis_offpeak"
    (field,) = result["data_schema"].schema
    assert field.description == {"suggested_value": "22:00-06:00"}  # Tempo's own hours
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"offpeak_hours": "22:00-06:00"}
    )
    answer = tempo_prices(PRICES)
    answer["red"]["price_hp_entity"] = "input_number.rouge_hp"  # wins over the number
    result = await hass.config_entries.options.async_configure(result["flow_id"], answer)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["prices"]["red_hp"] == "input_number.rouge_hp"
    assert entry.options["prices"]["blue_hp"] == PRICES["blue_hp"]
    assert entry.options["offpeak_hours"] == "22:00-06:00"
    await flush(hass)


# Longest name the device page shows whole (its entity rows cut "Consumption this month Blu…").
DEVICE_PAGE_NAME = 25
MONTH_NAMES = {
    "en": {
        "consumption_hp": "HP this month",
        "consumption_hc": "HC this month",
        "blue_hp": "Blue HP this month",
        "blue_hc": "Blue HC this month",
        "white_hp": "White HP this month",
        "white_hc": "White HC this month",
        "red_hp": "Red HP this month",
        "red_hc": "Red HC this month",
    },
    "fr": {
        "consumption_hp": "HP ce mois-ci",
        "consumption_hc": "HC ce mois-ci",
        "blue_hp": "Bleu HP ce mois-ci",
        "blue_hc": "Bleu HC ce mois-ci",
        "white_hp": "Blanc HP ce mois-ci",
        "white_hc": "Blanc HC ce mois-ci",
        "red_hp": "Rouge HP ce mois-ci",
        "red_hc": "Rouge HC ce mois-ci",
    },
}


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("language", ["en", "fr"])
async def test_names_fit_the_device_page(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis, tempo: FakeTempo, language: str
) -> None:
    """Short names in both languages; an existing entry keeps its entity ids."""
    await hass.config.async_update(language=language)
    entry = make_entry(api_url)
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    # Registered by a version with the long names: the entity id is the registry's.
    old = registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{PRM}_month_blue_hp",
        config_entry=entry,
        suggested_object_id="linky_0123_consumption_this_month_blue_hp",
    )
    hass.config_entries.async_update_entry(entry, options=TEMPO_OPTIONS)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await flush(hass)

    device = "Linky …0123 "
    for series, name in MONTH_NAMES[language].items():
        entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{PRM}_month_{series}")
        assert entity_id is not None, series
        assert hass.states.get(entity_id).attributes["friendly_name"] == device + name
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{PRM}_month_blue_hp") == old.entity_id
    long_names = {
        entity.unique_id: name
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
        if not entity.unique_id.startswith(f"{PRM}_shedding")
        and (state := hass.states.get(entity.entity_id)) is not None
        and len(name := state.attributes["friendly_name"].removeprefix(device)) > DEVICE_PAGE_NAME
    }
    assert long_names == {}


STATISTIC_NAMES = {
    "en": {
        "consumption": "Linky …0123 consumption",
        "consumption_hp": "Linky …0123 consumption HP",
        "blue_hp": "Linky …0123 Blue HP",
        "cost": "Linky …0123 cost",
    },
    "fr": {
        "consumption": "Linky …0123 : consommation",
        "consumption_hp": "Linky …0123 : consommation HP",
        "blue_hp": "Linky …0123 : Bleu HP",
        "cost": "Linky …0123 : coût",
    },
}
SUBSCRIPTION_UNIT = {"en": "€/month", "fr": "€/mois"}


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_statistic_names_and_units_in_the_server_language(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis, tempo: FakeTempo, language: str
) -> None:
    hass.config.language = language
    entry = await setup_with_options(hass, api_url, TEMPO_OPTIONS)

    expected = STATISTIC_NAMES[language]
    metadata = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids={stat(series) for series in expected})
    )
    assert {series: metadata[stat(series)][1]["name"] for series in expected} == expected

    # The subscription's unit in the options form is a text of the server's language.
    result = await open_linky_options(hass, entry, "enedis_tariff")
    field = next(k for k in result["data_schema"].schema if k == "subscription")
    config = result["data_schema"].schema[field].config
    unit = (
        f"selector.{config['translation_key']}.unit_of_measurement.{config['unit_of_measurement']}"
    )
    assert lookup(language, unit) == SUBSCRIPTION_UNIT[language]


def _day_readings(day: date, wh: float) -> list[tuple[datetime, datetime, float]]:
    """One local day of hourly readings of ``wh`` each."""
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS)
    hours = [start + timedelta(hours=n) for n in range(24)]
    return [(hour, hour + timedelta(hours=1), wh) for hour in hours]


async def test_an_import_during_the_unload_is_not_overwritten(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis
) -> None:
    """A file imported while the meter's entry unloads (a reload, a reauth) keeps every hour.

    The first import is still in the split's memory (its Store is written a little later);
    the second reaches the split while the unload writes that Store (a slow SD card). Both are
    in the Store the entry reads when it starts again, and both are split.
    """
    options = {"tariff": "hp_hc", "offpeak_hours": "22:00-06:00", "prices": {"hp": 0.27, "hc": 0.2}}
    entry = await setup_with_options(hass, api_url, options)
    first, second = (paris_today() - timedelta(days=n) for n in (31, 30))
    hub = get_hub(hass)
    await hub.async_publish_consumption(ConsumptionImport(PRM, _day_readings(first, 500.0)))
    key = f"{DOMAIN}.enedis_tariff.{entry.entry_id}"
    write = storage.Store._async_write_data
    concurrent: list[asyncio.Task[None]] = []

    async def _slow_write(store: storage.Store, data: dict[str, Any]) -> None:
        if store.key == key and not concurrent:
            concurrent.append(
                hass.async_create_task(
                    hub.async_publish_consumption(
                        ConsumptionImport(PRM, _day_readings(second, 700.0))
                    )
                )
            )
            for _ in range(20):  # the disk is slow: the import runs meanwhile
                await asyncio.sleep(0)
        await write(store, data)

    with patch.object(storage.Store, "_async_write_data", _slow_write):
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    assert concurrent
    assert concurrent[0].done()

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await flush(hass)

    hp = by_start(await hourly_sums(hass, stat("consumption_hp")))
    hc = by_start(await hourly_sums(hass, stat("consumption_hc")))
    for day, wh in ((first, 500.0), (second, 700.0)):
        for start, _end, _wh in _day_readings(day, wh):
            hour = start.timestamp()
            assert hp.get(hour, 0.0) + hc.get(hour, 0.0) == pytest.approx(wh / 1000), start
