"""A period is computed again only when something it reads changed; the figures never differ."""

from __future__ import annotations

from collections.abc import Generator
from datetime import UTC, date, datetime, time, timedelta
from unittest.mock import MagicMock, patch

import pytest

from custom_components.delestage.report import model
from custom_components.delestage.report.model import (
    PARIS,
    PeriodKind,
    PeriodResult,
    ShedPeriod,
    compute_report,
)

from .household import Season, simulate

FIRST = date(2026, 12, 1)


def at(day: int, hour: int) -> datetime:
    """Hour ``hour`` (local) of the season's day number ``day``."""
    return datetime.combine(FIRST + timedelta(days=day), time(hour), PARIS).astimezone(UTC)


# Three evenings: day 21 (a Tuesday), day 30 and day 56 (within 42 days of day 21... and 30).
P1 = ShedPeriod(at(21, 18), at(21, 20), PeriodKind.ECOWATT_RED)
P2 = ShedPeriod(at(30, 18), at(30, 20), PeriodKind.ECOWATT_ORANGE)
P3 = ShedPeriod(at(56, 18), at(56, 20), PeriodKind.ECOWATT_RED)


@pytest.fixture(scope="module")
def season() -> Season:
    return simulate(4, first=FIRST, days=60, explicit=[P1, P2, P3])


@pytest.fixture
def computed() -> Generator[MagicMock]:
    """Every call of ``compute_period`` (the periods actually computed)."""
    with patch.object(model, "compute_period", wraps=model.compute_period) as spy:
        yield spy


def periods_computed(spy: MagicMock) -> set[ShedPeriod]:
    periods = {call.args[0] for call in spy.call_args_list}
    spy.reset_mock()
    return periods


def fresh(
    spy: MagicMock,
    season: Season,
    consumption: dict[datetime, float],
    prices: dict[datetime, float] | None = None,
    periods: list[ShedPeriod] | None = None,
) -> list[PeriodResult]:
    """What a computation from scratch gives (no cache); not counted as computed."""
    results = compute_report(periods or season.periods, consumption, season.temperature, prices)
    spy.reset_mock()
    return results


def test_unchanged_inputs_compute_nothing(season: Season, computed: MagicMock) -> None:
    cache: dict[bytes, PeriodResult] = {}
    first = compute_report(season.periods, season.consumption, season.temperature, cache=cache)
    assert periods_computed(computed) == {P1, P2, P3}

    again = compute_report(season.periods, season.consumption, season.temperature, cache=cache)

    assert periods_computed(computed) == set()
    assert again == first
    assert len(cache) == 3


def test_a_changed_hour_recomputes_the_periods_that_read_it(
    season: Season, computed: MagicMock
) -> None:
    cache: dict[bytes, PeriodResult] = {}
    compute_report(season.periods, season.consumption, season.temperature, cache=cache)
    periods_computed(computed)

    # Day 25 is a comparable day of P2 (5 days before) and P3 (31 days before), not of P1.
    consumption = dict(season.consumption)
    consumption[at(25, 18)] += 2.0
    results = compute_report(season.periods, consumption, season.temperature, cache=cache)
    assert periods_computed(computed) == {P2, P3}
    assert results == fresh(computed, season, consumption)

    # An hour of P1 itself (late or corrected data): P1 alone (its day is nobody's comparable day).
    consumption[at(21, 19)] -= 0.5
    results = compute_report(season.periods, consumption, season.temperature, cache=cache)
    assert periods_computed(computed) == {P1}
    assert results == fresh(computed, season, consumption)


def test_prices_and_a_new_period(season: Season, computed: MagicMock) -> None:
    cache: dict[bytes, PeriodResult] = {}
    compute_report(season.periods, season.consumption, season.temperature, cache=cache)
    periods_computed(computed)

    # A tariff set: prices now exist (every period's money is computed again), then one
    # price changes: the period of that hour alone.
    prices = dict.fromkeys(P2.hours(), 0.5)
    results = compute_report(
        season.periods, season.consumption, season.temperature, prices, cache=cache
    )
    assert periods_computed(computed) == {P1, P2, P3}
    assert results == fresh(computed, season, season.consumption, prices)
    prices[P2.start] = 0.6
    compute_report(season.periods, season.consumption, season.temperature, prices, cache=cache)
    assert periods_computed(computed) == {P2}

    # A new period on day 27 is no longer a comparable day of P2 and P3.
    new = ShedPeriod(at(27, 7), at(27, 9), PeriodKind.ECOWATT_ORANGE)
    periods = [*season.periods, new]
    results = compute_report(periods, season.consumption, season.temperature, prices, cache=cache)
    assert periods_computed(computed) == {P2, P3, new}
    assert results == fresh(computed, season, season.consumption, prices, periods)
    assert len(cache) == 4  # the results of this run only


def test_temperatures_appearing_recompute_everything(season: Season, computed: MagicMock) -> None:
    cache: dict[bytes, PeriodResult] = {}
    compute_report(season.periods, season.consumption, None, cache=cache)
    periods_computed(computed)

    results = compute_report(season.periods, season.consumption, season.temperature, cache=cache)

    assert periods_computed(computed) == {P1, P2, P3}
    assert all(result.weather_adjusted for result in results)
