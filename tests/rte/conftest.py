"""Fixtures of the RTE tests: a fake RTE server, an entry, a pre-seeded cache."""

from __future__ import annotations

from datetime import datetime
import hashlib
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.forecast.store import storage_key

from .fake_rte import FakeRte

CLIENT_ID = "app-client-id"
CLIENT_SECRET = "app-client-secret"
ENTRY_DATA = {
    "entry_type": "rte",
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "environment": "production",
}
STORE_KEY = f"{DOMAIN}.rte_{hashlib.sha256(CLIENT_ID.encode()).hexdigest()[:16]}"
PROD_SIGNALS = "https://digital.iservices.rte-france.com/open_api/ecowatt/v5/signals"
TEMPO_URL = (
    "https://digital.iservices.rte-france.com/open_api/tempo_like_supply_contract/v1/"
    "tempo_like_calendars"
)


@pytest.fixture(autouse=True)
async def paris_time_zone(hass: Any) -> None:
    """The home is in France."""
    await hass.config.async_set_time_zone("Europe/Paris")


@pytest.fixture
def fake_rte(aioclient_mock: AiohttpClientMocker) -> FakeRte:
    """RTE's servers."""
    return FakeRte(aioclient_mock)


@pytest.fixture
def rte_entry() -> MockConfigEntry:
    """A production RTE entry."""
    return MockConfigEntry(
        domain=DOMAIN, title="RTE Ecowatt", unique_id=CLIENT_ID, data=dict(ENTRY_DATA)
    )


def seed_store(
    hass_storage: dict[str, Any],
    *,
    signals: Any = None,
    fetched_at: datetime | None = None,
    source: str = PROD_SIGNALS,
    not_before: datetime | None = None,
    tempo: Any = None,
    tempo_fetched_at: datetime | None = None,
    tempo_subscribed: bool | None = None,
    token_expires_at: float | None = None,
) -> None:
    """Write the RTE cache as a previous run would have left it.

    The Tempo forecast's Store says the app was found not subscribed to Consumption when Tempo
    was last fetched (the app of these tests is subscribed to Ecowatt and Tempo only).
    """
    if tempo_fetched_at is not None:
        seed_forecast_store(hass_storage, consumption_checked_at=tempo_fetched_at)
    hass_storage[STORE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": STORE_KEY,
        "data": {
            "signals": {
                "source": source,
                "raw": signals,
                "fetched_at": None if fetched_at is None else fetched_at.isoformat(),
                "last_call": None if fetched_at is None else fetched_at.isoformat(),
                "last_call_ok": True,
                "not_before": None if not_before is None else not_before.isoformat(),
                "subscribed": True,
            },
            "tempo": {
                "source": TEMPO_URL,
                "raw": tempo,
                "fetched_at": None if tempo_fetched_at is None else tempo_fetched_at.isoformat(),
                "last_call": None if tempo_fetched_at is None else tempo_fetched_at.isoformat(),
                "last_call_ok": True,
                "not_before": None,
                "subscribed": tempo_subscribed,
            },
            "token": None
            if token_expires_at is None
            else {"access_token": "persisted-token", "expires_at": token_expires_at},
            "token_url": "https://digital.iservices.rte-france.com/token/oauth/",
        },
    }


def seed_forecast_store(
    hass_storage: dict[str, Any], *, consumption_checked_at: datetime, client_id: str = CLIENT_ID
) -> None:
    """Write the Tempo forecast's Store: Consumption answered 403 at that time."""
    key = storage_key(client_id)
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {
            "consumption": {
                "last_call": consumption_checked_at.isoformat(),
                "last_success": None,
                "failures": 0,
                "subscribed": False,
            },
            "generation": {},
            "not_before": None,
            "days": {},
        },
    }
