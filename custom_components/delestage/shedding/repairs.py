"""Repair issues of load shedding: a period ended without its automation, a load Délestage lost."""

from __future__ import annotations

from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..const import DOMAIN

ISSUE_MAX_DURATION: Final = "shedding_max_duration"
ISSUE_SIGNAL_UNAVAILABLE: Final = "shedding_signal_unavailable"
ISSUE_ORPHANED_GROUP: Final = "shedding_orphaned_group"
ISSUE_STORE_MALFORMED: Final = "shedding_store_malformed"
ISSUE_LOAD_REMOVED: Final = "shedding_load_removed"
ISSUE_JOURNAL_UNWRITABLE: Final = "shedding_journal_unwritable"
GROUP_ISSUES: Final = (ISSUE_MAX_DURATION, ISSUE_SIGNAL_UNAVAILABLE, ISSUE_ORPHANED_GROUP)


def _issue_id(key: str, group: str) -> str:
    return f"{key}_{group}"


def _loads_text(loads: list[str]) -> str:
    return ", ".join(loads) if loads else "-"


@callback
def async_create_issue(
    hass: HomeAssistant,
    issue_id: str,
    key: str,
    severity: ir.IssueSeverity,
    placeholders: dict[str, str],
) -> None:
    """Create (or update) an issue that lasts until the restart (shedding's, pre-heating's)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        is_persistent=False,
        severity=severity,
        translation_key=key,
        translation_placeholders=placeholders,
    )


@callback
def async_raise_group_issue(
    hass: HomeAssistant,
    key: str,
    group: str,
    loads: list[str],
    *,
    hours: float | None = None,
    signal: str | None = None,
) -> None:
    """Say why Délestage ended a period by itself, and which loads it switched on."""
    async_create_issue(
        hass,
        _issue_id(key, group),
        key,
        ir.IssueSeverity.WARNING,
        {
            "group": group,
            "loads": _loads_text(loads),
            "hours": f"{round(hours, 1):g}" if hours is not None else "-",
            "signal": signal or "-",
        },
    )


@callback
def async_clear_group_issues(hass: HomeAssistant, group: str) -> None:
    """Delete the issues of a group whose automation works again."""
    for key in GROUP_ISSUES:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(key, group))


@callback
def async_raise_store_malformed(hass: HomeAssistant, error: str, loads: list[str]) -> None:
    """Say that part of the shedding store could not be read, and which loads it named."""
    async_create_issue(
        hass,
        ISSUE_STORE_MALFORMED,
        ISSUE_STORE_MALFORMED,
        ir.IssueSeverity.ERROR,
        {"error": error, "loads": _loads_text(loads)},
    )


@callback
def async_raise_load_removed(hass: HomeAssistant, group: str, load: str) -> None:
    """Say that a load Délestage had switched off was removed: it cannot switch it on."""
    async_create_issue(
        hass,
        f"{ISSUE_LOAD_REMOVED}_{load}",
        ISSUE_LOAD_REMOVED,
        ir.IssueSeverity.WARNING,
        {"group": group, "load": load},
    )


@callback
def async_raise_journal_unwritable(
    hass: HomeAssistant, group: str, loads: list[str], error: str
) -> None:
    """Say that loads were left on because their journal entry could not be written."""
    async_create_issue(
        hass,
        ISSUE_JOURNAL_UNWRITABLE,
        ISSUE_JOURNAL_UNWRITABLE,
        ir.IssueSeverity.ERROR,
        {"group": group, "loads": _loads_text(loads), "error": error},
    )


@callback
def async_clear_journal_unwritable(hass: HomeAssistant) -> None:
    """Delete the issue once the journal can be written again."""
    ir.async_delete_issue(hass, DOMAIN, ISSUE_JOURNAL_UNWRITABLE)
