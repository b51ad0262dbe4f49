"""Repair issues shared by the entry types, and the flows of those the user fixes from Repairs."""

from __future__ import annotations

import asyncio
from typing import Any, Final

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from yarl import URL

from .const import CONF_API_BASE_URL, CONF_ENTRY_TYPE, DOMAIN, EntryType
from .enedis.repairs import create_fix_flow as enedis_fix_flow
from .flow_helpers import (
    SECTION_ADVANCED,
    async_host_is_local,
    displayed_url,
    is_loopback_host,
    read_api_base_url,
)
from .runtime import DelestageConfigEntry

# Whose servers an entry talks to when it has no API base URL (shown in the repair issue).
OFFICIAL_PROVIDERS: Final = {
    EntryType.RTE: "RTE",
    EntryType.ENEDIS: "Enedis",
    EntryType.METEOFRANCE: "Météo-France",
}

# How long set-up waits for the name of a plain http:// base URL to resolve (repair severity).
RESOLVE_TIMEOUT: Final = 5.0


def non_official_server_issue_id(entry: DelestageConfigEntry) -> str:
    """Id of the issue raised while ``entry`` uses a server other than its provider's."""
    return f"non_official_server_{entry.entry_id}"


async def async_check_api_base_url(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """Raise an issue saying the entry uses a non-official server; remove it when it does not.

    The API base URL of the *Advanced* section is for the local simulator; an entry that sends
    its credentials elsewhere must not do so silently. The simulator on this machine (a
    loopback address: 127.0.0.0/8, ::1, ``localhost``) raises nothing: nothing leaves the
    machine, and the demo's first login should not greet the user with repairs. ``http://``
    to an address that is not loopback or private (accepted by older versions, refused by
    the config flow now) is an error: the secrets travel in clear.
    """
    issue_id = non_official_server_issue_id(entry)
    base_url = entry.data.get(CONF_API_BASE_URL)
    provider = OFFICIAL_PROVIDERS.get(EntryType(entry.data[CONF_ENTRY_TYPE]))
    if not base_url or provider is None or _on_this_machine(str(base_url)):
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    if await _async_in_clear(hass, str(base_url)):
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


def _on_this_machine(base_url: str) -> bool:
    try:
        host = URL(base_url).host
    except ValueError, TypeError:
        return False
    return bool(host) and is_loopback_host(str(host))


async def _async_in_clear(hass: HomeAssistant, base_url: str) -> bool:
    """Whether requests to ``base_url`` cross the Internet unencrypted (or it is no URL)."""
    try:
        read_api_base_url({SECTION_ADVANCED: {CONF_API_BASE_URL: base_url}})
    except ValueError:
        return True
    url = URL(base_url)
    if url.scheme != "http" or not url.host:
        return False
    # A name that does not answer in time, or not at all, sends nothing: not "in clear".
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            return await async_host_is_local(hass, url.host) is False
    except TimeoutError:
        return False


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
