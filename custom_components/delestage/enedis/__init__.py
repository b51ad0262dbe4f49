"""Enedis Linky entry: consent, daily refresh, history back-fill, sensors.

The features built on a meter (the tariff split, the shedding report) attach themselves
through ``hub.py`` during the set-up: this entry adds their entities to the meter's device,
starts them once Home Assistant runs, stops them on unload, and lists their diagnostics, without
knowing which they are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, CoreState, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, HomeAssistantError
from homeassistant.helpers.config_entry_oauth2_flow import async_get_config_entry_implementation
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.start import async_at_started

from ..api.auth import AccessToken
from ..api.budget import REQUEST_PURPOSE, GatewayQuotaError, Purpose
from ..api.enedis_errors import (
    EnedisMovedError,
    EnedisNotSubscribedError,
    EnedisRateLimitedError,
)
from ..api.enedis_gateways import Source
from ..api.errors import ApiAuthError, ApiError
from ..api.linky_client import LinkyClient
from ..const import CONF_API_BASE_URL, DOMAIN, LOGGER
from ..hub import LinkyMeter, MeterFeature, get_hub
from ..runtime import DelestageConfigEntry, DelestageRuntime
from .backfill import BackfillProgress, BackfillRunner, backfill_store
from .client import (
    GatewayState,
    async_create_client,
    async_create_gateway_client,
    async_gateway_state,
)
from .const import (
    CONF_API_TOKEN,
    CONF_ENVIRONMENT,
    CONF_PRODUCTION,
    CONF_SOURCE,
    CONF_TOKEN,
    PRODUCTION,
)
from .coordinator import WAIT_FOR_USER, LinkyCoordinator, linky_store
from .history import async_import_history
from .oauth import EnedisOAuth2Implementation
from .repairs import LinkyIssue, async_raise_gateway_issue, async_raise_issue
from .sensor import BackfillSensor, linky_device_info, linky_sensors
from .statistics import EnergyKind, StatisticsNotWrittenError

# When the back-fill stops on a transient fault, it resumes after this long (or Enedis' wait),
# doubled with each failure in a row up to BACKFILL_MAX_RETRY.
BACKFILL_RETRY = timedelta(minutes=30)
BACKFILL_MAX_RETRY = timedelta(hours=6)


class EnedisRuntime(DelestageRuntime):
    """A meter's client, daily coordinator and history back-fill."""

    platforms: ClassVar[tuple[Platform, ...]] = (Platform.SENSOR,)

    def __init__(
        self,
        hass: HomeAssistant,
        entry: DelestageConfigEntry,
        client: LinkyClient,
        coordinator: LinkyCoordinator,
    ) -> None:
        """Keep the parts of one meter; prepare its back-fill (progress saved per entry)."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.coordinator = coordinator
        self.backfill = BackfillRunner(
            hass,
            client,
            coordinator.prm,
            backfill_store(hass, entry.entry_id),
            production=coordinator.producing,
            on_progress=self._on_progress,
        )
        self.backfill_progress = BackfillProgress()
        # What the features know of this meter (hub.py), and their parts attached to it.
        self.meter = LinkyMeter(
            hass=hass,
            entry=entry,
            prm=coordinator.prm,
            device_info=linky_device_info(coordinator),
            client=client,
            listen_refresh=coordinator.async_add_listener,
        )
        self.features: list[MeterFeature] = []
        self._progress_listeners: list[CALLBACK_TYPE] = []
        self._retry_unsub: CALLBACK_TYPE | None = None
        self._backfill_failures = 0  # failures in a row (back-off)
        # Set when set-up fetched the newest values before start-up without importing them.
        self.statistics_pending = False

    @property
    def prm(self) -> str:
        """The meter's PRM."""
        return self.coordinator.prm

    def async_add_platform_entities(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add the meter's sensors, then those of the features attached to it."""
        if platform is Platform.SENSOR:
            async_add_entities([*linky_sensors(self.coordinator), BackfillSensor(self)])
        for feature in self.features:
            feature.async_add_platform_entities(platform, async_add_entities)

    @callback
    def async_listen_progress(self, listener: CALLBACK_TYPE) -> Callable[[], None]:
        """Call ``listener`` after each back-fill step; returns the unsubscribe callback."""
        self._progress_listeners.append(listener)
        return lambda: self._progress_listeners.remove(listener)

    @callback
    def _on_progress(self, progress: BackfillProgress) -> None:
        self.backfill_progress = progress
        for listener in list(self._progress_listeners):
            listener()

    @callback
    def async_start_backfill(self) -> None:
        """Run (or resume) the back-fill in the background; the coordinator waits for it."""
        self._retry_unsub = None
        self.coordinator.import_statistics = False
        self.entry.async_create_background_task(
            self.hass, self._async_backfill(), f"{DOMAIN} Linky history back-fill"
        )

    @callback
    def async_started(self, _hass: HomeAssistant) -> None:
        """Once Home Assistant runs: resume the back-fill, or import what set-up only fetched."""
        # First: the features (the tariff split, the report) start their work.
        for feature in self.features:
            feature.async_started()
        if not self.backfill_progress.finished:
            self.async_start_backfill()
        elif self.statistics_pending:
            self.statistics_pending = False
            self.entry.async_create_background_task(
                self.hass,
                self.coordinator.async_request_refresh(),
                f"{DOMAIN} Linky statistics after start-up",
            )

    def _backoff(self) -> float:
        """Seconds before the next try: 30 min, doubling with each failure, at most 6 h."""
        self._backfill_failures += 1
        delay = BACKFILL_RETRY.total_seconds() * float(2 ** min(self._backfill_failures - 1, 8))
        return min(delay, BACKFILL_MAX_RETRY.total_seconds())

    def _log_pause(self, err: Exception, retry: float, *, unexpected: bool) -> None:
        """One log line per failure run (the first), then debug lines."""
        if self._backfill_failures > 1:
            LOGGER.debug(
                "Linky history back-fill still paused (%s), next try in %.0f s", err, retry
            )
        elif unexpected:
            LOGGER.exception(
                "Linky history back-fill paused by an unexpected error; it resumes in %.0f min",
                retry / 60,
            )
        else:
            LOGGER.info(
                "Linky history back-fill paused (%s); it resumes in %.0f min", err, retry / 60
            )

    @callback
    def _async_resume_backfill(self, _now: datetime) -> None:
        self.async_start_backfill()

    async def _async_backfill(self) -> None:
        retry: float | None = None
        # This task's requests draw on the gateways' (smaller) back-fill allowance.
        REQUEST_PURPOSE.set(Purpose.BACKFILL)
        try:
            progress = await self.backfill.async_run()
        except ApiAuthError:
            LOGGER.warning("Linky history back-fill stopped: the consent is no longer valid")
            self.entry.async_start_reauth(self.hass)
            return
        except EnedisMovedError:
            async_raise_issue(self.hass, self.entry, LinkyIssue.METER_MOVED)
            return
        except EnedisNotSubscribedError:
            # The user subscribes the app on DataHub; look again every few hours.
            async_raise_issue(self.hass, self.entry, LinkyIssue.API_NOT_SUBSCRIBED)
            retry = WAIT_FOR_USER
        except EnedisRateLimitedError as err:
            # Also a gateway's budget spent for now (resumes when it has room), or its quota/ban
            # answer (a repair issue says until when).
            if isinstance(err, GatewayQuotaError):
                async_raise_gateway_issue(self.hass, self.entry, err)
            retry = max(err.retry_after or 0.0, self._backoff())
        except (ApiError, StatisticsNotWrittenError) as err:
            retry = self._backoff()
            self._log_pause(err, retry, unexpected=False)
        except Exception as err:
            # Parser recursion/overflow, an unexpected shape...: the step is retried later.
            retry = self._backoff()
            self._log_pause(err, retry, unexpected=True)
        if retry is not None:
            self._retry_unsub = async_call_later(self.hass, retry, self._async_resume_backfill)
            return
        self._backfill_failures = 0
        self._on_progress(progress)
        if not progress.curve_available:
            async_raise_issue(self.hass, self.entry, LinkyIssue.CURVE_NOT_ACTIVATED)
            self.coordinator.curve_available[EnergyKind.CONSUMPTION] = False
        self.coordinator.import_statistics = True
        await self.coordinator.async_request_refresh()

    async def async_import_history(self, start: date, end: date) -> dict[str, Any]:
        """Re-fetch and re-import ``[start, end[`` (the ``linky_import_history`` action)."""
        if not self.backfill_progress.finished:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="enedis_backfill_running"
            )
        coordinator = self.coordinator
        kinds = [EnergyKind.CONSUMPTION] + (
            [EnergyKind.PRODUCTION] if coordinator.producing else []
        )
        result: dict[str, Any] = {}
        # History: the gateways' back-fill allowance (reset after, the caller's task goes on).
        purpose = REQUEST_PURPOSE.set(Purpose.BACKFILL)
        try:
            async with coordinator.statistics_lock:
                for kind in kinds:
                    done = await async_import_history(
                        self.hass,
                        self.client,
                        self.prm,
                        kind,
                        start=start,
                        end=end,
                        with_curve=coordinator.curve_available[kind],
                    )
                    if not done.curve_available and coordinator.curve_available[kind]:
                        coordinator.curve_available[kind] = False
                        async_raise_issue(self.hass, self.entry, LinkyIssue.CURVE_NOT_ACTIVATED)
                    result[str(kind)] = {
                        "days": done.days_with_data,
                        "hours_changed": done.hours_changed,
                    }
        finally:
            REQUEST_PURPOSE.reset(purpose)
        return result

    async def async_shutdown(self) -> None:
        """Stop waiting to resume the back-fill (the task itself ends with the entry)."""
        if self._retry_unsub is not None:
            self._retry_unsub()
            self._retry_unsub = None

    async def async_shutdown_features(self) -> None:
        """Stop the features attached to the meter (unload, or a set-up that failed after)."""
        features, self.features = self.features, []
        for feature in features:
            await feature.async_shutdown()

    async def async_diagnostics(self) -> dict[str, Any]:
        """State of the refresh and the back-fill (no PRM, no token)."""
        data = self.coordinator.data
        gateway = self.coordinator.gateway
        return {
            "source": self.entry.data.get(CONF_SOURCE, Source.DATACONNECT),
            "gateway_budget": (
                None
                if gateway is None
                else {
                    "used": gateway.budget.used(),
                    "used_by_backfill": gateway.budget.used(Purpose.BACKFILL),
                    "peak": gateway.budget.peak,
                    "blocked": gateway.budget.blocked_until is not None,
                    "block_reason": gateway.budget.block_reason,
                    "refresh_minute": gateway.minute,
                }
            ),
            "environment": self.entry.data.get(CONF_ENVIRONMENT, PRODUCTION),
            "custom_api_base_url": bool(self.entry.data.get(CONF_API_BASE_URL)),
            "producing": self.coordinator.producing,
            "curve_available": {str(k): v for k, v in self.coordinator.curve_available.items()},
            "last_update_success": self.coordinator.last_update_success,
            "next_refresh": (
                self.coordinator.next_refresh.isoformat() if self.coordinator.next_refresh else None
            ),
            "newest_consumption_day": (
                data.consumption.day.isoformat() if data and data.consumption else None
            ),
            "contract": {
                "read": self.coordinator.contract_read,
                "failing_since": (
                    self.coordinator.contract_failing_since.isoformat()
                    if self.coordinator.contract_failing_since
                    else None
                ),
                "last_error": self.coordinator.contract_error,
            },
            "data_calls": self.client.data_calls,
            "skipped_points": dict(self.client.skipped_points),
            "token_requests": self.client.token_requests,
            "backfill": self.backfill_progress.as_dict(),
            **{feature.key: feature.diagnostics() for feature in self.features},
        }


