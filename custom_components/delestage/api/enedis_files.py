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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import contextlib
import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import io
import itertools
import math
import re
from typing import Any
import unicodedata
import zipfile

from .enedis_models import PARIS, CurvePoint, local_to_utc

# Larger files are refused before reading (two years of half-hours is about 1 MB).
MAX_FILE_BYTES = 50 * 1024 * 1024
# Longest step Enedis uses; a longer difference between two rows is a hole, not a step.
MAX_STEP = timedelta(minutes=60)
DEFAULT_STEP = timedelta(minutes=30)

_PRM = re.compile(r"(?<!\d)(\d{14})(?!\d)")
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
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


class HistoryFileError(Exception):
    """A history file cannot be imported."""


class UnknownFileFormatError(HistoryFileError):
    """The content is none of the known layouts."""


class UnreadableFileError(HistoryFileError):
    """The file looks like a known layout but a part of it cannot be read."""

    def __init__(self, message: str, line: int | None = None) -> None:
        """Keep the (1-based) line or row where reading failed, when known."""
        super().__init__(f"{message} (line {line})" if line is not None else message)
        self.line = line


class UnsupportedDataError(HistoryFileError):
    """A known layout with data that are not a load curve (daily index, max power…)."""

    def __init__(self, data_type: str) -> None:
        """Keep the file's data type, as the file names it."""
        super().__init__(f"Not a load curve: {data_type}")
        self.data_type = data_type


class WrongMeterFileError(HistoryFileError):
    """The file names another meter than the entry's."""

    def __init__(self, file_prm: str) -> None:
        """Keep the file's PRM; only its last 4 digits go into the message."""
        super().__init__(f"The file is for the meter …{file_prm[-4:]}")
        self.file_prm = file_prm


class EmptyHistoryFileError(HistoryFileError):
    """A known layout without a single reading."""


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


# --------------------------------------------------------------------------- entry points


def parse_history_file(
    content: bytes, *, file_name: str | None = None, expected_prm: str | None = None
) -> HistoryFile:
    """Detect the layout of ``content`` and parse it.

    ``file_name`` is only a hint for what the content cannot say: the Conso Downloader CSV names
    neither the meter nor the direction, its file name (``historique_prod_<PRM>_…``) does.
    ``expected_prm``: raise :class:`WrongMeterFileError` when the file names another meter.
    """
    if content.startswith(_XLSX_MAGIC):
        parsed = _parse_xlsx(content)
    elif content.startswith(_OLE_MAGIC):
        raise UnknownFileFormatError("Old binary Excel (.xls) file: save it as .xlsx")
    else:
        parsed = _parse_text(_decode(content))
    if parsed.format is FileFormat.CONSO_DOWNLOADER and file_name:
        parsed = _with_name_hints(parsed, file_name)
    if not parsed.points:
        raise EmptyHistoryFileError("The file has no readings")
    if expected_prm and parsed.prm and parsed.prm != expected_prm:
        raise WrongMeterFileError(parsed.prm)
    return parsed


def read_history_file(path: str, *, expected_prm: str | None = None) -> HistoryFile:
    """Read and parse a file (blocking: run it in an executor)."""
    try:
        with open(path, "rb") as handle:
            content = handle.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise UnreadableFileError(f"Cannot read the file: {err.strerror or err}") from err
    if len(content) > MAX_FILE_BYTES:
        raise UnreadableFileError(f"The file is larger than {MAX_FILE_BYTES // 2**20} MB")
    return parse_history_file(content, file_name=path, expected_prm=expected_prm)


# --------------------------------------------------------------------------- helpers


