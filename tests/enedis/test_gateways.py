"""The gateway transports (Conso API, MyElectricalData) against servers answering real captures.

The captures of ``shared/reference/captures`` (MyElectricalData's Enedis-2026 production
captures) are served byte for byte by the Conso API stand-in (the gateway passes Enedis' JSON
through) and wrapped the way MyElectricalData wraps them (envelope, 2026 shape rebuilt without
the Enedis-only keys, load curve shifted to interval start). Both transports must give the
same readings, equal to the daily file.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
import json
import math
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.delestage.api.budget import (
    CONSO_API_POLICY,
    REQUEST_PURPOSE,
    BudgetPolicy,
    GatewayBudgetSpentError,
    GatewayQuotaError,
    Purpose,
    RequestBudget,
)
from custom_components.delestage.api.enedis_errors import (
    EnedisBeforeActivationError,
    EnedisBeyondHistoryError,
    EnedisCurveNotActivatedError,
    EnedisNoDataError,
    EnedisNotSubscribedError,
    EnedisRequestError,
    EnedisTechnicalError,
)
from custom_components.delestage.api.enedis_gateways import (
    USER_AGENT,
    VERSION,
    ConsoApiClient,
    GatewayClient,
    GatewayMeter,
    GatewayTokenError,
    MyElectricalDataClient,
    decode_conso_token,
)
from custom_components.delestage.api.enedis_models import PARIS
from custom_components.delestage.api.errors import ApiResponseError
from tools.sandbox.conso_api import make_token

# Byte-for-byte copies of shared/reference/captures (see captures/SOURCES.md).
CAPTURES = Path(__file__).parent / "captures"
ROOT = Path(__file__).parents[2]
PRM = "99999999999991"
PRODUCER = "99999999999992"
DAY1, DAY3 = date(2026, 9, 29), date(2026, 10, 1)
CONSO_FILES = {
    "consommation_quotidienne": "med2026_mesure_consommation_quotidienne.json",
    "courbe_de_charge_consommation": "med2026_mesure_courbe_de_charge_consommation.json",
    "puissance_conso_max_quotidienne": "med2026_mesure_puissance_conso_max_quotidienne.json",
    "production_quotidienne": "med2026_mesure_production_quotidienne.json",
    "courbe_de_charge_production": "med2026_mesure_courbe_de_charge_production.json",
}
MED_ROUTES = {
    "consumption/daily": "consommation_quotidienne",
    "consumption/detail": "courbe_de_charge_consommation",
    "power": "puissance_conso_max_quotidienne",
    "production/daily": "production_quotidienne",
    "production/detail": "courbe_de_charge_production",
}


def capture(name: str) -> Any:
    return json.loads((CAPTURES / name).read_text())


def med_shape(resource: str) -> dict[str, Any]:
    """What MyElectricalData's ``build_measure`` makes of an Enedis answer (reference §2.2)."""
    raw = capture(CONSO_FILES[resource])
    grandeur = raw["grandeur"]
    if resource.startswith("courbe"):
        # shift_points_to_interval_start: d - p (no DST in these days).
        grandeur = [
            {
                **g,
                "points": [
                    {
                        **p,
                        "d": (datetime.fromisoformat(p["d"]) - timedelta(minutes=30)).strftime(
                            "%Y-%m-%d %H:%M:%S"
                        ),
                    }
                    for p in g["points"]
                ],
            }
            for g in grandeur
        ]
    data = {"idPrm": raw["idPrm"], "periode": raw["periode"], "grandeur": grandeur}
    if "pas" in raw:
        data["pas"] = raw["pas"]
    return data


def envelope(data: Any = None, error: dict[str, Any] | None = None) -> web.Response:
    return web.json_response(
        {"success": error is None, "data": data, "error": error, "timestamp": "2026-10-06T07:12:00"}
    )


type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve(socket_enabled: None) -> Any:
    """Start an aiohttp app with one catch-all handler; returns its base URL."""
    servers: list[TestServer] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        server = TestServer(app)
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def session() -> Any:
    async with aiohttp.ClientSession() as http:
        yield http


