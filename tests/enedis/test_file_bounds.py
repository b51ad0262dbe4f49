"""History files from anywhere (issue 19, items 4-6): bounded work, plausible readings, one error.

Each file here is small; each made the parser of the first release use gigabytes, spin for
ever, write readings no meter can have measured, or end in "unknown error".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
import io
import re
import tracemalloc
from typing import Any
import zipfile

from openpyxl import Workbook
import pytest

from custom_components.delestage.api import enedis_files
from custom_components.delestage.api.enedis_files import HistoryFileError, parse_history_file

from .fake_enedis import PRM
from .history_files import (
    LEGACY_HEADER,
    conso_downloader_csv,
    huge_dimension,
    legacy_csv,
    portal_xlsx,
    readings,
    rewrite_part,
    table_xlsx,
    utc,
)

MB = 2**20
WEEK = readings(date(2024, 3, 18), 7)[:-1]  # what the portal exports (335 half-hours)


def peak_memory(work: Callable[[], Any]) -> tuple[Any, int]:
    """Run ``work``; return what it returned (or raised) and the peak of traced memory."""
    tracemalloc.start()
    try:
        try:
            result: Any = work()
        except Exception as err:  # the caller checks what was raised
            result = err
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- item 4: workbooks


@pytest.mark.parametrize("with_table", [True, False], ids=["table", "no_table"])
def test_far_cell_with_a_huge_dimension_is_refused_in_little_memory(with_table: bool) -> None:
    """5 kB declaring ``A1:XFD1048576`` with one cell in row 1,048,576: refused, < 16 MB.

    Before: 3 GiB then a MemoryError with a table; without one, a thread busy for ever.
    """
    rows = WEEK[:2] if with_table else []
    workbook = table_xlsx(rows) if with_table else _blank_workbook()
    content = huge_dimension(workbook)
    assert len(content) < 8_000

    raised, peak = peak_memory(lambda: parse_history_file(content))

    assert isinstance(raised, HistoryFileError)
    assert raised.reason == "too_many_rows"
    assert peak < 16 * MB


def test_a_lying_dimension_does_not_widen_the_rows() -> None:
    """The portal's week, its sheet declaring ``A1:XFD1048576``: read as it is, few MB."""
    content = huge_dimension(portal_xlsx(WEEK), far_cell=False, sheet="sheet2.xml")

    parsed, peak = peak_memory(lambda: parse_history_file(content))

    assert [(p.start, p.end, p.watts) for p in parsed.points] == pytest.approx(WEEK)
    assert peak < 16 * MB


def test_only_the_table_columns_are_read() -> None:
    """A wide row of 200 cells next to the table: the table is read, nothing else matters."""

    def widen(xml: bytes) -> bytes:
        cells = b"".join(b'<c r="%s17"><v>9</v></c>' % _column(n).encode() for n in range(6, 206))
        return xml.replace(b'</row><row r="18"', cells + b'</row><row r="18"', 1)

    content = rewrite_part(portal_xlsx(WEEK), "sheet2.xml", widen)
    parsed = parse_history_file(content)
    assert len(parsed.points) == len(WEEK)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        # One row of 20,000 cells: a reader builds all of them before handing the row over.
        (
            lambda xml: xml.replace(
                b"</sheetData>",
                b'<row r="40">' + b"<c><v>1</v></c>" * 20_000 + b"</row></sheetData>",
            ),
            "too_many_cells",
        ),
        # An entity bomb (a DOCTYPE: spreadsheet parts never have one).
        (
            lambda xml: (
                b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
                b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + xml.replace(b"Fin", b"&b;")
            ),
            "bad_workbook",
        ),
        # Not well-formed XML.
        (lambda xml: xml.replace(b"</sheetData>", b"<row>"), "bad_workbook"),
        # A row number of 5,000 digits (int() of it fails).
        (
            lambda xml: xml.replace(
                b"</sheetData>", b'<row r="' + b"9" * 5000 + b'"/></sheetData>'
            ),
            "too_many_rows",
        ),
    ],
    ids=["wide_row", "doctype", "malformed", "row_number"],
)
def test_hostile_sheets(change: Callable[[bytes], bytes], reason: str) -> None:
    content = rewrite_part(table_xlsx(WEEK[:2]), "sheet1.xml", change)

    raised, peak = peak_memory(lambda: parse_history_file(content))

    assert isinstance(raised, HistoryFileError), raised
    assert raised.reason == reason
    assert peak < 16 * MB


