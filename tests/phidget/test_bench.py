"""Benchmark: how long a relay takes to become unavailable after its board detaches."""

from __future__ import annotations

import asyncio
import statistics
import time

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
import pytest

from .conftest import HEATER, local_entry, relay_subentry, settle
from .hardware import Hardware

ROUNDS = 200


@pytest.mark.bench
async def test_detach_to_unavailable_delay(hass: HomeAssistant, hardware: Hardware) -> None:
    """From the library's detach event (another thread) to the entity state on the bus."""
    hardware.plug(HEATER)
    entry = local_entry(relay_subentry(HEATER, "Heater"))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass, hardware)

    unavailable = asyncio.Event()
    seen_at = 0.0

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        nonlocal seen_at
        new = event.data["new_state"]
        if new is not None and new.state == STATE_UNAVAILABLE:
            seen_at = time.perf_counter()
            unavailable.set()

    async_track_state_change_event(hass, "switch.heater", _changed)

    delays: list[float] = []
    for _ in range(ROUNDS):
        unavailable.clear()
        started = time.perf_counter()
        hardware.unplug(HEATER)
        await asyncio.wait_for(unavailable.wait(), timeout=1)
        delays.append(seen_at - started)
        hardware.plug(HEATER)
        await settle(hass, hardware)

    delays.sort()
    median = statistics.median(delays)
    p99 = delays[int(len(delays) * 0.99) - 1]
    print(
        f"\ndetach -> unavailable over {ROUNDS} detaches: median {median * 1000:.2f} ms, "
        f"p99 {p99 * 1000:.2f} ms, max {delays[-1] * 1000:.2f} ms"
    )
    assert delays[-1] < 1.0
