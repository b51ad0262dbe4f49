"""Pieces shared by the config flow steps of the cloud entry types."""

from __future__ import annotations

import ipaddress
from typing import Any, Final

from yarl import URL

from .const import CONF_API_BASE_URL

SECTION_ADVANCED = "advanced"

# Host names that cannot be on the public Internet: this machine (RFC 6761 ``localhost``), the
# local network (mDNS ``.local``, RFC 8375 ``home.arpa``, ICANN's private-use ``.internal``, the
# customary ``.lan``). A name without a dot (``sandbox``, a Docker service) is local too.
LOCAL_NAME_SUFFIXES: Final = (".localhost", ".local", ".home.arpa", ".internal", ".lan")


class InsecureApiBaseUrlError(ValueError):
    """A plain ``http://`` address on the Internet: the credentials would travel in clear."""


def is_local_host(host: str) -> bool:
    """Return True for a loopback or private address, or a name that can only be local."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(LOCAL_NAME_SUFFIXES)
    return address.is_loopback or address.is_private or address.is_link_local


def read_api_base_url(user_input: dict[str, Any]) -> str | None:
    """Return the advanced section's API base URL (None when empty).

    Raise ValueError when it is not an http(s) URL with a host, and InsecureApiBaseUrlError (a
    ValueError) for ``http://`` to a host that is not loopback or private: the client secret,
    API key and tokens would cross the Internet unencrypted. ``http://`` stays accepted for the
    simulator on this machine or the local network.
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
    if url.scheme == "http" and not is_local_host(url.host):
        raise InsecureApiBaseUrlError(value)
    return value.rstrip("/")


def displayed_url(value: str) -> str:
    """Return an address to show the user, without any user name or password it carries."""
    try:
        return str(URL(value).with_user(None))
    except ValueError, TypeError:
        return "?"
