"""Client-credentials token cache shared by the cloud API clients."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.delestage.api.auth import (
    AccessToken,
    ClientCredentialsAuth,
    basic_auth_value,
    split_basic_auth_value,
)
from custom_components.delestage.api.errors import (
    ApiAuthError,
    ApiConnectionError,
    ApiRateLimitedError,
    ApiResponseError,
    ApiServerError,
)

TOKEN_URL = "https://auth.example/token"


class Clock:
    """A settable wall clock."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _session(aioclient_mock: AiohttpClientMocker) -> aiohttp.ClientSession:
    """A session whose requests go to the mocker (the remote server stand-in)."""
    return aioclient_mock.create_session(asyncio.get_running_loop())


def _auth(session: aiohttp.ClientSession, clock: Clock, **kwargs: object) -> ClientCredentialsAuth:
    return ClientCredentialsAuth(session, TOKEN_URL, "my-id", "my-secret", clock=clock, **kwargs)  # type: ignore[arg-type]


def test_basic_auth_round_trip() -> None:
    value = basic_auth_value("my-id", "se:cret")

    assert base64.b64decode(value) == b"my-id:se:cret"
    assert split_basic_auth_value(value) == ("my-id", "se:cret")
    assert split_basic_auth_value(f"Basic {value}  ") == ("my-id", "se:cret")


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"no-colon").decode(), ""])
def test_split_basic_auth_rejects_garbage(value: str) -> None:
    assert split_basic_auth_value(value) is None


async def test_token_is_reused_until_shortly_before_expiry(
    aioclient_mock: AiohttpClientMocker, clock: Clock
) -> None:
    aioclient_mock.post(TOKEN_URL, json={"access_token": "t1", "expires_in": 7200})
    seen: list[AccessToken] = []
    async with _session(aioclient_mock) as session:
        auth = _auth(session, clock, on_token=seen.append)

        assert await auth.async_get_token() == "t1"
        clock.now += 7200 - 61  # still outside the 60 s margin
        assert await auth.async_get_token() == "t1"
        assert aioclient_mock.call_count == 1

        clock.now += 2  # inside the margin: renewed
        assert await auth.async_get_token() == "t1"
        assert aioclient_mock.call_count == 2

    assert auth.token_requests == 2
    assert len(seen) == 2
    method, _url, data, headers = aioclient_mock.mock_calls[0]
    assert method == "POST"
    assert data == {"grant_type": "client_credentials"}
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"my-id:my-secret").decode()


async def test_concurrent_callers_share_one_request(
    aioclient_mock: AiohttpClientMocker, clock: Clock
) -> None:
    aioclient_mock.post(TOKEN_URL, json={"access_token": "t1", "expires_in": "12600"})
    async with _session(aioclient_mock) as session:
        auth = _auth(session, clock)
        tokens = await asyncio.gather(*(auth.async_get_token() for _ in range(5)))

    assert tokens == ["t1"] * 5
    assert aioclient_mock.call_count == 1
    assert auth.token is not None
    assert auth.token.expires_at == clock.now + 12600  # a string expires_in is accepted


async def test_restored_token_saves_a_request(
    aioclient_mock: AiohttpClientMocker, clock: Clock
) -> None:
    async with _session(aioclient_mock) as session:
        auth = _auth(session, clock)
        auth.restore(
            AccessToken.from_dict({"access_token": "saved", "expires_at": clock.now + 600})
        )

        assert await auth.async_get_token() == "saved"
    assert aioclient_mock.call_count == 0


async def test_expired_restored_token_is_ignored(
    aioclient_mock: AiohttpClientMocker, clock: Clock
) -> None:
    aioclient_mock.post(TOKEN_URL, json={"access_token": "new", "expires_in": 3600})
    async with _session(aioclient_mock) as session:
        auth = _auth(session, clock)
        auth.restore(AccessToken("old", clock.now + 30))

        assert await auth.async_get_token() == "new"


@pytest.mark.parametrize("data", [None, [], {"access_token": 3}, {"expires_at": 5}])
def test_from_dict_rejects_non_tokens(data: object) -> None:
    assert AccessToken.from_dict(data) is None


def test_token_round_trips_through_dict() -> None:
    token = AccessToken("abc", 123.5)
    assert AccessToken.from_dict(token.as_dict()) == token


async def test_invalidate_only_drops_the_named_token(
    aioclient_mock: AiohttpClientMocker, clock: Clock
) -> None:
    aioclient_mock.post(TOKEN_URL, json={"access_token": "t1", "expires_in": 3600})
    async with _session(aioclient_mock) as session:
        auth = _auth(session, clock)
        await auth.async_get_token()

        auth.invalidate("some-older-token")
        assert auth.token is not None
        auth.invalidate("t1")
        assert auth.token is None
        await auth.async_get_token()
        auth.invalidate()
        assert auth.token is None


async def test_missing_expires_in_uses_default_lifetime(
    aioclient_mock: AiohttpClientMocker, clock: Clock
) -> None:
    aioclient_mock.post(TOKEN_URL, json={"access_token": "t1"})
    async with _session(aioclient_mock) as session:
        auth = _auth(session, clock, default_lifetime=3600.0)
        await auth.async_get_token()

    assert auth.token == AccessToken("t1", clock.now + 3600)


@pytest.mark.parametrize(
    ("status", "body", "headers", "error"),
    [
        (401, {"error": "invalid_client"}, None, ApiAuthError),
        (400, {"error": "invalid_client"}, None, ApiAuthError),
        (429, {}, {"Retry-After": "120"}, ApiRateLimitedError),
        (503, {}, None, ApiServerError),
        (200, {"token_type": "Bearer"}, None, ApiResponseError),
        (200, {"access_token": "x", "expires_in": "soon"}, None, ApiResponseError),
        (200, ["access_token"], None, ApiResponseError),
    ],
)
async def test_token_errors_are_typed(
    aioclient_mock: AiohttpClientMocker,
    clock: Clock,
    status: int,
    body: object,
    headers: dict[str, str] | None,
    error: type[Exception],
) -> None:
    aioclient_mock.post(TOKEN_URL, json=body, status=status, headers=headers)
    async with _session(aioclient_mock) as session:
        auth = _auth(session, clock)
        with pytest.raises(error) as excinfo:
            await auth.async_get_token()

    assert "my-secret" not in str(excinfo.value)
    if isinstance(excinfo.value, ApiRateLimitedError):
        assert excinfo.value.retry_after == 120
    assert auth.token is None


@pytest.mark.parametrize("exc", [TimeoutError(), aiohttp.ClientConnectionError("refused")])
async def test_network_faults_are_connection_errors(
    aioclient_mock: AiohttpClientMocker, clock: Clock, exc: Exception
) -> None:
    aioclient_mock.post(TOKEN_URL, exc=exc)
    async with _session(aioclient_mock) as session:
        auth = _auth(session, clock)
        with pytest.raises(ApiConnectionError, match=r"auth\.example"):
            await auth.async_get_token()
