"""A local stand-in for the DPObs API and the portal's token endpoint, behaving like the real ones.

Statuses, headers and bodies follow the reference (WSO2 API manager): ``apikey`` header or bearer
token, 401 "Invalid JWT token" JSON, 400 XML fault for a malformed station id, an empty list for
an unknown station, a latin-1 CSV station list, and 429 with ``nextAccessTime``.
"""

from __future__ import annotations

import base64
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
import itertools
import json
import logging
from pathlib import Path
import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

FIXTURES = Path(__file__).parent / "fixtures"
API_PATH = "/public/DPObs/v1"
API_KEY = (
    "eyJ4NXQiOiJZV0kxTTJZNE1qWTNOemsyTkRZeU5XTTRPV014TXpjek1UVmhNbU14T1RSa09"
    "ETXlOVEUwTkEiLCJhbGciOiJSUzI1NiJ9"
    ".test-key"
)
CLIENT_ID = "Xq3hFqFv0R4mOZbfSaNnUtWCvGca"
CLIENT_SECRET = "c7o9tEqf2WzLxuVnHdJb_kMYp8sa"
APPLICATION_ID = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


def fixture_bytes(name: str) -> bytes:
    """Read a fixture file as bytes."""
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    """Read a JSON fixture."""
    return json.loads(fixture_bytes(name))


def invalid_jwt() -> web.Response:
    """WSO2 answer to an expired or unknown key or token."""
    return web.json_response(
        {
            "code": "900901",
            "message": "Invalid Credentials",
            "description": "Invalid JWT token. Make sure you have provided the correct "
            "security credentials",
        },
        status=401,
    )


def throttled(next_access_time: str, retry_after: str | None = None) -> web.Response:
    """WSO2 quota answer."""
    headers = {"Retry-After": retry_after} if retry_after else None
    return web.json_response(
        {
            "code": "900804",
            "message": "Message throttled out",
            "description": "You have exceeded your quota",
            "nextAccessTime": next_access_time,
        },
        status=429,
        headers=headers,
    )


def xml_fault(status: int, message: str) -> web.Response:
    """WSO2 XML fault (400, 404)."""
    body = (
        '<am:fault xmlns:am="http://wso2.org/apimanager"><am:code>'
        f"{status}</am:code><am:message>Error</am:message>"
        f"<am:description>{message}</am:description></am:fault>"
    )
    return web.Response(status=status, text=body, content_type="application/xml")


class FakeDpobs:
    """State and handlers of the fake API; tests change the state and read the request log."""

    def __init__(self) -> None:
        """Serve the fixtures: Paris-Montsouris and Arbent (nulls), both resolutions."""
        self.stations_csv = fixture_bytes("liste-stations.csv")
        self.observations: dict[tuple[str, str], Any] = {
            ("horaire", "75114001"): fixture_json("horaire_75114001.json"),
            ("horaire", "01014002"): fixture_json("horaire_01014002.json"),
            ("infrahoraire-6m", "01014002"): fixture_json("infrahoraire_01014002.json"),
        }
        self.valid_tokens: set[str] = set()
        self.token_counter = itertools.count(1)
        self.token_requests = 0
        self.token_expires_in: int | None = 3600
        # Answers to send instead of the normal ones, for the next data requests.
        self.faults: deque[Callable[[], web.Response]] = deque()
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []

    @property
    def data_requests(self) -> list[tuple[str, dict[str, str], dict[str, str]]]:
        """Requests made to the API (not the token endpoint)."""
        return [request for request in self.requests if request[0].startswith(API_PATH)]

    def expire_tokens(self) -> None:
        """Make every issued token invalid, as after its hour."""
        self.valid_tokens.clear()

    def set_hourly(self, station_id: str, **changes: Any) -> None:
        """Change fields of a station's hourly observation."""
        self.observations["horaire", station_id][0].update(changes)

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application()
        app.router.add_post("/token", self._token)
        app.router.add_get(f"{API_PATH}/liste-stations", self._stations)
        app.router.add_get(f"{API_PATH}/station/{{kind}}", self._observation)
        return app

    async def _token(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, dict(request.headers), dict(request.query)))
        self.token_requests += 1
        form = await request.post()
        expected = f"Basic {APPLICATION_ID}"
        if request.headers.get("Authorization") != expected or form.get("grant_type") != (
            "client_credentials"
        ):
            return web.json_response(
                {"error_description": "Client Authentication failed.", "error": "invalid_client"},
                status=401,
            )
        token = f"eyJ0b2tlbi{next(self.token_counter)}"
        self.valid_tokens.add(token)
        body: dict[str, Any] = {"access_token": token, "scope": "default", "token_type": "Bearer"}
        if self.token_expires_in is not None:
            body["expires_in"] = self.token_expires_in
        return web.json_response(body)

    def _authorized(self, request: web.Request) -> bool:
        if request.headers.get("apikey") == API_KEY:
            return True
        auth = request.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth.removeprefix("Bearer ") in self.valid_tokens

    def _common(self, request: web.Request) -> web.Response | None:
        self.requests.append((request.path, dict(request.headers), dict(request.query)))
        if not self._authorized(request):
            return invalid_jwt()
        if self.faults:
            return self.faults.popleft()()
        return None

    async def _stations(self, request: web.Request) -> web.Response:
        if (answer := self._common(request)) is not None:
            return answer
        return web.Response(
            body=self.stations_csv, headers={"Content-Type": "text/plain; charset=ISO-8859-1"}
        )

    async def _observation(self, request: web.Request) -> web.Response:
        if (answer := self._common(request)) is not None:
            return answer
        kind = request.match_info["kind"]
        if kind not in ("horaire", "infrahoraire-6m"):
            return xml_fault(404, "No matching resource found for given API Request")
        station_id = request.query.get("id_station", "")
        if not re.fullmatch(r"\d{8}", station_id):
            return xml_fault(400, "Identifiant station sémantiquement incorrect")
        return web.json_response(self.observations.get((kind, station_id), []))


@asynccontextmanager
async def serve(fake: FakeDpobs) -> AsyncIterator[str]:
    """Run the fake on a local port; yields the API base URL."""
    # aiohttp's access log looks up the local UTC offset, which freezegun's clock lacks.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    server = TestServer(fake.app())
    await server.start_server()
    try:
        yield str(server.make_url(API_PATH))
    finally:
        await server.close()
