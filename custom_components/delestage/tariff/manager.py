"""The tariff split of one Linky meter in Home Assistant: inputs, statistics, persistence.

``model.py`` computes; this module feeds it and writes what it returns:
- **Consumption**: every consumption import of the meter, whatever its source (Data Connect,
  gateways, history files), reaches :meth:`TariffManager.async_consumption_imported` through
  ``hub.py`` (``tariff/__init__.py`` listens) with the very readings that made
  ``_consumption``; the half-hours are kept in this entry's Store (so a change of prices,
  option or ranges recomputes history without any call to Enedis). An import into a meter whose
  entry is not loaded is kept in the Store too (:meth:`TariffManager.async_keep`) and split when
  the entry starts.
- **Off-peak ranges**: the meter's ``comptage_auto`` answer (asked once, then weekly; a change is
  dated when seen, earlier hours keep the earlier ranges),
  unless the user typed others in the options; Tempo without either uses 22:00 → 06:00.
- **Tempo colours**: from an RTE entry subscribed to Tempo, through ``hub.py`` (its Store
  caches past days: one ranged call, never repeated). Without such an entry the HP/HC series
  are written and the six Tempo series and the cost of those hours wait; they are written as
  soon as an RTE entry gives the colours: the hub tells when one appears (no reload).
- **Prices** (€/kWh): a fixed value applies to all history (changing it recomputes every
  hour: it is a correction of "my tariff"). A price entity (``sensor``/``input_number``)
  applies per hour: its value at the start of each hour, from a log of its changes kept in
  the Store (seeded from the recorder's state history when the entity is chosen); hours older
  than the log take its oldest known value. So a new price only changes hours from then on.
- **Writes**: only hours whose result changed are upserted (``statistics.async_import_series``
  keeps ``sum`` continuous and rewrites nothing that is equal); processing is debounced so a
  back-fill of 2 years writes in a few batches, not once per week.
- **Sensors = statistics** (issue 20): the ledger's results are those written; a computation is
  committed only after its write succeeded, then the sensors are told. At the first
  computation the last two months are read back from the statistics, so after a restart an
  hour that cannot be computed now (no Tempo colour while RTE is not loaded) still shows the
  cost the statistics hold.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.components.recorder import history
from homeassistant.components.recorder.models import StatisticMetaData
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.event import (
    async_call_later,
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..api.enedis_errors import EnedisNotSubscribedError
from ..api.enedis_models import PARIS
from ..api.errors import ApiError
from ..const import DOMAIN, LOGGER
from ..enedis.statistics import (
    StatisticsNotWrittenError,
    async_import_series,
    async_series_name,
    hourly_sum_metadata,
    series_statistic_id,
)
from ..hub import Reading, TempoSource, get_hub
from .const import CONF_OFFPEAK_HOURS, CONF_PRICES, CONF_SUBSCRIPTION, CONF_TARIFF
from .model import (
    COST_SERIES,
    HP_HC_SERIES,
    PRICE_KEYS,
    TEMPO_SERIES,
    HourResult,
    OffPeakRange,
    OffPeakSource,
    TariffConfig,
    TariffLedger,
    TariffOption,
    offpeak_ranges,
    pack_halfhours,
    parse_offpeak,
    part_series,
    to_halfhours,
    unpack_halfhours,
)
from .repairs import async_clear_tempo_needs_rte, async_raise_tempo_needs_rte

STORAGE_VERSION = 1
SAVE_DELAY = 30
# The meter's off-peak hours are asked again after this long (Enedis moves them for many
# meters in 2025-2027; a change is seen at most this late).
METER_REFRESH = timedelta(days=7)
# Wait this long after the last import before computing (back-fills import week by week).
PROCESS_COOLDOWN = 10.0
# After set-up, wait this long before the first computation (and the meter's ranges call).
START_DELAY = 10.0
# After the database refused a write, try again after this long.
WRITE_RETRY = 600.0
# A price entity's history is read this far back when it is chosen (the recorder keeps 10 days
# by default; older hours take the oldest value found).
PRICE_SEED = timedelta(days=31)
CURRENCY = "EUR"

DATA_TARIFFS: HassKey[dict[str, TariffManager]] = HassKey(f"{DOMAIN}_tariffs")


@callback
def async_get_tariffs(hass: HomeAssistant) -> dict[str, TariffManager]:
    """Return the tariff split of each Linky entry set up, by entry id."""
    return hass.data.setdefault(DATA_TARIFFS, {})


async def async_series_metadata(hass: HomeAssistant, prm: str, series: str) -> StatisticMetaData:
    """Metadata of a part (kWh) or of the cost (EUR) series, named in the server's language."""
    name = await async_series_name(hass, prm, series)
    if series == COST_SERIES:
        return hourly_sum_metadata(
            series_statistic_id(prm, series), name, unit=CURRENCY, unit_class=None
        )
    return hourly_sum_metadata(series_statistic_id(prm, series), name)


