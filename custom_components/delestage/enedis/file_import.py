"""Linky history from a downloaded file: the ``linky_import_file`` action and its options step.

Decisions:
- A folder may be named instead of a file: the portal exports one week per file, so two years
  are 104 files; every file of the folder is imported (those that are not history files of
  this meter are skipped and listed), overlapping files count each half-hour once.
- The file (or folder) must be in a folder Home Assistant lets integrations read:
  ``hass.config.is_allowed_path`` (``allowlist_external_dirs``: the media folders and ``www``,
  plus the folders the user lists). A relative path is taken from the configuration
  folder; symbolic links are followed before the check. The configuration folder itself is
  NOT readable this way: ``secrets.yaml``, ``.storage/auth`` and the database are there.
  Errors name the path the user typed, never a line of a file, and mask a PRM in a name.
- Bounds (``api/enedis_files.py`` for one file): a folder reads at most
  :data:`MAX_FOLDER_FILES` files and :data:`MAX_FOLDER_BYTES` in all (two years of the portal's
  weekly workbooks are 104 files of ≈ 12 kB; a few full-size CSVs fit too), and at most
  ``MAX_ROWS`` distinct readings per direction. Each file is folded into the merge as soon as
  it is parsed (``MergedHistory``), so memory follows the distinct readings, not the number of
  files. A file that cannot be imported is skipped with its reason; a folder over a bound is
  refused (its size and count before any file is read), and nothing of it is written.
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
  statistics need only the recorder. Every import holds the meter's writer lock
  (``meter_lock.py``) from its plan to its write, loaded entry or not; while the API back-fill
  of a loaded entry is running, the import is refused (the back-fill is bringing those hours).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.components.file_upload import process_uploaded_file
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from ..api.enedis_files import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    Direction,
    FileTooLargeError,
    HistoryFile,
    HistoryFileError,
    ImplausibleFileError,
    MergedHistory,
    Reason,
    WrongMeterFileError,
    gaps_between,
    read_history_file,
)
from ..api.enedis_models import PARIS, CurvePoint
from ..const import CONF_ENTRY_TYPE, DOMAIN, LOGGER, EntryType
from . import EnedisRuntime
from .const import CONF_PRM, mask_prms
from .meter_lock import meter_writer
from .statistics import EnergyKind, async_import_energy, curve_to_hourly

HOUR = timedelta(hours=1)
# At most this many gaps are listed in a result (the count is always complete).
MAX_LISTED_GAPS = 20
# "auto": the direction the file states (consumption when it says nothing).
DIRECTION_AUTO = "auto"
# A folder: files read, and their bytes in all (see the module doc).
MAX_FOLDER_FILES = 500
MAX_FOLDER_BYTES = 20 * 2**20
MB = 2**20


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
    bad_rows: int = 0  # rows out of range (step, date, power): counted, never written

    def as_dict(self) -> dict[str, Any]:
        """Return the action's response (local times, ISO 8601 with offset)."""
        return {
            "format": self.file_format,
            "direction": str(self.direction),
            "statistic_id": self.statistic_id,
            "rows": self.rows,
            "empty_rows": self.empty_rows,
            "bad_rows": self.bad_rows,
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
    """Return a translated error; a PRM in a file name or path is masked (``…1234``).

    Enedis names its exports after the meter (``Enedis_Conso_Heure_…_<PRM>.csv``), and the
    message of a failed action ends up in the log (an automation's error).
    """
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={name: mask_prms(text) for name, text in placeholders.items()},
    )


def resolve_path(config_dir: str, raw: str, is_allowed: Callable[[str], bool]) -> Path:
    """Return the file or folder named by ``raw`` (absolute, or relative to the config folder).

    ``is_allowed``: Home Assistant's ``hass.config.is_allowed_path``. Blocking (resolves
    symbolic links): run it in the executor.
    """
    text = raw.strip()
    if not text:
        raise _fail("enedis_file_not_found", path=raw)
    path = (Path(config_dir) / text).resolve()  # an absolute ``text`` replaces the folder
    if not is_allowed(str(path)):
        raise _fail("enedis_file_outside_config", path=text)
    if not path.is_file() and not path.is_dir():
        raise _fail("enedis_file_not_found", path=text)
    return path


