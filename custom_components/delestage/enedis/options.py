"""Options of an Enedis entry: the history-file import steps.

The entry's options flow (``config_flow.py``) offers them in a menu beside the tariff's steps
(``tariff/flow.py``).

The user uploads the file, or names a file (or a folder of files, for the weekly exports) in a
folder Home Assistant lets integrations read (the form lists them); the import runs when the
form is sent and the next step shows what it did (readings, period, hours written, gaps, files
skipped). Nothing is stored in the entry's options: the step is an action with a form, like the
``linky_import_file`` action.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.selector import (
    FileSelector,
    FileSelectorConfig,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import probatio

from ..api.enedis_models import PARIS
from .file_import import (
    ATTR_DIRECTION,
    ATTR_PATH,
    DIRECTION_AUTO,
    DIRECTIONS,
    ImportReport,
    async_import_path,
    async_import_upload,
)

ATTR_UPLOAD = "upload"
# What the browser offers to pick (the content decides the layout, not the extension).
ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_UPLOAD): FileSelector(FileSelectorConfig(accept=ACCEPT)),
        probatio.Optional(ATTR_PATH): TextSelector(),
        probatio.Required(ATTR_DIRECTION, default=DIRECTION_AUTO): SelectSelector(
            SelectSelectorConfig(
                options=list(DIRECTIONS),
                translation_key="linky_file_direction",
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
    }
)


def _summary(report: ImportReport) -> dict[str, str]:
    """Placeholders of the result step (both directions added up when a folder has both)."""
    done = report.imports

    def total(field: str) -> str:
        return str(sum(getattr(item, field) for item in done))

    return {
        "files": str(len(report.files)),
        "skipped": ", ".join(report.skipped) or "-",
        "format": ", ".join(sorted({item.file_format for item in done})),
        "direction": ", ".join(str(item.direction) for item in done),
        "rows": total("rows"),
        "first": min(item.first for item in done).astimezone(PARIS).strftime("%Y-%m-%d %H:%M"),
        "last": max(item.last for item in done).astimezone(PARIS).strftime("%Y-%m-%d %H:%M"),
        "hours": total("hours_in_file"),
        "written": total("hours_written"),
        "incomplete": total("incomplete_hours"),
        "gaps": str(sum(len(item.gaps) for item in done)),
        "empty": total("empty_rows"),
        "bad": total("bad_rows"),
        "kwh": f"{sum(item.kwh for item in done):.1f}",
    }


class EnedisFileImportSteps(OptionsFlow):
    """Import a Linky history file into the meter's statistics."""

    _result: ImportReport | None = None

    async def async_step_enedis_import_file(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Upload the file, or name a file or folder in an allowed folder; import."""
        errors: dict[str, str] = {}
        allowed = sorted(self.hass.config.allowlist_external_dirs)
        folders = ", ".join(f"`{folder}`" for folder in allowed)
        placeholders = {"folders": folders or "-", "file": ""}
        if user_input is not None:
            direction = user_input.get(ATTR_DIRECTION, DIRECTION_AUTO)
            upload = user_input.get(ATTR_UPLOAD)
            path = user_input.get(ATTR_PATH, "").strip()
            if not upload and not path:
                errors["base"] = "enedis_file_missing"
            else:
                try:
                    self._result = await (
                        async_import_upload(self.hass, self.config_entry, upload, direction)
                        if upload
                        else async_import_path(self.hass, self.config_entry, path, direction)
                    )
                except HomeAssistantError as err:
                    errors["base"] = err.translation_key or "enedis_file_unreadable"
                    placeholders |= err.translation_placeholders or {}
                else:
                    return await self.async_step_enedis_import_file_result()
        return self.async_show_form(
            step_id="enedis_import_file",
            data_schema=self.add_suggested_values_to_schema(
                _SCHEMA, {k: v for k, v in (user_input or {}).items() if k != ATTR_UPLOAD}
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_enedis_import_file_result(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show what the import did; closing it changes no option."""
        if user_input is not None or self._result is None:
            return self.async_create_entry(data=dict(self.config_entry.options))
        return self.async_show_form(
            step_id="enedis_import_file_result",
            data_schema=probatio.Schema({}),
            description_placeholders=_summary(self._result),
        )
