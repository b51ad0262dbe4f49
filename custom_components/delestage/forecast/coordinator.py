"""The Tempo forecast of one RTE entry: RTE's forecasts fetched when due, the model run on them.

Each refresh first asks "is a call due?" (``schedule``): restarts, reloads and the hourly Tempo
updates cost no call when the stored forecasts are fresh. Then the model runs (in the executor)
on what is known: the stored forecasts and history (``inputs``), this season's Tempo colours
from the RTE entry (stored there: one ranged Tempo call the first time, none afterwards).
It runs again when the Tempo day changes (06:00) and when RTE publishes a colour.

A failed call keeps the last good forecasts and is logged once (and once when RTE answers
again); a 403 raises a repair issue saying which subscription is missing; a 429 holds every
forecast call of the app until its Retry-After.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import math
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, CoreState, HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from ..api.errors import ApiError, ApiRateLimitedError, ApiResponseError
from ..api.rte import RteApi, RteNotSubscribedError, RteRequestError
from ..api.rte_forecast_models import GenerationForecast
from ..api.rte_models import PARIS, tempo_day
from ..const import LOGGER
from ..hub import RteApp, TempoSource, get_hub
from .inputs import model_inputs, record_generation, record_short_term, record_weekly
from .model import DayForecast, ForecastInputs, Parameters, forecast, normalisation_filled
from .repairs import async_clear_not_subscribed, async_raise_not_subscribed
from .rules import ONE_DAY, season_start
from .schedule import (
    MIN_RATE_LIMIT_WAIT,
    call_offset,
    next_consumption_call,
    next_generation_call,
    next_tempo_day,
)
from .store import ApiState, ForecastData, ForecastStore

# The forecast is shown while RTE's consumption forecasts are younger than this (two missed
# days of calls); older, the sensors are unavailable.
DATA_MAX_AGE: Final = timedelta(hours=48)
GENERATION_TYPES: Final = ("WIND_ONSHORE", "WIND_OFFSHORE", "SOLAR")
# Never plan a refresh closer than this (the refresh timer has a one-second resolution).
MIN_WAKE: Final = timedelta(seconds=1)
# Probabilities are given to 4 decimals.
UNITS: Final = 10_000
API_NAMES: Final = {
    RteApi.CONSUMPTION: "Consumption",
    RteApi.GENERATION_FORECAST: "Generation Forecast",
}
DATA_NAMES: Final = {
    RteApi.CONSUMPTION: "consumption",
    RteApi.GENERATION_FORECAST: "wind and solar",
}


@dataclass(frozen=True)
class TempoForecast:
    """The colours' probabilities of the days after the Tempo day ``today``."""

    today: date
    days: tuple[DayForecast, ...]
    made_at: datetime = field(compare=False)
    # How many of the 365 days of the normalisation came from the model's reference year.
    normalisation_filled: int = field(default=0, compare=False)

    def day(self, day: date) -> DayForecast | None:
        """Return the forecast of ``day``, if it is one of the forecast's days."""
        return next((forecast for forecast in self.days if forecast.day == day), None)


def day_response(day: DayForecast) -> dict[str, Any]:
    """Return a day as the action gives it: ``{date, blue, white, red, most_likely, official}``.

    The probabilities are rounded to 4 decimals so that they still add up to 1 (the largest
    remainders are rounded up).
    """
    response = day.as_dict()
    exact = [day.blue * UNITS, day.white * UNITS, day.red * UNITS]
    units = [math.floor(value) for value in exact]
    by_remainder = sorted(range(3), key=lambda i: exact[i] - units[i], reverse=True)
    for index in by_remainder[: max(0, UNITS - sum(units))]:
        units[index] += 1
    response["blue"], response["white"], response["red"] = (value / UNITS for value in units)
    return response


def _run_model(inputs: ForecastInputs, params: Parameters) -> tuple[list[DayForecast], int]:
    """Return the model's forecast and the normalisation's filled days (in the executor)."""
    return forecast(inputs, params), normalisation_filled(inputs, params)


