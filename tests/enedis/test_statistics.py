"""Tests of Linky readings → recorder external statistics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
import itertools
import sqlite3
from typing import Any
from unittest.mock import patch

from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import get_metadata, statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util.unit_conversion import EnergyConverter
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from sqlalchemy.exc import OperationalError

from custom_components.delestage.api.enedis_models import (
    CurvePoint,
    DailyValue,
    parse_load_curve,
)
from custom_components.delestage.enedis.recorder_bulk import ATTEMPTS, BulkUpsertStatisticsTask
from custom_components.delestage.enedis.statistics import (
    EnergyKind,
    StatisticsNotWrittenError,
    async_import_hourly,
    async_import_readings,
    build_hourly,
    curve_to_hourly,
    daily_to_hourly,
    days_with_full_curve,
    local_day_bounds,
    statistic_id,
)

from .fake_enedis import PRM, FakeEnedis, quiet_sql

pytestmark = pytest.mark.usefixtures("quiet_sql")
__all__ = ["quiet_sql"]

STAT = f"delestage:linky_{PRM}_consumption"


def curve_payload(fake: FakeEnedis, start: date, end: date) -> dict[str, Any]:
    """A ``courbe_de_charge_consommation`` answer as the gateway sends it."""
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    return {
        "idPrm": PRM,
        "etapeMetier": "BRUT",
        "periode": {"dateDebut": start.isoformat(), "dateFin": end.isoformat()},
        "typeValeur": "GLOBALE",
        "modeCalcul": "MESURE",
        "pas": "PT30M",
        "grandeur": [
            {
                "grandeurMetier": "CONS",
                "grandeurPhysique": "PA",
                "unite": "W",
                "points": [p for day in days for p in fake.curve_points(day)],
            }
        ],
        "contexte": [],
    }


def curve(fake: FakeEnedis, start: date, days: int = 1) -> list[CurvePoint]:
    """Parsed curve points of ``days`` days from ``start``."""
    return list(parse_load_curve(curve_payload(fake, start, start + timedelta(days=days))).points)


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- readings → hours


def test_statistic_id() -> None:
    """Ids follow the DESIGN contract."""
    assert statistic_id(PRM, "consumption") == STAT
    assert statistic_id(PRM, EnergyKind.PRODUCTION) == f"delestage:linky_{PRM}_production"


def test_30_min_curve_to_hours() -> None:
    """Two half-hours make one hour: W/2 each."""
    fake = FakeEnedis()
    day = date(2026, 9, 29)
    points = curve(fake, day)
    hourly = curve_to_hourly(points)
    assert len(hourly) == 24
    start, _ = local_day_bounds(day)
    assert min(hourly) == start == utc(2026, 9, 28, 22)
    first_hour = (points[0].watts + points[1].watts) / 2
    assert hourly[start] == pytest.approx(first_hour)
    assert sum(hourly.values()) == pytest.approx(fake.daily_wh(day), abs=0.5)


def test_mixed_steps_curve_to_hours() -> None:
    """10/15/30/60-minute steps in one answer: every point's own step, total exact."""
    fake = FakeEnedis(steps=lambda _day: [10, 10, 10, 15, 15, 60, 30, 30])
    day = date(2026, 9, 29)
    points = curve(fake, day)
    hourly = curve_to_hourly(points)
    assert len(hourly) == 24
    expected = sum(p.watts * (p.end - p.start).total_seconds() / 3600 for p in points)
    assert sum(hourly.values()) == pytest.approx(expected)
    # Hour 2 (local 02:00-03:00): steps 10,10,10,15,15 → 60 min, from the 6 first points' slots
    assert day in days_with_full_curve(points)


def test_interval_crossing_an_hour_is_split() -> None:
    """A 60-min interval from 00:30 to 01:30 gives half its energy to each hour."""
    point = CurvePoint(end=utc(2026, 1, 1, 1, 30), start=utc(2026, 1, 1, 0, 30), watts=1000)
    assert curve_to_hourly([point]) == {
        utc(2026, 1, 1, 0): pytest.approx(500),
        utc(2026, 1, 1, 1): pytest.approx(500),
    }
    assert curve_to_hourly([CurvePoint(utc(2026, 1, 1), utc(2026, 1, 1), 5)]) == {}


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)])
def test_dst_days(day: date, hours: int) -> None:
    """46 half-hours → 23 hours; 50 → 25; nothing lost, nothing doubled."""
    fake = FakeEnedis()
    points = curve(fake, day)
    assert len(points) == (46 if hours == 23 else 50)
    hourly = curve_to_hourly(points)
    assert len(hourly) == hours
    start, end = local_day_bounds(day)
    assert sorted(hourly) == [start + timedelta(hours=h) for h in range(hours)]
    assert end - start == timedelta(hours=hours)
    assert sum(hourly.values()) == pytest.approx(fake.daily_wh(day), abs=0.5)
    assert days_with_full_curve(points) == {day}


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)])
def test_daily_spread_on_dst_days(day: date, hours: int) -> None:
    """A daily value is spread over the day's real number of hours."""
    hourly = daily_to_hourly([DailyValue(day, 2300.0 if hours == 23 else 2500.0)])
    assert len(hourly) == hours
    assert set(hourly.values()) == {100.0}


