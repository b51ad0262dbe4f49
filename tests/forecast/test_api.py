"""The RTE client's Consumption and Generation Forecast calls against a fake answering like RTE."""

from __future__ import annotations

from datetime import UTC, date, datetime

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest

from custom_components.delestage.api.errors import (
    ApiAuthError,
    ApiRateLimitedError,
    ApiResponseError,
    ApiServerError,
)
from custom_components.delestage.api.rte import (
    RteApi,
    RteClient,
    RteCredentials,
    RteNotSubscribedError,
    RteRequestError,
)
from tests.rte.fake_rte import FakeRte
from tests.shape import assert_same_shape

from .fake_rte_forecasts import (
    FakeRteForecasts,
    fixture,
    generation_payload,
    short_term_payload,
    weekly_payload,
)

TOMORROW = date(2025, 1, 15)


def _client(hass: HomeAssistant) -> RteClient:
    return RteClient(async_get_clientsession(hass), RteCredentials("id", "secret"))


def test_the_fake_answers_have_the_samples_shapes() -> None:
    """The fake's generated answers keep the fixtures' keys and JSON types at every level."""
    updated = "2025-01-14T07:00:00+01:00"
    assert_same_shape(
        short_term_payload({"D-1": {TOMORROW: 70_000.0}}, updated),
        fixture("consumption_short_term.json"),
    )
    assert_same_shape(
        weekly_payload({date(2025, 1, 17): 71_000.0}, updated),
        fixture("consumption_weekly_forecasts.json"),
    )
    for production_type in ("WIND_ONSHORE", "SOLAR"):
        assert_same_shape(
            generation_payload(production_type, TOMORROW, 4_000.0),
            fixture("generation_forecast.json"),
        )


async def test_short_term_asks_types_and_paris_dates(
    hass: HomeAssistant, fake_forecasts: FakeRteForecasts
) -> None:
    fake_forecasts.answers["short_term"] = short_term_payload(
        {"D-1": {TOMORROW: 70_000.0}, "D-2": {date(2025, 1, 16): 72_000.0}},
        "2025-01-14T07:00:00+01:00",
    )

    answer = await _client(hass).async_get_short_term(("D-1", "D-2"), TOMORROW, date(2025, 1, 17))

    assert fake_forecasts.queries[-1] == {
        "type": "D-1,D-2",
        "start_date": "2025-01-15T00:00:00+01:00",
        "end_date": "2025-01-17T00:00:00+01:00",
    }
    d1, d2 = answer.get("D-1"), answer.get("D-2")
    assert d1 is not None
    assert d2 is not None
    assert answer.get("REALISED") is None
    mean = d1.daily_means()[TOMORROW]
    assert mean.mean == pytest.approx(70_000.0)
    assert mean.complete
    assert d2.daily_means()[date(2025, 1, 16)].mean == pytest.approx(72_000.0)
    assert d1.updated == datetime(2025, 1, 14, 6, tzinfo=UTC)


async def test_weekly_forecasts_by_day_with_peak(
    hass: HomeAssistant, fake_forecasts: FakeRteForecasts
) -> None:
    days = {date(2025, 1, 17): 71_000.0, date(2025, 1, 18): 66_000.0}
    fake_forecasts.answers["weekly"] = weekly_payload(days, "2025-01-14T10:00:00+01:00")

    weekly = await _client(hass).async_get_weekly_forecasts()

    assert fake_forecasts.queries[-1] == {}  # no dates: RTE's current week
    assert list(weekly.days) == sorted(days)
    first = weekly.days[date(2025, 1, 17)]
    assert first.mean is not None
    assert first.mean.mean == pytest.approx(71_000.0)
    assert first.peak is not None
    assert first.peak.temperature == 2.5
    assert first.peak.temperature_deviation == -2.1


