"""Repair flows of the issues the user fixes from the Repairs dashboard."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant

from .enedis.repairs import create_fix_flow as enedis_fix_flow


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Return the flow that fixes ``issue_id`` (a plain confirmation when it has none)."""
    if (flow := enedis_fix_flow(issue_id, data)) is not None:
        return flow
    return ConfirmRepairFlow()
