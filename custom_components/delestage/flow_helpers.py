"""Pieces shared by the config flow steps of the cloud entry types."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

from homeassistant.core import HomeAssistant
from yarl import URL

from .const import CONF_API_BASE_URL

SECTION_ADVANCED = "advanced"

# Plain ``http://`` is accepted only for addresses that cannot be on the Internet: loopback,
# private (RFC 1918, unique-local IPv6) and link-local ones. A *name* is judged by what it
# resolves to when the form is submitted: a single-label name (``ai``, ``sandbox``) or a
# ``.lan`` may well be answered by a public DNS search domain, so no name is trusted for
# its shape. Only ``localhost`` and ``*.localhost`` are this machine without a lookup
# (RFC 6761 reserves them for loopback).


class InsecureApiBaseUrlError(ValueError):
    """A plain ``http://`` address on the Internet: the credentials would travel in clear."""


def _bare(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])  # an IPv6 zone ("%eth0") aside
    except ValueError:
        return None


def _is_local_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_loopback or address.is_private or address.is_link_local


def is_loopback_host(host: str) -> bool:
    """Return True for this machine: 127.0.0.0/8, ::1, ``localhost`` and ``*.localhost``."""
    host = _bare(host)
    if (address := _address(host)) is not None:
        return address.is_loopback
    return host == "localhost" or host.endswith(".localhost")


def is_local_host(host: str) -> bool:
    """Return True for a loopback or private address literal, or ``localhost``.

    Any other name is unknown until resolved: :func:`async_host_is_local`.
    """
    host = _bare(host)
    if (address := _address(host)) is not None:
        return _is_local_address(address)
    return is_loopback_host(host)


async def async_host_is_local(hass: HomeAssistant, host: str) -> bool | None:
    """Whether every address ``host`` resolves to is loopback or private.

    True or False for an address literal, ``localhost`` and a name that resolves (False as
    soon as one address is public); None when the name does not resolve. The lookup is the
    system resolver's, run in the executor.
    """
    host = _bare(host)
    if _address(host) is not None or is_loopback_host(host):
        return is_local_host(host)
    try:
        infos = await hass.loop.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError, UnicodeError:  # socket.gaierror is an OSError; IDNA refusals
        return None
    addresses = [address for info in infos if (address := _address(str(info[4][0])))]
    if not addresses:
        return None
    return all(_is_local_address(address) for address in addresses)


def read_api_base_url(user_input: dict[str, Any]) -> str | None:
    """Return the advanced section's API base URL (None when empty), judged by its text.

    Raise ValueError when it is not an http(s) URL with a host, and InsecureApiBaseUrlError (a
    ValueError) for ``http://`` to an address literal that is not loopback or private: the
    client secret, API key and tokens would cross the Internet unencrypted. A host *name* over
    ``http://`` is only judged by :func:`async_read_api_base_url`, which resolves it.
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
    literal = _address(_bare(url.host)) is not None
    if url.scheme == "http" and literal and not is_local_host(url.host):
        raise InsecureApiBaseUrlError(value)
    return value.rstrip("/")


async def async_read_api_base_url(hass: HomeAssistant, user_input: dict[str, Any]) -> str | None:
    """Return the API base URL of a submitted form; refuse ``http://`` off the local network.

    As :func:`read_api_base_url`, and ``http://`` to a name is accepted only when the name
    resolves, now, to loopback or private addresses only (the simulator on this machine or
    the local network); otherwise InsecureApiBaseUrlError.
    """
    value = read_api_base_url(user_input)
    if value is None or (url := URL(value)).scheme != "http" or not url.host:
        return value
    if await async_host_is_local(hass, url.host) is not True:
        raise InsecureApiBaseUrlError(value)
    return value


def api_base_url_error(err: ValueError) -> str:
    """Return the form error of a refused API base URL: not a URL, or ``http://`` in clear."""
    return "insecure_url" if isinstance(err, InsecureApiBaseUrlError) else "invalid_url"


def displayed_url(value: str) -> str:
    """Return an address to show the user, without any user name or password it carries."""
    try:
        return str(URL(value).with_user(None))
    except ValueError, TypeError:
        return "?"