async def async_setup_entry(hass: HomeAssistant, entry: DelestageConfigEntry) -> EnedisRuntime:
    """Set up a Linky meter: client, first refresh, then the back-fill in the background."""
    if "recorder" not in hass.config.components:
        raise ConfigEntryError(
            translation_domain=DOMAIN, translation_key="enedis_recorder_required"
        )
    source = Source(entry.data.get(CONF_SOURCE, Source.DATACONNECT))
    gateway: GatewayState | None = None
    client: LinkyClient
    if source is Source.DATACONNECT:
        client = await _async_dataconnect_client(hass, entry)
    else:
        # Conso API / MyElectricalData: the same pipeline below, another transport.
        gateway = await async_gateway_state(hass, source)
        client = await async_create_gateway_client(
            hass, source, entry.data[CONF_API_TOKEN], entry.data.get(CONF_API_BASE_URL)
        )
    producing = bool(entry.data.get(CONF_PRODUCTION, False))
    coordinator = LinkyCoordinator(
        hass,
        entry,
        client,
        producing=producing,
        store=linky_store(hass, entry.entry_id),
        gateway=gateway,
    )
    runtime = EnedisRuntime(hass, entry, client, coordinator)
    # Before the first refresh: the features hear its import (and read their own stores).
    entry.async_on_unload(runtime.async_shutdown_features)
    runtime.features = await get_hub(hass).async_attach_meter(runtime.meter)
    progress = await runtime.backfill.async_load()
    runtime.backfill_progress = progress
    coordinator.import_statistics = progress.finished
    # A restart or reload before the next planned refresh takes the saved data: no call, and
    # nothing waits for the recorder (the statistics of that data are already written).
    if not await coordinator.async_restore():
        runtime.statistics_pending = progress.finished and hass.state is not CoreState.running
        await coordinator.async_config_entry_first_refresh()
    # Keep refreshing (and writing statistics) even when every sensor is disabled.
    entry.async_on_unload(coordinator.async_add_listener(lambda: None))
    # Statistics are written once Home Assistant has started (the recorder waits for it):
    # set-up never waits for the recorder nor for the back-fill.
    entry.async_on_unload(async_at_started(hass, runtime.async_started))
    return runtime


async def _async_dataconnect_client(
    hass: HomeAssistant, entry: DelestageConfigEntry
) -> LinkyClient:
    """Return the client of the user's own Data Connect app (application credentials)."""
    implementation = await async_get_config_entry_implementation(hass, entry)
    if not isinstance(implementation, EnedisOAuth2Implementation):
        raise ConfigEntryError(
            translation_domain=DOMAIN, translation_key="enedis_wrong_implementation"
        )

    @callback
    def _save_token(token: AccessToken) -> None:
        # No update listener on these entries: saving the token reloads nothing.
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_TOKEN: token.as_dict()}
        )

    return async_create_client(
        hass,
        implementation,
        environment=entry.data.get(CONF_ENVIRONMENT, PRODUCTION),
        api_base_url=entry.data.get(CONF_API_BASE_URL),
        token=AccessToken.from_dict(entry.data.get(CONF_TOKEN)),
        on_token=_save_token,
    )


async def async_remove_entry(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """Delete the back-fill progress and the saved data of a removed entry.

    The features delete what they keep for it themselves (``entry_types.py``).
    """
    await backfill_store(hass, entry.entry_id).async_remove()
    await linky_store(hass, entry.entry_id).async_remove()