def sensor_window_start() -> datetime:
    """First hour the sensors may show: the first day of last month (yesterday, look-back)."""
    now = dt_util.now(PARIS)
    return (now.replace(day=1) - timedelta(days=1)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )


def tariff_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the Store of one entry's split: half-hours, price logs, the meter's ranges."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.enedis_tariff.{entry_id}")


def config_from_options(
    options: dict[str, Any],
    meter_offpeak: str | None,
    meter_earlier: Sequence[tuple[int, str]] = (),
) -> TariffConfig:
    """Build the tariff configuration of the entry's options (base, no price, when unset).

    Ranges typed by the user apply to the whole history (a correction); the meter's follow
    its changes (``meter_earlier``: until when each earlier schedule was in effect).
    """
    try:
        option = TariffOption(options.get(CONF_TARIFF, TariffOption.BASE))
    except ValueError:
        option = TariffOption.BASE
    # Known whatever the option: the period sensor shows the meter's schedule.
    ranges, _ = offpeak_ranges(option, options.get(CONF_OFFPEAK_HOURS), meter_offpeak)
    earlier: tuple[tuple[int, tuple[OffPeakRange, ...]], ...] = ()
    if not options.get(CONF_OFFPEAK_HOURS):
        earlier = tuple(
            (until, parsed) for until, text in meter_earlier if (parsed := parse_offpeak(text))
        )
    raw_prices = options.get(CONF_PRICES)
    prices: dict[str, float | str] = {}
    if isinstance(raw_prices, dict):
        for key in PRICE_KEYS[option]:
            value = raw_prices.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                prices[key] = float(value)
            elif isinstance(value, str) and value:
                prices[key] = value
    subscription = options.get(CONF_SUBSCRIPTION)
    return TariffConfig(
        option=option,
        ranges=ranges,
        prices=prices,
        subscription=float(subscription) if isinstance(subscription, int | float) else 0.0,
        earlier=earlier,
    )


def _price_value(value: str | None, unit: Any = None) -> float | None:
    """€/kWh from a price entity's state; €/MWh and c€/kWh units are converted."""
    if value is None or value in (STATE_UNKNOWN, STATE_UNAVAILABLE):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    unit = str(unit or "").replace(" ", "").lower()
    if "mwh" in unit:
        return number / 1000.0
    if unit.startswith(("c€", "ceur", "ct", "cent")):
        return number / 100.0
    return number


def _unit(state: State | None) -> Any:
    return None if state is None else state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)


