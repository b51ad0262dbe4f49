"""A room's thermal model learned from its thermostat's own history (no Home Assistant).

Input: the thermostat's recorded states (time, current temperature, heater on or not, from
``hvac_action``) and the outdoor temperature. Home Assistant writes a row whenever the state
or an attribute changes, so between two rows the heater state held and the displayed
temperature stayed the same.

Method:

1. **Chunks.** Consecutive rows with a usable temperature, a known heater state, no gap over
   :data:`MAX_GAP` and a known outdoor temperature form chunks of at most :data:`CHUNK_HOURS`.
   An unavailable row, a heater state that cannot be read (``hvac_action`` missing, cooling)
   or a recorder gap ends a chunk: nothing is guessed across it.
2. **Fit.** For a candidate τ, each chunk is predicted from its first reading with the exact
   1R1C steps (``thermal``); the prediction is linear in the heating and free-gain rates, so
   least squares give them directly, and the τ with the smallest squared error is found on a
   log grid refined by golden section (variable projection).
3. **Robust.** Chunks the model explains far worse than the others (a window opened, sun on
   the thermostat, a plug-in heater) are dropped and the fit is done again once.
4. **Checks.** Days of usable history (:data:`MIN_DAYS`), heating and cooling both seen,
   plausible parameters, fit error. Until all pass, plans use :data:`~.thermal.DEFAULT_MODEL`
   and say "not learned yet" (the fitted values are still reported).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise
import math
from statistics import median
from typing import Final

from .thermal import DEFAULT_MODEL, Outdoor, ThermalModel

MIN_DAYS: Final = 7.0
MAX_GAP: Final = timedelta(hours=3)
# Short chunks: over longer ones the free gains that change over the day (people, sun) pile
# up in the open-loop prediction and bias the rates (measured on the simulator: 1 h chunks
# learn τ within ±15 %, 2.5 h chunks miss fast rooms by +60 % when the set point never moves).
CHUNK_HOURS: Final = 1.0
MIN_CHUNK_HOURS: Final = 0.5
# Consecutive intervals with the same heater state are merged up to this length (h): the
# prediction at the end of a merged interval is the same; only the flicker of a reading
# between two tenths is left out, which makes the fit several times faster.
MERGE_HOURS: Final = 1.0 / 6.0
# Readings outside this range are a broken sensor, not a room.
PLAUSIBLE_INDOOR: Final = (-10.0, 45.0)
# Heating and cooling both need to be seen for the rates to be told apart (hours).
MIN_HEATING_HOURS: Final = 1.0
MIN_COOLING_HOURS: Final = 3.0
# Search range of τ (h) and the range a room can really have.
TAU_SEARCH: Final = (1.0, 1000.0)
TAU_PLAUSIBLE: Final = (2.0, 400.0)
# A heater warms a room at more than this (K/h at full power) and by at least MIN_RISE (K).
MIN_HEATING_RATE: Final = 0.05
MAX_HEATING_RATE: Final = 30.0
MIN_RISE: Final = 5.0
# Free gains raise a room by at most this (K) above the outdoor temperature (gain_rate · τ).
GAIN_RISE: Final = (-3.0, 15.0)
# A model whose predictions miss by more than this (K, root mean square) is not used. The
# simulated rooms fit within 0.08-0.16 K; a sensor with 0.2 K of noise reaches 0.33 K and its
# τ is then 30 % off.
MAX_RMSE: Final = 0.3
# A chunk is an outlier when it misses by this many times the median chunk, and at least by
# OUTLIER_MIN_K; more than MAX_DROPPED of the chunks dropped means the data is not a room.
OUTLIER_FACTOR: Final = 3.0
OUTLIER_MIN_K: Final = 0.15
MAX_DROPPED: Final = 0.3

_GRID_POINTS: Final = 24
_GOLDEN_STEPS: Final = 16  # the bracket (two grid steps) shrinks to 0.05 % of τ
_INV_PHI: Final = (math.sqrt(5.0) - 1.0) / 2.0


class FitStatus(StrEnum):
    """Whether the model was learned, else why not."""

    LEARNED = "learned"
    NOT_ENOUGH_HISTORY = "not_enough_history"
    NO_HEATING_SEEN = "no_heating_seen"
    NO_COOLING_SEEN = "no_cooling_seen"
    POOR_FIT = "poor_fit"
    IMPLAUSIBLE = "implausible"


@dataclass(frozen=True, slots=True)
class RoomSample:
    """One recorded state of a thermostat (``temperature`` None: unavailable)."""

    at: datetime
    temperature: float | None
    heating: bool | None


@dataclass(frozen=True, slots=True)
class Fit:
    """The learned model of a room, its quality and the history it used."""

    status: FitStatus
    fitted: ThermalModel | None  # what the data gave, even when it is not used
    rmse_k: float | None = None
    days_used: float = 0.0
    samples_used: int = 0
    chunks_dropped: int = 0

    @property
    def learned(self) -> bool:
        """Whether plans use the fitted model."""
        return self.status is FitStatus.LEARNED

    @property
    def model(self) -> ThermalModel:
        """The model plans use: the fitted one once learned, else the cautious default."""
        if self.learned and self.fitted is not None:
            return self.fitted
        return DEFAULT_MODEL


def heating_state(hvac_action: str | None, hvac_mode: str | None = None) -> bool | None:
    """Whether the heater was on, from a climate entity's ``hvac_action`` (None: unknown)."""
    if hvac_action in ("heating", "preheating"):
        return True
    if hvac_action in ("idle", "off"):
        return False
    if hvac_action is None and hvac_mode == "off":
        return False
    return None  # no action reported, or cooling / fan / drying: not a heater's history


