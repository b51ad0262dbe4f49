"""The one interface between sources and features: sources publish here, features subscribe.

Sources (``rte/``, ``enedis/``, ``meteofrance/``, ``phidget/``) know nothing of the features
built on them (``tariff/``, ``report/``, ``shedding/``, ``forecast/``, ``anticipation/``), and
features never reach into a source's runtime: both sides import this module, nothing else of
each other (``tests/test_layers.py`` enforces it). One :class:`Hub` per Home Assistant
instance, from :func:`get_hub`; every registration returns the callback that undoes it (a source
calls it on unload through ``entry.async_on_unload``).

What is published (by whom), how a feature reads it, and how it is told of a change:

- **Ecowatt forecast** (each RTE entry): :meth:`Hub.ecowatt_forecasts`;
  :meth:`Hub.listen_ecowatt`.
- **Tempo colours**, stored past days, today and tomorrow (an RTE entry subscribed to Tempo):
  :meth:`Hub.tempo_source` (a :class:`TempoSource`); :meth:`Hub.listen_tempo` (a source
  appears, or knows more colours).
- **Linky consumption imports** (the Enedis entry, on every write of hourly consumption):
  :meth:`Hub.listen_consumption`, awaited, in order, with a :class:`ConsumptionImport`.
- **Linky meters** (each Enedis entry, a :class:`LinkyMeter`): a feature with a part per meter
  registers it with :meth:`Hub.register_meter_feature`.
- **RTE applications** (each RTE entry, an :class:`RteApp`): a feature with a part per RTE
  entry (the Tempo forecast, on the RTE device, calling RTE with the entry's own client;
  pre-heating's per-thermostat sensors, on devices connected via it) registers it with
  :meth:`Hub.register_rte_feature`.
- **Weather observations** (each Météo-France entry): :meth:`Hub.observation_stations`.
- **Calendar hours and descriptions** (a feature, the report, for the RTE alert calendar):
  :meth:`Hub.register_calendar_hook`; the calendar reads :meth:`Hub.calendar_hooks`.
- **Off-peak hours** (a feature, the tariff, from the meter's or the typed ranges):
  :meth:`Hub.register_offpeak`; read with :meth:`Hub.offpeak_ranges` (the hot-water plan).

Decisions:

- **Consumption imports, one path.** Every write of a meter's hourly ``_consumption`` (daily
  refresh, back-fill, history action, gateways, history files) publishes one
  :class:`ConsumptionImport` carrying the very readings the hours were made of (a half-hour
  curve keeps its half-hours). Listeners are awaited one after the other; one that fails is
  logged and the others still run: the consumption is written whatever a feature does with it.
- **State, not only events.** A feature that subscribes late (an entry set up after another, a
  reload) reads what is already known: the Tempo colours the RTE entry has stored, the Ecowatt
  forecast in effect, the stations set up. ``listen_*`` tells what changes afterwards; a Tempo
  source registering is such a change (a meter waiting for colours gets them then).
- **Per-meter and per-RTE-entry features.** A feature that adds entities to a meter's device
  (the tariff's sensors, the report's) or to the RTE device (the Tempo forecast) registers a
  factory once, from the integration's ``async_setup``; each Enedis entry calls
  :meth:`Hub.async_attach_meter` (each RTE entry :meth:`Hub.async_attach_rte`) during its
  set-up and keeps the parts it gets (their entities, start once Home Assistant runs,
  shutdown, diagnostics). The entry never names a feature.
- **Relays** (``phidget/``) publish nothing here: features act on loads through their
  ``switch`` entities, like any automation (the shedding actions take entity ids).
- Colours keep RTE's names (``"BLUE"``, ``"WHITE"``, ``"RED"``); Ecowatt levels and runs are
  the API models (``api/rte_models.py``), which carry no Home Assistant type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util.hass_dict import HassKey

from .api.linky_client import LinkyClient
from .api.meteofrance import Observation
from .api.rte import RteClient
from .api.rte_models import EcowattForecast
from .const import DOMAIN, LOGGER

DATA_HUB: HassKey[Hub] = HassKey(f"{DOMAIN}_hub")

# (start, end, Wh) of one reading: aware instants, the energy drawn in between.
type Reading = tuple[datetime, datetime, float]


# --------------------------------------------------------------------------- payloads


@dataclass(frozen=True, slots=True)
class ConsumptionImport:
    """Hourly consumption a meter just wrote to ``delestage:linky_<prm>_consumption``.

    ``readings`` are those the written hours were built from: curve points with their own
    interval, or the hours spread from a daily value; only hours that were written (a file's
    incomplete hours are not).
    """

    prm: str
    readings: Sequence[Reading]


class TempoSource(Protocol):
    """Tempo colours of one RTE entry (RTE's names: ``BLUE``, ``WHITE``, ``RED``)."""

    def known(self) -> dict[date, str]:
        """Every colour known without a call: stored past days, today, tomorrow."""

    async def async_colors(self, days: Iterable[date]) -> dict[date, str]:
        """Colours of ``days``; unknown past days are asked from RTE (ranged, at most once)."""


class CalendarHook(Protocol):
    """What a feature adds to the RTE entry's alert calendar."""

    def past_alert_hours(self, before: datetime) -> dict[datetime, int]:
        """Alert hours seen before ``before`` (UTC hour start → level), as they were seen."""

    async def async_describe(self, start: datetime, end: datetime) -> str | None:
        """Text added to the description of the event ``[start, end[`` (None: nothing)."""


@dataclass(frozen=True, slots=True)
class ObservationStation:
    """A weather station: its title, outdoor temperature sensor and latest observation."""

    entry_id: str
    title: str
    # Entity id of its temperature sensor (None while the sensor is not registered).
    temperature_entity: Callable[[], str | None]
    latest: Callable[[], Observation | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkyMeter:
    """What an Enedis entry shares with the features attached to its meter."""

    hass: HomeAssistant
    entry: ConfigEntry  # its options hold the features' settings (tariff)
    prm: str
    device_info: DeviceInfo  # the meter's device: features' entities go there
    client: LinkyClient  # the source's client (the meter's off-peak hours, when it has them)
    # Calls the listener after each refresh of the meter's data; returns the unsubscribe.
    listen_refresh: Callable[[CALLBACK_TYPE], CALLBACK_TYPE]


@dataclass(frozen=True, slots=True, kw_only=True)
class RteApp:
    """What an RTE entry shares with the features attached to it."""

    hass: HomeAssistant
    entry: ConfigEntry
    device_info: DeviceInfo  # the RTE device: features' entities go there
    # The entry's client: the same token and the same quota as the entry's own calls.
    client: RteClient
    # This app's Tempo colours; None when the app is not subscribed to Tempo.
    tempo: TempoSource | None


class FeaturePart:
    """A feature's part attached to one entry (its entities, life cycle, diagnostics)."""

    # Key of its diagnostics in the entry's diagnostics.
    key: str = ""

    def async_add_platform_entities(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add the feature's entities of ``platform`` to the entry."""

    @callback
    def async_started(self) -> None:
        """Start the feature's work: Home Assistant runs (the recorder writes)."""

    async def async_shutdown(self) -> None:
        """Stop and write what must be kept: the entry unloads."""

    def diagnostics(self) -> dict[str, Any]:
        """Return the feature's state for the entry's diagnostics (no PRM, no secret)."""
        return {}


class MeterFeature(FeaturePart):
    """A feature's part attached to one meter."""


class RteFeature(FeaturePart):
    """A feature's part attached to one RTE entry."""


type ConsumptionListener = Callable[[ConsumptionImport], Awaitable[None]]
type MeterFeatureFactory = Callable[[LinkyMeter], Awaitable[MeterFeature]]
type RteFeatureFactory = Callable[[RteApp], Awaitable[RteFeature]]
# Off-peak ranges in local time (``end <= start``: the range wraps midnight).
type OffPeakRanges = Sequence[tuple[time, time]]


# --------------------------------------------------------------------------- the hub


class Hub:
    """What the sources of this Home Assistant know, and who listens (see the module doc)."""

    def __init__(self) -> None:
        """Start empty: sources register when their entries set up."""
        self._ecowatt: dict[str, Callable[[], EcowattForecast | None]] = {}
        self._ecowatt_listeners: list[CALLBACK_TYPE] = []
        self._tempo: dict[str, TempoSource] = {}
        self._tempo_listeners: list[CALLBACK_TYPE] = []
        self._consumption_listeners: list[tuple[str | None, ConsumptionListener]] = []
        self._meter_features: list[MeterFeatureFactory] = []
        self._rte_features: list[RteFeatureFactory] = []
        self._stations: dict[str, ObservationStation] = {}
        self._calendar_hooks: list[CalendarHook] = []
        self._offpeak: dict[str, Callable[[], OffPeakRanges]] = {}

    # ------------------------------------------------------------------ Ecowatt

    @callback
    def register_ecowatt(
        self, entry_id: str, forecast: Callable[[], EcowattForecast | None]
    ) -> CALLBACK_TYPE:
        """Publish an RTE entry's forecast (read when asked: always the newest)."""
        self._ecowatt[entry_id] = forecast
        return lambda: self._drop(self._ecowatt, entry_id, forecast)

    def ecowatt_forecasts(self) -> list[EcowattForecast]:
        """Return the forecast of every RTE entry that has one (entries in set-up order)."""
        return [forecast for read in self._ecowatt.values() if (forecast := read()) is not None]

    @callback
    def ecowatt_updated(self) -> None:
        """Tell that an RTE entry has a new forecast (or that a new hour started)."""
        self._notify(self._ecowatt_listeners)

    @callback
    def listen_ecowatt(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` after each :meth:`ecowatt_updated`."""
        return self._listen(self._ecowatt_listeners, listener)

    # ------------------------------------------------------------------ Tempo

    @callback
    def register_tempo(self, entry_id: str, source: TempoSource) -> CALLBACK_TYPE:
        """Publish the colours of an RTE entry subscribed to Tempo; listeners are told at once."""
        self._tempo[entry_id] = source
        self._notify(self._tempo_listeners)
        return lambda: self._drop(self._tempo, entry_id, source)

    def tempo_source(self) -> TempoSource | None:
        """Return the colours of the first RTE entry with Tempo (None when there is none)."""
        return next(iter(self._tempo.values()), None)

    @callback
    def tempo_updated(self) -> None:
        """Tell that a Tempo source knows more colours (the daily call answered)."""
        self._notify(self._tempo_listeners)

    @callback
    def listen_tempo(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` when a Tempo source appears or knows more colours."""
        return self._listen(self._tempo_listeners, listener)

    # ------------------------------------------------------------------ consumption

    @callback
    def listen_consumption(
        self, listener: ConsumptionListener, prm: str | None = None
    ) -> CALLBACK_TYPE:
        """Await ``listener`` on each consumption import (of meter ``prm``, or of any)."""
        item = (prm, listener)
        self._consumption_listeners.append(item)
        return lambda: self._remove(self._consumption_listeners, item)

    async def async_publish_consumption(self, imported: ConsumptionImport) -> None:
        """Hand an import to its listeners, in order; a listener's fault is logged only."""
        for prm, listener in list(self._consumption_listeners):
            if prm is not None and prm != imported.prm:
                continue
            try:
                await listener(imported)
            except Exception:
                LOGGER.exception("A feature failed on a Linky consumption import")

    # ------------------------------------------------------------------ meters

    @callback
    def register_meter_feature(self, factory: MeterFeatureFactory) -> CALLBACK_TYPE:
        """Add a feature with a part per meter (once, from ``async_setup``: before any entry)."""
        self._meter_features.append(factory)
        return lambda: self._remove(self._meter_features, factory)

    async def async_attach_meter(self, meter: LinkyMeter) -> list[MeterFeature]:
        """Build every feature's part of ``meter``, in registration order (see ``_async_build``)."""
        return await _async_build(self._meter_features, meter)

    # ------------------------------------------------------------------ RTE entries

    @callback
    def register_rte_feature(self, factory: RteFeatureFactory) -> CALLBACK_TYPE:
        """Add a feature with a part per RTE entry (once, from ``async_setup``)."""
        self._rte_features.append(factory)
        return lambda: self._remove(self._rte_features, factory)

    async def async_attach_rte(self, app: RteApp) -> list[RteFeature]:
        """Build every feature's part of the RTE entry ``app``, in registration order."""
        return await _async_build(self._rte_features, app)

    # ------------------------------------------------------------------ off-peak hours

    @callback
    def register_offpeak(self, key: str, ranges: Callable[[], OffPeakRanges]) -> CALLBACK_TYPE:
        """Publish a meter's off-peak ranges (read when asked: always the newest)."""
        self._offpeak[key] = ranges
        return lambda: self._drop(self._offpeak, key, ranges)

    def offpeak_ranges(self) -> list[tuple[time, time]]:
        """Return the off-peak ranges of the first meter that has some (empty: none known)."""
        for read in self._offpeak.values():
            if ranges := read():
                return list(ranges)
        return []

    # ------------------------------------------------------------------ weather

    @callback
    def register_station(self, station: ObservationStation) -> CALLBACK_TYPE:
        """Publish a Météo-France station entry."""
        self._stations[station.entry_id] = station
        return lambda: self._drop(self._stations, station.entry_id, station)

    def observation_stations(self) -> list[ObservationStation]:
        """Return the stations set up, by title (the first one is the home's)."""
        return sorted(self._stations.values(), key=lambda station: station.title)

    # ------------------------------------------------------------------ calendar

    @callback
    def register_calendar_hook(self, hook: CalendarHook) -> CALLBACK_TYPE:
        """Add a feature's texts and past runs to the RTE alert calendar."""
        self._calendar_hooks.append(hook)
        return lambda: self._remove(self._calendar_hooks, hook)

    def calendar_hooks(self) -> list[CalendarHook]:
        """Return the calendar hooks, in registration order."""
        return list(self._calendar_hooks)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _listen(listeners: list[CALLBACK_TYPE], listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        listeners.append(listener)
        return lambda: Hub._remove(listeners, listener)

    @staticmethod
    def _notify(listeners: list[CALLBACK_TYPE]) -> None:
        for listener in list(listeners):
            listener()

    @staticmethod
    def _remove[T](items: list[T], item: T) -> None:
        if item in items:
            items.remove(item)

    @staticmethod
    def _drop[T](items: dict[str, T], key: str, value: T) -> None:
        """Remove ``key`` only if it still holds ``value`` (a reload may have replaced it)."""
        if items.get(key) is value:
            del items[key]


async def _async_build[S, P: FeaturePart](
    factories: Sequence[Callable[[S], Awaitable[P]]], subject: S
) -> list[P]:
    """Build each factory's part of ``subject``, in order.

    When one fails, the parts already built are shut down before the error goes on (the
    entry's set-up fails with nothing left attached).
    """
    parts: list[P] = []
    try:
        for factory in list(factories):
            parts.append(await factory(subject))
    except BaseException:
        for part in parts:
            await part.async_shutdown()
        raise
    return parts


@callback
def get_hub(hass: HomeAssistant) -> Hub:
    """Return the hub of this Home Assistant (created on first use)."""
    if (hub := hass.data.get(DATA_HUB)) is None:
        hub = hass.data[DATA_HUB] = Hub()
    return hub
