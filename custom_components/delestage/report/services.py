"""The ``delestage.shedding_report`` action: the table of shed periods of one meter, or of all.

Without ``config_entry_id`` every loaded Linky entry answers. With several meters each row then
also says whose it is (``meter``: the entry's title, ``config_entry_id``), and the rows of all
meters come in time order. With one meter, or when the call names the entry, a row has exactly
the fields of DESIGN.md §2 (automations written for one meter keep working). An entry that is
not loaded (waiting for a new consent…) is left out of an all-meters answer; named, it is an
error.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
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
ATTR_METER: Final = "meter"

SHEDDING_REPORT_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_START): cv.date,
        probatio.Optional(ATTR_END): cv.date,
    }
)


def _loaded_report(hass: HomeAssistant, entry: ConfigEntry) -> ShedReport | None:
    if entry.state is not ConfigEntryState.LOADED:
        return None
    return async_get_reports(hass).get(entry.entry_id)


def _linky_entries(hass: HomeAssistant) -> list[ConfigEntry]:
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_ENTRY_TYPE) == EntryType.ENEDIS
    ]


def _reports(
    hass: HomeAssistant, entries: list[ConfigEntry], entry_id: str | None
) -> list[tuple[ConfigEntry, ShedReport]]:
    """Return the named Linky entry's report, or every loaded one's when none is named."""
    entries = [entry for entry in entries if entry_id is None or entry.entry_id == entry_id]
    if not entries:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="enedis_entry_not_found"
        )
    reports = [
        (entry, report) for entry in entries if (report := _loaded_report(hass, entry)) is not None
    ]
    if not reports:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="enedis_entry_not_loaded",
            translation_placeholders={"title": entries[0].title},
        )
    return reports


async def _async_shedding_report(call: ServiceCall) -> ServiceResponse:
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    first: date | None = call.data.get(ATTR_START)
    last: date | None = call.data.get(ATTR_END)
    if first is not None and last is not None and last < first:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="shedding_report_range_reversed",
            translation_placeholders={"start": first.isoformat(), "end": last.isoformat()},
        )
    linky = _linky_entries(call.hass)
    reports = _reports(call.hass, linky, entry_id)
    several = entry_id is None and len(linky) > 1
    periods: list[dict[str, str | float | None]] = []
    for entry, report in reports:
        await report.async_update()  # from the recorder as it is now: late data included
        rows = report.rows(first, last)
        if several:
            rows = [
                {**row, ATTR_METER: entry.title, ATTR_CONFIG_ENTRY_ID: entry.entry_id}
                for row in rows
            ]
        periods.extend(rows)
    if several:
        periods.sort(
            key=lambda row: (datetime.fromisoformat(str(row["start"])), str(row[ATTR_METER]))
        )
    response: list[Any] = periods
    return {"periods": response}


def async_setup_report_services(hass: HomeAssistant) -> None:
    """Register the action (once, in the integration's set-up)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SHEDDING_REPORT,
        _async_shedding_report,
        schema=SHEDDING_REPORT_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
