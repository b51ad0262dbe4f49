"""Tests of the Enedis Data Connect 2026 client against a fake gateway (aiohttp test server)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
import json
import logging
import math
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.delestage.api.auth import AccessToken
from custom_components.delestage.api.enedis import (
    BASE_URLS,
    EnedisBeforeActivationError,
    EnedisBeforeConsentError,
    EnedisBeyondHistoryError,
    EnedisClient,
    EnedisCurveNotActivatedError,
    EnedisEnvironment,
    EnedisError,
    EnedisMovedError,
    EnedisNoConsentError,
    EnedisNoDataError,
    EnedisNotSubscribedError,
    EnedisRateLimitedError,
    EnedisRequestError,
    EnedisTechnicalError,
    EnedisWrongDirectionError,
    RateLimiter,
    today_in_paris,
)
from custom_components.delestage.api.enedis_models import (
    DailyValue,
    SubscribedService,
    consent_from_services,
    parse_contract,
    parse_daily,
    parse_load_curve,
    parse_max_power,
    parse_step,
    parse_subscribed_services,
)
from custom_components.delestage.api.errors import (
    ApiAuthError,
    ApiConnectionError,
    ApiForbiddenError,
    ApiResponseError,
)

from .fake_enedis import (
    CLIENT_ID,
    CLIENT_SECRET,
    PRM,
    FakeEnedis,
    base_url,
    capture,
    fake,
    fake_server,
)

__all__ = ["fake", "fake_server"]


@pytest.fixture
async def session() -> Any:
    """A plain aiohttp session (the client knows nothing of Home Assistant)."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def client(session: aiohttp.ClientSession, fake_server: TestServer) -> EnedisClient:
    """A client of the fake gateway."""
    return EnedisClient(session, CLIENT_ID, CLIENT_SECRET, base_url=base_url(fake_server))


