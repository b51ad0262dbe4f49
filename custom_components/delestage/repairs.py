"""Repair issues shared by the entry types, and the flows of those the user fixes from Repairs."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import CONF_API_BASE_URL, CONF_ENTRY_TYPE, DOMAIN, EntryType
from .enedis.repairs import create_fix_flow as enedis_fix_flow
from .flow_helpers import SECTION_ADVANCED, displayed_url, read_api_base_url
from .runtime import DelestageConfigEntry

# Whose servers an entry talks to when it has no API base URL (shown in the repair issue).
OFFICIAL_PROVIDERS: Final = {
    EntryType.RTE: "RTE",
    EntryType.ENEDIS: "Enedis",
    EntryType.METEOFRANCE: "Météo-France",
}


def non_official_server_issue_id(entry: DelestageConfigEntry) -> str:
    """Id of the issue raised while ``entry`` uses a server other than its provider's."""
    return f"non_official_server_{entry.entry_id}"


@callback
def async_check_api_base_url(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """Raise an issue saying the entry uses a non-official server; remove it when it does not.

    The API base URL of the *Advanced* section is for the local simulator; an entry that sends
    its credentials elsewhere must not do so silently. ``http://`` to a public host (accepted by
    older versions, refused by the config flow now) is an error: the secrets travel in clear.
    """
    issue_id = non_official_server_issue_id(entry)
    base_url = entry.data.get(CONF_API_BASE_URL)
    provider = OFFICIAL_PROVIDERS.get(EntryType(entry.data[CONF_ENTRY_TYPE]))
    if not base_url or provider is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    try:
        read_api_base_url({SECTION_ADVANCED: {CONF_API_BASE_URL: base_url}})
    except ValueError:
        severity, key = ir.IssueSeverity.ERROR, "non_official_server_insecure"
    else:
        severity, key = ir.IssueSeverity.WARNING, "non_official_server"
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=severity,
        translation_key=key,
        translation_placeholders={
            "title": entry.title,
            "url": displayed_url(str(base_url)),
            "provider": provider,
        },
    )


@callback
def async_delete_api_base_url_issue(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """Remove the non-official server issue of an entry unloaded or removed."""
    ir.async_delete_issue(hass, DOMAIN, non_official_server_issue_id(entry))


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Return the flow that fixes ``issue_id`` (a plain confirmation when it has none)."""
    if (flow := enedis_fix_flow(issue_id, data)) is not None:
        return flow
    return ConfirmRepairFlow()
