"""Linky history from a downloaded file: the ``linky_import_file`` action and its options step.

Decisions:
- The file must be under the configuration folder (a relative path is taken from there; ``..``
  and symbolic links leading outside are refused): it is where users can drop files (Samba,
  File editor, Studio Code Server), and nothing else of the host can be read through the action.
- Only hours that the file covers COMPLETELY are written. An hour with a missing half-hour (an
  empty/``NaN`` value, the last 23:30 half-hour that the portal's weekly XLSX never contains,
  the repeated autumn hour written once) keeps what the API (or an earlier file) brought, instead
  of being overwritten with part of its energy; such hours are counted as incomplete.
- Hours are built by the same code as the API path (``statistics.curve_to_hourly``) and written
  by the same upsert (``statistics.async_import_hourly``): same ids, same UTC hours (DST days
  have 23/25), a re-import writes nothing, and later sums shift by the change only.
- The entry does not need to be loaded (history can be imported while a gateway is in reauth):
  statistics need only the recorder. When it is loaded, the import waits for the entry's
  statistics lock, and is refused while the API back-fill is writing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio

from ..api.enedis_files import (
    Direction,
    EmptyHistoryFileError,
    HistoryFile,
    HistoryFileError,
    UnknownFileFormatError,
    UnsupportedDataError,
    WrongMeterFileError,
    read_history_file,
)
from ..api.enedis_models import PARIS, CurvePoint
from ..const import CONF_ENTRY_TYPE, DOMAIN, LOGGER, EntryType
from . import EnedisRuntime
from .const import CONF_PRM
from .statistics import EnergyKind, async_import_hourly, curve_to_hourly

HOUR = timedelta(hours=1)
# At most this many gaps are listed in a result (the count is always complete).
MAX_LISTED_GAPS = 20
# "auto": the direction the file states (consumption when it says nothing).
DIRECTION_AUTO = "auto"


@dataclass(frozen=True, slots=True)
class FileImport:
    """What one file import did."""

    file_format: str
    direction: EnergyKind
    statistic_id: str
    rows: int
    empty_rows: int
    duplicates: int
    first: datetime
    last: datetime
    hours_in_file: int  # complete hours found in the file
    hours_written: int  # rows written because they were new or different
    incomplete_hours: int  # hours left as they were (part of them missing from the file)
    kwh: float  # energy of the complete hours
    gaps: list[tuple[datetime, datetime]]

    def as_dict(self) -> dict[str, Any]:
        """Return the action's response (local times, ISO 8601 with offset)."""
        return {
            "format": self.file_format,
            "direction": str(self.direction),
            "statistic_id": self.statistic_id,
            "rows": self.rows,
            "empty_rows": self.empty_rows,
            "duplicate_rows": self.duplicates,
            "start": _local(self.first),
            "end": _local(self.last),
            "hours_in_file": self.hours_in_file,
            "hours_written": self.hours_written,
            "incomplete_hours": self.incomplete_hours,
            "kwh": round(self.kwh, 3),
            "gap_count": len(self.gaps),
            "gaps": [
                {"start": _local(start), "end": _local(end)}
                for start, end in self.gaps[:MAX_LISTED_GAPS]
            ],
        }


def _local(moment: datetime) -> str:
    return moment.astimezone(PARIS).isoformat()


def complete_hours(points: Iterable[CurvePoint]) -> tuple[dict[datetime, float], int]:
    """Hourly Wh of the hours the readings cover completely, and the number of partial hours."""
    points = list(points)
    covered: dict[datetime, float] = defaultdict(float)
    for point in points:
        start, end = point.start.astimezone(UTC), point.end.astimezone(UTC)
        hour = start.replace(minute=0, second=0, microsecond=0)
        while hour < end:
            covered[hour] += (min(end, hour + HOUR) - max(start, hour)).total_seconds()
            hour += HOUR
    energy = curve_to_hourly(points)
    full = {hour: energy[hour] for hour, seconds in covered.items() if seconds >= 3599.0}
    return full, len(covered) - len(full)


# --------------------------------------------------------------------------- checks