def _decode(content: bytes) -> str:
    """UTF-8 (BOM stripped); files re-saved by old tools may be Windows-1252."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    return text.lstrip("\ufeff")


def _norm(text: Any) -> str:
    """Lower-case, accent-free, trimmed text of a header cell (tolerates a mis-decoded BOM)."""
    value = str(text or "").replace("ï»¿", "").replace("\ufeff", "").strip().strip('"').strip()
    # Headers mis-decoded as Latin-1 (``ArrÃªtÃ©``) come back to UTF-8 first.
    with contextlib.suppress(UnicodeError):
        value = value.encode("latin-1").decode("utf-8")
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _value(raw: Any, line: int) -> float | None:
    """Read a number (comma or dot decimal, quotes tolerated); None for empty/NaN/null."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise UnreadableFileError(f"Bad value {raw!r}", line)
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        text = str(raw).strip().strip('"').strip().replace("\u00a0", "").replace(" ", "")
        if text.lower() in _MISSING:
            return None
        try:
            number = float(text.replace(",", "."))
        except ValueError as err:
            raise UnreadableFileError(f"Bad value {text[:20]!r}", line) from err
    return number if math.isfinite(number) else None


def _prm(value: Any) -> str | None:
    """Return the PRM of a cell when it is 14 digits (Excel damage ``2,31282E+13`` is not)."""
    text = str(value or "").strip().strip('"').strip()
    return text if re.fullmatch(r"\d{14}", text) else None


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
    return HistoryFile(
        parsed.format, prm, direction, parsed.points, parsed.rows, parsed.empty_rows,
        parsed.duplicates,
    )  # fmt: skip


class _Builder:
    """Collects readings, drops repeated/overlapping ones, then orders them."""

    def __init__(self) -> None:
        self.points: list[CurvePoint] = []
        self.rows = 0
        self.empty = 0

    def add(self, start: datetime, end: datetime, watts: float | None) -> None:
        self.rows += 1
        if watts is None:
            self.empty += 1
        elif end > start:
            # kW × 1000 in binary floating point: 2.031 kW → 2031.0000000000002 W otherwise.
            self.points.append(CurvePoint(end=end, start=start, watts=round(watts, 6)))

    def build(
        self, file_format: FileFormat, prm: str | None, direction: Direction | None
    ) -> HistoryFile:
        kept = without_overlaps(self.points)
        duplicates = len(self.points) - len(kept)
        return HistoryFile(
            file_format, prm, direction, tuple(kept), self.rows, self.empty, duplicates
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


def _parse_text(text: str) -> HistoryFile:
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise EmptyHistoryFileError("The file is empty")
    header = lines[first]
    delimiter = ";" if ";" in header else ","
    cells = [_norm(cell) for cell in header.split(delimiter)]
    if cells[0] == "identifiant prm" and "horodate" in cells and "valeur" in cells:
        return _parse_r63(lines, first, delimiter, cells)
    if cells[0] == "identifiant prm":
        return _parse_enedis_csv(lines, first, delimiter)
    if cells[:3] in (["debut", "fin", "kw"], ["debut", "fin", "kwh"]):
        return _parse_conso_downloader(lines, first, delimiter)
    for index in range(first, min(len(lines), first + 40)):
        row = [_norm(cell) for cell in _split(lines[index], ";" if ";" in lines[index] else ",")]
        if (at := _table_header(row)) is not None:
            return _parse_xlsx_csv(lines, index, at, row)
    raise UnknownFileFormatError("Unknown layout")


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter))