def inject(fake: FakeEnedis, status: int, body: Any, **headers: str) -> None:
    """Make the next data call answer ``status`` / ``body``."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    fake.injected.append(
        web.Response(status=status, body=raw, content_type="application/json", headers=headers)
    )


# --------------------------------------------------------------------------- hosts


def test_hosts(session: aiohttp.ClientSession) -> None:
    """Production and sandbox gateways; a base URL overrides both (simulator)."""
    prod = EnedisClient(session, "id", "secret")
    sandbox = EnedisClient(session, "id", "secret", environment="sandbox")
    local = EnedisClient(session, "id", "secret", base_url="http://127.0.0.1:8123/enedis/")
    assert prod.base_url == "https://gw.ext.prod.api.enedis.fr"
    assert sandbox.base_url == "https://gw.ext.prod-sandbox.api.enedis.fr"
    assert sandbox.environment is EnedisEnvironment.SANDBOX
    assert local.base_url == "http://127.0.0.1:8123/enedis"
    assert BASE_URLS[EnedisEnvironment.PRODUCTION] == prod.base_url
    with pytest.raises(ValueError, match="homologation"):
        EnedisClient(session, "id", "secret", environment="homologation")


def test_today_in_paris() -> None:
    """23:30 UTC on 31 Dec is already 1 Jan in Paris."""
    moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC).timestamp()
    assert today_in_paris(moment) == date(2027, 1, 1)


# --------------------------------------------------------------------------- consent


async def test_consent_resolves_prm_and_end(client: EnedisClient, fake: FakeEnedis) -> None:
    """``autorisation_id`` → PRM, consent end date, directions."""
    fake.producer = True
    consent = await client.async_get_consent("123")
    assert consent.prm == PRM
    assert consent.end == date(2029, 11, 20)
    assert consent.consumption is True
    assert consent.production is True
    assert consent.services[0].service_code == "ACCES"
    assert consent.services[0].start == date(2026, 11, 20)


async def test_consent_without_meter(client: EnedisClient) -> None:
    """A consent that covers nothing is a malformed answer, not a crash."""
    assert await client.async_get_subscribed_services(999) == ()
    with pytest.raises(ApiResponseError):
        await client.async_get_consent(999)


# --------------------------------------------------------------------------- token


async def test_token_reused_and_persisted(client: EnedisClient, fake: FakeEnedis) -> None:
    """One token (``expires_in`` sent as a string) serves many calls; ``on_token`` hears it."""
    seen: list[AccessToken] = []
    client.auth._on_token = seen.append
    day = date(2026, 11, 20)
    for _ in range(3):
        await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))
    assert fake.token_calls == 1
    assert client.token_requests == 1
    assert len(seen) == 1
    assert client.token is seen[0]
    # 3.5 h lifetime from the string "12600"
    assert 12500 < seen[0].expires_at - datetime.now(UTC).timestamp() <= 12600


async def test_restored_token_costs_no_token_call(
    session: aiohttp.ClientSession, fake_server: TestServer, fake: FakeEnedis
) -> None:
    """A token persisted before a restart is reused."""
    fake.tokens.add("eyJsaved")
    client = EnedisClient(session, CLIENT_ID, CLIENT_SECRET, base_url=base_url(fake_server))
    client.restore_token(AccessToken("eyJsaved", datetime.now(UTC).timestamp() + 3600))
    await client.async_get_contract(PRM)
    assert fake.token_calls == 0


async def test_401_gets_new_token_and_retries_once(
    client: EnedisClient, fake: FakeEnedis, caplog: pytest.LogCaptureFixture
) -> None:
    """An expired JWT (WSO2 fault 900901) → new token, the call succeeds."""
    caplog.set_level(logging.DEBUG)
    day = date(2026, 11, 20)
    await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))
    old = client.token
    assert old is not None
    fake.tokens.clear()  # the gateway forgets it (expired)
    readings = await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))
    assert readings.values[0].wh == fake.daily_wh(day)
    assert fake.token_calls == 2
    assert client.token is not None
    assert client.token.value != old.value
    ours = "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("custom_components")
    )
    assert "token refused" in ours
    for secret in (PRM, old.value, client.token.value):
        assert secret not in ours


async def test_second_401_is_an_auth_error(client: EnedisClient, fake: FakeEnedis) -> None:
    """Two 401 in a row: the credentials are the problem."""
    fault = {"fault": {"code": 900901, "message": "Invalid Credentials"}}
    inject(fake, 401, fault)
    inject(fake, 401, fault)
    day = date(2026, 11, 20)
    with pytest.raises(ApiAuthError):
        await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))
    assert fake.token_calls == 2


async def test_bad_app_credentials(session: aiohttp.ClientSession, fake_server: TestServer) -> None:
    """A refused client id/secret is an auth error (reauth)."""
    client = EnedisClient(session, CLIENT_ID, "wrong", base_url=base_url(fake_server))
    with pytest.raises(ApiAuthError):
        await client.async_get_contract(PRM)


async def test_unreachable_gateway(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    """No server: a connection error."""
    client = EnedisClient(session, "id", "secret", base_url="http://127.0.0.1:9")
    with pytest.raises(ApiConnectionError):
        await client.async_get_contract(PRM)


# --------------------------------------------------------------------------- measures


async def test_daily_consumption(client: EnedisClient, fake: FakeEnedis) -> None:
    """Daily Wh values (strings in the payload) for ``[start, end[``."""
    start, end = date(2026, 9, 29), date(2026, 10, 1)
    readings = await client.async_get_daily_consumption(PRM, start, end)
    assert (readings.start, readings.end, readings.unit) == (start, end, "Wh")
    assert [(v.day, v.wh) for v in readings.values] == [
        (date(2026, 9, 29), fake.daily_wh(date(2026, 9, 29))),
        (date(2026, 9, 30), fake.daily_wh(date(2026, 9, 30))),
    ]
    resource, query = fake.requests[-1]
    assert resource == "consommation_quotidienne"
    assert query == {"pointId": PRM, "dateDebut": "2026-09-29", "dateFin": "2026-10-01"}


async def test_load_curve_30_min(client: EnedisClient, fake: FakeEnedis) -> None:
    """48 half-hours; dates are interval ENDS in Paris time; energy = W × step."""
    day = date(2026, 9, 29)
    curve = await client.async_get_load_curve(PRM, day, day + timedelta(days=1))
    assert len(curve.points) == 48
    first = curve.points[0]
    # "2026-09-29 00:30:00" Paris (UTC+2) ends the interval 22:00Z–22:30Z of the 28th.
    assert first.end == datetime(2026, 9, 28, 22, 30, tzinfo=UTC)
    assert first.start == datetime(2026, 9, 28, 22, 0, tzinfo=UTC)
    assert first.wh == pytest.approx(first.watts / 2)
    assert sum(p.wh for p in curve.points) == pytest.approx(fake.daily_wh(day), abs=0.5)


@pytest.mark.parametrize(("day", "count"), [(date(2026, 3, 29), 46), (date(2026, 10, 25), 50)])
async def test_load_curve_dst_days(
    client: EnedisClient, fake: FakeEnedis, day: date, count: int
) -> None:
    """DST days: 46 / 50 half-hours, no overlap, the day's energy exact."""
    fake.today = date(2026, 11, 23)
    curve = await client.async_get_load_curve(PRM, day, day + timedelta(days=1))
    assert len(curve.points) == count
    ends = [p.end for p in curve.points]
    assert ends == sorted(set(ends))
    assert all(p.end - p.start == timedelta(minutes=30) for p in curve.points)
    assert curve.points[0].start == datetime(day.year, day.month, day.day - 1, 23, tzinfo=UTC) - (
        timedelta(hours=1) if day.month == 10 else timedelta(0)
    )
    assert sum(p.wh for p in curve.points) == pytest.approx(fake.daily_wh(day), abs=0.5)


async def test_load_curve_mixed_steps(client: EnedisClient, fake: FakeEnedis) -> None:
    """Steps changing within one answer: each point uses its own ``p``."""
    fake.steps = lambda day: [10, 10, 10, 15, 15, 60, 30, 30]
    day = date(2026, 9, 29)
    curve = await client.async_get_load_curve(PRM, day, day + timedelta(days=1))
    lengths = {p.end - p.start for p in curve.points}
    assert lengths == {timedelta(minutes=m) for m in (10, 15, 30, 60)}
    assert curve.points[0].start == datetime(2026, 9, 28, 22, tzinfo=UTC)
    assert curve.points[-1].end == datetime(2026, 9, 29, 22, tzinfo=UTC)
    for before, after in zip(curve.points, curve.points[1:], strict=False):
        assert before.end == after.start


async def test_production(client: EnedisClient, fake: FakeEnedis) -> None:
    """Production daily and curve for a producing meter."""
    fake.producer = True
    day = date(2026, 9, 29)
    daily = await client.async_get_daily_production(PRM, day, day + timedelta(days=1))
    curve = await client.async_get_production_load_curve(PRM, day, day + timedelta(days=1))
    assert daily.values[0].wh == 24000
    assert sum(p.wh for p in curve.points) == pytest.approx(24000)
    assert fake.calls_by_resource == {
        "production_quotidienne": 1,
        "courbe_de_charge_production": 1,
    }


async def test_max_power(client: EnedisClient, fake: FakeEnedis) -> None:
    """VA and the (aware) time of the maximum."""
    day = date(2026, 11, 20)
    (value,) = await client.async_get_max_power(PRM, day, day + timedelta(days=1))
    assert value.day == day
    assert value.va == 4680
    assert value.at == datetime(2026, 11, 20, 18, 3, 35, tzinfo=UTC)
    _, query = fake.requests[-1]
    assert query["mesuresPas"] == "P1D"
    assert query["grandeurPhysique"] == "PMA"


@pytest.mark.parametrize(("producer", "count"), [(False, 1), (True, 2)])
async def test_contract(client: EnedisClient, fake: FakeEnedis, producer: bool, count: int) -> None:
    """The real answer is a top-level array: the supply contract (GRD-F, C5) is picked, also
    when a self-consumption point adds its injection contract (GRD-A, P4, no power)."""
    fake.producer = producer
    contract = await client.async_get_contract(PRM)
    assert contract.subscribed_power_kva == 12
    assert contract.segment == "C5"
    assert contract.contract_type == "Contrat GRD-F"
    assert contract.contracts == count
    assert contract.distribution_tariff is not None
    assert contract.distribution_tariff.startswith("Tarif BT<=36kVA")


def test_contract_injection_first() -> None:
    """The supply contract is found wherever it stands in the array."""
    grd_f, grd_a = capture("med2026_situation_contrat_autoconsommation.json")
    contract = parse_contract([grd_a, grd_f])
    assert (contract.contract_type, contract.subscribed_power_kva) == ("Contrat GRD-F", 12)
    only_injection = parse_contract([grd_a])
    assert (only_injection.segment, only_injection.subscribed_power_kva) == ("P4", None)
    for unknown in ("x", {}, [], {"contrats": "?"}):
        with pytest.raises(ApiResponseError):
            parse_contract(unknown)
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ApiResponseError):
        parse_contract(deep)


@pytest.mark.parametrize(
    ("call", "start", "end"),
    [
        ("async_get_load_curve", date(2026, 11, 1), date(2026, 11, 9)),
        ("async_get_daily_consumption", date(2025, 1, 1), date(2026, 1, 2)),
        ("async_get_daily_consumption", date(2026, 1, 2), date(2026, 1, 2)),
    ],
)
async def test_ranges_checked_before_calling(
    client: EnedisClient, fake: FakeEnedis, call: str, start: date, end: date
) -> None:
    """Too long or empty ranges are refused locally."""
    with pytest.raises(EnedisRequestError):
        await getattr(client, call)(PRM, start, end)
    assert fake.data_calls == 0


async def test_bad_prm_refused_locally(client: EnedisClient, fake: FakeEnedis) -> None:
    """A PRM is 14 digits; the message does not echo it."""
    with pytest.raises(EnedisRequestError) as err:
        await client.async_get_contract("12345")
    assert "12345" not in str(err.value)
    assert fake.data_calls == 0


# --------------------------------------------------------------------------- errors

ERROR_CASES = [
    (403, {"code": "ADAM-DC-0008", "message": "Pas de consentement"}, EnedisNoConsentError),
    (403, {"code": "ADAM_DC_0008", "message": "x"}, EnedisNoConsentError),
    (404, {"code": "STM-ERR-0000019", "message": "x"}, EnedisNoConsentError),
    (403, {"code": "ADAM-DC-0007", "message": "Le client n'est plus titulaire"}, EnedisMovedError),
    (400, {"error": "ADAM-ERR0061", "error_description": "x"}, EnedisMovedError),
    (403, {"code": "900908", "message": "Resource forbidden "}, EnedisNotSubscribedError),
    (400, {"error": "ADAM-ERR0123", "error_description": "avant"}, EnedisBeforeActivationError),
    (400, {"code": "ADAM-ERR0125", "message": "trop ancien"}, EnedisBeyondHistoryError),
    (400, {"code": "ADAM-DC-0016", "message": "trop ancien"}, EnedisBeyondHistoryError),
    (403, {"code": "ADAM-DC-0009", "message": "avant consentement"}, EnedisBeforeConsentError),
    (400, {"code": "ADAM-ERR0075", "message": "refus courbe"}, EnedisCurveNotActivatedError),
    (400, {"code": "ADAM-ERR0069", "message": "non producteur"}, EnedisWrongDirectionError),
    (404, {"error": "no_data_found", "error_description": "x"}, EnedisNoDataError),
    (404, {"code": "STM-ERR-0000020", "message": "x"}, EnedisNoDataError),
    (404, {"code": "STM-ERR-0000014", "message": "x"}, EnedisNoDataError),
    (404, b"", EnedisNoDataError),
    (400, {"error": "invalid_request", "error_description": "x"}, EnedisRequestError),
    (400, {"code": "ADAM-DC-0015", "message": "x"}, EnedisRequestError),
    (418, b"<html>", EnedisRequestError),
    (403, {"code": "UNKNOWN", "message": "x"}, EnedisNoConsentError),
    (
        500,
        {"error": "technical_error", "error_description": "Please try later."},
        EnedisTechnicalError,
    ),
    (500, {"code": "ADAM-DC-0500", "message": "x"}, EnedisTechnicalError),
    (500, {"code": "STM-ERR-0000001", "message": "x"}, EnedisTechnicalError),
    (503, b"Service Unavailable", EnedisTechnicalError),
    (502, [1, 2], EnedisTechnicalError),
    (200, b"", EnedisTechnicalError),
    (200, b"{not json", ApiResponseError),
    (200, {"periode": "x"}, ApiResponseError),
]


@pytest.mark.parametrize(("status", "body", "expected"), ERROR_CASES)
async def test_error_mapping(
    client: EnedisClient, fake: FakeEnedis, status: int, body: Any, expected: type[Exception]
) -> None:
    """Each Enedis answer becomes its typed error, without the PRM in the message."""
    inject(fake, status, body)
    day = date(2026, 11, 20)
    with pytest.raises(expected) as err:
        await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))
    assert PRM not in str(err.value)
    if isinstance(err.value, EnedisError) and isinstance(body, dict):
        assert err.value.code == (body.get("code") or body.get("error"))


