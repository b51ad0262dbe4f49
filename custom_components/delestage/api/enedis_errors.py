"""Typed errors of the Enedis Data Connect client, and the mapping of Enedis error bodies to them.

Every class subclasses both :class:`EnedisError` and the generic error of ``api/errors.py`` that
says what Home Assistant should do (reauth, repair issue, retry later...).
"""

from __future__ import annotations

import json
import re

from .errors import (
    ApiAuthError,
    ApiError,
    ApiForbiddenError,
    ApiRateLimitedError,
    ApiResponseError,
    ApiServerError,
)
from .http import RawResponse, parse_retry_after


class EnedisError(ApiError):
    """Base class of the Enedis errors; ``code`` is Enedis' own error code when known."""

    def __init__(self, message: str, code: str | None = None) -> None:
        """Keep Enedis' error code."""
        super().__init__(message)
        self.code = code


class EnedisNoConsentError(EnedisError, ApiAuthError):
    """No valid consent for this meter (revoked, expired, unknown): the user must consent again.

    Codes ``ADAM-DC-0008`` / ``ADAM_DC_0008``, ``STM-ERR-0000019``. Home Assistant: reauth.
    """


class EnedisMovedError(EnedisError, ApiForbiddenError):
    """The customer who consented no longer holds the meter (moved home): ``ADAM-DC-0007``.

    Also ``ADAM-ERR0061`` (requester is not the meter holder). Home Assistant: repair issue.
    """


class EnedisNotSubscribedError(EnedisError, ApiForbiddenError):
    """The Data Connect app is not subscribed to this API on DataHub (``900908``)."""


class EnedisHistoryLimitError(EnedisError):
    """The requested period starts before what Enedis can serve; the newer part may still work."""


class EnedisBeforeActivationError(EnedisHistoryLimitError):
    """The period is before the meter's activation (``ADAM-ERR0123``): stop the back-fill there."""


class EnedisBeyondHistoryError(EnedisHistoryLimitError):
    """The period is older than the history Enedis keeps (``ADAM-ERR0125`` / ``ADAM-DC-0016``)."""


class EnedisBeforeConsentError(EnedisHistoryLimitError):
    """The period starts before the consent's start (``ADAM-DC-0009``)."""


class EnedisCurveNotActivatedError(EnedisError):
    """The customer did not activate (or refused) load-curve recording (``ADAM-ERR0075``).

    Daily data still works. Home Assistant: repair issue explaining how to activate it.
    """


class EnedisWrongDirectionError(EnedisError):
    """Consumption asked on a production-only meter, or the reverse (``ADAM-ERR0069``)."""


class EnedisNoDataError(EnedisError):
    """No measure for this period (gap): ``no_data_found``, ``STM-ERR-0000020``/``0000014``."""


class EnedisRequestError(EnedisError):
    """The request was refused as malformed (``invalid_request``, range too long...): a bug."""


class EnedisRateLimitedError(EnedisError, ApiRateLimitedError):
    """HTTP 429 (``SLA dépassé``) or our hourly budget spent; retry after ``retry_after``."""

    def __init__(
        self, message: str, retry_after: float | None = None, code: str | None = None
    ) -> None:
        """Keep the wait and the code."""
        EnedisError.__init__(self, message, code)
        self.retry_after = retry_after


class EnedisTechnicalError(EnedisError, ApiServerError):
    """Enedis failed (HTTP 5xx, ``technical_error``, ``ADAM-DC-0500``...): retry later."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        """Keep the status and the code."""
        EnedisError.__init__(self, message, code)
        self.status = status


_BY_CODE: dict[str, type[EnedisError]] = {
    "ADAM-DC-0008": EnedisNoConsentError,
    "ADAM_DC_0008": EnedisNoConsentError,
    "STM-ERR-0000019": EnedisNoConsentError,
    "ADAM-DC-0007": EnedisMovedError,
    "ADAM-ERR0061": EnedisMovedError,
    "900908": EnedisNotSubscribedError,
    "ADAM-ERR0123": EnedisBeforeActivationError,
    "ADAM-ERR0125": EnedisBeyondHistoryError,
    "ADAM-DC-0016": EnedisBeyondHistoryError,
    "ADAM-DC-0009": EnedisBeforeConsentError,
    "ADAM-ERR0075": EnedisCurveNotActivatedError,
    "ADAM-ERR0069": EnedisWrongDirectionError,
    "no_data_found": EnedisNoDataError,
    "STM-ERR-0000020": EnedisNoDataError,
    "STM-ERR-0000014": EnedisNoDataError,
    "ADAM-ERR0126": EnedisRequestError,
    "ADAM-DC-0015": EnedisRequestError,
    "invalid_request": EnedisRequestError,
    "ADAM-DC-0500": EnedisTechnicalError,
    "STM-ERR-0000001": EnedisTechnicalError,
    "technical_error": EnedisTechnicalError,
}


def error_code(response: RawResponse) -> tuple[str | None, str]:
    """Return Enedis' error code and message from an error body (v5, 2026 or WSO2 shapes)."""
    try:
        data = json.loads(response.body)
    except ValueError:
        return None, ""
    if not isinstance(data, dict):
        return None, ""
    if isinstance(fault := data.get("fault"), dict):  # WSO2 gateway: {"fault": {"code": 900901}}
        data = fault
    code = data.get("code", data.get("error"))
    message = data.get("message", data.get("error_description", data.get("description", "")))
    code_text = str(code).strip() if isinstance(code, str | int) and str(code).strip() else None
    return code_text, str(message)[:200] if message is not None else ""


_PRM_LIKE = re.compile(r"\d{14}")


def redact(text: str) -> str:
    """Mask anything that looks like a PRM (14 digits) in a message meant for logs."""
    return _PRM_LIKE.sub("<prm>", text)


def error_for_response(response: RawResponse, what: str) -> EnedisError:
    """Return the typed error for a non-2xx Enedis answer (never carries the PRM or token)."""
    status = response.status
    code, message = error_code(response)
    message = redact(message)
    text = (
        f"{what}: HTTP {status}"
        + (f" {code}" if code else "")
        + (f" ({message})" if message else "")
    )
    if code is not None and (cls := _BY_CODE.get(code)) is not None:
        if cls is EnedisTechnicalError:
            return EnedisTechnicalError(text, status, code)
        return cls(text, code)
    if status == 429:
        return EnedisRateLimitedError(
            text, parse_retry_after(response.headers.get("Retry-After")), code
        )
    if status >= 500:
        return EnedisTechnicalError(text, status, code)
    if status == 404:
        return EnedisNoDataError(text, code)
    if status == 403:
        return EnedisNoConsentError(text, code)
    return EnedisRequestError(text, code)


__all__ = [
    "ApiResponseError",
    "EnedisBeforeActivationError",
    "EnedisBeforeConsentError",
    "EnedisBeyondHistoryError",
    "EnedisCurveNotActivatedError",
    "EnedisError",
    "EnedisHistoryLimitError",
    "EnedisMovedError",
    "EnedisNoConsentError",
    "EnedisNoDataError",
    "EnedisNotSubscribedError",
    "EnedisRateLimitedError",
    "EnedisRequestError",
    "EnedisTechnicalError",
    "EnedisWrongDirectionError",
    "error_for_response",
]
