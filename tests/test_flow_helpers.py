"""The API base URL field shared by the cloud entry types' config flows."""

from __future__ import annotations

import re

from homeassistant.core import HomeAssistant
import pytest

from custom_components.delestage.flow_helpers import (
    InsecureApiBaseUrlError,
    async_host_is_local,
    async_read_api_base_url,
    displayed_url,
    is_local_host,
    is_loopback_host,
    read_api_base_url,
)

from .conftest import FakeDns


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("http://127.0.0.1:8765/rte", "http://127.0.0.1:8765/rte"),
        (" https://sim.example/enedis/ ", "https://sim.example/enedis"),
        ("https://203.0.113.7/rte", "https://203.0.113.7/rte"),
        # Plain http only for this machine or the local network.
        ("http://localhost:8099/rte", "http://localhost:8099/rte"),
        ("http://[::1]:8099", "http://[::1]:8099"),
        ("http://10.0.0.5:8099", "http://10.0.0.5:8099"),
        ("http://172.16.4.2", "http://172.16.4.2"),
        ("http://192.168.1.20:8099/", "http://192.168.1.20:8099"),
        ("http://169.254.10.1", "http://169.254.10.1"),
        ("http://[fd00::1]:8099", "http://[fd00::1]:8099"),
        ("http://sandbox:8099", "http://sandbox:8099"),
        ("http://nas.local:8099", "http://nas.local:8099"),
        ("http://sim.home.arpa", "http://sim.home.arpa"),
        ("http://sim.internal", "http://sim.internal"),
        ("http://sim.lan", "http://sim.lan"),
        ("http://app.localhost", "http://app.localhost"),
        ("HTTP://LOCALHOST:8099", "HTTP://LOCALHOST:8099"),
    ],
)
async def test_accepted_values(
    hass: HomeAssistant, fake_dns: FakeDns, value: str | None, expected: str | None
) -> None:
    for name in ("sandbox", "nas.local", "sim.home.arpa", "sim.internal", "sim.lan"):
        fake_dns[name] = ["192.168.1.20"]
    form = {"advanced": {"api_base_url": value}}
    assert await async_read_api_base_url(hass, form) == expected
    assert read_api_base_url(form) == expected


def test_missing_section() -> None:
    assert read_api_base_url({}) is None


@pytest.mark.parametrize(
    "value", ["ftp:x", "ftp://host/path", "http://", "127.0.0.1:8765", "http://[::1"]
)
def test_rejected_values(value: str) -> None:
    with pytest.raises(ValueError, match=re.escape(value)):
        read_api_base_url({"advanced": {"api_base_url": value}})


@pytest.mark.parametrize(
    "value",
    [
        "http://sim.example/enedis",
        "http://93.184.215.14/rte",
        "http://8.8.8.8",
        "http://[2a00:1450:4007:80c::200e]:8099",
        "http://localhost.example.com",
        "http://evil.local.example.com",
        "http://public-api.meteofrance.fr/public/DPObs/v1",
    ],
)
async def test_plain_http_to_the_internet_is_refused(
    hass: HomeAssistant, fake_dns: FakeDns, value: str
) -> None:
    """The client secret, API key or token would travel in clear."""
    fake_dns["public-api.meteofrance.fr"] = ["185.86.168.137"]
    with pytest.raises(InsecureApiBaseUrlError, match=re.escape(value)):
        await async_read_api_base_url(hass, {"advanced": {"api_base_url": value}})
    # Still a ValueError: the flows that only know "invalid URL" keep refusing it.
    assert issubclass(InsecureApiBaseUrlError, ValueError)
    secure = {"advanced": {"api_base_url": value.replace("http:", "https:")}}
    assert await async_read_api_base_url(hass, secure)


@pytest.mark.parametrize(
    ("host", "local", "loopback"),
    [
        ("127.0.0.1", True, True),
        ("127.8.9.10", True, True),
        ("::1", True, True),
        ("[::1]", True, True),
        ("localhost.", True, True),
        ("LOCALHOST", True, True),
        ("app.localhost", True, True),
        ("192.168.1.20", True, False),
        ("0.0.0.0", True, False),
        ("100.64.0.1", False, False),  # carrier-grade NAT is shared, not yours
        ("192.0.2.1", True, False),  # documentation range: never routed on the Internet
        ("93.184.215.14", False, False),
        ("example.com", False, False),
        ("localhost.example.com", False, False),
        # A name is not trusted for its shape: only a lookup says where it leads.
        ("ai", False, False),
        ("sandbox", False, False),
        ("nas.local", False, False),
        ("sim.lan", False, False),
    ],
)
def test_is_local_host(host: str, local: bool, loopback: bool) -> None:
    assert is_local_host(host) is local
    assert is_loopback_host(host) is loopback


async def test_names_are_judged_by_what_they_resolve_to(
    hass: HomeAssistant, fake_dns: FakeDns
) -> None:
    fake_dns.update(
        {
            "ai": ["93.184.215.14"],  # a single-label name a DNS search domain answers
            "sandbox": ["172.18.0.2"],  # a Docker service
            "nas.local": ["192.168.1.20", "fe80::1%eth0"],
            "split": ["192.168.1.20", "2a00:1450:4007:80c::200e"],  # one public address
        }
    )
    assert await async_host_is_local(hass, "ai") is False
    assert await async_host_is_local(hass, "sandbox") is True
    assert await async_host_is_local(hass, "NAS.local.") is True
    assert await async_host_is_local(hass, "split") is False
    assert await async_host_is_local(hass, "nowhere") is None
    fake_dns["nothing"] = []  # an answer without any address
    assert await async_host_is_local(hass, "nothing") is None
    assert await async_host_is_local(hass, "localhost") is True  # no lookup
    assert await async_host_is_local(hass, "8.8.8.8") is False


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("http://ai:8099/rte", False),
        ("http://nowhere:8099", False),
        ("http://split", False),
        ("http://sandbox:8099/rte", True),
        ("http://localhost:8099", True),
        ("http://127.0.0.1:8765/rte", True),
        ("https://ai/rte", True),  # encrypted: any host
    ],
)
async def test_plain_http_only_to_a_name_that_resolves_locally(
    hass: HomeAssistant, fake_dns: FakeDns, value: str, accepted: bool
) -> None:
    fake_dns.update({"ai": ["93.184.215.14"], "sandbox": ["172.18.0.2"]})
    fake_dns["split"] = ["10.0.0.2", "93.184.215.14"]
    form = {"advanced": {"api_base_url": value}}
    if accepted:
        assert await async_read_api_base_url(hass, form) == value
    else:
        with pytest.raises(InsecureApiBaseUrlError, match=re.escape(value)):
            await async_read_api_base_url(hass, form)


def test_displayed_url_hides_user_info() -> None:
    assert displayed_url("http://user:secret@127.0.0.1:8099/rte") == "http://127.0.0.1:8099/rte"
    assert displayed_url("https://sim.example/x") == "https://sim.example/x"
    assert displayed_url("http://[::1") == "?"
