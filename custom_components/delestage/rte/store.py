"""What the RTE entry persists between restarts (Home Assistant ``Store``).

Kept per RTE application (the quota belongs to the app), under a hash of its client id so the
id itself is not in a file name: the last raw Ecowatt and Tempo answers with their fetch time,
the time of the last call and any "not before" time asked by a 429, and the current token.
The config flow writes its first answer here, so set-up makes no second call.

Removing the entry deletes it, except while RTE's quota still binds the app (a call less than
15 minutes ago, or a 429's wait): then only the token (a secret) goes, and the rest is deleted
when the quota no longer binds. The same app added again meanwhile finds its last call and its
forecast, and makes no call that RTE would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
import hashlib
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..api.auth import AccessToken
from ..const import DOMAIN
from .const import MIN_SIGNALS_SPACING

STORAGE_VERSION = 1
SAVE_DELAY = 10


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return dt_util.parse_datetime(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass
class CallState:
    """One endpoint (Ecowatt signals or Tempo) as last seen from one source URL."""

    source: str | None = None
    raw: dict[str, Any] | None = None
    fetched_at: datetime | None = None
    last_call: datetime | None = None
    last_call_ok: bool = True
    not_before: datetime | None = None
    subscribed: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the Store."""
        return {
            "source": self.source,
            "raw": self.raw,
            "fetched_at": _iso(self.fetched_at),
            "last_call": _iso(self.last_call),
            "last_call_ok": self.last_call_ok,
            "not_before": _iso(self.not_before),
            "subscribed": self.subscribed,
        }

    @classmethod
    def from_dict(cls, data: Any) -> CallState:
        """Restore; unknown or broken content gives an empty state."""
        if not isinstance(data, dict):
            return cls()
        raw = data.get("raw")
        subscribed = data.get("subscribed")
        return cls(
            source=data.get("source") if isinstance(data.get("source"), str) else None,
            raw=raw if isinstance(raw, dict) else None,
            fetched_at=_time(data.get("fetched_at")),
            last_call=_time(data.get("last_call")),
            last_call_ok=data.get("last_call_ok") is not False,
            not_before=_time(data.get("not_before")),
            subscribed=subscribed if isinstance(subscribed, bool) else None,
        )

    def for_source(self, source: str) -> CallState:
        """Return this state if it belongs to ``source``, else a fresh one for it."""
        return self if self.source == source else CallState(source=source)


@dataclass
class RteCacheData:
    """Everything persisted for one RTE application.

    ``signals`` is the state of the signals URL in use; ``other_signals`` keeps the state of
    the other URLs (production while the sandbox is tried), so going back costs no call.
    """

    signals: CallState = field(default_factory=CallState)
    tempo: CallState = field(default_factory=CallState)
    token: AccessToken | None = None
    token_url: str | None = None
    other_signals: dict[str, CallState] = field(default_factory=dict)
    # Tempo colours of past days (ISO date → BLUE/WHITE/RED, or None when RTE had none), asked
    # once for the Linky tariff split and never again (tempo_history.py).
    tempo_history: dict[str, str | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the Store."""
        return {
            "signals": self.signals.as_dict(),
            "tempo": self.tempo.as_dict(),
            "token": None if self.token is None else self.token.as_dict(),
            "token_url": self.token_url,
            "other_signals": {url: state.as_dict() for url, state in self.other_signals.items()},
            "tempo_history": self.tempo_history,
        }

    @classmethod
    def from_dict(cls, data: Any) -> RteCacheData:
        """Restore; unknown or broken content gives an empty cache."""
        if not isinstance(data, dict):
            return cls()
        token_url = data.get("token_url")
        others = data.get("other_signals")
        history = data.get("tempo_history")
        return cls(
            signals=CallState.from_dict(data.get("signals")),
            tempo=CallState.from_dict(data.get("tempo")),
            token=AccessToken.from_dict(data.get("token")),
            token_url=token_url if isinstance(token_url, str) else None,
            other_signals={
                url: CallState.from_dict(state)
                for url, state in (others.items() if isinstance(others, dict) else ())
                if isinstance(url, str)
            },
            tempo_history={
                day: color
                for day, color in (history.items() if isinstance(history, dict) else ())
                if isinstance(day, str) and (color is None or isinstance(color, str))
            },
        )

    def signals_state(self, source: str) -> CallState:
        """Return the signals state of ``source``, without making it the one in use."""
        if self.signals.source == source:
            return self.signals
        return self.other_signals.get(source) or CallState(source=source)

    def keep_signals_state(self, state: CallState) -> None:
        """Remember the state of a signals URL that is not the one in use (a config flow test)."""
        if state is not self.signals and state.source is not None:
            self.other_signals[state.source] = state

    def use_signals_source(self, source: str) -> CallState:
        """Make ``source`` the signals URL in use, keeping the state of the previous one."""
        if self.signals.source != source:
            state = self.signals_state(source)
            if self.signals.source is not None:
                self.other_signals[self.signals.source] = self.signals
            self.other_signals.pop(source, None)
            self.signals = state
        return self.signals

    def quota_binds_until(self) -> datetime | None:
        """Until when a new call of this app could be refused (last call + 15 min, a 429's wait)."""
        times = [
            time
            for state in (self.signals, self.tempo, *self.other_signals.values())
            for time in (
                state.not_before,
                None if state.last_call is None else state.last_call + MIN_SIGNALS_SPACING,
            )
            if time is not None
        ]
        return max(times, default=None)

    def token_for(self, token_url: str) -> AccessToken | None:
        """Return the persisted token, if it came from ``token_url``."""
        return self.token if self.token_url == token_url else None

    def set_token(self, token: AccessToken, token_url: str) -> None:
        """Remember a new token."""
        self.token, self.token_url = token, token_url


class RteCache:
    """Loads and saves the persisted state of one RTE application."""

    def __init__(self, hass: HomeAssistant, client_id: str) -> None:
        """Open (lazily) the Store of this application."""
        digest = hashlib.sha256(client_id.encode()).hexdigest()[:16]
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.rte_{digest}", private=True
        )
        self.data = RteCacheData()

    async def async_load(self) -> RteCacheData:
        """Read the Store (an empty cache when there is none)."""
        self.data = RteCacheData.from_dict(await self._store.async_load())
        return self.data

    async def async_save(self) -> None:
        """Write now."""
        await self._store.async_save(self.data.as_dict())

    async def async_remove(self) -> None:
        """Delete the saved state."""
        await self._store.async_remove()

    async def async_forget(self, now: datetime) -> datetime | None:
        """Forget a removed entry's state; keep what the quota needs, and say until when.

        Returns None when everything is deleted, else the time after which it may be.
        """
        until = (await self.async_load()).quota_binds_until()
        if until is None or until <= now:
            await self.async_remove()
            return None
        self.data.token = self.data.token_url = None
        await self.async_save()
        return until

    def schedule_save(self) -> None:
        """Write soon (several changes in a row make one write)."""
        self._store.async_delay_save(self.data.as_dict, SAVE_DELAY)
