"""OAuth2 client-credentials tokens (RTE, Enedis, Météo-France), reused until near expiry."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass
import time
from typing import Any

import aiohttp

from .errors import ApiAuthError, ApiError, ApiResponseError
from .http import async_fetch, raise_for_status

# A token is renewed this many seconds before it expires.
DEFAULT_EXPIRY_MARGIN = 60.0


def basic_auth_value(client_id: str, client_secret: str) -> str:
    """Return the Base64 ``client_id:client_secret`` string used after ``Basic``."""
    return base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")


def split_basic_auth_value(value: str) -> tuple[str, str] | None:
    """Decode a portal's ready-made Base64 ``client_id:client_secret`` string, or return None."""
    value = value.strip().removeprefix("Basic ").strip()
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except ValueError:
        return None
    client_id, sep, client_secret = decoded.partition(":")
    if not sep or not client_id or not client_secret:
        return None
    return client_id, client_secret


def _wall_clock() -> float:
    """Return the time now; ``time.time`` is looked up at each call, so test clocks can move it."""
    return time.time()


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A bearer token and the wall-clock time (epoch seconds) it expires at."""

    value: str
    expires_at: float

    def as_dict(self) -> dict[str, Any]:
        """Serialise for persistence."""
        return {"access_token": self.value, "expires_at": self.expires_at}

    @classmethod
    def from_dict(cls, data: Any) -> AccessToken | None:
        """Restore a persisted token; None when the data is not a token."""
        if not isinstance(data, dict):
            return None
        value, expires_at = data.get("access_token"), data.get("expires_at")
        if not isinstance(value, str) or not isinstance(expires_at, int | float):
            return None
        return cls(value, float(expires_at))


class ClientCredentialsAuth:
    """Fetches client-credentials tokens and reuses each until shortly before it expires.

    Concurrent callers share one token request. ``on_token`` is told of every new token,
    so the owner can persist it and a restart does not cost a token call.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        form: dict[str, str] | None = None,
        default_lifetime: float = 3600.0,
        expiry_margin: float = DEFAULT_EXPIRY_MARGIN,
        clock: Callable[[], float] | None = None,
        on_token: Callable[[AccessToken], None] | None = None,
    ) -> None:
        """Prepare the token request; nothing is sent until a token is needed."""
        self._session = session
        self._token_url = token_url
        self._authorization = f"Basic {basic_auth_value(client_id, client_secret)}"
        self._form = form if form is not None else {"grant_type": "client_credentials"}
        self._default_lifetime = default_lifetime
        self._margin = expiry_margin
        self._clock = clock or _wall_clock
        self._on_token = on_token
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()
        self.token_requests = 0

    @property
    def token(self) -> AccessToken | None:
        """The cached token, valid or not."""
        return self._token

    def restore(self, token: AccessToken | None) -> None:
        """Reuse a token persisted before a restart (ignored when expired)."""
        if token is not None and self._is_fresh(token):
            self._token = token

    def invalidate(self, value: str | None = None) -> None:
        """Forget the cached token (after a 401); only if it is still ``value`` when given."""
        if value is None or (self._token is not None and self._token.value == value):
            self._token = None

    async def async_get_token(self) -> str:
        """Return a valid access token, fetching a new one when needed."""
        if self._token is not None and self._is_fresh(self._token):
            return self._token.value
        async with self._lock:
            if self._token is not None and self._is_fresh(self._token):
                return self._token.value
            self._token = await self._async_request_token()
            if self._on_token is not None:
                self._on_token(self._token)
            return self._token.value

    def _is_fresh(self, token: AccessToken) -> bool:
        return token.expires_at - self._margin > self._clock()

    async def _async_request_token(self) -> AccessToken:
        self.token_requests += 1
        response = await async_fetch(
            self._session,
            "POST",
            self._token_url,
            data=self._form,
            headers={
                "Authorization": self._authorization,
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        if response.status in (400, 401):
            # OAuth2 token endpoints answer invalid_client with 400 or 401.
            raise ApiAuthError(f"Token request refused (HTTP {response.status})")
        raise_for_status(response, "Token request")
        data = response.json_object()
        access_token = data.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise ApiResponseError("Token answer has no access_token")
        lifetime = self._default_lifetime
        if (expires_in := data.get("expires_in")) is not None:
            try:
                lifetime = float(expires_in)  # Enedis sends it as a string
            except (TypeError, ValueError) as err:
                raise ApiResponseError(
                    f"Token answer has a bad expires_in: {expires_in!r}"
                ) from err
        return AccessToken(access_token, self._clock() + lifetime)


__all__ = ["AccessToken", "ApiError", "ClientCredentialsAuth", "basic_auth_value"]