def _fail(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def resolve_path(config_dir: str, raw: str) -> Path:
    """Return the file named by ``raw`` (relative to, or absolute inside, the config folder).

    Blocking (resolves symbolic links): run it in the executor.
    """
    root = Path(config_dir).resolve()
    text = raw.strip()
    if not text:
        raise _fail("enedis_file_not_found", path=raw)
    path = (root / text).resolve()  # an absolute ``text`` replaces root
    if not path.is_relative_to(root):
        raise _fail("enedis_file_outside_config", path=text)
    if not path.is_file():
        raise _fail("enedis_file_not_found", path=text)
    return path


def _read(config_dir: str, raw: str, prm: str) -> HistoryFile:
    """Check the path, then read and parse the file (executor)."""
    path = resolve_path(config_dir, raw)
    name = path.name
    try:
        return read_history_file(str(path), expected_prm=prm)
    except WrongMeterFileError as err:
        raise _fail("enedis_file_wrong_meter", file=name, meter=err.file_prm[-4:]) from err
    except UnsupportedDataError as err:
        raise _fail("enedis_file_not_load_curve", file=name, data_type=err.data_type) from err
    except UnknownFileFormatError as err:
        raise _fail("enedis_file_unknown_format", file=name) from err
    except EmptyHistoryFileError as err:
        raise _fail("enedis_file_empty", file=name) from err
    except HistoryFileError as err:  # unreadable
        raise _fail("enedis_file_unreadable", file=name, error=str(err)) from err


def _direction(parsed: HistoryFile, requested: str | None, name: str) -> EnergyKind:
    if requested in (None, DIRECTION_AUTO):
        return EnergyKind(parsed.direction or Direction.CONSUMPTION)
    kind = EnergyKind(requested)
    if parsed.direction is not None and parsed.direction.value != kind.value:
        raise _fail("enedis_file_wrong_direction", file=name, direction=parsed.direction.value)
    return kind


def linky_entry(hass: HomeAssistant, entry_id: str) -> ConfigEntry:
    """Return the Enedis entry ``entry_id`` (loaded or not)."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if (
        entry is None
        or entry.domain != DOMAIN
        or entry.data.get(CONF_ENTRY_TYPE) != EntryType.ENEDIS
    ):
        raise _fail("enedis_entry_not_found")
    return entry


# --------------------------------------------------------------------------- import


async def async_import_file(
    hass: HomeAssistant, entry: ConfigEntry, path: str, direction: str | None = None
) -> FileImport:
    """Import the readings of the file ``path`` into the meter's statistics."""
    prm: str = entry.data[CONF_PRM]
    parsed = await hass.async_add_executor_job(_read, hass.config.config_dir, path, prm)
    kind = _direction(parsed, direction, Path(path).name)
    hourly, incomplete = await hass.async_add_executor_job(complete_hours, parsed.points)
    runtime = entry.runtime_data if entry.state is ConfigEntryState.LOADED else None
    if isinstance(runtime, EnedisRuntime):
        if runtime.backfill.running:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="enedis_backfill_running"
            )
        async with runtime.coordinator.statistics_lock:
            result = await async_import_hourly(hass, prm, kind, hourly)
    else:
        result = await async_import_hourly(hass, prm, kind, hourly)
    LOGGER.info(
        "Linky history file (%s): %d complete hours from %s to %s, %d written",
        parsed.format,
        len(hourly),
        parsed.first.isoformat(),
        parsed.last.isoformat(),
        result.rows,
    )
    return FileImport(
        file_format=str(parsed.format),
        direction=kind,
        statistic_id=result.statistic_id,
        rows=parsed.rows,
        empty_rows=parsed.empty_rows,
        duplicates=parsed.duplicates,
        first=parsed.first,
        last=parsed.last,
        hours_in_file=len(hourly),
        hours_written=result.rows,
        incomplete_hours=incomplete,
        kwh=sum(hourly.values()) / 1000.0,
        gaps=parsed.gaps(),
    )


# --------------------------------------------------------------------------- action

SERVICE_LINKY_IMPORT_FILE = "linky_import_file"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_PATH = "path"
ATTR_DIRECTION = "direction"
DIRECTIONS = (DIRECTION_AUTO, EnergyKind.CONSUMPTION.value, EnergyKind.PRODUCTION.value)

LINKY_IMPORT_FILE_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_PATH): cv.string,
        probatio.Optional(ATTR_DIRECTION, default=DIRECTION_AUTO): probatio.In(DIRECTIONS),
    }
)


async def async_linky_import_file(call: ServiceCall) -> ServiceResponse:
    """Handle ``delestage.linky_import_file`` (admin only: it reads files of the host)."""
    entry = linky_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    result = await async_import_file(
        call.hass, entry, call.data[ATTR_PATH], call.data[ATTR_DIRECTION]
    )
    return result.as_dict()
