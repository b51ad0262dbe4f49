"""A small Home Assistant client over REST and the websocket API (script/develop, its checks).

No Home Assistant import: it drives a running instance over HTTP, like the frontend does.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
import subprocess
import time
from typing import Any

import aiohttp

# The readiness probe: Home Assistant's login page asks this URL without a token
# (``requires_auth = False``). Any unauthenticated request to a protected view (``/api/``)
# would answer 401 and raise a "Login attempt failed" notification for the new user.
READINESS_PATH = "/auth/providers"


class DemoStepFailed(RuntimeError):
    """A demo step did not do what it is for: script/develop stops with this message."""


class Hass:
    """A tiny Home Assistant REST + websocket client."""

    def __init__(self, session: aiohttp.ClientSession, url: str, language: str = "en") -> None:
        """Talk to Home Assistant at ``url``."""
        self.session = session
        self.url = url
        self.language = language
        self.client_id = f"{url}/"
        self.token = ""
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ws_id = 0

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}

    async def wait_until_up(self, process: subprocess.Popen[bytes], within: float) -> None:
        """Wait for the HTTP server and its auth views, without failing an authentication.

        ``/auth/providers`` needs no token: 200 once a user exists, 400 "onboarding_required"
        before; 404 while the auth views are not registered yet.
        """
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"Home Assistant exited with code {process.returncode}")
            with suppress(aiohttp.ClientError, TimeoutError):
                async with self.session.get(
                    f"{self.url}{READINESS_PATH}", timeout=aiohttp.ClientTimeout(total=2)
                ) as response:
                    if response.status in (200, 400):
                        return
            await asyncio.sleep(0.5)
        raise RuntimeError("Home Assistant did not start in time")

    async def log_in(self, username: str, password: str, name: str) -> None:
        """Create the user on first run (onboarding), else log in with its password."""
        steps: dict[str, bool] = {}
        async with self.session.get(f"{self.url}/api/onboarding") as response:
            if response.status == 200:  # the onboarding views exist until it is done
                steps = {step["step"]: step["done"] for step in await response.json()}
        if steps and not steps.get("user"):
            async with self.session.post(
                f"{self.url}/api/onboarding/users",
                json={
                    "client_id": self.client_id,
                    "name": name,
                    "username": username,
                    "password": password,
                    "language": self.language,
                },
            ) as response:
                response.raise_for_status()
                code = (await response.json())["auth_code"]
        else:
            code = await self._login_flow(username, password)
        async with self.session.post(
            f"{self.url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        ) as response:
            response.raise_for_status()
            self.token = (await response.json())["access_token"]

    async def wait_until_running(self, within: float) -> None:
        """Wait for the end of Home Assistant's start-up (it handles SIGTERM only from then)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            async with self.session.get(f"{self.url}/api/config", headers=self.headers) as response:
                if response.status == 200 and (await response.json()).get("state") == "RUNNING":
                    return
            await asyncio.sleep(0.5)
        raise RuntimeError("Home Assistant did not finish starting in time")

    async def _login_flow(self, username: str, password: str) -> str:
        async with self.session.post(
            f"{self.url}/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
        ) as response:
            flow_id = (await response.json())["flow_id"]
        async with self.session.post(
            f"{self.url}/auth/login_flow/{flow_id}",
            json={"client_id": self.client_id, "username": username, "password": password},
        ) as response:
            result = await response.json()
        if result.get("type") != "create_entry":
            raise RuntimeError(f"Cannot log in as {username!r}: {result.get('errors')}")
        return str(result["result"])

    async def flow(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST to the config-flow REST API."""
        async with self.session.post(
            f"{self.url}/api/config/config_entries/flow{path}", json=body, headers=self.headers
        ) as response:
            data: dict[str, Any] = await response.json()
            if response.status >= 400:
                raise DemoStepFailed(
                    f"Config flow {path or 'start'}: HTTP {response.status} {data}"
                )
            return data

    async def options_flow(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST to the options-flow REST API."""
        async with self.session.post(
            f"{self.url}/api/config/config_entries/options/flow{path}",
            json=body,
            headers=self.headers,
        ) as response:
            data: dict[str, Any] = await response.json()
            if response.status >= 400:
                raise DemoStepFailed(
                    f"Options flow {path or 'start'}: HTTP {response.status} {data}"
                )
            return data

    async def ws(self, message: dict[str, Any]) -> Any:
        """Send one websocket command and return its result."""
        if self._ws is None:
            self._ws = await self.session.ws_connect(f"{self.url}/api/websocket")
            await self._ws.receive_json()
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            if (await self._ws.receive_json())["type"] != "auth_ok":
                raise RuntimeError("Websocket authentication failed")
        self._ws_id += 1
        await self._ws.send_json({"id": self._ws_id, **message})
        while True:
            answer = await self._ws.receive_json()
            if answer.get("id") == self._ws_id and answer.get("type") == "result":
                if not answer["success"]:
                    raise DemoStepFailed(f"{message['type']}: {answer['error']}")
                return answer["result"]

    async def call_service(
        self,
        domain: str,
        service: str,
        data: dict[str, Any] | None = None,
        *,
        return_response: bool = False,
    ) -> Any:
        """Call an action over REST (``?return_response``: its response, as the docs show)."""
        query = "?return_response" if return_response else ""
        async with self.session.post(
            f"{self.url}/api/services/{domain}/{service}{query}",
            json=data or {},
            headers=self.headers,
        ) as response:
            if response.status >= 400:
                text = await response.text()
                raise DemoStepFailed(f"{domain}.{service}: HTTP {response.status} {text}")
            answer = await response.json()
        return answer.get("service_response") if return_response else answer

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """An entity's state object, or None when it has none."""
        async with self.session.get(
            f"{self.url}/api/states/{entity_id}", headers=self.headers
        ) as response:
            if response.status == 404:
                return None
            response.raise_for_status()
            data: dict[str, Any] = await response.json()
            return data

    async def close(self) -> None:
        """Close the websocket."""
        if self._ws is not None:
            await self._ws.close()
