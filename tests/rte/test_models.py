"""Parsing of Ecowatt v5 and Tempo answers: every quirk of the reference, DST days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from custom_components.delestage.api.errors import ApiResponseError
from custom_components.delestage.api.rte_models import (
    ALERT_LEVEL,
    HOUR,
    LEVEL_GREEN,
    LEVEL_LOW_CARBON,
    LEVEL_ORANGE,
    LEVEL_RED,
    PARIS,
    EcowattForecast,
    local_midnight,
    parse_local_day_start,
    parse_signals,
    parse_tempo,
    tempo_day,
)

from .fake_rte import day_payload, load_json, tempo_payload


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_sandbox_payload_days_by_date_hours_by_pas() -> None:
    forecast = parse_signals(load_json("sandbox_signals.json"))

    # Days arrive as 06-06, 06-04, 06-05, 06-03: looked up by date, not position.
    assert list(forecast.days) == [date(2022, 6, d) for d in (3, 4, 5, 6)]
    assert forecast.first_day == date(2022, 6, 3)
    assert forecast.last_day == date(2022, 6, 6)
    assert [forecast.days[date(2022, 6, d)].level for d in (3, 4, 5, 6)] == [3, 3, 2, 1]
    # 06-03 has only pas 7..23: earlier hours are unknown, not an error.
    assert forecast.level_at(paris(2022, 6, 3, 6, 59)) is None
    assert forecast.level_at(paris(2022, 6, 3, 7, 0)) == 3
    assert forecast.level_at(paris(2022, 6, 3, 9, 30)) == 1
    # Level 0 ("low carbon") is a real value, better than 1, and the day still says 1.
    assert forecast.level_at(paris(2022, 6, 6, 0, 10)) == 0
    assert forecast.level_at(paris(2022, 6, 6, 2, 0)) == 1
    assert forecast.level_at(paris(2022, 6, 7, 0, 0)) is None
    # Padded messages are cleaned for display.
    assert forecast.days[date(2022, 6, 6)].message == "Pas d’alerte"
    assert forecast.days[date(2022, 6, 5)].message.endswith("sont les bienvenus.")
    assert len(forecast.hours) == 17 + 24 * 3


def test_alert_runs_merge_consecutive_hours() -> None:
    forecast = parse_signals(load_json("sandbox_signals.json"))
    runs = forecast.runs()

    first = runs[0]
    assert (first.start, first.end, first.level) == (
        paris(2022, 6, 3, 7),
        paris(2022, 6, 3, 9),
        3,
    )
    # 14:00-21:00 red then 21:00-24:00 orange: one run, red, two parts.
    second = runs[1]
    assert (second.start, second.end, second.level) == (
        paris(2022, 6, 3, 14),
        paris(2022, 6, 4, 0),
        3,
    )
    assert [part[2] for part in second.parts] == [3, 2]
    # 06-04 05:00 -> 06-05 00:00 continuous (orange/red), then 06-05 07:00-12:00 orange.
    assert (runs[2].start, runs[2].end) == (paris(2022, 6, 4, 5), paris(2022, 6, 5, 0))
    assert (runs[3].start, runs[3].end, runs[3].level) == (
        paris(2022, 6, 5, 7),
        paris(2022, 6, 5, 12),
        2,
    )
    assert all(run.level >= 2 for run in runs)


def test_spring_forward_day_has_23_hours() -> None:
    """2026-03-29: 02:00 does not exist; pas n starts at jour + n hours (absolute)."""
    levels = dict.fromkeys(range(24), 1)
    levels[2] = 3  # jour 00:00+01:00 + 2 h = 01:00 UTC = 03:00 CEST
    levels[23] = 2  # would start at the next midnight: the next day wins
    payload = {
        "signals": [
            day_payload(date(2026, 3, 30), [1] * 24),
            day_payload(date(2026, 3, 29), levels),
        ]
    }
    forecast = parse_signals(payload)

    assert payload["signals"][1]["jour"] == "2026-03-29T00:00:00+01:00"
    assert forecast.level_at(paris(2026, 3, 29, 1, 30)) == 1
    assert forecast.level_at(paris(2026, 3, 29, 3, 30)) == 3
    assert forecast.level_at(datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == 3
    assert forecast.level_at(paris(2026, 3, 30, 0, 30)) == 1
    day_hours = [h for h in forecast.hours if h.start.astimezone(PARIS).date() == date(2026, 3, 29)]
    assert len(day_hours) == 23


def test_fall_back_day_has_25_hours() -> None:
    """2026-10-25: 02:00-03:00 happens twice; pas 2 is the first, pas 3 the second."""
    levels = dict.fromkeys(range(25), 1)
    levels[2], levels[3] = 2, 3
    payload = {"signals": [day_payload(date(2026, 10, 25), levels)]}
    forecast = parse_signals(payload)

    assert payload["signals"][0]["jour"] == "2026-10-25T00:00:00+02:00"
    # 00:30 UTC = 02:30 CEST (first pass), 01:30 UTC = 02:30 CET (second pass).
    assert forecast.level_at(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == 2
    assert forecast.level_at(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == 3
    assert forecast.level_at(paris(2026, 10, 25, 23, 30)) == 1  # pas 24
    assert len(forecast.hours) == 25


def test_yesterday_first_and_missing_day_3() -> None:
    """After midnight the file still starts with yesterday; D+3 is absent."""
    payload = {
        "signals": [
            day_payload(date(2026, 1, 12), [1] * 24),
            day_payload(date(2026, 1, 10), [1] * 24),
            day_payload(date(2026, 1, 11), [1] * 8 + [2] * 4 + [1] * 12),
        ]
    }
    forecast = parse_signals(payload)

    assert forecast.first_day == date(2026, 1, 10)
    assert forecast.day(date(2026, 1, 13)) is None
    assert forecast.days[date(2026, 1, 11)].level == 2


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {"signals": None},
        {"signals": []},
        {"signals": [{"jour": "not a date", "dvalue": 1, "values": []}]},
        {"signals": [{"jour": 12, "dvalue": 1}]},
        {"signals": [{"jour": "2026-01-10T00:00:00+01:00", "values": "x"}]},
    ],
)
def test_unusable_answers_raise(payload: Any) -> None:
    with pytest.raises(ApiResponseError):
        parse_signals(payload)


def test_malformed_parts_are_skipped() -> None:
    good = day_payload(date(2026, 1, 10), [1] * 24)
    odd = {
        "jour": "2026-01-11",  # bare date: read as Paris midnight
        "values": [
            {"pas": 0, "hvalue": 2},
            {"pas": 30, "hvalue": 1},
            {"pas": 1, "hvalue": 9},
            {"pas": True, "hvalue": 1},
            "junk",
        ],
        "message": None,
    }
    forecast = parse_signals({"signals": [good, odd, "junk", {"jour": None}]})

    day = forecast.days[date(2026, 1, 11)]
    assert day.hours == {0: 2}
    assert day.level == 2  # no dvalue: highest hour
    assert day.message == ""
    assert day.start == paris(2026, 1, 11)


def test_rebased_moves_days_to_today() -> None:
    forecast = parse_signals(load_json("sandbox_signals.json")).rebased(date(2026, 3, 28))

    assert list(forecast.days) == [date(2026, 3, d) for d in (28, 29, 30, 31)]
    # The 23-hour day keeps pas 0..22 only; pas 23 would be 00:00 on the 30th.
    assert forecast.level_at(paris(2026, 3, 28, 7, 30)) == 3
    assert forecast.level_at(paris(2026, 3, 31, 0, 30)) == 0


def test_tempo_colours_by_date_and_tempo_day() -> None:
    payload = tempo_payload({date(2026, 1, 10): "BLUE", date(2026, 1, 11): "RED"})
    payload["tempo_like_calendars"]["values"].append(
        {"start_date": "2022-12-28T00:00:00+01:00", "end_date": "2022-12-29T00:00:00+01:00"}
    )
    payload["tempo_like_calendars"]["values"].append("junk")
    calendar = parse_tempo(payload)

    assert calendar.color(date(2026, 1, 11)) == "RED"
    assert calendar.color(date(2022, 12, 28)) is None
    assert calendar.last_day == date(2026, 1, 11)
    assert tempo_day(paris(2026, 1, 11, 5, 59)) == date(2026, 1, 10)
    assert tempo_day(paris(2026, 1, 11, 6, 0)) == date(2026, 1, 11)
    assert parse_tempo({"tempo_like_calendars": {"values": []}}).last_day is None


def test_tempo_calendars_as_an_array() -> None:
    """RTE's swagger (v1.1) types ``tempo_like_calendars`` as an array of calendars."""
    first = tempo_payload({date(2026, 1, 10): "BLUE"})["tempo_like_calendars"]
    second = tempo_payload({date(2026, 1, 11): "WHITE", date(2026, 1, 12): "RED"})[
        "tempo_like_calendars"
    ]
    payload = {"tempo_like_calendars": [first, "junk", {"values": None}, second]}

    calendar = parse_tempo(payload)

    assert dict(calendar.colors) == {
        date(2026, 1, 10): "BLUE",
        date(2026, 1, 11): "WHITE",
        date(2026, 1, 12): "RED",
    }
    assert list(calendar.colors) == sorted(calendar.colors)
    assert calendar.raw is payload
    assert parse_tempo({"tempo_like_calendars": [first]}) == parse_tempo(
        {"tempo_like_calendars": first}
    )
    assert parse_tempo({"tempo_like_calendars": []}).last_day is None


