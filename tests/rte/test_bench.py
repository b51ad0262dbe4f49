"""Benchmark: 7 simulated days, 3 restarts a day, against a quota-enforcing fake RTE.

Runs the real set-up, coordinators, Store and entities minute by minute (frozen clock). RTE
publishes each morning at 07:30 (until then the file starts with yesterday) and Tempo's next
colour at 10:30. Prints token calls, signals calls, 429s and Tempo calls per day, the extra calls
caused by restarts, and the "level now" states found wrong at hour boundaries.
Targets (DESIGN §5): <= 24 signals + <= 12 token calls a day, 0 x 429, 0 extra calls on restart.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from .fake_rte import FakeRte, day_payload, tempo_payload

PARIS = dt_util.get_time_zone("Europe/Paris")
DAYS = 7
RESTARTS = (time(3, 17), time(11, 43), time(19, 29))
PUBLICATION = time(7, 30)
TEMPO_PUBLICATION = time(10, 30)
LEVEL = "sensor.rte_ecowatt_level_now"
STATES = {0: "low_carbon", 1: "green", 2: "orange", 3: "red"}


def level(day: date, hour: int) -> int:
    """The "truth": a deterministic level for each hour (red and orange evenings)."""
    if 18 <= hour <= 19:
        return 3 if day.toordinal() % 3 == 0 else 2
    if hour < 5:
        return 0
    return 1 if (day.toordinal() + hour) % 7 else 2


def signals_for(now: datetime) -> dict[str, Any]:
    local = now.astimezone(PARIS)
    first = local.date() if local.time() >= PUBLICATION else local.date() - timedelta(days=1)
    days = [first + timedelta(days=n) for n in range(4)]
    return {"signals": [day_payload(d, [level(d, h) for h in range(24)]) for d in reversed(days)]}


def tempo_for(now: datetime) -> dict[str, Any]:
    local = now.astimezone(PARIS)
    last = local.date() + timedelta(days=1 if local.time() >= TEMPO_PUBLICATION else 0)
    colors = ("BLUE", "WHITE", "RED")
    return tempo_payload(
        {
            last - timedelta(days=n): colors[(last - timedelta(days=n)).toordinal() % 3]
            for n in range(3)
        }
    )


@pytest.mark.bench
async def test_seven_days_with_three_restarts_a_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    start = datetime(2026, 1, 5, 0, 0, tzinfo=PARIS)
    freezer.move_to(start)
    fake_rte.signals = signals_for(start)
    fake_rte.tempo = tempo_for(start)
    rte_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(rte_entry.entry_id)
    await hass.async_block_till_done()

    per_day: dict[date, Counter[str]] = {}
    seen: Counter[str] = Counter()  # the set-up's own calls count in the first day
    seen_429 = 0
    extra_on_restart = 0
    wrong_states = 0
    now = start
    while now < start + timedelta(days=DAYS):
        now += timedelta(minutes=1)
        local = now.astimezone(PARIS)
        fake_rte.signals = signals_for(now)
        fake_rte.tempo = tempo_for(now)
        freezer.move_to(now)
        if local.time().replace(second=0) in RESTARTS:
            due = rte_entry.runtime_data.ecowatt.next_call()  # type: ignore[attr-defined]
            before = fake_rte.calls["signals"]
            assert await hass.config_entries.async_reload(rte_entry.entry_id)
            await hass.async_block_till_done()
            if now < due:
                extra_on_restart += fake_rte.calls["signals"] - before
        async_fire_time_changed(hass, now)
        await hass.async_block_till_done()
        if local.minute == 0:
            state = hass.states.get(LEVEL)
            if state is None or state.state != STATES[level(local.date(), local.hour)]:
                wrong_states += 1
        # Calls made during this minute belong to the day of "now - 1 minute"'s end.
        day = (now - timedelta(seconds=1)).astimezone(PARIS).date()
        counter = per_day.setdefault(day, Counter())
        for key in ("token", "signals", "tempo"):
            counter[key] += fake_rte.calls[key] - seen[key]
        counter["429"] += fake_rte.rate_limited - seen_429
        seen = Counter(fake_rte.calls)
        seen_429 = fake_rte.rate_limited

    print("\nRTE benchmark: 7 days, 3 restarts/day (03:17, 11:43, 19:29), production quota")
    print(f"{'day':<12}{'token':>7}{'signals':>9}{'429':>5}{'tempo':>7}")
    for day, counter in sorted(per_day.items()):
        print(
            f"{day.isoformat():<12}{counter['token']:>7}{counter['signals']:>9}"
            f"{counter['429']:>5}{counter['tempo']:>7}"
        )
    print(f"extra signals calls caused by the {DAYS * len(RESTARTS)} restarts: {extra_on_restart}")
    print(f"'level now' wrong at an hour boundary: {wrong_states} of {DAYS * 24}")

    # The first day includes the set-up's own token and signals call.
    for counter in per_day.values():
        assert counter["signals"] <= 24
        assert counter["token"] <= 12
        assert counter["429"] == 0
    assert extra_on_restart == 0
    assert wrong_states == 0
