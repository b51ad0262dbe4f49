"""The logbook says what pre-heating did to a thermostat, and why, in the server's language.

Read through Home Assistant's own logbook (``logbook/get_events``), as a device page shows it.
"""

from __future__ import annotations

from datetime import timedelta
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    CLIENT_ID,
    MockUser,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.delestage.anticipation import ACTIONS
from custom_components.delestage.const import DOMAIN

from ..translations import lookup
from .conftest import async_precondition, async_setup_delestage, async_setup_home

LIVING = "climate.living"
TEXTS = {
    "en": {
        "coast": (
            "set climate.living to 18.5 °C for the red hours "
            "(heating off while the room is warm enough)"
        ),
        "restore": "set climate.living back to 20.0 °C after the red hours",
    },
    "fr": {
        "coast": (
            "a réglé climate.living à 18.5 °C pour les heures rouges "
            "(chauffage coupé tant que la pièce est assez chaude)"
        ),
        "restore": "a remis climate.living à 20.0 °C après les heures rouges",
    },
}


async def _lines(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, user: MockUser, since: Any
) -> list[dict[str, Any]]:
    """The logbook's lines of the thermostat written by Délestage (a fresh login: time ran)."""
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)
    refresh = await hass.auth.async_create_refresh_token(user, CLIENT_ID)
    client = await hass_ws_client(hass, hass.auth.async_create_access_token(refresh))
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": since.isoformat(),
            "end_time": (dt_util.utcnow() + timedelta(seconds=1)).isoformat(),
            "entity_ids": [LIVING],
        }
    )
    response = await client.receive_json()
    assert response["success"], response
    return [e for e in response["result"] if e.get("domain") == DOMAIN]


def _move(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.move_to(dt_util.utcnow() + delta)
    async_fire_time_changed(hass)


@pytest.mark.freeze_time("2026-12-07T17:50:00+01:00", tick=True)
@pytest.mark.parametrize("language", ["en", "fr"])
async def test_logbook_says_what_preheating_did(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user: MockUser,
    freezer: FrozenDateTimeFactory,
    language: str,
) -> None:
    await hass.config.async_update(language=language)
    assert await async_setup_component(hass, "logbook", {})
    await async_setup_delestage(hass)
    await async_setup_home(hass)
    since = dt_util.utcnow()
    start = dt_util.now() + timedelta(minutes=10)
    await async_precondition(
        hass,
        entity_id=[LIVING],
        start=start.isoformat(),
        end=(start + timedelta(hours=1)).isoformat(),
    )

    _move(hass, freezer, timedelta(minutes=11))
    await hass.async_block_till_done()
    _move(hass, freezer, timedelta(hours=1))
    await hass.async_block_till_done()

    lines = await _lines(hass, hass_ws_client, hass_admin_user, since)
    messages = [line["message"] for line in lines]
    assert TEXTS[language]["coast"] in messages
    assert TEXTS[language]["restore"] in messages
    assert {line["name"] for line in lines} == {"Délestage"}
    assert {line["entity_id"] for line in lines} == {LIVING}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_preheating_action_has_a_text(language: str) -> None:
    for action in ACTIONS:
        text = lookup(language, f"selector.logbook_message.options.{action}")
        assert text, (language, action)
        assert re.search(r"(^| )\{load\}( |$)", text), (language, action)
