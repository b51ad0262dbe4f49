"""Linky history files shaped exactly like the real ones (``shared/reference/enedis-csv.md``).

Each builder takes readings as ``(start, end, watts)`` with aware datetimes (``watts`` None for a
missing value) and writes the bytes the real producer writes:

- legacy Enedis CSV: UTF-8 WITH BOM, LF, no trailing newline, 3 header lines, line 2 ending
  ``W;`` (empty "Pas en minutes"), ``Horodate`` = END with offset, integer W, ``ts;`` if empty;
- Conso Downloader: UTF-8 without BOM, ``debut;fin;kW`` then ``start;end;"0,696"`` lines each
  ending with LF, local wall times ``YYYY-MM-DDTHH:mm``, kW with a comma decimal;
- portal XLSX: sheets ``Page d'accueil`` and ``Consommation Horaire``, every cell a string,
  metadata rows 6-11, the ``Début``/``Fin``/``Valeur (en kW)`` header in row 16 columns C-E,
  data from row 17 (``DD/MM/YYYY HH:MM:SS``, comma decimal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
import io
import re
from typing import Any
import zipfile

from openpyxl import Workbook

from .fake_enedis import PARIS, PRM, FakeEnedis, day_bounds, watts_at

type Reading = tuple[datetime, datetime, float | None]

LEGACY_HEADER = (
    "Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;"
    "Grandeur metier;Etape metier;Unite;Pas en minutes"
)


def readings(
    first: date, days: int, *, step_minutes: int = 30, watts: Any = watts_at
) -> list[Reading]:
    """Readings of ``days`` local days from ``first`` (the fake gateway's household)."""
    start, _ = day_bounds(first)
    _, end = day_bounds(first + timedelta(days=days - 1))
    result: list[Reading] = []
    moment = start
    while moment < end:
        step_end = moment + timedelta(minutes=step_minutes)
        result.append((moment, step_end, float(watts(moment))))
        moment = step_end
    return result


def gateway_readings(fake: FakeEnedis, first: date, days: int) -> list[Reading]:
    """The readings the fake Enedis gateway serves for these days (its own steps)."""
    result: list[Reading] = []
    for index in range(days):
        day = first + timedelta(days=index)
        start, _ = day_bounds(day)
        for minutes in _steps(fake, day):
            end = start + timedelta(minutes=minutes)
            result.append((start, end, float(watts_at(start))))
            start = end
    return result


def _steps(fake: FakeEnedis, day: date) -> Iterable[int]:
    start, end = day_bounds(day)
    steps = fake.steps(day)
    index, moment = 0, start
    while moment < end:
        minutes = steps[index % len(steps)]
        minutes = min(minutes, round((end - moment).total_seconds() / 60))
        yield minutes
        moment += timedelta(minutes=minutes)
        index += 1


def _local(moment: datetime) -> datetime:
    return moment.astimezone(PARIS)


def legacy_csv(rows: Iterable[Reading], prm: str = PRM, kind: str = "Consommation") -> bytes:
    """Variant A: ``Horodate;Valeur`` (interval END with offset, integer W)."""
    rows = list(rows)
    first, last = _local(rows[0][0]).date(), _local(rows[-1][1]).date()
    lines = [
        LEGACY_HEADER,
        f"{prm};Courbe de charge;{first:%d/%m/%Y};{last:%d/%m/%Y};Energie active;{kind};"
        "Comptage Brut;W;",
        "Horodate;Valeur",
    ]
    for _start, end, watts in rows:
        value = "" if watts is None else str(round(watts))
        lines.append(f"{_local(end).isoformat()};{value}")
    return "\ufeff".encode() + "\n".join(lines).encode()


def _kw(watts: float | None) -> str:
    if watts is None:
        return "NaN"
    return f"{watts / 1000:.3f}".rstrip("0").rstrip(".").replace(".", ",")


def conso_downloader_csv(rows: Iterable[Reading]) -> bytes:
    """Variant C, as ``downloadCSV`` writes it."""
    text = "debut;fin;kW\n"
    for start, end, watts in rows:
        text += f'{_local(start):%Y-%m-%dT%H:%M};{_local(end):%Y-%m-%dT%H:%M};"{_kw(watts)}"\n'
    return text.encode()


def portal_xlsx(rows: Iterable[Reading], prm: str = PRM, kind: str = "Consommation") -> bytes:
    """Variant B: the customer portal's workbook, every cell a string."""
    rows = list(rows)
    first, last = _local(rows[0][0]).date(), _local(rows[-1][1]).date()
    workbook = Workbook()
    home = workbook.active
    assert home is not None
    home.title = "Page d'accueil"
    home["B2"] = (
        "La courbe de charge correspond à l'ensemble de valeurs moyennes horodatées de la "
        "puissance consommée … Elle est exprimée en kW."
    )
    home["B4"] = "Attention, il se peut que le pas de temps ait évolué au cours de la période."
    sheet = workbook.create_sheet(f"{kind} Horaire")
    meta = [
        (6, ["Compte Client", None, "Export des données de la courbe de charge"]),
        (7, [None, None, "Données :", "Brutes"]),
        (8, ["Point Référence Mesure (PRM) : ", prm, "Grandeur physique :", "Puissance Active"]),
        (9, [None, None, "Type de comptage :", f"{kind} horaire"]),
        (10, ["NA", "Données indisponibles", "Date de début :", f"{first:%d/%m/%Y}"]),
        (11, [None, None, "Date de fin :", f"{last:%d/%m/%Y}"]),
        (15, [None, "Plage horaire"]),
        (16, [None, None, "Début", "Fin", "Valeur (en kW)"]),
    ]
    for row, values in meta:
        for column, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(row=row, column=column, value=value)
    for row, (start, end, watts) in enumerate(rows, start=17):
        sheet.cell(row=row, column=3, value=f"{_local(start):%d/%m/%Y %H:%M:%S}")
        sheet.cell(row=row, column=4, value=f"{_local(end):%d/%m/%Y %H:%M:%S}")
        sheet.cell(row=row, column=5, value="NA" if watts is None else _kw(watts))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- hostile workbooks


def rewrite_part(content: bytes, suffix: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook ``content`` with its part named ``…suffix`` changed (the zip rebuilt)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, change(data) if info.filename.endswith(suffix) else data)
    return buffer.getvalue()


def table_xlsx(rows: Iterable[Reading]) -> bytes:
    """A workbook of one sheet: ``Début``/``Fin``/``Valeur (en kW)`` in row 1, then the rows."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Début", "Fin", "Valeur (en kW)"])
    for start, end, watts in rows:
        sheet.append(
            [f"{_local(start):%d/%m/%Y %H:%M:%S}", f"{_local(end):%d/%m/%Y %H:%M:%S}", _kw(watts)]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def huge_dimension(content: bytes, *, far_cell: bool = True, sheet: str = "sheet1.xml") -> bytes:
    """The sheet declares ``A1:XFD1048576``; with ``far_cell``, it holds a cell in XFD1048576.

    About 5 kB: what issue 19 found to take 3 GiB (then a MemoryError), or a thread for ever.
    """

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', xml)
        if far_cell:
            far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
            xml = xml.replace(b"</sheetData>", far + b"</sheetData>")
        return xml

    return rewrite_part(content, sheet, change)