def test_tempo_values_as_a_single_day() -> None:
    """RTE's user guide shows ``values`` as one day object, not a list, for a one-day answer."""
    one_day = tempo_payload({date(2026, 1, 11): "RED"})["tempo_like_calendars"]["values"][0]

    calendar = parse_tempo({"tempo_like_calendars": {"values": one_day}})

    assert dict(calendar.colors) == {date(2026, 1, 11): "RED"}
    array = parse_tempo({"tempo_like_calendars": [{"values": one_day}]})
    assert dict(array.colors) == {date(2026, 1, 11): "RED"}


@pytest.mark.parametrize(
    "payload",
    [
        None,
        {},
        {"tempo_like_calendars": {"values": None}},
        {"tempo_like_calendars": "BLUE"},
        {"tempo_like_calendars": [{"values": None}, "junk"]},
    ],
)
def test_tempo_wrong_shape_raises(payload: Any) -> None:
    with pytest.raises(ApiResponseError):
        parse_tempo(payload)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        # 2026-03-29 (23 h): 06:00 CEST is 04:00 UTC.
        (datetime(2026, 3, 29, 3, 59, 59, tzinfo=UTC), date(2026, 3, 28)),
        (datetime(2026, 3, 29, 4, 0, tzinfo=UTC), date(2026, 3, 29)),
        # 2026-10-25 (25 h): 06:00 CET is 05:00 UTC; the repeated 02:00 is still the 24th.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), date(2026, 10, 24)),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), date(2026, 10, 24)),
        (datetime(2026, 10, 25, 4, 59, 59, tzinfo=UTC), date(2026, 10, 24)),
        (datetime(2026, 10, 25, 5, 0, tzinfo=UTC), date(2026, 10, 25)),
    ],
)
def test_tempo_day_starts_at_six_on_dst_days(when: datetime, expected: date) -> None:
    assert tempo_day(when) == expected


