"""Météo-France entry type: observations of one station, polled when they are published."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, ClassVar

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..api.meteofrance import InvalidApplicationIdError, Resolution
from ..const import DOMAIN
from ..hub import ObservationStation, get_hub
from ..runtime import DelestageConfigEntry, DelestageRuntime
from .client import async_create_client, credential_digest, credential_of
from .const import CONF_RESOLUTION, CONF_STATION_ID, DEFAULT_RESOLUTION
from .coordinator import MeteoFranceCoordinator
from .sensor import station_sensors
from .store import StationStore


class MeteoFranceRuntime(DelestageRuntime):
    """Runtime of a station entry: its coordinator and sensors."""

    platforms: ClassVar[tuple[Platform, ...]] = (Platform.SENSOR,)

    def __init__(self, coordinator: MeteoFranceCoordinator) -> None:
        """Keep the station's coordinator."""
        self.coordinator = coordinator

    def async_add_platform_entities(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add the station's sensors."""
        if platform is Platform.SENSOR:
            async_add_entities(station_sensors(self.coordinator))

    async def async_diagnostics(self) -> dict[str, Any]:
        """Last observation, schedule and call counts (no secret in there)."""
        coordinator = self.coordinator
        observation = coordinator.data
        token_auth = coordinator.client.token_auth
        return {
            "auth_method": credential_of(coordinator.config_entry.data)[0].value,
            "resolution": coordinator.resolution.value,
            "last_update_success": coordinator.last_update_success,
            "stale": coordinator.is_stale(),
            "next_refresh_in_seconds": (
                coordinator.update_interval.total_seconds() if coordinator.update_interval else None
            ),
            "api_calls": coordinator.client.calls,
            "token_requests": token_auth.token_requests if token_auth else None,
            "observation": asdict(observation) if observation is not None else None,
        }


async def async_setup_entry(hass: HomeAssistant, entry: DelestageConfigEntry) -> MeteoFranceRuntime:
    """Create the station's client and coordinator, and get the first observation.

    A persisted observation that is still the latest published saves the first call; a
    persisted token of the same credentials saves the token call.
    """
    store = StationStore(hass, entry.entry_id)
    cache = await store.async_load()
    owner = credential_digest(entry.data)
    try:
        client = async_create_client(
            hass, entry.data, on_token=lambda token: store.save_token(token, owner)
        )
    except InvalidApplicationIdError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="meteofrance_invalid_application_id"
        ) from err
    if client.token_auth is not None and cache.token_owner == owner:
        client.token_auth.restore(cache.token)
    resolution = Resolution(entry.options.get(CONF_RESOLUTION, DEFAULT_RESOLUTION))
    coordinator = MeteoFranceCoordinator(
        hass,
        entry,
        client,
        station_id=str(entry.data[CONF_STATION_ID]),
        resolution=resolution,
        store=store,
    )
    if not coordinator.restore(cache.observation):
        await coordinator.async_config_entry_first_refresh()
    entry.async_on_unload(get_hub(hass).register_station(_station(hass, entry, coordinator)))
    return MeteoFranceRuntime(coordinator)


def _station(
    hass: HomeAssistant, entry: DelestageConfigEntry, coordinator: MeteoFranceCoordinator
) -> ObservationStation:
    """Describe the station to the features (``hub.py``): its temperature sensor, its data."""

    def temperature_entity() -> str | None:
        # The sensor's unique id (``<station>_temperature``); its entity id is the user's.
        return er.async_get(hass).async_get_entity_id(
            "sensor", DOMAIN, f"{entry.unique_id}_temperature"
        )

    return ObservationStation(
        entry.entry_id, entry.title, temperature_entity, lambda: coordinator.data
    )


async def async_remove_entry(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """Delete the cache of a removed station entry."""
    await StationStore(hass, entry.entry_id).async_remove()
