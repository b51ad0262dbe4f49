"""Errors raised by the API clients. Home Assistant code maps them to its own mechanisms."""

from __future__ import annotations


class ApiError(Exception):
    """Base class of every API client error."""


class ApiConnectionError(ApiError):
    """The server could not be reached, or did not answer in time."""


class ApiAuthError(ApiError):
    """The credentials were refused (bad client id / secret / key): the user must act."""


class ApiForbiddenError(ApiError):
    """The credentials are valid but not allowed to use this API (not subscribed, wrong version)."""


class ApiRateLimitedError(ApiError):
    """The server throttled us; ``retry_after`` is the wait it asked for, in seconds, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        """Keep the wait the server asked for."""
        super().__init__(message)
        self.retry_after = retry_after


class ApiServerError(ApiError):
    """The server failed (5xx or an error body): transient, try again later."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the HTTP status."""
        super().__init__(message)
        self.status = status


class ApiResponseError(ApiError):
    """The answer could not be understood (malformed JSON, missing fields)."""


class ApiResponseTooLargeError(ApiResponseError):
    """The answer was larger than the clients read (a broken or hostile server)."""
