"""What the simulator remembers: its clock, accounts, issued tokens, faults and call counts."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import hashlib
import hmac
import json
import secrets

PROVIDERS = ("rte", "enedis", "meteofrance", "conso_api", "myelectricaldata")
# Signs the tokens (a fixed key: tokens survive a restart of the simulator, as real ones do).
TOKEN_KEY = b"delestage-sandbox-token-key"
FAULT_KINDS = ("429", "500", "503", "timeout", "malformed", "401")


def system_clock() -> datetime:
    """The real time, timezone-aware."""
    return datetime.now(UTC)


@dataclass(slots=True)
class RteApp:
    """An RTE portal application: its secret and the APIs it is subscribed to."""

    client_secret: str
    apis: frozenset[str]


@dataclass(slots=True)
class Meter:
    """A Linky meter (PRM) that consented to the simulated Data Connect application."""

    prm: str
    activation: date
    producer: bool = False
    consumer: bool = True
    subscribed_power_kva: int = 9
    consent: bool = True
    holder: bool = True
    latitude: float = 48.85


@dataclass(slots=True)
class Consent:
    """One consent given on the Enedis page (v2: identified by ``autorisation_id``)."""

    autorisation_id: int
    prm: str
    start: datetime
    end: datetime


@dataclass(slots=True)
class IssuedToken:
    """A bearer token handed out by one provider's token endpoint."""

    provider: str
    client_id: str
    expires_at: datetime


@dataclass(slots=True)
class Fault:
    """A fault served instead of the real answer to the next ``remaining`` matching calls."""

    kind: str
    remaining: int
    path: str | None = None
    retry_after: int = 60
    delay: float = 120.0

    def matches(self, path: str) -> bool:
        """Whether this fault applies to a request path."""
        return self.remaining > 0 and (self.path is None or self.path in path)


@dataclass(slots=True)
class ProviderStats:
    """Calls received by one provider, by path and by answered status."""

    calls: int = 0
    by_path: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    faults_served: int = 0

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly view."""
        return {
            "calls": self.calls,
            "by_path": dict(self.by_path),
            "by_status": dict(self.by_status),
            "faults_served": self.faults_served,
        }


def basic(client_id: str, client_secret: str) -> str:
    """The Base64 ``id:secret`` string of a Basic Authorization header."""
    return base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")


@dataclass(slots=True)
class SandboxConfig:
    """Accounts and timings of the simulated providers; the defaults are the demo accounts."""

    rte_apps: dict[str, RteApp] = field(
        default_factory=lambda: {
            "sandbox-rte-client": RteApp(
                "sandbox-rte-secret",
                frozenset({"ecowatt", "tempo", "consumption", "generation_forecast"}),
            ),
            "sandbox-rte-ecowatt-only": RteApp("sandbox-rte-secret", frozenset({"ecowatt"})),
            "sandbox-rte-v4": RteApp("sandbox-rte-secret", frozenset()),
        }
    )
    rte_token_lifetime: int = 7199
    rte_quota_seconds: int = 900
    # The Ecowatt sandbox path serves the live red run (the production answer, no quota) instead
    # of RTE's frozen 2022 file: script/develop's RTE entry uses the sandbox environment, polled
    # every minute, so a red run set with POST /_control/rte/red reaches Home Assistant at once.
    rte_live_sandbox: bool = False
    ecowatt_publication_hour: int = 8
    tempo_publication: tuple[int, int] = (10, 30)
    enedis_client_id: str = "sandbox-enedis-client"
    enedis_client_secret: str = "sandbox-enedis-secret"
    enedis_token_lifetime: int = 12600
    enedis_publication_hour: int = 8
    enedis_redirect_url: str | None = None
    meteofrance_api_key: str = "sandbox-meteofrance-key"
    meteofrance_client_id: str = "sandbox-meteofrance-app"
    meteofrance_client_secret: str = "sandbox-meteofrance-secret"
    meteofrance_token_lifetime: int = 3600
    meteofrance_quota_per_minute: int = 50
    # The households' gateways (conso_api.py, myelectricaldata.py).
    conso_api_secret: str = "sandbox-conso-api-signing-key"
    med_client_secret: str = "sandbox-myelectricaldata-client-secret"
    conso_api_ban_threshold: int = 100  # requests per IP in 12 h (the real gateway's rule)

    @property
    def meteofrance_application_id(self) -> str:
        """The portal's Base64 application id (``base64(client_id:client_secret)``)."""
        return basic(self.meteofrance_client_id, self.meteofrance_client_secret)


# Demo meters: a consumer (electric heating, water heater) and a house with solar panels.
CONSUMER_PRM = "09123456789012"
PRODUCER_PRM = "09123456789029"


def default_meters(today: date) -> dict[str, Meter]:
    """The demo meters, activated about 30 and 20 months before ``today``."""
    return {
        CONSUMER_PRM: Meter(CONSUMER_PRM, today - timedelta(days=915)),
        PRODUCER_PRM: Meter(
            PRODUCER_PRM, today - timedelta(days=610), producer=True, subscribed_power_kva=12
        ),
    }


