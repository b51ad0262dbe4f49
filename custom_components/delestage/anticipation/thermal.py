"""A room as one thermal mass (1R1C): how fast it cools, how fast its heater warms it.

``dT/dt = (T_out − T) / τ + u · heating_rate + gain_rate``

* ``τ = R·C`` (h): the cooling time constant;
* ``heating_rate = P / C`` (K/h): what the heater adds at full power;
* ``gain_rate`` (K/h): free gains (people, appliances, sun) averaged over the day;
* ``u`` in [0, 1]: the heater's share of time on (a thermostat regulating at its set point
  runs at the share that holds it).

Over a step with constant inputs the solution is exact:
``T → T_eq + (T − T_eq)·e^(−Δt/τ)`` with ``T_eq = T_out + (u·heating_rate + gain_rate)·τ``.
No Home Assistant import: the learning, the planner and the benchmark use the same physics.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import math
from typing import Final


@dataclass(frozen=True, slots=True)
class ThermalModel:
    """Parameters of a room: time constant (h), heating and free-gain rates (K/h)."""

    tau_h: float
    heating_rate: float
    gain_rate: float = 0.0

    def equilibrium(self, outdoor: float, duty: float = 0.0) -> float:
        """Temperature the room settles at with the heater on ``duty`` of the time."""
        return outdoor + (duty * self.heating_rate + self.gain_rate) * self.tau_h

    def step(self, temperature: float, outdoor: float, duty: float, hours: float) -> float:
        """Temperature after ``hours`` with constant outdoor temperature and duty."""
        settle = self.equilibrium(outdoor, duty)
        return settle + (temperature - settle) * math.exp(-hours / self.tau_h)

    def duty_to_reach(
        self, temperature: float, target: float, outdoor: float, hours: float
    ) -> float:
        """Heater share (0..1) that brings the room to ``target`` after ``hours``.

        What an ideal thermostat does: full power below its set point, just enough to hold it,
        nothing above it.
        """
        decay = math.exp(-hours / self.tau_h)
        needed_settle = (target - temperature * decay) / (1.0 - decay)
        duty = (needed_settle - outdoor - self.gain_rate * self.tau_h) / (
            self.heating_rate * self.tau_h
        )
        return min(1.0, max(0.0, duty))

    def coast_hours(self, start: float, floor: float, outdoor: float) -> float:
        """Hours the room, heater off, takes to cool from ``start`` to ``floor`` (inf: never)."""
        if start <= floor:
            return 0.0
        settle = self.equilibrium(outdoor)
        if floor <= settle:
            return math.inf
        return self.tau_h * math.log((start - settle) / (floor - settle))

    def heat_hours(self, start: float, target: float, outdoor: float) -> float:
        """Hours at full power from ``start`` to ``target`` (inf: the heater cannot get there)."""
        if start >= target:
            return 0.0
        settle = self.equilibrium(outdoor, 1.0)
        if target >= settle:
            return math.inf
        return self.tau_h * math.log((settle - start) / (settle - target))


# Until a room has enough history, plans use this model. It is on the cautious side: a room
# that cools fast (τ of a poorly insulated room, reference/anticipation.md §3) so a coast is
# never promised where it would fail, no free gains, and a heater of the low end of the
# usual rates (inertia radiator 1-2 K/h, convector 2-3 K/h) so pre-heats start early enough.
DEFAULT_MODEL: Final = ThermalModel(tau_h=12.0, heating_rate=2.5, gain_rate=0.0)


class Outdoor:
    """Outdoor temperature over time: linear between known points, flat beyond them."""

    __slots__ = ("_seconds", "_values")

    def __init__(self, points: Iterable[tuple[datetime, float]]) -> None:
        """Take ``(aware time, °C)`` points in any order; non-finite values are skipped."""
        ordered = sorted(
            (moment.timestamp(), value) for moment, value in points if math.isfinite(value)
        )
        if not ordered:
            raise ValueError("no outdoor temperature")
        self._seconds = [second for second, _ in ordered]
        self._values = [value for _, value in ordered]

    @classmethod
    def constant(cls, value: float) -> Outdoor:
        """Return the same temperature at every time (an observation without forecast)."""
        return cls([(datetime(2000, 1, 1, tzinfo=UTC), value)])

    def at(self, moment: datetime) -> float:
        """Temperature at a time (the nearest known value outside the known range)."""
        return self.at_seconds(moment.timestamp())

    def at_seconds(self, second: float) -> float:
        """Temperature at a POSIX time."""
        index = bisect_right(self._seconds, second)
        if index == 0:
            return self._values[0]
        if index == len(self._seconds):
            return self._values[-1]
        left, right = self._seconds[index - 1], self._seconds[index]
        share = (second - left) / (right - left)
        return self._values[index - 1] + share * (self._values[index] - self._values[index - 1])

    def covers(self, second: float, max_gap: timedelta) -> bool:
        """Whether a known point lies within ``max_gap`` on each side of a POSIX time."""
        gap = max_gap.total_seconds()
        index = bisect_right(self._seconds, second)
        before = index > 0 and second - self._seconds[index - 1] <= gap
        after = index < len(self._seconds) and self._seconds[index] - second <= gap
        exact = index > 0 and self._seconds[index - 1] == second
        return exact or (before and after)