def conso_token(prms: list[str], days: int = 1094) -> str:
    return make_token("secret", prms, datetime.now(UTC), days)


async def conso_captures(request: web.Request) -> web.Response:
    """Conso API: checks the conventions, answers the capture byte for byte."""
    assert request.method == "GET"
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["Authorization"].startswith("Bearer ey")
    kind = request.path.removeprefix("/api/")
    query = request.query
    assert query["pointId"] in (PRM, PRODUCER)
    assert (query["dateDebut"], query["dateFin"]) == ("2026-09-29", "2026-10-01")
    if kind == "puissance_conso_max_quotidienne":
        assert (query["mesuresPas"], query["grandeurPhysique"]) == ("P1D", "PMA")
    return web.Response(
        body=(CAPTURES / CONSO_FILES[kind]).read_bytes(), content_type="application/json"
    )


async def med_captures(request: web.Request) -> web.Response:
    """MyElectricalData: checks the conventions, answers the capture in its envelope."""
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["X-MED-Format"] == "2026"
    assert request.headers["Authorization"] == "Bearer med-secret"
    assert request.query["use_cache"] == "true"
    path = request.path.removeprefix("/api/enedis/")
    route, prm = path.rsplit("/", 1)
    assert prm in (PRM, PRODUCER)
    if route == "contract":
        return envelope(
            {
                "situation_contrat": capture("med2026_situation_contrat_autoconsommation.json"),
                "synthese_contrat": {"services_level": "Communicant (ouvert aux services)"},
                "comptage": None,
            }
        )
    assert (request.query["start"], request.query["end"]) == ("2026-09-29", "2026-10-01")
    return envelope(med_shape(MED_ROUTES[route]))


async def both_clients(serve: Any, session: aiohttp.ClientSession) -> list[GatewayClient]:
    conso_url = await serve(conso_captures)
    med_url = await serve(med_captures)
    return [
        ConsoApiClient(session, conso_token([PRM, PRODUCER]), base_url=f"{conso_url}/api"),
        MyElectricalDataClient(session, "med-secret", base_url=f"{med_url}/api"),
    ]


async def test_captures_through_each_transport(serve: Any, session: aiohttp.ClientSession) -> None:
    results = []
    for client in await both_clients(serve, session):
        daily = await client.async_get_daily_consumption(PRM, DAY1, DAY3)
        curve = await client.async_get_load_curve(PRM, DAY1, DAY3)
        peaks = await client.async_get_max_power(PRM, DAY1, DAY3)
        production = await client.async_get_daily_production(PRODUCER, DAY1, DAY3)
        production_curve = await client.async_get_production_load_curve(PRODUCER, DAY1, DAY3)
        assert [(v.day, v.wh) for v in daily.values] == [
            (DAY1, 33495.0),
            (DAY1 + timedelta(1), 38022.0),
        ]
        # 96 half-hours of 2 Paris days: first starts at midnight, last ends at midnight.
        assert len(curve.points) == 96
        assert curve.points[0].start == datetime(2026, 9, 29, tzinfo=PARIS)
        assert curve.points[-1].end == datetime(2026, 10, 1, tzinfo=PARIS)
        per_day: dict[date, float] = {}
        for point in curve.points:
            day = point.start.astimezone(PARIS).date()
            per_day[day] = per_day.get(day, 0.0) + point.wh
        assert per_day == {DAY1: 33495.0, DAY1 + timedelta(1): 38022.0}
        assert [(p.day, p.va) for p in peaks] == [(DAY1, 4680.0), (DAY1 + timedelta(1), 6510.0)]
        assert peaks[0].at == datetime(2026, 9, 29, 13, 3, 35, tzinfo=PARIS)
        assert [v.wh for v in production.values] == [8263.0, 941.0]
        prod_day1 = sum(
            p.wh for p in production_curve.points if p.start.astimezone(PARIS).date() == DAY1
        )
        assert prod_day1 == pytest.approx(8263.0, abs=1)
        assert client.data_calls == 5
        results.append((curve.points, production_curve.points))
    # Same readings whatever the gateway: the start shift is undone exactly once.
    assert results[0] == results[1]


