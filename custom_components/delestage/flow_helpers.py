"""Pieces shared by the config flow steps of the cloud entry types."""

from __future__ import annotations

from typing import Any

from yarl import URL

from .const import CONF_API_BASE_URL

SECTION_ADVANCED = "advanced"


def read_api_base_url(user_input: dict[str, Any]) -> str | None:
    """Return the advanced section's API base URL (None when empty).

    Raise ValueError when it is not an http(s) URL with a host.
    """
    value = str(user_input.get(SECTION_ADVANCED, {}).get(CONF_API_BASE_URL) or "").strip()
    if not value:
        return None
    try:
        url = URL(value)
    except ValueError, TypeError:
        raise ValueError(value) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(value)
    return value.rstrip("/")