async def test_error_families(client: EnedisClient, fake: FakeEnedis) -> None:
    """HA side maps the generic families: consent → auth, moved → forbidden."""
    inject(fake, 403, {"code": "ADAM-DC-0008", "message": "x"})
    inject(fake, 403, {"code": "ADAM-DC-0007", "message": "x"})
    day = date(2026, 11, 20)
    with pytest.raises(ApiAuthError):
        await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))
    with pytest.raises(ApiForbiddenError):
        await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))


async def test_429_retry_after(client: EnedisClient, fake: FakeEnedis) -> None:
    """429 (SLA dépassé) carries the wait asked by Retry-After."""
    inject(fake, 429, {"code": "429", "message": "SLA dépassé"}, **{"Retry-After": "42"})
    inject(fake, 429, {"code": "429", "message": "SLA dépassé"})
    day = date(2026, 11, 20)
    with pytest.raises(EnedisRateLimitedError) as err:
        await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))
    assert err.value.retry_after == 42
    with pytest.raises(EnedisRateLimitedError) as err:
        await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))
    assert err.value.retry_after is None


async def test_real_gateway_errors(client: EnedisClient, fake: FakeEnedis) -> None:
    """Errors produced by the fake's own rules (not injected)."""
    fake.activation = date(2026, 6, 1)
    with pytest.raises(EnedisBeforeActivationError):
        await client.async_get_load_curve(PRM, date(2026, 5, 30), date(2026, 6, 2))
    with pytest.raises(EnedisBeyondHistoryError):
        await client.async_get_daily_consumption(PRM, date(2022, 1, 1), date(2022, 12, 31))
    with pytest.raises(EnedisWrongDirectionError):
        await client.async_get_daily_production(PRM, date(2026, 11, 1), date(2026, 11, 2))
    fake.curve_enabled = False
    with pytest.raises(EnedisCurveNotActivatedError):
        await client.async_get_load_curve(PRM, date(2026, 11, 1), date(2026, 11, 2))
    fake.missing_curve_days = {date(2026, 11, 1)}
    fake.curve_enabled = True
    with pytest.raises(EnedisNoDataError):
        await client.async_get_load_curve(PRM, date(2026, 11, 1), date(2026, 11, 2))
    with pytest.raises(EnedisNoConsentError):
        await client.async_get_daily_consumption(
            "11111111111111", date(2026, 11, 1), date(2026, 11, 2)
        )