def test_a_part_inflating_beyond_the_bound_is_refused_unread() -> None:
    """70 MB of blanks in a shared-strings part pack to a few kB; nothing is inflated."""
    content = rewrite_part(table_xlsx(WEEK[:2]), "styles.xml", lambda xml: xml + b" " * (70 * MB))
    assert len(content) < 200_000

    raised, peak = peak_memory(lambda: parse_history_file(content))

    assert isinstance(raised, HistoryFileError)
    assert raised.reason == "too_large"
    assert peak < 16 * MB


# --------------------------------------------------------------------------- item 5: ranges


def test_implausible_readings_are_counted_and_never_kept() -> None:
    """One step of 10-60 min, 2010 to now, 0 to 45 kW: anything else is a counted bad row."""
    future = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    good = WEEK[:4]
    bad = [
        (utc(2023, 1, 1), utc(2043, 1, 1), 500.0),  # one row of 20 years
        (utc(2024, 3, 20), utc(2024, 3, 20, 0, 5), 500.0),  # 5 minutes
        (future, future + timedelta(minutes=30), 500.0),  # not measured yet
        (utc(2005, 1, 1), utc(2005, 1, 1, 0, 30), 500.0),  # before any Linky
        (utc(2024, 3, 21), utc(2024, 3, 21, 0, 30), -500.0),  # negative
        (utc(2024, 3, 22), utc(2024, 3, 22, 0, 30), 1e303),  # 1e303 W
        (utc(2024, 3, 23), utc(2024, 3, 23, 0, 30), 46_000.0),  # beyond a 36 kVA meter
    ]
    content = conso_downloader_csv(good + bad)
    content += b'2024-03-24T00:00;2024-03-24T00:30;"inf"\n'
    content += b'0001-01-01T00:00;0001-01-01T00:30;"1"\n9999-12-31T23:00;9999-12-31T23:30;"1"\n'

    parsed = parse_history_file(content)

    assert [(p.start, p.end, p.watts) for p in parsed.points] == good
    assert parsed.bad_rows == len(bad) + 3
    assert parsed.rows == len(good) + len(bad) + 3


def test_r63_step_of_a_century_is_a_bad_row() -> None:
    """``Pas`` = ``PT876000H`` (100 years back) or ``P1D``: bad rows, the others kept."""
    header = "Identifiant PRM;Grandeur métier;Unité;Horodate;Valeur;Pas"
    body = (
        f"{PRM};CONS;W;2024-03-18 00:30:00;500;PT30M\n"
        f"{PRM};CONS;W;2024-03-18 01:00:00;500;PT876000H\n"
        f"{PRM};CONS;W;2024-03-18 01:30:00;500;P1D\n"
        f"{PRM};CONS;W;2024-03-18 02:00:00;500;PT99999999999H\n"
        f"{PRM};CONS;W;2024-03-18 02:30:00;500;\n"
    )
    parsed = parse_history_file(f"{header}\n{body}".encode())
    assert [(p.start, p.end) for p in parsed.points] == [
        (utc(2024, 3, 17, 23, 0), utc(2024, 3, 17, 23, 30)),
        (utc(2024, 3, 18, 1, 0), utc(2024, 3, 18, 1, 30)),  # no Pas: 30 min, the last good one
    ]
    assert parsed.bad_rows == 3


