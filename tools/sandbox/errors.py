"""Error answers as each provider really sends them (see shared/reference/*.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
import json

from aiohttp import web


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer with UTF-8 text (non-ASCII kept as is, like the real servers)."""
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type="application/json",
        headers=headers,
    )


# RTE: OAuth2-style bodies {"error", "error_description"} (rte.md §9).
def rte_error(status: int, error: str, description: str, **headers: str) -> web.Response:
    """An RTE error answer."""
    return json_response(status, {"error": error, "error_description": description}, headers)


def rte_invalid_token() -> web.Response:
    """RTE answer to a missing, unknown or expired bearer token."""
    return rte_error(401, "invalid_token", "Invalid or expired access token")


def rte_server_error(status: int = 500) -> web.Response:
    """The 500 body captured in production (openhab-addons#20260)."""
    return json_response(
        status,
        {
            "error": "COMMON_ERROR_T03",
            "error_description": "Error code unknown",
            "error_uri": "",
            "error_details": {"transaction_id": "Id-42dc9769c6dbcb3789bcf0ec"},
        },
    )


# Enedis 2026 APIs: {code, message}; the WSO2 gateway wraps auth errors in "fault"
# (enedis.md §4, §10).
def enedis_error(status: int, code: str, message: str) -> web.Response:
    """An Enedis Data Connect 2026 error answer."""
    return json_response(status, {"code": code, "message": message})


def enedis_invalid_token() -> web.Response:
    """Enedis answer to an invalid or expired JWT."""
    return json_response(
        401,
        {
            "fault": {
                "code": 900901,
                "message": "Invalid Credentials",
                "description": "Invalid JWT token. Make sure you have provided the correct "
                "security credentials",
            }
        },
    )


def enedis_server_error(status: int = 500) -> web.Response:
    """An Enedis technical error."""
    return enedis_error(status, "ADAM-DC-0500", "Technical error. Please try later.")


# Météo-France (WSO2 API manager) bodies (meteofrance.md §2, §10).
def meteofrance_invalid_token() -> web.Response:
    """Météo-France answer to an invalid or expired key / token."""
    return json_response(
        401,
        {
            "code": "900901",
            "message": "Invalid Credentials",
            "description": "Invalid JWT token. Make sure you have provided the correct "
            "security credentials",
        },
    )


def meteofrance_throttled(now: datetime) -> web.Response:
    """Météo-France quota answer: WSO2 'Message throttled out' with the next allowed time."""
    next_minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    wait = max(1, int((next_minute - now).total_seconds()) + 1)
    return json_response(
        429,
        {
            "code": "900804",
            "message": "Message throttled out",
            "description": "You have exceeded your quota",
            "nextAccessTime": next_minute.strftime("%Y-%b-%d %H:%M:%S+0000 UTC"),
        },
        {"Retry-After": str(wait)},
    )


def meteofrance_bad_request(message: str) -> web.Response:
    """Météo-France 400: an XML WSO2 fault."""
    body = (
        '<am:fault xmlns:am="http://wso2.org/apimanager">'
        f"<am:code>400</am:code><am:message>Bad Request</am:message>"
        f"<am:description>{message}</am:description></am:fault>"
    )
    return web.Response(status=400, text=body, content_type="application/xml")


def meteofrance_server_error(status: int = 500) -> web.Response:
    """A Météo-France server error."""
    return json_response(
        status, {"code": str(status), "message": "Internal Server Error", "description": ""}
    )
