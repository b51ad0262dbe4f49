"""The report's signals: Ecowatt hours written down from the RTE entry, Tempo red days, and
the past periods (with the report's figures) in the Ecowatt calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.report.manager import (
    ShedReport,
    async_get_reports,
    season_start,
)
from custom_components.delestage.report.model import (
    PARIS,
    PeriodKind,
    PeriodResult,
    ResultStatus,
    ShedPeriod,
    compute_report,
)
from custom_components.delestage.report.signals import (
    STORAGE_KEY,
    EcowattLog,
    async_ecowatt_log,
    async_tempo_red_periods,
)
from tests.rte.fake_rte import FakeRte, day_payload, tempo_payload

from .household import simulate

CALENDAR = "calendar.rte_ecowatt_alerts"


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture(autouse=True)
async def paris_time_zone(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _events(hass: HomeAssistant, start: datetime, end: datetime) -> list[dict[str, Any]]:
    result = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": CALENDAR, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    return list(result[CALENDAR]["events"])  # type: ignore[index]


async def test_ecowatt_hours_are_written_down_and_kept(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    """Every alert hour of the forecast from today on; past days stay as they were seen."""
    freezer.move_to(paris(2022, 6, 3, 8, 20))
    await _setup(hass, rte_entry)
    log = await async_ecowatt_log(hass)
    assert log.ingest() is True
    assert log.hours[paris(2022, 6, 3, 7).astimezone(UTC)] == 3
    runs = log.runs()
    assert runs[0].start == paris(2022, 6, 3, 7)
    assert log.ingest() is False  # nothing new
    periods = log.periods(paris(2022, 6, 3, 0))
    assert periods[0] == ShedPeriod(
        paris(2022, 6, 3, 7), paris(2022, 6, 3, 9), PeriodKind.ECOWATT_RED
    )
    assert {p.kind for p in periods} <= {PeriodKind.ECOWATT_RED, PeriodKind.ECOWATT_ORANGE}
    freezer.tick(5)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert (
        paris(2022, 6, 3, 7).astimezone(UTC).isoformat()
        in hass_storage[STORAGE_KEY]["data"]["hours"]
    )

    # The next day, the forecast no longer has 3 June: its hours stay in the log.
    seen = dict(log.hours)
    log.ingest(paris(2022, 6, 4, 8).astimezone(UTC))
    assert all(log.hours[h] == level for h, level in seen.items() if h < paris(2022, 6, 4, 0))

    # After a restart the log is read back.
    again = EcowattLog(hass)
    await again.async_load()
    assert again.hours == log.hours
    # A damaged file starts again.
    hass_storage[STORAGE_KEY]["data"] = {"hours": {"not a date": 3}}
    damaged = EcowattLog(hass)
    await damaged.async_load()
    assert damaged.hours == {}


async def test_tempo_red_days(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    freezer.move_to(paris(2026, 1, 20, 12))
    fake_rte.tempo = tempo_payload(
        {date(2026, 1, 12): "RED", date(2026, 1, 13): "WHITE", date(2026, 1, 15): "RED"}
    )
    await _setup(hass, rte_entry)
    periods = await async_tempo_red_periods(hass, date(2026, 1, 10), date(2026, 1, 20))
    assert periods == [
        ShedPeriod(paris(2026, 1, 12, 6), paris(2026, 1, 12, 22), PeriodKind.TEMPO_RED),
        ShedPeriod(paris(2026, 1, 15, 6), paris(2026, 1, 15, 22), PeriodKind.TEMPO_RED),
    ]


async def test_no_tempo_without_the_subscription(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    freezer.move_to(paris(2026, 1, 20, 12))
    fake_rte.tempo_status = 403
    await _setup(hass, rte_entry)
    assert await async_tempo_red_periods(hass, date(2026, 1, 10), date(2026, 1, 20)) == []


async def test_no_tempo_without_rte(hass: HomeAssistant) -> None:
    assert await async_tempo_red_periods(hass, date(2026, 1, 10), date(2026, 1, 20)) == []


async def test_past_periods_in_the_calendar_with_the_report(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    """A red run gone from the forecast is still an event, its description says what it saved."""
    freezer.move_to(paris(2022, 6, 3, 8, 20))
    await _setup(hass, rte_entry)
    day = date(2022, 5, 18)  # a Wednesday, two weeks before the sandbox's days
    period = ShedPeriod(paris(2022, 5, 18, 18), paris(2022, 5, 18, 20), PeriodKind.ECOWATT_RED)
    season = simulate(2, first=day - timedelta(days=45), days=47, explicit=[period])
    log = await async_ecowatt_log(hass)
    log.hours[period.start.astimezone(UTC)] = 3
    log.hours[(period.start + timedelta(hours=1)).astimezone(UTC)] = 2

    # Before any report: the event, with its levels only.
    (event,) = await _events(hass, paris(2022, 5, 18, 0), paris(2022, 5, 19, 0))
    assert event["summary"] == "Ecowatt: Red"
    assert event["start"] == "2022-05-18T18:00:00+02:00"
    assert event["description"] == "Ecowatt Red: 18:00–19:00 Red, 19:00–20:00 Orange"

    report = ShedReport(hass, "12345678901234")
    meter = MockConfigEntry(
        domain=DOMAIN, data={"entry_type": "enedis"}, state=ConfigEntryState.LOADED
    )
    meter.add_to_hass(hass)
    async_get_reports(hass)[meter.entry_id] = report  # the meter's report (report/__init__.py)
    # The morning after, before Linky data: still the levels only.
    report.results = [PeriodResult(period, ResultStatus.NO_DATA)]
    (event,) = await _events(hass, paris(2022, 5, 18, 0), paris(2022, 5, 19, 0))
    assert event["description"] == "Ecowatt Red: 18:00–19:00 Red, 19:00–20:00 Orange"

    cost = dict.fromkeys(period.hours(), 0.5)
    report.results = compute_report(season.periods, season.consumption, season.temperature, cost)
    row = report.results[0].as_row()
    (event,) = await _events(hass, paris(2022, 5, 18, 0), paris(2022, 5, 19, 0))
    lines = event["description"].split("\n")
    assert lines[0] == "Ecowatt Red: 18:00–19:00 Red, 19:00–20:00 Orange"
    assert lines[1] == (
        f"Consumption {row['consumption_kwh']:.2f} kWh · "
        f"Usual consumption {row['baseline_kwh']:.2f} kWh · "
        f"Avoided {row['avoided_kwh']:.2f} kWh · Saved {row['avoided_cost_eur']:.2f} € · "
        f"Outdoor temperature {row['outdoor_temperature_c']:.1f} °C"
    )
    # Today's events still come from the forecast.
    events = await _events(hass, paris(2022, 6, 3, 0), paris(2022, 6, 4, 0))
    assert events[0]["start"] == "2022-06-03T07:00:00+02:00"


async def test_a_revised_alert_replaces_its_future_part_and_keeps_the_past(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    """RTE revises today's alerts after the log wrote them down: one event per alert."""
    freezer.move_to(paris(2022, 6, 3, 8, 20))
    await _setup(hass, rte_entry)
    log = await async_ecowatt_log(hass)
    assert log.ingest() is True  # 07-09 red, 14-21 red then orange, tomorrow from 05:00
    # The revision: 07:00 (gone) now green, 08:00 still red, the afternoon from 16:00,
    # tomorrow green.
    today = [1] * 8 + [3] + [1] * 7 + [3] * 5 + [2] * 3
    fake_rte.signals = {
        "signals": [
            day_payload(date(2022, 6, 3) + timedelta(days=n), today if n == 0 else [1] * 24)
            for n in range(4)
        ]
    }
    freezer.move_to(paris(2022, 6, 3, 9, 30))  # the next hourly call
    async_fire_time_changed(hass, paris(2022, 6, 3, 9, 30))
    await hass.async_block_till_done()
    assert fake_rte.calls["signals"] == 2

    events = await _events(hass, paris(2022, 6, 3, 0), paris(2022, 6, 5, 0))

    assert [(e["start"], e["end"], e["summary"]) for e in events] == [
        # 07:00 as it was seen, 08:00 from both: one event.
        ("2022-06-03T07:00:00+02:00", "2022-06-03T09:00:00+02:00", "Ecowatt: Red"),
        # The afternoon as revised; tomorrow's alert is gone.
        ("2022-06-03T16:00:00+02:00", "2022-06-04T00:00:00+02:00", "Ecowatt: Red"),
    ]
    assert events[1]["description"] == "Ecowatt Red: 16:00–21:00 Red, 21:00–00:00 Orange"


def test_season_starts_on_1_september() -> None:
    assert season_start(paris(2027, 1, 10)) == paris(2026, 9, 1)
    assert season_start(paris(2026, 9, 1, 0, 30)) == paris(2026, 9, 1)
    assert season_start(paris(2026, 8, 31, 23)) == paris(2025, 9, 1)
