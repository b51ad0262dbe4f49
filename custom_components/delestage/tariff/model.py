"""Tariff periods of a Linky meter: off-peak ranges, Tempo days, per-hour parts and cost.

Pure Python (no Home Assistant import): the HA side (``manager.py``) feeds it readings,
Tempo colours and prices, and writes what it returns into the recorder.

How consumption is split:
- Readings (load-curve points of 10/15/30/60 min, or hours spread from a daily value) are first
  put on a **half-hour grid** (UTC epoch of each half-hour start → Wh, pro rata when a reading
  straddles a half-hour). French offsets are whole hours, so a UTC half-hour is a local one,
  DST days included (46 or 50 half-hours).
- Each half-hour is classified by its **local wall-clock** minutes against the off-peak ranges;
  a range boundary inside a half-hour (e.g. 01:15) splits it pro rata, one on :00/:30 (01:30,
  12:30) splits the curve exactly. On the night of the autumn change both 02:00–03:00 local
  hours are classified by their wall time (off-peak relays follow legal time).
- A **Tempo day runs 06:00 → 06:00** Paris time: 06:00 is an hour boundary, so a half-hour has
  one colour; the night after a red day (22:00 → 06:00) is red HC.
- Per hour, the parts add up to the hour's total: the last part is ``total − the others``, so
  ``_consumption_hp + _consumption_hc == _consumption`` for every hour, to the Wh.

Cost of an hour = Σ part kWh × price of its period at that hour + the subscription's share of
the hour (€/month ÷ hours of that local month: 743, 744 or 745).

``TariffLedger.results`` are the results as WRITTEN to the statistics (the sensors show them):
a computation is committed only once its write succeeded, and an hour that cannot be
computed any more (its colour or a price went missing) keeps the cost and the series it had
written, since the statistics keep them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
import re

from ..api.enedis_models import PARIS

HALF_HOUR = 1800
HOUR = 3600
DAY_MINUTES = 1440
TEMPO_DAY_START = timedelta(hours=6)
# Tempo's off-peak hours are the same for every customer (22:00 → 06:00).
TEMPO_OFFPEAK = "HC (22H00-6H00)"
# Half-hours that differ by less (Wh) are the same reading (the Store keeps 4 decimals).
WH_TOLERANCE = 1e-3


class TariffOption(StrEnum):
    """The user's supply offer."""

    BASE = "base"
    HP_HC = "hp_hc"
    TEMPO = "tempo"


class Period(StrEnum):
    """Peak (heures pleines) or off-peak (heures creuses)."""

    HP = "hp"
    HC = "hc"


class TempoColor(StrEnum):
    """Colour of a Tempo day (RTE's ``BLUE``/``WHITE``/``RED``, lower case)."""

    BLUE = "blue"
    WHITE = "white"
    RED = "red"


# Statistic suffixes (DESIGN §2): delestage:linky_<prm>_<suffix>.
HP_HC_SERIES: tuple[str, ...] = ("consumption_hp", "consumption_hc")
TEMPO_SERIES: tuple[str, ...] = tuple(f"{c.value}_{p.value}" for c in TempoColor for p in Period)
COST_SERIES = "cost"
# Price keys per option (the period of each price).
PRICE_KEYS: dict[TariffOption, tuple[str, ...]] = {
    TariffOption.BASE: ("base",),
    TariffOption.HP_HC: ("hp", "hc"),
    TariffOption.TEMPO: TEMPO_SERIES,
}


def part_series(option: TariffOption) -> tuple[str, ...]:
    """Energy series written for an option (Tempo also gets the HP/HC totals)."""
    if option is TariffOption.HP_HC:
        return HP_HC_SERIES
    if option is TariffOption.TEMPO:
        return HP_HC_SERIES + TEMPO_SERIES
    return ()


# --------------------------------------------------------------------------- off-peak ranges


@dataclass(frozen=True, slots=True, order=True)
class OffPeakRange:
    """One off-peak range in local minutes since midnight; ``end < start`` wraps midnight."""

    start: int
    end: int

    def __str__(self) -> str:
        """``22:00-06:00``."""
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# "22H00-6H00", "22h-6h", "1h30 - 7h30", "22:00–06:00", "de 12h30 à 14h30"…
_RANGE = re.compile(
    r"(\d{1,2})\s*(?:[hH:]\s*(\d{1,2})?)\s*(?:-|–|—|à|a|to|au)\s*(\d{1,2})\s*(?:[hH:]\s*(\d{1,2})?)?",
    re.IGNORECASE,
)