# --------------------------------------------------------------------------- pacing


async def test_pacing_keeps_5_calls_per_second(client: EnedisClient, fake: FakeEnedis) -> None:
    """Twelve concurrent calls: the gateway never sees more than 5 in one second, no 429."""
    day = date(2026, 11, 20)
    results = await asyncio.gather(
        *(client.async_get_daily_consumption(PRM, day, day + timedelta(days=1)) for _ in range(12))
    )
    assert len(results) == 12
    assert fake.data_calls == 12
    assert fake.max_in_one_second <= 5


async def test_limiter_waits_within_the_second() -> None:
    """With a fake clock: the 6th call in a second waits for the first to leave the window."""
    now = [1000.0]
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(5, 1000, window=1.0, clock=lambda: now[0], sleep=fake_sleep)
    for _ in range(5):
        await limiter.acquire()
        now[0] += 0.1
    await limiter.acquire()
    assert waits == [pytest.approx(0.5)]
    assert limiter.calls_last_hour == 6


async def test_limiter_hourly_budget() -> None:
    """The hourly budget is never exceeded: the call is refused with the wait, not sent."""
    now = [0.0]

    async def fake_sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(5, 10, clock=lambda: now[0], sleep=fake_sleep)
    for _ in range(10):
        await limiter.acquire()
        now[0] += 1.0
    with pytest.raises(EnedisRateLimitedError) as err:
        await limiter.acquire()
    assert err.value.retry_after == pytest.approx(3600 - 10)
    now[0] = 3600.5  # the first call left the hour
    await limiter.acquire()
    assert limiter.calls_last_hour == 10


