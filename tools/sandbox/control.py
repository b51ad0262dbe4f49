"""``/_control``: faults, call counters, token expiry and scenario switches for tests and demos."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from .errors import json_response
from .state import FAULT_KINDS, PROVIDERS, Fault, SandboxState

STATE: web.AppKey[SandboxState] = web.AppKey("sandbox_state", SandboxState)


def describe(state: SandboxState, origin: str) -> dict[str, Any]:
    """Base URLs and demo accounts, as shown by ``GET /`` and ``GET /_control``."""
    config = state.config
    return {
        "base_urls": {
            "rte": f"{origin}/rte",
            "enedis": f"{origin}/enedis",
            "meteofrance": f"{origin}/meteofrance/public/DPObs/v1",
        },
        "accounts": {
            "rte": {
                client_id: {"client_secret": app.client_secret, "apis": sorted(app.apis)}
                for client_id, app in config.rte_apps.items()
            },
            "enedis": {
                "client_id": config.enedis_client_id,
                "client_secret": config.enedis_client_secret,
                "meters": {
                    prm: {
                        "activation": meter.activation.isoformat(),
                        "producer": meter.producer,
                        "consent": meter.consent,
                        "holder": meter.holder,
                    }
                    for prm, meter in state.meters.items()
                },
            },
            "meteofrance": {
                "api_key": config.meteofrance_api_key,
                "application_id": config.meteofrance_application_id,
                "stations": "GET <base>/liste-stations",
            },
        },
        "control": {
            "GET /_control/stats": "calls per provider, path and status",
            "POST /_control/faults": {
                "provider": list(PROVIDERS),
                "kind": list(FAULT_KINDS),
                "count": "how many calls get it (default 1)",
                "path": "only calls whose path contains this (optional)",
                "retry_after": "seconds, for 429 (default 60)",
                "delay": "seconds held before a 504, for timeout (default 120)",
            },
            "DELETE /_control/faults": "clear faults",
            "POST /_control/tokens/expire": {"provider": "optional"},
            "POST /_control/rte/red": {"in_hours": 2, "hours": 3},
            "POST /_control/enedis/meters/{prm}": {"consent": "bool", "holder": "bool"},
            "POST /_control/reset": "forget tokens, faults, counters and quotas",
        },
        "red_run": {
            "start": state.red_start.isoformat(),
            "end": (state.red_start + timedelta(hours=state.red_hours)).isoformat(),
        },
        # The simulator's clock and the newest Linky day it serves (what a demo check expects
        # to see as "yesterday"; a clock shifted with libfaketime shows here too).
        "now": state.now().isoformat(),
        "linky": {
            "publication_hour": config.enedis_publication_hour,
            "last_published_day": state.last_linky_day().isoformat(),
        },
    }


async def index(request: web.Request) -> web.Response:
    """``GET /`` (and ``GET /_control``): what the simulator offers."""
    state = request.config_dict[STATE]
    return json_response(200, describe(state, f"{request.scheme}://{request.host}"))


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError as err:
        raise web.HTTPBadRequest(text="JSON body expected") from err
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="JSON object expected")
    return body


async def stats(request: web.Request) -> web.Response:
    """``GET /_control/stats``."""
    state = request.app[STATE]
    return json_response(200, {p: state.stats[p].as_dict() for p in PROVIDERS})


async def add_fault(request: web.Request) -> web.Response:
    """``POST /_control/faults``."""
    state = request.app[STATE]
    body = await _body(request)
    provider, kind = body.get("provider"), str(body.get("kind", ""))
    if provider not in PROVIDERS or kind not in FAULT_KINDS:
        return json_response(
            400, {"error": f"provider in {list(PROVIDERS)} and kind in {list(FAULT_KINDS)}"}
        )
    try:
        fault = Fault(
            kind=kind,
            remaining=int(body.get("count", 1)),
            path=body.get("path"),
            retry_after=int(body.get("retry_after", 60)),
            delay=float(body.get("delay", 120)),
        )
    except TypeError, ValueError:
        return json_response(400, {"error": "count, retry_after and delay are numbers"})
    if fault.remaining < 1:
        return json_response(400, {"error": "count must be at least 1"})
    state.add_fault(provider, fault)
    return json_response(201, list_faults(state))


def list_faults(state: SandboxState) -> dict[str, list[dict[str, Any]]]:
    """Pending faults per provider."""
    return {
        p: [
            {"kind": f.kind, "remaining": f.remaining, "path": f.path, "retry_after": f.retry_after}
            for f in state.faults[p]
        ]
        for p in PROVIDERS
    }


async def get_faults(request: web.Request) -> web.Response:
    """``GET /_control/faults``."""
    return json_response(200, list_faults(request.app[STATE]))


async def clear_faults(request: web.Request) -> web.Response:
    """``DELETE /_control/faults``."""
    state = request.app[STATE]
    for provider in PROVIDERS:
        state.faults[provider].clear()
    return json_response(200, list_faults(state))


async def expire_tokens(request: web.Request) -> web.Response:
    """``POST /_control/tokens/expire``: the next data call with them gets a 401."""
    body = await _body(request)
    provider = body.get("provider")
    if provider is not None and provider not in PROVIDERS:
        return json_response(400, {"error": f"provider in {list(PROVIDERS)}"})
    return json_response(200, {"expired": request.app[STATE].expire_tokens(provider)})


async def set_red_run(request: web.Request) -> web.Response:
    """``POST /_control/rte/red``: move the red Ecowatt run (relative to now)."""
    state = request.app[STATE]
    body = await _body(request)
    try:
        in_hours, hours = int(body.get("in_hours", 2)), int(body.get("hours", 3))
    except TypeError, ValueError:
        return json_response(400, {"error": "in_hours and hours are integers"})
    state.red_start = state.default_red_start(in_hours)
    state.red_hours = max(0, hours)
    state.red_set = True
    state.rte_last_production_call.clear()
    state.changed()
    return json_response(200, describe(state, "")["red_run"])


async def set_meter(request: web.Request) -> web.Response:
    """``POST /_control/enedis/meters/{prm}``: revoke consent, or move the customer out."""
    state = request.app[STATE]
    meter = state.meters.get(request.match_info["prm"])
    if meter is None:
        return json_response(404, {"error": "unknown PRM"})
    body = await _body(request)
    if "consent" in body:
        meter.consent = bool(body["consent"])
    if "holder" in body:
        meter.holder = bool(body["holder"])
    state.changed()
    return json_response(200, {"prm": meter.prm, "consent": meter.consent, "holder": meter.holder})


async def reset(request: web.Request) -> web.Response:
    """``POST /_control/reset``."""
    request.app[STATE].reset()
    return json_response(200, {"reset": True})


def create_app(state: SandboxState) -> web.Application:
    """The control sub-application."""
    app = web.Application()
    app[STATE] = state
    app.router.add_get("", index)
    app.router.add_get("/", index)
    app.router.add_get("/stats", stats)
    app.router.add_get("/faults", get_faults)
    app.router.add_post("/faults", add_fault)
    app.router.add_delete("/faults", clear_faults)
    app.router.add_post("/tokens/expire", expire_tokens)
    app.router.add_post("/rte/red", set_red_run)
    app.router.add_post("/enedis/meters/{prm}", set_meter)
    app.router.add_post("/reset", reset)
    return app
