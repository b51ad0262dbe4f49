"""Tempo colours of past days for the features (``hub.TempoSource``), from RTE's calendar.

A feature (the tariff split, the report) asks for the colours of its days; days
already known come from the RTE entry's Store, the others in ONE ranged call per year at most
(``tempo_like_calendars?start_date=…&end_date=…``). Every asked past day is remembered, with
its colour or with None when RTE had none (the 2022-12-28 gap), so no day is asked twice.
Today and tomorrow belong to the Tempo coordinator (its daily call): they are taken from its
data, never asked here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from homeassistant.util import dt as dt_util

from ..api.errors import ApiError
from ..api.rte_models import tempo_day
from ..const import LOGGER

if TYPE_CHECKING:
    from .runtime import RteRuntime

# Longest range of one call: RTE refuses more than 366 days, and local midnights across a DST
# change are 366 days + 1 h apart (hekmon/rtetempo asks for 364 days).
MAX_DAYS_PER_CALL = 365
# After a failed call, wait this long before asking again.
RETRY_AFTER = timedelta(hours=1)


class TempoHistory:
    """Past Tempo colours of one RTE entry, cached in its Store."""

    def __init__(self, runtime: RteRuntime) -> None:
        """Bind to the RTE entry's client, cache and Tempo coordinator."""
        self._runtime = runtime
        self._lock = asyncio.Lock()
        self._not_before: datetime | None = None
        self.calls = 0

    def known(self) -> dict[date, str]:
        """Every colour known without a call (Store + the coordinator's latest answer)."""
        colors: dict[date, str] = {}
        for day, color in self._runtime.cache.data.tempo_history.items():
            if color is not None:
                colors[date.fromisoformat(day)] = color
        if (calendar := self._runtime.tempo.data) is not None:
            colors.update(calendar.colors)
        return colors

    async def async_colors(self, days: Iterable[date]) -> dict[date, str]:
        """Return the colours of ``days`` (``BLUE``…), asking RTE only for unknown past days."""
        wanted = set(days)
        async with self._lock:
            history = self._runtime.cache.data.tempo_history
            today = tempo_day(dt_util.utcnow())
            # Past days of the daily call are kept too: once past, never asked again.
            if (calendar := self._runtime.tempo.data) is not None:
                new = {
                    d.isoformat(): c
                    for d, c in calendar.colors.items()
                    if d < today and history.get(d.isoformat()) != c
                }
                if new:
                    history.update(new)
                    self._runtime.cache.schedule_save()
            known = self.known()
            missing = sorted(
                d for d in wanted if d < today and d not in known and d.isoformat() not in history
            )
            now = dt_util.utcnow()
            if missing and (self._not_before is None or now >= self._not_before):
                await self._async_fetch(missing[0], missing[-1] + timedelta(days=1))
        known = self.known()
        return {d: known[d] for d in wanted if d in known}

    async def _async_fetch(self, start: date, end: date) -> None:
        history = self._runtime.cache.data.tempo_history
        today = tempo_day(dt_util.utcnow())
        chunk_start = start
        while chunk_start < end:
            chunk_end = min(end, chunk_start + timedelta(days=MAX_DAYS_PER_CALL))
            self.calls += 1
            try:
                calendar = await self._runtime.client.async_get_tempo(chunk_start, chunk_end)
            except ApiError as err:
                LOGGER.info("Tempo history from %s not available (%s); asked later", start, err)
                self._not_before = dt_util.utcnow() + RETRY_AFTER
                break
            day = chunk_start
            while day < chunk_end:
                if day < today:  # a past day without colour stays without one
                    history[day.isoformat()] = calendar.colors.get(day)
                day += timedelta(days=1)
            chunk_start = chunk_end
        self._runtime.cache.schedule_save()
