"""The simulator application: one sub-application per provider, plus /_control."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from . import conso_api, control, enedis, errors, meteofrance, myelectricaldata, rte, rte_forecasts
from .state import PROVIDERS, Fault, SandboxState

STATE = control.STATE
type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(state: SandboxState | None = None) -> web.Application:
    """Build the simulator: /rte, /enedis, /meteofrance, /_control."""
    state = state or SandboxState()
    app = web.Application(middlewares=[count_and_fault])
    app[STATE] = state
    rte_app = rte.create_app(state)
    rte_forecasts.add_routes(rte_app, state)
    app.add_subapp("/rte", rte_app)
    app.add_subapp("/enedis", enedis.create_app(state))
    app.add_subapp("/meteofrance", meteofrance.create_app(state))
    app.add_subapp("/conso_api", conso_api.create_app(state))
    app.add_subapp("/myelectricaldata", myelectricaldata.create_app(state))
    app.add_subapp("/_control", control.create_app(state))
    app.router.add_get("/", control.index)
    return app


def provider_of(path: str) -> str | None:
    """Provider named by the first segment of a path."""
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in PROVIDERS else None


@web.middleware
async def count_and_fault(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count provider calls and serve the faults switched on through /_control."""
    provider = provider_of(request.path)
    if provider is None:
        return await handler(request)
    state = request.config_dict[STATE]
    stats = state.stats[provider]
    stats.calls += 1
    if provider in ("conso_api", "myelectricaldata"):
        state.gateway_log.append((state.now(), provider, request.path))
    stats.by_path[request.path.removeprefix(f"/{provider}")] += 1
    fault = state.take_fault(provider, request.path)
    try:
        if fault is not None:
            stats.faults_served += 1
            response = await serve_fault(request, handler, provider, fault)
        else:
            response = await handler(request)
    except web.HTTPException as err:  # redirects of the consent page
        stats.by_status[str(err.status)] += 1
        raise
    stats.by_status[str(response.status)] += 1
    return response


async def serve_fault(
    request: web.Request, handler: Handler, provider: str, fault: Fault
) -> web.StreamResponse:
    """The answer of a fault, shaped like the provider's own."""
    now = request.config_dict[STATE].now()
    match fault.kind:
        case "429":
            return rate_limited(provider, fault.retry_after, now)
        case "500" | "503":
            return server_error(provider, int(fault.kind))
        case "401":
            return invalid_token(provider)
        case "timeout":
            await asyncio.sleep(fault.delay)
            return web.Response(status=504, text="Gateway Timeout")
    # malformed: the real answer, cut in the middle (a proxy dropping the connection).
    real = await handler(request)
    body = real.body if isinstance(real, web.Response) and isinstance(real.body, bytes) else b""
    return web.Response(
        status=200,
        body=body[: max(1, len(body) // 2)],
        content_type=real.content_type or "application/json",
    )


def rate_limited(provider: str, retry_after: int, now: datetime) -> web.Response:
    """Each provider's throttling answer."""
    if provider == "rte":
        return errors.json_response(
            429,
            {"error": "TOO_MANY_REQUESTS", "error_description": "Quota exceeded"},
            {"Retry-After": str(retry_after)},
        )
    if provider in ("enedis", "conso_api"):
        return errors.json_response(
            429, {"code": "429", "message": "SLA dépassé"}, {"Retry-After": str(retry_after)}
        )
    if provider == "myelectricaldata":
        return errors.json_response(
            200,
            {
                "success": False,
                "data": None,
                "error": {"code": "RATE_LIMIT_EXCEEDED", "message": "Daily rate limit exceeded"},
            },
        )
    return errors.meteofrance_throttled(now)


def server_error(provider: str, status: int) -> web.Response:
    """Each provider's server error answer."""
    if provider == "rte":
        return errors.rte_server_error(status)
    if provider in ("enedis", "conso_api", "myelectricaldata"):
        return errors.enedis_server_error(status)
    return errors.meteofrance_server_error(status)


def invalid_token(provider: str) -> web.Response:
    """Each provider's expired-token answer."""
    if provider == "rte":
        return errors.rte_invalid_token()
    if provider in ("conso_api", "myelectricaldata"):
        return errors.json_response(401, {"detail": "Invalid authentication credentials"})
    if provider == "enedis":
        return errors.enedis_invalid_token()
    return errors.meteofrance_invalid_token()
