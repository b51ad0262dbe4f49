"""Linky clients for Home Assistant: Data Connect and the gateways.

Data Connect: one rate limiter per app, tokens kept. Gateways: one persisted request budget
and daily minute per source.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
import random
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from ..api.auth import AccessToken
from ..api.budget import RequestBudget
from ..api.enedis import PARIS, EnedisClient, RateLimiter
from ..api.enedis_gateways import GATEWAYS, POLICIES, GatewayClient, Source
from ..const import DOMAIN
from .oauth import EnedisOAuth2Implementation

# Enedis counts calls per application: every meter of one app shares its pacing.
DATA_LIMITERS: HassKey[dict[str, RateLimiter]] = HassKey(f"{DOMAIN}_enedis_limiters")


@callback
def async_create_client(
    hass: HomeAssistant,
    implementation: EnedisOAuth2Implementation,
    *,
    environment: str,
    api_base_url: str | None,
    token: AccessToken | None = None,
    on_token: Callable[[AccessToken], None] | None = None,
) -> EnedisClient:
    """Return a client of ``implementation``'s app, paced with the app's other clients."""
    limiters = hass.data.setdefault(DATA_LIMITERS, {})
    limiter = limiters.setdefault(implementation.client_id, RateLimiter())
    client = EnedisClient(
        async_get_clientsession(hass),
        implementation.client_id,
        implementation.client_secret,
        environment=environment,
        base_url=api_base_url,
        on_token=on_token,
        limiter=limiter,
    )
    client.restore_token(token)
    return client


# --------------------------------------------------------------------------- gateways

GATEWAY_STORAGE_VERSION = 1
# Steady state at a gateway: one refresh a day at a random minute of 06:00-10:00 (the minute
# is drawn once per source and kept), and one retry in the afternoon when Enedis had not yet
# published (the same minute past 14:00, i.e. 14:00-18:00).
MORNING_START = 6 * 60
MORNING_MINUTES = 4 * 60
AFTERNOON_START = 14 * 60


class GatewayState:
    """What one gateway source keeps for every entry using it, saved in a ``Store``.

    The request budget (shared by every meter of the home: the gateways count per IP / per
    account) and the daily minute of the refresh.
    """

    def __init__(self, hass: HomeAssistant, source: Source) -> None:
        """Prepare; :meth:`async_load` reads the saved state."""
        self.source = source
        self._store: Store[dict[str, Any]] = Store(
            hass, GATEWAY_STORAGE_VERSION, f"{DOMAIN}.enedis_gateway.{source}"
        )
        self._hass = hass
        self.budget = RequestBudget(POLICIES[source], on_change=self._async_schedule_save)
        self.minute: int = random.randrange(MORNING_MINUTES)
        self._loading: asyncio.Task[None] | None = None

    async def async_load(self) -> None:
        """Read the saved budget and minute once; every caller waits for that same read.

        Entries and flows set up together all wait for the one load (none sees an empty
        budget, none has its count overwritten by the saved one); a failed read is tried
        again by the next caller. A caller cancelled while waiting leaves the read running.
        """
        task = self._loading
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = self._loading = self._hass.async_create_task(
                self._async_read(), f"{DOMAIN} {self.source} gateway state"
            )
        await asyncio.shield(task)

    async def _async_read(self) -> None:
        saved = await self._store.async_load()
        if isinstance(saved, dict):
            self.budget.restore(saved.get("budget"))
            minute = saved.get("minute")
            if isinstance(minute, int) and 0 <= minute < MORNING_MINUTES:
                self.minute = minute
                return
        await self._store.async_save(self._data())

    def _data(self) -> dict[str, Any]:
        return {"budget": self.budget.as_dict(), "minute": self.minute}

    async def async_flush(self) -> None:
        """Write the state now (otherwise within a second, and at Home Assistant's final write)."""
        await self._store.async_save(self._data())

    @callback
    def _async_schedule_save(self) -> None:
        # Written within a second, and on Home Assistant's final write at shutdown.
        self._store.async_delay_save(self._data, 1)

    def next_refresh(self, now: datetime, *, complete: bool) -> datetime:
        """Return the next daily try (aware UTC): a morning slot, or the afternoon retry."""
        local = now.astimezone(PARIS)
        morning = MORNING_START + self.minute
        afternoon = AFTERNOON_START + self.minute
        today = local.date()

        def at(day: date, minutes: int) -> datetime:
            return datetime.combine(day, time(minutes // 60, minutes % 60), PARIS).astimezone(UTC)

        if not complete:
            for minutes in (morning, afternoon):
                if (candidate := at(today, minutes)) > now:
                    return candidate
        return at(today + timedelta(days=1), morning)


DATA_GATEWAYS: HassKey[dict[Source, GatewayState]] = HassKey(f"{DOMAIN}_enedis_gateways")


async def async_gateway_state(hass: HomeAssistant, source: Source) -> GatewayState:
    """Return the shared state of ``source`` (loaded on first use)."""
    states = hass.data.setdefault(DATA_GATEWAYS, {})
    if (state := states.get(source)) is None:
        state = states[source] = GatewayState(hass, source)
    await state.async_load()
    return state


async def async_create_gateway_client(
    hass: HomeAssistant, source: Source, token: str, api_base_url: str | None
) -> GatewayClient:
    """Return a client of the gateway ``source``, with the source's shared budget."""
    state = await async_gateway_state(hass, source)
    return GATEWAYS[source](
        async_get_clientsession(hass), token, budget=state.budget, base_url=api_base_url
    )
