"""The hot-water tank: heated in the last off-peak window before the period, off during it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from custom_components.delestage.anticipation.hot_water import (
    HotWaterReason,
    daily_windows,
    plan_hot_water,
)
from custom_components.delestage.report.model import (
    PARIS,
    PeriodKind,
    ShedPeriod,
    tempo_red_period,
)

RED_DAY = tempo_red_period(date(2027, 1, 12))  # 06:00-22:00 Paris = 05:00-21:00 UTC
NIGHTS = daily_windows([(time(22), time(6))], date(2027, 1, 10), date(2027, 1, 13), PARIS)
NOON_BEFORE = datetime(2027, 1, 11, 11, tzinfo=UTC)


def _paris(day: int, hour: int) -> datetime:
    return datetime(2027, 1, day, hour, tzinfo=PARIS)


def test_tempo_off_peak_nights() -> None:
    assert NIGHTS[0] == (_paris(10, 22), _paris(11, 6))
    assert len(NIGHTS) == 4


def test_split_off_peak_hours_are_merged_when_they_touch() -> None:
    windows = daily_windows(
        [(time(23), time(2)), (time(2), time(7)), (time(12), time(14))],
        date(2027, 1, 10),
        date(2027, 1, 11),
        PARIS,
    )
    assert windows == [
        (_paris(10, 2), _paris(10, 7)),
        (_paris(10, 12), _paris(10, 14)),
        (_paris(10, 23), _paris(11, 7)),  # 23:00-02:00 and 02:00-07:00: one window
        (_paris(11, 12), _paris(11, 14)),
        (_paris(11, 23), _paris(12, 2)),
    ]


def test_a_red_day_heats_in_the_night_before_and_stays_off() -> None:
    plan = plan_hot_water(RED_DAY, NIGHTS, now=NOON_BEFORE)
    assert plan.reason is HotWaterReason.LAST_OFF_PEAK
    assert (plan.heat_from, plan.heat_until) == (_paris(11, 22), _paris(12, 6))
    assert (plan.off_from, plan.off_until) == (RED_DAY.start, RED_DAY.end)


def test_heating_time_puts_the_heat_at_the_end_of_the_window() -> None:
    plan = plan_hot_water(RED_DAY, NIGHTS, now=NOON_BEFORE, heat_hours=3.0)
    assert (plan.heat_from, plan.heat_until) == (_paris(12, 3), _paris(12, 6))


def test_an_evening_peak_uses_the_night_before_not_a_window_after() -> None:
    peak = ShedPeriod(_paris(12, 18), _paris(12, 20), PeriodKind.ECOWATT_RED)
    windows = [*NIGHTS, (_paris(12, 12), _paris(12, 14))]
    plan = plan_hot_water(peak, windows, now=NOON_BEFORE)
    assert (plan.heat_from, plan.heat_until) == (_paris(12, 12), _paris(12, 14))
    assert (plan.off_from, plan.off_until) == (peak.start, peak.end)


def test_a_window_running_into_the_period_stops_at_its_start() -> None:
    early = ShedPeriod(_paris(12, 5), _paris(12, 7), PeriodKind.ECOWATT_RED)
    plan = plan_hot_water(early, NIGHTS, now=NOON_BEFORE)
    assert (plan.heat_from, plan.heat_until) == (_paris(11, 22), _paris(12, 5))


def test_planned_during_the_window_heats_from_now() -> None:
    now = _paris(12, 2)
    plan = plan_hot_water(RED_DAY, NIGHTS, now=now)
    assert (plan.heat_from, plan.heat_until) == (now, _paris(12, 6))


def test_too_late_or_no_window_only_keeps_it_off() -> None:
    during = RED_DAY.start + timedelta(hours=2)
    late = plan_hot_water(RED_DAY, NIGHTS, now=during)
    assert late.reason is HotWaterReason.WINDOW_PASSED
    assert late.heat_from is None
    assert (late.off_from, late.off_until) == (during, RED_DAY.end)
    # Off-peak hours only long before (more than a day): the tank would have cooled.
    stale = plan_hot_water(RED_DAY, NIGHTS[:1], now=NOON_BEFORE)
    assert stale.reason is HotWaterReason.NO_OFF_PEAK_BEFORE
    assert stale.heat_from is None
    assert (stale.off_from, stale.off_until) == (RED_DAY.start, RED_DAY.end)


def test_a_period_over_needs_nothing() -> None:
    plan = plan_hot_water(RED_DAY, NIGHTS, now=RED_DAY.end)
    assert plan.reason is HotWaterReason.PERIOD_OVER
    assert plan.heat_from is None
