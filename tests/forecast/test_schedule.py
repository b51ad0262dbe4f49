"""When the forecast calls RTE (pure functions), and what it keeps of RTE's answers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.delestage.api.rte_forecast_models import (
    parse_generation,
    parse_short_term,
    parse_weekly,
)
from custom_components.delestage.forecast.inputs import (
    model_inputs,
    net_consumption,
    record_generation,
    record_short_term,
    record_weekly,
)
from custom_components.delestage.forecast.model import load_parameters
from custom_components.delestage.forecast.schedule import (
    call_offset,
    next_consumption_call,
    next_generation_call,
    next_tempo_day,
    retry_delay,
)
from custom_components.delestage.forecast.store import DayRecord, ForecastData

from .fake_rte_forecasts import (
    generation_payload,
    half_hours,
    short_term_payload,
    weekly_payload,
)

PARIS = ZoneInfo("Europe/Paris")
NO_OFFSET = timedelta()


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_offsets_spread_the_apps_over_a_quarter_of_an_hour() -> None:
    offsets = {call_offset(f"client-{n}") for n in range(200)}
    assert offsets <= {timedelta(minutes=m) for m in range(15)}
    assert len(offsets) == 15
    assert call_offset("same") == call_offset("same")


@pytest.mark.parametrize(
    ("last_call", "due"),
    [
        (paris(2026, 1, 14, 0, 30), paris(2026, 1, 14, 7, 45)),
        (paris(2026, 1, 14, 7, 45), paris(2026, 1, 14, 20, 15)),
        (paris(2026, 1, 14, 20, 15), paris(2026, 1, 15, 7, 45)),
        (paris(2026, 1, 14, 23, 59), paris(2026, 1, 15, 7, 45)),
        # Spring forward (29 March 2026): still 07:45 Paris time.
        (paris(2026, 3, 28, 20, 15), paris(2026, 3, 29, 7, 45)),
    ],
)
def test_consumption_at_the_publication_hours(last_call: datetime, due: datetime) -> None:
    assert (
        next_consumption_call(
            last_call, failures=0, subscribed=True, offset=NO_OFFSET, now=last_call
        )
        == due
    )


def test_consumption_first_call_retry_and_probe() -> None:
    now = paris(2026, 1, 14, 10, 0)
    first = next_consumption_call(None, failures=0, subscribed=None, offset=NO_OFFSET, now=now)
    assert first == now
    retry = next_consumption_call(now, failures=2, subscribed=True, offset=NO_OFFSET, now=now)
    assert retry == now + timedelta(hours=2)
    # A retry never goes past the next publication hour.
    late = paris(2026, 1, 14, 19, 0)
    assert next_consumption_call(
        late, failures=3, subscribed=True, offset=NO_OFFSET, now=late
    ) == paris(2026, 1, 14, 20, 15)
    probe = next_consumption_call(now, failures=0, subscribed=False, offset=NO_OFFSET, now=now)
    assert probe == now + timedelta(hours=24)


def test_retries_double_up_to_six_hours() -> None:
    assert [retry_delay(n) / timedelta(hours=1) for n in (1, 2, 3, 4, 5, 40)] == [
        1,
        2,
        4,
        6,
        6,
        6,
    ]


def test_wind_and_solar_once_a_day_in_the_evening() -> None:
    offset = timedelta(minutes=7)
    morning = paris(2026, 1, 14, 8, 0)
    assert next_generation_call(
        None, failures=0, subscribed=None, have_tomorrow=False, offset=offset, now=morning
    ) == paris(2026, 1, 14, 20, 22)
    evening = paris(2026, 1, 14, 20, 22)
    assert next_generation_call(
        evening, failures=0, subscribed=True, have_tomorrow=True, offset=offset, now=evening
    ) == paris(2026, 1, 15, 20, 22)
    assert next_generation_call(
        evening, failures=1, subscribed=True, have_tomorrow=False, offset=offset, now=evening
    ) == paris(2026, 1, 14, 21, 22)
    assert next_generation_call(
        evening, failures=0, subscribed=False, have_tomorrow=False, offset=offset, now=evening
    ) == paris(2026, 1, 15, 20, 22)


def test_tempo_days_start_at_six() -> None:
    assert next_tempo_day(paris(2026, 1, 14, 5, 59)) == paris(2026, 1, 14, 6, 0)
    assert next_tempo_day(paris(2026, 1, 14, 6, 0)) == paris(2026, 1, 15, 6, 0)


# --------------------------------------------------------------------------- records


def test_the_newest_forecast_of_a_day_wins() -> None:
    data = ForecastData()
    made = "2026-01-14T07:00:00+01:00"
    record_weekly(
        data, parse_weekly(weekly_payload({date(2026, 1, 17): 70_000.0}, made)), paris(2026, 1, 14)
    )
    assert data.days[date(2026, 1, 17)] == DayRecord(70_000.0, date(2026, 1, 14))
    # Two days later RTE's D-1 for that day replaces it; an older answer does not.
    later = short_term_payload({"D-1": {date(2026, 1, 17): 72_000.0}}, made)
    record_short_term(data, parse_short_term(later))
    assert data.days[date(2026, 1, 17)] == DayRecord(72_000.0, date(2026, 1, 16))
    record_weekly(
        data, parse_weekly(weekly_payload({date(2026, 1, 17): 60_000.0}, made)), paris(2026, 1, 14)
    )
    assert data.days[date(2026, 1, 17)].consumption == 72_000.0


def test_a_partial_day_is_not_kept() -> None:
    day = date(2026, 1, 15)
    slots = half_hours(day, 70_000.0)[:30]  # 15 hours of 24
    answer = {
        "short_term": [
            {
                "type": "D-1",
                "start_date": slots[0][0],
                "end_date": slots[-1][1],
                "values": [
                    {"start_date": s, "end_date": e, "updated_date": s, "value": v}
                    for s, e, v in slots
                ],
            }
        ]
    }
    data = ForecastData()
    record_short_term(data, parse_short_term(answer))
    assert data.days.get(day, DayRecord()).consumption is None


def test_wind_is_onshore_plus_offshore_and_needs_onshore() -> None:
    day = date(2026, 1, 15)
    data = ForecastData()
    answers = {
        "WIND_ONSHORE": parse_generation(generation_payload("WIND_ONSHORE", day, 5_000.0)),
        "WIND_OFFSHORE": parse_generation(generation_payload("WIND_OFFSHORE", day, 600.0)),
        "SOLAR": parse_generation(generation_payload("SOLAR", day, 1_500.0)),
    }
    assert record_generation(data, answers, day)
    assert data.days[day].wind == pytest.approx(5_600.0)
    assert data.days[day].solar == pytest.approx(1_500.0)
    other = ForecastData()
    assert not record_generation(other, {"SOLAR": answers["SOLAR"]}, day)
    assert other.days[day].wind is None


def test_history_and_coming_days_for_the_model() -> None:
    params = load_parameters()
    today = date(2026, 1, 14)
    data = ForecastData(
        days={
            date(2026, 1, 13): DayRecord(70_000.0, date(2026, 1, 12), 4_000.0, 1_000.0),
            date(2026, 1, 14): DayRecord(71_000.0, date(2026, 1, 13)),
            date(2026, 1, 15): DayRecord(72_000.0, date(2026, 1, 14), 3_000.0, 800.0),
            date(2026, 1, 19): DayRecord(75_000.0, date(2026, 1, 14)),
            date(2026, 1, 20): DayRecord(None, None, 2_000.0),
        }
    )
    inputs = model_inputs(today, data, {date(2026, 1, 14): "RED", date(2026, 1, 15): "x"}, params)

    assert inputs.today == today
    assert inputs.history[date(2026, 1, 13)] == pytest.approx(65_000.0)
    # Without wind and solar: the month's usual ones are taken off.
    assert inputs.history[date(2026, 1, 14)] == pytest.approx(71_000.0 - params.renewables_mean[0])
    assert date(2026, 1, 15) not in inputs.history
    tomorrow = inputs.forecasts[date(2026, 1, 15)]
    assert (tomorrow.consumption, tomorrow.lead, tomorrow.wind, tomorrow.solar) == (
        72_000.0,
        1,
        3_000.0,
        800.0,
    )
    assert inputs.forecasts[date(2026, 1, 19)].lead == 5
    assert inputs.forecasts[date(2026, 1, 20)].consumption is None
    assert [str(c) for c in inputs.colours.values()] == ["red"]
    assert net_consumption(date(2026, 1, 20), data.days[date(2026, 1, 20)], params) is None


def test_records_survive_the_store_and_broken_content_is_dropped() -> None:
    data = ForecastData(days={date(2026, 1, 15): DayRecord(72_000.0, date(2026, 1, 14), 3.0)})
    data.consumption.last_call = paris(2026, 1, 14, 20, 15)
    data.consumption.failures = 2
    assert ForecastData.from_dict(data.as_dict()) == data
    broken = {
        "consumption": "x",
        "generation": {"failures": -3, "subscribed": "yes", "last_call": 12},
        "not_before": "later",
        "days": {
            "2026-01-16": {"consumption": 70_000.0},  # no issue date: of no use
            "not a day": {"consumption": 1.0, "issued": "2026-01-15"},
            "2026-01-17": "x",
            "2026-01-18": {"consumption": float("nan"), "wind": True, "issued": "?"},
        },
    }
    restored = ForecastData.from_dict(broken)
    assert restored.consumption == restored.generation
    assert restored.not_before is None
    assert restored.days == {date(2026, 1, 16): DayRecord(), date(2026, 1, 18): DayRecord()}
    assert ForecastData.from_dict(None) == ForecastData()


def test_old_days_are_forgotten() -> None:
    data = ForecastData(days={date(2024, 1, 1): DayRecord(), date(2026, 1, 1): DayRecord()})
    data.prune(date(2026, 1, 14))
    assert list(data.days) == [date(2026, 1, 1)]


def test_publication_times_are_paris_times() -> None:
    # The evening call is in the evening in Paris whatever the server's zone.
    due = next_consumption_call(
        datetime(2026, 7, 1, 6, 0, tzinfo=ZoneInfo("UTC")),
        failures=0,
        subscribed=True,
        offset=NO_OFFSET,
        now=datetime(2026, 7, 1, 6, 0, tzinfo=ZoneInfo("UTC")),
    )
    assert due == paris(2026, 7, 1, 20, 15)
