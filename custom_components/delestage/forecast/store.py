"""What the Tempo forecast keeps between restarts (Home Assistant ``Store``), per RTE app.

- the state of its calls (last call, last success, failures in a row, subscription, a 429's
  "not before"): a restart makes no call that is not due;
- RTE's forecasts, as daily means per Paris day (consumption with the day RTE made it, wind,
  solar), kept ``KEEP_DAYS`` days: the coming days are the model's inputs, the past days its
  history (the normalisation over the last 365 days, this season's shifts).

Kept under a hash of the client id (the quota belongs to the app; the id is not in the file
name), beside the RTE entry's own cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import hashlib
import math
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN

STORAGE_VERSION = 1
# 365 days of normalisation, the season so far, and some slack.
KEEP_DAYS = 400


def _time(value: Any) -> datetime | None:
    return dt_util.parse_datetime(value) if isinstance(value, str) else None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclass
class ApiState:
    """The calls to one API (Consumption or Generation Forecast)."""

    last_call: datetime | None = None
    last_success: datetime | None = None
    failures: int = 0
    subscribed: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the Store."""
        return {
            "last_call": _iso(self.last_call),
            "last_success": _iso(self.last_success),
            "failures": self.failures,
            "subscribed": self.subscribed,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ApiState:
        """Restore; unknown or broken content gives an empty state."""
        if not isinstance(data, dict):
            return cls()
        failures = data.get("failures")
        subscribed = data.get("subscribed")
        return cls(
            last_call=_time(data.get("last_call")),
            last_success=_time(data.get("last_success")),
            failures=failures if isinstance(failures, int) and failures > 0 else 0,
            subscribed=subscribed if isinstance(subscribed, bool) else None,
        )


@dataclass
class DayRecord:
    """RTE's latest forecasts of one Paris day (daily means, MW)."""

    consumption: float | None = None
    # The Paris day RTE made the consumption forecast (the day itself minus its lead).
    issued: date | None = None
    wind: float | None = None  # onshore + offshore
    solar: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the Store."""
        return {
            "consumption": self.consumption,
            "issued": None if self.issued is None else self.issued.isoformat(),
            "wind": self.wind,
            "solar": self.solar,
        }

    @classmethod
    def from_dict(cls, data: Any) -> DayRecord | None:
        """Restore; None for a broken record."""
        if not isinstance(data, dict):
            return None
        record = cls(
            _number(data.get("consumption")),
            _day(data.get("issued")),
            _number(data.get("wind")),
            _number(data.get("solar")),
        )
        if record.consumption is not None and record.issued is None:
            record.consumption = None  # a consumption without its lead is of no use
        return record


@dataclass
class ForecastData:
    """Everything persisted for one RTE app's forecast."""

    consumption: ApiState = field(default_factory=ApiState)
    generation: ApiState = field(default_factory=ApiState)
    # A 429's Retry-After: no forecast call of the app before then.
    not_before: datetime | None = None
    days: dict[date, DayRecord] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the Store."""
        return {
            "consumption": self.consumption.as_dict(),
            "generation": self.generation.as_dict(),
            "not_before": _iso(self.not_before),
            "days": {
                day.isoformat(): record.as_dict() for day, record in sorted(self.days.items())
            },
        }

    @classmethod
    def from_dict(cls, data: Any) -> ForecastData:
        """Restore; unknown or broken content gives an empty state."""
        if not isinstance(data, dict):
            return cls()
        days = data.get("days")
        return cls(
            consumption=ApiState.from_dict(data.get("consumption")),
            generation=ApiState.from_dict(data.get("generation")),
            not_before=_time(data.get("not_before")),
            days={
                day: record
                for key, value in (days.items() if isinstance(days, dict) else ())
                if (day := _day(key)) is not None
                and (record := DayRecord.from_dict(value)) is not None
            },
        )

    def record(self, day: date) -> DayRecord:
        """Return the record of ``day`` (created empty)."""
        return self.days.setdefault(day, DayRecord())

    def prune(self, today: date) -> None:
        """Forget days older than ``KEEP_DAYS``."""
        oldest = today - timedelta(days=KEEP_DAYS)
        for day in [day for day in self.days if day < oldest]:
            del self.days[day]


class ForecastStore:
    """Loads and saves the forecast state of one RTE app."""

    def __init__(self, hass: HomeAssistant, client_id: str) -> None:
        """Open (lazily) the Store of this app."""
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, storage_key(client_id))
        self.data = ForecastData()

    async def async_load(self) -> ForecastData:
        """Read the Store (an empty state when there is none)."""
        self.data = ForecastData.from_dict(await self._store.async_load())
        return self.data

    async def async_save(self) -> None:
        """Write now."""
        await self._store.async_save(self.data.as_dict())

    async def async_remove(self) -> None:
        """Delete the saved state (the RTE entry is removed)."""
        await self._store.async_remove()


def storage_key(client_id: str) -> str:
    """Return the Store key of an app's forecast."""
    digest = hashlib.sha256(client_id.encode()).hexdigest()[:16]
    return f"{DOMAIN}.tempo_forecast_{digest}"