async def test_contract_per_source(serve: Any, session: aiohttp.ClientSession) -> None:
    conso, med = await both_clients(serve, session)
    empty = await conso.async_get_contract(PRM)
    assert empty.subscribed_power_kva is None
    assert conso.data_calls == 0  # Conso API offers no contract: no request
    contract = await med.async_get_contract(PRM)
    assert contract.subscribed_power_kva == 12.0
    assert contract.segment == "C5"


def test_conso_token_claims() -> None:
    token = conso_token([PRM, PRODUCER, PRM], days=10)
    claims = decode_conso_token(token)
    assert claims.prms == (PRM, PRODUCER)
    assert claims.expires is not None
    assert not claims.expired()
    assert claims.expired(datetime.now(UTC) + timedelta(days=11))
    for bad in ("", "abc", "a.b.c", "a.bnVsbA.c", make_token("s", [], datetime.now(UTC))):
        with pytest.raises(ValueError, match="JWT"):
            decode_conso_token(bad)
    with pytest.raises(ValueError, match="bad PRM"):
        decode_conso_token(make_token("s", ["123"], datetime.now(UTC)))


def test_user_agent_names_the_manifest_version() -> None:
    manifest = json.loads((ROOT / "custom_components/delestage/manifest.json").read_text())
    assert manifest["version"] == VERSION
    assert USER_AGENT.startswith(f"delestage/{VERSION}")


async def test_conso_meters_come_from_the_token(session: aiohttp.ClientSession) -> None:
    client = ConsoApiClient(session, conso_token([PRM, PRODUCER]))
    assert await client.async_get_meters() == (GatewayMeter(PRM), GatewayMeter(PRODUCER))
    with pytest.raises(GatewayTokenError):
        await ConsoApiClient(session, "not-a-token").async_get_meters()


async def test_med_meters(serve: Any, session: aiohttp.ClientSession) -> None:
    async def handler(request: web.Request) -> web.Response:
        assert request.path == "/api/pdl/"
        if request.headers["Authorization"] != "Bearer good":
            return web.json_response({"detail": "Invalid authentication credentials"}, status=401)
        return envelope(
            [
                {"usage_point_id": PRM, "name": "Maison", "has_production": False},
                {"usage_point_id": PRODUCER, "name": "", "has_production": True},
                {"usage_point_id": "11111111111111", "is_active": False},
                {"usage_point_id": "bad"},
                "junk",
            ]
        )

    url = await serve(handler)
    client = MyElectricalDataClient(session, "good", base_url=f"{url}/api")
    assert await client.async_get_meters() == (
        GatewayMeter(PRM, False, "Maison"),
        GatewayMeter(PRODUCER, True, None),
    )
    with pytest.raises(GatewayTokenError):
        await MyElectricalDataClient(session, "bad", base_url=f"{url}/api").async_get_meters()


async def test_med_meter_list_must_be_a_list(serve: Any, session: aiohttp.ClientSession) -> None:
    async def handler(request: web.Request) -> web.Response:
        return envelope({"usage_point_id": PRM})

    url = await serve(handler)
    with pytest.raises(ApiResponseError):
        await MyElectricalDataClient(session, "s", base_url=url).async_get_meters()


def conso_error(status: int, body: Any, **headers: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        if isinstance(body, bytes):
            return web.Response(status=status, body=body)
        if isinstance(body, str):
            return web.Response(status=status, text=body, content_type="text/html")
        return web.json_response(body, status=status, headers=headers)

    return handler


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, b"  ", EnedisTechnicalError),
        (502, b"<html>Bad gateway</html>", EnedisTechnicalError),
        (401, {"status": 401, "message": "Votre token est invalide"}, GatewayTokenError),
        (
            400,
            {
                "status": 400,
                "message": "The Enedis API returned an error",
                "error": {"error": "ADAM-ERR0123", "error_description": "avant la mise en service"},
            },
            EnedisBeforeActivationError,
        ),
        (
            404,
            {
                "status": 404,
                "message": "The Enedis API returned an error",
                "error": {"error": "no_data_found", "error_description": "no measure"},
            },
            EnedisNoDataError,
        ),
        (
            403,
            {
                "status": 403,
                "message": "The Enedis API returned an error",
                "error": capture("med2026_erreur_comptage_non_souscrit.json"),
            },
            EnedisNotSubscribedError,
        ),
        (
            500,
            {"status": 500, "message": "Impossible de rafraîchir le token. Réessayez plus tard"},
            EnedisTechnicalError,
        ),
        (
            400,
            {"status": 400, "message": "Paramètres invalides", "error": "bad"},
            EnedisRequestError,
        ),
    ],
)
async def test_conso_errors(
    serve: Any, session: aiohttp.ClientSession, status: int, body: Any, error: type[Exception]
) -> None:
    url = await serve(conso_error(status, body))
    client = ConsoApiClient(session, conso_token([PRM]), base_url=url)
    with pytest.raises(error):
        await client.async_get_daily_consumption(PRM, DAY1, DAY3)
    assert client.budget.blocked_until is None


