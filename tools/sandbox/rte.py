"""RTE: OAuth2 token, Ecowatt v5 signals (production with its quota, frozen sandbox) and Tempo.

Paths are the real ones after ``https://digital.iservices.rte-france.com``; mounted under ``/rte``.
"""

from __future__ import annotations

import base64
from datetime import date, datetime, time, timedelta
import hashlib
import math
from pathlib import Path
from typing import Any

from aiohttp import web

from .errors import json_response, rte_error, rte_invalid_token
from .state import SandboxState
from .weather import PARIS

SANDBOX_PAYLOAD = Path(__file__).parent / "data" / "ecowatt_v5_sandbox.json"

MESSAGES = {
    1: "Pas d\u2019alerte.",
    2: " Le système électrique se trouve dans une situation tendue. "
    "Les éco-gestes citoyens sont les bienvenus.  ",
    3: " Le système électrique se trouve dans une situation très tendue. Si nous ne baissons "
    "pas notre consommation d'électricité, des coupures ciblées sont inévitables. "
    "Adoptons tous les éco-gestes. ",
}
TEMPO_FRENCH = {"BLUE": "BLEU", "WHITE": "BLANC", "RED": "ROUGE"}


def local_midnight(day: date) -> datetime:
    """Midnight of a local day in Europe/Paris."""
    return datetime.combine(day, time(), tzinfo=PARIS)


def hour_level(state: SandboxState, start: datetime) -> int:
    """Ecowatt level (0..3) of the hour starting at ``start``.

    A red run of ``state.red_hours`` hours starts at ``state.red_start``, with an orange hour
    before it and two after; otherwise green, with low-carbon (0) hours at night and on sunny
    weekend middays, and a winter orange evening peak every third day.
    """
    red_start, red_end = state.red_start, state.red_start + timedelta(hours=state.red_hours)
    if red_start <= start < red_end:
        return 3
    if red_start - timedelta(hours=1) <= start < red_end + timedelta(hours=2):
        return 2
    local = start.astimezone(PARIS)
    if local.month in (12, 1, 2) and local.toordinal() % 3 == 0 and local.hour in (18, 19):
        return 2
    if 1 <= local.hour <= 5 or (local.weekday() >= 5 and 12 <= local.hour <= 15):
        return 0
    return 1


def ecowatt_signals(state: SandboxState) -> dict[str, Any]:
    """The production answer at the simulator's "now": 4 local days, D..D+3.

    Before the morning publication (``ecowatt_publication_hour``) the file still starts with
    yesterday, so D+3 is absent (rte.md §6.3, §7).
    """
    now_local = state.now().astimezone(PARIS)
    first = now_local.date()
    if now_local.hour < state.config.ecowatt_publication_hour:
        first -= timedelta(days=1)
    generated = local_midnight(first) - timedelta(hours=1)
    signals = []
    for offset in range(4):
        day = first + timedelta(days=offset)
        midnight = local_midnight(day)
        values = []
        for pas in range(24):
            start = midnight.replace(hour=pas).astimezone(PARIS)
            values.append({"pas": pas, "hvalue": hour_level(state, start)})
        dvalue = max(1, *(v["hvalue"] for v in values))
        signals.append(
            {
                "GenerationFichier": generated.isoformat(),
                "jour": midnight.isoformat(),
                "dvalue": dvalue,
                "message": MESSAGES[dvalue],
                "values": values,
            }
        )
    return {"signals": signals}


def tempo_colour(day: date) -> str:
    """Deterministic Tempo colour: Sundays blue, red only on winter weekdays, some white days."""
    if day.weekday() == 6:
        return "BLUE"
    roll = int(hashlib.sha256(day.isoformat().encode()).hexdigest()[:8], 16) % 100
    winter = day.month in (11, 12, 1, 2, 3)
    if winter and day.weekday() < 5 and roll < (25 if day.month in (12, 1, 2) else 8):
        return "RED"
    white_share = 30 if winter else 6
    if roll >= 100 - white_share:
        return "WHITE"
    return "BLUE"


