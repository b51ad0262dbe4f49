"""Shared HTTP plumbing of the API clients: requests, timeouts, bounded reads, statuses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import json
import math
import time
from typing import Any

import aiohttp

from .errors import (
    ApiAuthError,
    ApiConnectionError,
    ApiError,
    ApiForbiddenError,
    ApiRateLimitedError,
    ApiResponseError,
    ApiResponseTooLargeError,
    ApiServerError,
)

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30)
# The longest wait a Retry-After header is taken at (seconds): a day.
MAX_RETRY_AFTER = 86400.0
# The largest answer read (bytes, after decompression). The biggest real one, the Météo-France
# station list, is about 200 kB; a server sending more is broken or hostile and must not fill the
# memory of Home Assistant's host (or a gzip bomb expand into it).
MAX_BODY_SIZE = 10 * 1024 * 1024
_READ_CHUNK = 64 * 1024


class ResponseHeaders(Mapping[str, str]):
    """Response headers looked up whatever the case of their names (HTTP/2 sends lower case)."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        """Copy ``headers``; with repeated names, the last value wins."""
        self._headers = {name.lower(): value for name, value in headers.items()}

    def __getitem__(self, name: str) -> str:
        """Return the value of header ``name``, in any case."""
        return self._headers[name.lower()]

    def __iter__(self) -> Iterator[str]:
        """Iterate over the header names, in lower case."""
        return iter(self._headers)

    def __len__(self) -> int:
        """Return the number of headers."""
        return len(self._headers)


@dataclass(frozen=True, slots=True)
class RawResponse:
    """Status, headers (names in any case) and body of an answer, read completely."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def __post_init__(self) -> None:
        """Make header lookups case-insensitive."""
        if not isinstance(self.headers, ResponseHeaders):
            object.__setattr__(self, "headers", ResponseHeaders(self.headers))

    def json(self) -> Any:
        """Decode the body as JSON, or raise ApiResponseError."""
        try:
            return json.loads(self.body)
        except ValueError as err:
            raise ApiResponseError(f"Malformed JSON answer (HTTP {self.status})") from err

    def json_object(self) -> dict[str, Any]:
        """Decode the body as a JSON object, or raise ApiResponseError."""
        data = self.json()
        if not isinstance(data, dict):
            raise ApiResponseError(f"Expected a JSON object, got {type(data).__name__}")
        return data


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Return the wait asked by a ``Retry-After`` header (seconds or HTTP date), or None.

    The wait is capped at ``MAX_RETRY_AFTER`` so that nonsense cannot overflow date arithmetic.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except TypeError, ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


async def async_fetch(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - passed to aiohttp
    max_body: int = MAX_BODY_SIZE,
    **kwargs: Any,
) -> RawResponse:
    """Send one request and read the whole answer; network faults become ApiConnectionError.

    The answer is read up to ``max_body`` bytes: a longer one raises ApiResponseTooLargeError
    before anything is parsed (announced by Content-Length or not).
    """
    try:
        async with session.request(method, url, timeout=timeout, **kwargs) as response:
            headers = ResponseHeaders(response.headers)
            body = await _async_read_bounded(response, headers, max_body, url)
            return RawResponse(response.status, headers, body)
    except TimeoutError as err:
        raise ApiConnectionError(f"Timeout talking to {_host(url)}") from err
    except aiohttp.ClientError as err:
        raise ApiConnectionError(f"Cannot reach {_host(url)}: {err}") from err


async def _async_read_bounded(
    response: aiohttp.ClientResponse, headers: ResponseHeaders, max_body: int, url: str
) -> bytes:
    """Read the body of ``response``, refusing more than ``max_body`` bytes."""
    too_large = ApiResponseTooLargeError(
        f"The answer of {_host(url)} is larger than {max_body} bytes; not read"
    )
    try:
        announced = int(headers.get("Content-Length", ""))
    except ValueError:
        announced = None
    if announced is not None and announced > max_body:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_READ_CHUNK):
        size += len(chunk)
        if size > max_body:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def raise_for_status(response: RawResponse, what: str) -> None:
    """Raise the typed error matching a non-2xx answer; return for 2xx."""
    status = response.status
    if 200 <= status < 300:
        return
    detail = _error_detail(response)
    if 300 <= status < 400:
        # Only reached when redirects are not followed (Météo-France): a moved API is an error
        # to report, not a reason to send the credentials elsewhere.
        location = response.headers.get("Location")
        target = f" to {_host(location)}" if location else ""
        raise ApiError(f"{what}: redirected (HTTP {status}){target}; not followed")
    if status == 401:
        raise ApiAuthError(f"{what}: unauthorized (HTTP 401){detail}")
    if status == 403:
        raise ApiForbiddenError(f"{what}: forbidden (HTTP 403){detail}")
    if status == 429:
        raise ApiRateLimitedError(
            f"{what}: rate limited (HTTP 429){detail}",
            parse_retry_after(response.headers.get("Retry-After")),
        )
    if status >= 500:
        raise ApiServerError(f"{what}: server error (HTTP {status}){detail}", status)
    raise ApiError(f"{what}: unexpected HTTP {status}{detail}")


def _error_detail(response: RawResponse) -> str:
    """Describe an error body in a few words, for messages (never the request's secrets)."""
    try:
        data = json.loads(response.body)
    except ValueError:
        return ""
    if isinstance(data, dict):
        for key in ("error_description", "description", "message", "error"):
            if isinstance(value := data.get(key), str) and value:
                return f": {value[:200]}"
    return ""


def _host(url: str) -> str:
    return url.split("/")[2] if "://" in url else url


def utcnow() -> datetime:
    """Return the current time, timezone-aware (UTC)."""
    return datetime.now(UTC)