def file_error(name: str, err: HistoryFileError) -> ServiceValidationError:
    """Return the translated error of a file that cannot be imported (never its content)."""
    placeholders = {"file": name}
    if err.line is not None:
        placeholders["line"] = str(err.line)
    if isinstance(err, WrongMeterFileError):
        placeholders["meter"] = err.file_prm[-4:]
    elif isinstance(err, ImplausibleFileError):
        placeholders["count"] = str(err.bad_rows)
    elif isinstance(err, FileTooLargeError):
        too_large = err.reason is Reason.TOO_LARGE
        placeholders["limit"] = str(err.limit // MB if too_large else err.limit)
    return _fail(f"enedis_file_{err.reason}", **placeholders)


def _read_file(path: Path, prm: str, now: datetime) -> HistoryFile:
    """Read and parse one file; its errors become translated validation errors."""
    try:
        return read_history_file(str(path), expected_prm=prm, now=now)
    except HistoryFileError as err:
        raise file_error(path.name, err) from err


type Found = dict[EnergyKind, tuple[list[str], MergedHistory]]


def _fold(found: Found, kind: EnergyKind, name: str, parsed: HistoryFile) -> None:
    """Merge one parsed file into its direction (the file's readings are then let go)."""
    names, merged = found.setdefault(kind, ([], MergedHistory()))
    names.append(name)
    merged.add(parsed)


def _read(
    hass: HomeAssistant, raw: str, prm: str, requested: str | None, now: datetime
) -> tuple[Found, dict[str, str]]:
    """Read the file, or every file of the folder, named by ``raw`` (executor).

    A folder (the portal exports one week per file) is read file by file in name order; a file
    that cannot be imported (another layout, another meter, the other direction…) is skipped
    with the reason's translation key. A single file's problem is an error.
    """
    path = resolve_path(hass.config.config_dir, raw, hass.config.is_allowed_path)
    found: Found = {}
    if path.is_file():
        parsed = _read_file(path, prm, now)
        _fold(found, _direction(parsed, requested, path.name), path.name, parsed)
        return found, {}
    files, skipped = _folder_files(hass, path, raw)
    for file in files:
        try:
            parsed = _read_file(file, prm, now)
            kind = _direction(parsed, requested, file.name)
        except ServiceValidationError as err:
            skipped[file.name] = err.translation_key or "enedis_file_unreadable"
            continue
        _fold(found, kind, file.name, parsed)
        if len(found[kind][1]) > MAX_ROWS:
            raise _folder_too_large(raw)
    if not found:
        raise _fail("enedis_folder_without_history", path=raw.strip(), count=str(len(skipped)))
    return found, skipped


def _folder_files(hass: HomeAssistant, folder: Path, raw: str) -> tuple[list[Path], dict[str, str]]:
    """Return the files of a folder to read (name order), and those skipped unread."""
    files: list[Path] = []
    skipped: dict[str, str] = {}
    total = 0
    try:
        entries = sorted(folder.iterdir())
    except OSError as err:  # no permission to list it
        raise _fail(f"enedis_file_{Reason.UNREADABLE}", file=raw.strip()) from err
    for file in entries:
        try:
            if file.name.startswith(".") or not file.is_file():
                continue
            if not hass.config.is_allowed_path(str(file.resolve())):  # a link leading out
                skipped[file.name] = "enedis_file_outside_config"
            elif (size := file.stat().st_size) > MAX_FILE_BYTES:
                skipped[file.name] = f"enedis_file_{Reason.TOO_LARGE}"
            else:
                files.append(file)
                total += size
        except OSError:  # removed meanwhile, a loop of links
            skipped[file.name] = f"enedis_file_{Reason.UNREADABLE}"
    if len(files) > MAX_FOLDER_FILES or total > MAX_FOLDER_BYTES:
        raise _folder_too_large(raw)
    return files, skipped


def _folder_too_large(raw: str) -> ServiceValidationError:
    return _fail(
        "enedis_folder_too_large",
        path=raw.strip(),
        max_files=str(MAX_FOLDER_FILES),
        limit=str(MAX_FOLDER_BYTES // MB),
        readings=str(MAX_ROWS),
    )


def _direction(parsed: HistoryFile, requested: str | None, name: str) -> EnergyKind:
    if requested in (None, DIRECTION_AUTO):
        return EnergyKind(parsed.direction or Direction.CONSUMPTION)
    kind = EnergyKind(requested)
    if parsed.direction is not None and parsed.direction.value != kind.value:
        # One key a direction: the message names it in the reader's language (a placeholder
        # would carry the raw value, "des données de consumption").
        raise _fail(
            f"enedis_file_holds_{parsed.direction.value}",
            file=name,
            direction=parsed.direction.value,
        )
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


async def async_import_path(
    hass: HomeAssistant, entry: ConfigEntry, path: str, direction: str | None = None
) -> ImportReport:
    """Import the file (or the folder of files) ``path`` into the meter's statistics."""
    found, skipped = await hass.async_add_executor_job(
        _read, hass, path, entry.data[CONF_PRM], direction, dt_util.utcnow()
    )
    return await _async_import(hass, entry, found, skipped)


def _read_upload(
    hass: HomeAssistant, file_id: str, prm: str, requested: str | None, now: datetime
) -> Found:
    """Read and parse a file uploaded through the form (executor); the upload is then deleted."""
    found: Found = {}
    try:
        with process_uploaded_file(hass, file_id) as path:
            parsed = _read_file(path, prm, now)
            _fold(found, _direction(parsed, requested, path.name), path.name, parsed)
    except ValueError as err:  # unknown or already used upload
        raise _fail("enedis_upload_missing") from err
    return found


async def async_import_upload(
    hass: HomeAssistant, entry: ConfigEntry, file_id: str, direction: str | None = None
) -> ImportReport:
    """Import a file uploaded through the options form (``FileSelector``)."""
    found = await hass.async_add_executor_job(
        _read_upload, hass, file_id, entry.data[CONF_PRM], direction, dt_util.utcnow()
    )
    return await _async_import(hass, entry, found, {})


async def _async_import(
    hass: HomeAssistant, entry: ConfigEntry, found: Found, skipped: dict[str, str]
) -> ImportReport:
    prm: str = entry.data[CONF_PRM]
    runtime = entry.runtime_data if entry.state is ConfigEntryState.LOADED else None
    if isinstance(runtime, EnedisRuntime) and runtime.backfill.running:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="enedis_backfill_running"
        )
    imports = []
    for kind, (_names, merged) in found.items():
        points = await hass.async_add_executor_job(merged.points)
        hourly, incomplete = await hass.async_add_executor_job(complete_hours, points)
        readings = await hass.async_add_executor_job(readings_of_hours, points, hourly)
        async with meter_writer(hass, prm):
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
                file_format=", ".join(sorted(merged.formats)),
                direction=kind,
                statistic_id=result.statistic_id,
                rows=merged.rows,
                empty_rows=merged.empty_rows,
                duplicates=merged.duplicates,
                first=points[0].start,
                last=points[-1].end,
                hours_in_file=len(hourly),
                hours_written=result.rows,
                incomplete_hours=incomplete,
                kwh=sum(hourly.values()) / 1000.0,
                gaps=gaps_between(points),
                bad_rows=merged.bad_rows,
            )
        )
    names = sorted(name for names, _merged in found.values() for name in names)
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
