"""Daily Linky refresh: yesterday's values, the contract, the recent statistics.

Enedis publishes day D from about 08:00 on D+1. The coordinator has no fixed interval: after
each refresh it sets ``update_interval`` to the next try (``backfill.next_refresh``): a few
tries a day until yesterday is complete, then tomorrow morning, with jitter. Each refresh
re-fetches the last week (gaps heal by themselves) and imports it into the statistics, except
while the history back-fill runs (it covers those days and owns the statistics meanwhile).

Errors map to Home Assistant's mechanisms: consent refused or expired → reauth; meter moved /
API not subscribed → repair issue; load curve not activated → repair issue, daily values still
imported; 429 → retry after the wait Enedis asked for; technical faults → retry within the
hour. The last good data are kept.

The contract (subscribed power) is read after the measures and is never on their critical
path: when ``situation_contrat_auto`` fails (API not subscribed, 500, a shape we do not know)
the measures, the statistics and the back-fill go on, only the contract sensor is unavailable
(until a first contract is read; later failures keep the last one). One log line per failure
run, and a repair issue naming the API at once for 900908 (the user must subscribe), and for
anything else when it still fails on the next day.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
import random
from typing import Any

from homeassistant.core import CoreState, HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from ..api.budget import GatewayQuotaError
from ..api.enedis_errors import (
    EnedisCurveNotActivatedError,
    EnedisError,
    EnedisHistoryLimitError,
    EnedisMovedError,
    EnedisNoDataError,
    EnedisNotSubscribedError,
    EnedisRateLimitedError,
    EnedisWrongDirectionError,
)
from ..api.enedis_gateways import GatewayTokenError
from ..api.enedis_models import PARIS, DailyValue, MaxPower
from ..api.errors import ApiAuthError, ApiError
from ..api.linky_client import LinkyClient
from ..const import DOMAIN, LOGGER
from ..runtime import DelestageConfigEntry
from .backfill import RefreshResult, async_refresh_recent, next_refresh
from .client import GatewayState
from .const import CONF_CONSENT_END, CONF_PRM, CONSENT_WARNING
from .meter_lock import meter_writer
from .repairs import LinkyIssue, async_clear_issue, async_raise_gateway_issue, async_raise_issue
from .statistics import EnergyKind, StatisticsNotWrittenError

# Days fetched by each daily refresh: the newest published day, and a week to fill gaps.
RECENT_DAYS = 7
STORAGE_VERSION = 1
# After a transient failure: retry after an hour, plus up to 20 minutes of jitter.
RETRY_DELAY = 3600.0
RETRY_JITTER = 1200.0
# After the meter moved or the app lost an API subscription: wait long, the user must act.
WAIT_FOR_USER = 6 * 3600.0
CONTRACT_API = "situation_contrat_auto/v1"


@dataclass(frozen=True, slots=True)
class LinkyData:
    """What the sensors show: the newest published day of each value."""

    consumption: DailyValue | None
    production: DailyValue | None
    max_power: MaxPower | None
    subscribed_power_kva: float | None
    consent_end: date | None
    contract_available: bool = True  # False until a contract was read (its sensor unavailable)


def linky_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the Store of a meter's last refresh (keyed by entry id, never the PRM)."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.enedis_linky.{entry_id}")


def _data_to_dict(data: LinkyData) -> dict[str, Any]:
    def daily(value: DailyValue | None) -> list[Any] | None:
        return None if value is None else [value.day.isoformat(), value.wh]

    peak = data.max_power
    return {
        "consumption": daily(data.consumption),
        "production": daily(data.production),
        "max_power": (
            None
            if peak is None
            else [peak.day.isoformat(), peak.va, peak.at.isoformat() if peak.at else None]
        ),
        "subscribed_power_kva": data.subscribed_power_kva,
        "contract_available": data.contract_available,
    }


def _data_from_dict(saved: dict[str, Any], end: date | None) -> LinkyData:
    def daily(value: list[Any] | None) -> DailyValue | None:
        return None if value is None else DailyValue(date.fromisoformat(value[0]), float(value[1]))

    peak = saved["max_power"]
    power = saved["subscribed_power_kva"]
    return LinkyData(
        daily(saved["consumption"]),
        daily(saved["production"]),
        None
        if peak is None
        else MaxPower(
            date.fromisoformat(peak[0]),
            float(peak[1]),
            datetime.fromisoformat(peak[2]) if peak[2] else None,
        ),
        None if power is None else float(power),
        end,
        bool(saved["contract_available"]),
    )


def consent_end(entry: DelestageConfigEntry) -> date | None:
    """Return the consent end stored in the entry, if known."""
    value = entry.data.get(CONF_CONSENT_END)
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


class LinkyCoordinator(DataUpdateCoordinator[LinkyData]):
    """Fetches a meter's newest daily values once Enedis has published them."""

    config_entry: DelestageConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: DelestageConfigEntry,
        client: LinkyClient,
        *,
        producing: bool,
        rng: random.Random | None = None,
        store: Store[dict[str, Any]] | None = None,
        gateway: GatewayState | None = None,
    ) -> None:
        """Prepare the coordinator of one meter (``store``: its last data, for restarts)."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name="Enedis Linky",
            update_interval=timedelta(hours=1),
        )
        self.client = client
        self._store = store
        self.prm: str = entry.data[CONF_PRM]
        self.producing = producing
        # False while the back-fill runs: it owns the statistics until it is done.
        self.import_statistics = True
        # Held while this meter's statistics are written: one writer per meter (meter_lock.py).
        self.statistics_lock = meter_writer(hass, self.prm)
        # Cleared when Enedis says the customer did not activate the load curve.
        self.curve_available = {EnergyKind.CONSUMPTION: True, EnergyKind.PRODUCTION: True}
        self._rng = rng or random.Random()
        self._day: date | None = None  # the day of the last refresh (Paris)
        self._contract_day: date | None = None  # the day the contract was last read
        self._subscribed_power: float | None = None
        self.contract_read = False
        self.contract_failing_since: datetime | None = None
        self.contract_error: str | None = None
        self.next_refresh: datetime | None = None
        # A gateway source (Conso API, MyElectricalData): its daily minute and request budget.
        self.gateway = gateway

    async def _async_update_data(self) -> LinkyData:
        today = dt_util.utcnow().astimezone(PARIS).date()
        end = consent_end(self.config_entry)
        self._check_consent_end(end, today)
        try:
            data = await self._async_fetch(today, end)
        except GatewayTokenError as err:  # the gateway refused the user's token or secret
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="enedis_token_invalid"
            ) from err
        except ApiAuthError as err:  # no consent (ADAM-DC-0008), or the app's secret refused
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="enedis_consent_invalid"
            ) from err
        except EnedisMovedError as err:
            async_raise_issue(self.hass, self.config_entry, LinkyIssue.METER_MOVED)
            raise self._failed("enedis_meter_moved", WAIT_FOR_USER) from err
        except EnedisNotSubscribedError as err:
            async_raise_issue(self.hass, self.config_entry, LinkyIssue.API_NOT_SUBSCRIBED)
            raise self._failed("enedis_api_not_subscribed", WAIT_FOR_USER) from err
        except GatewayQuotaError as err:  # quota or ban answer: nothing is sent before it ends
            async_raise_gateway_issue(self.hass, self.config_entry, err)
            raise self._failed("enedis_gateway_refused", err.retry_after or self._retry()) from err
        except EnedisRateLimitedError as err:
            raise self._failed("enedis_rate_limited", err.retry_after or self._retry()) from err
        except ApiError as err:
            LOGGER.debug("Enedis refresh failed: %s", err)
            raise self._failed("enedis_unavailable", self._retry()) from err
        except StatisticsNotWrittenError as err:
            # Nothing of it was written (rows and sums go together): the next try rewrites it.
            raise self._failed("enedis_statistics_not_written", self._retry()) from err
        if self.gateway is not None:
            async_clear_issue(self.hass, self.config_entry, LinkyIssue.GATEWAY_RATE_LIMITED)
            async_clear_issue(self.hass, self.config_entry, LinkyIssue.GATEWAY_BANNED)
        async_clear_issue(self.hass, self.config_entry, LinkyIssue.METER_MOVED)
        async_clear_issue(self.hass, self.config_entry, LinkyIssue.API_NOT_SUBSCRIBED)
        return data

    def _retry(self) -> float:
        if self.gateway is not None:
            # Gateways are shared and free: a failed try waits for the next daily slot.
            now = dt_util.utcnow()
            slot = self.gateway.next_refresh(now, complete=False)
            return max((slot - now).total_seconds(), RETRY_DELAY)
        return RETRY_DELAY + self._rng.uniform(0, RETRY_JITTER)

    def _failed(self, key: str, retry_after: float) -> UpdateFailed:
        # Without listeners nothing is scheduled; with them, retry_after decides the next try.
        return UpdateFailed(translation_domain=DOMAIN, translation_key=key, retry_after=retry_after)

    def _check_consent_end(self, end: date | None, today: date) -> None:
        if end is not None and end < today:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="enedis_consent_expired"
            )
        if end is not None and end - today <= CONSENT_WARNING:
            async_raise_issue(
                self.hass,
                self.config_entry,
                LinkyIssue.CONSENT_EXPIRING,
                {"end": end.isoformat(), "days": str((end - today).days)},
            )
        else:
            async_clear_issue(self.hass, self.config_entry, LinkyIssue.CONSENT_EXPIRING)

    async def _async_fetch(self, today: date, end: date | None) -> LinkyData:
        last_day = today - timedelta(days=1)
        full = self.import_statistics and self.hass.state is CoreState.running
        if self._day != today:
            # Once a day, look again at a curve that was not activated (one call).
            self.curve_available = dict.fromkeys(self.curve_available, True)
            self._day = today
        consumption, complete = await self._async_daily(EnergyKind.CONSUMPTION, today)
        production: DailyValue | None = None
        if self.producing:
            production, production_complete = await self._async_daily(EnergyKind.PRODUCTION, today)
            complete = complete and production_complete
        max_power = await self._async_newest_max_power(today)
        if self._contract_day != today:
            await self._async_contract(today)
        if self.gateway is not None:
            self.next_refresh = self.gateway.next_refresh(dt_util.utcnow(), complete=complete)
        else:
            self.next_refresh = next_refresh(dt_util.utcnow(), complete=complete, rng=self._rng)
        self.update_interval = max(self.next_refresh - dt_util.utcnow(), timedelta(minutes=1))
        LOGGER.debug(
            "Linky data up to %s %s; next try at %s",
            last_day,
            "complete" if complete else "not complete yet",
            self.next_refresh.isoformat(),
        )
        data = LinkyData(
            consumption, production, max_power, self._subscribed_power, end, self.contract_read
        )
        if full:  # statistics imported too: a restart before next_refresh needs no call
            await self._async_save(data, today)
        return data

    # ------------------------------------------------------------------ persistence

    async def _async_save(self, data: LinkyData, today: date) -> None:
        if self._store is None:
            return
        assert self.next_refresh is not None
        await self._store.async_save(
            {
                "next_refresh": self.next_refresh.isoformat(),
                "day": today.isoformat(),
                "contract_day": self._contract_day.isoformat() if self._contract_day else None,
                "data": _data_to_dict(data),
            }
        )

    async def async_restore(self) -> bool:
        """Take the saved data when its next refresh is still to come: set-up makes no call.

        A restart or a reload then costs no Enedis call and does not wait for the recorder;
        the refresh runs at the saved time. Returns False when there is nothing fresh.
        """
        if self._store is None or not (saved := await self._store.async_load()):
            return False
        try:
            when = datetime.fromisoformat(saved["next_refresh"])
            data = _data_from_dict(saved["data"], consent_end(self.config_entry))
            day = date.fromisoformat(saved["day"])
            contract_day = saved.get("contract_day")
        except KeyError, TypeError, ValueError, AttributeError:
            LOGGER.debug("Saved Linky data unreadable: refreshing")
            return False
        now = dt_util.utcnow()
        if when <= now or day != now.astimezone(PARIS).date():
            return False
        self.data = data
        self.last_update_success = True
        self._day = day
        self._contract_day = date.fromisoformat(contract_day) if contract_day else None
        self._subscribed_power = data.subscribed_power_kva
        self.contract_read = data.contract_available
        self.next_refresh = when
        self.update_interval = max(when - now, timedelta(minutes=1))
        LOGGER.debug("Linky data restored; next refresh at %s", when.isoformat())
        return True

    async def _async_contract(self, today: date) -> None:
        """Read the contract once a day; a failure only affects the contract sensor."""
        try:
            contract = await self.client.async_get_contract(self.prm)
        except ApiError as err:
            self.contract_error = str(err)
            now = dt_util.utcnow()
            if self.contract_failing_since is None:
                self.contract_failing_since = now
                LOGGER.warning(
                    "Linky contract (%s) unavailable, the measurements go on: %s",
                    CONTRACT_API,
                    err,
                )
            else:
                LOGGER.debug("Linky contract still unavailable: %s", err)
            if (
                isinstance(err, EnedisNotSubscribedError)
                or self.contract_failing_since.astimezone(PARIS).date() < today
            ):
                async_raise_issue(
                    self.hass,
                    self.config_entry,
                    LinkyIssue.CONTRACT_UNAVAILABLE,
                    {"api": CONTRACT_API, "error": _error_code(err)},
                )
            return
        if self.contract_failing_since is not None:
            LOGGER.info("Linky contract available again")
        self.contract_failing_since = None
        self.contract_error = None
        self.contract_read = True
        self._subscribed_power = contract.subscribed_power_kva
        self._contract_day = today
        async_clear_issue(self.hass, self.config_entry, LinkyIssue.CONTRACT_UNAVAILABLE)

    async def _async_daily(self, kind: EnergyKind, today: date) -> tuple[DailyValue | None, bool]:
        """Return the newest daily value of ``kind`` and whether yesterday is complete.

        The week is imported into the statistics, unless the back-fill owns them.
        """
        if not self.import_statistics or self.hass.state is not CoreState.running:
            # Before Home Assistant has started the recorder writes nothing, and waiting for
            # it would hold the entry's set-up (and the start) until the start-up timeout.
            values = await self._async_fetch_daily(kind, today)
            newest = values[-1] if values else self._previous(kind)
            return newest, False
        try:
            async with self.statistics_lock:
                result = await self._async_refresh_recent(kind, today)
        except EnedisWrongDirectionError:
            return self._previous(kind), True
        if kind is EnergyKind.CONSUMPTION and self.curve_available[kind]:
            async_clear_issue(self.hass, self.config_entry, LinkyIssue.CURVE_NOT_ACTIVATED)
        newest = result.daily[-1] if result.daily else self._previous(kind)
        return newest, result.complete

    async def _async_refresh_recent(self, kind: EnergyKind, today: date) -> RefreshResult:
        try:
            return await async_refresh_recent(
                self.hass,
                self.client,
                self.prm,
                kind,
                today=today,
                days=RECENT_DAYS,
                with_curve=self.curve_available[kind],
            )
        except EnedisCurveNotActivatedError:
            # The daily values were imported before the curve call failed.
            self.curve_available[kind] = False
            async_raise_issue(self.hass, self.config_entry, LinkyIssue.CURVE_NOT_ACTIVATED)
            return await async_refresh_recent(
                self.hass, self.client, self.prm, kind, today=today, with_curve=False
            )

    async def _async_fetch_daily(self, kind: EnergyKind, today: date) -> tuple[DailyValue, ...]:
        fetch = (
            self.client.async_get_daily_production
            if kind is EnergyKind.PRODUCTION
            else self.client.async_get_daily_consumption
        )
        readings = await self._async_recent(fetch, today)
        return readings.values if readings is not None else ()

    async def _async_recent[T](
        self, fetch: Callable[[str, date, date], Awaitable[T]], today: date
    ) -> T | None:
        """Fetch the last week; None when Enedis has nothing (yet) for this meter.

        A meter activated (or a consent that starts) within the week makes Enedis refuse the
        whole window (ADAM-ERR0123 / ADAM-DC-0009): then yesterday alone is asked for.
        """
        for start in (today - timedelta(days=RECENT_DAYS), today - timedelta(days=1)):
            try:
                return await fetch(self.prm, start, today)
            except EnedisHistoryLimitError:
                continue
            except EnedisNoDataError, EnedisWrongDirectionError:
                return None
        return None

    def _previous(self, kind: EnergyKind) -> DailyValue | None:
        previous: LinkyData | None = self.data  # None before the first refresh
        if previous is None:
            return None
        return previous.production if kind is EnergyKind.PRODUCTION else previous.consumption

    async def _async_newest_max_power(self, today: date) -> MaxPower | None:
        values = await self._async_recent(self.client.async_get_max_power, today) or ()
        if values:
            return values[-1]
        previous: LinkyData | None = self.data
        return previous.max_power if previous is not None else None


def _error_code(err: ApiError) -> str:
    """Enedis' code of an error, or the kind of fault, for a repair issue's text."""
    if isinstance(err, EnedisError) and err.code:
        return err.code
    return type(err).__name__
