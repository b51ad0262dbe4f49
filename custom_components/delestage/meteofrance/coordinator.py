"""Coordinator of one station: polls after each publication, keeps the last good observation."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from ..api.errors import ApiAuthError, ApiError, ApiForbiddenError, ApiRateLimitedError
from ..api.meteofrance import (
    BadRequestError,
    MeteoFranceClient,
    Observation,
    Resolution,
    StationNotFoundError,
)
from ..const import DOMAIN, LOGGER
from ..runtime import DelestageConfigEntry
from .const import STALE_AFTER
from .schedule import delay_after_error, delay_until_next_poll, expected_validity, poll_time
from .store import StationStore

# Wait after a 429 that named no time: the quota window is one minute.
RATE_LIMIT_RETRY = 60.0


def station_rejected_issue_id(entry: DelestageConfigEntry) -> str:
    """Id of the repair issue raised when the API refuses the entry's station id."""
    return f"meteofrance_station_rejected_{entry.entry_id}"


class MeteoFranceCoordinator(DataUpdateCoordinator[Observation | None]):
    """Fetches the observation of one station when a new one is due."""

    config_entry: DelestageConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: DelestageConfigEntry,
        client: MeteoFranceClient,
        *,
        station_id: str,
        resolution: Resolution,
        store: StationStore,
    ) -> None:
        """Prepare the coordinator; the first refresh fetches the current observation."""
        now = dt_util.utcnow()
        first_delay = delay_until_next_poll(now, resolution, None)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"Météo-France station {station_id}",
            update_interval=first_delay,
            always_update=False,
        )
        # When the next scheduled poll is planned (wall clock).
        self._planned: datetime = now + first_delay
        self.client = client
        self.station_id = station_id
        self.resolution = resolution
        self.stale_after = STALE_AFTER[resolution]
        self.store = store
        self._unsub_stale: CALLBACK_TYPE | None = None

    def restore(self, observation: Observation | None) -> bool:
        """Start from a persisted observation if it is still the latest published one.

        Return True when it is: no call is needed before the next publication.
        """
        now = dt_util.utcnow()
        if (
            observation is None
            or observation.station_id != self.station_id
            or observation.resolution is not self.resolution
            or observation.validity_time < expected_validity(now, self.resolution)
        ):
            return False
        self._plan(now, delay_until_next_poll(now, self.resolution, observation.validity_time))
        self._track_staleness(observation)
        self.async_set_updated_data(observation)
        return True

    def is_stale(self, now: datetime | None = None) -> bool:
        """Return True when there is no observation, or the last one is too old to show."""
        if self.data is None:
            return True
        return (now or dt_util.utcnow()) - self.data.validity_time >= self.stale_after

    async def _async_update_data(self) -> Observation:
        # A timer that fires just before the planned time stands for that planned poll.
        now = poll_time(dt_util.utcnow(), self._planned)
        try:
            observation = await self.client.async_get_observation(self.station_id, self.resolution)
        except StationNotFoundError as err:
            # No new data (silent station, 404): keep what we have, try at the next slot.
            self._plan(now, delay_until_next_poll(now, self.resolution, self._latest()))
            if self.data is not None:
                return self.data
            raise self._failed("meteofrance_no_data", err) from err
        except BadRequestError as err:
            self._plan(now, delay_until_next_poll(now, self.resolution, self._latest()))
            self._raise_station_rejected()
            raise self._failed("meteofrance_station_rejected", err) from err
        except ApiAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="meteofrance_auth_failed"
            ) from err
        except ApiForbiddenError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="meteofrance_not_subscribed"
            ) from err
        except ApiRateLimitedError as err:
            wait = err.retry_after if err.retry_after is not None else RATE_LIMIT_RETRY
            raise self._failed("meteofrance_rate_limited", err, retry_after=wait) from err
        except ApiError as err:
            delay = delay_after_error(now, self.resolution)
            raise self._failed("meteofrance_unavailable", err, delay.total_seconds()) from err
        ir.async_delete_issue(self.hass, DOMAIN, station_rejected_issue_id(self.config_entry))
        if self.data is not None and observation.validity_time < self.data.validity_time:
            observation = self.data  # never go back in time
        if observation != self.data:
            if self.data is not None and self.is_stale(now):
                LOGGER.info("Météo-France station %s reports again", self.station_id)
            self.store.save_observation(observation)
        self._plan(now, delay_until_next_poll(now, self.resolution, observation.validity_time))
        self._track_staleness(observation)
        return observation

    def _latest(self) -> datetime | None:
        return self.data.validity_time if self.data is not None else None

    def _plan(self, now: datetime, delay: timedelta) -> None:
        """Plan the next scheduled refresh ``delay`` after ``now`` (the time polled for)."""
        self._planned = now + delay
        # ``now`` may be a little ahead of the clock (early timer): count from the clock.
        self.update_interval = max(self._planned - dt_util.utcnow(), timedelta(0))

    def _failed(self, key: str, err: ApiError, retry_after: float | None = None) -> UpdateFailed:
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"station_id": self.station_id, "error": str(err)},
            retry_after=retry_after,
        )

    def _raise_station_rejected(self) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            station_rejected_issue_id(self.config_entry),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="meteofrance_station_rejected",
            translation_placeholders={
                "station_id": self.station_id,
                "title": self.config_entry.title,
            },
        )

    def _track_staleness(self, observation: Observation) -> None:
        """Tell the entities when this observation becomes stale, even if no refresh succeeds."""
        if (
            self.data is not None
            and self.data.validity_time == observation.validity_time
            and self._unsub_stale is not None
        ):
            return
        self._cancel_stale_timer()
        self._unsub_stale = async_track_point_in_utc_time(
            self.hass, self._async_stale, observation.validity_time + self.stale_after
        )

    @callback
    def _async_stale(self, _now: datetime) -> None:
        self._unsub_stale = None
        LOGGER.info(
            "The last observation of Météo-France station %s is older than %s; its sensors "
            "are unavailable until a newer one arrives",
            self.station_id,
            self.stale_after,
        )
        self.async_update_listeners()

    def _cancel_stale_timer(self) -> None:
        if self._unsub_stale is not None:
            self._unsub_stale()
            self._unsub_stale = None

    async def async_shutdown(self) -> None:
        """Stop the staleness timer with the refreshes."""
        self._cancel_stale_timer()
        await super().async_shutdown()
