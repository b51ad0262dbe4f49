"""The report on the real Enedis capture (two days of half-hours): a plausible baseline."""

from __future__ import annotations

from datetime import UTC, datetime
import json
from pathlib import Path

from custom_components.delestage.api.enedis_models import parse_load_curve
from custom_components.delestage.enedis.statistics import curve_to_hourly
from custom_components.delestage.report.model import (
    PARIS,
    PeriodKind,
    ResultStatus,
    ShedPeriod,
    compute_report,
)

CAPTURE = (
    Path(__file__).parents[1]
    / "enedis"
    / "captures"
    / "med2026_mesure_courbe_de_charge_consommation.json"
)


def test_real_curve_gives_a_plausible_baseline() -> None:
    curve = parse_load_curve(json.loads(CAPTURE.read_text()))
    consumption = {hour: wh / 1000 for hour, wh in curve_to_hourly(curve.points).items()}
    assert len(consumption) == 48  # 2026-09-29 and 30
    # An evening "period" on the second day (a Wednesday), compared with the Tuesday.
    period = ShedPeriod(
        datetime(2026, 9, 30, 18, tzinfo=PARIS).astimezone(UTC),
        datetime(2026, 9, 30, 20, tzinfo=PARIS).astimezone(UTC),
        PeriodKind.ECOWATT_ORANGE,
    )
    (result,) = compute_report([period], consumption, None)
    assert result.status is ResultStatus.OK
    assert result.comparable_days == 1
    day_before = sum(consumption[h.replace(day=29)] for h in period.hours())
    assert result.baseline_kwh == day_before
    # Plausible: positive, of the order of the home's use (not a made-up multiple of it).
    assert 0 < result.baseline_kwh < 20
    assert 0.2 < result.baseline_kwh / result.consumption_kwh < 5
    # The first day has nothing before it.
    (first,) = compute_report(
        [ShedPeriod(period.start.replace(day=29), period.end.replace(day=29), period.kind)],
        consumption,
        None,
    )
    assert first.status is ResultStatus.NO_COMPARABLE_DAYS
