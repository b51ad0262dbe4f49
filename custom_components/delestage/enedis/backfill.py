"""Linky history back-fill (first set-up) and the daily refresh helpers.

Plan (fewest calls): daily values first, newest first, one call per 365 days back to 36 months;
then the load curve, newest first, one call per 7 days back to 24 months; the same again for
production when the meter produces. About 4 + 105 = 109 data calls for a consumption meter.

Each step is imported as soon as it is fetched (so nothing is lost), and the index of the next
step is saved in a :class:`~homeassistant.helpers.storage.Store` after every step: a restart
resumes where it stopped, with the same plan. A "before activation" / "beyond history" /
"before consent" answer narrows the step by halving (newer half first) to keep what exists, then
ends that series' back-fill. A "load curve not activated" answer ends the curve part (daily
values stay). A window Enedis refuses for good (HTTP 400 other than the history limits, e.g.
``invalid_request``) is recorded in ``refused`` and skipped, not asked again at every resume.
Transient errors (429, 5xx, network, a database that would not write) propagate after the
progress is saved; call :meth:`BackfillRunner.async_run` again later to resume.

Each day is written once, from its best readings (as the ``linky_import_history`` action does):
a daily step imports the days no later curve step covers, and keeps the others (in the Store);
each curve step imports its days from the curve, or from their daily value where the curve
does not cover the whole day (gaps, no answer). Writing those days first as their daily value
spread evenly, then again from the curve, showed flat days (and their flat off-peak split and
cost, issue 20) to whoever looked in between, a few seconds or, at a gateway's pace, hours. A
curve window that is skipped (curve not activated, before the curve's history, refused) imports
its daily values; so does a back-fill that pauses (quota, outage) for the curve windows it has
not fetched yet: the best known values meanwhile, the curve replaces them when it comes.

No hole at the end: the plan is made on its first day, and a back-fill that pauses (quota,
outage) can end days later, beyond the week each daily refresh re-reads. When it ends after
``CATCH_UP_AFTER`` days, the days from the plan's end to today are added as catch-up steps
(saved like the others), so the history meets the refresh's first day.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
import logging
import random
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from ..api.enedis import (
    MAX_CURVE_DAYS,
    MAX_DAILY_DAYS,
    PARIS,
    EnedisCurveNotActivatedError,
    EnedisHistoryLimitError,
    EnedisNoDataError,
    EnedisRateLimitedError,
    EnedisRequestError,
    EnedisWrongDirectionError,
)
from ..api.enedis_models import CurvePoint, DailyValue
from ..api.linky_client import LinkyClient
from ..const import DOMAIN
from .const import masked_prm
from .meter_lock import meter_writer
from .statistics import (
    EnergyKind,
    StatisticsNotWrittenError,
    async_import_readings,
    days_with_full_curve,
)

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION = 1
CURVE_MONTHS = 24
DAILY_MONTHS = 36
# A 429 asking to wait at most this long is waited out inside the run; longer ones propagate.
MAX_INLINE_WAIT = 120.0
MAX_INLINE_RETRIES = 3
# Enedis codes for "period too long" (reference §10).
RANGE_TOO_LONG = frozenset({"ADAM-DC-0015", "ADAM-ERR0126"})
# The daily refresh re-reads this many days (async_refresh_recent): a back-fill whose plan ends
# further back than that is extended to today.
CATCH_UP_AFTER = MAX_CURVE_DAYS


class StepKind(StrEnum):
    """What one back-fill step fetches."""

    DAILY = "daily"
    CURVE = "curve"
    PRODUCTION_DAILY = "production_daily"
    PRODUCTION_CURVE = "production_curve"

    @property
    def energy(self) -> EnergyKind:
        """The statistics series the step feeds."""
        return EnergyKind.PRODUCTION if self.startswith("production") else EnergyKind.CONSUMPTION

    @property
    def is_curve(self) -> bool:
        """Whether the step fetches a load curve."""
        return self in (StepKind.CURVE, StepKind.PRODUCTION_CURVE)

    @property
    def daily_kind(self) -> StepKind:
        """The daily step kind of the same series (a daily kind is its own)."""
        return next((d for d, c in _CURVE_OF.items() if c is self), self)

    @property
    def curve_kind(self) -> StepKind:
        """The curve step kind of the same series (a curve kind is its own)."""
        return _CURVE_OF.get(self, self)


_CURVE_OF = {
    StepKind.DAILY: StepKind.CURVE,
    StepKind.PRODUCTION_DAILY: StepKind.PRODUCTION_CURVE,
}


@dataclass(frozen=True, slots=True)
class BackfillStep:
    """One call (or, near a history limit, a few) of the back-fill: ``[start, end[``."""

    kind: StepKind
    start: date
    end: date


@dataclass(slots=True)
class BackfillProgress:
    """Where the back-fill stands; ``done``/``total`` count steps (for a sensor)."""

    done: int = 0
    total: int = 0
    data_calls: int = 0
    finished: bool = False
    current: BackfillStep | None = None
    curve_available: bool = True
    production_curve_available: bool = True
    oldest: dict[str, str] = field(default_factory=dict)  # step kind → oldest day with data
    # Windows Enedis refused for good: {"kind", "start", "end", "code"} (skipped).
    refused: list[dict[str, str | None]] = field(default_factory=list)

    @property
    def percent(self) -> int:
        """Completion in percent (100 when finished)."""
        if self.finished or not self.total:
            return 100
        return min(99, int(100 * self.done / self.total))

    def as_dict(self) -> dict[str, Any]:
        """For diagnostics and sensor attributes (no PRM)."""
        data = asdict(self)
        data["current"] = (
            None
            if self.current is None
            else {
                "kind": str(self.current.kind),
                "start": self.current.start.isoformat(),
                "end": self.current.end.isoformat(),
            }
        )
        data["percent"] = self.percent
        return data


def _day(value: DailyValue) -> date:
    return value.day


def months_before(day: date, months: int) -> date:
    """Return the same day ``months`` calendar months earlier (clamped to the month's end)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _windows(kind: StepKind, oldest: date, newest: date, days: int) -> list[BackfillStep]:
    """``[oldest, newest[`` cut into windows of at most ``days``, newest first."""
    steps = []
    end = newest
    while end > oldest:
        start = max(oldest, end - timedelta(days=days))
        steps.append(BackfillStep(kind, start, end))
        end = start
    return steps


def _series(*, production: bool, consumption: bool) -> list[tuple[StepKind, StepKind]]:
    """Return the (daily, curve) step kinds of the meter's series, consumption first."""
    kinds: list[tuple[StepKind, StepKind]] = []
    if consumption:
        kinds.append((StepKind.DAILY, StepKind.CURVE))
    if production:
        kinds.append((StepKind.PRODUCTION_DAILY, StepKind.PRODUCTION_CURVE))
    return kinds


def plan_backfill(
    today: date,
    *,
    production: bool = False,
    consumption: bool = True,
    curve_months: int = CURVE_MONTHS,
    daily_months: int = DAILY_MONTHS,
) -> list[BackfillStep]:
    """Return the back-fill steps up to ``today`` (exclusive: Enedis serves up to yesterday)."""
    steps: list[BackfillStep] = []
    for daily_kind, curve_kind in _series(production=production, consumption=consumption):
        steps += _windows(daily_kind, months_before(today, daily_months), today, MAX_DAILY_DAYS)
        steps += _windows(curve_kind, months_before(today, curve_months), today, MAX_CURVE_DAYS)
    return steps


def plan_catch_up(
    start: date, end: date, *, production: bool = False, consumption: bool = True
) -> list[BackfillStep]:
    """Return the steps of ``[start, end[``: the days after a plan whose run ended late."""
    steps: list[BackfillStep] = []
    for daily_kind, curve_kind in _series(production=production, consumption=consumption):
        steps += _windows(daily_kind, start, end, MAX_DAILY_DAYS)
        steps += _windows(curve_kind, start, end, MAX_CURVE_DAYS)
    return steps


def backfill_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the Store of one entry's back-fill progress (keyed by entry id, not PRM)."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.enedis_backfill.{entry_id}")


class BackfillRunner:
    """Runs (and resumes) the back-fill of one meter; progress saved in ``store``."""

    def __init__(
        self,
        hass: HomeAssistant,
        client: LinkyClient,
        prm: str,
        store: Store[dict[str, Any]],
        *,
        production: bool = False,
        consumption: bool = True,
        today: date | None = None,
        on_progress: Callable[[BackfillProgress], None] | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        """Prepare; nothing is fetched before :meth:`async_run`."""
        self._hass = hass
        self._client = client
        self._prm = prm
        self._meter = masked_prm(prm)  # every log line names the meter, masked
        self._store = store
        self._production = production
        self._consumption = consumption
        self._today = today
        self._on_progress = on_progress
        self._sleep = sleep
        self._steps: list[BackfillStep] = []
        self._daily: dict[str, dict[str, float]] = {}
        self._stopped: dict[str, str] = {}  # kind → first day with data (older ones skipped)
        self._skipped_kinds: set[str] = set()
        self._refused: list[dict[str, str | None]] = []
        self._catch_ups: list[tuple[date, date]] = []  # [start, end[ added after the plan
        self.progress = BackfillProgress()
        self._loaded = False
        self._lock = asyncio.Lock()

    async def async_load(self) -> BackfillProgress:
        """Read the saved progress, or plan a new back-fill; returns the progress."""
        if self._loaded:
            return self.progress
        saved = await self._store.async_load()
        restored = False
        if saved and saved.get("version") == STORAGE_VERSION:
            try:
                today = date.fromisoformat(saved["planned_on"])
                production = bool(saved.get("production", self._production))
                consumption = bool(saved.get("consumption", self._consumption))
                self._daily = {
                    str(k): {str(d): float(wh) for d, wh in v.items()}
                    for k, v in saved.get("daily", {}).items()
                }
                self._stopped = {str(k): str(v) for k, v in saved.get("stopped", {}).items()}
                self._skipped_kinds = {str(k) for k in saved.get("skipped_kinds", [])}
                self._refused = [dict(r) for r in saved.get("refused", [])]
                self._catch_ups = [
                    (date.fromisoformat(a), date.fromisoformat(b))
                    for a, b in saved.get("catch_ups", [])
                ]
                done = int(saved.get("done", 0))
                calls = int(saved.get("data_calls", 0))
                restored = True
            except KeyError, TypeError, ValueError, AttributeError:
                _LOGGER.warning(
                    "Linky %s history back-fill progress unreadable: starting again", self._meter
                )
                self._daily, self._stopped, self._skipped_kinds = {}, {}, set()
                self._refused, self._catch_ups = [], []
        if not restored:
            today = self._today or datetime.now(PARIS).date()
            production, consumption, done, calls = self._production, self._consumption, 0, 0
        self._planned_on = today
        self._production, self._consumption = production, consumption
        self._steps = plan_backfill(today, production=production, consumption=consumption)
        for start, end in self._catch_ups:
            self._steps += plan_catch_up(start, end, production=production, consumption=consumption)
        self.progress = BackfillProgress(
            done=min(done, len(self._steps)),
            total=len(self._steps),
            data_calls=calls,
            finished=done >= len(self._steps),
            curve_available=StepKind.CURVE not in self._skipped_kinds,
            production_curve_available=StepKind.PRODUCTION_CURVE not in self._skipped_kinds,
            oldest=dict(self._stopped),
            refused=list(self._refused),
        )
        self._loaded = True
        return self.progress

    @property
    def running(self) -> bool:
        """Whether a run is fetching and writing right now."""
        return self._lock.locked()

    async def async_run(self) -> BackfillProgress:
        """Fetch and import every remaining step; resumable. Raises transient/auth errors.

        Concurrent calls wait for each other (the second one finds the work done).
        """
        async with self._lock:
            return await self._async_run()

    async def _async_run(self) -> BackfillProgress:
        await self.async_load()
        if self.progress.finished and not self._catch_up():
            return self.progress
        # One info line when the back-fill starts and one when it ends; each step (and each
        # resume, up to a few a day at a gateway's budget) at debug level.
        _LOGGER.log(
            logging.INFO if self.progress.done == 0 else logging.DEBUG,
            "Linky %s history back-fill: %s at step %s/%s",
            self._meter,
            "starting" if self.progress.done == 0 else "resuming",
            self.progress.done + 1,
            len(self._steps),
        )
        while self.progress.done < len(self._steps):
            step = self._steps[self.progress.done]
            self.progress.current = step
            if self._skip(step):
                await self._async_import_daily_of(step)  # a curve window without curve
            else:
                _LOGGER.debug(
                    "Linky %s history back-fill: step %s/%s, %s %s → %s",
                    self._meter,
                    self.progress.done + 1,
                    len(self._steps),
                    step.kind,
                    step.start,
                    step.end,
                )
                try:
                    await self._async_run_step(step)
                except StatisticsNotWrittenError:
                    raise  # the database refused: importing more would fail too
                except Exception:
                    await self._async_import_waiting_days()
                    raise
            self.progress.done += 1
            if self.progress.done >= len(self._steps):
                self._catch_up()
            self.progress.finished = self.progress.done >= len(self._steps)
            await self._async_save()
            self._notify()
        self.progress.current = None
        _LOGGER.info(
            "Linky %s history back-fill finished after %s data calls",
            self._meter,
            self.progress.data_calls,
        )
        self._notify()
        return self.progress

    def _today_now(self) -> date:
        return self._today or datetime.now(PARIS).date()

    def _catch_up(self) -> bool:
        """Add steps for the days between the plan's end and today when the refresh misses them."""
        covered_to = self._catch_ups[-1][1] if self._catch_ups else self._planned_on
        today = self._today_now()
        if covered_to >= today - timedelta(days=CATCH_UP_AFTER):
            return False
        _LOGGER.info(
            "Linky %s history back-fill ended after the days the refresh reads: "
            "catching up from %s",
            self._meter,
            covered_to,
        )
        self._catch_ups.append((covered_to, today))
        self._steps += plan_catch_up(
            covered_to, today, production=self._production, consumption=self._consumption
        )
        self.progress.total = len(self._steps)
        self.progress.finished = False
        return True

    def _skip(self, step: BackfillStep) -> bool:
        if step.kind in self._skipped_kinds:
            return True
        stopped = self._stopped.get(step.kind)
        return stopped is not None and step.end <= date.fromisoformat(stopped)

    def _notify(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self.progress)

    async def _async_save(self) -> None:
        await self._store.async_save(
            {
                "version": STORAGE_VERSION,
                "planned_on": self._planned_on.isoformat(),
                "production": self._production,
                "consumption": self._consumption,
                "done": self.progress.done,
                "data_calls": self.progress.data_calls,
                "daily": self._daily,
                "stopped": self._stopped,
                "skipped_kinds": sorted(self._skipped_kinds),
                "refused": self._refused,
                "catch_ups": [[a.isoformat(), b.isoformat()] for a, b in self._catch_ups],
            }
        )

    # ------------------------------------------------------------------ one step

    async def _async_run_step(self, step: BackfillStep) -> None:
        start = step.start
        if (stopped := self._stopped.get(step.kind)) is not None:
            start = max(start, date.fromisoformat(stopped))  # e.g. activation found by daily
        try:
            curve, daily = await self._async_fetch(step, start, step.end)
        except EnedisCurveNotActivatedError:
            _LOGGER.warning(
                "Linky %s load curve is not activated: importing daily values only", self._meter
            )
            self._skip_kind(step.kind)
            await self._async_import_daily_of(step)
            return
        except EnedisWrongDirectionError:
            _LOGGER.info("Linky %s has no %s data: skipping that series", self._meter, step.kind)
            self._skip_kind(step.kind)
            return
        except EnedisRequestError as err:
            # Refused for good (400, not a history limit): asking again every 30 min would
            # never work. Recorded (diagnostics, sensor attributes) and skipped.
            _LOGGER.warning(
                "Linky %s history back-fill: Enedis refuses %s %s → %s (%s); skipping that window",
                self._meter,
                step.kind,
                start,
                step.end,
                err.code or "HTTP 400",
            )
            refusal: dict[str, str | None] = {
                "kind": str(step.kind),
                "start": start.isoformat(),
                "end": step.end.isoformat(),
                "code": err.code,
            }
            self._refused.append(refusal)
            self.progress.refused.append(refusal)
            await self._async_import_daily_of(step)
            return
        if step.kind.is_curve:
            # The curve where it covers a whole day, the day's daily value elsewhere.
            full = days_with_full_curve(curve)
            values = [v for v in self._known_daily(step) if v.day not in full]
            await self._async_import(step, curve=curve, daily=values)
        else:
            self._daily.setdefault(str(step.kind), {}).update(
                {value.day.isoformat(): value.wh for value in daily}
            )
            # Days a later curve step covers are written by it, once, from their best readings.
            later = self._curve_days_after(self.progress.done, step.kind.curve_kind)
            await self._async_import(step, daily=[v for v in daily if v.day not in later])

    async def _async_import(
        self,
        step: BackfillStep,
        *,
        curve: list[CurvePoint] | None = None,
        daily: list[DailyValue] | None = None,
    ) -> None:
        if not curve and not daily:
            return
        async with meter_writer(self._hass, self._prm):
            await async_import_readings(
                self._hass, self._prm, step.kind.energy, curve=curve or (), daily=daily or ()
            )

    def _known_daily(self, step: BackfillStep) -> list[DailyValue]:
        """Return the daily values fetched so far for the days of the step's window."""
        first = step.start.isoformat()
        end = step.end.isoformat()
        known = self._daily.get(str(step.kind.daily_kind), {})
        return [
            DailyValue(date.fromisoformat(day), wh)
            for day, wh in sorted(known.items())
            if first <= day < end
        ]

    def _curve_days_after(self, index: int, curve_kind: StepKind) -> set[date]:
        """Days covered by the curve steps after step ``index`` (none once the curve is off)."""
        if curve_kind in self._skipped_kinds:
            return set()
        days: set[date] = set()
        for step in self._steps[index + 1 :]:
            if step.kind is curve_kind:
                days.update(
                    step.start + timedelta(days=i) for i in range((step.end - step.start).days)
                )
        return days

    async def _async_import_daily_of(self, step: BackfillStep) -> None:
        """Import a curve window that has no curve to fetch from its daily values."""
        if step.kind.is_curve:
            await self._async_import(step, daily=self._known_daily(step))

    async def _async_import_waiting_days(self) -> None:
        """Before a pause: the days of the curve windows not fetched yet, from daily values.

        They were kept for their curve; while the back-fill waits (hours at a gateway's pace)
        the daily values are the best known. The pause's own error is what the caller sees:
        a database that refuses this write now is tried again at the resume.
        """
        # One import per series (not one per week: two years would be a hundred writes).
        waiting: dict[StepKind, tuple[BackfillStep, dict[date, DailyValue]]] = {}
        for step in self._steps[self.progress.done :]:
            if step.kind.is_curve:
                _, values = waiting.setdefault(step.kind, (step, {}))
                values.update((value.day, value) for value in self._known_daily(step))
        try:
            for step, values in waiting.values():
                await self._async_import(step, daily=sorted(values.values(), key=_day))
        except StatisticsNotWrittenError:
            _LOGGER.debug("Linky %s daily values kept for the resume", self._meter)

    def _skip_kind(self, kind: StepKind) -> None:
        self._skipped_kinds.add(kind)
        if kind == StepKind.CURVE:
            self.progress.curve_available = False
        elif kind == StepKind.PRODUCTION_CURVE:
            self.progress.production_curve_available = False

    async def _async_fetch(
        self, step: BackfillStep, start: date, end: date
    ) -> tuple[list[CurvePoint], list[DailyValue]]:
        """Fetch ``[start, end[``; at a history limit, keep the newer part by halving."""
        try:
            return await self._async_call(step.kind, start, end)
        except EnedisNoDataError:
            return [], []
        except EnedisRequestError as err:
            # "Period too long" (the 365-day daily range is an assumption): split it in two.
            if err.code not in RANGE_TOO_LONG or (end - start).days <= 1:
                raise
            middle = start + timedelta(days=(end - start).days // 2)
            newer = await self._async_fetch(step, middle, end)
            older = await self._async_fetch(step, start, middle)
            return older[0] + newer[0], older[1] + newer[1]
        except EnedisHistoryLimitError:
            if (end - start).days <= 1:
                self._stop(step.kind, end)
                return [], []
        middle = start + timedelta(days=(end - start).days // 2)
        newer = await self._async_fetch(step, middle, end)
        if self._stopped_at_or_after(step.kind, middle):
            return newer
        older = await self._async_fetch(step, start, middle)
        return older[0] + newer[0], older[1] + newer[1]

    def _stop(self, kind: StepKind, first_day: date) -> None:
        current = self._stopped.get(kind)
        if current is None or first_day > date.fromisoformat(current):
            self._stopped[kind] = first_day.isoformat()
            self.progress.oldest[kind] = first_day.isoformat()
            _LOGGER.debug(
                "Linky %s history back-fill: no %s data before %s", self._meter, kind, first_day
            )
        # No daily data before that day (activation, consent): no load curve either, so the
        # curve windows before it are skipped and the one across it is clamped, without calls.
        if not kind.is_curve:
            curve_kind = kind.curve_kind
            if curve_kind not in self._stopped:
                self._stopped[curve_kind] = first_day.isoformat()
                self.progress.oldest[curve_kind] = first_day.isoformat()

    def _stopped_at_or_after(self, kind: StepKind, day: date) -> bool:
        stopped = self._stopped.get(kind)
        return stopped is not None and date.fromisoformat(stopped) >= day

    async def _async_call(
        self, kind: StepKind, start: date, end: date
    ) -> tuple[list[CurvePoint], list[DailyValue]]:
        """One data call; short 429 waits are waited out here."""
        for attempt in range(MAX_INLINE_RETRIES + 1):
            before = self._client.data_calls
            try:
                return await self._async_call_once(kind, start, end)
            except EnedisRateLimitedError as err:
                if (
                    attempt == MAX_INLINE_RETRIES
                    or err.retry_after is None
                    or err.retry_after > MAX_INLINE_WAIT
                ):
                    raise
                _LOGGER.debug("Linky %s: Enedis asked to wait %.0f s", self._meter, err.retry_after)
                await self._sleep(err.retry_after)
            finally:
                self.progress.data_calls += self._client.data_calls - before
        raise AssertionError("unreachable")  # pragma: no cover

    async def _async_call_once(
        self, kind: StepKind, start: date, end: date
    ) -> tuple[list[CurvePoint], list[DailyValue]]:
        client, prm = self._client, self._prm
        if kind == StepKind.DAILY:
            return [], list((await client.async_get_daily_consumption(prm, start, end)).values)
        if kind == StepKind.PRODUCTION_DAILY:
            return [], list((await client.async_get_daily_production(prm, start, end)).values)
        if kind == StepKind.CURVE:
            return list((await client.async_get_load_curve(prm, start, end)).points), []
        return list((await client.async_get_production_load_curve(prm, start, end)).points), []


# --------------------------------------------------------------------------- daily refresh


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """What a daily refresh imported.

    ``complete``: yesterday has its daily value (and its full curve, when the curve is available).
    """

    yesterday: date
    complete: bool
    daily: tuple[DailyValue, ...]
    curve_points: int


async def async_refresh_recent(
    hass: HomeAssistant,
    client: LinkyClient,
    prm: str,
    kind: EnergyKind | str = EnergyKind.CONSUMPTION,
    *,
    today: date | None = None,
    days: int = MAX_CURVE_DAYS,
    with_curve: bool = True,
) -> RefreshResult:
    """Fetch the last ``days`` days (≤ 7: one daily + one curve call) and import them.

    Re-fetching a week each time repairs late-published days for free. Raises the client's
    errors (``EnedisCurveNotActivatedError`` from the curve call: the daily values were
    imported first, so callers can raise their repair issue and call again with
    ``with_curve=False``).
    """
    kind = EnergyKind(kind)
    today = today or datetime.now(PARIS).date()
    days = max(1, min(days, MAX_CURVE_DAYS))
    start, yesterday = today - timedelta(days=days), today - timedelta(days=1)
    try:
        if kind == EnergyKind.PRODUCTION:
            daily = (await client.async_get_daily_production(prm, start, today)).values
        else:
            daily = (await client.async_get_daily_consumption(prm, start, today)).values
    except EnedisNoDataError:
        daily = ()
    except EnedisHistoryLimitError:
        # A meter activated (or a consent that starts) within the week: Enedis refuses the
        # whole window (ADAM-ERR0123 / ADAM-DC-0009). Yesterday alone, else nothing yet.
        if days > 1:
            return await async_refresh_recent(
                hass, client, prm, kind, today=today, days=1, with_curve=with_curve
            )
        daily = ()
    curve: tuple[CurvePoint, ...] = ()
    if with_curve:
        try:
            if kind == EnergyKind.PRODUCTION:
                curve = (await client.async_get_production_load_curve(prm, start, today)).points
            else:
                curve = (await client.async_get_load_curve(prm, start, today)).points
        except EnedisNoDataError:
            curve = ()
        except EnedisHistoryLimitError:
            if days > 1:
                return await async_refresh_recent(
                    hass, client, prm, kind, today=today, days=1, with_curve=with_curve
                )
            curve = ()
        except EnedisCurveNotActivatedError:
            await async_import_readings(hass, prm, kind, daily=daily)
            raise
    await async_import_readings(hass, prm, kind, curve=curve, daily=daily)
    has_daily = any(value.day == yesterday for value in daily)
    has_curve = not with_curve or yesterday in days_with_full_curve(curve)
    return RefreshResult(yesterday, has_daily and has_curve, tuple(daily), len(curve))


# Tries through the day (Paris time) until yesterday is complete; Enedis publishes ~08:00.
REFRESH_TIMES = (time(8, 30), time(10, 30), time(13, 0), time(17, 0), time(21, 0))
REFRESH_JITTER = timedelta(minutes=20)


def next_refresh(now: datetime, *, complete: bool, rng: random.Random | None = None) -> datetime:
    """Return when to try next (aware UTC), with up to 20 min of random jitter.

    The next slot of today while yesterday is incomplete, else tomorrow's first slot.
    """
    rng = rng or random.Random()
    local = now.astimezone(PARIS)
    jitter = timedelta(seconds=rng.uniform(0, REFRESH_JITTER.total_seconds()))
    if not complete:
        for slot in REFRESH_TIMES:
            candidate = datetime.combine(local.date(), slot, PARIS)
            if candidate > local:
                return (candidate + jitter).astimezone(UTC)
    tomorrow = local.date() + timedelta(days=1)
    return (datetime.combine(tomorrow, REFRESH_TIMES[0], PARIS) + jitter).astimezone(UTC)