@pytest.mark.parametrize(
    ("status", "body", "banned", "min_wait"),
    [
        (403, "<!DOCTYPE html><title>Attention Required! | Cloudflare</title>", True, 12 * 3600),
        (
            429,
            {
                "status": 429,
                "message": "The Enedis API returned an error",
                "error": {"fault": {"code": 900807, "message": "Message throttled out"}},
            },
            False,
            12 * 3600,
        ),
    ],
)
async def test_conso_quota_and_ban_stop_requests(
    serve: Any,
    session: aiohttp.ClientSession,
    status: int,
    body: Any,
    banned: bool,
    min_wait: float,
) -> None:
    calls = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        return await conso_error(status, body)(request)

    url = await serve(handler)
    client = ConsoApiClient(session, conso_token([PRM]), base_url=url)
    with pytest.raises(GatewayQuotaError) as err:
        await client.async_get_load_curve(PRM, DAY1, DAY3)
    assert err.value.banned is banned
    assert err.value.retry_after is not None
    assert err.value.retry_after >= min_wait - 5
    # Nothing more is sent until the window has passed, whatever the caller does.
    with pytest.raises(GatewayQuotaError) as again:
        await client.async_get_daily_consumption(PRM, DAY1, DAY3)
    assert again.value.banned is banned
    assert calls == 1


@pytest.mark.parametrize(
    ("code", "message", "error"),
    [
        ("ACCESS_DENIED", "PDL not yours", GatewayTokenError),
        ("NO_DATA", "", EnedisNoDataError),
        ("DATE_TOO_OLD", "3 years", EnedisBeyondHistoryError),
        ("ADAM-ERR0123", "activation", EnedisBeforeActivationError),
        ("ENEDIS_ERROR", "ADAM-ERR0075: courbe non activée", EnedisCurveNotActivatedError),
        ("ENEDIS_UNAVAILABLE", "", EnedisTechnicalError),
        ("SOMETHING_NEW", "", EnedisTechnicalError),
    ],
)
async def test_med_errors_in_a_200_envelope(
    serve: Any, session: aiohttp.ClientSession, code: str, message: str, error: type[Exception]
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return envelope(error={"code": code, "message": message, "field": None})

    url = await serve(handler)
    client = MyElectricalDataClient(session, "s", base_url=url)
    with pytest.raises(error):
        await client.async_get_load_curve(PRM, DAY1, DAY3)


async def test_med_quota_blocks_until_its_utc_day_ends(
    serve: Any, session: aiohttp.ClientSession
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return envelope(
            error={
                "code": "RATE_LIMIT_EXCEEDED",
                "message": "Daily rate limit exceeded (1001/1000)",
            }
        )

    url = await serve(handler)
    now = datetime(2026, 10, 6, 22, 0, tzinfo=UTC).timestamp()
    client = MyElectricalDataClient(session, "s", base_url=url, clock=lambda: now)
    with pytest.raises(GatewayQuotaError) as err:
        await client.async_get_daily_consumption(PRM, DAY1, DAY3)
    assert err.value.retry_after == pytest.approx(2 * 3600 + 300)
    assert client.budget.block_reason == "RATE_LIMIT_EXCEEDED"


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"detail": "Not authenticated"}, GatewayTokenError),
        (403, {"detail": "E-mail not verified"}, GatewayTokenError),
        (429, {"detail": "slow down"}, GatewayQuotaError),
        (502, "<html>Bad gateway</html>", EnedisTechnicalError),
        (200, {"success": True, "data": [1, 2]}, Exception),
        (400, b"not json", Exception),
    ],
)
async def test_med_http_errors(
    serve: Any, session: aiohttp.ClientSession, status: int, body: Any, error: type[Exception]
) -> None:
    url = await serve(conso_error(status, body))
    client = MyElectricalDataClient(session, "s", base_url=url)
    with pytest.raises(error):
        await client.async_get_daily_consumption(PRM, DAY1, DAY3)


