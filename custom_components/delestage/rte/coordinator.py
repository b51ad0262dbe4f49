"""Coordinators of the RTE entry: Ecowatt signals and Tempo colours, quota-safe and persisted.

Each refresh first asks "is a call due?" (see ``schedule``). When it is not, the cached answer is
returned without any call: restarts, manual refreshes and entity updates never cost a call.
The answer, the time of the call and any "not before" time from a 429 go to the Store.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from ..api.errors import ApiAuthError, ApiError, ApiRateLimitedError, ApiResponseError
from ..api.rte import Environment, RteApi, RteClient, RteNotSubscribedError
from ..api.rte_models import (
    PARIS,
    EcowattForecast,
    TempoCalendar,
    parse_signals,
    parse_tempo,
    tempo_day as tempo_day_at,
)
from ..const import DOMAIN, LOGGER
from ..runtime import DelestageConfigEntry
from .const import ECOWATT_MAX_AGE, MIN_SIGNALS_SPACING, TEMPO_MAX_AGE, TEMPO_REPROBE
from .repairs import async_clear_ecowatt_not_subscribed, async_raise_ecowatt_not_subscribed
from .schedule import next_signals_call, next_tempo_call
from .store import CallState, RteCache

# Never schedule a refresh closer than this (the refresh timer has a one-second resolution).
MIN_WAKE = timedelta(seconds=1)
# The sandbox environment (RTE's test data, or a simulator such as tools/sandbox) has no quota:
# poll it every minute, so that a simulated red run (and its end) reaches automations within a
# minute. Production keeps RTE's schedule and its 15-minute floor.
SANDBOX_SIGNALS_INTERVAL = timedelta(minutes=1)


class RteCoordinator[DataT: EcowattForecast | TempoCalendar](DataUpdateCoordinator[DataT | None]):
    """Shared logic: call only when due, persist every call, map errors to HA mechanisms."""

    config_entry: DelestageConfigEntry
    api: RteApi

    def __init__(
        self, hass: HomeAssistant, entry: DelestageConfigEntry, client: RteClient, cache: RteCache
    ) -> None:
        """Prepare the coordinator; ``restore`` loads the cached answer."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"RTE {self.api.value}",
            update_interval=timedelta(hours=1),
            always_update=False,
        )
        self.client = client
        self.cache = cache
        self.fetched_at: datetime | None = None

    @property
    @abstractmethod
    def state(self) -> CallState:
        """The persisted call state of this endpoint."""

    @abstractmethod
    def _scheduled_call(self, last_call: datetime) -> datetime:
        """When the next call is due, from the last call and its result."""

    @abstractmethod
    def _parse(self, raw: object, fetched_at: datetime) -> DataT:
        """Parse a stored raw answer."""

    @abstractmethod
    async def _async_fetch(self, now: datetime) -> DataT:
        """Make the call."""

    @abstractmethod
    def is_trusted(self, now: datetime) -> bool:
        """Whether the data is recent enough for the entities to show it."""

    def restore(self) -> None:
        """Use the stored answer as current data (no call)."""
        state = self.state
        if state.raw is None or state.fetched_at is None:
            return
        try:
            self.data = self._parse(state.raw, state.fetched_at)
        except ApiError:
            LOGGER.debug("Ignoring an unreadable cached RTE %s answer", self.api.value)
            return
        self.fetched_at = state.fetched_at

    def next_call(self) -> datetime:
        """When the next call may be made."""
        state = self.state
        if state.not_before is not None:
            return state.not_before  # asked by a 429's Retry-After
        if state.last_call is not None:
            return self._scheduled_call(state.last_call)
        return dt_util.utc_from_timestamp(0)

    def _plan(self, due: datetime, now: datetime) -> None:
        """Make the coordinator's timer fire when the next call is due."""
        self.update_interval = max(due - now, MIN_WAKE) + MIN_WAKE

    async def _async_update_data(self) -> DataT | None:
        """Return the cached data, or call RTE when a call is due."""
        now = dt_util.utcnow()
        due = self.next_call()
        if now < due:
            self._plan(due, now)
            if self.data is None:
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="rte_waiting",
                    translation_placeholders={"time": dt_util.as_local(due).isoformat()},
                    retry_after=(due - now).total_seconds(),
                )
            return self.data
        state = self.state
        previous_call = state.last_call, state.last_call_ok
        state.last_call = now
        state.not_before = None  # the wait is over; a new 429 sets it again
        try:
            data = await self._async_fetch(now)
        except ApiError as err:
            state.last_call_ok = False
            if isinstance(err, ApiAuthError):
                # Refused credentials cost no call: once reauthenticated, nothing holds it back.
                state.last_call, state.last_call_ok = previous_call
            if isinstance(err, ApiRateLimitedError):
                wait = err.retry_after if err.retry_after is not None else 0.0
                state.not_before = now + max(timedelta(seconds=wait), MIN_SIGNALS_SPACING)
            self._on_error(err)
            await self.cache.async_save()
            due = self.next_call()
            self._plan(due, now)
            raise _translate(err, self.api, due - now) from err
        state.raw = data.raw
        state.fetched_at = now
        state.last_call_ok = True
        state.subscribed = True
        self._on_success()
        await self.cache.async_save()
        self.fetched_at = now
        self._plan(self.next_call(), now)
        return data

    def _on_error(self, err: ApiError) -> None:
        """React to a failed call (repair issues...)."""

    def _on_success(self) -> None:
        """React to a successful call."""