def test_build_hourly_picks_curve_or_daily() -> None:
    """Full curve days use the curve; partial ones the daily value; never both."""
    fake = FakeEnedis(missing_curve_days=set())
    d1, d2, d3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)
    points = curve(fake, d1, 3)
    partial = [p for p in points if not (local_day(p.start) == d2 and p.start.hour >= 12)]
    daily = [DailyValue(d2, 24000.0)]
    hourly = build_hourly(partial, daily)
    s2, e2 = local_day_bounds(d2)
    day2 = {h: v for h, v in hourly.items() if s2 <= h < e2}
    assert len(day2) == 24
    assert set(day2.values()) == {1000.0}
    s1, e1 = local_day_bounds(d1)
    assert sum(v for h, v in hourly.items() if s1 <= h < e1) == pytest.approx(
        fake.daily_wh(d1), abs=0.5
    )
    # Without the daily value, the partial curve is used... unless complete days only.
    assert sum(v for h, v in build_hourly(partial).items() if s2 <= h < e2) > 0
    only = build_hourly(partial, complete_days_only=True)
    assert not [h for h in only if s2 <= h < e2]
    s3, _ = local_day_bounds(d3)
    assert s3 in only


def local_day(moment: datetime) -> date:
    """Paris date of an instant (test helper, independent of the module's)."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Europe/Paris")).date()


# --------------------------------------------------------------------------- recorder


async def read_rows(hass: HomeAssistant, stat_id: str = STAT) -> list[dict[str, Any]]:
    """Every hourly row of a series."""
    await async_wait_recording_done(hass)
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        utc(2020, 1, 1),
        None,
        {stat_id},
        "hour",
        None,
        {"state", "sum"},
    )
    return list(stats.get(stat_id, []))


def check_continuous(rows: list[dict[str, Any]]) -> None:
    """Each row's sum = previous sum + its state."""
    for before, after in itertools.pairwise(rows):
        assert after["sum"] == pytest.approx(before["sum"] + after["state"], abs=1e-6)


@pytest.mark.usefixtures("recorder_mock")
async def test_import_metadata_and_rows(hass: HomeAssistant) -> None:
    """kWh per hour, sum only, energy unit class; sums continuous."""
    fake = FakeEnedis()
    day = date(2026, 10, 25)
    result = await async_import_readings(hass, PRM, "consumption", curve=curve(fake, day, 2))
    assert result.rows == 49
    assert result.kwh == pytest.approx(
        (fake.daily_wh(day) + fake.daily_wh(day + timedelta(1))) / 1000, abs=1e-3
    )
    rows = await read_rows(hass)
    assert len(rows) == 49
    assert rows[0]["start"] == utc(2026, 10, 24, 22).timestamp()
    assert rows[0]["sum"] == pytest.approx(rows[0]["state"])
    check_continuous(rows)
    assert rows[-1]["sum"] == pytest.approx(result.kwh, abs=1e-6)
    meta = await get_instance(hass).async_add_executor_job(
        partial(get_metadata, hass, statistic_ids={STAT})
    )
    info = meta[STAT][1]
    assert info["mean_type"] is StatisticMeanType.NONE
    assert info["has_sum"] is True
    assert info["unit_class"] == EnergyConverter.UNIT_CLASS
    assert info["unit_of_measurement"] == "kWh"
    assert info["source"] == "delestage"
    assert PRM not in info["name"]


@pytest.mark.usefixtures("recorder_mock")
async def test_reimport_is_idempotent(hass: HomeAssistant) -> None:
    """Importing the same readings again changes no row and no sum."""
    fake = FakeEnedis()
    points = curve(fake, date(2026, 11, 1), 7)
    await async_import_readings(hass, PRM, "consumption", curve=points)
    first = await read_rows(hass)
    again = await async_import_readings(hass, PRM, "consumption", curve=points[48:200])
    assert again.sum_shift_kwh == pytest.approx(0)
    second = await read_rows(hass)
    assert len(second) == len(first) == 7 * 24
    for a, b in zip(first, second, strict=True):
        assert (a["start"], a["state"]) == (b["start"], pytest.approx(b["state"]))
        assert a["sum"] == pytest.approx(b["sum"])


