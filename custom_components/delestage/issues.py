"""Repair issues tied to one config entry: id ``<key>_<entry id>``, the entry's title shown.

Sources and features raise theirs through these two helpers (the id and the translation key
stay what they always were: an issue of an older version is found and cleared).
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


def entry_issue_id(key: str, entry: ConfigEntry) -> str:
    """Return the id of issue ``key`` (its translation key) for ``entry``."""
    return f"{key}_{entry.entry_id}"


@callback
def async_raise_entry_issue(
    hass: HomeAssistant,
    entry: ConfigEntry,
    key: str,
    severity: ir.IssueSeverity,
    *,
    placeholders: dict[str, str] | None = None,
    learn_more_url: str | None = None,
) -> None:
    """Create (or update) issue ``key`` of ``entry``; the user fixes it elsewhere."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        entry_issue_id(key, entry),
        is_fixable=False,
        is_persistent=False,
        severity=severity,
        translation_key=key,
        translation_placeholders={"title": entry.title, **(placeholders or {})},
        learn_more_url=learn_more_url,
    )


@callback
def async_clear_entry_issue(hass: HomeAssistant, entry: ConfigEntry, key: str) -> None:
    """Delete issue ``key`` of ``entry`` (nothing happens when there is none)."""
    ir.async_delete_issue(hass, DOMAIN, entry_issue_id(key, entry))
