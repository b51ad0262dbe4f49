"""Fixtures of the Tempo forecast tests: RTE's token endpoint and forecast endpoints, faked."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

# The package's own model modules, imported before tools.tempo_backtest: the tool then reuses
# them (one copy of each class; coverage attributes the lines to the package).
from custom_components.delestage.forecast import calibration, model, rules  # noqa: F401
from tests.rte.fake_rte import FakeRte

from .fake_rte_forecasts import FakeRteForecasts


@pytest.fixture
def fake_rte(aioclient_mock: AiohttpClientMocker) -> FakeRte:
    """RTE's token endpoint (and Ecowatt/Tempo)."""
    return FakeRte(aioclient_mock)


@pytest.fixture
def fake_forecasts(fake_rte: FakeRte) -> FakeRteForecasts:
    """RTE's Consumption and Generation Forecast endpoints, the app subscribed to both."""
    fake_rte.forecasts.subscribe()
    return fake_rte.forecasts
