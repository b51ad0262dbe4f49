"""Repair issues of load shedding: a period that had to be ended without its automation."""

from __future__ import annotations

from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..const import DOMAIN

ISSUE_MAX_DURATION: Final = "shedding_max_duration"
ISSUE_SIGNAL_UNAVAILABLE: Final = "shedding_signal_unavailable"
ISSUE_ORPHANED_GROUP: Final = "shedding_orphaned_group"
ISSUE_STORE_MALFORMED: Final = "shedding_store_malformed"
GROUP_ISSUES: Final = (ISSUE_MAX_DURATION, ISSUE_SIGNAL_UNAVAILABLE, ISSUE_ORPHANED_GROUP)


def _issue_id(key: str, group: str) -> str:
    return f"{key}_{group}"


def _loads_text(loads: list[str]) -> str:
    return ", ".join(loads) if loads else "-"


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
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(key, group),
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=key,
        translation_placeholders={
            "group": group,
            "loads": _loads_text(loads),
            "hours": f"{hours:g}" if hours is not None else "-",
            "signal": signal or "-",
        },
    )


@callback
def async_clear_group_issues(hass: HomeAssistant, group: str) -> None:
    """Delete the issues of a group whose automation works again."""
    for key in GROUP_ISSUES:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(key, group))


@callback
def async_raise_store_malformed(hass: HomeAssistant, error: str) -> None:
    """Say that the shedding store was set aside."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        ISSUE_STORE_MALFORMED,
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_STORE_MALFORMED,
        translation_placeholders={"error": error},
    )