async def test_requests_are_checked_before_sending(session: aiohttp.ClientSession) -> None:
    client = ConsoApiClient(session, conso_token([PRM]), base_url="http://127.0.0.1:9")
    with pytest.raises(EnedisRequestError):
        await client.async_get_load_curve(PRM, DAY1, DAY1 + timedelta(days=8))
    with pytest.raises(EnedisRequestError):
        await client.async_get_daily_consumption("123", DAY1, DAY3)
    with pytest.raises(EnedisRequestError):
        await client.async_get_daily_consumption(PRM, DAY3, DAY1)
    assert client.data_calls == 0


# --------------------------------------------------------------------------- the budget


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_budget_keeps_room_for_the_refresh() -> None:
    clock = FakeClock()
    budget = RequestBudget(CONSO_API_POLICY, clock=clock)
    for _ in range(40):
        budget.acquire(Purpose.BACKFILL)
        clock.now += 60
    with pytest.raises(GatewayBudgetSpentError) as err:
        budget.acquire(Purpose.BACKFILL)
    # The oldest back-fill request leaves the 12 h window first.
    assert err.value.retry_after == pytest.approx(12 * 3600 - 40 * 60)
    for _ in range(20):
        budget.acquire(Purpose.REFRESH)
    with pytest.raises(GatewayBudgetSpentError):
        budget.acquire(Purpose.REFRESH)
    assert budget.used() == 60
    assert budget.used(Purpose.BACKFILL) == 40
    assert budget.peak == 60
    clock.now += 12 * 3600
    assert budget.used() == 0
    budget.acquire(Purpose.BACKFILL)


def test_budget_survives_a_restart_and_a_block() -> None:
    clock = FakeClock()
    budget = RequestBudget(BudgetPolicy(window=3600, backfill=2, total=3, block=600), clock=clock)
    budget.acquire(Purpose.BACKFILL)
    budget.acquire(Purpose.BACKFILL)
    assert budget.block("banned", 60) == 600
    saved = json.loads(json.dumps(budget.as_dict()))

    restored = RequestBudget(budget.policy, clock=clock)
    restored.restore(saved)
    restored.restore(None)  # ignored
    assert restored.used(Purpose.BACKFILL) == 2
    with pytest.raises(GatewayQuotaError) as err:
        restored.acquire(Purpose.REFRESH)
    assert err.value.retry_after == 600
    clock.now += 601
    restored.acquire(Purpose.REFRESH)
    with pytest.raises(GatewayBudgetSpentError):
        restored.acquire(Purpose.REFRESH)
    assert restored.blocked_until is None

    broken = RequestBudget(budget.policy, clock=clock)
    broken.restore({"requests": [[1, "nope"], "x", [clock.now, "refresh"]], "peak": "x"})
    assert broken.used() == 1


def test_budget_restored_from_a_clock_that_ran_ahead() -> None:
    """Times saved by a clock 5 years ahead, or nan, never block the gateway for years."""
    clock = FakeClock()
    policy = BudgetPolicy(window=3600, backfill=2, total=3, block=600)
    ahead = clock.now + 5 * 365 * 86400
    budget = RequestBudget(policy, clock=clock)
    budget.restore(
        {
            "requests": [[ahead, "refresh"], [ahead + 1, "backfill"], ["nan", "refresh"]],
            "blocked_until": ahead,
            "block_reason": "banned",
        }
    )
    # The block ends within the longest a real block can last (a day), not in 5 years.
    assert budget.wait(Purpose.REFRESH) == 86400
    # Requests "in the future" count as made now and leave the window with it; nan is dropped.
    assert budget.used() == 2
    clock.now += 3600
    assert budget.used() == 0
    clock.now += 86400 - 3600
    budget.acquire(Purpose.BACKFILL)

    for broken in (math.nan, math.inf):
        budget.restore({"requests": [], "blocked_until": broken})
        assert budget.blocked_until is None
        assert budget.wait(Purpose.REFRESH) == 0
    assert budget.block("HTTP 429", math.nan) == 600
    assert budget.block("HTTP 429", 10 * 86400) == 86400


