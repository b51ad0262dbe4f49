"""RTE entry type: Ecowatt v5 signals and Tempo colours.

The features built on an RTE entry (the Tempo forecast) attach themselves through ``hub.py``.
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.core import HassJob, HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from ..api.auth import AccessToken
from ..api.rte import Environment, RteClient, RteCredentials
from ..const import CONF_API_BASE_URL, DOMAIN
from ..hub import RteApp, get_hub
from ..runtime import DelestageConfigEntry
from .const import CONF_ENVIRONMENT
from .coordinator import EcowattCoordinator, TempoCoordinator
from .entity import device_info
from .runtime import RteRuntime
from .store import RteCache


async def async_setup_entry(hass: HomeAssistant, entry: DelestageConfigEntry) -> RteRuntime:
    """Set up an RTE entry from its cache; call RTE only when the cached data is due."""
    cache = RteCache(hass, entry.data[CONF_CLIENT_ID])
    await cache.async_load()

    def _on_token(token: AccessToken) -> None:
        cache.data.set_token(token, client.token_url)
        cache.schedule_save()

    client = RteClient(
        async_get_clientsession(hass),
        RteCredentials(entry.data[CONF_CLIENT_ID], entry.data[CONF_CLIENT_SECRET]),
        environment=Environment(entry.data.get(CONF_ENVIRONMENT, Environment.PRODUCTION)),
        base_url=entry.data.get(CONF_API_BASE_URL),
        on_token=_on_token,
    )
    client.auth.restore(cache.data.token_for(client.token_url))

    ecowatt = EcowattCoordinator(hass, entry, client, cache)
    ecowatt.restore()
    if ecowatt.data is None:
        await ecowatt.async_config_entry_first_refresh()
    else:
        # Cached data is enough to start; a due call that fails is logged, not fatal.
        await ecowatt.async_refresh()

    tempo = TempoCoordinator(hass, entry, client, cache)
    tempo.restore()
    probe = tempo.next_probe()
    if probe is None or probe <= dt_util.utcnow():
        # Probes Tempo when it is unknown or due; otherwise answers from the cache.
        await tempo.async_refresh()
    tempo.reload_when_unsubscribed = True
    runtime = RteRuntime(hass, entry, client, cache, ecowatt, tempo, not tempo.not_subscribed)
    _async_publish(hass, entry, runtime)
    entry.async_on_unload(runtime.async_shutdown_features)
    runtime.features = await get_hub(hass).async_attach_rte(
        RteApp(
            hass=hass,
            entry=entry,
            device_info=device_info(hass, str(entry.unique_id)),
            client=client,
            tempo=runtime.tempo_history if runtime.tempo_active else None,
        )
    )
    entry.async_on_unload(async_at_started(hass, runtime.async_started))
    return runtime


def _async_publish(hass: HomeAssistant, entry: DelestageConfigEntry, runtime: RteRuntime) -> None:
    """Publish the forecast and, with Tempo, the colours to the features (``hub.py``).

    Registered last: a set-up that fails earlier leaves nothing behind. A Tempo source that
    appears tells the features waiting for colours (a Tempo meter set up before this entry).
    """
    hub = get_hub(hass)
    entry.async_on_unload(hub.register_ecowatt(entry.entry_id, lambda: runtime.ecowatt.data))
    entry.async_on_unload(runtime.ecowatt.async_add_listener(hub.ecowatt_updated))
    if runtime.tempo_active:
        entry.async_on_unload(hub.register_tempo(entry.entry_id, runtime.tempo_history))
        entry.async_on_unload(runtime.tempo.async_add_listener(hub.tempo_updated))


async def async_remove_entry(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """Delete the cache of a removed RTE entry, once RTE's quota no longer binds its app.

    RTE counts calls per app, not per entry: the same app added again within 15 minutes must
    find its last call (``store.py``). A restart before the deadline leaves that small file (no
    secret) for the next entry of the app to reuse.
    """
    client_id = entry.data[CONF_CLIENT_ID]
    now = dt_util.utcnow()
    until = await RteCache(hass, client_id).async_forget(now)
    if until is None:
        return

    async def _async_delete(now: datetime) -> None:
        if not any(
            other.unique_id == client_id for other in hass.config_entries.async_entries(DOMAIN)
        ):
            await RteCache(hass, client_id).async_remove()

    async_call_later(
        hass, (until - now).total_seconds(), HassJob(_async_delete, cancel_on_shutdown=True)
    )