async def test_generation_forecast_daily_means_and_load_factor(
    hass: HomeAssistant, fake_forecasts: FakeRteForecasts
) -> None:
    fake_forecasts.answers["generation"] = generation_payload("WIND_ONSHORE", TOMORROW, 4_600.0)

    answer = await _client(hass).async_get_generation_forecast(
        "WIND_ONSHORE", "D-1", TOMORROW, date(2025, 1, 16)
    )

    assert fake_forecasts.queries[-1] == {
        "production_type": "WIND_ONSHORE",
        "type": "D-1",
        "start_date": "2025-01-15T00:00:00+01:00",
        "end_date": "2025-01-16T00:00:00+01:00",
    }
    assert answer.daily_means("WIND_ONSHORE")[TOMORROW].mean == pytest.approx(4_600.0)
    assert answer.daily_means("SOLAR") == {}
    assert answer.series[0].slots[0].load_factor == 20.0


async def test_400_is_a_request_error_with_rte_code(
    hass: HomeAssistant, fake_forecasts: FakeRteForecasts
) -> None:
    fake_forecasts.fail(
        "generation",
        400,
        {"error": "GENERATION_FORECAST_F04", "error_description": "type D-2 not available"},
    )

    with pytest.raises(RteRequestError) as err:
        await _client(hass).async_get_generation_forecast("SOLAR", "D-2", TOMORROW, TOMORROW)

    assert err.value.status == 400
    assert err.value.code == "GENERATION_FORECAST_F04"
    assert "type D-2 not available" in str(err.value)


async def test_401_gets_a_new_token_once(
    hass: HomeAssistant, fake_rte: FakeRte, fake_forecasts: FakeRteForecasts
) -> None:
    client = _client(hass)
    fake_forecasts.reject_next_tokens = 1
    await client.async_get_weekly_forecasts()
    assert fake_rte.calls["token"] == 2
    assert fake_forecasts.calls["weekly"] == 2

    fake_forecasts.reject_next_tokens = 2
    with pytest.raises(ApiAuthError):
        await client.async_get_short_term()
    assert fake_rte.calls["token"] == 3


async def test_403_names_the_missing_subscription(
    hass: HomeAssistant, fake_forecasts: FakeRteForecasts
) -> None:
    fake_forecasts.fail("short_term", 403)
    fake_forecasts.fail("generation", 403)
    client = _client(hass)

    with pytest.raises(RteNotSubscribedError) as consumption:
        await client.async_get_short_term()
    with pytest.raises(RteNotSubscribedError) as generation:
        await client.async_get_generation_forecast("SOLAR", "D-1", TOMORROW, date(2025, 1, 16))

    assert consumption.value.api is RteApi.CONSUMPTION
    assert generation.value.api is RteApi.GENERATION_FORECAST


async def test_429_carries_retry_after_and_5xx_is_a_server_error(
    hass: HomeAssistant, fake_forecasts: FakeRteForecasts
) -> None:
    client = _client(hass)
    fake_forecasts.fail("weekly", 429, None, **{"Retry-After": "120"})
    with pytest.raises(ApiRateLimitedError) as limited:
        await client.async_get_weekly_forecasts()
    assert limited.value.retry_after == 120

    fake_forecasts.fail("weekly", 503)
    with pytest.raises(ApiServerError):
        await client.async_get_weekly_forecasts()
    assert client.consumption_requests == 2


async def test_malformed_answers(hass: HomeAssistant, fake_forecasts: FakeRteForecasts) -> None:
    client = _client(hass)
    fake_forecasts.answers["short_term"] = {"unexpected": []}
    with pytest.raises(ApiResponseError):
        await client.async_get_short_term()

    fake_forecasts.answers["weekly"] = '{"weekly_forecasts": [ {"start'
    with pytest.raises(ApiResponseError):
        await client.async_get_weekly_forecasts()

    fake_forecasts.fail("generation", 404, "<html>not found</html>")
    with pytest.raises(RteRequestError) as err:
        await client.async_get_generation_forecast("SOLAR", "D-1", TOMORROW, date(2025, 1, 16))
    assert err.value.code is None
