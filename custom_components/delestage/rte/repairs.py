"""Repair issues of the RTE entry: what the user must fix on the RTE data portal."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..issues import async_clear_entry_issue, async_raise_entry_issue
from ..runtime import DelestageConfigEntry
from .const import ISSUE_ECOWATT_NOT_SUBSCRIBED

ECOWATT_CATALOG_URL = "https://data.rte-france.com/catalog/-/api/consumption/Ecowatt/v5.0"


@callback
def async_raise_ecowatt_not_subscribed(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """RTE answered 403 to Ecowatt v5: the app is not subscribed to v5 (or holds a v4 key)."""
    async_raise_entry_issue(
        hass,
        entry,
        ISSUE_ECOWATT_NOT_SUBSCRIBED,
        ir.IssueSeverity.ERROR,
        placeholders={"url": ECOWATT_CATALOG_URL},
        learn_more_url=ECOWATT_CATALOG_URL,
    )


@callback
def async_clear_ecowatt_not_subscribed(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """Ecowatt answered again: the issue is solved."""
    async_clear_entry_issue(hass, entry, ISSUE_ECOWATT_NOT_SUBSCRIBED)
