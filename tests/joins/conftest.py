"""Fixtures of the join tests: the simulator, the relay stand-ins, a home in France."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest

from tests.enedis.fake_enedis import quiet_sql
from tests.enedis.test_gateway_setup import simulator
from tests.phidget.conftest import hardware

__all__ = ["hardware", "quiet_sql", "simulator"]


@pytest.fixture(autouse=True)
async def paris_time_zone(hass: HomeAssistant) -> None:
    """The home is in France."""
    await hass.config.async_set_time_zone("Europe/Paris")