async def test_hourly_budget_refuses_before_calling(
    session: aiohttp.ClientSession, fake_server: TestServer, fake: FakeEnedis
) -> None:
    """A spent budget costs no call at all."""
    client = EnedisClient(
        session,
        CLIENT_ID,
        CLIENT_SECRET,
        base_url=base_url(fake_server),
        limiter=RateLimiter(5, 2),
    )
    day = date(2026, 11, 20)
    await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))
    await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))
    with pytest.raises(EnedisRateLimitedError):
        await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))
    assert fake.data_calls == 2


async def test_autorisation_id_not_a_number(client: EnedisClient, fake: FakeEnedis) -> None:
    """A non-numeric consent id is sent as a string (the gateway knows no such consent)."""
    assert await client.async_get_subscribed_services("abc") == ()


async def test_wso2_fault_body(client: EnedisClient, fake: FakeEnedis) -> None:
    """The gateway's own errors come as ``{"fault": {"code": <int>}}``."""
    inject(fake, 403, {"fault": {"code": 900908, "message": "Resource forbidden "}})
    day = date(2026, 11, 20)
    with pytest.raises(EnedisNotSubscribedError) as err:
        await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))
    assert err.value.code == "900908"


# --------------------------------------------------------------------------- parsers


def answer(points: Any, **extra: Any) -> dict[str, Any]:
    """A 2026 measure answer around ``points``."""
    return {
        "periode": {"dateDebut": "2026-01-10", "dateFin": "2026-01-11"},
        "grandeur": [{"unite": extra.pop("unite", "W"), "points": points}],
        **extra,
    }


