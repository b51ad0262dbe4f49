"""Typed models of the Enedis Data Connect 2026 answers, and their parsers.

Load-curve and max-power timestamps come as local wall time (Europe/Paris) without offset; the
parsers turn them into timezone-aware datetimes, resolving the repeated hour of the autumn DST
change by order of appearance.

One bad point loses nothing else: a point whose value is null, ``"null"``, empty, not a
number, NaN, ±inf or negative, or whose date cannot be read, is skipped and counted (the
``skipped`` field of the readings, and the reasons in an optional ``Counter``); the other points
of the answer are kept, so no NaN or negative energy ever reaches a sum. Only an answer whose
frame is wrong (no ``periode``, ``grandeur`` not a list...) raises :class:`ApiResponseError`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import math
import re
from typing import Any
from zoneinfo import ZoneInfo

from .errors import ApiResponseError

PARIS = ZoneInfo("Europe/Paris")

_ISO_STEP = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?$")


@dataclass(frozen=True, slots=True)
class SubscribedService:
    """One service of ``subscribed_services/v1``: the PRM a consent covers and its dates."""

    prm: str
    service_code: str
    status: str | None
    start: date | None
    end: date | None
    measure_type: str | None
    consumption: bool
    production: bool


@dataclass(frozen=True, slots=True)
class Consent:
    """What a consent (``autorisation_id``) gives access to."""

    prm: str
    end: date | None
    consumption: bool
    production: bool
    services: tuple[SubscribedService, ...] = ()


@dataclass(frozen=True, slots=True)
class DailyValue:
    """Energy of one local day, in Wh."""

    day: date
    wh: float


@dataclass(frozen=True, slots=True)
class DailyReadings:
    """Daily energy values (consumption or production) of ``[start, end[``."""

    start: date
    end: date
    unit: str
    values: tuple[DailyValue, ...]
    skipped: int = 0  # points of the answer that were unusable (see the module doc)


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """One load-curve point: average power ``watts`` over ``[start, end[`` (aware datetimes)."""

    end: datetime
    start: datetime
    watts: float

    @property
    def wh(self) -> float:
        """Energy of the interval, in Wh (W × step)."""
        return self.watts * (self.end - self.start).total_seconds() / 3600.0


@dataclass(frozen=True, slots=True)
class LoadCurve:
    """Load-curve points of ``[start, end[`` (local days), ordered by time."""

    start: date
    end: date
    points: tuple[CurvePoint, ...]
    skipped: int = 0  # points of the answer that were unusable (see the module doc)


@dataclass(frozen=True, slots=True)
class MaxPower:
    """The maximum power of one day, in VA, and when it happened (aware datetime)."""

    day: date
    va: float
    at: datetime | None


@dataclass(frozen=True, slots=True)
class Contract:
    """The supply contract of a meter (``situation_contrat_auto``)."""

    subscribed_power_kva: float | None
    distribution_tariff: str | None
    segment: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    contract_type: str | None = None  # "Contrat GRD-F" for the supply contract
    contracts: int = 1  # contracts in the answer (2 for a self-consumption point)


# --------------------------------------------------------------------------- parsing helpers


def parse_step(value: Any) -> timedelta | None:
    """Turn an ISO 8601 step such as ``PT30M`` or ``PT1H`` into a timedelta; None if unknown."""
    if not isinstance(value, str) or not (match := _ISO_STEP.match(value.strip())):
        return None
    hours, minutes = (int(part) if part else 0 for part in match.groups())
    step = timedelta(hours=hours, minutes=minutes)
    return step if step > timedelta(0) else None


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


class _BadPoint(Exception):
    """A point to skip; ``reason`` is what was wrong with it (counted, logged at debug)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def measure_value(value: Any) -> float:
    """Return a measure (energy, power): a finite number ≥ 0, as a string or a number.

    Raises ``_BadPoint`` (with the reason) for null, ``"null"``, empty, non-numeric, NaN, ±inf
    and negative values.
    """
    if value is None:
        raise _BadPoint("null")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _BadPoint("not a number")
    if isinstance(value, str):
        text = value.strip()
        if not text or text.lower() in {"null", "none"}:
            raise _BadPoint("null" if text else "empty")
        try:
            number = float(text)
        except ValueError:
            raise _BadPoint("not a number") from None
    else:
        number = float(value)
    if not math.isfinite(number):
        raise _BadPoint("not finite")
    if number < 0:
        raise _BadPoint("negative")
    return number


def _parse_local(value: Any) -> datetime:
    """Parse ``YYYY-MM-DD HH:MM:SS`` (local wall time) into a naive datetime."""
    if not isinstance(value, str):
        raise _BadPoint("bad date")
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        raise _BadPoint("bad date") from None
    if parsed.tzinfo is not None:  # tolerate an explicit offset
        return parsed.astimezone(PARIS).replace(tzinfo=None)
    return parsed


def local_to_utc(naive: datetime, previous: datetime | None) -> datetime:
    """Turn a Paris wall time into UTC; a repeated (autumn) hour goes after ``previous``."""
    first = naive.replace(tzinfo=PARIS, fold=0).astimezone(UTC)
    if previous is None or first > previous:
        return first
    second = naive.replace(tzinfo=PARIS, fold=1).astimezone(UTC)
    return second if second > previous else first


def _period(data: dict[str, Any]) -> tuple[date, date]:
    periode = data.get("periode")
    if not isinstance(periode, dict):
        raise ApiResponseError("Answer has no periode")
    start, end = _parse_date(periode.get("dateDebut")), _parse_date(periode.get("dateFin"))
    if start is None or end is None:
        raise ApiResponseError("Answer has a bad periode")
    return start, end


def _grandeur(data: dict[str, Any]) -> tuple[str, list[Any]]:
    """Return the unit and points of the answer's first ``grandeur`` (empty when absent)."""
    grandeurs = data.get("grandeur")
    if grandeurs is None:
        return "", []
    if not isinstance(grandeurs, list):
        raise ApiResponseError("Answer has a bad grandeur list")
    for grandeur in grandeurs:
        if isinstance(grandeur, dict):
            points = grandeur.get("points") or []
            if not isinstance(points, list):
                raise ApiResponseError("Answer has a bad points list")
            return str(grandeur.get("unite") or ""), points
    return "", []


def _point(point: Any) -> dict[str, Any]:
    if not isinstance(point, dict):
        raise _BadPoint("not an object")
    return point


class _Skips:
    """Counts the skipped points of one answer (and adds the reasons to ``into``)."""

    def __init__(self, into: Counter[str] | None) -> None:
        self.count = 0
        self._into = into

    def add(self, err: _BadPoint) -> None:
        self.count += 1
        if self._into is not None:
            self._into[err.reason] += 1


# --------------------------------------------------------------------------- parsers


def _daily_point(point: Any) -> tuple[date, float]:
    item = _point(point)
    if (day := _parse_date(item.get("d"))) is None:
        raise _BadPoint("bad date")
    return day, measure_value(item.get("v"))


def parse_daily(data: dict[str, Any], *, skipped: Counter[str] | None = None) -> DailyReadings:
    """Parse a ``consommation_quotidienne`` / ``production_quotidienne`` answer (Wh per day)."""
    start, end = _period(data)
    unit, points = _grandeur(data)
    scale = 1000.0 if unit.lower() == "kwh" else 1.0
    skips = _Skips(skipped)
    values: dict[date, float] = {}
    for point in points:
        try:
            day, wh = _daily_point(point)
        except _BadPoint as err:
            skips.add(err)
        else:
            values[day] = wh * scale
    return DailyReadings(
        start,
        end,
        "Wh",
        tuple(DailyValue(day, wh) for day, wh in sorted(values.items())),
        skips.count,
    )


def parse_load_curve(
    data: dict[str, Any],
    default_step: timedelta | None = None,
    *,
    skipped: Counter[str] | None = None,
) -> LoadCurve:
    """Parse a ``courbe_de_charge_*`` answer.

    Each point's ``d`` is the END of its interval (local time). The interval length is the
    point's own ``p``; without it, the answer's ``pas``; without that, the gap to the previous
    point. A point that repeats an earlier instant (after DST resolution) is dropped. A point
    with a bad value still marks its instant (the next point's step may be the gap to it).
    """
    start, end = _period(data)
    unit, points = _grandeur(data)
    scale = 1000.0 if unit.lower() == "kw" else 1.0
    answer_step = parse_step(data.get("pas")) or default_step
    skips = _Skips(skipped)
    parsed: list[CurvePoint] = []
    previous: datetime | None = None
    for point in points:
        try:
            item = _point(point)
            naive = _parse_local(item.get("d"))
            point_end = local_to_utc(naive, previous)
            if previous is not None and point_end <= previous:
                continue  # duplicate instant
            step = parse_step(item.get("p")) or answer_step
            if step is None and previous is not None:
                step = point_end - previous
            previous = point_end
            watts = measure_value(item.get("v")) if step is not None else None
        except _BadPoint as err:
            skips.add(err)
            continue
        if step is None or watts is None:
            skips.add(_BadPoint("no step"))
            continue
        parsed.append(CurvePoint(point_end, point_end - step, watts * scale))
    return LoadCurve(start, end, tuple(parsed), skips.count)


def _max_power_point(point: Any) -> MaxPower:
    item = _point(point)
    raw = item.get("d")
    when: datetime | None = None
    if isinstance(raw, str) and len(raw.strip()) > 10:
        when = local_to_utc(_parse_local(raw), None)
        day = when.astimezone(PARIS).date()
    elif (parsed_day := _parse_date(raw)) is not None:
        day = parsed_day
    else:
        raise _BadPoint("bad date")
    return MaxPower(day, measure_value(item.get("v")), when)


def parse_max_power(
    data: dict[str, Any], *, skipped: Counter[str] | None = None
) -> tuple[MaxPower, ...]:
    """Parse a ``puissance_conso_max_quotidienne`` answer (VA, with the time of the maximum)."""
    _period(data)
    _, points = _grandeur(data)
    skips = _Skips(skipped)
    result: dict[date, MaxPower] = {}
    for point in points:
        try:
            value = _max_power_point(point)
        except _BadPoint as err:
            skips.add(err)
        else:
            result[value.day] = value
    return tuple(result[day] for day in sorted(result))


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "oui", "yes"}
    return bool(value)


def parse_subscribed_services(data: dict[str, Any]) -> tuple[SubscribedService, ...]:
    """Parse a ``subscribed_services/v1`` answer."""
    services = data.get("serviceSouscrit", [])
    if isinstance(services, dict):
        services = [services]
    if not isinstance(services, list):
        raise ApiResponseError("Answer has a bad serviceSouscrit list")
    result = []
    for service in services:
        if not isinstance(service, dict):
            raise ApiResponseError("Answer has a bad service")
        prm = str(service.get("pointId") or "").strip()
        if not prm:
            raise ApiResponseError("Service without pointId")
        result.append(
            SubscribedService(
                prm=prm,
                service_code=str(service.get("serviceCode") or ""),
                status=service.get("etatCode"),
                start=_parse_date(service.get("dateDebut")),
                end=_parse_date(service.get("dateFin")),
                measure_type=service.get("mesuresTypeCode"),
                consumption=_as_bool(service.get("soutirage", True)),
                production=_as_bool(service.get("injection", False)),
            )
        )
    return tuple(result)


def consent_from_services(services: tuple[SubscribedService, ...]) -> Consent:
    """Summarise the services of one consent (one PRM per v2 consent)."""
    if not services:
        raise ApiResponseError("The consent covers no meter")
    active = [s for s in services if (s.status or "ACTIF").upper() == "ACTIF"] or list(services)
    prm = active[0].prm
    mine = [s for s in active if s.prm == prm]
    ends = [s.end for s in mine if s.end is not None]
    return Consent(
        prm=prm,
        end=max(ends) if ends else None,
        consumption=any(s.consumption for s in mine),
        production=any(s.production for s in mine),
        services=tuple(services),
    )


def _power_kva(value: Any) -> float | None:
    if isinstance(value, dict):
        unit = str(value.get("unit") or "kVA").lower()
        number = value.get("value")
    else:
        unit, number = "kva", value
    if isinstance(number, str):
        match = re.match(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*([a-zA-Z]*)", number)
        if match is None:
            return None
        number = float(match.group(1).replace(",", "."))
        unit = (match.group(2) or unit).lower()
    if not isinstance(number, int | float) or isinstance(number, bool):
        return None
    return float(number) / 1000.0 if unit == "va" else float(number)


# Supply contract of the consumption side (C5); a self-consumption point also has an injection
# contract (``Contrat GRD-A``, P4) without subscribed power (captures/med2026_situation_contrat_*).
SUPPLY_CONTRACT = "Contrat GRD-F"


def _find_contracts(data: Any) -> list[dict[str, Any]]:
    """Every contract of the answer: the dicts that carry a ``contract_type`` or a power.

    The real answer is a top-level JSON array of contract objects; older readings of the
    documentation nested them in an object, which is still accepted.
    """
    found: list[dict[str, Any]] = []
    if isinstance(data, dict):
        if "subscribed_power" in data or "contract_type" in data:
            found.append(data)
        for value in data.values():
            if isinstance(value, dict | list):
                found.extend(_find_contracts(value))
    elif isinstance(data, list):
        for value in data:
            found.extend(_find_contracts(value))
    return found


def _contract_rank(contract: dict[str, Any]) -> int:
    """0 for the consumption supply contract (GRD-F, C5), then any with a power, then others."""
    kind = str(contract.get("contract_type") or contract.get("libelle") or "").upper()
    segment = str(contract.get("segment") or "").upper()
    if "GRD-F" in kind:
        return 0
    if segment.startswith("C") or "C5" in json_text(contract).upper():
        return 1
    return 2 if contract.get("subscribed_power") is not None else 3


def parse_contract(data: Any) -> Contract:
    """Parse ``situation_contrat_auto/v1/{prm}``: the consumption supply (GRD-F) contract.

    The answer is an array of contracts (one; two for a self-consumption point, where the
    ``Contrat GRD-A`` injection contract has no subscribed power). An answer without any
    contract, or not JSON-shaped like one, raises :class:`ApiResponseError` (and nothing else).
    """
    if not isinstance(data, dict | list):
        raise ApiResponseError(f"Contract answer is a {type(data).__name__}")
    try:
        contracts = _find_contracts(data)
    except RecursionError as err:
        raise ApiResponseError("Contract answer nested too deeply") from err
    raw = data if isinstance(data, dict) else {"contracts": data}
    if not contracts:  # a shape we do not know: the caller treats it as a failed read
        raise ApiResponseError("Contract answer holds no contract")
    best = min(contracts, key=_contract_rank)  # stable: the first of the best rank
    tariff = best.get("distribution_tariff")
    if isinstance(tariff, dict):
        tariff = tariff.get("code") or tariff.get("value") or tariff.get("libelle")
    segment = best.get("segment")
    kind = best.get("contract_type")
    return Contract(
        subscribed_power_kva=_power_kva(best.get("subscribed_power")),
        distribution_tariff=str(tariff) if tariff is not None else None,
        segment=str(segment) if segment is not None else None,
        raw=raw,
        contract_type=str(kind) if kind is not None else None,
        contracts=len(contracts),
    )


def json_text(value: Any) -> str:
    """Join the string values of a JSON tree (to look for markers in a loose shape)."""
    if isinstance(value, dict):
        return " ".join(json_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(json_text(v) for v in value)
    return str(value) if isinstance(value, str) else ""