class TempoForecastCoordinator(DataUpdateCoordinator[TempoForecast | None]):
    """RTE's forecasts of one app, the calls they need, and the forecast made of them."""

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        app: RteApp,
        tempo: TempoSource,
        store: ForecastStore,
        params: Parameters,
    ) -> None:
        """Prepare; ``async_restore`` computes from the Store, ``async_start`` calls RTE."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=app.entry,
            name="RTE Tempo forecast",
            update_interval=timedelta(hours=1),
            always_update=False,
        )
        self.app = app
        self.tempo = tempo
        self.store = store
        self.params = params
        self.offset = call_offset(str(app.entry.unique_id))
        # Set up while Home Assistant runs (a reload, a new entry): an API found not
        # subscribed is asked again at once (the user may just have subscribed).
        self._probe_unsubscribed = hass.state is CoreState.running
        self._lock = asyncio.Lock()
        self._known_colours: dict[date, str] = {}
        self.season_days_without_colour = 0
        self._unsubs: list[CALLBACK_TYPE] = []

    @property
    def state(self) -> ForecastData:
        """The persisted state."""
        return self.store.data

    # ------------------------------------------------------------------ schedule

    def next_consumption_call(self, now: datetime) -> datetime:
        """When the Consumption forecasts are asked next."""
        state = self.state.consumption
        if state.subscribed is False and self._probe_unsubscribed:
            return now
        return next_consumption_call(
            state.last_call,
            failures=state.failures,
            subscribed=state.subscribed,
            offset=self.offset,
            now=now,
        )

    def next_generation_call(self, now: datetime) -> datetime | None:
        """When tomorrow's wind and solar are asked next (never without Consumption)."""
        if self.state.consumption.subscribed is not True:
            return None
        state = self.state.generation
        if state.subscribed is False and self._probe_unsubscribed:
            return now
        tomorrow = now.astimezone(PARIS).date() + ONE_DAY
        record = self.state.days.get(tomorrow)
        return next_generation_call(
            state.last_call,
            failures=state.failures,
            subscribed=state.subscribed,
            have_tomorrow=record is not None and record.wind is not None,
            offset=self.offset,
            now=now,
        )

    def next_call(self, now: datetime) -> datetime:
        """When RTE is called next."""
        due = self.next_consumption_call(now)
        if (generation := self.next_generation_call(now)) is not None:
            due = min(due, generation)
        if (not_before := self.state.not_before) is not None:
            due = max(due, not_before)
        return due

    def is_fresh(self, now: datetime) -> bool:
        """Whether RTE's consumption forecasts are recent enough to show the forecast."""
        success = self.state.consumption.last_success
        return success is not None and now - success < DATA_MAX_AGE

    def _plan(self, now: datetime) -> None:
        """Wake at the next call due, the next Tempo day, or when the data gets too old."""
        due = min(self.next_call(now), next_tempo_day(now))
        success = self.state.consumption.last_success
        if success is not None and (expiry := success + DATA_MAX_AGE) > now:
            due = min(due, expiry)
        self.update_interval = max(due - now, MIN_WAKE) + MIN_WAKE

    # ------------------------------------------------------------------ life cycle

    async def async_restore(self) -> None:
        """Compute the forecast from the Store (no call): the sensors have it at once."""
        async with self._lock:
            self.data = await self._async_compute(dt_util.utcnow())

    @callback
    def async_start(self) -> None:
        """Home Assistant runs: call RTE when due, follow the Tempo colours."""
        # Keep refreshing (and recording RTE's forecasts) even with every sensor disabled.
        self._unsubs.append(self.async_add_listener(lambda: None))
        self._unsubs.append(get_hub(self.hass).listen_tempo(self._async_colours_changed))
        self.config_entry.async_create_task(
            self.hass, self.async_refresh(), "delestage tempo forecast"
        )

    async def async_stop(self) -> None:
        """Stop following and write the Store."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        await self.async_shutdown()
        await self.store.async_save()

    @callback
    def _async_colours_changed(self) -> None:
        """Run the model again when a Tempo source knows more colours."""
        if self.tempo.known() != self._known_colours or self.season_days_without_colour:
            self.config_entry.async_create_task(
                self.hass, self.async_request_refresh(), "delestage tempo forecast colours"
            )

    async def _async_update_data(self) -> TempoForecast | None:
        """Call RTE when due, then run the model."""
        async with self._lock:
            now = dt_util.utcnow()
            if await self._async_call_rte(now):
                await self.store.async_save()
            data = await self._async_compute(now)
            self._plan(now)
            return data

    # ------------------------------------------------------------------ calls

    async def _async_call_rte(self, now: datetime) -> bool:
        """Make the calls that are due; whether any was made."""
        if self._held(now):
            return False
        called = False
        if now >= self.next_consumption_call(now):
            await self._async_fetch_consumption(now)
            called = True
        generation = self.next_generation_call(now)
        if generation is not None and now >= generation and not self._held(now):
            await self._async_fetch_generation(now)
            called = True
        if called:
            self._probe_unsubscribed = False
            self.state.prune(now.astimezone(PARIS).date())
        return called

    def _held(self, now: datetime) -> bool:
        """Whether a 429's Retry-After still holds the calls."""
        not_before = self.state.not_before
        return not_before is not None and now < not_before

    async def _async_fetch_consumption(self, now: datetime) -> None:
        """RTE's day-ahead, two-day and weekly consumption forecasts (2 calls)."""
        state = self.state.consumption
        state.last_call = now
        client = self.app.client
        try:
            record_short_term(self.state, await client.async_get_short_term(("D-1", "D-2")))
            record_weekly(self.state, await client.async_get_weekly_forecasts(), now)
        except ApiError as err:
            self._failed(RteApi.CONSUMPTION, state, err, now)
        else:
            self._succeeded(RteApi.CONSUMPTION, state, now)

    async def _async_fetch_generation(self, now: datetime) -> None:
        """Tomorrow's wind (onshore, offshore) and solar forecasts (3 calls)."""
        state = self.state.generation
        state.last_call = now
        tomorrow = now.astimezone(PARIS).date() + ONE_DAY
        answers: dict[str, GenerationForecast] = {}
        try:
            for production_type in GENERATION_TYPES:
                try:
                    answers[production_type] = await self.app.client.async_get_generation_forecast(
                        production_type, "D-1", tomorrow, tomorrow + ONE_DAY
                    )
                except RteRequestError as err:  # a type RTE does not serve (yet)
                    LOGGER.debug(
                        "RTE gave no %s forecast for %s: %s", production_type, tomorrow, err
                    )
        except ApiError as err:
            record_generation(self.state, answers, tomorrow)
            self._failed(RteApi.GENERATION_FORECAST, state, err, now)
            return
        if record_generation(self.state, answers, tomorrow):
            self._succeeded(RteApi.GENERATION_FORECAST, state, now)
        else:
            error = ApiResponseError(f"no wind forecast for {tomorrow}")
            self._failed(RteApi.GENERATION_FORECAST, state, error, now)

    def _failed(self, api: RteApi, state: ApiState, err: ApiError, now: datetime) -> None:
        """Keep the last good forecasts; tell once; a repair for a missing subscription."""
        title = self.config_entry.title
        if isinstance(err, RteNotSubscribedError):
            if state.subscribed is not False:
                LOGGER.info(
                    "Tempo forecast of %s: the RTE app is not subscribed to %s (see the repair "
                    "issue); asked again once a day",
                    title,
                    API_NAMES[api],
                )
            state.subscribed, state.failures = False, 0
            async_raise_not_subscribed(self.hass, self.config_entry, api)
            return
        if isinstance(err, ApiRateLimitedError):
            wait = timedelta(seconds=err.retry_after or 0)
            self.state.not_before = now + max(wait, MIN_RATE_LIMIT_WAIT)
        state.failures += 1
        if state.failures == 1:
            LOGGER.info(
                "Tempo forecast of %s: RTE's %s forecasts are unavailable (%s); the last ones "
                "received (%s) are kept",
                title,
                DATA_NAMES[api],
                err,
                "none" if state.last_success is None else state.last_success.isoformat(),
            )

    def _succeeded(self, api: RteApi, state: ApiState, now: datetime) -> None:
        if state.failures or state.subscribed is False:
            LOGGER.info(
                "Tempo forecast of %s: RTE's %s forecasts are available again",
                self.config_entry.title,
                DATA_NAMES[api],
            )
        state.failures, state.subscribed, state.last_success = 0, True, now
        self.state.not_before = None
        async_clear_not_subscribed(self.hass, self.config_entry, api)

    # ------------------------------------------------------------------ the model

    async def _async_compute(self, now: datetime) -> TempoForecast | None:
        """Run the model on what is known; None without fresh consumption forecasts."""
        if not self.is_fresh(now):
            return None
        today = tempo_day(now)
        start = season_start(today + ONE_DAY)
        past = [start + timedelta(days=n) for n in range((today - start).days)]
        colours: dict[date, str] = dict(await self.tempo.async_colors(past)) if past else {}
        self._known_colours = self.tempo.known()
        colours.update(self._known_colours)
        self.season_days_without_colour = sum(day not in colours for day in past)
        inputs = model_inputs(today, self.state, colours, self.params)
        days, filled = await self.hass.async_add_executor_job(_run_model, inputs, self.params)
        return TempoForecast(today, tuple(days), now, filled)

    # ------------------------------------------------------------------ readers

    def response(self, now: datetime) -> dict[str, Any] | None:
        """Return the action's answer (the days after the current Tempo day), or None."""
        if self.data is None:
            return None
        today = tempo_day(now)
        return {"days": [day_response(day) for day in self.data.days if day.day > today]}

    def diagnostics(self) -> dict[str, Any]:
        """State of the calls, the records and the latest forecast."""
        now = dt_util.utcnow()
        data, forecast_ = self.state, self.data
        days = sorted(data.days)
        return {
            "active": True,
            "consumption": data.consumption.as_dict(),
            "generation": data.generation.as_dict(),
            "not_before": None if data.not_before is None else data.not_before.isoformat(),
            "next_call": self.next_call(now).isoformat(),
            "fresh": self.is_fresh(now),
            "calls_since_setup": {
                "consumption": self.app.client.consumption_requests,
                "generation": self.app.client.generation_requests,
            },
            "days_recorded": len(days),
            "first_day_recorded": days[0].isoformat() if days else None,
            "season_days_without_colour": self.season_days_without_colour,
            "forecast": None
            if forecast_ is None
            else {
                "made_at": forecast_.made_at.isoformat(),
                "tempo_day": forecast_.today.isoformat(),
                "normalisation_days_filled": forecast_.normalisation_filled,
                "days": [day_response(day) for day in forecast_.days],
            },
        }