def test_parse_step() -> None:
    """ISO 8601 steps of the load curve."""
    assert parse_step("PT30M") == timedelta(minutes=30)
    assert parse_step("PT1H") == timedelta(hours=1)
    assert parse_step(" PT10M ") == timedelta(minutes=10)
    assert parse_step("PT1H30M") == timedelta(minutes=90)
    for bad in ("P1D", "PT0M", "", None, 30):
        assert parse_step(bad) is None


def test_parse_daily_units_and_errors() -> None:
    """kWh answers are converted; malformed answers are refused clearly."""
    readings = parse_daily(answer([{"v": "1.5", "d": "2026-01-10"}], unite="kWh"))
    assert readings.values == (DailyValue(date(2026, 1, 10), 1500.0),)
    assert (
        parse_daily({"periode": {"dateDebut": "2026-01-10", "dateFin": "2026-01-11"}}).values == ()
    )
    assert parse_daily(answer([]) | {"grandeur": ["x"]}).values == ()
    bad = [
        {},
        {"periode": {"dateDebut": "x", "dateFin": "2026-01-11"}},
        answer("x"),
        answer([]) | {"grandeur": {"points": []}},
    ]
    for data in bad:  # the frame of the answer is wrong: nothing can be trusted
        with pytest.raises(ApiResponseError):
            parse_daily(data)


