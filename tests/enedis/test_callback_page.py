"""The pages of the Enedis consent callback are never cached: their address holds the consent."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.delestage.const import DOMAIN

from .conftest import CALLBACK


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ({}, "Missing or invalid state"),
        ({"state": "x" * 20}, "neither a consent nor an error"),
        ({"state": "unknown", "code": "abc", "usage_point_id": "12345678901234"}, "unknown"),
        ({"state": "unknown", "error": "access_denied"}, "unknown"),
    ],
)
async def test_callback_pages_are_not_stored(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    query: dict[str, str],
    text: str,
) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_client_no_auth()

    response = await client.get(CALLBACK, params=query)

    assert response.status == 400
    assert text in await response.text()
    assert response.headers["Cache-Control"] == "no-store"
