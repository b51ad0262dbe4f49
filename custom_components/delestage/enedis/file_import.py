"""Linky history from a downloaded file: the ``linky_import_file`` action and its options step.

Decisions:
- A folder may be named instead of a file: the portal exports one week per file, so two years
  are 104 files; every file of the folder is imported (those that are not history files of
  this meter are skipped and listed), overlapping files count each half-hour once.
- The file must be under the configuration folder (a relative path is taken from there; ``..``
  and symbolic links leading outside are refused): it is where users can drop files (Samba,
  File editor, Studio Code Server), and nothing else of the host can be read through the action.
  Folders the user listed in ``allowlist_external_dirs`` (``/media``, ``/share``…) are accepted
  too, as for every Home Assistant integration that reads files.
- Only hours that the file covers COMPLETELY are written. An hour with a missing half-hour (an
  empty/``NaN`` value, the last 23:30 half-hour that the portal's weekly XLSX never contains,
  the repeated autumn hour written once) keeps what the API (or an earlier file) brought, instead
  of being overwritten with part of its energy; such hours are counted as incomplete.
- Hours are built by the same code as the API path (``statistics.curve_to_hourly``) and written
  by the same path (``statistics.async_import_energy``): same ids, same UTC hours (DST days
  have 23/25), a re-import writes nothing, and later sums shift by the change only; the
  readings of the hours written go to the features like an API refresh's (the tariff split,
  its cost and the report's prices cover the file's hours).
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

from homeassistant.components.file_upload import process_uploaded_file
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse
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
    gaps_between,
    read_history_file,
    without_overlaps,
)
from ..api.enedis_models import PARIS, CurvePoint
from ..const import CONF_ENTRY_TYPE, DOMAIN, LOGGER, EntryType
from . import EnedisRuntime
from .const import CONF_PRM
from .statistics import EnergyKind, async_import_energy, curve_to_hourly

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


def readings_of_hours(
    points: Iterable[CurvePoint], hours: Iterable[datetime]
) -> list[tuple[datetime, datetime, float]]:
    """``(start, end, Wh)`` of the points whose every hour is one of ``hours`` (those written)."""
    written = set(hours)
    readings = []
    for point in points:
        start, end = point.start.astimezone(UTC), point.end.astimezone(UTC)
        hour = start.replace(minute=0, second=0, microsecond=0)
        inside = True
        while hour < end and inside:
            inside = hour in written
            hour += HOUR
        if inside:
            readings.append((point.start, point.end, point.wh))
    return readings


# --------------------------------------------------------------------------- checks


def _fail(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def resolve_path(config_dir: str, raw: str, allowed: Iterable[str] = ()) -> Path:
    """Return the file or folder named by ``raw`` (relative to, or inside, the config folder).

    Also accepted: a path inside one of Home Assistant's ``allowlist_external_dirs`` (the
    user's own list of folders integrations may read, such as ``/media`` or ``/share``).
    Blocking (resolves symbolic links): run it in the executor.
    """
    root = Path(config_dir).resolve()
    text = raw.strip()
    if not text:
        raise _fail("enedis_file_not_found", path=raw)
    path = (root / text).resolve()  # an absolute ``text`` replaces root
    if not _inside(path, config_dir, allowed):
        raise _fail("enedis_file_outside_config", path=text)
    if not path.is_file() and not path.is_dir():
        raise _fail("enedis_file_not_found", path=text)
    return path


def _inside(path: Path, config_dir: str, allowed: Iterable[str]) -> bool:
    """Whether the resolved ``path`` is in the config folder or an allowed folder."""
    return any(path.is_relative_to(Path(folder).resolve()) for folder in (config_dir, *allowed))


def _read_file(path: Path, prm: str) -> HistoryFile:
    """Read and parse one file; its errors become translated validation errors."""
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


def _read(
    config_dir: str, allowed: list[str], raw: str, prm: str, requested: str | None
) -> tuple[dict[EnergyKind, list[tuple[str, HistoryFile]]], dict[str, str]]:
    """Read the file, or every file of the folder, named by ``raw`` (executor).

    A folder (the portal exports one week per file) is read file by file in name order; a file
    that cannot be imported (another layout, another meter, the other direction…) is skipped
    with the reason's translation key. A single file's problem is an error.
    """
    path = resolve_path(config_dir, raw, allowed)
    if path.is_file():
        parsed = _read_file(path, prm)
        return {_direction(parsed, requested, path.name): [(path.name, parsed)]}, {}
    found: dict[EnergyKind, list[tuple[str, HistoryFile]]] = {}
    skipped: dict[str, str] = {}
    for file in sorted(path.iterdir()):
        if file.name.startswith(".") or not file.is_file():
            continue
        try:
            if not _inside(file.resolve(), config_dir, allowed):  # a symbolic link leading out
                raise _fail("enedis_file_outside_config", path=file.name)
            parsed = _read_file(file, prm)
            kind = _direction(parsed, requested, file.name)
        except ServiceValidationError as err:
            skipped[file.name] = err.translation_key or "enedis_file_unreadable"
            continue
        found.setdefault(kind, []).append((file.name, parsed))
    if not found:
        raise _fail("enedis_folder_without_history", path=raw.strip(), count=str(len(skipped)))
    return found, skipped


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


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What the import of a file, or of a folder of files, did."""

    files: list[str]  # names of the files imported
    skipped: dict[str, str]  # file name → why (translation key)
    imports: list[FileImport]  # one per direction

    def as_dict(self) -> dict[str, Any]:
        """Return the action's response: files, skipped files, then each direction's figures."""
        return {
            "files": self.files,
            "skipped_files": self.skipped,
            **{str(done.direction): done.as_dict() for done in self.imports},
        }


