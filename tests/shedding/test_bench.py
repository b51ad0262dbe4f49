"""Benchmark: simulated weeks of load shedding under random faults; no load may be stranded.

A simulated automation follows a simulated Ecowatt signal minute by minute (red periods of 1 to 5
hours, most days) and calls the shedder like the blueprint does. Random faults on top:

- devices: a fan whose driver raises after or before switching, a slow relay whose command is
  cancelled (automation reloaded), relays dropping off the bus and coming back on or as they were;
- restarts: Home Assistant stops (the shedder writes and stops) and starts again, the loads'
  start-up behaviour (``initial: true``) switching some on before the shedder watches them;
- signal outages of 1 to 12 hours (no decision while unavailable: no restore comes);
- the automation removed in the middle of a period (re-created under a new entity id later);
- a person switching a load on during a period (theirs: not switched off again).

Reported: loads left off longer than their group's maximum duration (plus a tick and the orphan
grace): must be 0. ``DELESTAGE_BENCH_WEEKS`` (default 4) and ``DELESTAGE_BENCH_SEED`` (default 12)
change the run.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
import logging
import os
import random
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.delestage.shedding import LoadShedder
from custom_components.delestage.shedding.shedder import ORPHAN_GRACE, TICK

from .conftest import LOADS, async_person_context

WEEKS = int(os.environ.get("DELESTAGE_BENCH_WEEKS", "4"))
SEED = int(os.environ.get("DELESTAGE_BENCH_SEED", "12"))
MAX_DURATION = timedelta(hours=6)
SIGNAL = "sensor.ecowatt_level_now"
FLAKY_FAN, SLOW_FAN = "fan.flaky", "fan.slow"
STEP = timedelta(minutes=int(os.environ.get("DELESTAGE_BENCH_STEP_MINUTES", "1")))
# A load may stay off past the bound by at most this: one tick, or the orphan grace and a tick.
SLACK = ORPHAN_GRACE + 2 * max(TICK, STEP)


class Devices:
    """Two fans with faulty drivers, next to the template switches of the conftest."""

    def __init__(self, hass: HomeAssistant, rng: random.Random, faults: Counter[str]) -> None:
        self.hass, self.rng, self.faults = hass, rng, faults

    def register(self) -> None:
        hass = self.hass
        schema = cv.make_entity_service_schema({})

        async def _turn_off(call: ServiceCall) -> None:
            for entity_id in call.data["entity_id"]:
                if entity_id == FLAKY_FAN and self.rng.random() < 0.2:
                    self.faults["exception before switching"] += 1
                    raise RuntimeError("driver bug")
                if entity_id != SLOW_FAN or self.rng.random() < 0.7:
                    hass.states.async_set(entity_id, "off", context=call.context)
                if entity_id == FLAKY_FAN and self.rng.random() < 0.2:
                    self.faults["exception after switching"] += 1
                    raise KeyError("driver bug")
                if entity_id == SLOW_FAN and self.rng.random() < 0.3:
                    # The automation is reloaded (or Home Assistant stops) while the relay is
                    # still busy: the shedder's await sees the cancellation.
                    self.faults["cancelled mid-command"] += 1
                    raise asyncio.CancelledError

        async def _turn_on(call: ServiceCall) -> None:
            for entity_id in call.data["entity_id"]:
                if entity_id == FLAKY_FAN and self.rng.random() < 0.2:
                    self.faults["restore refused"] += 1
                    raise TimeoutError("relay busy")
                hass.states.async_set(entity_id, "on", context=call.context)

        hass.services.async_register("fan", "turn_off", _turn_off, schema)
        hass.services.async_register("fan", "turn_on", _turn_on, schema)


class Simulation:
    """The signal, the automation, the faults; and the watch on stranded loads."""

    def __init__(
        self, hass: HomeAssistant, freezer: FrozenDateTimeFactory, rng: random.Random
    ) -> None:
        self.hass, self.freezer, self.rng = hass, freezer, rng
        self.faults: Counter[str] = Counter()
        self.devices = Devices(hass, rng, self.faults)
        self.loads = [*(f"switch.{name}" for name in LOADS), FLAKY_FAN, SLOW_FAN]
        self.shedder: LoadShedder | None = None
        self.generation = 0
        self.automation_back_at: datetime | None = None
        self.red: list[tuple[datetime, datetime]] = []
        self.outages: list[tuple[datetime, datetime]] = []
        self.shedding = False  # what the automation believes
        self.off_since: dict[str, datetime] = {}
        self.stranded: list[tuple[str, datetime, timedelta]] = []
        self.counted: set[tuple[str, datetime]] = set()
        self.longest_off = timedelta()
        self.periods = 0

    @property
    def group(self) -> str:
        return f"automation.shed_on_red_{self.generation}"

    def plan(self, start: datetime) -> None:
        """Red periods and signal outages for the whole run."""
        for day in range(WEEKS * 7):
            midnight = start + timedelta(days=day)
            if self.rng.random() < 0.7:
                begin = midnight + timedelta(hours=self.rng.randint(6, 19))
                # Now and then longer than any real run: the bound ends it, signal or not.
                hours = self.rng.randint(1, 5) if self.rng.random() < 0.9 else 8
                end = begin + timedelta(hours=hours)
                self.red.append((begin, end))
                if self.rng.random() < 0.35:  # RTE unreachable from inside the period
                    lost = begin + (end - begin) * self.rng.random()
                    self.outages.append(
                        (lost, lost + timedelta(minutes=self.rng.randint(60, 14 * 60)))
                    )
            if self.rng.random() < 0.25:
                begin = midnight + timedelta(minutes=self.rng.randint(0, 24 * 60))
                self.outages.append(
                    (begin, begin + timedelta(minutes=self.rng.randint(60, 12 * 60)))
                )

    @staticmethod
    def _within(now: datetime, spans: list[tuple[datetime, datetime]]) -> bool:
        return any(begin <= now < end for begin, end in spans)

    async def start(self) -> None:
        """Home Assistant (re)starts: loads come up first, then the shedder loads its store."""
        for name in LOADS:
            if self.rng.random() < 0.5:  # initial: true / restore state
                self.hass.states.async_set(f"input_boolean.{name}_relay", "on")
        self.shedder = LoadShedder(self.hass)
        await self.shedder.async_load()
        await self.hass.async_block_till_done()
        await self.automation_step(dt_util.utcnow(), started=True)

    async def restart(self) -> None:
        self.faults["restart"] += 1
        assert self.shedder is not None
        await self.shedder.async_stop()
        await self.hass.async_block_till_done()
        await self.start()

    def _call(self, coro: Any) -> None:
        self.hass.async_create_task(coro)

    async def automation_step(self, now: datetime, *, started: bool = False) -> None:
        """The blueprint: no data, no decision; shed when red, restore when not."""
        assert self.shedder is not None
        if self.automation_back_at is not None:
            if now < self.automation_back_at:
                return
            self.automation_back_at = None
            self.generation += 1  # re-created by the user, under a new entity id
            self.hass.states.async_set(self.group, "on")
            self.shedding = False
        if self._within(now, self.outages):
            return
        red = self._within(now, self.red)
        if red and (not self.shedding or started):
            if not self.shedding:
                self.periods += 1
            self.shedding = True
            self._call(
                self.shedder.async_shed(
                    self.group, self.loads, max_duration=MAX_DURATION, signal=SIGNAL
                )
            )
        elif not red and (self.shedding or started):
            self.shedding = False
            self._call(self.shedder.async_restore(self.group))

    async def faults_step(self, now: datetime) -> None:
        rng, hass = self.rng, self.hass
        if rng.random() < 0.001:
            await self.restart()
        if self.shedding and self.automation_back_at is None and rng.random() < 0.001:
            self.faults["automation removed mid-period"] += 1
            hass.states.async_remove(self.group)
            self.automation_back_at = now + timedelta(hours=rng.randint(1, 30))
        for name in LOADS:
            relay = f"input_boolean.{name}_relay"
            state = hass.states.get(relay)
            if state is None:
                continue
            if state.state != "unavailable" and rng.random() < 0.001:
                self.faults["relay off the bus"] += 1
                hass.states.async_set(relay, "unavailable", {"was": state.state})
            elif state.state == "unavailable" and rng.random() < 0.05:
                back = "on" if rng.random() < 0.5 else state.attributes.get("was", "on")
                hass.states.async_set(relay, back)
        if self.shedding and rng.random() < 0.002:
            self.faults["person switched a load on"] += 1
            load = rng.choice([f"switch.{name}" for name in LOADS])
            await hass.services.async_call(
                "switch",
                "turn_on",
                {"entity_id": load},
                context=await async_person_context(hass),
                blocking=False,
            )
        if rng.random() < 0.002:
            self.faults["other integration switched a load on"] += 1
            await hass.services.async_call(
                "switch",
                "turn_on",
                {"entity_id": rng.choice([f"switch.{name}" for name in LOADS])},
                context=Context(),
                blocking=False,
            )

    def check(self, now: datetime) -> None:
        """A load off (and there to be switched) longer than the bound is stranded."""
        for entity_id in self.loads:
            state = self.hass.states.get(entity_id)
            if state is None or state.state != "off":
                self.off_since.pop(entity_id, None)
                continue
            since = self.off_since.setdefault(entity_id, now)
            self.longest_off = max(self.longest_off, now - since)
            if now - since > MAX_DURATION + SLACK and (entity_id, since) not in self.counted:
                self.counted.add((entity_id, since))
                self.stranded.append((entity_id, since, now - since))

    async def run(self) -> None:
        start = dt_util.utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        self.freezer.move_to(start)
        self.plan(start)
        self.hass.states.async_set(self.group, "on")
        self.hass.states.async_set(SIGNAL, "green")
        for entity_id in self.loads:
            if entity_id.startswith("switch."):
                await self.hass.services.async_call(
                    "switch", "turn_on", {"entity_id": entity_id}, blocking=True
                )
        self.devices.register()
        for fan in (FLAKY_FAN, SLOW_FAN):
            self.hass.states.async_set(fan, "on")
        await self.start()
        now = start
        while now < start + timedelta(weeks=WEEKS):
            now += STEP
            self.freezer.move_to(now)
            outage = self._within(now, self.outages)
            red = self._within(now, self.red)
            self.hass.states.async_set(
                SIGNAL, "unavailable" if outage else "red" if red else "green"
            )
            await self.faults_step(now)
            await self.automation_step(now)
            async_fire_time_changed(self.hass, now)
            await self.hass.async_block_till_done()
            self.check(now)


@pytest.mark.bench
@pytest.mark.parametrize("expected_lingering_tasks", [True])
async def test_weeks_of_random_faults_strand_no_load(
    hass: HomeAssistant, loads: tuple[str, ...], freezer: FrozenDateTimeFactory
) -> None:
    for name in ("custom_components.delestage", "homeassistant"):
        logging.getLogger(name).setLevel(logging.WARNING)
    simulation = Simulation(hass, freezer, random.Random(SEED))
    began = time.clock_gettime(time.CLOCK_MONOTONIC_RAW)  # freezegun patches perf_counter
    await simulation.run()
    elapsed = time.clock_gettime(time.CLOCK_MONOTONIC_RAW) - began

    assert simulation.shedder is not None
    ended = Counter(p.end_reason for p in simulation.shedder.periods())
    print(
        f"\nLoad-shedding benchmark: {WEEKS} weeks simulated in steps of {STEP} (seed {SEED}), "
        f"{len(simulation.loads)} loads, {simulation.periods} red periods, "
        f"{len(simulation.outages)} signal outages, in {elapsed:.0f} s"
    )
    print("  faults: " + ", ".join(f"{k} {v}" for k, v in sorted(simulation.faults.items())))
    print(
        "  periods recorded, by end: "
        + ", ".join(f"{k} {v}" for k, v in sorted(ended.items(), key=str))
    )
    print(f"  longest a load stayed off: {simulation.longest_off}; bound {MAX_DURATION} + {SLACK}")
    print(f"  loads left off after their group's maximum: {len(simulation.stranded)}")
    for entity_id, since, _ in simulation.stranded[:10]:
        print(f"    {entity_id} off since {since.isoformat()}")
    assert simulation.stranded == []
