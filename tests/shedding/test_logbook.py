"""The logbook says who switched a load: the automation, and Délestage when it acted by itself.

Read through Home Assistant's own logbook (``logbook/get_events``, what the Activity panel and
a device page show), in English and in French.
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
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.shedding import LOGBOOK_ACTIONS

from ..translations import lookup
from .conftest import async_set_load

AUTOMATION = "automation.shed_on_red"
WATER_HEATER = "switch.water_heater"

# What a person reads, per language: the Délestage line, and why the load changed.
TEXTS = {
    "en": {
        "off": "switched off switch.water_heater",
        "off_again": "switched switch.water_heater off again (switched on during the period)",
        "on_max": "switched switch.water_heater back on (maximum duration reached)",
    },
    "fr": {
        "off": "a éteint switch.water_heater",
        "off_again": "a de nouveau éteint switch.water_heater (rallumé pendant la période)",
        "on_max": "a rallumé switch.water_heater (durée maximale atteinte)",
    },
}


async def _setup(hass: HomeAssistant, language: str) -> None:
    await hass.config.async_update(language=language)
    assert await async_setup_component(hass, "logbook", {})
    assert await async_setup_component(hass, DOMAIN, {})
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": "shed_on_red",
                    "alias": "Shed on red",
                    "triggers": [{"trigger": "event", "event_type": "red_now"}],
                    "actions": [
                        {
                            "action": "delestage.shed_loads",
                            "data": {
                                "group": "{{ this.entity_id }}",
                                "entity_id": [WATER_HEATER],
                                "max_duration": {"hours": 2},
                            },
                        }
                    ],
                }
            ]
        },
    )
    await hass.async_block_till_done()


class Logbook:
    """The logbook as the frontend reads it (``logbook/get_events`` over the websocket)."""

    def __init__(self, hass: HomeAssistant, client: Any) -> None:
        self.hass, self.client, self.start, self.request_id = hass, client, dt_util.utcnow(), 0

    async def entries(self, entity_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """The entries since the test started, of ``entity_ids`` (or all)."""
        await self.hass.async_block_till_done()
        await async_wait_recording_done(self.hass)
        self.request_id += 1
        request: dict[str, Any] = {
            "id": self.request_id,
            "type": "logbook/get_events",
            "start_time": self.start.isoformat(),
            "end_time": (dt_util.utcnow() + timedelta(seconds=1)).isoformat(),
        }
        if entity_ids:
            request["entity_ids"] = entity_ids
        await self.client.send_json(request)
        response = await self.client.receive_json()
        assert response["success"], response
        entries: list[dict[str, Any]] = response["result"]
        return entries


def _later(freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move the running clock on (a ticking clock's ``tick`` counts from its last move)."""
    freezer.move_to(dt_util.utcnow() + delta)


def _changes(entries: list[dict[str, Any]], state: str) -> list[dict[str, Any]]:
    return [e for e in entries if e.get("entity_id") == WATER_HEATER and e.get("state") == state]


# The clock runs (moved on by hand between steps): the logbook orders a run's rows by time, and
# an automation's run starts before its actions, as in real life.
@pytest.mark.freeze_time(tick=True)
@pytest.mark.parametrize("language", ["en", "fr"])
async def test_logbook_names_the_automation_and_delestage(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
    loads: tuple[str, ...],
    language: str,
) -> None:
    texts = TEXTS[language]
    await _setup(hass, language)
    logbook = Logbook(hass, await hass_ws_client(hass))
    await async_set_load(hass, WATER_HEATER, True)

    # Red: the automation runs and its call switches the load off.
    _later(freezer, timedelta(seconds=5))
    hass.bus.async_fire("red_now")
    await hass.async_block_till_done()
    shed = _changes(await logbook.entries([WATER_HEATER]), "off")
    assert len(shed) == 1
    # As for the automation's own actions: "By automation: Shed on red".
    assert shed[0]["context_event_type"] == "automation_triggered"
    assert shed[0]["context_entity_id"] == AUTOMATION
    assert shed[0]["context_name"] == "Shed on red"
    # Délestage's own line, in the automation's run.
    delestage = [e for e in await logbook.entries() if e.get("domain") == DOMAIN]
    assert [(e["name"], e["message"]) for e in delestage] == [
        ("Délestage (Shed on red)", texts["off"])
    ]
    assert delestage[0]["context_event_type"] == "automation_triggered"
    assert delestage[0]["context_entity_id"] == AUTOMATION

    # Something other than a person switches it on: Délestage switches it off by itself.
    _later(freezer, timedelta(minutes=5))
    await async_set_load(hass, WATER_HEATER, True, by_person=False)
    again = _changes(await logbook.entries([WATER_HEATER]), "off")[-1]
    assert again["context_domain"] == DOMAIN
    assert again["context_name"] == "Délestage (Shed on red)"  # "Via Délestage (Shed on red)"
    assert again["context_message"] == texts["off_again"]

    # The period outlasts its maximum duration: Délestage switches the load back on.
    _later(freezer, timedelta(hours=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    back = _changes(await logbook.entries([WATER_HEATER]), "on")[-1]
    assert back["context_domain"] == DOMAIN
    assert back["context_name"] == "Délestage (Shed on red)"
    assert back["context_message"] == texts["on_max"]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_logbook_action_has_a_text(language: str) -> None:
    """Each thing Délestage does has its line; the load ID stands alone (the frontend links it)."""
    for action in LOGBOOK_ACTIONS:
        text = lookup(language, f"selector.logbook_message.options.{action}")
        assert text, (language, action)
        assert re.search(r"(^| )\{load\}( |$)", text), (language, action)


async def test_an_action_without_a_text_shows_the_load(
    recorder_mock: Recorder, hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    """A line written by a newer version (an action this one has no text for) still reads."""
    await _setup(hass, "en")
    logbook = Logbook(hass, await hass_ws_client(hass))
    hass.bus.async_fire(
        "delestage_load_shedding", {"group": "nodered", "load": WATER_HEATER, "action": "later"}
    )

    entries = [e for e in await logbook.entries() if e.get("domain") == DOMAIN]

    assert [(e["name"], e["message"]) for e in entries] == [("Délestage (nodered)", WATER_HEATER)]