def _minutes(hours: str, minutes: str | None) -> int | None:
    h, m = int(hours), int(minutes or 0)
    if h > 24 or m > 59 or (h == 24 and m):
        return None
    return (h * 60 + m) % DAY_MINUTES


def parse_offpeak(text: str | None) -> tuple[OffPeakRange, ...]:
    """Parse the meter's ``plageHeuresCreuses`` (or a user's text) into ranges.

    Liberal: any number of ranges, any separator between them (``;``, ``,``, spaces), ``H``,
    ``h`` or ``:``, optional minutes and spaces. Empty ranges (start = end) are dropped.
    """
    if not text:
        return ()
    ranges: list[OffPeakRange] = []
    for match in _RANGE.finditer(text):
        start = _minutes(match.group(1), match.group(2))
        end = _minutes(match.group(3), match.group(4))
        if start is None or end is None or start == end:
            continue
        if (candidate := OffPeakRange(start, end)) not in ranges:
            ranges.append(candidate)
    return tuple(sorted(ranges))


class OffPeakSource(StrEnum):
    """Where the off-peak ranges in effect come from (the period sensor's ``source``)."""

    METER = "meter"  # the meter's own schedule (Data Connect ``comptage_auto``)
    TARIFF = "tariff"  # typed in the tariff options
    TEMPO = "tempo"  # Tempo's 22:00 → 06:00, the same for every Tempo customer


def offpeak_ranges(
    option: TariffOption, typed: str | None, meter: str | None
) -> tuple[tuple[OffPeakRange, ...], OffPeakSource | None]:
    """Return the ranges in effect and their source: typed, else the meter's, else Tempo's.

    Typed ranges belong to an HP/HC or Tempo tariff (a base tariff has none: ranges typed for
    an earlier option are not shown). Typed ranges that are exactly Tempo's, with the Tempo
    option, are Tempo's (the options form proposes them when the meter's are unknown, e.g.
    behind a gateway).
    """
    tempo = parse_offpeak(TEMPO_OFFPEAK)
    if option is not TariffOption.BASE and (ranges := parse_offpeak(typed)):
        tempo_hours = option is TariffOption.TEMPO and ranges == tempo
        return ranges, OffPeakSource.TEMPO if tempo_hours else OffPeakSource.TARIFF
    if ranges := parse_offpeak(meter):
        return ranges, OffPeakSource.METER
    if option is TariffOption.TEMPO:
        return tempo, OffPeakSource.TEMPO
    return (), None


def format_offpeak(ranges: Iterable[OffPeakRange]) -> str:
    """``22:00-06:00; 12:30-14:30`` (parses back to the same ranges)."""
    return "; ".join(str(r) for r in ranges)


def _offpeak_segments(ranges: Iterable[OffPeakRange]) -> tuple[tuple[int, int], ...]:
    """Off-peak minutes as ``[a, b[`` segments over two days (a half-hour may cross midnight)."""
    base: list[tuple[int, int]] = []
    for r in ranges:
        if r.end > r.start:
            base.append((r.start, r.end))
        else:
            base.extend(((r.start, DAY_MINUTES), (0, r.end)))
    return tuple((a + shift, b + shift) for shift in (0, DAY_MINUTES) for a, b in base)


def offpeak_share(segments: tuple[tuple[int, int], ...], start_minute: int, length: int) -> float:
    """Share (0..1) of ``[start_minute, start_minute + length[`` that is off-peak."""
    end = start_minute + length
    covered = 0
    for a, b in segments:
        if b > start_minute and a < end:
            covered += min(b, end) - max(a, start_minute)
    return min(1.0, covered / length)


def period_at(ranges: Iterable[OffPeakRange], moment: datetime) -> Period:
    """Period in effect at an aware instant."""
    local = moment.astimezone(PARIS)
    minute = local.hour * 60 + local.minute
    return Period.HC if offpeak_share(_offpeak_segments(ranges), minute, 1) else Period.HP


