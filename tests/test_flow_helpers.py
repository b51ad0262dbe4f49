"""The API base URL field shared by the cloud entry types' config flows."""

from __future__ import annotations

import re

import pytest

from custom_components.delestage.flow_helpers import (
    InsecureApiBaseUrlError,
    displayed_url,
    is_local_host,
    read_api_base_url,
)


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
def test_accepted_values(value: str | None, expected: str | None) -> None:
    assert read_api_base_url({"advanced": {"api_base_url": value}}) == expected


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
def test_plain_http_to_the_internet_is_refused(value: str) -> None:
    """The client secret, API key or token would travel in clear."""
    with pytest.raises(InsecureApiBaseUrlError, match=re.escape(value)):
        read_api_base_url({"advanced": {"api_base_url": value}})
    # Still a ValueError: the flows that only know "invalid URL" keep refusing it.
    assert issubclass(InsecureApiBaseUrlError, ValueError)
    assert read_api_base_url({"advanced": {"api_base_url": value.replace("http:", "https:")}})


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost.", True),
        ("100.64.0.1", False),  # carrier-grade NAT is shared, not yours
        ("192.0.2.1", True),  # documentation range: never routed on the Internet
        ("93.184.215.14", False),
        ("example.com", False),
    ],
)
def test_is_local_host(host: str, local: bool) -> None:
    assert is_local_host(host) is local


def test_displayed_url_hides_user_info() -> None:
    assert displayed_url("http://user:secret@127.0.0.1:8099/rte") == "http://127.0.0.1:8099/rte"
    assert displayed_url("https://sim.example/x") == "https://sim.example/x"
    assert displayed_url("http://[::1") == "?"
