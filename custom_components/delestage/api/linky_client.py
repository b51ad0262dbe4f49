"""The one Linky client interface, whatever the source (Data Connect, Conso API, MyElectricalData).

:class:`LinkyClient` holds the measure methods the Home Assistant pipeline calls (coordinator,
back-fill, history import): range checks, the Data Connect 2026 parsers, the count of skipped
points. A source is a subclass that only *sends* the request of a measure resource and returns
its 2026 JSON (:meth:`LinkyClient._async_measure`): ``EnedisClient`` (``enedis.py``) and the
gateway transports (``enedis_gateways.py``).

Plain asyncio; no Home Assistant import.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
import logging
from typing import Any

from .enedis_errors import EnedisRequestError
from .enedis_models import (
    Contract,
    DailyReadings,
    LoadCurve,
    MaxPower,
    parse_daily,
    parse_load_curve,
    parse_max_power,
)

_LOGGER = logging.getLogger(__name__)

# Longest range of one call (dateFin exclusive). Load curves: 7 days (reference §8). Daily data:
# 365 days (v5; assumed for 2026, a "range" refusal makes the back-fill split further).
MAX_CURVE_DAYS = 7
MAX_DAILY_DAYS = 365

DAILY = "consommation_quotidienne"
CURVE = "courbe_de_charge_consommation"
MAX_POWER = "puissance_conso_max_quotidienne"
PRODUCTION_DAILY = "production_quotidienne"
PRODUCTION_CURVE = "courbe_de_charge_production"
MAX_POWER_QUERY = {"mesuresPas": "P1D", "grandeurPhysique": "PMA"}


class LinkyClient:
    """Linky measures of one source; subclasses implement :meth:`_async_measure`."""

    # Load-curve ``d`` is the interval START at this source (MyElectricalData shifts it);
    # Enedis and Conso API send the END.
    curve_at_start = False
    # Whether the source serves the supply contract (subscribed power).
    has_contract = True

    def __init__(self) -> None:
        """Start the counters."""
        self.data_calls = 0  # successful or not, token calls excluded
        # Points skipped because unusable (null, NaN, negative...), by resource: diagnostics.
        self.skipped_points: Counter[str] = Counter()

    @property
    def token_requests(self) -> int:
        """Token calls made (none unless the source needs tokens)."""
        return 0

    async def async_get_daily_consumption(self, prm: str, start: date, end: date) -> DailyReadings:
        """Daily consumption (Wh) of ``[start, end[``, at most 365 days, ``end`` ≤ today."""
        check_range(start, end, MAX_DAILY_DAYS)
        with self._counting(DAILY) as skipped:
            data = await self._async_measure(DAILY, prm, start, end)
            return parse_daily(data, skipped=skipped)

    async def async_get_daily_production(self, prm: str, start: date, end: date) -> DailyReadings:
        """Daily production (Wh) of ``[start, end[``, at most 365 days."""
        check_range(start, end, MAX_DAILY_DAYS)
        with self._counting(PRODUCTION_DAILY) as skipped:
            data = await self._async_measure(PRODUCTION_DAILY, prm, start, end)
            return parse_daily(data, skipped=skipped)

    async def async_get_load_curve(self, prm: str, start: date, end: date) -> LoadCurve:
        """Consumption load curve (average W per step) of ``[start, end[``, at most 7 days."""
        check_range(start, end, MAX_CURVE_DAYS)
        with self._counting(CURVE) as skipped:
            data = await self._async_measure(CURVE, prm, start, end)
            return self._curve(parse_load_curve(data, skipped=skipped))

    async def async_get_production_load_curve(self, prm: str, start: date, end: date) -> LoadCurve:
        """Production load curve (average W per step) of ``[start, end[``, at most 7 days."""
        check_range(start, end, MAX_CURVE_DAYS)
        with self._counting(PRODUCTION_CURVE) as skipped:
            data = await self._async_measure(PRODUCTION_CURVE, prm, start, end)
            return self._curve(parse_load_curve(data, skipped=skipped))

    async def async_get_max_power(self, prm: str, start: date, end: date) -> tuple[MaxPower, ...]:
        """Daily maximum power (VA, with its time) of ``[start, end[``, at most 365 days."""
        check_range(start, end, MAX_DAILY_DAYS)
        with self._counting(MAX_POWER) as skipped:
            data = await self._async_measure(MAX_POWER, prm, start, end, extra=MAX_POWER_QUERY)
            return parse_max_power(data, skipped=skipped)

    async def async_get_contract(self, prm: str) -> Contract:
        """Return the supply contract; a source without one answers an empty one, no request."""
        return Contract(None, None, None)

    async def _async_measure(
        self,
        resource: str,
        prm: str,
        start: date,
        end: date,
        *,
        extra: dict[str, str] | None = None,
    ) -> Any:
        """Send the request of ``resource`` and return its Data Connect 2026 JSON object."""
        raise NotImplementedError

    def _curve(self, curve: LoadCurve) -> LoadCurve:
        if not self.curve_at_start:
            return curve
        # The parser reads ``d`` as the END (Enedis' convention); here it is the START: move
        # each interval forward by its own step, in UTC (exact on DST days), never twice.
        points = tuple(
            replace(point, start=point.end, end=point.end + (point.end - point.start))
            for point in curve.points
        )
        return replace(curve, points=points)

    @contextmanager
    def _counting(self, resource: str) -> Iterator[Counter[str]]:
        """Count the points one answer skipped (by reason), into ``skipped_points``."""
        skipped: Counter[str] = Counter()
        try:
            yield skipped
        finally:
            if skipped:
                total = skipped.total()
                self.skipped_points[resource] += total
                _LOGGER.debug(
                    "%s: %s unusable point(s) skipped (%s), the others kept",
                    label(resource),
                    total,
                    ", ".join(f"{reason}: {n}" for reason, n in sorted(skipped.items())),
                )


def label(resource: str) -> str:
    """Name a resource for messages: ``Consommation quotidienne``."""
    return resource.replace("_", " ").capitalize()


def check_prm(prm: str) -> None:
    """Refuse what is not a PRM (14 digits) before any request."""
    if not (isinstance(prm, str) and len(prm) == 14 and prm.isdigit()):
        raise EnedisRequestError("A PRM is 14 digits")


def check_range(start: date, end: date, max_days: int) -> None:
    """Refuse an empty, reversed or too long ``[start, end[`` before any request."""
    if end <= start:
        raise EnedisRequestError("The end date must be after the start date")
    if (end - start).days > max_days:
        raise EnedisRequestError(f"At most {max_days} days per call")
