"""Shared HTTP helpers: status mapping, Retry-After, JSON decoding."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import json

import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.delestage.api.errors import (
    ApiAuthError,
    ApiError,
    ApiForbiddenError,
    ApiRateLimitedError,
    ApiResponseError,
    ApiResponseTooLargeError,
    ApiServerError,
)
from custom_components.delestage.api.http import (
    MAX_BODY_SIZE,
    RawResponse,
    ResponseHeaders,
    async_fetch,
    parse_retry_after,
    raise_for_status,
    utcnow,
)


def _response(
    status: int, body: object = b"", headers: dict[str, str] | None = None
) -> RawResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawResponse(status, headers or {}, raw)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("-3", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("Mon, 23 Nov 2026 10:15:00 GMT", 900.0),
        ("Mon, 23 Nov 2026 09:00:00 GMT", 0.0),
        ("Mon, 23 Nov 2026 10:01:00 -0000", 60.0),
        # Nonsense a server could send must not overflow date arithmetic: a day at most.
        ("inf", None),
        ("nan", None),
        ("1e20", 86400.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 86400.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after(value, now) == expected


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, ApiAuthError),
        (403, ApiForbiddenError),
        (429, ApiRateLimitedError),
        (500, ApiServerError),
        (503, ApiServerError),
        (404, ApiError),
    ],
)
def test_raise_for_status_maps_statuses(status: int, error: type[ApiError]) -> None:
    with pytest.raises(error) as excinfo:
        raise_for_status(_response(status, {"error_description": "Error code unknown"}), "Signals")

    assert f"HTTP {status}" in str(excinfo.value)
    assert "Error code unknown" in str(excinfo.value)
    assert type(excinfo.value) is error


def test_raise_for_status_keeps_retry_after_and_status() -> None:
    with pytest.raises(ApiRateLimitedError) as limited:
        raise_for_status(_response(429, b"", {"Retry-After": "840"}), "Signals")
    assert limited.value.retry_after == 840

    with pytest.raises(ApiServerError) as server:
        raise_for_status(_response(502, b"<html>Bad gateway</html>"), "Signals")
    assert server.value.status == 502


def test_raise_for_status_accepts_2xx() -> None:
    raise_for_status(_response(200), "Signals")
    raise_for_status(_response(204), "Signals")


def test_json_decoding() -> None:
    assert _response(200, {"a": 1}).json_object() == {"a": 1}
    with pytest.raises(ApiResponseError, match="Malformed JSON"):
        _response(200, b"{not json").json()
    with pytest.raises(ApiResponseError, match="JSON object"):
        _response(200, [1, 2]).json_object()


def test_utcnow_is_aware() -> None:
    assert utcnow().tzinfo is UTC


async def test_retry_after_in_lower_case_is_read(aioclient_mock: AiohttpClientMocker) -> None:
    """HTTP/2 gateways send header names in lower case."""
    url = "https://api.example.test/signals"
    aioclient_mock.get(url, status=429, text="", headers={"retry-after": "30"})
    session = aioclient_mock.create_session(asyncio.get_running_loop())

    response = await async_fetch(session, "GET", url)
    with pytest.raises(ApiRateLimitedError) as limited:
        raise_for_status(response, "Signals")

    assert limited.value.retry_after == 30
    assert response.headers.get("Retry-After") == "30"
    await session.close()


def test_response_headers_ignore_the_case_of_names() -> None:
    headers = ResponseHeaders({"Retry-After": "5", "Content-Type": "application/json"})

    assert headers["RETRY-AFTER"] == "5"
    assert "content-type" in headers
    assert dict(headers) == {"retry-after": "5", "content-type": "application/json"}
    assert len(headers) == 2


def test_raise_for_status_reports_a_redirect_not_followed() -> None:
    with pytest.raises(ApiError, match=r"redirected \(HTTP 301\) to other\.example; not") as err:
        raise_for_status(_response(301, b"", {"Location": "https://other.example/x"}), "Data")
    assert type(err.value) is ApiError
    with pytest.raises(ApiError, match=r"^Data: redirected \(HTTP 307\); not followed$"):
        raise_for_status(_response(307), "Data")
    with pytest.raises(ApiError, match=r"^Data: unexpected HTTP 404$"):
        raise_for_status(_response(404), "Data")
    raise_for_status(_response(299), "Data")


@pytest.mark.parametrize(
    ("body", "headers", "max_body", "too_large"),
    [
        (b"x" * 100, {}, 100, False),  # exactly the cap
        (b"x" * 101, {}, 100, True),  # no Content-Length: counted while reading
        (b"x" * 200_000, {}, 150_000, True),  # over several read chunks
        (b"x" * 10, {"Content-Length": "101"}, 100, True),  # announced: refused before reading
        (b"x" * 10, {"Content-Length": "100"}, 100, False),
        (b"x" * 10, {"Content-Length": "many"}, 100, False),  # nonsense header ignored
    ],
)
async def test_answers_larger_than_the_cap_are_not_read(
    aioclient_mock: AiohttpClientMocker,
    body: bytes,
    headers: dict[str, str],
    max_body: int,
    too_large: bool,
) -> None:
    url = "https://api.example.test/big"
    aioclient_mock.get(url, content=body, headers=headers)
    session = aioclient_mock.create_session(asyncio.get_running_loop())

    if too_large:
        with pytest.raises(ApiResponseTooLargeError, match=f"api.example.test.*{max_body} bytes"):
            await async_fetch(session, "GET", url, max_body=max_body)
    else:
        assert (await async_fetch(session, "GET", url, max_body=max_body)).body == body
    await session.close()


def test_default_body_cap() -> None:
    assert MAX_BODY_SIZE == 10 * 1024 * 1024
    assert issubclass(ApiResponseTooLargeError, ApiResponseError)
