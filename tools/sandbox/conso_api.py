"""Conso API simulator (``https://conso.boris.sh``), relaying the simulated Enedis measures.

Facts: shared/reference/enedis-gateways.md §1. Served under ``/conso_api``:
- ``GET /api/{type}?pointId&dateDebut&dateFin`` (aliases ``prm``/``start``/``end``), the Enedis
  2026 JSON passed through unchanged (load-curve ``d`` = interval END); max power defaults to
  ``mesuresPas=P1D&grandeurPhysique=PMA``; GET only (405 otherwise).
- ``Authorization: Bearer <jwt>``: HS256 JWT, ``sub`` = list of PRMs, ``exp`` = iat + 1094 days;
  gateway errors ``{"status", "message"}``, Enedis errors relayed with Enedis' status as
  ``{"status", "message": "The Enedis API returned an error", "error": <Enedis body>}``.
- The abuse ban: an IP with 100 requests or more in 12 h gets Cloudflare's 403 HTML page
  (``Attention Required! | Cloudflare``) for 12 h.
- ``GET /token?prm=…`` (simulator only): the token the gateway's page shows after the consent.
"""

from __future__ import annotations

import base64
from collections import deque
from datetime import datetime, timedelta
import hashlib
import hmac
import json
from typing import Any

from aiohttp import web

from .enedis import EnedisApi
from .errors import json_response
from .state import SandboxState

TYPES = (
    "consommation_quotidienne",
    "courbe_de_charge_consommation",
    "puissance_conso_max_quotidienne",
    "production_quotidienne",
    "courbe_de_charge_production",
)
TOKEN_DAYS = 364 + 365 + 365
BAN_WINDOW = timedelta(hours=12)
CLOUDFLARE_BANNED = """<!DOCTYPE html>
<html lang="en-US"><head><title>Attention Required! | Cloudflare</title></head>
<body><h1>Sorry, you have been blocked</h1>
<h2>You are unable to access conso.boris.sh</h2></body></html>
"""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(secret: str, prms: list[str], issued: datetime, days: int = TOKEN_DAYS) -> str:
    """An HS256 JWT like the gateway's (``sub`` = list of PRMs)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    iat = int(issued.timestamp())
    payload = _b64(json.dumps({"sub": prms, "iat": iat, "exp": iat + days * 86400}).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def verify_token(secret: str, token: str, now: datetime) -> list[str] | None:
    """The PRMs of a valid, unexpired token, else None."""
    try:
        header, payload, signature = token.split(".")
        expected = hmac.new(
            secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256
        ).digest()
        if not hmac.compare_digest(_b64(expected), signature):
            return None
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    if not isinstance(claims, dict) or claims.get("exp", 0) <= now.timestamp():
        return None
    sub = claims.get("sub")
    return [str(prm) for prm in sub] if isinstance(sub, list) else None


class _Relay(EnedisApi):
    """The simulated Enedis measures, without the consent bookkeeping of the Enedis app."""

    def __init__(self, state: SandboxState) -> None:  # no consent to create
        self.state = state


class ConsoApi:
    """Request handlers of the Conso API simulator."""

    def __init__(self, state: SandboxState) -> None:
        """Bind to the simulator state."""
        self.state = state
        self.enedis = _Relay(state)
        self.requests: dict[str, deque[datetime]] = {}
        self.banned_until: dict[str, datetime] = {}

    def _banned(self, ip: str) -> bool:
        now = self.state.now()
        seen = self.requests.setdefault(ip, deque())
        while seen and seen[0] <= now - BAN_WINDOW:
            seen.popleft()
        if (until := self.banned_until.get(ip)) is not None and until > now:
            return True
        seen.append(now)
        if len(seen) >= self.state.config.conso_api_ban_threshold:
            self.banned_until[ip] = now + BAN_WINDOW
            self.state.gateway_bans.append(ip)
        return False

    async def measure(self, request: web.Request) -> web.StreamResponse:
        """``GET /api/{type}``."""
        if self._banned(request.remote or "?"):
            return web.Response(status=403, text=CLOUDFLARE_BANNED, content_type="text/html")
        kind = request.match_info["type"]
        authorization = request.headers.get("Authorization", "")
        parts = authorization.split(" ")
        if len(parts) < 2 or not parts[1]:
            return _error(400, "Le header 'Authorization' est manquant ou invalide")
        query = request.query
        prm = query.get("pointId") or query.get("prm") or ""
        start = query.get("dateDebut") or query.get("start") or ""
        end = query.get("dateFin") or query.get("end") or ""
        if kind not in TYPES or len(prm) != 14 or not start or not end:
            return json_response(
                400,
                {"status": 400, "message": "Paramètres invalides", "error": {"issues": []}},
            )
        prms = verify_token(self.state.config.conso_api_secret, parts[1], self.state.now())
        if prms is None or prm not in prms:
            return _error(401, "Votre token est invalide ou ne permet pas d'accéder à ce PRM")
        enedis_query: dict[str, Any] = {"pointId": prm, "dateDebut": start, "dateFin": end}
        if kind == "puissance_conso_max_quotidienne":
            enedis_query["mesuresPas"] = query.get("mesuresPas", "P1D")
            enedis_query["grandeurPhysique"] = query.get("grandeurPhysique", "PMA")
        answer = self.enedis.answer_measure(kind, enedis_query)
        if answer.status == 200:
            return answer
        assert isinstance(answer.body, bytes)
        return json_response(
            answer.status,
            {
                "status": answer.status,
                "message": "The Enedis API returned an error",
                "error": json.loads(answer.body),
            },
        )

    async def not_get(self, request: web.Request) -> web.Response:
        """Anything but GET (OPTIONS answers 200 empty)."""
        if request.method == "OPTIONS":
            return web.Response(status=200)
        return _error(405, "Seule la méthode GET est autorisée")

    async def token(self, request: web.Request) -> web.Response:
        """What the gateway's /token page shows after the consent (simulator helper)."""
        prms = request.query.getall("prm", []) or sorted(self.state.meters)
        token = make_token(self.state.config.conso_api_secret, prms, self.state.now())
        return json_response(200, {"token": token, "prms": prms})


def _error(status: int, message: str) -> web.Response:
    return json_response(status, {"status": status, "message": message})


def create_app(state: SandboxState) -> web.Application:
    """The Conso API sub-application."""
    api = ConsoApi(state)
    app = web.Application()
    app.router.add_get("/api/{type}", api.measure)
    app.router.add_route("*", "/api/{type}", api.not_get)
    app.router.add_get("/token", api.token)
    return app
