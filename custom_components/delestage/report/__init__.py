"""Load shedding report: what each red hour cost and what shedding saved (issue 16).

``model`` is the computation (no Home Assistant import); the other modules read the recorder,
write the statistics, and expose the sensors, the action and the calendar texts. This module
sets the feature up (once, from the integration's ``async_setup``) through ``hub.py``: a report
for every Linky meter, on the meter's device, and the texts of the RTE alert calendar.
"""

from __future__ import annotations

from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..hub import LinkyMeter, MeterFeature, get_hub
from .calendar import ReportCalendarHook
from .manager import ShedReport, async_get_reports
from .sensor import report_sensors
from .services import async_setup_report_services


class MeterReport(MeterFeature):
    """The report of one meter: its sensors, its runs after each refresh, its diagnostics."""

    key = "shedding_report"

    def __init__(self, meter: LinkyMeter) -> None:
        """Create the meter's report (it runs once Home Assistant has started)."""
        self.meter = meter
        self.report = ShedReport(meter.hass, meter.prm)

    def async_add_platform_entities(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add the report's sensors to the meter's device."""
        if platform is Platform.SENSOR:
            async_add_entities(
                report_sensors(self.report, str(self.meter.entry.unique_id), self.meter.device_info)
            )

    @callback
    def async_started(self) -> None:
        """Run soon, then after each refresh of the meter's data."""
        self.report.async_start(self.meter.listen_refresh)

    async def async_shutdown(self) -> None:
        """Stop; the action and the calendar no longer see this meter."""
        self.report.async_stop()
        reports = async_get_reports(self.meter.hass)
        if reports.get(self.meter.entry.entry_id) is self.report:
            del reports[self.meter.entry.entry_id]

    def diagnostics(self) -> dict[str, Any]:
        """Return what the last run found."""
        return self.report.diagnostics()


async def _async_attach(meter: LinkyMeter) -> MeterFeature:
    feature = MeterReport(meter)
    async_get_reports(meter.hass)[meter.entry.entry_id] = feature.report
    return feature


@callback
def async_setup_report(hass: HomeAssistant) -> None:
    """Attach a report to every meter, add the calendar texts, register the action."""
    hub = get_hub(hass)
    hub.register_meter_feature(_async_attach)
    hub.register_calendar_hook(ReportCalendarHook(hass))
    async_setup_report_services(hass)