def _translate(err: ApiError, api: RteApi, wait: timedelta) -> Exception:
    """Return the Home Assistant exception for a failed call."""
    retry_after = max(wait.total_seconds(), 1.0)
    if isinstance(err, ApiAuthError):
        return ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="rte_auth_failed")
    if isinstance(err, RteNotSubscribedError):
        key = f"rte_{api.value}_not_subscribed"
        return UpdateFailed(translation_domain=DOMAIN, translation_key=key, retry_after=retry_after)
    if isinstance(err, ApiRateLimitedError):
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="rte_rate_limited",
            translation_placeholders={"seconds": str(round(retry_after))},
            retry_after=retry_after,
        )
    key = "rte_bad_payload" if isinstance(err, ApiResponseError) else "rte_communication_error"
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"error": str(err)},
        retry_after=retry_after,
    )


class EcowattCoordinator(RteCoordinator[EcowattForecast]):
    """Ecowatt v5 signals: 4 days, hour by hour."""

    api = RteApi.ECOWATT

    def __init__(
        self, hass: HomeAssistant, entry: DelestageConfigEntry, client: RteClient, cache: RteCache
    ) -> None:
        """Bind the persisted state to this environment's signals URL."""
        super().__init__(hass, entry, client, cache)
        self.production = client.environment is Environment.PRODUCTION
        cache.data.use_signals_source(client.signals_url)

    @property
    def state(self) -> CallState:
        """The persisted signals call state."""
        return self.cache.data.signals

    def _scheduled_call(self, last_call: datetime) -> datetime:
        due = next_signals_call(
            last_call,
            succeeded=self.state.last_call_ok,
            first_day=None if self.data is None else self.data.first_day,
            production=self.production,
        )
        return due if self.production else min(due, last_call + SANDBOX_SIGNALS_INTERVAL)

    def _present(self, forecast: EcowattForecast, fetched_at: datetime) -> EcowattForecast:
        """Replay the sandbox's frozen 2022 days as if published on the fetch day."""
        if self.production:
            return forecast
        return forecast.rebased(fetched_at.astimezone(PARIS).date())

    def _parse(self, raw: object, fetched_at: datetime) -> EcowattForecast:
        return self._present(parse_signals(raw), fetched_at)

    async def _async_fetch(self, now: datetime) -> EcowattForecast:
        return self._present(await self.client.async_get_signals(), now)

    def _on_error(self, err: ApiError) -> None:
        if isinstance(err, RteNotSubscribedError):
            async_raise_ecowatt_not_subscribed(self.hass, self.config_entry)

    def _on_success(self) -> None:
        async_clear_ecowatt_not_subscribed(self.hass, self.config_entry)

    def is_trusted(self, now: datetime) -> bool:
        """Trusted while younger than a day and still covering today."""
        return (
            self.data is not None
            and self.fetched_at is not None
            and now - self.fetched_at <= ECOWATT_MAX_AGE
            and self.data.day(now.astimezone(PARIS).date()) is not None
        )


class TempoCoordinator(RteCoordinator[TempoCalendar]):
    """Tempo colours of yesterday, today and tomorrow (Tempo days run 06:00 to 06:00)."""

    api = RteApi.TEMPO

    def __init__(
        self, hass: HomeAssistant, entry: DelestageConfigEntry, client: RteClient, cache: RteCache
    ) -> None:
        """Bind the persisted state to this server's Tempo URL."""
        super().__init__(hass, entry, client, cache)
        cache.data.tempo = cache.data.tempo.for_source(client.tempo_url)
        self.reload_when_unsubscribed = False

    @property
    def state(self) -> CallState:
        """The persisted Tempo call state."""
        return self.cache.data.tempo

    @property
    def not_subscribed(self) -> bool:
        """Whether the last call found the app not subscribed to Tempo."""
        return self.state.subscribed is False

    def next_probe(self) -> datetime | None:
        """When an app found not subscribed is probed again."""
        last_call = self.state.last_call
        if not self.not_subscribed or last_call is None:
            return None
        return last_call + TEMPO_REPROBE

    def _scheduled_call(self, last_call: datetime) -> datetime:
        if self.not_subscribed:
            return last_call + TEMPO_REPROBE
        return next_tempo_call(last_call, succeeded=self.state.last_call_ok, calendar=self.data)

    def _parse(self, raw: object, fetched_at: datetime) -> TempoCalendar:
        return parse_tempo(raw)

    async def _async_fetch(self, now: datetime) -> TempoCalendar:
        today = tempo_day_at(now)
        return await self.client.async_get_tempo(
            today - timedelta(days=1), today + timedelta(days=2)
        )

    def _on_error(self, err: ApiError) -> None:
        if isinstance(err, RteNotSubscribedError):
            self.state.subscribed = False
            if self.reload_when_unsubscribed:
                # Set-up drops the Tempo entities of an app no longer subscribed.
                self.hass.config_entries.async_schedule_reload(self.config_entry.entry_id)

    def is_trusted(self, now: datetime) -> bool:
        """Trusted while younger than two days."""
        return (
            self.data is not None
            and self.fetched_at is not None
            and now - self.fetched_at <= TEMPO_MAX_AGE
        )
