"""The pure tariff split: off-peak ranges, half-hours, Tempo days, DST, cost, incrementality."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
import json
from pathlib import Path

import pytest

from custom_components.delestage.api.enedis_models import (
    PARIS,
    CurvePoint,
    DailyValue,
    parse_load_curve,
)
from custom_components.delestage.enedis.statistics import build_hourly, reading_intervals
from custom_components.delestage.tariff.model import (
    TEMPO_SERIES,
    OffPeakRange,
    Period,
    TariffConfig,
    TariffLedger,
    TariffOption,
    format_offpeak,
    hours_in_local_month,
    next_period_change,
    pack_halfhours,
    parse_offpeak,
    part_series,
    period_at,
    tempo_day,
    to_halfhours,
    unpack_halfhours,
)

CAPTURE = (
    Path(__file__).parent.parent
    / "enedis"
    / "captures"
    / "med2026_mesure_courbe_de_charge_consommation.json"
)
TEMPO_PRICES = {
    "blue_hp": 0.1609,
    "blue_hc": 0.1296,
    "white_hp": 0.1894,
    "white_hc": 0.1486,
    "red_hp": 0.7562,
    "red_hc": 0.1568,
}


def local(*args: int) -> datetime:
    """An aware Paris datetime."""
    return datetime(*args, tzinfo=PARIS)


def fixed(prices: dict[str, float]) -> object:
    """A price lookup of fixed prices."""
    return lambda key, _hour: prices.get(key)


def half_hour_curve(start: datetime, end: datetime, watts: object) -> list[CurvePoint]:
    """30-min points over ``[start, end[`` (UTC steps), power from ``watts(index)``."""
    points = []
    moment, index = start.astimezone(UTC), 0
    while moment < end:
        points.append(CurvePoint(moment + timedelta(minutes=30), moment, watts(index)))  # type: ignore[operator]
        moment += timedelta(minutes=30)
        index += 1
    return points


def ledger_of(
    points: list[CurvePoint], option: TariffOption, offpeak: str, prices: dict[str, float]
) -> TariffLedger:
    """A ledger fed with ``points``."""
    ledger = TariffLedger(TariffConfig(option, parse_offpeak(offpeak), prices))
    ledger.add_halfhours(to_halfhours(reading_intervals(points)))
    return ledger


# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HC (22H00-6H00)", "22:00-06:00"),
        ("HC (1H30-7H30;12H30-14H30)", "01:30-07:30; 12:30-14:30"),
        ("hc ( 23h30 - 7h30 )", "23:30-07:30"),
        ("HC (22h-6h)", "22:00-06:00"),
        ("22:00–06:00, 12:30 à 14:30", "12:30-14:30; 22:00-06:00"),
        ("HC (2H00-7H00 ; 14H00-17H00)", "02:00-07:00; 14:00-17:00"),
        ("HC (0H00-24H00)", ""),  # start = end: no range
        ("HC (25H00-6H00)", ""),
        ("", ""),
        (None, ""),
        ("pas d'heures creuses", ""),
    ],
)
def test_parse_offpeak_is_liberal(text: str | None, expected: str) -> None:
    assert format_offpeak(parse_offpeak(text)) == expected
    assert parse_offpeak(format_offpeak(parse_offpeak(text))) == parse_offpeak(text)


def test_period_now_and_next_change() -> None:
    ranges = parse_offpeak("HC (1H30-7H30;12H30-14H30)")
    assert period_at(ranges, local(2026, 12, 4, 1, 29)) is Period.HP
    assert period_at(ranges, local(2026, 12, 4, 1, 30)) is Period.HC
    assert period_at(ranges, local(2026, 12, 4, 13, 0)) is Period.HC
    assert period_at(ranges, local(2026, 12, 4, 14, 30)) is Period.HP
    assert next_period_change(ranges, local(2026, 12, 4, 8, 0)) == local(2026, 12, 4, 12, 30)
    assert next_period_change(ranges, local(2026, 12, 4, 15, 0)) == local(2026, 12, 5, 1, 30)
    assert next_period_change((), local(2026, 12, 4, 15, 0)) is None
    # Over midnight.
    night = parse_offpeak("HC (22H00-6H00)")
    assert period_at(night, local(2026, 12, 4, 23, 59)) is Period.HC
    assert period_at(night, local(2026, 12, 5, 0, 0)) is Period.HC
    assert period_at(night, local(2026, 12, 5, 6, 0)) is Period.HP


def test_tempo_day_runs_from_six_to_six() -> None:
    assert tempo_day(local(2026, 12, 4, 5, 59)) == date(2026, 12, 3)
    assert tempo_day(local(2026, 12, 4, 6, 0)) == date(2026, 12, 4)
    assert tempo_day(local(2026, 12, 4, 23, 0)) == date(2026, 12, 4)


# --------------------------------------------------------------------------- split


def test_boundary_at_0130_splits_the_half_hour_curve_exactly() -> None:
    # Half-hours of distinct powers; off-peak from 01:30.
    points = half_hour_curve(local(2026, 12, 4), local(2026, 12, 5), lambda i: 1000 + 10 * i)
    ledger = ledger_of(points, TariffOption.HP_HC, "HC (1H30-7H30;12H30-14H30)", {})
    hour = int(local(2026, 12, 4, 1).timestamp())
    total, hp, hc = ledger.split_hour(hour)
    # 01:00-01:30 is index 2 (1020 W → 510 Wh), 01:30-02:00 index 3 (1030 W → 515 Wh).
    assert (total, hp, hc) == (1025.0, 510.0, 515.0)
    noon = int(local(2026, 12, 4, 12).timestamp())
    assert ledger.split_hour(noon) == (1245.0, 620.0, 625.0)  # 12:30 boundary
    two = int(local(2026, 12, 4, 14).timestamp())
    assert ledger.split_hour(two) == (1285.0, 645.0, 640.0)  # 14:00-14:30 off-peak, then peak


def test_boundary_inside_a_half_hour_is_pro_rata() -> None:
    points = half_hour_curve(local(2026, 12, 4), local(2026, 12, 5), lambda _i: 1200)
    ledger = ledger_of(points, TariffOption.HP_HC, "HC (1H15-7H15)", {})
    _, hp, hc = ledger.split_hour(int(local(2026, 12, 4, 1).timestamp()))
    assert (hp, hc) == pytest.approx((300.0, 900.0))


def test_parts_equal_the_total_every_hour_on_the_capture() -> None:
    curve = parse_load_curve(json.loads(CAPTURE.read_text()))
    consumption = build_hourly(curve.points)
    ledger = ledger_of(list(curve.points), TariffOption.TEMPO, "HC (22H00-6H00)", TEMPO_PRICES)
    ledger.set_colors(
        {date(2026, 9, 28): "BLUE", date(2026, 9, 29): "RED", date(2026, 9, 30): "white"}
    )
    changed = ledger.compute(fixed(TEMPO_PRICES))  # type: ignore[arg-type]
    assert len(changed) == len(consumption) == 48
    for hour, result in changed.items():
        total = consumption[datetime.fromtimestamp(hour, UTC)]
        hp_hc = result.parts["consumption_hp"] + result.parts["consumption_hc"]
        tempo = sum(result.parts[s] for s in TEMPO_SERIES)
        assert abs(hp_hc - total) < 1e-6
        assert abs(tempo - total) < 1e-6
        assert round(hp_hc) == round(total)  # to the Wh
    # 2026-09-29 01:00 local: the night after the 28th (blue) is blue HC.
    first = changed[int(local(2026, 9, 29, 1).timestamp())]
    assert first.parts["blue_hc"] > 0
    assert first.parts["red_hc"] == 0


def test_night_after_a_red_day_is_red_hc() -> None:
    # A synthetic Tempo week: blue, red, white…
    start = local(2026, 12, 7)
    points = half_hour_curve(start, local(2026, 12, 14), lambda _i: 1000)  # 1 kWh an hour
    ledger = ledger_of(points, TariffOption.TEMPO, "HC (22H00-6H00)", TEMPO_PRICES)
    colors = {date(2026, 12, 6) + timedelta(days=i): c for i, c in enumerate("BBBRWBBB")}
    ledger.set_colors({d: {"B": "blue", "R": "red", "W": "white"}[c] for d, c in colors.items()})
    results = ledger.compute(fixed(TEMPO_PRICES))  # type: ignore[arg-type]

    def part(*args: int) -> dict[str, float]:
        return {k: v for k, v in results[int(local(*args).timestamp())].parts.items() if v}

    assert part(2026, 12, 8, 21) == {"consumption_hp": 1000.0, "blue_hp": 1000.0}
    assert part(2026, 12, 9, 5) == {"consumption_hc": 1000.0, "blue_hc": 1000.0}
    assert part(2026, 12, 9, 6) == {"consumption_hp": 1000.0, "red_hp": 1000.0}  # red from 06:00
    assert part(2026, 12, 9, 22) == {"consumption_hc": 1000.0, "red_hc": 1000.0}
    assert part(2026, 12, 10, 3) == {"consumption_hc": 1000.0, "red_hc": 1000.0}  # night after
    assert part(2026, 12, 10, 5) == {"consumption_hc": 1000.0, "red_hc": 1000.0}
    assert part(2026, 12, 10, 6) == {"consumption_hp": 1000.0, "white_hp": 1000.0}
    # The cost of the red night: 1 kWh × red HC price.
    assert results[int(local(2026, 12, 10, 3).timestamp())].cost == pytest.approx(0.1568)


@pytest.mark.parametrize(
    ("day", "hours", "hc_hours"),
    [
        # 23 h: 22:00-00:00 + 00:00-06:00 minus the missing 02:00 → 7 off-peak hours.
        (date(2026, 3, 29), 23, 7),
        # 25 h: 02:00-03:00 happens twice, both off-peak → 9.
        (date(2026, 10, 25), 25, 9),
        (date(2026, 12, 4), 24, 8),
    ],
)
def test_dst_days(day: date, hours: int, hc_hours: int) -> None:
    start = local(day.year, day.month, day.day)
    following = day + timedelta(days=1)
    end = local(following.year, following.month, following.day)
    points = half_hour_curve(start, end, lambda _i: 1000)  # 1 kWh per hour
    assert len(points) == 2 * hours
    ledger = ledger_of(points, TariffOption.HP_HC, "HC (22H00-6H00)", {"hp": 0.2, "hc": 0.1})
    results = ledger.compute(fixed({"hp": 0.2, "hc": 0.1}))  # type: ignore[arg-type]
    assert len(results) == hours
    hc = sum(r.parts["consumption_hc"] for r in results.values())
    hp = sum(r.parts["consumption_hp"] for r in results.values())
    assert (hp, hc) == (1000.0 * (hours - hc_hours), 1000.0 * hc_hours)
    assert sum(r.cost for r in results.values()) == pytest.approx(
        0.2 * (hours - hc_hours) + 0.1 * hc_hours
    )


def test_daily_values_and_odd_steps_are_split_pro_rata() -> None:
    # A day known only by its daily value: 24 even hours; 01:00-02:00 split at 01:30.
    intervals = reading_intervals(daily=[DailyValue(date(2026, 12, 4), 24_000.0)])
    ledger = TariffLedger(TariffConfig(TariffOption.HP_HC, parse_offpeak("HC (1H30-7H30)")))
    ledger.add_halfhours(to_halfhours(intervals))
    assert ledger.split_hour(int(local(2026, 12, 4, 1).timestamp())) == (1000.0, 500.0, 500.0)
    # A 10-minute curve lands on the half-hours.
    start = local(2026, 12, 4, 1).astimezone(UTC)
    points = [
        CurvePoint(start + timedelta(minutes=10 * (i + 1)), start + timedelta(minutes=10 * i), 600)
        for i in range(6)
    ]
    grid = to_halfhours(reading_intervals(points))
    assert grid == {int(start.timestamp()): 300.0, int(start.timestamp()) + 1800: 300.0}


# --------------------------------------------------------------------------- cost, incrementality


def test_cost_with_subscription_and_hand_computation() -> None:
    points = half_hour_curve(local(2026, 3, 10), local(2026, 3, 11), lambda i: 1000 + 100 * (i % 3))
    prices = {"hp": 0.2516, "hc": 0.1828}
    ledger = TariffLedger(
        TariffConfig(TariffOption.HP_HC, parse_offpeak("HC (22H00-6H00)"), prices, 14.79)
    )
    ledger.add_halfhours(to_halfhours(reading_intervals(points)))
    results = ledger.compute(fixed(prices))  # type: ignore[arg-type]
    assert hours_in_local_month(int(local(2026, 3, 10).timestamp())) == 743
    assert hours_in_local_month(int(local(2026, 10, 10).timestamp())) == 745
    assert hours_in_local_month(int(local(2026, 12, 10).timestamp())) == 744
    expected = 0.0
    for point in points:
        start = point.start.astimezone(PARIS)
        price = prices["hc"] if start.hour >= 22 or start.hour < 6 else prices["hp"]
        expected += point.wh / 1000 * price
    expected += 24 * 14.79 / 743
    assert sum(r.cost for r in results.values()) == pytest.approx(expected, abs=1e-9)


def test_incremental_only_changed_hours_are_recomputed() -> None:
    points = half_hour_curve(local(2026, 12, 7), local(2026, 12, 10), lambda _i: 2000)
    ledger = ledger_of(points, TariffOption.TEMPO, "HC (22H00-6H00)", TEMPO_PRICES)
    # Colours known for the 6th and 7th only: the hours of the 8th and 9th wait.
    ledger.set_colors({date(2026, 12, 6): "blue", date(2026, 12, 7): "blue"})
    first = ledger.compute(fixed(TEMPO_PRICES))  # type: ignore[arg-type]
    # 00:00 on the 7th → 06:00 on the 8th are complete; the others have HP/HC only, no cost.
    assert sum(r.complete for r in first.values()) == 30
    waiting = [r for r in first.values() if not r.complete]
    assert len(waiting) == 42
    assert all(
        r.cost is None and set(r.parts) == {"consumption_hp", "consumption_hc"} for r in waiting
    )
    assert ledger.missing_colors() == {date(2026, 12, 8), date(2026, 12, 9)}
    # Nothing changed: nothing computed, nothing returned.
    assert ledger.compute(fixed(TEMPO_PRICES)) == {}  # type: ignore[arg-type]
    # Re-importing the same readings changes nothing.
    assert ledger.add_halfhours(to_halfhours(reading_intervals(points))) == 0
    # A late colour: only that Tempo day's hours.
    ledger.set_colors({date(2026, 12, 8): "red"})
    late = ledger.compute(fixed(TEMPO_PRICES))  # type: ignore[arg-type]
    assert len(late) == 24
    assert all(r.parts["red_hp"] + r.parts["red_hc"] == 2000 for r in late.values())
    # A corrected half-hour: only its hour.
    slot = int(local(2026, 12, 7, 12).timestamp())
    ledger.add_halfhours({slot: 1500.0})
    corrected = ledger.compute(fixed(TEMPO_PRICES))  # type: ignore[arg-type]
    assert list(corrected) == [slot]
    # A price change from a moment on: those hours only.
    ledger.invalidate_from(local(2026, 12, 8, 20).timestamp())
    higher = {**TEMPO_PRICES, "red_hp": 1.0}
    changed = ledger.compute(fixed(higher))  # type: ignore[arg-type]
    assert min(changed) == int(local(2026, 12, 8, 20).timestamp())
    assert all(datetime.fromtimestamp(h, PARIS).hour < 22 for h in changed)  # red HP only
    # A configuration change recomputes everything known.
    assert ledger.set_config(TariffConfig(TariffOption.HP_HC, parse_offpeak("HC (22H00-6H00)")))
    assert not ledger.set_config(TariffConfig(TariffOption.HP_HC, parse_offpeak("HC (22H00-6H00)")))
    assert len(ledger.compute(fixed({"hp": 0.2, "hc": 0.1}))) == 72  # type: ignore[arg-type]


def test_missing_price_waits() -> None:
    points = half_hour_curve(local(2026, 12, 7), local(2026, 12, 8), lambda _i: 2000)
    ledger = ledger_of(points, TariffOption.BASE, "", {})
    assert all(r.cost is None for r in ledger.compute(fixed({})).values())  # type: ignore[arg-type]
    assert len(ledger.dirty) == 24
    results = ledger.compute(fixed({"base": 0.2}))  # type: ignore[arg-type]
    assert len(results) == 24
    assert all(r.parts == {} for r in results.values())
    parts, cost, hours = ledger.totals(local(2026, 12, 7), local(2026, 12, 8))
    assert (parts, round(cost, 6), hours) == ({}, 9.6, 24)  # 48 kWh × 0.2


def test_series_and_storage() -> None:
    assert part_series(TariffOption.BASE) == ()
    assert part_series(TariffOption.HP_HC) == ("consumption_hp", "consumption_hc")
    assert len(part_series(TariffOption.TEMPO)) == 8
    grid = {1800 * i: float(i) for i in (1, 2, 3, 7, 8)}
    packed = pack_halfhours(grid)
    assert packed == [[1800, [1.0, 2.0, 3.0]], [12600, [7.0, 8.0]]]
    assert unpack_halfhours(json.loads(json.dumps(packed))) == grid
    assert unpack_halfhours("broken") == {}
    assert unpack_halfhours([[1, "x"], "y", [0, [1, "z"]]]) == {0: 1.0}
    assert str(OffPeakRange(90, 450)) == "01:30-07:30"


def test_an_earlier_schedule_applies_before_its_end() -> None:
    # Enedis moved the off-peak hours on 2026-12-08: 22:00-06:00 before, 02:00-05:00 and
    # 11:00-17:00 after.
    change = int(local(2026, 12, 8).timestamp())
    config = TariffConfig(
        TariffOption.HP_HC,
        parse_offpeak("HC (2H00-5H00;11H00-17H00)"),
        earlier=((change, parse_offpeak("HC (22H00-6H00)")),),
    )
    assert config.ranges_at(change - 3600) == parse_offpeak("HC (22H00-6H00)")
    assert config.ranges_at(change) == config.ranges
    points = half_hour_curve(local(2026, 12, 7), local(2026, 12, 9), lambda _i: 1000)
    ledger = TariffLedger(config)
    ledger.add_halfhours(to_halfhours(reading_intervals(points)))
    before = ledger.split_hour(int(local(2026, 12, 7, 12).timestamp()))
    after = ledger.split_hour(int(local(2026, 12, 8, 12).timestamp()))
    assert before == (1000.0, 1000.0, 0.0)  # noon was peak
    assert after == (1000.0, 0.0, 1000.0)  # now off-peak
    assert config.fingerprint() != TariffConfig(TariffOption.HP_HC, config.ranges).fingerprint()