@pytest.mark.usefixtures("recorder_mock")
async def test_corrected_window_shifts_later_sums(hass: HomeAssistant) -> None:
    """A corrected day in the middle: earlier rows untouched, later ones shifted, continuous."""
    fake = FakeEnedis()
    d1 = date(2026, 11, 1)
    await async_import_readings(hass, PRM, "consumption", curve=curve(fake, d1, 3))
    before = await read_rows(hass)
    d2 = d1 + timedelta(days=1)
    s2, e2 = local_day_bounds(d2)
    await async_import_hourly(
        hass, PRM, "consumption", {s2 + timedelta(hours=h): 2000.0 for h in range(24)}
    )
    after = await read_rows(hass)
    assert len(after) == len(before) == 72
    old_day2 = sum(r["state"] for r in before if s2.timestamp() <= r["start"] < e2.timestamp())
    delta = 48.0 - old_day2
    for old, new in zip(before, after, strict=True):
        if old["start"] < s2.timestamp():
            assert new["sum"] == pytest.approx(old["sum"])
        elif old["start"] >= e2.timestamp():
            assert new["sum"] == pytest.approx(old["sum"] + delta)
            assert new["state"] == pytest.approx(old["state"])
        else:
            assert new["state"] == pytest.approx(2.0)
    check_continuous(after)


@pytest.mark.usefixtures("recorder_mock")
async def test_older_window_imported_after_newer(hass: HomeAssistant) -> None:
    """Back-fill goes newest first: an older import shifts every later sum, nothing doubles."""
    fake = FakeEnedis()
    newer, older = date(2026, 11, 8), date(2026, 11, 1)
    await async_import_readings(hass, PRM, "consumption", curve=curve(fake, newer, 7))
    await async_import_readings(hass, PRM, "consumption", curve=curve(fake, older, 7))
    rows = await read_rows(hass)
    assert len(rows) == 14 * 24
    assert rows[0]["start"] == local_day_bounds(older)[0].timestamp()
    check_continuous(rows)
    total = sum(fake.daily_wh(older + timedelta(days=i)) for i in range(14)) / 1000
    assert rows[-1]["sum"] == pytest.approx(total, abs=1e-3)


@pytest.mark.usefixtures("recorder_mock")
async def test_import_after_a_gap_continues_the_sum(hass: HomeAssistant) -> None:
    """A window after a gap starts from the last sum before it."""
    await async_import_hourly(hass, PRM, "consumption", {utc(2026, 1, 1, 0): 1000.0})
    await async_import_hourly(hass, PRM, "consumption", {utc(2026, 1, 5, 0): 3000.0})
    rows = await read_rows(hass)
    assert [r["sum"] for r in rows] == [pytest.approx(1.0), pytest.approx(4.0)]
    # Filling the gap in between shifts the later row.
    await async_import_hourly(hass, PRM, "consumption", {utc(2026, 1, 3, 0): 500.0})
    rows = await read_rows(hass)
    assert [r["sum"] for r in rows] == [
        pytest.approx(1.0),
        pytest.approx(1.5),
        pytest.approx(4.5),
    ]


@pytest.mark.usefixtures("recorder_mock")
async def test_production_series_and_bad_input(hass: HomeAssistant) -> None:
    """Production goes to its own series; nothing to import is a no-op; bad hours refused."""
    assert (await async_import_hourly(hass, PRM, "production", {})).rows == 0
    await async_import_readings(
        hass, PRM, EnergyKind.PRODUCTION, daily=[DailyValue(date(2026, 11, 1), 12000.0)]
    )
    rows = await read_rows(hass, f"delestage:linky_{PRM}_production")
    assert len(rows) == 24
    assert rows[-1]["sum"] == pytest.approx(12.0)
    assert await read_rows(hass) == []
    with pytest.raises(ValueError, match="hour starts"):
        await async_import_hourly(hass, PRM, "consumption", {utc(2026, 1, 1, 0, 30): 1.0})
    with pytest.raises(ValueError, match="hour starts"):
        await async_import_hourly(hass, PRM, "consumption", {datetime(2026, 1, 1): 1.0})
    with pytest.raises(ValueError, match="14 digits"):
        await async_import_hourly(hass, "PRM-1", "consumption", {utc(2026, 1, 1, 0): 1.0})


