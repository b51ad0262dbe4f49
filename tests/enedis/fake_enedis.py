"""A stand-in Enedis Data Connect 2026 gateway (aiohttp app) that behaves like the real one.

Quirks reproduced from shared/reference/enedis.md: client-credentials token with ``expires_in`` as
a string, WSO2 401 ``fault`` body for unknown tokens, measures as strings, load-curve dates = END
of the interval in local wall time (the repeated autumn hour appears twice), 46/50 half-hours on
DST days, 7-day curve / 365-day daily limits, history limits (``ADAM-ERR0125`` / ``ADAM-DC-0016``),
meter activation (``ADAM-ERR0123``), load curve not activated (``ADAM-ERR0075``), 5 calls/s and
hourly quotas answered with 429 ``SLA dépassé``, ``dateFin`` ≤ today.

Every answer has the exact shape of the real captures in ``captures/`` (anonymised production
answers, see captures/SOURCES.md; ``test_shapes.py`` compares them key by key): the contract is
a top-level JSON array (the capture itself is served, byte for byte), curve answers have no
``pas``/``typeValeur``, every ``grandeur`` has a ``calendrier``. With ``captures=True`` the fake
serves the capture files themselves, byte for byte, for any window that overlaps them.
"""

from __future__ import annotations

import base64
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import json
import logging
import math
from pathlib import Path
import secrets
import time
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

PARIS = ZoneInfo("Europe/Paris")
PRM = "09876543210123"
CLIENT_ID = "app-id"
CLIENT_SECRET = "app-secret"
CAPTURES = Path(__file__).parent / "captures"
# The captures' PRMs and days (2026-09-29 and 2026-09-30; dateFin exclusive).
CAPTURE_PRM = "99999999999991"
CAPTURE_START = date(2026, 9, 29)
CAPTURE_END = date(2026, 10, 1)
CAPTURE_FILES = {
    "consommation_quotidienne": "med2026_mesure_consommation_quotidienne.json",
    "production_quotidienne": "med2026_mesure_production_quotidienne.json",
    "courbe_de_charge_consommation": "med2026_mesure_courbe_de_charge_consommation.json",
    "courbe_de_charge_production": "med2026_mesure_courbe_de_charge_production.json",
    "puissance_conso_max_quotidienne": "med2026_mesure_puissance_conso_max_quotidienne.json",
}
CONTRACT_CONSUMER = "med2026_situation_contrat_consommateur.json"
CONTRACT_SELF_CONSUMPTION = "med2026_situation_contrat_autoconsommation.json"
NOT_SUBSCRIBED = "med2026_erreur_comptage_non_souscrit.json"


def capture_bytes(name: str) -> bytes:
    """The bytes of a capture file."""
    return (CAPTURES / name).read_bytes()


def capture(name: str) -> Any:
    """A capture file, decoded."""
    return json.loads(capture_bytes(name))