class SandboxState:
    """Mutable state of one simulator instance."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        clock: Callable[[], datetime] = system_clock,
    ) -> None:
        """Start with no token, no fault, and the red Ecowatt run anchored two hours from now."""
        self.config = config or SandboxConfig()
        self.clock = clock
        self.tokens: dict[str, IssuedToken] = {}
        self.revoked: set[str] = set()  # providers whose earlier-run tokens are refused
        self.faults: dict[str, list[Fault]] = {provider: [] for provider in PROVIDERS}
        self.stats: dict[str, ProviderStats] = {p: ProviderStats() for p in PROVIDERS}
        self.rte_last_production_call: dict[str, datetime] = {}
        self.meteofrance_calls: dict[str, list[datetime]] = {}
        self.meters = default_meters(self.now().date())
        self.consents: dict[int, Consent] = {}
        self.next_autorisation_id = 41_000_001
        self.red_start = self.default_red_start()
        self.red_hours = 3
        self.red_set = False  # True once moved through /_control (then kept across restarts)
        # Called after each change a restart should keep (tools/sandbox/persist.py).
        self.listeners: list[Callable[[], None]] = []
        self.gateway_bans: list[str] = []  # IPs Conso API banned (ban threshold reached)
        # When each gateway request arrived (benchmarks: peak requests in any 12 h).
        self.gateway_log: list[tuple[datetime, str, str]] = []

    def now(self) -> datetime:
        """The simulator's current time (UTC)."""
        return self.clock().astimezone(UTC)

    def changed(self) -> None:
        """Tell the listeners that a scenario switch or a consent changed."""
        for listener in self.listeners:
            listener()

    def default_red_start(self, in_hours: int = 2) -> datetime:
        """Top of the hour ``in_hours`` hours from now (UTC)."""
        return self.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=in_hours)

    # Tokens
    def issue_token(self, provider: str, client_id: str, lifetime: int) -> str:
        """Create a token valid for ``lifetime`` seconds.

        Tokens are signed and carry their owner and expiry (like the providers' JWTs), so a
        token issued before a restart of the simulator stays valid until it expires.
        """
        expires_at = self.now() + timedelta(seconds=lifetime)
        payload = base64.urlsafe_b64encode(
            json.dumps(
                {
                    "p": provider,
                    "c": client_id,
                    "exp": expires_at.timestamp(),
                    "n": secrets.token_hex(6),
                }
            ).encode()
        ).decode()
        value = f"sbx.{payload}.{self._sign(payload)}"
        self.tokens[value] = IssuedToken(provider, client_id, expires_at)
        return value

    @staticmethod
    def _sign(payload: str) -> str:
        return hmac.new(TOKEN_KEY, payload.encode(), hashlib.sha256).hexdigest()[:24]

    def _decode(self, value: str) -> IssuedToken | None:
        """A token signed by an earlier run of the simulator, or None."""
        try:
            _, payload, signature = value.split(".")
            if not hmac.compare_digest(signature, self._sign(payload)):
                return None
            data = json.loads(base64.urlsafe_b64decode(payload))
            expires_at = datetime.fromtimestamp(float(data["exp"]), UTC)
            return IssuedToken(str(data["p"]), str(data["c"]), expires_at)
        except ValueError, KeyError, TypeError:
            return None

    def token_owner(self, provider: str, authorization: str | None) -> str | None:
        """Client id owning a valid ``Bearer`` token of ``provider``, or None."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        value = authorization.removeprefix("Bearer ").strip()
        token = self.tokens.get(value)
        if token is None and provider not in self.revoked:
            token = self._decode(value)
        if token is None or token.provider != provider or token.expires_at <= self.now():
            return None
        return token.client_id

    def expire_tokens(self, provider: str | None = None) -> int:
        """Make every token (of one provider) expired now; return how many."""
        self.revoked.update([provider] if provider else PROVIDERS)
        count = 0
        for token in self.tokens.values():
            if provider in (None, token.provider) and token.expires_at > self.now():
                token.expires_at = self.now()
                count += 1
        return count

    # Faults
    def add_fault(self, provider: str, fault: Fault) -> None:
        """Queue a fault for a provider."""
        self.faults[provider].append(fault)

    def take_fault(self, provider: str, path: str) -> Fault | None:
        """Consume one occurrence of the first fault matching a request, if any."""
        for fault in self.faults[provider]:
            if fault.matches(path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults[provider].remove(fault)
                return fault
        return None

    def reset(self) -> None:
        """Forget faults, counters, quotas and tokens (accounts and consents stay)."""
        self.tokens.clear()
        self.revoked.update(PROVIDERS)
        for provider in PROVIDERS:
            self.faults[provider].clear()
            self.stats[provider] = ProviderStats()
        self.rte_last_production_call.clear()
        self.meteofrance_calls.clear()
