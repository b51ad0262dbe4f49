"""Benchmarks of the relays: detach to unavailable, and the real library's open and timeout."""

from __future__ import annotations

import asyncio
import statistics
import time

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
import pytest

from custom_components.delestage.phidget import relays
from custom_components.delestage.phidget.relays import AttachTimeoutError, RelayChannel

from .conftest import HEATER, local_entry, relay_subentry, settle
from .hardware import Hardware
from .test_library import NOWHERE

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


@pytest.mark.bench
def test_real_library_attach_timeout() -> None:
    """The real library's 50 ms attach timeout, as the config flow's channel check uses it."""
    durations: list[float] = []
    for _ in range(5):
        started = time.perf_counter()
        with pytest.raises(AttachTimeoutError):
            relays.open_and_wait(NOWHERE, False, 50)
        durations.append(time.perf_counter() - started)
    print(f"\nopen_and_wait(timeout 50 ms), no board: max {max(durations) * 1000:.1f} ms")
    assert max(durations) < 2


@pytest.mark.bench
async def test_real_channel_open_does_not_wait(hass: HomeAssistant) -> None:
    """Opening a real channel with no board attached returns at once (no attach wait)."""
    durations: list[float] = []
    for _ in range(5):
        channel = RelayChannel(hass, NOWHERE, failsafe_ms=1000)
        started = time.perf_counter()
        await channel.async_open()
        durations.append(time.perf_counter() - started)
        await channel.async_close()
    print(f"\nRelayChannel.async_open, no board: max {max(durations) * 1000:.1f} ms")
    assert max(durations) < 0.5