def next_period_change(ranges: Iterable[OffPeakRange], moment: datetime) -> datetime | None:
    """Next instant after ``moment`` where the period changes (None without ranges)."""
    ranges = tuple(ranges)
    if not ranges:
        return None
    local = moment.astimezone(PARIS)
    day = local.date()
    marks = sorted({m for r in ranges for m in (r.start, r.end)})
    for offset in range(3):
        current = day + timedelta(days=offset)
        for minute in marks:
            candidate = datetime(
                current.year, current.month, current.day, minute // 60, minute % 60, tzinfo=PARIS
            )
            if candidate.astimezone(UTC) > moment.astimezone(UTC):
                return candidate.astimezone(UTC)
    return None  # pragma: no cover - a mark exists every day


def tempo_day(moment: datetime) -> date:
    """Return the Tempo day of an instant (06:00 → 06:00 Paris)."""
    return (moment.astimezone(PARIS) - TEMPO_DAY_START).date()


# --------------------------------------------------------------------------- half-hour grid


def to_halfhours(intervals: Iterable[tuple[datetime, datetime, float]]) -> dict[int, float]:
    """Put ``(start, end, Wh)`` readings on the UTC half-hour grid (epoch → Wh), pro rata."""
    grid: dict[int, float] = {}
    for start, end, wh in intervals:
        t0, t1 = start.timestamp(), end.timestamp()
        length = t1 - t0
        if length <= 0:
            continue
        slot = int(t0 // HALF_HOUR) * HALF_HOUR
        if slot == t0 and t1 - t0 == HALF_HOUR:  # the usual 30-min curve point: no arithmetic
            grid[slot] = grid.get(slot, 0.0) + wh
            continue
        while slot < t1:
            overlap = min(t1, slot + HALF_HOUR) - max(t0, slot)
            if overlap > 0:
                grid[slot] = grid.get(slot, 0.0) + wh * overlap / length
            slot += HALF_HOUR
    return grid


# --------------------------------------------------------------------------- per-hour results


@dataclass(frozen=True, slots=True)
class HourResult:
    """One hour: the parts (series suffix → Wh) and the cost (€).

    ``complete`` is False while the hour waits for its Tempo colour (only the HP/HC parts are
    known) or for a price (no cost yet). Two results are equal when they write the same values.
    """

    parts: Mapping[str, float]
    cost: float | None
    complete: bool = field(default=True, compare=False)


@dataclass(frozen=True, slots=True)
class TariffConfig:
    """What the user chose: the option, the off-peak ranges, prices, subscription (€/month)."""

    option: TariffOption = TariffOption.BASE
    ranges: tuple[OffPeakRange, ...] = ()
    # price key (PRICE_KEYS) → fixed €/kWh, or an entity id whose value is looked up per hour.
    prices: Mapping[str, float | str] = field(default_factory=dict)
    subscription: float = 0.0
    # Earlier off-peak schedules of the meter: ``(until, ranges)``, oldest first; hours before
    # ``until`` (epoch) used those ranges (Enedis moves off-peak hours of many meters).
    earlier: tuple[tuple[int, tuple[OffPeakRange, ...]], ...] = ()

    def fingerprint(self) -> str:
        """Stable text of the whole configuration (a change recomputes every hour)."""
        prices = ",".join(f"{k}={v}" for k, v in sorted(self.prices.items()))
        earlier = ",".join(f"{until}:{format_offpeak(r)}" for until, r in self.earlier)
        return f"{self.option}|{format_offpeak(self.ranges)}|{prices}|{self.subscription}|{earlier}"

    def ranges_at(self, epoch: int) -> tuple[OffPeakRange, ...]:
        """Return the off-peak ranges in effect at ``epoch``."""
        for until, ranges in self.earlier:
            if epoch < until:
                return ranges
        return self.ranges


# price key, hour epoch → €/kWh, or None when not known (the hour waits).
PriceLookup = Callable[[str, int], float | None]


def hours_in_local_month(epoch: int) -> int:
    """Hours of the Paris month that contains the hour (743, 744 or 745 in DST months)."""
    local = datetime.fromtimestamp(epoch, PARIS)
    first = datetime(local.year, local.month, 1, tzinfo=PARIS)
    nxt = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=PARIS)
    return round((nxt.timestamp() - first.timestamp()) / HOUR)


@dataclass(frozen=True, slots=True)
class Computation:
    """What :meth:`TariffLedger.prepare` found: hours to write, hours settled once written."""

    changed: dict[int, HourResult]
    settled: frozenset[int]


