"""Tariff of a Linky meter: off-peak and Tempo parts of the consumption, and its cost.

``model.py`` computes (no Home Assistant import), ``manager.py`` feeds it and writes the
statistics, ``sensor.py`` and ``flow.py`` are its sensors and options steps. This module sets
the feature up once, from the integration's ``async_setup``, through ``hub.py``:

- every Linky meter gets its split when its entry sets up (its Store read, the meter's off-peak
  hours asked the first time, its sensors on the meter's device, its options followed);
- every consumption import, whatever wrote it (refresh, back-fill, history action, gateways,
  history files), goes to the meter's split; an import into a meter whose entry is not loaded
  (a file imported during a reauth) is kept in its Store and split when the entry starts.
"""

from __future__ import annotations

import asyncio
from datetime import time
from functools import partial
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..const import DOMAIN
from ..hub import ConsumptionImport, LinkyMeter, MeterFeature, get_hub
from .manager import TariffManager, async_get_tariffs, tariff_store
from .sensor import TariffEntities


class MeterTariff(MeterFeature):
    """The split of one meter: its sensors, its start and stop, its diagnostics."""

    key = "tariff"

    def __init__(self, meter: LinkyMeter, manager: TariffManager, feature: TariffFeature) -> None:
        """Wrap the meter's loaded split."""
        self.meter = meter
        self.manager = manager
        self._feature = feature
        self._entities = TariffEntities(manager, meter.device_info)

    def async_add_platform_entities(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add the tariff sensors to the meter's device."""
        if platform is Platform.SENSOR:
            self._entities.async_add(async_add_entities)

    @callback
    def async_started(self) -> None:
        """Follow prices and Tempo sources; compute what waits."""
        self.manager.async_start()

    async def async_shutdown(self) -> None:
        """Stop and write the Store; imports of this meter are kept in the Store from now on."""
        await self._feature.async_detach(self.meter.entry.entry_id, self.manager)

    def diagnostics(self) -> dict[str, Any]:
        """State of the split."""
        return self.manager.diagnostics()


class TariffFeature:
    """Attaches a split to each meter and hands it every consumption import."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Nothing attached yet."""
        self.hass = hass
        # Held while an import is handed to a split or kept in a Store, and while a split
        # loads or writes its Store at set-up and unload: an import never lands between a
        # split leaving and its last write (that write would overwrite the import's).
        self._lock = asyncio.Lock()

    async def async_attach(self, meter: LinkyMeter) -> MeterFeature:
        """Load the meter's split (before the entry's first refresh: it hears its import)."""
        manager = TariffManager(meter.hass, meter.entry, meter.prm, meter.client)
        async with self._lock:
            await manager.async_load()
            async_get_tariffs(self.hass)[meter.entry.entry_id] = manager
        if not manager.meter_offpeak_known:
            # First set-up: the meter's off-peak hours, so the period sensor is right at once
            # (one call, then once a week in the background).
            await manager.async_refresh_meter_offpeak(process=False)
        # Options saved: a changed tariff recomputes (this also runs when a token is saved:
        # then nothing changed and nothing is done).
        meter.entry.async_on_unload(
            meter.entry.add_update_listener(partial(_async_options_updated, manager))
        )
        # The ranges in effect, for the features that plan around them (the hot-water plan).
        meter.entry.async_on_unload(
            get_hub(self.hass).register_offpeak(meter.prm, partial(_local_ranges, manager))
        )
        return MeterTariff(meter, manager, self)

    async def async_detach(self, entry_id: str, manager: TariffManager) -> None:
        """Stop a meter's split and write its Store; an import meanwhile waits, then is kept."""
        async with self._lock:
            tariffs = async_get_tariffs(self.hass)
            if tariffs.get(entry_id) is manager:
                del tariffs[entry_id]
            await manager.async_stop()

    async def async_consumption_imported(self, imported: ConsumptionImport) -> None:
        """Give an import to its meter's split, or keep it in the Store of a meter not loaded."""
        async with self._lock:
            if (manager := self._manager(imported.prm)) is not None:
                await manager.async_consumption_imported(imported.readings)
                return
            entry = self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, imported.prm)
            if entry is None:
                return
            offline = TariffManager(self.hass, entry, imported.prm, None)
            await offline.async_load()
            await offline.async_keep(imported.readings)

    def _manager(self, prm: str) -> TariffManager | None:
        return next((m for m in async_get_tariffs(self.hass).values() if m.prm == prm), None)


def _local_ranges(manager: TariffManager) -> list[tuple[time, time]]:
    """Return the meter's off-peak ranges as local times (24:00 reads as midnight)."""
    return [
        (time(r.start // 60 % 24, r.start % 60), time(r.end // 60 % 24, r.end % 60))
        for r in manager.config.ranges
    ]


async def _async_options_updated(
    manager: TariffManager, _hass: HomeAssistant, _entry: ConfigEntry
) -> None:
    await manager.async_options_updated()


@callback
def async_setup_tariff(hass: HomeAssistant) -> None:
    """Attach a split to every meter and listen to every consumption import."""
    feature = TariffFeature(hass)
    hub = get_hub(hass)
    hub.register_meter_feature(feature.async_attach)
    hub.listen_consumption(feature.async_consumption_imported)


async def async_remove_tariff(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Delete the split of a removed Linky entry (its half-hours and price logs)."""
    await tariff_store(hass, entry.entry_id).async_remove()
