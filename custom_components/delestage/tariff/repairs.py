"""The tariff's repair issue: Tempo chosen, but no RTE entry gives the colours.

Raised on the meter's entry with the id and translation key it always had
(``enedis_tempo_needs_rte_<entry id>``): an issue of an older version is found and cleared.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..issues import async_clear_entry_issue, async_raise_entry_issue

TEMPO_NEEDS_RTE = "enedis_tempo_needs_rte"


@callback
def async_raise_tempo_needs_rte(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Tell the user the Tempo hours of this meter wait for an RTE entry with Tempo."""
    async_raise_entry_issue(hass, entry, TEMPO_NEEDS_RTE, ir.IssueSeverity.WARNING)


@callback
def async_clear_tempo_needs_rte(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove the issue (an RTE entry gives the colours, or Tempo is no longer chosen)."""
    async_clear_entry_issue(hass, entry, TEMPO_NEEDS_RTE)