def test_parse_load_curve_steps_and_quirks() -> None:
    """Own step, else the answer's, else the gap; duplicates dropped; kW and offsets handled."""
    curve = parse_load_curve(
        answer(
            [
                {"v": "1", "d": "2026-01-10 00:30:00", "p": "PT30M"},
                {"v": "2", "d": "2026-01-10 00:40:00"},
                {"v": "2", "d": "2026-01-10 00:40:00"},
                {"v": "3", "d": "2026-01-10T00:50:00+01:00", "p": "PT10M"},
            ],
            unite="kW",
        )
    )
    assert [p.end - p.start for p in curve.points] == [timedelta(minutes=m) for m in (30, 10, 10)]
    assert [p.watts for p in curve.points] == [1000, 2000, 3000]
    assert curve.points[2].end == datetime(2026, 1, 9, 23, 50, tzinfo=UTC)
    with_pas = parse_load_curve(answer([{"v": "4", "d": "2026-01-10 01:00:00"}], pas="PT1H"))
    assert with_pas.points[0].start == datetime(2026, 1, 9, 23, tzinfo=UTC)
    for points in (
        [{"v": "1", "d": "2026-01-10 00:30:00"}],
        [{"v": "1", "d": 1}],
        [{"v": "1", "d": "tomorrow"}],
    ):
        assert parse_load_curve(answer(points)).skipped == 1


def test_parse_max_power_dates() -> None:
    """A date-only point has no time; a point with a bad date is skipped."""
    (value,) = parse_max_power(answer([{"v": "3000", "d": "2026-01-10"}]))
    assert (value.day, value.va, value.at) == (date(2026, 1, 10), 3000, None)
    skipped: Counter[str] = Counter()
    assert parse_max_power(answer([{"v": "3000", "d": "?"}]), skipped=skipped) == ()
    assert skipped == {"bad date": 1}


BAD_VALUES = [
    None,
    "null",
    "NULL",
    "",
    "  ",
    "abc",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "-5",
    -5,
    True,
    [],
]


@pytest.mark.parametrize("bad", BAD_VALUES)
def test_one_bad_point_loses_nothing_else(bad: Any) -> None:
    """Daily, curve, production and max power: the bad point is skipped and counted."""
    skipped: Counter[str] = Counter()
    daily = parse_daily(
        answer(
            [
                {"v": "1000", "d": "2026-01-09"},
                {"v": bad, "d": "2026-01-10"},
                {"v": "3000", "d": "2026-01-11"},
            ],
            unite="Wh",
        ),
        skipped=skipped,
    )
    assert [(v.day.day, v.wh) for v in daily.values] == [(9, 1000), (11, 3000)]
    assert daily.skipped == 1
    curve = parse_load_curve(
        answer(
            [
                {"v": "1000", "d": "2026-01-10 00:30:00", "p": "PT30M"},
                {"v": bad, "d": "2026-01-10 01:00:00", "p": "PT30M"},
                {"v": "3000", "d": "2026-01-10 01:30:00"},  # its step: the gap to the bad one
                "not a point",
            ]
        ),
        skipped=skipped,
    )
    assert [(p.watts, p.end - p.start) for p in curve.points] == [
        (1000, timedelta(minutes=30)),
        (3000, timedelta(minutes=30)),
    ]
    assert curve.skipped == 2
    assert all(math.isfinite(p.wh) for p in curve.points)
    peaks = parse_max_power(
        answer(
            [
                {"v": bad, "d": "2026-01-09 12:00:00"},
                {"v": "6510", "d": "2026-01-10 12:50:25"},
            ]
        ),
        skipped=skipped,
    )
    assert [p.va for p in peaks] == [6510]
    assert skipped.total() == 4


async def test_client_counts_skipped_points(
    client: EnedisClient, fake: FakeEnedis, caplog: pytest.LogCaptureFixture
) -> None:
    """The answer's other points are kept; the count goes to ``skipped_points`` (diagnostics)."""
    body = capture("med2026_mesure_consommation_quotidienne.json")
    body["grandeur"][0]["points"].insert(1, {"v": "null", "d": "2026-09-29"})
    body["grandeur"][0]["points"].append({"v": "NaN", "d": "2026-09-30"})
    fake.injected.append(web.json_response(body))
    with caplog.at_level(logging.DEBUG):
        readings = await client.async_get_daily_consumption(
            PRM, date(2026, 9, 29), date(2026, 10, 1)
        )
    assert [v.wh for v in readings.values] == [33495, 38022]
    assert client.skipped_points == {"consommation_quotidienne": 2}
    assert "2 unusable point(s) skipped (not finite: 1, null: 1)" in caplog.text


