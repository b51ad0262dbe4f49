"""Parsing of RTE's Consumption and Generation Forecast answers: steps, DST days, bad slots."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from custom_components.delestage.api.errors import ApiResponseError
from custom_components.delestage.api.rte_forecast_models import (
    parse_generation,
    parse_short_term,
    parse_weekly,
)

from .fake_rte_forecasts import fixture, half_hours, short_term_payload


def _block(kind: str, slots: list[tuple[str, str, float]]) -> dict[str, object]:
    return {
        "type": kind,
        "start_date": slots[0][0],
        "end_date": slots[-1][1],
        "values": [
            {
                "start_date": s,
                "end_date": e,
                "updated_date": "2025-03-29T07:00:00+01:00",
                "value": v,
            }
            for s, e, v in slots
        ],
    }


def test_the_samples_parse() -> None:
    short_term = parse_short_term(fixture("consumption_short_term.json"))
    weekly = parse_weekly(fixture("consumption_weekly_forecasts.json"))
    generation = parse_generation(fixture("generation_forecast.json"))

    d1 = short_term.get("D-1")
    assert d1 is not None
    assert len(d1.slots) == 2
    assert d1.slots[0].start == datetime(2025, 1, 14, 23, tzinfo=UTC)
    assert d1.slots[0].value == 68_350.0
    day = weekly.days[date(2025, 1, 17)]
    assert day.peak is not None
    assert day.peak.value == 81_200.0
    assert day.peak.at == datetime(2025, 1, 17, 18, tzinfo=UTC)
    assert [s.production_type for s in generation.series] == ["WIND_ONSHORE", "SOLAR"]
    assert generation.series[0].slots[0].load_factor == 17.9
    assert generation.series[1].slots[0].load_factor is None


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2025, 3, 30), 23), (date(2025, 10, 26), 25), (date(2025, 1, 15), 24)],
)
def test_daily_means_on_dst_days_any_step(day: date, hours: int) -> None:
    quarter_hours = half_hours(day, 60_000.0, step_minutes=15)
    assert len(quarter_hours) == hours * 4

    means = parse_short_term({"short_term": [_block("D-1", quarter_hours)]}).series["D-1"]

    mean = means.daily_means()[day]
    assert mean.mean == pytest.approx(60_000.0)
    assert mean.coverage == pytest.approx(1.0)


def test_partial_day_is_not_complete_and_latest_update_wins() -> None:
    day = date(2025, 1, 15)
    slots = half_hours(day, 50_000.0)[:40]  # 20 of 24 hours
    block = _block("REALISED", slots)
    newer = dict(block["values"][0])  # type: ignore[index]
    newer.update(value=80_000, updated_date="2025-03-29T08:00:00+01:00")
    block["values"].append(newer)  # type: ignore[attr-defined]

    mean = parse_short_term({"short_term": [block]}).series["REALISED"].daily_means()[day]

    assert mean.coverage == pytest.approx(20 / 24)
    assert not mean.complete
    assert mean.mean == pytest.approx((39 * 50_000 + 80_000) / 40)


def test_bad_slots_are_skipped_not_fatal() -> None:
    good = half_hours(date(2025, 1, 15), 55_000.0)[:2]
    block = _block("D-2", good)
    block["values"] += [  # type: ignore[operator]
        "not an object",
        {"start_date": "yesterday", "end_date": good[0][1], "value": 1},
        {"start_date": good[1][1], "end_date": good[1][0], "value": 1},  # ends before it starts
        {"start_date": good[0][0], "end_date": good[0][1], "value": True},
        {"start_date": good[0][0], "end_date": good[0][1], "value": "55000"},
        {"start_date": "2025-01-15T03:00:00Z", "end_date": "2025-01-15T04:30:00", "value": 1.5},
    ]
    other = {"type": 7, "values": []}

    series = parse_short_term({"short_term": [block, other, "junk"]}).series

    assert list(series) == ["D-2"]
    slots = series["D-2"].slots
    assert [slot.value for slot in slots] == [55_000.0, 55_000.0, 1.5]
    # "Z" is UTC, a date without offset is Paris time.
    assert slots[2].start == datetime(2025, 1, 15, 3, tzinfo=UTC)
    assert slots[2].end == datetime(2025, 1, 15, 3, 30, tzinfo=UTC)


def test_two_blocks_of_one_type_are_joined() -> None:
    first = short_term_payload({"D-1": {date(2025, 1, 15): 60_000.0}}, "2025-01-14T07:00:00+01:00")
    second = short_term_payload({"D-1": {date(2025, 1, 16): 62_000.0}}, "2025-01-15T07:00:00+01:00")

    series = parse_short_term({"short_term": first["short_term"] + second["short_term"]})

    assert sorted(series.series["D-1"].daily_means()) == [date(2025, 1, 15), date(2025, 1, 16)]


@pytest.mark.parametrize(
    ("parser", "data"),
    [
        (parse_short_term, []),
        (parse_short_term, {"short_term": {}}),
        (parse_weekly, {"weekly": []}),
        (parse_generation, {"forecasts": None}),
    ],
)
def test_answer_without_its_list_is_an_error(parser: object, data: object) -> None:
    with pytest.raises(ApiResponseError):
        parser(data)  # type: ignore[operator]


def test_weekly_day_without_start_or_peak() -> None:
    weekly = parse_weekly(
        {
            "weekly_forecasts": [
                {"start_date": "bad", "values": []},
                {"start_date": "2025-01-18T00:00:00+01:00", "peak": "none", "values": None},
                7,
            ]
        }
    )
    day = weekly.days[date(2025, 1, 18)]
    assert day.peak is None
    assert day.slots == ()
    assert day.mean is None
    assert day.updated is None