def _forecast(*days: tuple[date, list[int]]) -> EcowattForecast:
    return parse_signals({"signals": [day_payload(day, levels) for day, levels in days]})


def test_a_forecast_with_one_alert_has_that_run() -> None:
    """Issue 13: the last run (here the only one) used to be dropped by a mutant unnoticed."""
    forecast = _forecast((date(2026, 1, 10), [1] * 18 + [3, 3] + [1] * 4))

    [run] = forecast.runs()

    assert (run.start, run.end, run.level) == (paris(2026, 1, 10, 18), paris(2026, 1, 10, 20), 3)
    assert run.parts == ((paris(2026, 1, 10, 18), paris(2026, 1, 10, 20), LEVEL_RED),)


def test_runs_count_and_last_run_at_the_end_of_the_forecast() -> None:
    forecast = _forecast(
        (date(2026, 1, 10), [2] + [1] * 6 + [2, 3, 2] + [1] * 13 + [2]),
        (date(2026, 1, 11), [2, 2] + [1] * 20 + [3, 3]),
    )

    runs = forecast.runs()

    assert [(r.start, r.end, r.level) for r in runs] == [
        (paris(2026, 1, 10, 0), paris(2026, 1, 10, 1), 2),
        (paris(2026, 1, 10, 7), paris(2026, 1, 10, 10), 3),
        # 23:00 orange runs on into the next day's 00:00-02:00.
        (paris(2026, 1, 10, 23), paris(2026, 1, 11, 2), 2),
        (paris(2026, 1, 11, 22), paris(2026, 1, 12, 0), 3),
    ]
    assert [part[2] for part in runs[1].parts] == [2, 3, 2]
    assert runs[1].parts[1] == (paris(2026, 1, 10, 8), paris(2026, 1, 10, 9), 3)
    assert len(runs[2].parts) == 1  # same level across midnight: one part
    # Only red hours: the orange ones split the runs.
    assert [(r.start, r.end) for r in forecast.runs(LEVEL_RED)] == [
        (paris(2026, 1, 10, 8), paris(2026, 1, 10, 9)),
        (paris(2026, 1, 11, 22), paris(2026, 1, 12, 0)),
    ]
    assert _forecast((date(2026, 1, 10), [1] * 24)).runs() == []


