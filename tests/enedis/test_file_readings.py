"""Which readings of a history file go to the features: those of the hours written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.delestage.api.enedis_models import CurvePoint
from custom_components.delestage.enedis.file_import import complete_hours, readings_of_hours

MIDNIGHT = datetime(2026, 3, 2, 0, tzinfo=UTC)


def point(minutes: int, length: int, watts: float) -> CurvePoint:
    start = MIDNIGHT + timedelta(minutes=minutes)
    return CurvePoint(end=start + timedelta(minutes=length), start=start, watts=watts)


def test_readings_of_incomplete_hours_stay_out() -> None:
    """00:00-01:00 complete, 01:00-02:00 missing its second half, a point across both left out."""
    points = [point(0, 30, 200.0), point(30, 30, 240.0), point(60, 30, 180.0)]
    hourly, incomplete = complete_hours(points)
    assert list(hourly) == [MIDNIGHT]
    assert incomplete == 1
    assert readings_of_hours(points, hourly) == [
        (points[0].start, points[0].end, 100.0),
        (points[1].start, points[1].end, 120.0),
    ]
    across = [point(30, 60, 200.0)]  # 00:30-01:30 (200 Wh): written only if both hours are
    assert readings_of_hours(across, [MIDNIGHT]) == []
    assert readings_of_hours(across, [MIDNIGHT, MIDNIGHT + timedelta(hours=1)]) == [
        (across[0].start, across[0].end, 200.0)
    ]
