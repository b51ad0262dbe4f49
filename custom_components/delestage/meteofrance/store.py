"""What a station entry keeps across restarts: its last observation and its token.

With a fresh observation in store, a restart makes no call until the next publication; with a
valid token, no token call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from ..api.auth import AccessToken
from ..api.meteofrance import Observation
from ..const import DOMAIN

STORAGE_VERSION = 1
SAVE_DELAY = 5.0


@dataclass(slots=True)
class StationCache:
    """The persisted state of one entry."""

    observation: Observation | None = None
    token: AccessToken | None = None
    # Digest of the credentials the token was issued for (a reauth may change them).
    token_owner: str | None = None


class StationStore:
    """Loads and saves the cache of one entry (``.storage/delestage.meteofrance_<entry id>``)."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the store; nothing is read yet."""
        # Private (mode 0600), like the RTE cache: the file holds a bearer token.
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.meteofrance_{entry_id}", private=True
        )
        self.cache = StationCache()

    async def async_load(self) -> StationCache:
        """Read the cache; anything unreadable is ignored."""
        data = await self._store.async_load()
        if isinstance(data, dict):
            owner = data.get("token_owner")
            self.cache = StationCache(
                Observation.from_dict(data.get("observation")),
                AccessToken.from_dict(data.get("token")),
                owner if isinstance(owner, str) else None,
            )
        return self.cache

    async def async_remove(self) -> None:
        """Delete the cache (the entry is removed)."""
        await self._store.async_remove()

    def save_observation(self, observation: Observation) -> None:
        """Persist a new observation (soon, in one write with other changes)."""
        self.cache.observation = observation
        self._store.async_delay_save(self._data, SAVE_DELAY)

    def save_token(self, token: AccessToken, owner: str) -> None:
        """Persist a new token and whose it is."""
        self.cache.token = token
        self.cache.token_owner = owner
        self._store.async_delay_save(self._data, SAVE_DELAY)

    def _data(self) -> dict[str, Any]:
        return {
            "observation": self.cache.observation.as_dict() if self.cache.observation else None,
            "token": self.cache.token.as_dict() if self.cache.token else None,
            "token_owner": self.cache.token_owner,
        }
