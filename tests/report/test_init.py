"""The shedding report in Home Assistant: statistics, sensors, action, calendar, late data."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, date, datetime, timedelta
import json
from typing import Any
from unittest.mock import patch

from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import TemperatureConverter
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.enedis.statistics import (
    async_import_hourly,
    async_import_series,
)
from custom_components.delestage.hub import ObservationStation, get_hub
from custom_components.delestage.report import manager, model
from custom_components.delestage.report.manager import async_get_reports
from custom_components.delestage.report.model import PARIS, PeriodKind, ShedPeriod
from custom_components.delestage.report.signals import async_ecowatt_log
from custom_components.delestage.shedding.store import ShedPeriod as GroupPeriod
from custom_components.delestage.tariff.manager import async_series_metadata
from custom_components.delestage.tariff.model import COST_SERIES
from tests.enedis.conftest import make_entry
from tests.enedis.fake_enedis import PRM, FakeEnedis
from tests.enedis.test_gateway_setup import entry_for, simulator
from tests.enedis.test_init import hourly_sums
from tests.enedis.test_statistics import check_continuous
from tools.sandbox import SandboxState
from tools.sandbox.state import CONSUMER_PRM

from .household import ROW_FIELDS, Season, simulate

pytestmark = pytest.mark.usefixtures("credentials", "recorder_mock", "quiet_sql")
__all__ = ["simulator"]

AVOIDED = f"delestage:shedding_{PRM}_avoided_energy"
BASELINE = f"delestage:shedding_{PRM}_baseline"
TEMPERATURE = "sensor.station_temperature"


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS).astimezone(UTC)


@pytest.fixture
def recent_meter(gateway: FakeEnedis) -> FakeEnedis:
    """A meter whose back-fill is short (20 days)."""
    gateway.activation = gateway.today - timedelta(days=20)
    return gateway


@pytest.fixture
def season(recent_meter: FakeEnedis) -> Season:
    """60 simulated days ending 70 days ago, two shed periods (red run, Tempo-like red day)."""
    first = recent_meter.today - timedelta(days=130)
    red = first + timedelta(days=40)
    while red.weekday() >= 5:
        red += timedelta(days=1)
    orange = red + timedelta(days=7)
    return simulate(
        8,
        first=first,
        explicit=[
            ShedPeriod(_at(red, 18), _at(red, 20), PeriodKind.ECOWATT_RED),
            ShedPeriod(_at(orange, 8), _at(orange, 10), PeriodKind.ECOWATT_ORANGE),
        ],
    )


@pytest.fixture
def shed_history(season: Season) -> Generator[list[GroupPeriod]]:
    """The shedding history: a group active during both periods (15 min early)."""
    periods = [
        GroupPeriod(
            group="automation.shedding",
            start=p.start - timedelta(minutes=15),
            end=p.end,
            loads=("switch.heater",),
        )
        for p in season.periods
    ]
    with patch(
        "custom_components.delestage.report.manager.async_get_shed_periods",
        side_effect=lambda hass, start, end: list(periods),
    ):
        yield periods


async def _seed(hass: HomeAssistant, season: Season, *, weather: bool = True) -> None:
    """The season in the recorder (consumption, temperatures) and its signals in the log."""
    await async_import_hourly(
        hass, PRM, "consumption", {h: v * 1000 for h, v in season.consumption.items()}
    )
    if weather:
        station = MockConfigEntry(
            domain=DOMAIN,
            title="Paris-Montsouris",
            unique_id="75114001",
            data={"entry_type": "meteofrance", "station_id": "75114001"},
            state=ConfigEntryState.LOADED,
        )
        station.add_to_hass(hass)
        sensor = er.async_get(hass).async_get_or_create(
            "sensor",
            DOMAIN,
            "75114001_temperature",
            config_entry=station,
            suggested_object_id="station_temperature",
        )
        # What the Météo-France entry publishes when it sets up (meteofrance/__init__.py).
        get_hub(hass).register_station(
            ObservationStation(
                station.entry_id, station.title, lambda: sensor.entity_id, lambda: None
            )
        )
        async_import_statistics(
            hass,
            {
                "has_sum": False,
                "mean_type": StatisticMeanType.ARITHMETIC,
                "name": None,
                "source": "recorder",
                "statistic_id": TEMPERATURE,
                "unit_class": TemperatureConverter.UNIT_CLASS,
                "unit_of_measurement": "°C",
            },
            [
                {"start": h, "mean": t, "min": t, "max": t}
                for h, t in sorted(season.temperature.items())
            ],
        )
    log = await async_ecowatt_log(hass)
    for period in season.periods:
        level = 2 if period.kind is PeriodKind.ECOWATT_ORANGE else 3
        hour = period.start
        while hour < period.end:
            log.hours[hour] = level
            hour += timedelta(hours=1)
    await async_wait_recording_done(hass)


async def _setup(hass: HomeAssistant, api_url: str) -> MockConfigEntry:
    entry = make_entry(api_url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


async def _report(hass: HomeAssistant, **data: Any) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        DOMAIN, "shedding_report", data, blocking=True, return_response=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    return response["periods"]


def _state(hass: HomeAssistant, key: str) -> Any:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{PRM}_{key}")
    assert entity_id is not None, key
    return hass.states.get(entity_id)


@pytest.mark.usefixtures("shed_history")
async def test_report_statistics_sensors_and_action(
    hass: HomeAssistant, api_url: str, season: Season
) -> None:
    entry = await _setup(hass, api_url)
    # Before any Linky data of the season: no period computed, sensors unknown.
    assert _state(hass, "shedding_last_avoided_energy").state == "unknown"
    await _seed(hass, season)
    # The first computation runs a minute after start-up, by itself.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=2))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _state(hass, "shedding_last_avoided_energy").state != "unknown"

    periods = await _report(hass)
    assert len(periods) == 2
    assert all(set(row) == ROW_FIELDS for row in periods)
    assert [row["kind"] for row in periods] == ["ecowatt_red", "ecowatt_orange"]
    for row, truth in zip(periods, season.truths, strict=True):
        assert row["avoided_kwh"] == pytest.approx(truth.avoided_wh / 1000, rel=0.15)
        assert row["baseline_kwh"] == pytest.approx(
            row["consumption_kwh"] + row["avoided_kwh"], abs=0.002
        )
        assert row["outdoor_temperature_c"] is not None
        assert row["avoided_cost_eur"] is None  # no tariff set
    assert periods[0]["start"] == season.periods[0].start.astimezone(PARIS).isoformat()

    # Statistics: one row per shed hour, sums continuous.
    avoided = await hourly_sums(hass, AVOIDED)
    baseline = await hourly_sums(hass, BASELINE)
    hours = [h for p in season.periods for h in p.hours()]
    assert [datetime.fromtimestamp(r["start"], UTC) for r in avoided] == hours
    assert avoided[-1]["sum"] == pytest.approx(sum(row["avoided_kwh"] for row in periods), abs=0.01)
    assert baseline[-1]["sum"] == pytest.approx(
        sum(row["baseline_kwh"] for row in periods), abs=0.01
    )

    # Sensors on the meter's device.
    last = _state(hass, "shedding_last_avoided_energy")
    assert float(last.state) == pytest.approx(periods[-1]["avoided_kwh"], abs=0.001)
    assert last.attributes["kind"] == "ecowatt_orange"
    assert last.attributes["weather_adjusted"] is True
    assert last.attributes["comparable_days"] == 10
    assert last.attributes["unit_of_measurement"] == "kWh"
    device = er.async_get(hass).async_get(last.entity_id).device_id
    assert device is not None
    season_kwh = _state(hass, "shedding_season_avoided_energy")
    assert season_kwh is not None
    cost = _state(hass, "shedding_season_avoided_cost")
    assert cost.attributes["unit_of_measurement"] == "EUR"

    diagnostics = async_get_reports(hass)[entry.entry_id].diagnostics()
    assert diagnostics["periods"] == {"ok": 2}
    assert diagnostics["weather_adjusted"] == 2
    assert diagnostics["weather_entity"] == TEMPERATURE
    assert PRM not in json.dumps(diagnostics)

    # A second run writes the same figures (upserts, nothing shifts).
    again = await _report(hass, config_entry_id=entry.entry_id)
    assert again == periods
    assert await hourly_sums(hass, AVOIDED) == avoided

    # Ranges.
    first_day = date.fromisoformat(periods[1]["start"][:10])
    assert await _report(hass, start=first_day.isoformat()) == periods[1:]
    assert await _report(hass, end=(first_day - timedelta(days=1)).isoformat()) == periods[:1]
    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, start="2026-02-02", end="2026-02-01")
    assert err.value.translation_key == "shedding_report_range_reversed"


@pytest.mark.usefixtures("shed_history")
async def test_late_data_is_recomputed(hass: HomeAssistant, api_url: str, season: Season) -> None:
    """A missing hour: the period is incomplete; the late hour arrives, the figures follow."""
    entry = await _setup(hass, api_url)
    period = season.periods[0]
    held = {h: v for h, v in season.consumption.items() if h != period.start}
    await _seed(hass, Season(held, season.temperature, season.periods, season.truths))
    # The recorder keeps no row for the hour: remove it from the imported series.
    periods = await _report(hass)
    # The import filled the hole? No: statistics keep only the hours imported.
    assert periods[0]["consumption_kwh"] is None
    assert periods[0]["avoided_kwh"] is None
    assert periods[1]["avoided_kwh"] is not None
    await async_import_hourly(
        hass, PRM, "consumption", {period.start: season.consumption[period.start] * 1000}
    )
    with (
        patch.object(model, "compute_period", wraps=model.compute_period) as computed,
        patch.object(manager, "async_write_series", wraps=manager.async_write_series) as written,
    ):
        periods = await _report(hass)
        # The period the late hour belongs to is computed again; the other one is kept.
        assert [call.args[0] for call in computed.call_args_list] == [period]
        # Its hours alone are written, in both series.
        assert [set(call.args[3]) for call in written.call_args_list] == [set(period.hours())] * 2
        computed.reset_mock()
        written.reset_mock()
        # Nothing new: nothing computed, nothing written.
        assert await _report(hass) == periods
        # The morning Linky refresh (which reruns the report): the same, nothing to do.
        report = async_get_reports(hass)[entry.entry_id]
        before = report.computed_at
        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
        assert report.computed_at > before  # the report ran
        assert computed.call_count == written.call_count == 0
    assert periods[0]["avoided_kwh"] == pytest.approx(season.truths[0].avoided_wh / 1000, rel=0.15)
    hours = [datetime.fromtimestamp(r["start"], UTC) for r in await hourly_sums(hass, AVOIDED)]
    assert period.start in hours
    check_continuous(await hourly_sums(hass, AVOIDED))


async def test_periods_that_no_longer_hold_are_zeroed(
    hass: HomeAssistant, api_url: str, season: Season, shed_history: list[GroupPeriod]
) -> None:
    """The series always equal the report: a period gone (late data, a restart in between)
    leaves no figure behind, the sums stay continuous, and a second run writes nothing."""
    entry = await _setup(hass, api_url)
    await _seed(hass, season)
    periods = await _report(hass)
    assert len(periods) == 2
    gone, kept = season.periods
    # Home Assistant restarts; meanwhile the first period stopped being a shed period.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    shed_history.pop(0)

    remaining = await _report(hass)
    # (Its figures move a little: the day it left is a comparable day again.)
    assert [row["start"] for row in remaining] == [periods[1]["start"]]

    for series, field in ((AVOIDED, "avoided_kwh"), (BASELINE, "baseline_kwh")):
        rows = await hourly_sums(hass, series)
        by_hour = {datetime.fromtimestamp(r["start"], UTC): r["state"] for r in rows}
        assert {by_hour[h] for h in gone.hours()} == {0.0}, series
        assert all(by_hour[h] != 0.0 for h in kept.hours()), series
        assert rows[-1]["sum"] == pytest.approx(remaining[0][field], abs=0.01), series
        check_continuous(rows)

    # Nothing new: nothing written. Then no period at all: every hour is zero.
    with patch.object(manager, "async_write_series", wraps=manager.async_write_series) as written:
        await _report(hass)
        assert written.call_count == 0
    shed_history.clear()
    assert await _report(hass) == []
    for series in (AVOIDED, BASELINE):
        rows = await hourly_sums(hass, series)
        assert {r["state"] for r in rows} == {0.0}, series
        assert rows[-1]["sum"] == pytest.approx(0.0, abs=1e-9), series
        check_continuous(rows)


@pytest.mark.usefixtures("shed_history")
async def test_without_meteo_france(hass: HomeAssistant, api_url: str, season: Season) -> None:
    await _setup(hass, api_url)
    await _seed(hass, season, weather=False)
    periods = await _report(hass)
    assert [row["outdoor_temperature_c"] for row in periods] == [None, None]
    assert all(row["avoided_kwh"] is not None for row in periods)
    assert _state(hass, "shedding_last_avoided_energy").attributes["weather_adjusted"] is False


@pytest.mark.usefixtures("shed_history")
async def test_money_from_the_cost_statistic(
    hass: HomeAssistant, api_url: str, season: Season
) -> None:
    """With a tariff, each hour's avoided kWh is worth that hour's price (cost ÷ kWh)."""
    await _setup(hass, api_url)
    await _seed(hass, season)
    red_hours = set(season.periods[0].hours())
    price = {h: 0.75 if h in red_hours else 0.15 for h in season.consumption}
    await async_import_series(
        hass,
        await async_series_metadata(hass, PRM, COST_SERIES),
        {h: kwh * price[h] for h, kwh in season.consumption.items()},
    )
    periods = await _report(hass)
    assert periods[0]["avoided_cost_eur"] == pytest.approx(
        periods[0]["avoided_kwh"] * 0.75, abs=0.01
    )
    assert periods[1]["avoided_cost_eur"] == pytest.approx(
        periods[1]["avoided_kwh"] * 0.15, abs=0.01
    )
    state = _state(hass, "shedding_season_avoided_cost")
    assert float(state.state) == pytest.approx(
        periods[0]["avoided_cost_eur"] + periods[1]["avoided_cost_eur"], abs=0.02
    )
    assert state.attributes["periods"] == 2


async def test_no_shedding_no_period(hass: HomeAssistant, api_url: str, season: Season) -> None:
    """Red hours without any shedding group active are not a shed period."""
    await _setup(hass, api_url)
    await _seed(hass, season)
    assert await _report(hass) == []
    assert _state(hass, "shedding_season_avoided_energy").state == "unknown"


async def test_action_names_a_loaded_meter(hass: HomeAssistant, api_url: str) -> None:
    entry = await _setup(hass, api_url)
    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, config_entry_id="nope")
    assert err.value.translation_key == "enedis_entry_not_found"
    other = make_entry(api_url, prm="12345678901299")
    other.add_to_hass(hass)
    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, config_entry_id=other.entry_id)
    assert err.value.translation_key == "enedis_entry_not_loaded"
    # Without a meter: the loaded one answers, the other (not loaded) is left out.
    assert await _report(hass) == []
    assert await _report(hass, config_entry_id=entry.entry_id) == []
    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await _report(hass)
    assert err.value.translation_key == "enedis_entry_not_loaded"


@pytest.mark.usefixtures("shed_history")
async def test_without_a_meter_every_meter_answers(
    hass: HomeAssistant,
    api_url: str,
    season: Season,
    simulator: tuple[SandboxState, str],
    hass_client: ClientSessionGenerator,
) -> None:
    """Two meters (Data Connect and MyElectricalData): each row says whose it is."""
    first = await _setup(hass, api_url)
    _, root = simulator
    second = entry_for("myelectricaldata", root)
    second.add_to_hass(hass)
    assert await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await _seed(hass, season)
    # The second home uses a third less (same weather, same shed periods).
    await async_import_hourly(
        hass,
        CONSUMER_PRM,
        "consumption",
        {h: v * 1000 * 2 / 3 for h, v in season.consumption.items()},
    )
    await async_wait_recording_done(hass)

    periods = await _report(hass)

    assert all(set(row) == ROW_FIELDS | {"meter", "config_entry_id"} for row in periods)
    assert [(row["meter"], row["config_entry_id"]) for row in periods] == [
        ("Linky …0123", first.entry_id),
        ("Linky …9012", second.entry_id),
    ] * 2
    assert [row["start"] for row in periods] == sorted(
        (row["start"] for row in periods), key=datetime.fromisoformat
    )
    # Each meter's rows are its own report, the same as when it is named.
    for entry in (first, second):
        own = await _report(hass, config_entry_id=entry.entry_id)
        assert all(set(row) == ROW_FIELDS for row in own)
        assert [
            {k: v for k, v in row.items() if k in ROW_FIELDS}
            for row in periods
            if row["config_entry_id"] == entry.entry_id
        ] == own
    mine, theirs = (
        [row["consumption_kwh"] for row in periods if row["config_entry_id"] == e.entry_id]
        for e in (first, second)
    )
    assert theirs == pytest.approx([kwh * 2 / 3 for kwh in mine], abs=0.002)

    # The README's REST form: the same answer.
    assert await async_setup_component(hass, "api", {})
    client = await hass_client()
    answer = await client.post("/api/services/delestage/shedding_report?return_response", json={})
    assert answer.status == 200, await answer.text()
    assert (await answer.json())["service_response"] == {"periods": periods}


@pytest.mark.usefixtures("shed_history")
async def test_a_failing_run_keeps_the_last_figures(
    hass: HomeAssistant, api_url: str, season: Season, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await _setup(hass, api_url)
    await _seed(hass, season)
    periods = await _report(hass)
    with patch(
        "custom_components.delestage.report.manager.async_read_inputs",
        side_effect=RuntimeError("database gone"),
    ):
        assert await _report(hass) == periods
    assert "Shedding report of meter …0123 failed" in caplog.text
    # Ecowatt hours are written down every hour (the report's hourly timer), without a run.
    log = await async_ecowatt_log(hass)
    with patch.object(log, "ingest") as ingest:
        await async_get_reports(hass)[entry.entry_id]._async_log_signals(dt_util.utcnow())
    assert ingest.called
    assert await hass.config_entries.async_unload(entry.entry_id)