@pytest.mark.usefixtures("recorder_mock")
async def test_non_finite_hours_never_reach_a_sum(hass: HomeAssistant) -> None:
    """A NaN or inf hour (whatever produced it) is dropped; the other hours are imported."""
    hours = {utc(2026, 1, 10, h): wh for h, wh in ((0, 1000.0), (1, float("nan")), (2, 500.0))}
    hours[utc(2026, 1, 10, 3)] = float("inf")
    result = await async_import_hourly(hass, PRM, "consumption", hours)
    assert result.rows == 2
    rows = await read_rows(hass)
    assert [row["state"] for row in rows] == [1.0, 0.5]
    assert rows[-1]["sum"] == pytest.approx(1.5)


def _flaky_writes(failures: int) -> Any:
    """Make the next ``failures`` writes fail AFTER their statements (like a locked commit)."""
    real = BulkUpsertStatisticsTask._write
    left = [failures]

    def write(self: BulkUpsertStatisticsTask, session: Any, instance: Any) -> None:
        real(self, session, instance)
        if left[0]:
            left[0] -= 1
            raise OperationalError(
                "INSERT INTO statistics", {}, sqlite3.OperationalError("database is locked")
            )

    return patch.object(BulkUpsertStatisticsTask, "_write", write)


@pytest.mark.usefixtures("recorder_mock")
@pytest.mark.parametrize("failures", [1, ATTEMPTS - 1])
async def test_a_database_error_is_retried_and_sums_stay_right(
    hass: HomeAssistant, failures: int
) -> None:
    """OperationalError on the write: retried; rows and the later sums move together."""
    get_instance(hass).db_retry_wait = 0
    day = {utc(2026, 1, 1, h): 1000.0 for h in range(24)}
    await async_import_hourly(hass, PRM, "consumption", day)
    later = {utc(2026, 1, 3, h): 500.0 for h in range(24)}
    await async_import_hourly(hass, PRM, "consumption", later)

    corrected = dict.fromkeys(day, 2000.0)  # day 1 doubles: every later sum moves +24
    with _flaky_writes(failures):
        await async_import_hourly(hass, PRM, "consumption", corrected)
    rows = await read_rows(hass)
    check_continuous(rows)
    assert rows[-1]["sum"] == pytest.approx(48 + 12)
    again = await async_import_hourly(hass, PRM, "consumption", corrected)
    assert again.rows == 0  # idempotent
    assert (await read_rows(hass))[-1]["sum"] == pytest.approx(60)


@pytest.mark.usefixtures("recorder_mock")
async def test_a_write_that_keeps_failing_shifts_nothing(hass: HomeAssistant) -> None:
    """Every try fails: nothing written, no sum shifted; the next import writes it right."""
    get_instance(hass).db_retry_wait = 0
    day = {utc(2026, 1, 1, h): 1000.0 for h in range(24)}
    await async_import_hourly(hass, PRM, "consumption", day)
    await async_import_hourly(hass, PRM, "consumption", {utc(2026, 1, 3, 0): 500.0})
    before = await read_rows(hass)

    corrected = dict.fromkeys(day, 2000.0)
    with _flaky_writes(ATTEMPTS), pytest.raises(StatisticsNotWrittenError):
        await async_import_hourly(hass, PRM, "consumption", corrected)
    assert await read_rows(hass) == before  # no +24 shift of the later rows

    await async_import_hourly(hass, PRM, "consumption", corrected)  # the retry, later
    rows = await read_rows(hass)
    check_continuous(rows)
    assert [row["state"] for row in rows[:24]] == [2.0] * 24
    assert rows[-1]["sum"] == pytest.approx(48.5)


@pytest.mark.usefixtures("recorder_mock")
async def test_database_errors_are_logged_without_the_prm(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """The retry (info) and the give-up (error) lines name the series with a masked meter."""
    get_instance(hass).db_retry_wait = 0
    day = {utc(2026, 1, 1, h): 1000.0 for h in range(24)}
    with _flaky_writes(ATTEMPTS), pytest.raises(StatisticsNotWrittenError):
        await async_import_hourly(hass, PRM, "consumption", day)

    lines = [r.getMessage() for r in caplog.records if "recorder_bulk" in r.name]
    assert len(lines) == ATTEMPTS
    assert all(f"delestage:linky_…{PRM[-4:]}_consumption" in line for line in lines)
    # Ours, and the recorder's own debug line naming each task it runs (Home Assistant's
    # statistics code logs the public statistic id itself: not ours to mask).
    ours = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("custom_components.delestage") or "Processing task" in str(r.msg)
    ]
    assert ours
    assert not [line for line in ours if PRM in line]