class TariffLedger:
    """Half-hour consumption, Tempo colours and the written results, per hour; incremental.

    ``dirty`` holds the hours to (re)compute: those whose half-hours changed, whose Tempo day
    got a colour, whose price changed; a configuration change makes every hour dirty. An hour
    that cannot be computed yet (its colour or a price is unknown) stays dirty.
    """

    def __init__(self, config: TariffConfig | None = None) -> None:
        """Start empty."""
        self.config = config or TariffConfig()
        self.halfhours: dict[int, float] = {}
        self.colors: dict[date, TempoColor] = {}
        self.results: dict[int, HourResult] = {}
        self.dirty: set[int] = set()
        self._schedule = _schedule(self.config)
        self._month_hours: dict[tuple[int, int], int] = {}

    # ------------------------------------------------------------------ inputs

    def set_config(self, config: TariffConfig) -> bool:
        """Apply a configuration; every hour is recomputed when it changed."""
        if config.fingerprint() == self.config.fingerprint():
            return False
        self.config = config
        self._schedule = _schedule(config)
        self.dirty.update(self.hours())
        return True

    def restore_config(self, config: TariffConfig) -> None:
        """Apply the configuration the stored hours were computed with (nothing is dirty)."""
        self.config = config
        self._schedule = _schedule(config)

    def hours(self) -> set[int]:
        """Every hour that has consumption."""
        return {slot - slot % HOUR for slot in self.halfhours}

    def add_halfhours(self, grid: Mapping[int, float]) -> int:
        """Merge half-hours (replacing those of the same slot); returns how many changed."""
        changed = 0
        halfhours = self.halfhours
        for slot, wh in grid.items():
            old = halfhours.get(slot)
            if old is None or abs(old - wh) > WH_TOLERANCE:
                halfhours[slot] = wh
                self.dirty.add(slot - slot % HOUR)
                changed += 1
        return changed

    def set_colors(self, colors: Mapping[date, TempoColor | str]) -> int:
        """Record Tempo colours; hours of a day whose colour is new or changed become dirty."""
        days: set[date] = set()
        for day, value in colors.items():
            color = TempoColor(str(value).lower())
            if self.colors.get(day) is not color:
                self.colors[day] = color
                days.add(day)
        if days and self.config.option is TariffOption.TEMPO:
            self.dirty.update(h for h in self.hours() if tempo_day(_utc(h)) in days)
        return len(days)

    def invalidate_from(self, epoch: float) -> None:
        """Recompute the hours from ``epoch`` on (a price entity changed then)."""
        start = int(epoch // HOUR) * HOUR
        self.dirty.update(h for h in self.hours() if h >= start)

    def missing_colors(self) -> set[date]:
        """Tempo days of dirty hours whose colour is not known."""
        if self.config.option is not TariffOption.TEMPO:
            return set()
        return {d for h in self.dirty if (d := tempo_day(_utc(h))) not in self.colors}

    # ------------------------------------------------------------------ computation

    def split_hour(self, hour: int) -> tuple[float, float, float]:
        """(total, hp, hc) Wh of one hour; ``hp + hc == total`` exactly."""
        total = hc = 0.0
        for until, segments in self._schedule:  # noqa: B007 - the last one is until ∞
            if hour < until:
                break
        for slot in (hour, hour + HALF_HOUR):
            wh = self.halfhours.get(slot)
            if wh is None:
                continue
            total += wh
            if segments:
                local = datetime.fromtimestamp(slot, PARIS)
                hc += wh * offpeak_share(segments, local.hour * 60 + local.minute, 30)
        return total, total - hc, hc

    def prepare(self, price: PriceLookup) -> Computation:
        """Compute the dirty hours; nothing changes before :meth:`commit` (after the write).

        Returns the hours whose result differs from the written one. An hour that cannot be
        computed (colour or price unknown) keeps what it had written: its cost and the series
        the new result lacks (its HP/HC parts are written, they are known).
        """
        changed: dict[int, HourResult] = {}
        settled: set[int] = set()
        option = self.config.option
        series = part_series(option)
        for hour in sorted(self.dirty):
            result = self._compute_hour(hour, option, price)
            if result.complete:
                settled.add(hour)
            elif (written := self.results.get(hour)) is not None:
                result = HourResult(
                    {**{k: v for k, v in written.parts.items() if k in series}, **result.parts},
                    written.cost if result.cost is None else result.cost,
                    complete=False,
                )
            if self.results.get(hour) != result:
                changed[hour] = result
        return Computation(changed, frozenset(settled))

    def commit(self, computation: Computation) -> None:
        """Record a computation whose results were written."""
        self.results.update(computation.changed)
        self.dirty.difference_update(computation.settled)

    def compute(self, price: PriceLookup) -> dict[int, HourResult]:
        """Prepare and commit at once (no statistics to write); returns the changed hours."""
        computation = self.prepare(price)
        self.commit(computation)
        return computation.changed

    def restore_results(self, written: Mapping[int, HourResult]) -> int:
        """Take results read back from the statistics for hours without one; returns how many."""
        added = 0
        for hour, result in written.items():
            if hour not in self.results:
                self.results[hour] = result
                added += 1
        return added

    def _compute_hour(self, hour: int, option: TariffOption, price: PriceLookup) -> HourResult:
        total, hp, hc = self.split_hour(hour)
        if option is TariffOption.BASE:
            parts: dict[str, float] = {}
            priced = {"base": total}
        else:
            parts = {"consumption_hp": hp, "consumption_hc": hc}
            if option is TariffOption.TEMPO:
                if (color := self.colors.get(tempo_day(_utc(hour)))) is None:
                    return HourResult(parts, None, complete=False)
                for series in TEMPO_SERIES:
                    parts[series] = 0.0
                parts[f"{color}_hp"], parts[f"{color}_hc"] = hp, hc
                priced = {f"{color}_hp": hp, f"{color}_hc": hc}
            else:
                priced = {"hp": hp, "hc": hc}
        cost = self.subscription_share(hour)
        for key, wh in priced.items():
            if (value := price(key, hour)) is None:
                return HourResult(parts, None, complete=False)
            cost += wh / 1000.0 * value
        return HourResult(parts, cost)

    def subscription_share(self, hour: int) -> float:
        """Return the subscription's share of one hour (€)."""
        if not self.config.subscription:
            return 0.0
        local = datetime.fromtimestamp(hour, PARIS)
        key = (local.year, local.month)
        if (hours := self._month_hours.get(key)) is None:
            hours = self._month_hours[key] = hours_in_local_month(hour)
        return self.config.subscription / hours

    # ------------------------------------------------------------------ totals

    def totals(self, start: datetime, end: datetime) -> tuple[dict[str, float], float, int]:
        """Σ parts (Wh), Σ cost (€) and the number of priced hours in ``[start, end[``."""
        t0, t1 = int(start.timestamp()), int(end.timestamp())
        parts: dict[str, float] = {}
        cost = 0.0
        count = 0
        results = self.results
        # Walk the window's hours (a month: 744 look-ups), not every result of the history.
        for hour in range(t0 - t0 % HOUR, t1, HOUR):
            if hour >= t0 and (result := results.get(hour)) is not None and result.cost is not None:
                count += 1
                cost += result.cost
                for key, wh in result.parts.items():
                    parts[key] = parts.get(key, 0.0) + wh
        return parts, cost, count


def _schedule(config: TariffConfig) -> list[tuple[float, tuple[tuple[int, int], ...]]]:
    """Off-peak segments per period: ``(until, segments)``, the current ones last (until ∞)."""
    schedule: list[tuple[float, tuple[tuple[int, int], ...]]] = [
        (until, _offpeak_segments(ranges)) for until, ranges in config.earlier
    ]
    schedule.append((float("inf"), _offpeak_segments(config.ranges)))
    return schedule


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


# --------------------------------------------------------------------------- persistence


def pack_halfhours(grid: Mapping[int, float]) -> list[list[object]]:
    """Compact runs ``[first_slot, [Wh, Wh, …]]`` of consecutive half-hours (for the Store)."""
    runs: list[list[object]] = []
    current: list[float] = []
    start = previous = None
    for slot in sorted(grid):
        if previous is None or slot != previous + HALF_HOUR:
            if current:
                runs.append([start, current])
            start, current = slot, []
        current.append(round(grid[slot], 4))
        previous = slot
    if current:
        runs.append([start, current])
    return runs


def unpack_halfhours(runs: object) -> dict[int, float]:
    """Inverse of :func:`pack_halfhours`; broken content is skipped."""
    grid: dict[int, float] = {}
    if not isinstance(runs, list):
        return grid
    for run in runs:
        if (
            isinstance(run, list)
            and len(run) == 2
            and isinstance(run[0], int)
            and isinstance(run[1], list)
        ):
            for index, wh in enumerate(run[1]):
                if isinstance(wh, int | float):
                    grid[run[0] + index * HALF_HOUR] = float(wh)
    return grid