def test_legacy_csv_out_of_range() -> None:
    """Rows of year 1 and 9999 (the first release overflowed): bad rows; the rest is read."""
    rows = WEEK[:3]
    content = legacy_csv(rows)
    content += b"\n0001-01-01T00:30:00+02:00;300\n9999-12-31T23:30:00+01:00;300"
    parsed = parse_history_file(content)
    assert [(p.start, p.end, p.watts) for p in parsed.points] == rows
    assert parsed.bad_rows == 2


def test_a_file_of_bad_rows_only_is_refused() -> None:
    content = b'debut;fin;kW\n2023-01-01T00:00;2043-01-01T00:00;"1"\n'
    with pytest.raises(HistoryFileError) as err:
        parse_history_file(content)
    assert err.value.reason == "implausible"


# --------------------------------------------------------------------------- item 6: one error


def _workbook_with_bad_shared_string() -> bytes:
    """A shared string index that does not exist (the library raises IndexError)."""

    def change(xml: bytes) -> bytes:
        return xml.replace(b'<c r="E17" t="inlineStr">', b'<c r="E17" t="s"><v>99999</v>', 1)

    return rewrite_part(portal_xlsx(WEEK[:2]), "sheet2.xml", change)


def _truncated_zip() -> bytes:
    content = table_xlsx(WEEK[:2])
    return content[: len(content) // 2]


def _bad_crc() -> bytes:
    content = bytearray(table_xlsx(WEEK[:2]))
    at = content.find(b"xl/worksheets/sheet1.xml") + 40  # inside the compressed part
    content[at] ^= 0xFF
    return bytes(content)


@pytest.mark.parametrize(
    "content",
    [
        # int('²'): "Pas en minutes" of superscript digits.
        (
            LEGACY_HEADER + f"\n{PRM};Courbe de charge;;;Energie active;Consommation;"
            "Comptage Brut;W;²\nHorodate;Valeur\n2024-03-18T00:30:00+01:00;100"
        ).encode(),
        # A 128 KiB field (the csv module's bound).
        b'debut;fin;kW\n2024-03-18T00:00;2024-03-18T00:30;"' + b"1" * 140_000 + b'"\n',
        b'D\xc3\xa9but;Fin;Valeur (en kW)\n"' + b"x" * 140_000 + b'";;\n',
        # Year 1 / 9999 in every layout.
        b'debut;fin;kW\n0001-01-01T00:00;0001-01-01T00:30;"1"\n',
        "Début;Fin;Valeur (en kW)\n31/12/9999 23:30:00;01/01/1000 00:00:00;1\n".encode(),
        b"Identifiant PRM;Horodate;Valeur;Pas\n" + PRM.encode() + b";0001-01-01 00:30:00;1;PT30M\n",
        # Workbooks: not a zip, a cut one, a damaged part, a library fault inside a sheet.
        b"PK\x03\x04not a zip",
        _truncated_zip(),
        _bad_crc(),
        _workbook_with_bad_shared_string(),
        # Numbers Python cannot hold.
        b'debut;fin;kW\n2024-03-18T00:00;2024-03-18T00:30;"1' + b"0" * 400 + b'"\n',
    ],
    ids=[
        "superscript_step",
        "long_field",
        "long_table_field",
        "year_1",
        "year_9999",
        "r63_year_1",
        "not_a_zip",
        "truncated_zip",
        "bad_crc",
        "bad_shared_string",
        "huge_number",
    ],
)
def test_only_history_file_errors_leave_the_parser(content: bytes) -> None:
    """Whatever the bytes: readings, or a ``HistoryFileError`` with a reason; never another."""
    parsed, _peak = peak_memory(lambda: parse_history_file(content))
    if isinstance(parsed, HistoryFileError):
        assert parsed.reason
    else:
        assert parsed.points, parsed


def test_error_messages_never_quote_the_file() -> None:
    """A file's content (a secret, a password) never comes back in an error message."""
    secret = "s3cr3t-api-password"
    contents = [
        f'debut;fin;kW\n{secret};2024-03-18T00:30;"1"\n'.encode(),
        f'debut;fin;kW\n2024-03-18T00:00;2024-03-18T00:30;"{secret}"\n'.encode(),
        f"Début;Fin;Valeur (en kW)\n{secret};;1\n".encode(),
        (
            "Identifiant PRM;Type de donnees;Date de debut\n"
            f"{PRM};{secret};01/01/2024\nHorodate;Valeur\n"
        ).encode(),
        f"Identifiant PRM;Horodate;Valeur\n{PRM};{secret};1\n".encode(),
        f"{secret}\nline two\n".encode(),
    ]
    for content in contents:
        with pytest.raises(HistoryFileError) as err:
            parse_history_file(content)
        assert "s3cr3t" not in str(err.value), content


# --------------------------------------------------------------------------- helpers


def _blank_workbook() -> bytes:
    workbook = Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _column(number: int) -> str:
    """Spreadsheet column letters of a 1-based column number."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def test_helpers() -> None:
    assert _column(1) == "A"
    assert _column(28) == "AB"
    assert zipfile.is_zipfile(io.BytesIO(_blank_workbook()))


# --------------------------------------------------------------------------- bounds, faults


def test_rows_beyond_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """More rows than the bound: refused, in a text file and in a workbook (bound lowered)."""
    monkeypatch.setattr(enedis_files, "MAX_ROWS", 10)
    for content in (conso_downloader_csv(WEEK[:12]), table_xlsx(WEEK[:12])):
        with pytest.raises(HistoryFileError) as err:
            parse_history_file(content)
        assert err.value.reason == "too_many_rows"


def test_unforeseen_faults_become_history_file_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault nobody foresaw (here a recursion error) still ends as a refused file."""

    def fail(*_args: Any) -> None:
        raise RecursionError

    monkeypatch.setattr(enedis_files, "_parse_text", fail)
    with pytest.raises(HistoryFileError) as err:
        parse_history_file(b"debut;fin;kW\n")
    assert err.value.reason == "unreadable"


def test_odd_cells_and_dates() -> None:
    """An integer of 400 digits in a numeric cell; a spreadsheet date of year 1; no workbook."""

    def huge(xml: bytes) -> bytes:
        return xml.replace(
            b'<c r="C3" t="inlineStr"><is><t>0,445</t></is></c>',
            b'<c r="C3"><v>' + b"9" * 400 + b"</v></c>",
        )

    parsed = parse_history_file(rewrite_part(table_xlsx(WEEK[:2]), "sheet1.xml", huge))
    assert (len(parsed.points), parsed.bad_rows) == (1, 1)

    legacy = legacy_csv(WEEK[:2]) + b"\n01/01/0001 00:30;300"
    parsed = parse_history_file(legacy)
    assert (len(parsed.points), parsed.bad_rows) == (2, 1)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.xml", "<notes/>")
    with pytest.raises(HistoryFileError) as err:
        parse_history_file(buffer.getvalue())
    assert err.value.reason == "bad_workbook"


def test_a_table_below_the_corner_is_not_looked_for() -> None:
    """The header is looked for in the first 64 rows: a table starting lower is no export."""

    def lower(xml: bytes) -> bytes:  # every row 69 rows down
        return re.sub(
            rb' r="([A-Z]*)([0-9]+)"',
            lambda match: b' r="%s%d"' % (match[1], int(match[2]) + 69),
            xml.replace(b'ref="A1"', b'ref="A70"'),
        )

    content = rewrite_part(table_xlsx(WEEK[:2]), "sheet1.xml", lower)
    with pytest.raises(HistoryFileError) as err:
        parse_history_file(content)
    assert err.value.reason == "unknown_format"
