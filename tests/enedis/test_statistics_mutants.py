"""Statistics behaviour the first tests left unchecked (issue 13 §6: mutants that survived).

Each test names what a user would see if the code lost the rule it checks.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
import pytest

from custom_components.delestage.api.enedis_models import CurvePoint, DailyValue
from custom_components.delestage.enedis.statistics import (
    EnergyKind,
    async_import_hourly,
    async_import_readings,
    async_statistic_metadata,
    build_hourly,
    curve_to_hourly,
    daily_to_hourly,
    days_with_full_curve,
    local_day,
    local_day_bounds,
)

from .fake_enedis import PRM, quiet_sql
from .test_statistics import check_continuous, read_rows, utc

pytestmark = pytest.mark.usefixtures("quiet_sql")
__all__ = ["quiet_sql"]

PARIS = ZoneInfo("Europe/Paris")


def states_and_sums(rows: list[dict[str, object]]) -> list[tuple[float, float]]:
    return [(round(float(r["state"]), 6), round(float(r["sum"]), 6)) for r in rows]  # type: ignore[arg-type]


@pytest.mark.usefixtures("recorder_mock")
async def test_hours_whose_sum_moved_are_rewritten_even_with_the_same_state(
    hass: HomeAssistant,
) -> None:
    """Without the "sum changed" rule, dashboard bars after a correction go wrong (negative)."""
    hours = [utc(2026, 1, 1, h) for h in range(4)]
    await async_import_hourly(hass, PRM, "consumption", dict.fromkeys(hours, 1000.0))

    # Hour 0 corrected; hours 1 (not in the window) and 2 keep their state, their sums move.
    result = await async_import_hourly(
        hass, PRM, "consumption", {hours[0]: 3000.0, hours[2]: 1000.0}
    )

    rows = await read_rows(hass)
    assert states_and_sums(rows) == [(3.0, 3.0), (1.0, 4.0), (1.0, 5.0), (1.0, 6.0)]
    check_continuous(rows)
    assert result.rows == 3  # hours 0..2 rewritten; hour 3 moved by the shift
    assert result.sum_shift_kwh == pytest.approx(2.0)
    assert (result.first, result.last) == (hours[0], hours[2])
    assert result.kwh == pytest.approx(4.0)


@pytest.mark.usefixtures("recorder_mock")
async def test_after_a_gap_the_sum_continues_from_the_last_row_not_the_oldest(
    hass: HomeAssistant,
) -> None:
    await async_import_hourly(
        hass, PRM, "consumption", {utc(2026, 1, 1, 0): 1000.0, utc(2026, 1, 1, 1): 2000.0}
    )

    await async_import_hourly(hass, PRM, "consumption", {utc(2026, 1, 5, 0): 500.0})

    rows = await read_rows(hass)
    assert states_and_sums(rows) == [(1.0, 1.0), (2.0, 3.0), (0.5, 3.5)]


@pytest.mark.usefixtures("recorder_mock")
async def test_gap_before_a_window_that_already_has_rows(hass: HomeAssistant) -> None:
    """Rows in the window but none right before it: the base is still the last older row."""
    await async_import_hourly(hass, PRM, "consumption", {utc(2026, 1, 1, 0): 1000.0})
    await async_import_hourly(
        hass, PRM, "consumption", {utc(2026, 1, 5, h): 2000.0 for h in range(3)}
    )

    # Re-import the first hour after the gap, corrected.
    await async_import_hourly(hass, PRM, "consumption", {utc(2026, 1, 5, 0): 4000.0})

    rows = await read_rows(hass)
    assert states_and_sums(rows) == [(1.0, 1.0), (4.0, 5.0), (2.0, 7.0), (2.0, 9.0)]


@pytest.mark.usefixtures("recorder_mock")
async def test_the_row_just_before_the_window_is_the_base(hass: HomeAssistant) -> None:
    """The window's first hour itself is not its own base; later rows shift exactly once."""
    hours = [utc(2026, 1, 1, h) for h in range(6)]
    await async_import_hourly(hass, PRM, "consumption", dict.fromkeys(hours, 1000.0))

    result = await async_import_hourly(
        hass, PRM, "consumption", {hours[2]: 1500.0, hours[3]: 500.0}
    )

    rows = await read_rows(hass)
    assert states_and_sums(rows) == [
        (1.0, 1.0),
        (1.0, 2.0),
        (1.5, 3.5),
        (0.5, 4.0),
        (1.0, 5.0),
        (1.0, 6.0),
    ]
    assert (result.rows, result.sum_shift_kwh) == (2, pytest.approx(0.0))
    # A larger correction: every row after the window moves by it.
    result = await async_import_hourly(hass, PRM, "consumption", {hours[2]: 3500.0})
    rows = await read_rows(hass)
    assert [s for _, s in states_and_sums(rows)] == [1.0, 2.0, 5.5, 6.0, 7.0, 8.0]
    assert result.sum_shift_kwh == pytest.approx(2.0)
    assert result.rows == 1


