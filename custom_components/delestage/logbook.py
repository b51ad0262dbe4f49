"""The logbook says who switched a load: Délestage, for which automation, and why.

Délestage fires ``delestage_load_shedding`` in the context of each command it sends by itself
(switching a load off again during a period, switching loads back on after it), before the
command: the event is the origin of that context, so the load's logbook line reads "via
Délestage (Shed on red)" and the event's own line says what was done and why. Commands sent
during an automation's call run in the automation's context ("by automation Shed on red").

The texts are the translations' ``logbook_message`` options (one per action, ``texts.py``), in
the server's language: the logbook's descriptions are plain strings, as for Home Assistant's own
integrations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.loader import async_get_loaded_integration

from .const import DOMAIN
from .shedding import EVENT_LOAD_SHEDDING
from .texts import LOGBOOK_MESSAGE, cached_text


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe Délestage's load-shedding commands."""
    brand = async_get_loaded_integration(hass, DOMAIN).name

    @callback
    def async_describe_command(event: Event) -> dict[str, Any]:
        data = event.data
        text = cached_text(hass, LOGBOOK_MESSAGE, str(data.get("action"))) or "{load}"
        return {
            LOGBOOK_ENTRY_NAME: f"{brand} ({data.get('name') or data.get('group')})",
            LOGBOOK_ENTRY_MESSAGE: text.replace("{load}", str(data.get("load"))),
        }

    async_describe_event(DOMAIN, EVENT_LOAD_SHEDDING, async_describe_command)