def test_hours_with_a_gap_are_two_runs() -> None:
    """Missing hours between two alerts: not one run."""
    payload = day_payload(date(2026, 1, 10), {5: 2, 6: 2, 8: 2})
    runs = parse_signals({"signals": [payload]}).runs()

    assert [(r.start, r.end) for r in runs] == [
        (paris(2026, 1, 10, 5), paris(2026, 1, 10, 7)),
        (paris(2026, 1, 10, 8), paris(2026, 1, 10, 9)),
    ]


def test_hour_boundaries() -> None:
    forecast = _forecast((date(2026, 1, 10), [1] * 12 + [3] + [1] * 11))

    assert forecast.level_at(paris(2026, 1, 10, 11, 59, 59)) == 1
    assert forecast.level_at(paris(2026, 1, 10, 12)) == 3
    assert forecast.level_at(paris(2026, 1, 10, 12, 59, 59)) == 3
    assert forecast.level_at(paris(2026, 1, 10, 13)) == 1
    hour = forecast.hour_at(paris(2026, 1, 10, 12, 30))
    assert hour is not None
    assert (hour.start, hour.end) == (paris(2026, 1, 10, 12), paris(2026, 1, 10, 13))
    assert forecast.level_at(paris(2026, 1, 9, 23, 59)) is None
    assert forecast.level_at(paris(2026, 1, 11)) is None


@pytest.mark.parametrize(
    ("values", "hours"),
    [
        ([{"pas": 0, "hvalue": 0}, {"pas": 24, "hvalue": 3}], {0: 0, 24: 3}),
        ([{"pas": -1, "hvalue": 1}, {"pas": 25, "hvalue": 1}], {}),
        ([{"pas": 3, "hvalue": -1}, {"pas": 4, "hvalue": 4}], {}),
        ([{"pas": 3, "hvalue": 2.0}, {"pas": 4.0, "hvalue": 2}], {}),
    ],
)
def test_hour_ranges(values: list[dict[str, Any]], hours: dict[int, int]) -> None:
    item = {"jour": "2026-01-10T00:00:00+01:00", "dvalue": 2, "values": values}
    day = parse_signals({"signals": [item]}).days[date(2026, 1, 10)]
    assert day.hours == hours


@pytest.mark.parametrize(
    ("dvalue", "hours", "level"),
    [
        (0, [], 1),  # a day is never "low carbon": green at least
        (1, [3], 1),  # the published day level wins over its hours
        (3, [1], 3),
        (4, [2], 2),  # out of range: the highest hour
        (-1, [0], 1),
        (None, [0, 2, 1], 2),
        ("2", [3], 3),
    ],
)
def test_day_level(dvalue: Any, hours: list[int], level: int) -> None:
    item = {
        "jour": "2026-01-10T00:00:00+01:00",
        "dvalue": dvalue,
        "values": [{"pas": pas, "hvalue": value} for pas, value in enumerate(hours)],
    }
    assert parse_signals({"signals": [item]}).days[date(2026, 1, 10)].level == level


def test_a_day_without_level_nor_hours_is_dropped() -> None:
    good = day_payload(date(2026, 1, 10), [1] * 24)
    bare = {"jour": "2026-01-11T00:00:00+01:00", "values": []}
    assert list(parse_signals({"signals": [good, bare]}).days) == [date(2026, 1, 10)]


@pytest.mark.parametrize(
    ("jour", "day", "start"),
    [
        ("2026-01-10T00:00:00+01:00", date(2026, 1, 10), datetime(2026, 1, 9, 23, tzinfo=UTC)),
        # Midnight Paris sent in UTC: the Paris date, not the UTC one.
        ("2026-01-09T23:00:00Z", date(2026, 1, 10), datetime(2026, 1, 9, 23, tzinfo=UTC)),
        ("2026-07-09T22:00:00+00:00", date(2026, 7, 10), datetime(2026, 7, 9, 22, tzinfo=UTC)),
        ("2026-07-10", date(2026, 7, 10), datetime(2026, 7, 9, 22, tzinfo=UTC)),
        (" 2026-07-10T00:00:00 ", date(2026, 7, 10), datetime(2026, 7, 9, 22, tzinfo=UTC)),
        ("10/07/2026", None, None),
        (None, None, None),
    ],
)
def test_local_day_start(jour: Any, day: date | None, start: datetime | None) -> None:
    parsed = parse_local_day_start(jour)
    if day is None:
        assert parsed is None
        return
    assert parsed == (day, start)
    assert parsed is not None
    assert parsed[1].tzinfo is UTC