def json_bytes(body: bytes, status: int = 200) -> web.Response:
    """An answer with exactly these bytes."""
    return web.Response(body=body, status=status, content_type="application/json")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC start/end of a Paris local day."""
    nxt = day + timedelta(days=1)
    return (
        datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC),
        datetime(nxt.year, nxt.month, nxt.day, tzinfo=PARIS).astimezone(UTC),
    )


def watts_at(start: datetime) -> int:
    """Deterministic household consumption (W) over an interval starting at ``start``."""
    local = start.astimezone(PARIS)
    hour = local.hour + local.minute / 60
    base = 400 + 300 * math.sin(hour / 24 * 2 * math.pi) ** 2
    if 18 <= hour < 22:
        base += 1500
    return round(base + (local.day % 7) * 10)


def wall(moment: datetime) -> str:
    """Local wall time as Enedis writes it (no offset)."""
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")


def error(status: int, code: str, message: str, **headers: str) -> web.Response:
    """A 2026-style error body."""
    return web.json_response({"code": code, "message": message}, status=status, headers=headers)


@dataclass
class FakeEnedis:
    """State and handlers of the fake gateway."""

    today: date = date(2026, 11, 23)
    activation: date | None = None
    curve_enabled: bool = True
    producer: bool = False
    steps: Callable[[date], list[int]] = lambda _day: [30]  # minutes, cycled within the day
    missing_curve_days: set[date] = field(default_factory=set)
    token_lifetime: str = "12600"
    daily_limit: int = 365  # days per daily call
    per_second: int | None = 5
    per_hour: int | None = 1000
    injected: deque[web.Response] = field(default_factory=deque)
    # Called with (resource, query) on each data call; an answer it returns is sent instead.
    hook: Callable[[str, dict[str, str]], web.Response | None] | None = None
    data_calls: int = 0
    token_calls: int = 0
    calls_by_resource: dict[str, int] = field(default_factory=dict)
    max_in_one_second: int = 0
    throttled: int = 0  # 429 answers sent
    tokens: set[str] = field(default_factory=set)
    consent_end: str = "2029-11-20"
    # Serve the capture files themselves (PRM CAPTURE_PRM, days 2026-09-29/30).
    captures: bool = False
    # Contract answer: None = the capture that fits the meter (two contracts for a producer).
    contract_body: bytes | None = None
    contract_status: int = 200
    contract_calls: int = 0
    _times: deque[float] = field(default_factory=deque)
    _daily_cache: dict[date, int] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application()
        app.router.add_post("/oauth2/v3/token", self.token)
        app.router.add_post("/subscribed_services/v1/", self.subscribed_services)
        app.router.add_get("/mesure_synchrone_auto/v2/{resource}", self.measure)
        app.router.add_get("/situation_contrat_auto/v1/{prm}", self.contract)
        return app

    # ------------------------------------------------------------------ helpers

    def curve_points(self, day: date, production: bool = False) -> list[dict[str, str]]:
        """One local day of points, each ending at its date, own step in ``p``."""
        if day in self.missing_curve_days:
            return []
        start, end = day_bounds(day)
        steps = self.steps(day)
        points, moment, index = [], start, 0
        while moment < end:
            minutes = steps[index % len(steps)]
            step_end = min(end, moment + timedelta(minutes=minutes))
            watts = watts_at(moment) if not production else 1000
            points.append(
                {
                    "v": str(watts),
                    "d": wall(step_end),
                    "p": f"PT{minutes}M",
                    "n": "B",
                    "iv": "0",
                    "ec": "0",
                }
            )
            moment, index = step_end, index + 1
        return points

    def daily_wh(self, day: date, production: bool = False) -> int:
        """Energy of a day = the integral of its (full, 30-min) curve."""
        if production:
            return round(1000 * (day_bounds(day)[1] - day_bounds(day)[0]).total_seconds() / 3600)
        if (cached := self._daily_cache.get(day)) is not None:
            return cached
        start, end = day_bounds(day)
        total, moment = 0.0, start
        while moment < end:
            total += watts_at(moment) / 2
            moment += timedelta(minutes=30)
        self._daily_cache[day] = round(total)
        return self._daily_cache[day]

    def _throttled(self) -> web.Response | None:
        now = time.monotonic()
        self._times.append(now)
        while self._times and self._times[0] <= now - 3600:
            self._times.popleft()
        last_second = sum(1 for t in self._times if t > now - 1.0)
        self.max_in_one_second = max(self.max_in_one_second, last_second)
        if self.per_second is not None and last_second > self.per_second:
            self.throttled += 1
            return error(429, "429", "SLA dépassé")
        if self.per_hour is not None and len(self._times) > self.per_hour:
            self.throttled += 1
            return error(429, "429", "SLA dépassé", **{"Retry-After": "600"})
        return None

    def _authorized(self, request: web.Request) -> web.Response | None:
        value = request.headers.get("Authorization", "")
        if not value.startswith("Bearer ") or value[7:] not in self.tokens:
            return web.json_response(
                {
                    "fault": {
                        "code": 900901,
                        "message": "Invalid Credentials",
                        "description": "Invalid JWT token. Make sure you have provided the "
                        "correct security credentials",
                    }
                },
                status=401,
            )
        return None

    # ------------------------------------------------------------------ handlers

    async def token(self, request: web.Request) -> web.Response:
        """Client credentials, Basic auth."""
        self.token_calls += 1
        form = await request.post()
        auth = request.headers.get("Authorization", "")
        decoded = base64.b64decode(auth.removeprefix("Basic ")).decode() if auth else ""
        if form.get("grant_type") != "client_credentials" or decoded != (
            f"{CLIENT_ID}:{CLIENT_SECRET}"
        ):
            return web.json_response(
                {"error": "invalid_client", "error_description": "Client Authentication failed."},
                status=401,
            )
        token = "eyJ" + secrets.token_hex(16)
        self.tokens.add(token)
        return web.json_response(
            {
                "access_token": token,
                "scope": "am_application_scope default",
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
            }
        )

    async def subscribed_services(self, request: web.Request) -> web.Response:
        """Consent → PRM."""
        if (denied := self._authorized(request)) is not None:
            return denied
        body = await request.json()
        if body.get("autorisationId") != 123:
            return web.json_response({"nbTotalServices": 0, "serviceSouscrit": []})
        return web.json_response(
            {
                "nbTotalServices": 1,
                "serviceSouscrit": [
                    {
                        "pointId": PRM,
                        "serviceCode": "ACCES",
                        "dateDebut": "2026-11-20",
                        "dateFin": self.consent_end,
                        "etatCode": "ACTIF",
                        "mesuresTypeCode": "CDC",
                        "mesuresPas": "PT30M",
                        "soutirage": True,
                        "injection": self.producer,
                        "autorisation": {"id": 123},
                    }
                ],
            }
        )

    async def contract(self, request: web.Request) -> web.Response:
        """The real answer: a top-level array (two contracts for a self-consumption point)."""
        if (denied := self._authorized(request)) is not None:
            return denied
        self.contract_calls += 1
        if self.contract_body is not None:
            return json_bytes(self.contract_body, self.contract_status)
        name = CONTRACT_SELF_CONSUMPTION if self.producer else CONTRACT_CONSUMER
        return json_bytes(capture_bytes(name))

    async def measure(self, request: web.Request) -> web.Response:
        """``mesure_synchrone_auto/v2/*``."""
        if (denied := self._authorized(request)) is not None:
            return denied
        resource = request.match_info["resource"]
        self.data_calls += 1
        self.calls_by_resource[resource] = self.calls_by_resource.get(resource, 0) + 1
        self.requests.append((resource, dict(request.query)))
        if (throttled := self._throttled()) is not None:
            return throttled
        if self.injected:
            return self.injected.popleft()
        if self.hook is not None and (hooked := self.hook(resource, dict(request.query))):
            return hooked
        query = request.query
        try:
            start = date.fromisoformat(query["dateDebut"])
            end = date.fromisoformat(query["dateFin"])
        except KeyError, ValueError:
            return error(400, "invalid_request", "Paramètres invalides")
        if self.captures:
            return self._capture(resource, start, end)
        if query.get("pointId") != PRM:
            return error(403, "ADAM-DC-0008", "Pas de consentement")
        if end <= start or end > self.today:
            return error(400, "invalid_request", "dateFin invalide")
        production = "production" in resource
        curve = resource.startswith("courbe")
        if production and not self.producer:
            return error(400, "ADAM-ERR0069", "Le point n'est pas producteur")
        limit = 7 if curve else self.daily_limit
        if (end - start).days > limit:
            return error(400, "ADAM-DC-0015", "Période trop longue")
        history = 731 if curve else 1096
        if start < self.today - timedelta(days=history + 15):
            return error(400, "ADAM-ERR0125", "Date de début trop ancienne")
        if self.activation is not None and start < self.activation:
            return error(400, "ADAM-ERR0123", "Période antérieure à la mise en service")
        if curve and not self.curve_enabled:
            return error(400, "ADAM-ERR0075", "Le client a refusé l'enregistrement de la courbe")
        days = [start + timedelta(days=i) for i in range((end - start).days)]
        head: dict[str, Any] = {
            "idPrm": PRM,
            "etapeMetier": "BRUT",
            "periode": {"dateDebut": start.isoformat(), "dateFin": end.isoformat()},
        }
        if curve:
            points = [p for day in days for p in self.curve_points(day, production)]
            if not points:
                return error(404, "no_data_found", "Aucune donnée")
            grandeur = {
                "grandeurMetier": "PROD" if production else "CONS",
                "grandeurPhysique": "PA",
                "unite": "W",
                "points": points,
                "calendrier": [],
            }
            # Like the capture: no typeValeur and no pas (each point has its own ``p``).
            head |= {"modeCalcul": "MESURE"}
        elif resource == "puissance_conso_max_quotidienne":
            points = [{"v": "4680", "d": f"{day.isoformat()} 19:03:35"} for day in days]
            grandeur = {
                "grandeurMetier": "CONS",
                "grandeurPhysique": "PMA",
                "unite": "VA",
                "points": points,
                "calendrier": [],
            }
            head |= {"modeCalcul": "MESURE", "pas": "P1D"}
        else:
            points = [
                {"v": str(self.daily_wh(day, production)), "d": day.isoformat()} for day in days
            ]
            grandeur = {
                "grandeurMetier": "PROD" if production else "CONS",
                "grandeurPhysique": "EA",
                "unite": "Wh",
                "points": points,
                "calendrier": [],
            }
            head |= {"typeValeur": "GLOBALE", "modeCalcul": "DIFF.INDEX", "pas": "P1D"}
        return json_bytes(json.dumps(head | {"grandeur": [grandeur], "contexte": []}).encode())

    def _capture(self, resource: str, start: date, end: date) -> web.Response:
        """The capture file of ``resource`` when the window overlaps its days, else 404."""
        name = CAPTURE_FILES.get(resource)
        if name is None or end <= CAPTURE_START or start >= CAPTURE_END:
            return error(404, "no_data_found", "Aucune donnée")
        return json_bytes(capture_bytes(name))


@pytest.fixture
def quiet_sql() -> Any:
    """Silence SQLAlchemy's per-statement INFO log, as in production (tests log at DEBUG)."""
    logger = logging.getLogger("sqlalchemy.engine")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


@pytest.fixture
def fake() -> FakeEnedis:
    """The fake gateway's state."""
    return FakeEnedis()


@pytest.fixture
async def fake_server(fake: FakeEnedis, socket_enabled: None) -> Any:
    """The fake gateway, listening on localhost (needs a real socket)."""
    server = TestServer(fake.app())
    await server.start_server()
    yield server
    await server.close()


def base_url(server: TestServer) -> str:
    """Root URL of a test server."""
    return str(server.make_url("")).rstrip("/")