@pytest.mark.usefixtures("recorder_mock")
async def test_reimport_writes_nothing(hass: HomeAssistant) -> None:
    hourly = {utc(2026, 1, 1, h): 100.0 * (h + 1) for h in range(5)}
    first = await async_import_hourly(hass, PRM, "consumption", hourly)
    again = await async_import_hourly(hass, PRM, "consumption", hourly)

    assert first.rows == 5
    assert again.rows == 0
    assert again.sum_shift_kwh == 0.0
    assert states_and_sums(await read_rows(hass))[-1] == (0.5, 1.5)


@pytest.mark.usefixtures("recorder_mock")
async def test_paris_aware_hours_are_stored_at_their_utc_start(hass: HomeAssistant) -> None:
    await async_import_hourly(
        hass, PRM, "consumption", {datetime(2026, 7, 1, 2, tzinfo=PARIS): 1000.0}
    )

    [row] = await read_rows(hass)
    assert row["start"] == utc(2026, 7, 1, 0).timestamp()


@pytest.mark.parametrize(
    "hour",
    [
        utc(2026, 1, 1, 0, 0, 30),
        utc(2026, 1, 1, 0, 0, 0, 1),
        utc(2026, 1, 1, 0, 15),
        datetime(2026, 1, 1, 0),
    ],
)
@pytest.mark.usefixtures("recorder_mock")
async def test_keys_must_be_aware_hour_starts(hass: HomeAssistant, hour: datetime) -> None:
    with pytest.raises(ValueError, match="hour starts"):
        await async_import_hourly(hass, PRM, "consumption", {hour: 1.0})


async def test_metadata_names_the_meter_by_its_last_four_digits(hass: HomeAssistant) -> None:
    meta = await async_statistic_metadata(hass, PRM, EnergyKind.PRODUCTION)
    assert meta["name"] == f"Linky …{PRM[-4:]} production"
    assert meta["statistic_id"] == f"delestage:linky_{PRM}_production"


def test_a_day_of_exactly_its_hours_of_curve_is_full() -> None:
    """24 hours of curve, not one second more, make a full day (the curve wins)."""
    day = date(2026, 11, 2)
    start, end = local_day_bounds(day)
    points = [
        CurvePoint(end=start + timedelta(hours=h + 1), start=start + timedelta(hours=h), watts=500)
        for h in range(24)
    ]
    assert days_with_full_curve(points) == {day}
    assert days_with_full_curve(points[:-1]) == set()
    hourly = build_hourly(points, [DailyValue(day, 24000.0)])
    assert set(hourly.values()) == {500.0}
    assert (start, end) == (utc(2026, 11, 1, 23), utc(2026, 11, 2, 23))