@dataclass(slots=True)
class _Chunk:
    """Consecutive intervals of a history.

    The first reading, then per interval its length, heater state, mean outdoor temperature
    and the reading at its end.
    """

    first: float
    hours: list[float] = field(default_factory=list)
    duty: list[float] = field(default_factory=list)
    outdoor: list[float] = field(default_factory=list)
    measured: list[float] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return sum(self.hours)


def _usable(sample: RoomSample) -> bool:
    low, high = PLAUSIBLE_INDOOR
    value = sample.temperature
    return value is not None and math.isfinite(value) and low <= value <= high


def _chunks(samples: Iterable[RoomSample], outdoor: Outdoor) -> list[_Chunk]:
    """Cut the history into chunks of trustworthy consecutive intervals."""
    rows = sorted(samples, key=lambda sample: sample.at)
    chunks: list[_Chunk] = []
    current: _Chunk | None = None

    def close() -> None:
        if current is not None and len(current.hours) >= 2 and current.duration >= MIN_CHUNK_HOURS:
            chunks.append(current)

    for previous, row in pairwise(rows):
        hours = (row.at - previous.at).total_seconds() / 3600.0
        if hours <= 0.0:
            continue
        middle = (previous.at.timestamp() + row.at.timestamp()) / 2.0
        if (
            not (_usable(previous) and _usable(row))
            or previous.heating is None
            or hours > MAX_GAP.total_seconds() / 3600.0
            or not outdoor.covers(middle, MAX_GAP)
        ):
            close()
            current = None
            continue
        assert previous.temperature is not None  # _usable
        assert row.temperature is not None
        if current is None:
            current = _Chunk(previous.temperature)
        duty = 1.0 if previous.heating else 0.0
        outside = outdoor.at_seconds(middle)
        if current.hours and current.duty[-1] == duty and current.hours[-1] + hours <= MERGE_HOURS:
            merged = current.hours[-1] + hours
            current.outdoor[-1] = (
                current.outdoor[-1] * current.hours[-1] + outside * hours
            ) / merged
            current.hours[-1] = merged
            current.measured[-1] = row.temperature
        else:
            current.hours.append(hours)
            current.duty.append(duty)
            current.outdoor.append(outside)
            current.measured.append(row.temperature)
        if current.duration >= CHUNK_HOURS:
            close()
            current = _Chunk(row.temperature)
    close()
    return chunks


@dataclass(slots=True)
class _Sums:
    """Normal equations of the heating and gain rates for one τ."""

    bb: float = 0.0
    bc: float = 0.0
    cc: float = 0.0
    by: float = 0.0
    cy: float = 0.0
    yy: float = 0.0
    count: int = 0


def _accumulate(chunk: _Chunk, tau: float, sums: _Sums) -> None:
    """Add a chunk's predictions: reading = A + B·heating_rate + C·gain_rate."""
    free = chunk.first  # A: the first reading decaying towards the outdoor temperature
    heater = 0.0  # B: the response to the heater
    gains = 0.0  # C: the response to a constant gain of 1 K/h
    bb = bc = cc = by = cy = yy = 0.0
    exp = math.exp
    for hours, duty, outside, measured in zip(
        chunk.hours, chunk.duty, chunk.outdoor, chunk.measured, strict=True
    ):
        decay = exp(-hours / tau)
        rise = (1.0 - decay) * tau
        free = free * decay + outside * (1.0 - decay)
        heater = heater * decay + duty * rise
        gains = gains * decay + rise
        target = measured - free
        bb += heater * heater
        bc += heater * gains
        cc += gains * gains
        by += heater * target
        cy += gains * target
        yy += target * target
    sums.bb += bb
    sums.bc += bc
    sums.cc += cc
    sums.by += by
    sums.cy += cy
    sums.yy += yy
    sums.count += len(chunk.hours)


def _solve(sums: _Sums) -> tuple[float, float, float] | None:
    """Heating rate, gain rate and squared error of the best fit (None: not identifiable)."""
    det = sums.bb * sums.cc - sums.bc * sums.bc
    if sums.count == 0 or det <= 1e-9 * max(sums.bb * sums.cc, 1e-12):
        return None
    rate = (sums.by * sums.cc - sums.cy * sums.bc) / det
    gain = (sums.cy * sums.bb - sums.by * sums.bc) / det
    error = sums.yy - 2.0 * (rate * sums.by + gain * sums.cy)
    error += rate * rate * sums.bb + 2.0 * rate * gain * sums.bc + gain * gain * sums.cc
    return rate, gain, max(error, 0.0)


