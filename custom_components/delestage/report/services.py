"""The ``delestage.shedding_report`` action: the table of shed periods of a meter."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio

from ..const import CONF_ENTRY_TYPE, DOMAIN, EntryType
from .manager import ShedReport, async_get_reports

SERVICE_SHEDDING_REPORT: Final = "shedding_report"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_START: Final = "start"
ATTR_END: Final = "end"

SHEDDING_REPORT_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_START): cv.date,
        probatio.Optional(ATTR_END): cv.date,
    }
)


def _report(hass: HomeAssistant, entry_id: str | None) -> ShedReport:
    """Return the report of the given Linky entry, or of the only one when none is given."""
    entries = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_ENTRY_TYPE) == EntryType.ENEDIS
        and (entry_id is None or entry.entry_id == entry_id)
    ]
    if not entries:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="enedis_entry_not_found"
        )
    if len(entries) > 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="shedding_report_which_meter"
        )
    entry = entries[0]
    report = async_get_reports(hass).get(entry.entry_id)
    if entry.state is not ConfigEntryState.LOADED or report is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="enedis_entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return report


async def _async_shedding_report(call: ServiceCall) -> ServiceResponse:
    report = _report(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    first: date | None = call.data.get(ATTR_START)
    last: date | None = call.data.get(ATTR_END)
    if first is not None and last is not None and last < first:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="shedding_report_range_reversed",
            translation_placeholders={"start": first.isoformat(), "end": last.isoformat()},
        )
    await report.async_update()  # from the recorder as it is now: late data included
    periods: list[Any] = report.rows(first, last)
    return {"periods": periods}


def async_setup_report_services(hass: HomeAssistant) -> None:
    """Register the action (once, in the integration's set-up)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SHEDDING_REPORT,
        _async_shedding_report,
        schema=SHEDDING_REPORT_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
