"""Repair issues of pre-heating: its memory unreadable or unwritable (shedding's own helper)."""

from __future__ import annotations

from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..const import DOMAIN
from ..shedding.repairs import async_create_issue

ISSUE_STORE_MALFORMED: Final = "preheat_store_malformed"
ISSUE_JOURNAL_UNWRITABLE: Final = "preheat_journal_unwritable"


def _names(entity_ids: list[str]) -> str:
    return ", ".join(entity_ids) if entity_ids else "-"


@callback
def async_raise_store_malformed(hass: HomeAssistant, error: str, entity_ids: list[str]) -> None:
    """Say that part of the pre-heating memory could not be read, and what it named."""
    async_create_issue(
        hass,
        ISSUE_STORE_MALFORMED,
        ISSUE_STORE_MALFORMED,
        ir.IssueSeverity.ERROR,
        {"error": error, "entities": _names(entity_ids)},
    )


@callback
def async_raise_journal_unwritable(hass: HomeAssistant, entity_ids: list[str], error: str) -> None:
    """Say that thermostats were left as they were: their journal could not be written."""
    async_create_issue(
        hass,
        ISSUE_JOURNAL_UNWRITABLE,
        ISSUE_JOURNAL_UNWRITABLE,
        ir.IssueSeverity.ERROR,
        {"entities": _names(entity_ids), "error": error},
    )


@callback
def async_clear_journal_unwritable(hass: HomeAssistant) -> None:
    """Delete the issue once the journal can be written again."""
    ir.async_delete_issue(hass, DOMAIN, ISSUE_JOURNAL_UNWRITABLE)