def test_local_day_is_the_paris_date() -> None:
    assert local_day(utc(2026, 1, 1, 23, 30)) == date(2026, 1, 2)
    assert local_day(utc(2026, 7, 1, 22, 0)) == date(2026, 7, 2)
    assert local_day(utc(2026, 7, 1, 21, 59)) == date(2026, 7, 1)
    assert local_day_bounds(date(2026, 7, 2)) == (utc(2026, 7, 1, 22), utc(2026, 7, 2, 22))


def test_curve_point_ending_on_the_hour_and_daily_hours() -> None:
    """Energy stays within the point's interval: no empty hour before or after it."""
    point = CurvePoint(end=utc(2026, 1, 1, 2), start=utc(2026, 1, 1, 1), watts=800)
    assert curve_to_hourly([point]) == {utc(2026, 1, 1, 1): 800.0}
    long_point = CurvePoint(end=utc(2026, 1, 1, 3), start=utc(2026, 1, 1, 1), watts=800)
    assert curve_to_hourly([long_point]) == {
        utc(2026, 1, 1, 1): 800.0,
        utc(2026, 1, 1, 2): 800.0,
    }
    spread = daily_to_hourly([DailyValue(date(2026, 1, 2), 4800.0)])
    assert min(spread) == utc(2026, 1, 1, 23)
    assert max(spread) == utc(2026, 1, 2, 22)
    assert set(spread.values()) == {200.0}


@pytest.mark.usefixtures("recorder_mock")
async def test_a_partial_curve_day_alone_is_imported_by_default(hass: HomeAssistant) -> None:
    """Today's morning of curve (no daily value yet) shows up; only back-fill asks otherwise."""
    start, _ = local_day_bounds(date(2026, 11, 2))
    points = [
        CurvePoint(end=start + timedelta(hours=h + 1), start=start + timedelta(hours=h), watts=700)
        for h in range(6)
    ]

    result = await async_import_readings(hass, PRM, "consumption", curve=points)

    assert result.rows == 6
    assert states_and_sums(await read_rows(hass))[-1] == (0.7, 4.2)


@pytest.mark.usefixtures("recorder_mock")
async def test_hours_of_zero_energy_are_zero_not_missing(hass: HomeAssistant) -> None:
    """A stored 0 kWh hour (and a 0 sum) is a real value when it is the base of an import."""
    await async_import_hourly(
        hass, PRM, "consumption", {utc(2026, 1, 1, 0): 0.0, utc(2026, 1, 1, 1): 1000.0}
    )

    again = await async_import_hourly(hass, PRM, "consumption", {utc(2026, 1, 1, 1): 1000.0})

    assert states_and_sums(await read_rows(hass)) == [(0.0, 0.0), (1.0, 1.0)]
    assert (again.rows, again.sum_shift_kwh) == (0, 0.0)


@pytest.mark.usefixtures("recorder_mock")
async def test_nothing_to_import_is_nothing(hass: HomeAssistant) -> None:
    result = await async_import_hourly(hass, PRM, "consumption", {})

    assert (result.rows, result.first, result.last, result.kwh, result.sum_shift_kwh) == (
        0,
        None,
        None,
        0.0,
        0.0,
    )


@pytest.mark.usefixtures("recorder_mock")
async def test_a_zero_hour_inside_a_window_stays_zero(hass: HomeAssistant) -> None:
    hours = [utc(2026, 1, 1, h) for h in range(3)]
    await async_import_hourly(
        hass, PRM, "consumption", dict(zip(hours, (1000.0, 0.0, 1000.0), strict=True))
    )

    # The zero hour is not in this import: it keeps its value (0, not "unknown").
    again = await async_import_hourly(
        hass, PRM, "consumption", {hours[0]: 1000.0, hours[2]: 1000.0}
    )

    assert states_and_sums(await read_rows(hass)) == [(1.0, 1.0), (0.0, 1.0), (1.0, 2.0)]
    assert again.rows == 0