class TariffManager:
    """Off-peak / Tempo parts and cost statistics of one meter (see the module doc)."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, prm: str, client: Any) -> None:
        """Prepare; :meth:`async_load` reads the Store, :meth:`async_start` starts listening."""
        self.hass = hass
        self.entry = entry
        self.prm = prm
        self.client = client
        self.ledger = TariffLedger()
        self.meter_offpeak: str | None = None
        self.meter_offpeak_available: bool | None = None  # None = not asked yet
        # The meter's earlier schedules: (until epoch, plageHeuresCreuses), oldest first.
        self.meter_earlier: list[tuple[int, str]] = []
        self._meter_fetched_at: datetime | None = None
        self.price_log: dict[str, list[tuple[int, float]]] = {}
        self._store = tariff_store(hass, entry.entry_id)
        self._lock = asyncio.Lock()
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._price_unsub: CALLBACK_TYPE | None = None
        self._debouncer: Debouncer[Any] = Debouncer(
            hass,
            LOGGER,
            cooldown=PROCESS_COOLDOWN,
            immediate=False,
            function=self.async_process,
            background=True,
        )
        self._packed: list[list[object]] = []  # the half-hours as the Store keeps them
        self.tempo_waiting = False  # Tempo hours wait for an RTE entry with Tempo
        self._restored = False  # the written results of the sensors' window were read back
        self.colors_missing = False  # some Tempo days had no colour at the last computation
        self.rows_written = 0

    # ------------------------------------------------------------------ life cycle

    @property
    def config(self) -> TariffConfig:
        """The configuration in effect."""
        return self.ledger.config

    async def async_load(self) -> None:
        """Read the Store and apply the options (a changed option recomputes everything)."""
        data = await self._store.async_load() or {}
        self.ledger.halfhours = await self.hass.async_add_executor_job(
            unpack_halfhours, data.get("halfhours")
        )
        packed = data.get("halfhours")
        self._packed = packed if isinstance(packed, list) else []
        meter = data.get("meter_offpeak")
        self.meter_offpeak = meter if isinstance(meter, str) else None
        earlier = data.get("meter_earlier")
        self.meter_earlier = [
            (int(item[0]), str(item[1]))
            for item in (earlier if isinstance(earlier, list) else ())
            if isinstance(item, list) and len(item) == 2
        ]
        available = data.get("meter_offpeak_available")
        self.meter_offpeak_available = available if isinstance(available, bool) else None
        fetched = data.get("meter_fetched_at")
        self._meter_fetched_at = (
            dt_util.parse_datetime(fetched) if isinstance(fetched, str) else None
        )
        logs = data.get("price_log")
        if isinstance(logs, dict):
            self.price_log = {
                entity: [(int(t), float(v)) for t, v in log]
                for entity, log in logs.items()
                if isinstance(log, list)
            }
        config = config_from_options(
            dict(self.entry.options), self.meter_offpeak, self.meter_earlier
        )
        if data.get("fingerprint") == config.fingerprint():
            self.ledger.restore_config(config)
        else:
            self.ledger.set_config(config)
        dirty = data.get("dirty")
        if isinstance(dirty, list):
            self.ledger.dirty.update(h for h in dirty if isinstance(h, int))
        # The sensors show this month and yesterday: compute those hours again (the recorder
        # already has them, so nothing is rewritten).
        since_ts = sensor_window_start().timestamp()
        self.ledger.dirty.update(h for h in self.ledger.hours() if h >= since_ts)

    @callback
    def async_start(self) -> None:
        """Listen to price entities and Tempo sources; compute what waits."""
        self._unsubs.append(get_hub(self.hass).listen_tempo(self._async_tempo_changed))
        self._track_prices()
        # The rest waits a little: set-up and start-up do not compete with it.
        self._unsubs.append(async_call_later(self.hass, START_DELAY, self._async_delayed_start))
        # Look at the meter's off-peak hours once a day (a call only when a week old).
        self._unsubs.append(
            async_track_time_interval(self.hass, self._async_daily, timedelta(days=1))
        )

    @callback
    def _async_daily(self, _now: datetime) -> None:
        self.entry.async_create_background_task(
            self.hass, self.async_refresh_meter_offpeak(), f"{DOMAIN} Linky off-peak hours"
        )

    @callback
    def _async_delayed_start(self, _now: datetime) -> None:
        self.entry.async_create_background_task(
            self.hass, self._async_start(), f"{DOMAIN} Linky tariff start"
        )

    async def _async_start(self) -> None:
        await self.async_refresh_meter_offpeak()
        await self._async_seed_prices()
        await self.async_process()

    async def async_stop(self) -> None:
        """Stop listening and write the Store."""
        self._debouncer.async_cancel()
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        if self._price_unsub is not None:
            self._price_unsub()
            self._price_unsub = None
        await self._store.async_save(self._as_dict())

    def _as_dict(self) -> dict[str, Any]:
        return {
            "halfhours": self._packed,
            "fingerprint": self.config.fingerprint(),
            "dirty": sorted(self.ledger.dirty),
            "meter_offpeak": self.meter_offpeak,
            "meter_offpeak_available": self.meter_offpeak_available,
            "meter_earlier": [list(item) for item in self.meter_earlier],
            "meter_fetched_at": (
                self._meter_fetched_at.isoformat() if self._meter_fetched_at else None
            ),
            "price_log": {
                entity: [list(item) for item in log] for entity, log in self.price_log.items()
            },
        }

    def _schedule_save(self) -> None:
        self._store.async_delay_save(self._as_dict, SAVE_DELAY)

    # ------------------------------------------------------------------ inputs

    async def async_consumption_imported(self, intervals: Sequence[Reading]) -> None:
        """Keep the half-hours of a consumption import; compute soon."""
        if await self._async_add_readings(intervals):
            self._schedule_save()
            await self._debouncer.async_call()

    async def async_keep(self, intervals: Sequence[Reading]) -> None:
        """Keep an import of a meter whose entry is not loaded: the Store is written now.

        Its hours are split (and their cost written) when the entry next starts.
        """
        if await self._async_add_readings(intervals):
            await self._store.async_save(self._as_dict())

    async def _async_add_readings(self, intervals: Sequence[Reading]) -> int:
        """Add the readings' half-hours to the ledger; return how many changed."""
        grid = await self.hass.async_add_executor_job(to_halfhours, intervals)
        # Under the lock: a computation running in the executor never misses a change.
        async with self._lock:
            changed = await self.hass.async_add_executor_job(self.ledger.add_halfhours, grid)
            if changed:
                # Packing 2 years of half-hours takes tens of ms: in the executor, not the
                # loop (the Store's save then only takes the packed list).
                self._packed = await self.hass.async_add_executor_job(
                    pack_halfhours, self.ledger.halfhours
                )
        return changed

    @callback
    def _async_tempo_changed(self) -> None:
        """Split the hours that wait for a colour: a Tempo source appeared or knows more."""
        if self.tempo_waiting or self.colors_missing:
            self.entry.async_create_background_task(
                self.hass, self._debouncer.async_call(), f"{DOMAIN} Linky tariff, Tempo colours"
            )

    async def async_options_updated(self) -> None:
        """Apply changed options (or meter ranges): a changed tariff recomputes every hour."""
        config = config_from_options(
            dict(self.entry.options), self.meter_offpeak, self.meter_earlier
        )
        if config.option is not TariffOption.TEMPO:
            async_clear_tempo_needs_rte(self.hass, self.entry)
        async with self._lock:
            previous = self.config.option
            if not self.ledger.set_config(config):
                return
        self._track_prices()
        await self._async_seed_prices()
        if previous is not config.option:
            self._clear_unused_series(config.option)
        await self.async_process()
        self._notify()

    def _clear_unused_series(self, option: TariffOption) -> None:
        unused = set(HP_HC_SERIES + TEMPO_SERIES) - set(part_series(option))
        get_instance(self.hass).async_clear_statistics(
            [series_statistic_id(self.prm, series) for series in sorted(unused)]
        )

    async def async_refresh_meter_offpeak(self, *, process: bool = True) -> None:
        """Ask the meter's off-peak hours (``comptage_auto``) when unknown or a week old."""
        fetch = getattr(self.client, "async_get_offpeak_hours", None)
        if fetch is None:  # a gateway without contract endpoint: the user types the ranges
            self.meter_offpeak_available = False
            return
        now = dt_util.utcnow()
        if self._meter_fetched_at is not None and now - self._meter_fetched_at < METER_REFRESH:
            return
        try:
            value = await fetch(self.prm)
        except EnedisNotSubscribedError:
            LOGGER.info("The Data Connect app is not subscribed to comptage_auto")
            self.meter_offpeak_available = False
            self._meter_fetched_at = now
        except ApiError as err:
            LOGGER.info("The meter's off-peak hours are not available now: %s", err)
            return
        else:
            previous = self.meter_offpeak
            if previous is not None and parse_offpeak(previous) != parse_offpeak(value):
                # Enedis moved the meter's off-peak hours: the past keeps the old ones (from
                # now on, as the change is seen at most METER_REFRESH late).
                self.meter_earlier.append((int(now.timestamp()) // 3600 * 3600, previous))
                LOGGER.info("The meter's off-peak hours changed: %s → %s", previous, value)
            self.meter_offpeak, self.meter_offpeak_available = value, True
            self._meter_fetched_at = now
        self._schedule_save()
        # New ranges: every hour is split again, soon (debounced: this may run during set-up).
        config = config_from_options(
            dict(self.entry.options), self.meter_offpeak, self.meter_earlier
        )
        async with self._lock:
            changed = self.ledger.set_config(config)
        if changed:
            self._notify()
            if process:  # set-up leaves it to the start (a failed set-up leaves no timer)
                await self._debouncer.async_call()

    @property
    def ranges_source(self) -> OffPeakSource | None:
        """Where the ranges in effect come from (None: there are none)."""
        return offpeak_ranges(
            self.config.option, self.entry.options.get(CONF_OFFPEAK_HOURS), self.meter_offpeak
        )[1]

    @property
    def meter_offpeak_known(self) -> bool:
        """Whether the meter was asked (successfully, or found not subscribed)."""
        return self._meter_fetched_at is not None

    # ------------------------------------------------------------------ prices

    def _price_entities(self) -> set[str]:
        return {v for v in self.config.prices.values() if isinstance(v, str)}

    def _track_prices(self) -> None:
        if self._price_unsub is not None:
            self._price_unsub()
            self._price_unsub = None
        if entities := self._price_entities():
            self._price_unsub = async_track_state_change_event(
                self.hass, sorted(entities), self._async_price_changed
            )

    async def _async_seed_prices(self) -> None:
        """Start the log of a newly chosen price entity from the recorder's state history."""
        now = dt_util.utcnow()
        for entity_id in sorted(self._price_entities()):
            if self.price_log.get(entity_id):
                continue
            states = await get_instance(self.hass).async_add_executor_job(
                _state_history, self.hass, entity_id, now - PRICE_SEED
            )
            # The history is read without attributes: the unit is the entity's current one.
            unit = _unit(self.hass.states.get(entity_id))
            log = [
                (int(state.last_changed.timestamp()), value)
                for state in states
                if (value := _price_value(state.state, unit)) is not None
            ]
            if not log and (value := self._current_price(entity_id)) is not None:
                log = [(int(now.timestamp()), value)]
            if log:
                self.price_log[entity_id] = sorted(log)
                self._schedule_save()

    def _current_price(self, entity_id: str) -> float | None:
        state = self.hass.states.get(entity_id)
        return None if state is None else _price_value(state.state, _unit(state))

    @callback
    def _async_price_changed(self, event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is None or (value := _price_value(new.state, _unit(new))) is None:
            return
        log = self.price_log.setdefault(event.data["entity_id"], [])
        if log and log[-1][1] == value:
            return
        moment = int(new.last_changed.timestamp())
        log.append((moment, value))
        log.sort()
        self._schedule_save()
        self.entry.async_create_background_task(
            self.hass, self._async_invalidate(moment), f"{DOMAIN} Linky price change"
        )

    async def _async_invalidate(self, moment: int) -> None:
        async with self._lock:
            self.ledger.invalidate_from(moment)
        await self.async_process()

    def price(self, key: str, hour: int) -> float | None:
        """€/kWh of a price key at the start of an hour (None: not known yet)."""
        value = self.config.prices.get(key)
        if value is None or isinstance(value, float):
            return value
        log = self.price_log.get(value)
        if not log:
            return self._current_price(value)
        index = bisect_right(log, (hour, float("inf"))) - 1
        return log[max(index, 0)][1]

    # ------------------------------------------------------------------ computation

    def _tempo_history(self) -> TempoSource | None:
        """Return the colours of the first RTE entry with Tempo (``hub.py``), if any."""
        return get_hub(self.hass).tempo_source()

    async def async_process(self) -> None:
        """Compute the hours that wait and write those whose result changed.

        The sensors show the results as written: a computation is committed once its write
        succeeded (a refused or failed write leaves the hours waiting, the sensors unchanged),
        and the sensors are told after each commit.
        """
        async with self._lock:
            ledger = self.ledger
            if ledger.config.option is TariffOption.BASE and not ledger.config.prices:
                return  # no tariff chosen: the half-hours are kept for when one is
            restored = await self._async_restore_written()
            # Day arithmetic over 2 years of hours takes tens of ms: in the executor.
            self.colors_missing = False
            if missing := await self.hass.async_add_executor_job(ledger.missing_colors):
                source = self._tempo_history()
                self.tempo_waiting = source is None
                if source is None:
                    async_raise_tempo_needs_rte(self.hass, self.entry)
                else:
                    async_clear_tempo_needs_rte(self.hass, self.entry)
                if source is not None:
                    colors = await source.async_colors(missing)
                    await self.hass.async_add_executor_job(ledger.set_colors, colors)
                    self.colors_missing = not missing <= colors.keys()
            computation = await self.hass.async_add_executor_job(ledger.prepare, self.price)
            if computation.changed:
                try:
                    await self._async_write(computation.changed)
                except StatisticsNotWrittenError:
                    # The database refused (after retries): nothing is committed, those hours
                    # are computed and written again later, nothing is half-shown.
                    LOGGER.warning("Linky tariff statistics not written; trying again later")
                    self._unsubs.append(async_call_later(self.hass, WRITE_RETRY, self._async_retry))
                    return
            ledger.commit(computation)
            if computation.changed:
                self._schedule_save()
        if computation.changed or restored:
            self._notify()

    async def _async_restore_written(self) -> int:
        """Once: read back what the statistics hold for the sensors' window (since the start).

        After a restart the sensors then show the statistics' values at once, also for hours
        that cannot be computed now (a Tempo colour not known while RTE is unavailable).
        """
        if self._restored:
            return 0
        self._restored = True
        option = self.config.option
        ids = {series_statistic_id(self.prm, s): s for s in (*part_series(option), COST_SERIES)}
        rows = await get_instance(self.hass).async_add_executor_job(
            _written_rows, self.hass, set(ids), sensor_window_start()
        )
        return self.ledger.restore_results(_results_of(rows, ids))

    @callback
    def _async_retry(self, _now: datetime) -> None:
        self.entry.async_create_background_task(
            self.hass, self.async_process(), f"{DOMAIN} Linky tariff retry"
        )

    async def _async_write(self, changed: dict[int, HourResult]) -> None:
        option = self.config.option
        columns = await self.hass.async_add_executor_job(_columns, changed, part_series(option))
        for series, values in columns.items():
            result = await async_import_series(
                self.hass,
                await async_series_metadata(self.hass, self.prm, series),
                values,
                scale=1.0 if series == COST_SERIES else 1 / 1000.0,
            )
            self.rows_written += result.rows

    # ------------------------------------------------------------------ sensors

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> Callable[[], None]:
        """Call ``listener`` after each write; returns the unsubscribe callback."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    def day_totals(
        self, day_start: datetime, day_end: datetime
    ) -> tuple[dict[str, float], float, int]:
        """Σ parts (Wh), Σ cost and hour count of ``[day_start, day_end[``."""
        return self.ledger.totals(day_start, day_end)

    def diagnostics(self) -> dict[str, Any]:
        """State of the split (no PRM, no price entity value)."""
        config = self.config
        return {
            "option": config.option.value,
            "ranges": [str(r) for r in config.ranges],
            "meter_offpeak_available": self.meter_offpeak_available,
            "prices": {k: "entity" if isinstance(v, str) else v for k, v in config.prices.items()},
            "subscription": config.subscription,
            "halfhours": len(self.ledger.halfhours),
            "hours_waiting": len(self.ledger.dirty),
            "tempo_waiting_for_rte": self.tempo_waiting,
        }


def _columns(
    changed: dict[int, HourResult], series: tuple[str, ...]
) -> dict[str, dict[datetime, float]]:
    """Turn hour results into one {hour: value} map per series, the cost last.

    Runs in the executor: 2 years of hours would hold the event loop.
    """
    hours = {hour: datetime.fromtimestamp(hour, UTC) for hour in changed}
    columns = {
        name: {hours[h]: r.parts[name] for h, r in changed.items() if name in r.parts}
        for name in series
    }
    columns[COST_SERIES] = {hours[h]: r.cost for h, r in changed.items() if r.cost is not None}
    return columns


def _written_rows(
    hass: HomeAssistant, statistic_ids: set[str], start: datetime
) -> dict[str, list[Any]]:
    """Hourly rows (state) of the series since ``start`` (recorder executor)."""
    return dict(statistics_during_period(hass, start, None, statistic_ids, "hour", None, {"state"}))


def _results_of(rows: dict[str, list[Any]], ids: dict[str, str]) -> dict[int, HourResult]:
    """Hour results as the statistics hold them: parts in Wh (rows in kWh), cost in €."""
    parts: dict[int, dict[str, float]] = {}
    costs: dict[int, float] = {}
    for statistic_id, series in ids.items():
        for row in rows.get(statistic_id, []):
            hour, state = int(row["start"]), row.get("state")
            if state is None:
                continue
            if series == COST_SERIES:
                costs[hour] = float(state)
            else:
                parts.setdefault(hour, {})[series] = float(state) * 1000.0
    return {
        hour: HourResult(parts.get(hour, {}), costs.get(hour))
        for hour in sorted(parts.keys() | costs.keys())
    }


def _state_history(hass: HomeAssistant, entity_id: str, start: datetime) -> list[Any]:
    """Return the recorded states of ``entity_id`` since ``start`` (recorder executor)."""
    return history.state_changes_during_period(
        hass, start, None, entity_id, no_attributes=True, include_start_time_state=True
    ).get(entity_id, [])