def _parse_enedis_csv(lines: list[str], first: int, delimiter: str) -> HistoryFile:
    """Variant A: 2 metadata lines, then ``Horodate;Valeur`` (END times with offset, W)."""
    names = [_norm(c) for c in lines[first].split(delimiter)]
    meta_line = first + 1
    if meta_line >= len(lines):
        raise UnreadableFileError("Header without data", meta_line + 1)
    meta = dict(zip(names, (c.strip() for c in lines[meta_line].split(delimiter)), strict=False))
    data_type = meta.get("type de donnees", "")
    if _norm(data_type) != "courbe de charge":
        raise UnsupportedDataError(data_type)
    prm = _prm(meta.get("identifiant prm"))
    direction = _direction(meta.get("grandeur metier", ""))
    scale = 1000.0 if _norm(meta.get("unite", "w")) == "kw" else 1.0
    minutes = meta.get("pas en minutes", "").strip()
    header_step = timedelta(minutes=int(minutes)) if minutes.isdigit() and int(minutes) else None

    index = meta_line + 1
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines) or _norm(lines[index].split(delimiter)[0]) != "horodate":
        raise UnreadableFileError("No 'Horodate;Valeur' line", index + 1)
    readings: list[tuple[datetime, float | None]] = []
    previous: datetime | None = None
    for number, line in enumerate(lines[index + 1 :], start=index + 2):
        if not line.strip():
            break  # end of the curve block (composite downloads go on with other blocks)
        stamp, _, raw = line.partition(delimiter)
        try:
            moment = datetime.fromisoformat(stamp.strip())
        except ValueError:
            if not _FRENCH_DATE.match(stamp.strip()):
                break  # another block starts (``Identifiant PRM;…``, ``Periode;…``)
            # Re-saved by a spreadsheet: ``29/07/2022 00:30`` (wall time, offset lost).
            moment = _local(stamp, number)
        if moment.tzinfo is None:  # hand-made file without offsets: Paris wall time
            moment = local_to_utc(moment, previous)
        moment = moment.astimezone(UTC)
        previous = moment
        readings.append((moment, _value(raw.split(delimiter)[0], number)))

    builder = _Builder()
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


def _parse_r63(lines: list[str], first: int, delimiter: str, names: list[str]) -> HistoryFile:
    """R63: one row per reading with PRM, ``Horodate`` (local END, no offset), W and ``Pas``."""
    col = {name: position for position, name in enumerate(names)}
    at_prm, at_time, at_value = col["identifiant prm"], col["horodate"], col["valeur"]
    at_step, at_kind, at_unit = col.get("pas"), col.get("grandeur metier"), col.get("unite")
    builder = _Builder()
    prm: str | None = None
    direction: Direction | None = None
    previous: datetime | None = None
    last_step = DEFAULT_STEP
    for number, line in enumerate(lines[first + 1 :], start=first + 2):
        if not line.strip():
            continue
        cells = line.split(delimiter)
        if len(cells) <= max(at_time, at_value):
            raise UnreadableFileError("Missing columns", number)
        prm = prm or _prm(cells[at_prm])
        if direction is None and at_kind is not None and at_kind < len(cells):
            direction = _direction(cells[at_kind])
        end = local_to_utc(_local(cells[at_time], number), previous)
        previous = end
        step = _iso_step(cells[at_step]) if at_step is not None and at_step < len(cells) else None
        if step is None and builder.points:
            difference = end - builder.points[-1].end
            step = difference if timedelta(0) < difference <= MAX_STEP else None
        last_step = step or last_step
        watts = _value(cells[at_value], number)
        unit = _norm(cells[at_unit]) if at_unit is not None and at_unit < len(cells) else "w"
        scale = 1000.0 if unit == "kw" else 1.0
        builder.add(end - last_step, end, None if watts is None else watts * scale)
    return builder.build(FileFormat.ENEDIS_R63, prm, direction)


def _iso_step(text: str) -> timedelta | None:
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?", text.strip().upper())
    if not match or not any(match.groups()):
        return None
    hours, minutes = (int(part) if part else 0 for part in match.groups())
    return timedelta(hours=hours, minutes=minutes) or None


def _local(text: Any, line: int) -> datetime:
    """Read a naive local wall time: ISO (``2024-12-25T00:30``) or ``DD/MM/YYYY HH:MM[:SS]``."""
    if isinstance(text, datetime):
        return text.replace(tzinfo=None) if text.tzinfo is None else _to_wall(text)
    value = str(text or "").strip().strip('"').strip()
    # The portal's ``DD/MM/YYYY HH:MM:SS`` without strptime (a tenth of the time).
    if match := _FRENCH_DATE.match(value):
        day, month, year, hour, minute, second = (int(part or 0) for part in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second)
        except ValueError as err:
            raise UnreadableFileError(f"Bad date {value[:25]!r}", line) from err
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError as err:
        raise UnreadableFileError(f"Bad date {value[:25]!r}", line) from err
    return moment if moment.tzinfo is None else _to_wall(moment)