def test_local_midnight_on_dst_days() -> None:
    assert local_midnight(date(2026, 3, 29)) == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert local_midnight(date(2026, 3, 30)) == datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert local_midnight(date(2026, 10, 26)) == datetime(2026, 10, 25, 23, tzinfo=UTC)


def test_hours_of_every_day_in_time_order_without_overlap() -> None:
    """A 23-hour day's pas 23 would start at the next midnight: the next day's hour wins."""
    spring = day_payload(date(2026, 3, 29), [1] * 23 + [3])
    forecast = parse_signals({"signals": [day_payload(date(2026, 3, 30), [2] * 24), spring]})

    starts = [hour.start for hour in forecast.hours]
    assert len(starts) == 23 + 24
    assert starts == sorted(set(starts))
    assert forecast.level_at(paris(2026, 3, 30, 0, 30)) == 2
    # The last day keeps every hour it has (nothing after it to give way to).
    assert parse_signals({"signals": [spring]}).level_at(paris(2026, 3, 30, 0, 30)) == 3


def test_levels_are_the_contract_values() -> None:
    """hvalue 0..3 are low carbon, green, orange, red (sensor states rely on them)."""
    forecast = _forecast((date(2026, 1, 10), [0, 1, 2, 3] + [1] * 20))
    levels = [forecast.level_at(paris(2026, 1, 10, hour)) for hour in range(4)]

    assert levels == [LEVEL_LOW_CARBON, LEVEL_GREEN, LEVEL_ORANGE, LEVEL_RED]
    assert ALERT_LEVEL == LEVEL_ORANGE
    assert timedelta(hours=1) == HOUR


def test_rebased_keeps_levels_and_moves_hours() -> None:
    forecast = _forecast(
        (date(2026, 1, 10), [1] * 8 + [3] + [1] * 15), (date(2026, 1, 11), [2] * 24)
    )

    moved = forecast.rebased(date(2026, 3, 29))  # onto a 23-hour day

    assert list(moved.days) == [date(2026, 3, 29), date(2026, 3, 30)]
    assert [day.day for day in moved.days.values()] == list(moved.days)
    assert moved.days[date(2026, 3, 29)].start == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert moved.level_at(paris(2026, 3, 29, 9, 30)) == 3  # pas 8 = 09:00 CEST
    assert moved.days[date(2026, 3, 30)].level == 2
    assert moved.raw is forecast.raw


def test_tempo_colours_in_any_case_and_unknown_values() -> None:
    payload = tempo_payload({date(2026, 1, 10): "blue", date(2026, 1, 11): "Red"})
    payload["tempo_like_calendars"]["values"].append(
        {"start_date": "2026-01-12T00:00:00+01:00", "value": "GREEN"}
    )
    payload["tempo_like_calendars"]["values"].append({"start_date": None, "value": "WHITE"})
    payload["tempo_like_calendars"]["values"].append(
        {"start_date": "2026-01-13T00:00:00+01:00", "value": 3}
    )

    calendar = parse_tempo(payload)

    assert dict(calendar.colors) == {date(2026, 1, 10): "BLUE", date(2026, 1, 11): "RED"}
    assert list(calendar.colors) == [date(2026, 1, 10), date(2026, 1, 11)]
    assert calendar.color(date(2026, 1, 12)) is None
    assert calendar.last_day == date(2026, 1, 11)
    # A start date sent in UTC (23:00 the day before) is the Paris day.
    utc_payload = {
        "tempo_like_calendars": {"values": [{"start_date": "2026-01-13T23:00:00Z", "value": "RED"}]}
    }
    assert parse_tempo(utc_payload).last_day == date(2026, 1, 14)


def test_answers_with_the_same_days_are_equal_whatever_their_raw_text() -> None:
    """A new file with the same forecast is no change (entities do not rewrite their state)."""
    first = day_payload(date(2026, 1, 10), [1] * 24)
    again = {**first, "GenerationFichier": "2026-01-10T09:15:00+01:00", "message": "Pas d’alerte"}

    assert parse_signals({"signals": [first]}) == parse_signals({"signals": [again]})
    assert parse_signals({"signals": [first]}) != parse_signals(
        {"signals": [day_payload(date(2026, 1, 10), [1] * 23 + [2])]}
    )
