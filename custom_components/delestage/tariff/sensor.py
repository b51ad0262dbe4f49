"""Tariff sensors of a Linky meter: period now, yesterday's and this month's cost and parts.

The totals come from the tariff split's hourly results as written (``manager.py``), the
same numbers as the statistics, and follow each write and each midnight. No
``state_class``: the Energy dashboard takes the hourly statistics (``_consumption_hp``… and
``_cost``), a second compiled series would double them.
Which "consumption this month" sensors exist follows the tariff option (HP/HC: two; Tempo:
the six periods, plus the HP/HC totals disabled by default); an option change adds and removes
them without reloading the entry.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.const import UnitOfEnergy
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from ..api.enedis_models import PARIS
from ..enedis.sensor import remove_entity
from .manager import CURRENCY, TariffManager
from .model import (
    HP_HC_SERIES,
    Period,
    TariffOption,
    next_period_change,
    part_series,
    period_at,
)


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=PARIS)


class TariffEntity(SensorEntity):
    """Base: one meter's tariff manager, updated after each write."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _timer: CALLBACK_TYPE | None = None
    _stopped = False

    def __init__(self, manager: TariffManager, device: DeviceInfo, key: str) -> None:
        """Attach to the meter's device."""
        self._manager = manager
        self._attr_unique_id = f"{manager.entry.unique_id}_{key}"
        self._attr_device_info = device

    async def async_added_to_hass(self) -> None:
        """Follow the manager, and the instant the state changes by itself (if any)."""
        self.async_on_remove(self._manager.async_add_listener(self.async_write_ha_state))
        self.async_on_remove(self._manager.async_add_listener(self._async_schedule))
        self.async_on_remove(self._async_stop)
        self._async_schedule()

    def next_change(self) -> datetime | None:
        """Return when the state changes without a write of the statistics (None: never)."""
        return None

    @callback
    def _async_stop(self) -> None:
        self._stopped = True
        self._async_cancel()

    @callback
    def _async_cancel(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None

    @callback
    def _async_schedule(self) -> None:
        self._async_cancel()
        # A manager notice can reach an entity being removed (an option change): no timer.
        if not self._stopped and (moment := self.next_change()) is not None:
            self._timer = async_track_point_in_utc_time(self.hass, self._async_changed, moment)

    @callback
    def _async_changed(self, _now: datetime) -> None:
        self._timer = None
        self.async_write_ha_state()
        self._async_schedule()


class TariffPeriodSensor(TariffEntity):
    """``hp`` or ``hc`` now, from the off-peak ranges; changes exactly at each boundary."""

    _attr_translation_key = "linky_tariff_period_now"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options: ClassVar[list[str]] = [Period.HP.value, Period.HC.value]  # type: ignore[misc]

    def __init__(self, manager: TariffManager, device: DeviceInfo) -> None:
        """Attach to the meter."""
        super().__init__(manager, device, "tariff_period_now")

    def next_change(self) -> datetime | None:
        """Return the next boundary of the off-peak ranges."""
        return next_period_change(self._manager.config.ranges, dt_util.utcnow())

    @property
    def available(self) -> bool:
        """Known when the meter's (or the user's) off-peak ranges are."""
        return bool(self._manager.config.ranges)

    @property
    def native_value(self) -> str | None:
        """The period in effect now."""
        ranges = self._manager.config.ranges
        return period_at(ranges, dt_util.utcnow()).value if ranges else None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The ranges, where they come from, and when the period changes next."""
        ranges = self._manager.config.ranges
        change = next_period_change(ranges, dt_util.utcnow())
        source = self._manager.ranges_source
        return {
            "offpeak_hours": [str(r) for r in ranges],
            "source": source.value if source else None,
            "next_change": change.isoformat() if change else None,
        }


class _WindowSensor(TariffEntity):
    """A total over a local window (yesterday, this month); the window moves at midnight.

    Updated after each write of the statistics (the totals are of the written results, the
    same numbers as the statistics) and at each Paris midnight, when "yesterday" and "this
    month" move even if nothing is written (the next day's data come in the morning).
    """

    def next_change(self) -> datetime | None:
        """Return the next Paris midnight (yesterday and this month move)."""
        return _local_midnight(dt_util.now(PARIS).date() + timedelta(days=1))

    def window(self) -> tuple[datetime, datetime, dict[str, Any]]:
        """``[start, end[`` and the attributes that name it."""
        raise NotImplementedError

    def totals(self) -> tuple[dict[str, float], float, int]:
        """Σ parts, Σ cost and hours of the window."""
        start, end, _ = self.window()
        return self._manager.day_totals(start, end)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Which window, and how many hours of it are known."""
        _, _, attributes = self.window()
        return {**attributes, "hours": self.totals()[2]}


# "Yesterday" is the newest complete day, as for "Consumption yesterday": Enedis publishes
# day D on D+1 from about 08:00, so before that it is the day before.
LOOK_BACK_DAYS = 7
COMPLETE_DAY_HOURS = 23


class _Yesterday(_WindowSensor):
    def window(self) -> tuple[datetime, datetime, dict[str, Any]]:
        today = dt_util.now(PARIS).date()
        for back in range(1, LOOK_BACK_DAYS + 1):
            day = today - timedelta(days=back)
            start, end = _local_midnight(day), _local_midnight(day + timedelta(days=1))
            if self._manager.day_totals(start, end)[2] >= COMPLETE_DAY_HOURS:
                return start, end, {"date": day.isoformat()}
        day = today - timedelta(days=1)
        return _local_midnight(day), _local_midnight(today), {"date": day.isoformat()}


class _ThisMonth(_WindowSensor):
    def window(self) -> tuple[datetime, datetime, dict[str, Any]]:
        today = dt_util.now(PARIS).date()
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return (
            _local_midnight(first),
            _local_midnight(following),
            {"month": f"{first.year:04d}-{first.month:02d}"},
        )


class _CostMixin(_WindowSensor):
    _attr_device_class = SensorDeviceClass.MONETARY
    _attr_native_unit_of_measurement = CURRENCY
    _attr_suggested_display_precision = 2

    @property
    def native_value(self) -> float | None:
        """€ of the window (unknown before its first hour is computed)."""
        _, cost, hours = self.totals()
        return round(cost, 4) if hours else None


class CostYesterdaySensor(_CostMixin, _Yesterday):
    """Yesterday's cost (energy at the user's prices + the subscription's share)."""

    _attr_translation_key = "linky_cost_yesterday"


class CostMonthSensor(_CostMixin, _ThisMonth):
    """Cost of the current month so far."""

    _attr_translation_key = "linky_cost_month"


class ConsumptionMonthSensor(_ThisMonth):
    """Consumption of one period in the current month (kWh)."""

    _attr_device_class = SensorDeviceClass.ENERGY
    _attr_native_unit_of_measurement = UnitOfEnergy.KILO_WATT_HOUR
    _attr_suggested_display_precision = 2

    def __init__(self, manager: TariffManager, device: DeviceInfo, series: str) -> None:
        """One period's series."""
        super().__init__(manager, device, f"month_{series}")
        self.series = series
        # consumption_hp → linky_month_consumption_hp; blue_hc → linky_month_blue_hc
        self._attr_translation_key = f"linky_month_{series}"
        if manager.config.option is TariffOption.TEMPO and series in HP_HC_SERIES:
            self._attr_entity_registry_enabled_default = False

    @property
    def native_value(self) -> float | None:
        """KWh of the period this month."""
        parts, _, hours = self.totals()
        if not hours or self.series not in parts:
            return None
        return round(parts[self.series] / 1000.0, 3)


class TariffEntities:
    """Adds the tariff sensors, and adds/removes the per-period ones when the option changes."""

    def __init__(self, manager: TariffManager, device: DeviceInfo) -> None:
        """Nothing is added before :meth:`async_add`."""
        self._manager = manager
        self._device = device
        self._add: AddConfigEntryEntitiesCallback | None = None
        self._periods: dict[str, ConsumptionMonthSensor] = {}
        self._period_now: TariffPeriodSensor | None = None

    @callback
    def async_add(self, async_add_entities: AddConfigEntryEntitiesCallback) -> None:
        """Add every tariff sensor of the current option; follow option changes."""
        self._add = async_add_entities
        manager, device = self._manager, self._device
        async_add_entities(
            [
                CostYesterdaySensor(manager, device, "cost_yesterday"),
                CostMonthSensor(manager, device, "cost_month"),
            ]
        )
        manager.entry.async_on_unload(manager.async_add_listener(self._async_sync))
        self._async_sync()

    @callback
    def _async_sync(self) -> None:
        if self._add is None:  # pragma: no cover - the listener exists only after async_add
            return
        self._async_sync_period_now(self._add)
        wanted = part_series(self._manager.config.option)
        registry = er.async_get(self._manager.hass)
        for series in [s for s in self._periods if s not in wanted]:
            entity = self._periods.pop(series)
            if entity.registry_entry is not None:
                registry.async_remove(entity.entity_id)
        new = [
            ConsumptionMonthSensor(self._manager, self._device, series)
            for series in wanted
            if series not in self._periods
        ]
        self._periods.update((entity.series, entity) for entity in new)
        if new:
            self._add(new)

    @callback
    def _async_sync_period_now(self, add: AddConfigEntryEntitiesCallback) -> None:
        """Keep the period sensor while there are off-peak ranges (meter's, typed or Tempo's).

        A gateway meter gives none: with a base tariff there is no period to show, rather
        than a sensor that is unavailable for ever (an older version's one is removed).
        """
        if self._manager.config.ranges:
            if self._period_now is None:
                self._period_now = TariffPeriodSensor(self._manager, self._device)
                add([self._period_now])
            return
        self._period_now = None
        remove_entity(self._manager.hass, f"{self._manager.entry.unique_id}_tariff_period_now")
