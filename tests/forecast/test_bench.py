"""Benchmarks of the Tempo forecast in Home Assistant: calls per day, the model's run time.

Seven simulated days (January 2026), Home Assistant restarted three times a day, RTE publishing
its forecasts each day and Tempo's colour at 10:30: prints the calls per day to each RTE API
(the forecast's and the RTE entry's own, sharing one token) and the calls restarts cost.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
import time as wall
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant
import pytest

from custom_components.delestage.forecast.model import forecast, load_parameters, make_inputs
from tests.rte.fake_rte import FakeRte

from .fake_rte_forecasts import FakeRteForecasts
from .ha import (
    PARIS,
    SENSORS,
    async_move,
    async_setup,
    paris,
    publish_colours,
    publish_forecasts,
    rte_entry as make_entry,
    season_colours,
    state_of,
)

DAYS = 7
RESTARTS = (time(3, 17), time(11, 43), time(19, 29))
STEP = timedelta(minutes=5)
TEMPO_PUBLICATION = time(10, 30)


@pytest.fixture(autouse=True)
async def paris_time_zone(hass: HomeAssistant) -> None:
    """The home is in France."""
    await hass.config.async_set_time_zone("Europe/Paris")


def _publish(fake_rte: FakeRte, forecasts: FakeRteForecasts, now: datetime) -> None:
    """What RTE serves at ``now``: the day's forecasts, tomorrow's colour from 10:30."""
    local = now.astimezone(PARIS)
    publish_forecasts(forecasts, local.date())
    tomorrow = local.date() + timedelta(days=1)
    extra = season_colours(tomorrow) if local.time() >= TEMPO_PUBLICATION else {}
    publish_colours(fake_rte, local.date(), {d: c for d, c in extra.items() if d == tomorrow})


async def _restart(hass: HomeAssistant, entry: Any) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    hass.set_state(CoreState.not_running)
    assert await hass.config_entries.async_setup(entry.entry_id)
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.bench
async def test_calls_per_day_with_three_restarts_a_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    fake_forecasts: FakeRteForecasts,
) -> None:
    start = paris(2026, 1, 12, 0, 0)
    freezer.move_to(start)
    _publish(fake_rte, fake_forecasts, start)
    entry = make_entry()
    await async_setup(hass, entry)

    per_day: dict[date, Counter[str]] = {}
    seen: Counter[str] = Counter()
    on_restart = 0
    unavailable_steps = 0
    now = start
    while now < start + timedelta(days=DAYS):
        now += STEP
        _publish(fake_rte, fake_forecasts, now)
        freezer.move_to(now)
        if any(now.time() <= when < (now + STEP).time() for when in RESTARTS):
            before = sum(fake_forecasts.calls.values())
            await _restart(hass, entry)
            on_restart += sum(fake_forecasts.calls.values()) - before
        await async_move(hass, freezer, now)
        if state_of(hass, SENSORS[0]) not in {"blue", "white", "red"}:
            unavailable_steps += 1
        day = (now - timedelta(seconds=1)).astimezone(PARIS).date()
        counter = per_day.setdefault(day, Counter())
        current = Counter(fake_forecasts.calls) + Counter(
            {key: fake_rte.calls[key] for key in ("token", "signals", "tempo")}
        )
        for key in ("short_term", "weekly", "generation", "token", "signals", "tempo"):
            counter[key] += current[key] - seen[key]
        seen = current

    print(f"\nTempo forecast benchmark: {DAYS} days, restarts at 03:17, 11:43, 19:29")
    print(
        f"{'day':<12}{'short_term':>11}{'weekly':>8}{'generation':>11}"
        f"{'forecast':>9}{'token':>7}{'signals':>9}{'tempo':>7}"
    )
    for day, counter in sorted(per_day.items()):
        total = counter["short_term"] + counter["weekly"] + counter["generation"]
        print(
            f"{day.isoformat():<12}{counter['short_term']:>11}{counter['weekly']:>8}"
            f"{counter['generation']:>11}{total:>9}{counter['token']:>7}"
            f"{counter['signals']:>9}{counter['tempo']:>7}"
        )
    print(f"forecast calls caused by the {DAYS * len(RESTARTS)} restarts: {on_restart}")
    print(f"steps with day 1 unavailable: {unavailable_steps}")

    for counter in per_day.values():
        assert counter["short_term"] + counter["weekly"] + counter["generation"] <= 9
    assert on_restart == 0
    assert unavailable_steps == 0


@pytest.mark.bench
def test_model_run_time() -> None:
    """One forecast with a year of history and the season's colours (the executor's job)."""
    params = load_parameters()
    today = date(2026, 1, 14)
    history = {today - timedelta(days=n): 55_000.0 + 9_000.0 * (n % 5) for n in range(1, 400)}
    inputs = make_inputs(
        today,
        colours=season_colours(today),
        history=history,
        consumption={today + timedelta(days=n): (75_000.0, n) for n in range(1, 10)},
        wind={today + timedelta(days=1): 4_000.0},
        solar={today + timedelta(days=1): 1_000.0},
    )
    runs = 20
    started = wall.clock_gettime(wall.CLOCK_MONOTONIC_RAW)
    for _ in range(runs):
        forecast(inputs, params)
    elapsed = (wall.clock_gettime(wall.CLOCK_MONOTONIC_RAW) - started) / runs
    print(f"\nTempo forecast model: {elapsed * 1000:.1f} ms per run (run in the executor)")