def test_parse_subscribed_services_shapes() -> None:
    """One service as an object, string booleans; malformed lists refused."""
    (service,) = parse_subscribed_services(
        {"serviceSouscrit": {"pointId": PRM, "soutirage": "false", "injection": "true"}}
    )
    assert (service.consumption, service.production, service.end) == (False, True, None)
    consent = consent_from_services((service,))
    assert (consent.prm, consent.end, consent.production) == (PRM, None, True)
    for data in (
        {"serviceSouscrit": "x"},
        {"serviceSouscrit": ["x"]},
        {"serviceSouscrit": [{"pointId": ""}]},
    ):
        with pytest.raises(ApiResponseError):
            parse_subscribed_services(data)


def test_consent_prefers_active_services() -> None:
    """An ended service of another PRM does not hide the active one."""
    old = SubscribedService(
        "11111111111111", "ACCES", "TERMINE", None, date(2025, 1, 1), None, True, False
    )
    new = SubscribedService(PRM, "ACCES", "ACTIF", None, date(2029, 1, 1), "CDC", True, False)
    consent = consent_from_services((old, new))
    assert (consent.prm, consent.end) == (PRM, date(2029, 1, 1))


@pytest.mark.parametrize(
    ("data", "kva", "tariff"),
    [
        ({"subscribed_power": "9 kVA", "distribution_tariff": "BTINFCU4"}, 9.0, "BTINFCU4"),
        ({"c": [{"subscribed_power": {"unit": "VA", "value": "9000"}}]}, 9.0, None),
        (
            {"subscribed_power": {"value": 6}, "distribution_tariff": {"code": "BTINFMU4"}},
            6,
            "BTINFMU4",
        ),
        ({"subscribed_power": "n/a"}, None, None),
        ({"subscribed_power": {"value": True}}, None, None),
        ({"subscribed_power": "6,5 kVA"}, 6.5, None),
        (
            {
                "a": {"subscribed_power": "36 kVA", "segment": "P4"},
                "b": {"subscribed_power": "3 kVA", "tags": ["C5"]},
            },
            3.0,
            None,
        ),
    ],
)
def test_parse_contract_shapes(data: dict[str, Any], kva: float | None, tariff: str | None) -> None:
    """Loose contract shapes: strings with units, VA, nested lists, tariff objects."""
    contract = parse_contract(data)
    assert contract.subscribed_power_kva == kva
    assert contract.distribution_tariff == tariff


def test_spring_forward_label_variants() -> None:
    """The half-hour ending at the jump may be labelled 02:00 (non-existent) or 03:00."""
    for label in ("2026-03-29 02:00:00", "2026-03-29 03:00:00"):
        curve = parse_load_curve(
            answer(
                [
                    {"v": "100", "d": "2026-03-29 01:30:00", "p": "PT30M"},
                    {"v": "100", "d": label, "p": "PT30M"},
                    {"v": "100", "d": "2026-03-29 03:30:00", "p": "PT30M"},
                ]
            )
        )
        assert [p.end for p in curve.points] == [
            datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
            datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        ]


async def test_prm_in_an_error_message_is_masked(client: EnedisClient, fake: FakeEnedis) -> None:
    """Enedis may echo the PRM in its message: it never reaches our error text."""
    inject(fake, 403, {"code": "ADAM-DC-0008", "message": f"Pas de consentement pour {PRM}"})
    day = date(2026, 11, 20)
    with pytest.raises(EnedisNoConsentError) as err:
        await client.async_get_daily_consumption(PRM, day, day + timedelta(days=1))
    assert PRM not in str(err.value)
    assert "Pas de consentement pour <prm>" in str(err.value)


async def test_connection_error_message_is_masked(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """A network error names the call, never the PRM."""
    client = EnedisClient(session, "id", "secret", base_url="http://127.0.0.1:9")
    client.restore_token(AccessToken("eyJx", datetime.now(UTC).timestamp() + 3600))
    with pytest.raises(ApiConnectionError) as err:
        await client.async_get_load_curve(PRM, date(2026, 11, 1), date(2026, 11, 2))
    assert PRM not in str(err.value)
    assert str(err.value).startswith("Courbe de charge consommation")
