"""Request budget of the free Enedis gateways (Conso API, MyElectricalData): the one place it lives.

The gateways are shared, free and run by volunteers; both publish hard limits
(``reference/enedis-gateways.md``): Conso API bans for good the IP of a home that makes 100
requests or more in 12 h; MyElectricalData answers ``RATE_LIMIT_EXCEEDED`` past its daily quota.
Every request of a gateway transport goes through :meth:`RequestBudget.acquire` before it is
sent, so no caller (refresh, back-fill, action, flow) can exceed the budget, whatever it does.

Rolling windows are used for both gateways: a rolling 24 h count below the limit also keeps
every UTC day (MyElectricalData's counter) below it. The history back-fill has its own, lower
allowance inside the window so that the daily refresh always finds room. The state (request
times, a block after a quota/ban answer) is a plain dict for the owner to persist: a restart
changes nothing.

The wall clock may jump while Home Assistant runs (a Raspberry Pi without a real-time clock
starts behind, or ahead, until NTP answers): each look at the clock compares how far it moved
with the monotonic clock (the time that really passed) and moves every saved time by the
difference, so a request keeps counting for exactly one window of real time, and a block lasts
what it said, whichever way the clock was corrected. Without a monotonic clock (tests with only
a wall clock) a time "in the future" counts as now, as after a restart.

Plain Python (no Home Assistant import); the clocks are injectable for tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
import math
import time
from typing import Any

from .enedis_errors import EnedisRateLimitedError
from .http import MAX_RETRY_AFTER


class Purpose(StrEnum):
    """Why a request is sent: the back-fill has a smaller allowance than the rest."""

    REFRESH = "refresh"
    BACKFILL = "backfill"


# The purpose of the requests sent from the current task (the back-fill task sets BACKFILL).
REQUEST_PURPOSE: ContextVar[Purpose] = ContextVar(
    "delestage_request_purpose", default=Purpose.REFRESH
)


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    """Limits of one gateway: per rolling ``window`` seconds, ``backfill`` and ``total`` requests.

    ``block`` is how long requests stop after the gateway answered with a quota or ban.
    """

    window: float
    backfill: int
    total: int
    block: float


HOUR = 3600.0
# Conso API: ban at >= 100 requests in 12 h. Back-fill <= 40 per 12 h (the budget), and
# everything together <= 60: far below the ban even if a second tool of the home uses the token.
CONSO_API_POLICY = BudgetPolicy(window=12 * HOUR, backfill=40, total=60, block=12 * HOUR)
# MyElectricalData: 1000 requests a day with use_cache=true (50 without). Back-fill <= 120 per
# 24 h (24 months in one day), everything <= 200: a fifth of the quota, the rest is the gateway's.
# After RATE_LIMIT_EXCEEDED the transport blocks until the gateway's UTC day ends (at least 1 h).
MYELECTRICALDATA_POLICY = BudgetPolicy(window=24 * HOUR, backfill=120, total=200, block=HOUR)


# The block reason of Conso API's Cloudflare ban (kept with the block, across restarts).
BANNED = "banned"


class GatewayBudgetSpentError(EnedisRateLimitedError):
    """Our own budget is spent for now: wait ``retry_after`` seconds (no call was sent)."""


class GatewayQuotaError(EnedisRateLimitedError):
    """The gateway refused with a quota or ban answer; no call before ``retry_after``.

    ``banned``: Conso API's Cloudflare block (HTTP 403 HTML), not only a quota.
    """

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        code: str | None = None,
        *,
        banned: bool = False,
    ) -> None:
        """Keep whether it is a ban."""
        super().__init__(message, retry_after, code)
        self.banned = banned


def epoch_now() -> float:
    """Return the current epoch time, looked up at each call (a frozen test clock applies)."""
    return time.time()


def steady_now() -> float:
    """Return the monotonic time, looked up at each call (a frozen test clock applies)."""
    return time.monotonic()


# A difference between the wall and monotonic clocks' steps below this is drift, not a jump.
CLOCK_JUMP = 60.0


class RequestBudget:
    """Counts a gateway's requests in a rolling window and refuses those over the policy."""

    def __init__(
        self,
        policy: BudgetPolicy,
        *,
        clock: Callable[[], float] | None = None,
        monotonic: Callable[[], float] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """Start empty; :meth:`restore` puts back a saved state.

        ``monotonic`` defaults to the system's only with the system's wall clock (an injected
        wall clock alone is taken as it is).
        """
        self.policy = policy
        self._wall = clock or epoch_now
        self._monotonic = monotonic or (steady_now if clock is None else None)
        # The last look at both clocks (wall, monotonic), to see the wall clock jump.
        self._seen: tuple[float, float] | None = None
        self._on_change = on_change
        self._requests: list[tuple[float, Purpose]] = []
        self.blocked_until: float | None = None
        self.block_reason: str | None = None
        self.peak: int = 0  # most requests ever seen in one window (benchmarks, diagnostics)

    # ------------------------------------------------------------------ clocks

    def _clock(self) -> float:
        """Return the wall time; a jump since the last look moves every saved time with it."""
        now = self._wall()
        if self._monotonic is None:
            return now
        steady = self._monotonic()
        if self._seen is not None:
            jump = (now - self._seen[0]) - (steady - self._seen[1])
            if math.isfinite(jump) and abs(jump) > CLOCK_JUMP:
                self._requests = [(at + jump, purpose) for at, purpose in self._requests]
                if self.blocked_until is not None:
                    self.blocked_until += jump
        self._seen = (now, steady)
        return now

    # ------------------------------------------------------------------ state

    def as_dict(self) -> dict[str, Any]:
        """Return the state to persist (times are epoch seconds)."""
        return {
            "requests": [[round(at, 3), str(purpose)] for at, purpose in self._requests],
            "blocked_until": self.blocked_until,
            "block_reason": self.block_reason,
            "peak": self.peak,
        }

    @property
    def longest_block(self) -> float:
        """The longest a block can last: the policy's block or window, or a gateway's wait."""
        return max(self.policy.block, self.policy.window, MAX_RETRY_AFTER)

    def restore(self, data: dict[str, Any] | None) -> None:
        """Put back a state saved by :meth:`as_dict` (unreadable parts are dropped).

        Times come from a clock that may have been wrong (a Raspberry Pi without a real-time
        clock starts years ahead until NTP answers): a request "in the future" counts as made
        now, a block ends at most :attr:`longest_block` from now, and non-finite values
        (``nan``, ``inf``) are dropped. A wrong clock never blocks the gateway longer than
        the longest real block could.
        """
        if not isinstance(data, dict):
            return
        now = self._clock()
        requests: list[tuple[float, Purpose]] = []
        for item in data.get("requests") or []:
            try:
                at, purpose = float(item[0]), Purpose(item[1])
            except IndexError, TypeError, ValueError:
                continue
            if math.isfinite(at):
                requests.append((min(at, now), purpose))
        self._requests = sorted(requests)
        blocked = data.get("blocked_until")
        self.blocked_until = (
            min(float(blocked), now + self.longest_block)
            if isinstance(blocked, int | float) and math.isfinite(blocked)
            else None
        )
        reason = data.get("block_reason")
        self.block_reason = reason if isinstance(reason, str) else None
        peak = data.get("peak")
        self.peak = int(peak) if isinstance(peak, int) else 0
        self._forget(now)

    # ------------------------------------------------------------------ counting

    def _forget(self, now: float) -> None:
        if self._requests and self._requests[-1][0] > now:  # only after a clock set back
            self._requests = [(min(at, now), purpose) for at, purpose in self._requests]
        if self.blocked_until is not None:
            self.blocked_until = min(self.blocked_until, now + self.longest_block)
        horizon = now - self.policy.window
        if self._requests and self._requests[0][0] <= horizon:
            self._requests = [item for item in self._requests if item[0] > horizon]
        if self.blocked_until is not None and self.blocked_until <= now:
            self.blocked_until = None
            self.block_reason = None

    def used(self, purpose: Purpose | None = None) -> int:
        """Count the requests in the current window (of ``purpose``, or all)."""
        self._forget(self._clock())
        return sum(1 for _, p in self._requests if purpose is None or p is purpose)

    def wait(self, purpose: Purpose) -> float:
        """Seconds before one more request of ``purpose`` fits (0 when it fits now)."""
        now = self._clock()
        self._forget(now)
        if self.blocked_until is not None:
            return self.blocked_until - now
        waits = [self._wait([at for at, _ in self._requests], self.policy.total, now)]
        if purpose is Purpose.BACKFILL:
            mine = [at for at, p in self._requests if p is Purpose.BACKFILL]
            waits.append(self._wait(mine, self.policy.backfill, now))
        return max(waits)

    def _wait(self, times: list[float], limit: int, now: float) -> float:
        """Wait until fewer than ``limit`` of ``times`` are in the window."""
        if len(times) < limit:
            return 0.0
        if limit <= 0:
            return self.policy.window
        return times[-limit] + self.policy.window - now

    def acquire(self, purpose: Purpose | None = None) -> None:
        """Count one request about to be sent, or raise when it does not fit.

        Raises :class:`GatewayQuotaError` while blocked after a quota/ban answer, else
        :class:`GatewayBudgetSpentError` when the window is full; both carry the wait.
        """
        purpose = purpose or REQUEST_PURPOSE.get()
        if (wait := self.wait(purpose)) > 0:
            if self.blocked_until is not None:
                raise GatewayQuotaError(
                    f"Gateway refused earlier ({self.block_reason}); no request for now",
                    wait,
                    self.block_reason,
                    banned=self.block_reason == BANNED,
                )
            raise GatewayBudgetSpentError(f"Gateway request budget spent ({purpose})", wait)
        self._requests.append((self._clock(), purpose))
        self.peak = max(self.peak, len(self._requests))
        self._changed()

    def block(self, reason: str, seconds: float | None = None) -> float:
        """Stop every request for ``seconds`` (the policy's block by default); returns the wait."""
        asked = seconds if seconds is not None and math.isfinite(seconds) else 0.0
        wait = min(max(asked, self.policy.block), self.longest_block)
        until = self._clock() + wait
        if self.blocked_until is None or until > self.blocked_until:
            self.blocked_until = until
        self.block_reason = reason
        self._changed()
        return self.blocked_until - self._clock()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()
