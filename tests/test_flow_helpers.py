"""The API base URL field shared by the cloud entry types' config flows."""

from __future__ import annotations

import re

import pytest

from custom_components.delestage.flow_helpers import read_api_base_url


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("http://127.0.0.1:8765/rte", "http://127.0.0.1:8765/rte"),
        (" https://sim.example/enedis/ ", "https://sim.example/enedis"),
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
