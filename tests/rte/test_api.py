"""The RTE client against the fake RTE: token reuse, 401 retry, typed errors, URLs."""

from __future__ import annotations

from datetime import date

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.delestage.api.errors import (
    ApiAuthError,
    ApiRateLimitedError,
    ApiResponseError,
    ApiServerError,
)
from custom_components.delestage.api.rte import (
    Environment,
    RteApi,
    RteClient,
    RteCredentials,
    RteNotSubscribedError,
    normalize_base_url,
)

from .fake_rte import FakeRte, tempo_payload


def _client(hass: HomeAssistant, **kwargs: object) -> RteClient:
    return RteClient(
        async_get_clientsession(hass),
        RteCredentials("id", "secret"),
        **kwargs,  # type: ignore[arg-type]
    )


async def test_token_is_reused_and_sent_as_bearer(
    hass: HomeAssistant, fake_rte: FakeRte, aioclient_mock: AiohttpClientMocker
) -> None:
    client = _client(hass)

    await client.async_get_signals()
    fake_rte.enforce_quota = False
    await client.async_get_signals()

    assert fake_rte.calls["token"] == 1
    assert fake_rte.calls["signals"] == 2
    token_call = aioclient_mock.mock_calls[0]
    assert token_call[3]["Authorization"] == "Basic aWQ6c2VjcmV0"  # base64 of "id:secret"
    data_call = aioclient_mock.mock_calls[1]
    assert data_call[3]["Authorization"] == "Bearer token-1"
    assert data_call[3]["Accept"] == "application/json"


async def test_401_gets_a_new_token_and_retries_once(
    hass: HomeAssistant, fake_rte: FakeRte
) -> None:
    client = _client(hass)
    fake_rte.reject_next_tokens = 1

    forecast = await client.async_get_signals()

    assert forecast.first_day == date(2022, 6, 3)
    assert fake_rte.calls["token"] == 2
    assert fake_rte.calls["signals"] == 2


async def test_second_401_is_an_auth_error(hass: HomeAssistant, fake_rte: FakeRte) -> None:
    fake_rte.reject_next_tokens = 2
    with pytest.raises(ApiAuthError):
        await _client(hass).async_get_signals()
    assert fake_rte.calls["token"] == 2


async def test_refused_token_is_an_auth_error(hass: HomeAssistant, fake_rte: FakeRte) -> None:
    fake_rte.token_status = 400
    with pytest.raises(ApiAuthError):
        await _client(hass).async_validate_credentials()


async def test_403_means_not_subscribed(hass: HomeAssistant, fake_rte: FakeRte) -> None:
    fake_rte.signals_status = 403
    fake_rte.tempo_status = 403
    client = _client(hass)

    with pytest.raises(RteNotSubscribedError) as ecowatt:
        await client.async_get_signals()
    with pytest.raises(RteNotSubscribedError) as tempo:
        await client.async_get_tempo(date(2026, 1, 1), date(2026, 1, 3))

    assert ecowatt.value.api is RteApi.ECOWATT
    assert tempo.value.api is RteApi.TEMPO


async def test_429_carries_retry_after(hass: HomeAssistant, fake_rte: FakeRte) -> None:
    client = _client(hass)
    await client.async_get_signals()

    with pytest.raises(ApiRateLimitedError) as err:
        await client.async_get_signals()

    assert 890 <= err.value.retry_after <= 900  # type: ignore[operator]
    assert fake_rte.rate_limited == 1


async def test_server_error_and_bad_payload(hass: HomeAssistant, fake_rte: FakeRte) -> None:
    client = _client(hass, environment=Environment.SANDBOX)
    fake_rte.signals_status = 503
    with pytest.raises(ApiServerError):
        await client.async_get_signals()

    fake_rte.signals_status = 200
    fake_rte.signals_text = '{"signals": [ {"jour": '
    with pytest.raises(ApiResponseError):
        await client.async_get_signals()
    assert fake_rte.calls["sandbox"] == 2
    assert fake_rte.calls["signals"] == 0


async def test_tempo_request_dates_carry_paris_offsets(
    hass: HomeAssistant, fake_rte: FakeRte, aioclient_mock: AiohttpClientMocker
) -> None:
    fake_rte.tempo = tempo_payload({date(2026, 7, 1): "BLUE"})

    calendar = await _client(hass).async_get_tempo(date(2026, 1, 10), date(2026, 7, 2))

    assert calendar.color(date(2026, 7, 1)) == "BLUE"
    url = aioclient_mock.mock_calls[-1][1]
    assert url.query["start_date"] == "2026-01-10T00:00:00+01:00"
    assert url.query["end_date"] == "2026-07-02T00:00:00+02:00"


async def test_base_url_override(hass: HomeAssistant, aioclient_mock: AiohttpClientMocker) -> None:
    fake = FakeRte(aioclient_mock, base_url="http://127.0.0.1:8099")
    client = _client(hass, base_url="http://127.0.0.1:8099/")

    await client.async_get_signals()

    assert client.token_url == "http://127.0.0.1:8099/token/oauth/"
    assert fake.calls["token"] == 1
    assert fake.calls["signals"] == 1


def test_credentials_from_the_portal_base64_string() -> None:
    value = "bXktaWQ6bXktc2VjcmV0"  # the portal's "Copier en base 64" of my-id:my-secret

    assert RteCredentials.from_basic_auth(value) == RteCredentials("my-id", "my-secret")
    assert RteCredentials.from_basic_auth(f"Basic {value}") == RteCredentials("my-id", "my-secret")
    assert RteCredentials.from_basic_auth("not base64!") is None
    assert normalize_base_url(None) == "https://digital.iservices.rte-france.com"
