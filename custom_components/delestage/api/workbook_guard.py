"""Bounds on an untrusted ``.xlsx`` before a spreadsheet library reads it (no Home Assistant).

A workbook is a zip of XML parts. A few kilobytes can make a reader use gigabytes or spin for
ever: a declared ``dimension`` of ``A1:XFD1048576`` with one far cell (read-only readers then
pad rows to 16,384 cells and yield a million rows), a part that inflates to gigabytes, one row
of millions of cells (a reader builds the whole row before handing it over), an entity bomb in
a ``DOCTYPE``. :func:`check_workbook` reads every XML part once, as a stream, in constant memory
(expat callbacks only count, no tree is built), and refuses the workbook at the first bound
crossed:

- parts: at most ``max_parts``, at most ``max_unpacked`` bytes once inflated, in all (the zip
  module stops each part at its declared size and checks its CRC, so declared sizes bound the
  work);
- rows: none numbered beyond ``max_row`` (the number a reader pads up to);
- cells: at most ``max_row_cells`` in a row and ``max_cells`` in all (shared strings count
  too: a reader holds every one of them);
- no ``DOCTYPE`` or entity declaration (spreadsheet parts never have one).

Binary parts (images, printer settings) are not XML and are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import io
from typing import Any
from xml.parsers import expat
import zipfile
import zlib

_CHUNK = 1 << 16
_XML_START = (b"<", b"\xef\xbb\xbf<", b"\xff\xfe", b"\xfe\xff")  # markup, maybe after a BOM
_CELL_TAGS = frozenset({"c", "si"})  # a sheet's cells, the shared strings


class WorkbookBound(StrEnum):
    """Which bound a workbook crossed."""

    STRUCTURE = "structure"  # not a zip of well-formed XML parts, or a DOCTYPE
    UNPACKED = "unpacked"  # too many parts or bytes once inflated
    ROWS = "rows"  # a row numbered beyond the bound
    CELLS = "cells"  # too many cells in a row or in all


class WorkbookRejectedError(Exception):
    """The workbook crosses a bound (or is not a readable workbook)."""

    def __init__(self, bound: WorkbookBound) -> None:
        """Keep which bound."""
        super().__init__(f"Workbook refused: {bound}")
        self.bound = bound


@dataclass(frozen=True, slots=True)
class WorkbookLimits:
    """The bounds :func:`check_workbook` applies."""

    max_parts: int
    max_unpacked: int
    max_row: int
    max_row_cells: int
    max_cells: int


def check_workbook(content: bytes, limits: WorkbookLimits) -> None:
    """Raise :class:`WorkbookRejectedError` unless ``content`` stays within ``limits``."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _check_parts(archive, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as err:
        # Not a zip, a damaged part (CRC), a compression method the zip module lacks.
        raise WorkbookRejectedError(WorkbookBound.STRUCTURE) from err


def _check_parts(archive: zipfile.ZipFile, limits: WorkbookLimits) -> None:
    parts = [info for info in archive.infolist() if not info.is_dir()]
    if len(parts) > limits.max_parts or (
        sum(info.file_size for info in parts) > limits.max_unpacked
    ):
        raise WorkbookRejectedError(WorkbookBound.UNPACKED)
    counter = _Counter(limits)
    for info in parts:
        with archive.open(info) as source:
            counter.read(source)


class _Counter:
    """Counts rows and cells of XML parts with expat, without building anything."""

    def __init__(self, limits: WorkbookLimits) -> None:
        self._limits = limits
        self.cells = 0
        self._row = 0  # number of the current row (``r``, else the previous one + 1)
        self._row_cells = 0

    def read(self, source: Any) -> None:
        """Stream one part; binary parts are skipped."""
        first = source.read(_CHUNK)
        if not first.lstrip().startswith(_XML_START):
            return
        parser = expat.ParserCreate()
        parser.StartElementHandler = self._start
        parser.StartDoctypeDeclHandler = self._refuse
        parser.EntityDeclHandler = self._refuse
        self._row = self._row_cells = 0
        try:
            chunk = first
            while chunk:
                parser.Parse(chunk, False)
                chunk = source.read(_CHUNK)
            parser.Parse(b"", True)
        except expat.ExpatError as err:
            raise WorkbookRejectedError(WorkbookBound.STRUCTURE) from err

    def _refuse(self, *_args: Any) -> None:
        raise WorkbookRejectedError(WorkbookBound.STRUCTURE)

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        tag = name.rpartition(":")[2]
        if tag == "row":
            number = attributes.get("r", "")
            if not (number.isascii() and number.isdigit()):
                self._row += 1
            elif len(number) > len(str(self._limits.max_row)):  # int() of 5,000 digits fails
                raise WorkbookRejectedError(WorkbookBound.ROWS)
            else:
                self._row = int(number)
            self._row_cells = 0
            if self._row > self._limits.max_row:
                raise WorkbookRejectedError(WorkbookBound.ROWS)
        elif tag in _CELL_TAGS:
            self.cells += 1
            if tag == "c":
                self._row_cells += 1
            if self._row_cells > self._limits.max_row_cells or self.cells > self._limits.max_cells:
                raise WorkbookRejectedError(WorkbookBound.CELLS)
