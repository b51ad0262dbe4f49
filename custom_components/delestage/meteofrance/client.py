"""Build the DPObs client of an entry; entries using the same credentials share one limiter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import hashlib
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.hass_dict import HassKey

from ..api.auth import AccessToken
from ..api.meteofrance import CallLimiter, MeteoFranceClient
from ..const import CONF_API_BASE_URL, DOMAIN
from .const import CONF_API_KEY, CONF_APPLICATION_ID, CONF_AUTH_METHOD, AuthMethod

# One call limiter per subscription (the quota is 50 calls/min per API key or application).
LIMITERS: HassKey[dict[str, CallLimiter]] = HassKey(f"{DOMAIN}_meteofrance_limiters")


def credential_of(data: Mapping[str, Any]) -> tuple[AuthMethod, str]:
    """Return the auth method of entry data and its secret."""
    method = AuthMethod(data.get(CONF_AUTH_METHOD, AuthMethod.API_KEY))
    key = CONF_API_KEY if method is AuthMethod.API_KEY else CONF_APPLICATION_ID
    return method, str(data[key])


def credential_digest(data: Mapping[str, Any]) -> str:
    """Return a digest that tells the credentials of entry data apart (not the secret)."""
    method, secret = credential_of(data)
    return hashlib.sha256(f"{method}:{secret.strip()}".encode()).hexdigest()


def async_create_client(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    on_token: Callable[[AccessToken], None] | None = None,
) -> MeteoFranceClient:
    """Return a client for entry data (raises InvalidApplicationIdError for a bad app id)."""
    method, secret = credential_of(data)
    limiter = hass.data.setdefault(LIMITERS, {}).setdefault(credential_digest(data), CallLimiter())
    by_key = method is AuthMethod.API_KEY
    return MeteoFranceClient(
        async_get_clientsession(hass),
        api_key=secret if by_key else None,
        application_id=None if by_key else secret,
        base_url=data.get(CONF_API_BASE_URL) or None,
        limiter=limiter,
        on_token=on_token,
    )
