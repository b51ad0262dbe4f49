"""Runtime of an RTE entry: client, cache, coordinators, hour-boundary refresh, entities."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_utc_time_change,
)
from homeassistant.util import dt as dt_util

from ..api.rte import DEFAULT_BASE_URL, RteClient
from ..hub import RteFeature
from ..runtime import DelestageConfigEntry, DelestageRuntime
from .binary_sensor import ECOWATT_BINARY_SENSORS, EcowattBinarySensor
from .calendar import EcowattAlertCalendar
from .coordinator import EcowattCoordinator, TempoCoordinator
from .sensor import ECOWATT_SENSORS, TEMPO_SENSORS, EcowattSensor, TempoSensor
from .store import RteCache
from .tempo_history import TempoHistory


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class RteRuntime(DelestageRuntime):
    """What a set-up RTE entry holds."""

    platforms: ClassVar[tuple[Platform, ...]] = (
        Platform.BINARY_SENSOR,
        Platform.CALENDAR,
        Platform.SENSOR,
    )

    def __init__(  # noqa: PLR0917 - the parts set-up builds, in order
        self,
        hass: HomeAssistant,
        entry: DelestageConfigEntry,
        client: RteClient,
        cache: RteCache,
        ecowatt: EcowattCoordinator,
        tempo: TempoCoordinator,
        tempo_active: bool,
    ) -> None:
        """Start the hour-boundary refresh (and the Tempo re-probe when not subscribed)."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.cache = cache
        self.ecowatt = ecowatt
        self.tempo = tempo
        self.tempo_active = tempo_active
        # Past colours, for the features (the tariff split, the report) through ``hub.py``.
        self.tempo_history = TempoHistory(self)
        # The features' parts attached to this entry (hub.py), e.g. the Tempo forecast.
        self.features: list[RteFeature] = []
        self._unsubs: list[CALLBACK_TYPE] = [
            # French offsets are whole hours: every UTC hour is a local hour, DST days included.
            async_track_utc_time_change(hass, self._async_hour_started, minute=0, second=0)
        ]
        if not tempo_active and (probe := tempo.next_probe()) is not None:
            self._unsubs.append(async_track_point_in_utc_time(hass, self._async_reprobe, probe))

    @callback
    def _async_hour_started(self, now: datetime) -> None:
        """Recompute every "now" state from the cached data: no API call."""
        self.ecowatt.async_update_listeners()
        if self.tempo_active:
            self.tempo.async_update_listeners()

    @callback
    def _async_reprobe(self, now: datetime) -> None:
        """Set the entry up again a day after Tempo answered 403, which probes Tempo once."""
        self.hass.config_entries.async_schedule_reload(self.entry.entry_id)

    @callback
    def async_started(self, _hass: HomeAssistant) -> None:
        """Home Assistant runs: the features attached to the entry start their work."""
        for feature in self.features:
            feature.async_started()

    async def async_shutdown_features(self) -> None:
        """Stop the features attached to the entry (unload, or a set-up that failed after)."""
        features, self.features = self.features, []
        for feature in features:
            await feature.async_shutdown()

    def async_add_platform_entities(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add the Ecowatt (and, when subscribed, Tempo) entities, then the features' ones."""
        entities: list[Entity] = []
        if platform is Platform.SENSOR:
            entities.extend(EcowattSensor(self.ecowatt, d) for d in ECOWATT_SENSORS)
            if self.tempo_active:
                entities.extend(TempoSensor(self.tempo, d) for d in TEMPO_SENSORS)
        elif platform is Platform.BINARY_SENSOR:
            entities.extend(EcowattBinarySensor(self.ecowatt, d) for d in ECOWATT_BINARY_SENSORS)
        elif platform is Platform.CALENDAR:
            entities.append(EcowattAlertCalendar(self.ecowatt))
        async_add_entities(entities)
        for feature in self.features:
            feature.async_add_platform_entities(platform, async_add_entities)

    async def async_shutdown(self) -> None:
        """Stop the timers and write the cache."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        await self.cache.async_save()

    async def async_diagnostics(self) -> dict[str, Any]:
        """State of the calls and of the data (no secret, no token)."""
        now = dt_util.utcnow()
        forecast = self.ecowatt.data
        signals, tempo = self.cache.data.signals, self.cache.data.tempo
        token = self.client.auth.token
        return {
            "environment": self.client.environment.value,
            "custom_api_base_url": self.client.base_url != DEFAULT_BASE_URL,
            "token_expires_at": None
            if token is None
            else dt_util.utc_from_timestamp(token.expires_at).isoformat(),
            "requests_since_setup": {
                "token_calls": self.client.auth.token_requests,
                "signals_calls": self.client.signal_requests,
                "tempo_calls": self.client.tempo_requests,
            },
            "ecowatt": {
                "fetched_at": _iso(signals.fetched_at),
                "last_call": _iso(signals.last_call),
                "last_call_ok": signals.last_call_ok,
                "not_before": _iso(signals.not_before),
                "next_call": _iso(self.ecowatt.next_call()),
                "trusted": self.ecowatt.is_trusted(now),
                "days": None
                if forecast is None
                else {
                    day.day.isoformat(): {
                        "level": day.level,
                        "message": day.message,
                        "hours": {str(pas): level for pas, level in sorted(day.hours.items())},
                    }
                    for day in forecast.days.values()
                },
            },
            "tempo": {
                "active": self.tempo_active,
                "subscribed": tempo.subscribed,
                "fetched_at": _iso(tempo.fetched_at),
                "last_call": _iso(tempo.last_call),
                "next_call": _iso(self.tempo.next_call()),
                "colors": None
                if self.tempo.data is None
                else {day.isoformat(): color for day, color in self.tempo.data.colors.items()},
            },
            **{feature.key: feature.diagnostics() for feature in self.features},
        }
