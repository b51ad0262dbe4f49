"""The Enedis rate limiter counts and waits on one clock: the event loop's."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.delestage.api.enedis import RateLimiter


async def test_a_wait_ends_under_frozen_time(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Time frozen (the loop's clock too): the wait for a slot ends when time moves on."""
    limiter = RateLimiter(per_second=2, per_hour=100, window=1.25)
    await limiter.acquire()
    await limiter.acquire()
    third = asyncio.ensure_future(limiter.acquire())
    for _ in range(20):
        await asyncio.sleep(0)
    assert not third.done()  # the second is full: it waits

    freezer.tick(timedelta(seconds=1.3))
    async_fire_time_changed(hass)
    for _ in range(20):
        await asyncio.sleep(0)
        if third.done():
            break
    assert third.done()
    await third
    assert limiter.calls_last_hour == 3


async def test_the_hour_counts_on_the_loop_clock(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The hourly budget frees up when the loop's clock has moved an hour on."""
    limiter = RateLimiter(per_second=10, per_hour=1)
    await limiter.acquire()
    assert limiter.hourly_wait() > 3599
    freezer.tick(timedelta(hours=1, seconds=1))
    assert limiter.hourly_wait() == 0
    await limiter.acquire()