def _to_wall(moment: datetime) -> datetime:
    return moment.astimezone(PARIS).replace(tzinfo=None)


def _parse_conso_downloader(lines: list[str], first: int, delimiter: str) -> HistoryFile:
    """Variant C: ``debut;fin;kW`` local wall times, kW (the ``kWh`` header of a fork too)."""
    builder = _Builder()
    previous: tuple[datetime | None, datetime | None] = (None, None)
    for number, line in enumerate(lines[first + 1 :], start=first + 2):
        if not line.strip():
            continue
        cells = _split(line, delimiter)
        if len(cells) < 3:
            raise UnreadableFileError("Missing columns", number)
        start, end = _local_interval(_local(cells[0], number), _local(cells[1], number), previous)
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


def _table_rows(
    rows: list[tuple[int, list[Any]]], at: int, scale: float, builder: _Builder
) -> None:
    previous: tuple[datetime | None, datetime | None] = (None, None)
    for number, row in rows:
        cells = list(row[at : at + 3])
        if all(cell is None or not str(cell).strip() for cell in cells):
            continue
        if len(cells) < 3 or cells[0] is None or cells[1] is None:
            raise UnreadableFileError("Missing columns", number)
        start, end = _local_interval(_local(cells[0], number), _local(cells[1], number), previous)
        previous = (start, end)
        value = _value(cells[2], number)
        builder.add(start, end, None if value is None else value * scale)


def _parse_xlsx_csv(lines: list[str], index: int, at: int, header: list[str]) -> HistoryFile:
    """Variant B converted to CSV by hand (``Début;Fin;Valeur (en kW)``)."""
    delimiter = ";" if ";" in lines[index] else ","
    builder = _Builder()
    rows = [
        (number, list(_split(line, delimiter)))
        for number, line in enumerate(lines[index + 1 :], start=index + 2)
        if line.strip()
    ]
    _table_rows(rows, at, _table_scale(header[at + 2]), builder)
    prm = next((m.group(1) for line in lines[:index] if (m := _PRM.search(line))), None)
    return builder.build(FileFormat.ENEDIS_XLSX_CSV, prm, None)


# --------------------------------------------------------------------------- XLSX


def _parse_xlsx(content: bytes) -> HistoryFile:
    """Variant B: the portal's workbook (openpyxl, read-only, values only)."""
    # Imported here: only this (rare, executor-run) path needs the library.
    from openpyxl import load_workbook  # noqa: PLC0415

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as err:
        raise UnreadableFileError("Cannot open the workbook") from err
    try:
        for sheet in workbook.worksheets:
            parsed = _parse_sheet(sheet.title, sheet.iter_rows(values_only=True))
            if parsed is not None:
                return parsed
    finally:
        workbook.close()
    raise UnknownFileFormatError("No 'Début / Fin / Valeur' table in the workbook")


def _parse_sheet(title: str, rows: Any) -> HistoryFile | None:
    prm: str | None = None
    direction = _direction(title)
    header_at: int | None = None
    scale = 1000.0
    table: list[tuple[int, list[Any]]] = []
    for number, values in enumerate(rows, start=1):
        row = list(values)
        if header_at is not None:
            table.append((number, row))
            continue
        labels = [_norm(cell) if isinstance(cell, str) else "" for cell in row]
        for position, label in enumerate(labels):
            following = next((c for c in row[position + 1 :] if c not in (None, "")), None)
            if label.startswith("point reference mesure") and following is not None:
                prm = _prm(following) or prm
            elif label.startswith("type de comptage") and isinstance(following, str):
                direction = _direction(following) or direction
        if (at := _table_header(labels)) is not None:
            header_at = at
            scale = _table_scale(labels[at + 2])
    if header_at is None:
        return None
    builder = _Builder()
    _table_rows(table, header_at, scale, builder)
    return builder.build(FileFormat.ENEDIS_XLSX, prm, direction)
