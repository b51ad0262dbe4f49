"""Linky history files that households download: detection and parsing (no Home Assistant).

Formats (``shared/reference/enedis-csv.md``), detected from the CONTENT, never the file name:

- :attr:`FileFormat.ENEDIS_CSV` — the legacy portal CSV: UTF-8 with BOM, 3 header lines
  (``Identifiant PRM;Type de donnees;…`` / values / ``Horodate;Valeur``, a blank line tolerated),
  ``Horodate`` ISO 8601 WITH offset = END of the interval, ``Valeur`` = mean power in W. The step
  is the difference to the previous row (``Pas en minutes`` is often empty and steps change
  within a file); composite downloads (an index or max-power block after the curve) stop at
  the end of the curve block.
- :attr:`FileFormat.ENEDIS_XLSX` — today's portal export (weekly): sheet ``Consommation Horaire``,
  the PRM next to ``Point Référence Mesure (PRM) :``, then ``Début;Fin;Valeur (en kW)`` with
  ``DD/MM/YYYY HH:MM:SS`` local wall times (no offset) and a comma decimal, all as text.
- :attr:`FileFormat.ENEDIS_XLSX_CSV` — the same table converted to CSV by hand.
- :attr:`FileFormat.CONSO_DOWNLOADER` — the Conso Downloader extension: ``debut;fin;kW``,
  ``YYYY-MM-DDTHH:mm`` local, quoted comma-decimal kW (v1.0.0: ``,`` separated, dot decimal; a
  fork writes ``kWh`` in the header although the values are kW).
- :attr:`FileFormat.ENEDIS_R63` — the file Enedis sends on written request (``Identifiant PRM;…;
  Horodate;Valeur;Nature;Pas;…``): local END times without offset, W, a ``Pas`` per row.

Every reading becomes a :class:`~.enedis_models.CurvePoint` (mean W over ``[start, end[``,
aware), exactly what the Data Connect parser yields, so the same statistics code turns both
into hours. Local wall times are read as Europe/Paris (never the host's zone); the repeated
autumn hour is resolved by order (first ``+02:00``, then ``+01:00``). Empty, ``null`` and
``NaN`` values are GAPS (no point), never zeros.

The files come from anywhere (a forum, a converter, a hostile upload). Decisions:

- **Plausible readings only.** A reading is kept when it is what a Linky can have measured: one
  step of 10 to 60 minutes, from 2010 (the first Linky meters) to now, between 0 and
  :data:`MAX_WATTS` (a 36 kVA meter, the largest of the home segment, with the margin its
  breaker lets through). Any other row (a row spanning 20 years, an R63 ``Pas`` of
  ``PT876000H``, a date in the future, a negative or 1e303 W value, infinity) is a counted BAD
  row, never written; a file of bad rows only is refused.
- **A row that cannot be read at all** (a value that is no number, a date that is no date, a
  missing column) refuses the whole file with its line number: the layout is not what the
  detection took it for.
- **Bounded work.** A file is at most :data:`MAX_FILE_BYTES` (a real 2-year export is about
  1–1.5 MB; Enedis' R63, the bulkiest layout at ≈ 105 bytes a row, is ≈ 5.5 MB for 3 years of
  half-hours) and :data:`MAX_ROWS` rows (3 years of 10-minute readings are 157,680). A workbook
  is checked by :mod:`.workbook_guard` before the library reads it, then only the columns the
  header names are read, row by row (``openpyxl`` read-only, explicit bounds).
- **Errors.** Only :class:`HistoryFileError` leaves :func:`parse_history_file`; its
  :attr:`~HistoryFileError.reason` names the problem (the integration shows a translated text),
  and no error message ever quotes the file's content (the meter's last 4 digits aside).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import contextlib
import csv
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import io
import itertools
import math
import os
import re
from typing import Any
import unicodedata

from .enedis_models import PARIS, CurvePoint, local_to_utc
from .workbook_guard import WorkbookBound, WorkbookLimits, WorkbookRejectedError, check_workbook

# Larger files are refused before reading (see the module doc for the sizes of real files).
MAX_FILE_BYTES = 10 * 2**20
# Rows (lines of a text file, rows of a sheet) of one file.
MAX_ROWS = 200_000
# Enedis' steps are 10, 15, 30 and 60 minutes; a longer difference between rows is a hole.
MIN_STEP = timedelta(minutes=10)
MAX_STEP = timedelta(minutes=60)
DEFAULT_STEP = timedelta(minutes=30)
# The first Linky meters (Lyon and Touraine pilots) were installed in 2010.
EARLIEST = datetime(2010, 1, 1, tzinfo=UTC)
# 36 kVA (the largest home subscription) behind a breaker of 3 × 60 A: 41.4 kVA, plus 10 %.
MAX_WATTS = 45_000.0
# A workbook: its table header is within the first rows and columns; its parts, unpacked, stay
# far below what an export needs (two years of half-hours in one sheet unpack to ≈ 7 MB).
HEADER_ROWS = 64
HEADER_COLUMNS = 32
WORKBOOK_LIMITS = WorkbookLimits(
    max_parts=64,
    max_unpacked=64 * 2**20,
    max_row=HEADER_ROWS + MAX_ROWS,
    max_row_cells=256,
    max_cells=1_000_000,
)

_PRM = re.compile(r"(?<![0-9])([0-9]{14})(?![0-9])")
_FRENCH_DATE = re.compile(
    r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?$"
)
_ISO_STEP = re.compile(r"PT(?:([0-9]{1,4})H)?(?:([0-9]{1,5})M)?")
_HEADER_STEP = re.compile(r"[0-9]{1,4}")
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old binary .xls
_MISSING = frozenset({"", "nan", "null", "none", "-", "na", "n/a"})


class FileFormat(StrEnum):
    """The layout a history file was recognised as."""

    ENEDIS_CSV = "enedis_csv"
    ENEDIS_XLSX = "enedis_xlsx"
    ENEDIS_XLSX_CSV = "enedis_xlsx_csv"
    CONSO_DOWNLOADER = "conso_downloader"
    ENEDIS_R63 = "enedis_r63"


class Direction(StrEnum):
    """What the file measures (same values as the statistics' energy kinds)."""

    CONSUMPTION = "consumption"
    PRODUCTION = "production"


class Reason(StrEnum):
    """Why a file cannot be imported (the integration has a translated text for each)."""

    UNKNOWN_FORMAT = "unknown_format"
    NOT_LOAD_CURVE = "not_load_curve"
    WRONG_METER = "wrong_meter"
    EMPTY = "empty"
    IMPLAUSIBLE = "implausible"  # rows, but not one plausible reading
    TOO_LARGE = "too_large"  # bytes (packed or, for a workbook, unpacked)
    TOO_MANY_ROWS = "too_many_rows"
    TOO_MANY_CELLS = "too_many_cells"
    BAD_WORKBOOK = "bad_workbook"  # not a readable .xlsx
    BAD_VALUE = "bad_value"
    BAD_DATE = "bad_date"
    BAD_LAYOUT = "bad_layout"  # a header or a column missing, a field too long…
    UNREADABLE = "unreadable"  # the system could not read it, or an unforeseen fault


class HistoryFileError(Exception):
    """A history file cannot be imported; ``reason`` says why, ``line`` where (when known)."""

    reason: Reason = Reason.UNREADABLE

    def __init__(self, message: str, line: int | None = None, *, reason: Reason | None = None):
        """Keep the (1-based) line or row where reading failed, when known."""
        super().__init__(f"{message} (line {line})" if line is not None else message)
        self.line = line
        if reason is not None:
            self.reason = reason


class UnknownFileFormatError(HistoryFileError):
    """The content is none of the known layouts."""

    reason = Reason.UNKNOWN_FORMAT


class UnreadableFileError(HistoryFileError):
    """The file looks like a known layout but a part of it cannot be read."""


class FileTooLargeError(HistoryFileError):
    """The file is beyond what a real export needs; ``limit`` in bytes, rows or cells."""

    def __init__(self, reason: Reason, limit: int) -> None:
        """Keep which bound and its value."""
        super().__init__(f"The file is beyond the bound on {reason}: {limit}", reason=reason)
        self.limit = limit


class UnsupportedDataError(HistoryFileError):
    """A known layout with data that are not a load curve (daily index, max power…)."""

    reason = Reason.NOT_LOAD_CURVE

    def __init__(self, data_type: str) -> None:
        """Keep the file's data type (for the caller; never in the message)."""
        super().__init__("Not a load curve")
        self.data_type = data_type


class WrongMeterFileError(HistoryFileError):
    """The file names another meter than the entry's."""

    reason = Reason.WRONG_METER

    def __init__(self, file_prm: str) -> None:
        """Keep the file's PRM; only its last 4 digits go into the message."""
        super().__init__(f"The file is for the meter …{file_prm[-4:]}")
        self.file_prm = file_prm


class EmptyHistoryFileError(HistoryFileError):
    """A known layout without a single reading."""

    reason = Reason.EMPTY


class ImplausibleFileError(HistoryFileError):
    """Rows, but none a Linky meter can have measured (see the module doc)."""

    reason = Reason.IMPLAUSIBLE

    def __init__(self, bad_rows: int) -> None:
        """Keep how many rows were out of range."""
        super().__init__(f"No plausible reading ({bad_rows} out of range)")
        self.bad_rows = bad_rows


class _BadRowError(Exception):
    """A row whose date is outside any meter's era (raised before date arithmetic overflows)."""


@dataclass(frozen=True, slots=True)
class HistoryFile:
    """The readings of one file, ordered, without overlaps."""

    format: FileFormat
    prm: str | None  # as the file (or, for Conso Downloader, its name) states it
    direction: Direction | None  # None when the file does not say
    points: tuple[CurvePoint, ...]
    rows: int  # data rows read
    empty_rows: int  # rows without a value (gaps)
    duplicates: int  # rows dropped because an earlier row already covered their time
    bad_rows: int = 0  # rows out of range (see the module doc), never written

    @property
    def first(self) -> datetime:
        """Start of the first reading."""
        return self.points[0].start

    @property
    def last(self) -> datetime:
        """End of the last reading."""
        return self.points[-1].end

    def gaps(self) -> list[tuple[datetime, datetime]]:
        """Missing intervals between the first and the last reading (empty values, holes)."""
        return gaps_between(self.points)


def gaps_between(points: Sequence[CurvePoint]) -> list[tuple[datetime, datetime]]:
    """Missing intervals between ordered, non-overlapping readings."""
    return [
        (before.end, after.start)
        for before, after in itertools.pairwise(points)
        if after.start > before.end
    ]


def without_overlaps(points: Iterable[CurvePoint]) -> list[CurvePoint]:
    """Order readings; drop each one that overlaps an earlier one (the first one read wins).

    Repeated rows, overlapping downloads, several files of the same period.
    """
    kept: list[CurvePoint] = []
    for point in sorted(points, key=lambda p: (p.start, p.end)):
        if kept and point.start < kept[-1].end:
            continue
        kept.append(point)
    return kept


class MergedHistory:
    """The readings of several files, merged as each file is read (memory: the distinct ones).

    The weekly exports of a folder overlap or repeat: each file is folded in as soon as it is
    parsed, so the same week read 100 times takes the memory of one. Readings starting at the
    same time keep the shortest (then the first read), as :func:`without_overlaps` does; the
    overlaps left are dropped by :meth:`points`.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._by_start: dict[datetime, CurvePoint] = {}
        self.formats: set[FileFormat] = set()
        self.rows = self.empty_rows = self.bad_rows = self.duplicates = 0

    def __len__(self) -> int:
        """Distinct readings so far."""
        return len(self._by_start)

    def add(self, parsed: HistoryFile) -> None:
        """Fold one file in."""
        self.formats.add(parsed.format)
        self.rows += parsed.rows
        self.empty_rows += parsed.empty_rows
        self.bad_rows += parsed.bad_rows
        self.duplicates += parsed.duplicates
        by_start = self._by_start
        for point in parsed.points:
            kept = by_start.get(point.start)
            if kept is None or point.end < kept.end:
                by_start[point.start] = point
            if kept is not None:
                self.duplicates += 1

    def points(self) -> list[CurvePoint]:
        """Every reading once, ordered (overlapping ones dropped and counted)."""
        kept = without_overlaps(self._by_start.values())
        self.duplicates += len(self._by_start) - len(kept)
        return kept


# --------------------------------------------------------------------------- entry points


def parse_history_file(
    content: bytes,
    *,
    file_name: str | None = None,
    expected_prm: str | None = None,
    now: datetime | None = None,
) -> HistoryFile:
    """Detect the layout of ``content`` and parse it.

    ``file_name`` is only a hint for what the content cannot say: the Conso Downloader CSV names
    neither the meter nor the direction, its file name (``historique_prod_<PRM>_…``) does.
    ``expected_prm``: raise :class:`WrongMeterFileError` when the file names another meter.
    ``now``: readings ending later are bad rows (default: the clock).
    """
    if len(content) > MAX_FILE_BYTES:
        raise FileTooLargeError(Reason.TOO_LARGE, MAX_FILE_BYTES)
    now = now or datetime.now(UTC)
    try:
        parsed = _parse(content, now)
    except HistoryFileError:
        raise
    except Exception as err:
        # Last resort for a fault nobody foresaw in a file from anywhere (a library's own
        # exception on a crafted workbook…): the file is refused, never "unknown error".
        raise UnreadableFileError("The file cannot be read") from err
    if parsed.format is FileFormat.CONSO_DOWNLOADER and file_name:
        parsed = _with_name_hints(parsed, file_name)
    if not parsed.points:
        if parsed.bad_rows:
            raise ImplausibleFileError(parsed.bad_rows)
        raise EmptyHistoryFileError("The file has no readings")
    if expected_prm and parsed.prm and parsed.prm != expected_prm:
        raise WrongMeterFileError(parsed.prm)
    return parsed


def read_history_file(
    path: str, *, expected_prm: str | None = None, now: datetime | None = None
) -> HistoryFile:
    """Read and parse a file (blocking: run it in an executor)."""
    try:
        with open(path, "rb") as handle:
            # read(n) allocates n bytes first: ask for the file's size (+1 if it grew meanwhile).
            size = os.fstat(handle.fileno()).st_size
            content = handle.read(min(size, MAX_FILE_BYTES) + 1)
    except OSError as err:
        raise UnreadableFileError(f"Cannot read the file: {err.strerror or err}") from err
    return parse_history_file(content, file_name=path, expected_prm=expected_prm, now=now)


def _parse(content: bytes, now: datetime) -> HistoryFile:
    if content.startswith(_XLSX_MAGIC):
        return _parse_xlsx(content, now)
    if content.startswith(_OLE_MAGIC):
        raise UnknownFileFormatError("Old binary Excel (.xls) file: save it as .xlsx")
    return _parse_text(_decode(content), now)


# --------------------------------------------------------------------------- helpers


def _decode(content: bytes) -> str:
    """UTF-8 (BOM stripped); files re-saved by old tools may be Windows-1252."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    return text.lstrip("\ufeff")


def _lines(text: str) -> list[str]:
    """Split ``text`` into lines (LF, CRLF or CR); more than :data:`MAX_ROWS` refuse it."""
    text = text.replace("\r\n", "\n")
    newline = "\n" if "\n" in text else "\r"
    if text.count(newline) >= MAX_ROWS:
        raise FileTooLargeError(Reason.TOO_MANY_ROWS, MAX_ROWS)
    return text.split(newline)


def _norm(text: Any) -> str:
    """Lower-case, accent-free, trimmed text of a header cell (tolerates a mis-decoded BOM)."""
    value = str(text or "").replace("ï»¿", "").replace("\ufeff", "").strip().strip('"').strip()
    # Headers mis-decoded as Latin-1 (``ArrÃªtÃ©``) come back to UTF-8 first.
    with contextlib.suppress(UnicodeError):
        value = value.encode("latin-1").decode("utf-8")
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _value(raw: Any, line: int) -> float | None:
    """Read a number (comma or dot decimal, quotes tolerated); None for empty/NaN/null.

    Infinite values are returned as they are: the builder counts them as bad rows.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise UnreadableFileError("Bad value", line, reason=Reason.BAD_VALUE)
    if isinstance(raw, int | float):
        try:
            number = float(raw)
        except OverflowError:  # an integer of 400 digits
            number = math.inf
    else:
        text = str(raw).strip().strip('"').strip().replace("\u00a0", "").replace(" ", "")
        if text.lower() in _MISSING:
            return None
        try:
            number = float(text.replace(",", "."))
        except ValueError as err:
            raise UnreadableFileError("Bad value", line, reason=Reason.BAD_VALUE) from err
    return None if math.isnan(number) else number


def _prm(value: Any) -> str | None:
    """Return the PRM of a cell when it is 14 digits (Excel damage ``2,31282E+13`` is not)."""
    text = str(value or "").strip().strip('"').strip()
    return text if re.fullmatch(r"[0-9]{14}", text) else None


def _direction(text: str) -> Direction | None:
    norm = _norm(text)
    if "prod" in norm or "inject" in norm:
        return Direction.PRODUCTION
    if "cons" in norm or "soutir" in norm:
        return Direction.CONSUMPTION
    return None


def _with_name_hints(parsed: HistoryFile, file_name: str) -> HistoryFile:
    name = re.split(r"[\\/]", file_name)[-1].lower()
    prm = parsed.prm
    if prm is None and (match := _PRM.search(name)):
        prm = match.group(1)
    direction = parsed.direction
    if direction is None and name.startswith("historique_"):
        direction = Direction.PRODUCTION if "_prod" in name else Direction.CONSUMPTION
    return replace(parsed, prm=prm, direction=direction)


def _in_era(moment: datetime) -> datetime:
    """``moment``, unless its year is no meter's (checked before any arithmetic can overflow)."""
    if not EARLIEST.year - 1 <= moment.year <= EARLIEST.year + 200:
        raise _BadRowError
    return moment


class _Builder:
    """Collects plausible readings (counting the others), then orders them."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.points: list[CurvePoint] = []
        self.rows = 0
        self.empty = 0
        self.bad = 0

    def count(self) -> None:
        """One more data row."""
        self.rows += 1
        if self.rows > MAX_ROWS:
            raise FileTooLargeError(Reason.TOO_MANY_ROWS, MAX_ROWS)

    def add(self, start: datetime, end: datetime, watts: float | None) -> None:
        self.count()
        if not (start >= EARLIEST and end <= self.now and MIN_STEP <= end - start <= MAX_STEP):
            self.bad += 1
        elif watts is None:
            self.empty += 1
        elif not 0.0 <= watts <= MAX_WATTS:  # also false for infinities
            self.bad += 1
        else:
            # kW × 1000 in binary floating point: 2.031 kW → 2031.0000000000002 W otherwise.
            self.points.append(CurvePoint(end=end, start=start, watts=round(watts, 6)))

    def bad_row(self) -> None:
        self.count()
        self.bad += 1

    def build(
        self, file_format: FileFormat, prm: str | None, direction: Direction | None
    ) -> HistoryFile:
        kept = without_overlaps(self.points)
        duplicates = len(self.points) - len(kept)
        return HistoryFile(
            file_format, prm, direction, tuple(kept), self.rows, self.empty, duplicates, self.bad
        )


def _local_interval(
    start_naive: datetime,
    end_naive: datetime,
    previous: tuple[datetime | None, datetime | None],
) -> tuple[datetime, datetime]:
    """Aware ``[start, end[`` of local wall times, the repeated autumn hour by order.

    The aware length is trusted when plausible; otherwise (a file that writes the repeated hour
    once) the wall-clock length is.
    """
    start = local_to_utc(start_naive, previous[0])
    end = local_to_utc(end_naive, previous[1])
    if not timedelta(0) < end - start <= MAX_STEP:
        end = start + (end_naive - start_naive)
    return start, end


# --------------------------------------------------------------------------- text layouts


def _parse_text(text: str, now: datetime) -> HistoryFile:
    lines = _lines(text)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise EmptyHistoryFileError("The file is empty")
    header = lines[first]
    delimiter = ";" if ";" in header else ","
    cells = [_norm(cell) for cell in header.split(delimiter)]
    if cells[0] == "identifiant prm" and "horodate" in cells and "valeur" in cells:
        return _parse_r63(lines, first, delimiter, cells, _Builder(now))
    if cells[0] == "identifiant prm":
        return _parse_enedis_csv(lines, first, delimiter, _Builder(now))
    if cells[:3] in (["debut", "fin", "kw"], ["debut", "fin", "kwh"]):
        return _parse_conso_downloader(lines, first, delimiter, _Builder(now))
    for index in range(first, min(len(lines), first + 40)):
        row = [_norm(c) for c in _split(lines[index], ";" if ";" in lines[index] else ",", index)]
        if (at := _table_header(row)) is not None:
            return _parse_xlsx_csv(lines, index, at, row, _Builder(now))
    raise UnknownFileFormatError("Unknown layout")


def _split(line: str, delimiter: str, index: int) -> list[str]:
    """Split ``lines[index]`` into cells (quotes handled); a field beyond the csv bound refuses."""
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except csv.Error as err:
        raise UnreadableFileError("Bad row", index + 1, reason=Reason.BAD_LAYOUT) from err


def _parse_enedis_csv(
    lines: list[str], first: int, delimiter: str, builder: _Builder
) -> HistoryFile:
    """Variant A: 2 metadata lines, then ``Horodate;Valeur`` (END times with offset, W)."""
    names = [_norm(c) for c in lines[first].split(delimiter)]
    meta_line = first + 1
    if meta_line >= len(lines):
        raise UnreadableFileError("Header without data", meta_line + 1, reason=Reason.BAD_LAYOUT)
    meta = dict(zip(names, (c.strip() for c in lines[meta_line].split(delimiter)), strict=False))
    data_type = meta.get("type de donnees", "")
    if _norm(data_type) != "courbe de charge":
        raise UnsupportedDataError(data_type)
    prm = _prm(meta.get("identifiant prm"))
    direction = _direction(meta.get("grandeur metier", ""))
    scale = 1000.0 if _norm(meta.get("unite", "w")) == "kw" else 1.0
    minutes = meta.get("pas en minutes", "").strip()
    header_step = timedelta(minutes=int(minutes)) if _HEADER_STEP.fullmatch(minutes) else None

    index = meta_line + 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines) or _norm(lines[index].split(delimiter)[0]) != "horodate":
        raise UnreadableFileError("No 'Horodate;Valeur' line", index + 1, reason=Reason.BAD_LAYOUT)
    readings: list[tuple[datetime, float | None]] = []
    previous: datetime | None = None
    for number, line in enumerate(lines[index + 1 :], start=index + 2):
        if not line.strip():
            break  # end of the curve block (composite downloads go on with other blocks)
        stamp, _, raw = line.partition(delimiter)
        try:
            moment = _in_era(datetime.fromisoformat(stamp.strip()))
            if moment.tzinfo is None:  # hand-made file without offsets: Paris wall time
                moment = local_to_utc(moment, previous)
        except ValueError:
            if not _FRENCH_DATE.match(stamp.strip()):
                break  # another block starts (``Identifiant PRM;…``, ``Periode;…``)
            try:
                # Re-saved by a spreadsheet: ``29/07/2022 00:30`` (wall time, offset lost).
                moment = local_to_utc(_local(stamp, number), previous)
            except _BadRowError:
                builder.bad_row()
                continue
        except _BadRowError:
            builder.bad_row()
            continue
        moment = moment.astimezone(UTC)
        previous = moment
        readings.append((moment, _value(raw.split(delimiter)[0], number)))

    # The first row's step is the next difference (else the header's, else 30 min); then each
    # row's step is the difference to the row before, unless that is a hole (> 60 min).
    step = header_step or DEFAULT_STEP
    if len(readings) > 1 and timedelta(0) < readings[1][0] - readings[0][0] <= MAX_STEP:
        step = readings[1][0] - readings[0][0]
    for position, (end, watts) in enumerate(readings):
        if position and timedelta(0) < end - readings[position - 1][0] <= MAX_STEP:
            step = end - readings[position - 1][0]
        builder.add(end - step, end, None if watts is None else watts * scale)
    return builder.build(FileFormat.ENEDIS_CSV, prm, direction)


def _parse_r63(
    lines: list[str], first: int, delimiter: str, names: list[str], builder: _Builder
) -> HistoryFile:
    """R63: one row per reading with PRM, ``Horodate`` (local END, no offset), W and ``Pas``."""
    col = {name: position for position, name in enumerate(names)}
    at_prm, at_time, at_value = col["identifiant prm"], col["horodate"], col["valeur"]
    at_step, at_kind, at_unit = col.get("pas"), col.get("grandeur metier"), col.get("unite")
    prm: str | None = None
    direction: Direction | None = None
    previous: datetime | None = None
    last_end: datetime | None = None
    last_step = DEFAULT_STEP
    for number, line in enumerate(lines[first + 1 :], start=first + 2):
        if not line.strip():
            continue
        cells = line.split(delimiter)
        if len(cells) <= max(at_time, at_value):
            raise UnreadableFileError("Missing columns", number, reason=Reason.BAD_LAYOUT)
        prm = prm or _prm(cells[at_prm])
        if direction is None and at_kind is not None and at_kind < len(cells):
            direction = _direction(cells[at_kind])
        try:
            end = local_to_utc(_local(cells[at_time], number), previous)
        except _BadRowError:
            builder.bad_row()
            continue
        previous = end
        stated = cells[at_step] if at_step is not None and at_step < len(cells) else ""
        step = _iso_step(stated)
        if step is None:  # not stated: the difference to the row before, else the last step
            difference = end - last_end if last_end is not None else MAX_STEP * 2
            step = difference if timedelta(0) < difference <= MAX_STEP else last_step
        last_end = end
        if MIN_STEP <= step <= MAX_STEP:
            last_step = step
        watts = _value(cells[at_value], number)
        unit = _norm(cells[at_unit]) if at_unit is not None and at_unit < len(cells) else "w"
        scale = 1000.0 if unit == "kw" else 1.0
        builder.add(end - step, end, None if watts is None else watts * scale)
    return builder.build(FileFormat.ENEDIS_R63, prm, direction)


def _iso_step(text: str) -> timedelta | None:
    """Read the row's ``Pas``: None when empty; any other text is taken as stated.

    A stated step that is not 10–60 minutes (``P1D``, ``PT876000H``) makes the row a bad one
    (the builder's check): it is not one reading of a load curve.
    """
    text = text.strip().upper()
    if not text:
        return None
    match = _ISO_STEP.fullmatch(text)
    if not match or not any(match.groups()):
        return timedelta(0)  # unreadable: never a plausible step
    hours, minutes = (int(part) if part else 0 for part in match.groups())
    return timedelta(hours=hours, minutes=minutes)


def _local(text: Any, line: int) -> datetime:
    """Read a naive local wall time: ISO (``2024-12-25T00:30``) or ``DD/MM/YYYY HH:MM[:SS]``."""
    if isinstance(text, datetime):
        return _in_era(text.replace(tzinfo=None) if text.tzinfo is None else _to_wall(text))
    value = str(text or "").strip().strip('"').strip()
    # The portal's ``DD/MM/YYYY HH:MM:SS`` without strptime (a tenth of the time).
    if match := _FRENCH_DATE.match(value):
        day, month, year, hour, minute, second = (int(part or 0) for part in match.groups())
        try:
            return _in_era(datetime(year, month, day, hour, minute, second))
        except ValueError as err:
            raise UnreadableFileError("Bad date", line, reason=Reason.BAD_DATE) from err
    try:
        moment = _in_era(datetime.fromisoformat(value.replace(" ", "T")))
    except ValueError as err:
        raise UnreadableFileError("Bad date", line, reason=Reason.BAD_DATE) from err
    return moment if moment.tzinfo is None else _to_wall(moment)


def _to_wall(moment: datetime) -> datetime:
    return _in_era(moment).astimezone(PARIS).replace(tzinfo=None)


def _parse_conso_downloader(
    lines: list[str], first: int, delimiter: str, builder: _Builder
) -> HistoryFile:
    """Variant C: ``debut;fin;kW`` local wall times, kW (the ``kWh`` header of a fork too)."""
    previous: tuple[datetime | None, datetime | None] = (None, None)
    for number, line in enumerate(lines[first + 1 :], start=first + 2):
        if not line.strip():
            continue
        cells = _split(line, delimiter, number - 1)
        if len(cells) < 3:
            raise UnreadableFileError("Missing columns", number, reason=Reason.BAD_LAYOUT)
        try:
            start, end = _local_interval(
                _local(cells[0], number), _local(cells[1], number), previous
            )
        except _BadRowError:
            builder.bad_row()
            continue
        previous = (start, end)
        kilowatts = _value(cells[2], number)
        builder.add(start, end, None if kilowatts is None else kilowatts * 1000.0)
    return builder.build(FileFormat.CONSO_DOWNLOADER, None, None)


def _table_header(row: list[str]) -> int | None:
    """Column of ``Début`` in a ``Début;Fin;Valeur (en kW)`` header row, if it is one."""
    for at in range(len(row) - 2):
        if row[at] == "debut" and row[at + 1] == "fin" and row[at + 2].startswith("valeur"):
            return at
    return None


def _table_scale(header: str) -> float:
    return 1.0 if re.search(r"\(en w\)", header) else 1000.0  # "Valeur (en kW)"


def _table_rows(rows: Iterable[tuple[int, Sequence[Any]]], scale: float, builder: _Builder) -> None:
    """``Début``, ``Fin``, ``Valeur`` rows (the table's three columns) into the builder."""
    previous: tuple[datetime | None, datetime | None] = (None, None)
    for number, cells in rows:
        if all(cell is None or not str(cell).strip() for cell in cells):
            continue
        if len(cells) < 3 or cells[0] is None or cells[1] is None:
            raise UnreadableFileError("Missing columns", number, reason=Reason.BAD_LAYOUT)
        try:
            start, end = _local_interval(
                _local(cells[0], number), _local(cells[1], number), previous
            )
        except _BadRowError:
            builder.bad_row()
            continue
        previous = (start, end)
        value = _value(cells[2], number)
        builder.add(start, end, None if value is None else value * scale)


def _parse_xlsx_csv(
    lines: list[str], index: int, at: int, header: list[str], builder: _Builder
) -> HistoryFile:
    """Variant B converted to CSV by hand (``Début;Fin;Valeur (en kW)``)."""
    delimiter = ";" if ";" in lines[index] else ","
    rows = (
        (number, _split(line, delimiter, number - 1)[at : at + 3])
        for number, line in enumerate(lines[index + 1 :], start=index + 2)
        if line.strip()
    )
    _table_rows(rows, _table_scale(header[at + 2]), builder)
    prm = next((m.group(1) for line in lines[:index] if (m := _PRM.search(line))), None)
    return builder.build(FileFormat.ENEDIS_XLSX_CSV, prm, None)


# --------------------------------------------------------------------------- XLSX

_WORKBOOK_REASONS = {
    WorkbookBound.STRUCTURE: (Reason.BAD_WORKBOOK, 0),
    WorkbookBound.UNPACKED: (Reason.TOO_LARGE, WORKBOOK_LIMITS.max_unpacked),
    WorkbookBound.ROWS: (Reason.TOO_MANY_ROWS, MAX_ROWS),
    WorkbookBound.CELLS: (Reason.TOO_MANY_CELLS, WORKBOOK_LIMITS.max_cells),
}


def _parse_xlsx(content: bytes, now: datetime) -> HistoryFile:
    """Variant B: the portal's workbook (bounds checked, then openpyxl, read-only, values)."""
    try:
        check_workbook(content, WORKBOOK_LIMITS)
    except WorkbookRejectedError as err:
        reason, limit = _WORKBOOK_REASONS[err.bound]
        if reason is Reason.BAD_WORKBOOK:
            raise UnreadableFileError("Not a readable workbook", reason=reason) from err
        raise FileTooLargeError(reason, limit) from err
    # Imported here: only this (rare, executor-run) path needs the library.
    from openpyxl import load_workbook  # noqa: PLC0415

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as err:
        # Well-formed XML that is no workbook: the library raises what it meets (KeyError…).
        raise UnreadableFileError("Not a readable workbook", reason=Reason.BAD_WORKBOOK) from err
    try:
        for sheet in workbook.worksheets:
            parsed = _parse_sheet(sheet, now)
            if parsed is not None:
                return parsed
    except HistoryFileError:
        raise
    except Exception as err:
        # A cell the library cannot read (a shared string that does not exist, a bad number).
        raise UnreadableFileError("Not a readable workbook", reason=Reason.BAD_WORKBOOK) from err
    finally:
        workbook.close()
    raise UnknownFileFormatError("No 'Début / Fin / Valeur' table in the workbook")


def _parse_sheet(sheet: Any, now: datetime) -> HistoryFile | None:
    """Find the table header in the sheet's top-left corner, then read its 3 columns only.

    One pass over the rows, each cut to the corner's width (then to the table's three columns):
    a read-only sheet otherwise pads every row to the width its ``dimension`` declares. The row
    bound is explicit too (the guard refused any row numbered beyond it).
    """
    prm: str | None = None
    direction = _direction(sheet.title)
    rows = sheet.iter_rows(
        max_row=WORKBOOK_LIMITS.max_row, max_col=HEADER_COLUMNS, values_only=True
    )
    for number, row in enumerate(rows, start=1):
        if number > HEADER_ROWS:
            return None
        labels = [_norm(cell) if isinstance(cell, str) else "" for cell in row]
        for position, label in enumerate(labels):
            following = next((c for c in row[position + 1 :] if c not in (None, "")), None)
            if label.startswith("point reference mesure") and following is not None:
                prm = _prm(following) or prm
            elif label.startswith("type de comptage") and isinstance(following, str):
                direction = _direction(following) or direction
        if (at := _table_header(labels)) is not None:
            table = ((index, cells[at : at + 3]) for index, cells in enumerate(rows, number + 1))
            builder = _Builder(now)
            _table_rows(table, _table_scale(labels[at + 2]), builder)
            return builder.build(FileFormat.ENEDIS_XLSX, prm, direction)
    return None
