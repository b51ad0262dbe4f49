"""Repair issues of an Enedis entry: what only the user can fix, explained in en + fr."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from ..api.budget import GatewayQuotaError
from ..const import DOMAIN
from ..runtime import DelestageConfigEntry
from .const import CONF_SOURCE


class LinkyIssue(StrEnum):
    """The repair issues of a meter; the translation key is ``enedis_<value>``."""

    CONSENT_EXPIRING = "consent_expiring"
    METER_MOVED = "meter_moved"
    CURVE_NOT_ACTIVATED = "curve_not_activated"
    API_NOT_SUBSCRIBED = "api_not_subscribed"
    GATEWAY_RATE_LIMITED = "gateway_rate_limited"
    GATEWAY_BANNED = "gateway_banned"
    CONTRACT_UNAVAILABLE = "contract_unavailable"


# Issues the user fixes by giving a new consent: their repair flow starts the reauth.
_FIXED_BY_CONSENT = {LinkyIssue.CONSENT_EXPIRING}
_SEVERITY = {
    LinkyIssue.CONSENT_EXPIRING: ir.IssueSeverity.WARNING,
    LinkyIssue.METER_MOVED: ir.IssueSeverity.ERROR,
    LinkyIssue.CURVE_NOT_ACTIVATED: ir.IssueSeverity.WARNING,
    LinkyIssue.API_NOT_SUBSCRIBED: ir.IssueSeverity.ERROR,
    LinkyIssue.GATEWAY_RATE_LIMITED: ir.IssueSeverity.WARNING,
    LinkyIssue.GATEWAY_BANNED: ir.IssueSeverity.ERROR,
    LinkyIssue.CONTRACT_UNAVAILABLE: ir.IssueSeverity.WARNING,
}
GATEWAY_NAMES = {"conso_api": "Conso API", "myelectricaldata": "MyElectricalData"}


def issue_id(entry: DelestageConfigEntry, issue: LinkyIssue) -> str:
    """Return the id of ``issue`` for ``entry`` (one issue per meter)."""
    return f"enedis_{issue.value}_{entry.entry_id}"


@callback
def async_raise_issue(
    hass: HomeAssistant,
    entry: DelestageConfigEntry,
    issue: LinkyIssue,
    placeholders: dict[str, str] | None = None,
) -> None:
    """Create (or update) ``issue`` for ``entry``."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(entry, issue),
        is_fixable=issue in _FIXED_BY_CONSENT,
        is_persistent=False,
        severity=_SEVERITY[issue],
        translation_key=f"enedis_{issue.value}",
        translation_placeholders={"title": entry.title, **(placeholders or {})},
        data={"entry_id": entry.entry_id},
    )


@callback
def async_raise_gateway_issue(
    hass: HomeAssistant, entry: DelestageConfigEntry, err: GatewayQuotaError
) -> None:
    """Tell the user the gateway refused (quota or ban) and when requests start again."""
    until = dt_util.utcnow() + timedelta(seconds=err.retry_after or 0)
    source = str(entry.data.get(CONF_SOURCE, ""))
    async_raise_issue(
        hass,
        entry,
        LinkyIssue.GATEWAY_BANNED if err.banned else LinkyIssue.GATEWAY_RATE_LIMITED,
        {
            "gateway": GATEWAY_NAMES.get(source, source),
            "until": dt_util.as_local(until).strftime("%Y-%m-%d %H:%M"),
        },
    )


@callback
def async_clear_issue(hass: HomeAssistant, entry: DelestageConfigEntry, issue: LinkyIssue) -> None:
    """Delete ``issue`` of ``entry`` (nothing happens when there is none)."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(entry, issue))


class RenewConsentRepairFlow(RepairsFlow):
    """Confirm, then start the reauth flow that renews the meter's consent."""

    def __init__(self, entry_id: str) -> None:
        """Remember the entry whose consent to renew."""
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Show what will happen."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """On confirmation, start the reauth of the entry."""
        if user_input is None:
            return self.async_show_form(step_id="confirm")
        if (entry := self.hass.config_entries.async_get_entry(self._entry_id)) is not None:
            entry.async_start_reauth(self.hass)
        return self.async_create_entry(data={})


def create_fix_flow(issue_id_: str, data: dict[str, Any] | None) -> RepairsFlow | None:
    """Return the repair flow of an Enedis issue, or None when it is not one."""
    if not issue_id_.startswith(f"enedis_{LinkyIssue.CONSENT_EXPIRING.value}_"):
        return None
    return RenewConsentRepairFlow(str((data or {}).get("entry_id", "")))