def _error(chunks: Sequence[_Chunk], log_tau: float) -> float:
    sums = _Sums()
    for chunk in chunks:
        _accumulate(chunk, math.exp(log_tau), sums)
    solved = _solve(sums)
    return math.inf if solved is None else solved[2]


def _best_tau(chunks: Sequence[_Chunk]) -> float:
    """τ (h) with the smallest squared error: log grid, then golden section around the best."""
    low, high = (math.log(bound) for bound in TAU_SEARCH)
    grid = [low + (high - low) * i / (_GRID_POINTS - 1) for i in range(_GRID_POINTS)]
    errors = [_error(chunks, point) for point in grid]
    best = min(range(_GRID_POINTS), key=errors.__getitem__)
    left, right = grid[max(best - 1, 0)], grid[min(best + 1, _GRID_POINTS - 1)]
    inner_left = right - _INV_PHI * (right - left)
    inner_right = left + _INV_PHI * (right - left)
    error_left, error_right = _error(chunks, inner_left), _error(chunks, inner_right)
    for _ in range(_GOLDEN_STEPS):
        if error_left <= error_right:
            right, inner_right, error_right = inner_right, inner_left, error_left
            inner_left = right - _INV_PHI * (right - left)
            error_left = _error(chunks, inner_left)
        else:
            left, inner_left, error_left = inner_left, inner_right, error_right
            inner_right = left + _INV_PHI * (right - left)
            error_right = _error(chunks, inner_right)
    return math.exp((left + right) / 2.0)


def _fit(chunks: Sequence[_Chunk]) -> tuple[ThermalModel, float] | None:
    """Fit the model on these chunks; return it with its squared error."""
    tau = _best_tau(chunks)
    sums = _Sums()
    for chunk in chunks:
        _accumulate(chunk, tau, sums)
    solved = _solve(sums)
    if solved is None:
        return None
    rate, gain, error = solved
    return ThermalModel(tau_h=tau, heating_rate=rate, gain_rate=gain), error


def _chunk_rmse(chunk: _Chunk, model: ThermalModel) -> float:
    temperature = chunk.first
    total = 0.0
    for hours, duty, outside, measured in zip(
        chunk.hours, chunk.duty, chunk.outdoor, chunk.measured, strict=True
    ):
        temperature = model.step(temperature, outside, duty, hours)
        total += (temperature - measured) ** 2
    return math.sqrt(total / len(chunk.hours))


def _plausible(model: ThermalModel) -> bool:
    low_tau, high_tau = TAU_PLAUSIBLE
    low_gain, high_gain = GAIN_RISE
    return (
        low_tau <= model.tau_h <= high_tau
        and MIN_HEATING_RATE <= model.heating_rate <= MAX_HEATING_RATE
        and model.heating_rate * model.tau_h >= MIN_RISE
        and low_gain <= model.gain_rate * model.tau_h <= high_gain
    )


def learn(samples: Iterable[RoomSample], outdoor: Outdoor) -> Fit:
    """Learn a room's model from its thermostat's history and the outdoor temperature."""
    chunks = _chunks(samples, outdoor)
    if not chunks:
        return Fit(FitStatus.NOT_ENOUGH_HISTORY, None)
    heating = sum(h * d for chunk in chunks for h, d in zip(chunk.hours, chunk.duty, strict=True))
    cooling = sum(chunk.duration for chunk in chunks) - heating
    days = sum(chunk.duration for chunk in chunks) / 24.0
    if heating < MIN_HEATING_HOURS:
        return Fit(FitStatus.NO_HEATING_SEEN, None, days_used=days)
    if cooling < MIN_COOLING_HOURS:
        return Fit(FitStatus.NO_COOLING_SEEN, None, days_used=days)
    first = _fit(chunks)
    if first is None:
        return Fit(FitStatus.POOR_FIT, None, days_used=days)
    model, _ = first
    misses = [_chunk_rmse(chunk, model) for chunk in chunks]
    limit = max(OUTLIER_FACTOR * median(misses), OUTLIER_MIN_K)
    # At least half the chunks are kept: the limit is above the median miss.
    kept = [chunk for chunk, miss in zip(chunks, misses, strict=True) if miss <= limit]
    dropped = len(chunks) - len(kept)
    if dropped:
        first = _fit(kept) or first
    model, error = first
    count = sum(len(chunk.hours) for chunk in kept)
    days = sum(chunk.duration for chunk in kept) / 24.0
    rmse = math.sqrt(error / count)
    status = FitStatus.LEARNED
    if not _plausible(model):
        status = FitStatus.IMPLAUSIBLE
    elif rmse > MAX_RMSE or dropped > MAX_DROPPED * len(chunks):
        status = FitStatus.POOR_FIT
    elif days < MIN_DAYS:
        status = FitStatus.NOT_ENOUGH_HISTORY
    return Fit(status, model, rmse, days, count + len(kept), dropped)