def _merge(files: list[tuple[str, HistoryFile]]) -> tuple[list[CurvePoint], int]:
    """Merge the readings of several files (ordered, each time once); count those dropped."""
    if len(files) == 1:
        return list(files[0][1].points), 0
    every = [point for _name, parsed in files for point in parsed.points]
    kept = without_overlaps(every)
    return kept, len(every) - len(kept)


async def async_import_path(
    hass: HomeAssistant, entry: ConfigEntry, path: str, direction: str | None = None
) -> ImportReport:
    """Import the file (or the folder of files) ``path`` into the meter's statistics."""
    found, skipped = await hass.async_add_executor_job(
        _read,
        hass.config.config_dir,
        sorted(hass.config.allowlist_external_dirs),
        path,
        entry.data[CONF_PRM],
        direction,
    )
    return await _async_import(hass, entry, found, skipped)


def _read_upload(
    hass: HomeAssistant, file_id: str, prm: str, requested: str | None
) -> dict[EnergyKind, list[tuple[str, HistoryFile]]]:
    """Read and parse a file uploaded through the form (executor); the upload is then deleted."""
    try:
        with process_uploaded_file(hass, file_id) as path:
            parsed = _read_file(path, prm)
            return {_direction(parsed, requested, path.name): [(path.name, parsed)]}
    except ValueError as err:  # unknown or already used upload
        raise _fail("enedis_upload_missing") from err


async def async_import_upload(
    hass: HomeAssistant, entry: ConfigEntry, file_id: str, direction: str | None = None
) -> ImportReport:
    """Import a file uploaded through the options form (``FileSelector``)."""
    found = await hass.async_add_executor_job(
        _read_upload, hass, file_id, entry.data[CONF_PRM], direction
    )
    return await _async_import(hass, entry, found, {})


async def _async_import(
    hass: HomeAssistant,
    entry: ConfigEntry,
    found: dict[EnergyKind, list[tuple[str, HistoryFile]]],
    skipped: dict[str, str],
) -> ImportReport:
    prm: str = entry.data[CONF_PRM]
    runtime = entry.runtime_data if entry.state is ConfigEntryState.LOADED else None
    if isinstance(runtime, EnedisRuntime) and runtime.backfill.running:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="enedis_backfill_running"
        )
    imports = []
    for kind, files in found.items():
        points, merged_away = await hass.async_add_executor_job(_merge, files)
        hourly, incomplete = await hass.async_add_executor_job(complete_hours, points)
        readings = await hass.async_add_executor_job(readings_of_hours, points, hourly)
        if isinstance(runtime, EnedisRuntime):
            async with runtime.coordinator.statistics_lock:
                result = await async_import_energy(hass, prm, kind, hourly, readings)
        else:
            result = await async_import_energy(hass, prm, kind, hourly, readings)
        LOGGER.info(
            "Linky history file(s), %s: %d complete hours from %s to %s, %d written",
            kind,
            len(hourly),
            points[0].start.isoformat(),
            points[-1].end.isoformat(),
            result.rows,
        )
        imports.append(
            FileImport(
                file_format=", ".join(sorted({str(parsed.format) for _n, parsed in files})),
                direction=kind,
                statistic_id=result.statistic_id,
                rows=sum(parsed.rows for _n, parsed in files),
                empty_rows=sum(parsed.empty_rows for _n, parsed in files),
                duplicates=sum(parsed.duplicates for _n, parsed in files) + merged_away,
                first=points[0].start,
                last=points[-1].end,
                hours_in_file=len(hourly),
                hours_written=result.rows,
                incomplete_hours=incomplete,
                kwh=sum(hourly.values()) / 1000.0,
                gaps=gaps_between(points),
            )
        )
    names = sorted(name for files in found.values() for name, _parsed in files)
    return ImportReport(files=names, skipped=skipped, imports=imports)


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
    report = await async_import_path(
        call.hass, entry, call.data[ATTR_PATH], call.data[ATTR_DIRECTION]
    )
    return report.as_dict()