def parse_rte_datetime(value: str | None) -> datetime | None:
    """Parse ``YYYY-MM-DDThh:mm:ss+01:00`` (a '+' sent unencoded arrives as a space)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class RteApi:
    """Request handlers of the RTE simulator."""

    def __init__(self, state: SandboxState) -> None:
        """Bind to the simulator state."""
        self.state = state

    async def token(self, request: web.Request) -> web.Response:
        """``POST /token/oauth/``: client credentials with Basic auth, empty body or grant."""
        form = await request.post()
        grant = form.get("grant_type")
        if grant not in (None, "", "client_credentials"):
            return rte_error(400, "unsupported_grant_type", "Grant type not supported")
        client_id = self._basic_client(request.headers.get("Authorization"))
        if client_id is None:
            return rte_error(401, "invalid_client", "Invalid client authentication")
        lifetime = self.state.config.rte_token_lifetime
        token = self.state.issue_token("rte", client_id, lifetime)
        return json_response(
            200, {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
        )

    def _basic_client(self, authorization: str | None) -> str | None:
        if not authorization or not authorization.startswith("Basic "):
            return None
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except ValueError:
            return None
        client_id, _, secret = decoded.partition(":")
        app = self.state.config.rte_apps.get(client_id)
        return client_id if app is not None and app.client_secret == secret else None

    def _authorize(self, request: web.Request, api: str) -> str | web.Response:
        client_id = self.state.token_owner("rte", request.headers.get("Authorization"))
        if client_id is None:
            return rte_invalid_token()
        if api not in self.state.config.rte_apps[client_id].apis:
            return rte_error(
                403, "access_denied", "The application is not subscribed to this API version"
            )
        return client_id

    async def signals(self, request: web.Request) -> web.Response:
        """``GET /open_api/ecowatt/v5/signals``: 1 call / 15 min, then 429 + Retry-After."""
        client_id = self._authorize(request, "ecowatt")
        if isinstance(client_id, web.Response):
            return client_id
        now = self.state.now()
        last = self.state.rte_last_production_call.get(client_id)
        quota = timedelta(seconds=self.state.config.rte_quota_seconds)
        if last is not None and now < last + quota:
            wait = math.ceil((last + quota - now).total_seconds())
            return rte_error(
                429, "TOO_MANY_REQUESTS", "Rate limit exceeded", **{"Retry-After": str(wait)}
            )
        self.state.rte_last_production_call[client_id] = now
        return json_response(200, ecowatt_signals(self.state))

    async def sandbox_signals(self, request: web.Request) -> web.Response:
        """``GET /open_api/ecowatt/v5/sandbox/signals``: the frozen 2022-06-03 file, no quota.

        With ``rte_live_sandbox`` (script/develop): the live red run, shaped like production.
        """
        client_id = self._authorize(request, "ecowatt")
        if isinstance(client_id, web.Response):
            return client_id
        if self.state.config.rte_live_sandbox:
            return json_response(200, ecowatt_signals(self.state))
        return web.Response(body=SANDBOX_PAYLOAD.read_bytes(), content_type="application/json")

    async def wrong_version(self, request: web.Request) -> web.Response:
        """``/open_api/ecowatt/v4/...``: a v5 subscription gets 403 there."""
        client_id = self._authorize(request, "ecowatt_v4")
        if isinstance(client_id, web.Response):
            return client_id
        return rte_error(404, "not_found", "Unknown resource")  # pragma: no cover

    async def tempo(self, request: web.Request) -> web.Response:
        """``GET /open_api/tempo_like_supply_contract/v1/tempo_like_calendars``, newest first."""
        client_id = self._authorize(request, "tempo")
        if isinstance(client_id, web.Response):
            return client_id
        start = parse_rte_datetime(request.query.get("start_date"))
        end = parse_rte_datetime(request.query.get("end_date"))
        if start is None or end is None or end <= start:
            return rte_error(
                400,
                "TMPLIKSUPPCON_TEMPOLIKECALENDARS_F04",
                "The start_date and end_date parameters are mandatory, in the "
                "YYYY-MM-DDThh:mm:sszzzzzz format, and end_date must be after start_date",
            )
        if end - start > timedelta(days=366):
            return rte_error(
                400, "TMPLIKSUPPCON_TEMPOLIKECALENDARS_F05", "The period is longer than 366 days"
            )
        values = self._tempo_days(start, end)
        if "json" not in request.headers.get("Accept", ""):
            return self._tempo_xml(values)
        return json_response(200, {"tempo_like_calendars": {"values": values}})

    def _tempo_days(self, start: datetime, end: datetime) -> list[dict[str, str]]:
        now_local = self.state.now().astimezone(PARIS)
        last = now_local.date()
        if (now_local.hour, now_local.minute) >= self.state.config.tempo_publication:
            last += timedelta(days=1)
        day = start.astimezone(PARIS).date()
        values = []
        while local_midnight(day) < end and day <= last:
            if local_midnight(day) >= start:
                published = local_midnight(day - timedelta(days=1)).replace(hour=10, minute=20)
                values.append(
                    {
                        "start_date": local_midnight(day).isoformat(),
                        "end_date": local_midnight(day + timedelta(days=1)).isoformat(),
                        "value": tempo_colour(day),
                        "updated_date": published.isoformat(),
                    }
                )
            day += timedelta(days=1)
        return values[::-1]

    @staticmethod
    def _tempo_xml(values: list[dict[str, str]]) -> web.Response:
        items = "".join(
            f"<Tempo><DateApplication>{v['start_date'][:10]}</DateApplication>"
            f"<Couleur>{TEMPO_FRENCH[v['value']]}</Couleur></Tempo>"
            for v in values
        )
        return web.Response(
            text=f'<?xml version="1.0" encoding="UTF-8"?><Tempos>{items}</Tempos>',
            content_type="application/xml",
        )


def create_app(state: SandboxState) -> web.Application:
    """The RTE sub-application."""
    api = RteApi(state)
    app = web.Application()
    app.router.add_post("/token/oauth/", api.token)
    app.router.add_post("/token/oauth", api.token)
    app.router.add_get("/open_api/ecowatt/v5/signals", api.signals)
    app.router.add_get("/open_api/ecowatt/v5/sandbox/signals", api.sandbox_signals)
    app.router.add_get("/open_api/ecowatt/v4/signals", api.wrong_version)
    app.router.add_get("/open_api/ecowatt/v4/sandbox/signals", api.wrong_version)
    app.router.add_get("/open_api/tempo_like_supply_contract/v1/tempo_like_calendars", api.tempo)
    return app
