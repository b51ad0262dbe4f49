"""Repair issues of the RTE entry: what the user must fix on the RTE data portal."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..const import DOMAIN
from ..runtime import DelestageConfigEntry
from .const import ISSUE_ECOWATT_NOT_SUBSCRIBED

ECOWATT_CATALOG_URL = "https://data.rte-france.com/catalog/-/api/consumption/Ecowatt/v5.0"


def _issue_id(entry: DelestageConfigEntry) -> str:
    return f"{ISSUE_ECOWATT_NOT_SUBSCRIBED}_{entry.entry_id}"


@callback
def async_raise_ecowatt_not_subscribed(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """RTE answered 403 to Ecowatt v5: the app is not subscribed to v5 (or holds a v4 key)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(entry),
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_ECOWATT_NOT_SUBSCRIBED,
        translation_placeholders={"title": entry.title, "url": ECOWATT_CATALOG_URL},
        learn_more_url=ECOWATT_CATALOG_URL,
    )


@callback
def async_clear_ecowatt_not_subscribed(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """Ecowatt answered again: the issue is solved."""
    ir.async_delete_issue(hass, DOMAIN, _issue_id(entry))
