"""Enedis clients for Home Assistant: one rate limiter per Data Connect app, tokens kept."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.hass_dict import HassKey

from ..api.auth import AccessToken
from ..api.enedis import EnedisClient, RateLimiter
from ..const import DOMAIN
from .oauth import EnedisOAuth2Implementation

# Enedis counts calls per application: every meter of one app shares its pacing.
DATA_LIMITERS: HassKey[dict[str, RateLimiter]] = HassKey(f"{DOMAIN}_enedis_limiters")


@callback
def async_create_client(
    hass: HomeAssistant,
    implementation: EnedisOAuth2Implementation,
    *,
    environment: str,
    api_base_url: str | None,
    token: AccessToken | None = None,
    on_token: Callable[[AccessToken], None] | None = None,
) -> EnedisClient:
    """Return a client of ``implementation``'s app, paced with the app's other clients."""
    limiters = hass.data.setdefault(DATA_LIMITERS, {})
    limiter = limiters.setdefault(implementation.client_id, RateLimiter())
    client = EnedisClient(
        async_get_clientsession(hass),
        implementation.client_id,
        implementation.client_secret,
        environment=environment,
        base_url=api_base_url,
        on_token=on_token,
        limiter=limiter,
    )
    client.restore_token(token)
    return client