class SteadyClock:
    """A monotonic clock: the time that really passed, whatever the wall clock says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _tick(wall: FakeClock, steady: SteadyClock, seconds: float) -> None:
    wall.now += seconds
    steady.now += seconds


def test_budget_follows_a_clock_set_back_while_running() -> None:
    """A clock 5 years ahead, corrected back by NTP while running: blocked a window, not 5 years."""
    wall, steady = FakeClock(), SteadyClock()
    policy = BudgetPolicy(window=3600, backfill=2, total=3, block=600)
    wall.now += 5 * 365 * 86400  # the wall clock was far ahead at start
    budget = RequestBudget(policy, clock=wall, monotonic=steady)
    for _ in range(3):
        budget.acquire(Purpose.REFRESH)
        _tick(wall, steady, 60)
    budget.block("HTTP 429", 600)
    wall.now -= 5 * 365 * 86400  # NTP answers: the wall clock jumps back

    assert budget.wait(Purpose.REFRESH) == pytest.approx(600)
    _tick(wall, steady, 600)
    # The oldest request was made 780 s ago (real time): it leaves the window in 2820 s.
    assert budget.wait(Purpose.REFRESH) == pytest.approx(3600 - 780)
    _tick(wall, steady, 3600 - 780)
    budget.acquire(Purpose.REFRESH)


def test_budget_follows_a_clock_set_forward_while_running() -> None:
    """A clock behind (no real-time clock), corrected forward: the requests still count."""
    wall, steady = FakeClock(), SteadyClock()
    wall.now -= 2 * 86400  # two days behind at start
    budget = RequestBudget(CONSO_API_POLICY, clock=wall, monotonic=steady)
    for _ in range(60):
        budget.acquire(Purpose.REFRESH)
        _tick(wall, steady, 10)
    wall.now += 2 * 86400  # NTP answers: the wall clock jumps forward

    # The 60 requests of the last 10 minutes are still in the 12 h window: none more may go
    # (another 60 would be 120 in 12 h: Conso API bans the home's IP at 100).
    assert budget.used() == 60
    with pytest.raises(GatewayBudgetSpentError):
        budget.acquire(Purpose.REFRESH)
    saved = RequestBudget(CONSO_API_POLICY, clock=wall, monotonic=steady)
    saved.restore(json.loads(json.dumps(budget.as_dict())))
    assert saved.used() == 60


def test_budget_without_a_steady_clock_clamps_a_clock_set_back() -> None:
    """With only a wall clock, a request "in the future" counts as made now at each look."""
    wall = FakeClock()
    policy = BudgetPolicy(window=3600, backfill=2, total=3, block=600)
    budget = RequestBudget(policy, clock=wall)
    wall.now += 5 * 365 * 86400
    for _ in range(3):
        budget.acquire(Purpose.REFRESH)
    budget.block("banned")
    wall.now -= 5 * 365 * 86400

    assert budget.wait(Purpose.REFRESH) <= budget.longest_block
    wall.now += budget.longest_block
    assert budget.wait(Purpose.REFRESH) == 0


def test_request_purpose_defaults_to_refresh() -> None:
    budget = RequestBudget(BudgetPolicy(window=3600, backfill=0, total=5, block=60))
    budget.acquire()  # a refresh
    token = REQUEST_PURPOSE.set(Purpose.BACKFILL)
    try:
        with pytest.raises(GatewayBudgetSpentError):
            budget.acquire()
    finally:
        REQUEST_PURPOSE.reset(token)
