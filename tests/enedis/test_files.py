"""The history-file parser (``api/enedis_files.py``): layouts, DST days, units, gaps, errors."""

from __future__ import annotations

from datetime import date, timedelta
import io
from pathlib import Path

from openpyxl import Workbook
import pytest

from custom_components.delestage.api.enedis_files import (
    MAX_FILE_BYTES,
    Direction,
    EmptyHistoryFileError,
    FileFormat,
    FileTooLargeError,
    Reason,
    UnknownFileFormatError,
    UnreadableFileError,
    UnsupportedDataError,
    WrongMeterFileError,
    parse_history_file,
    read_history_file,
)

from .fake_enedis import PRM
from .history_files import (
    LEGACY_HEADER,
    conso_downloader_csv,
    legacy_csv,
    portal_xlsx,
    readings,
    utc,
)

# The reference's verbatim excerpts (enedis-csv.md §1), PRM replaced by a 14-digit one.
REFERENCE_A = (
    "\ufeff" + LEGACY_HEADER + "\n"
    "11111111111111;Courbe de charge;29/06/2022;29/07/2023;Energie active;Consommation;"
    "Comptage Brut;W;\n"
    "Horodate;Valeur\n"
    "2022-07-29T00:30:00+02:00;330\n"
    "2022-07-29T01:00:00+02:00;364\n"
    "2022-07-29T01:30:00+02:00;300"
).encode()

REFERENCE_C = (
    b'debut;fin;kW\n2023-12-12T00:00;2023-12-12T00:30;"0,696"\n'
    b'2023-12-12T00:30;2023-12-12T01:00;"0,28"\n2023-12-12T01:00;2023-12-12T01:30;"0,656"\n'
)

FALL_BACK = date(2022, 10, 30)
SPRING_FORWARD = date(2023, 3, 26)


def test_reference_legacy_csv() -> None:
    parsed = parse_history_file(REFERENCE_A)
    assert parsed.format is FileFormat.ENEDIS_CSV
    assert parsed.prm == "11111111111111"
    assert parsed.direction is Direction.CONSUMPTION
    # END timestamps: the first row covers 00:00-00:30 local; the first step is the next one's.
    assert [(p.start, p.end, p.watts) for p in parsed.points] == [
        (utc(2022, 7, 28, 22, 0), utc(2022, 7, 28, 22, 30), 330.0),
        (utc(2022, 7, 28, 22, 30), utc(2022, 7, 28, 23, 0), 364.0),
        (utc(2022, 7, 28, 23, 0), utc(2022, 7, 28, 23, 30), 300.0),
    ]
    assert parsed.points[0].wh == 165.0  # W × 30 min, not W as Wh


def test_reference_conso_downloader() -> None:
    parsed = parse_history_file(REFERENCE_C)
    assert parsed.format is FileFormat.CONSO_DOWNLOADER
    assert parsed.prm is None
    assert parsed.direction is None
    assert [(p.start, p.end, p.watts) for p in parsed.points] == [
        (utc(2023, 12, 11, 23, 0), utc(2023, 12, 11, 23, 30), 696.0),
        (utc(2023, 12, 11, 23, 30), utc(2023, 12, 12, 0, 0), 280.0),
        (utc(2023, 12, 12, 0, 0), utc(2023, 12, 12, 0, 30), 656.0),
    ]


def test_conso_downloader_name_hints_and_old_layout() -> None:
    # The file name gives what the content cannot: the meter and the direction.
    named = parse_history_file(REFERENCE_C, file_name=f"/config/historique_prod_{PRM}_2025.csv")
    assert named.prm == PRM
    assert named.direction is Direction.PRODUCTION
    conso = parse_history_file(REFERENCE_C, file_name="historique_conso_x.csv")
    assert conso.direction is Direction.CONSUMPTION
    with pytest.raises(WrongMeterFileError) as wrong:
        parse_history_file(
            REFERENCE_C, file_name="historique_conso_12345678901234_x.csv", expected_prm=PRM
        )
    assert wrong.value.file_prm == "12345678901234"
    assert "1234" in str(wrong.value)
    assert "12345678901234" not in str(wrong.value)
    # v1.0.0: commas, dot decimal, no quotes; a fork's wrong "kWh" header (values are kW).
    old = b"debut,fin,kW\n2023-12-12T00:00,2023-12-12T00:30,0.696\n"
    fork = b'debut;fin;kWh\n2023-12-12T00:00;2023-12-12T00:30;"0,696"\n'
    for content in (old, fork):
        assert parse_history_file(content).points[0].watts == 696.0


@pytest.mark.parametrize("builder", [legacy_csv, conso_downloader_csv, portal_xlsx])
@pytest.mark.parametrize(("day", "count"), [(FALL_BACK, 50), (SPRING_FORWARD, 46)])
def test_dst_days(builder: object, day: date, count: int) -> None:
    """25 h and 23 h days: every half-hour once, in order, UTC continuous."""
    rows = readings(day, 1)
    assert len(rows) == count
    content = builder(rows)  # type: ignore[operator]
    parsed = parse_history_file(content)
    assert [(p.start, p.end, p.watts) for p in parsed.points] == rows
    assert parsed.gaps() == []
    assert parsed.duplicates == 0


def test_legacy_reference_dst_rows() -> None:
    """The verbatim fall-back rows: the wall time repeats, only the offset differs."""
    body = (
        "2022-10-30T02:00:00+02:00;256\n2022-10-30T02:30:00+02:00;188\n"
        "2022-10-30T02:00:00+01:00;318\n2022-10-30T02:30:00+01:00;216\n"
        "2022-10-30T03:00:00+01:00;240"
    )
    content = REFERENCE_A.split(b"Horodate;Valeur\n")[0] + b"Horodate;Valeur\n" + body.encode()
    parsed = parse_history_file(content)
    assert [p.end for p in parsed.points] == [
        utc(2022, 10, 30, 0, 0),
        utc(2022, 10, 30, 0, 30),
        utc(2022, 10, 30, 1, 0),
        utc(2022, 10, 30, 1, 30),
        utc(2022, 10, 30, 2, 0),
    ]
    assert all(p.end - p.start == timedelta(minutes=30) for p in parsed.points)


def test_gaps_are_not_zeros() -> None:
    rows = readings(date(2024, 3, 18), 1)
    rows[10] = (rows[10][0], rows[10][1], None)
    rows[11] = (rows[11][0], rows[11][1], None)
    for builder in (legacy_csv, conso_downloader_csv, portal_xlsx):
        parsed = parse_history_file(builder(rows))
        assert len(parsed.points) == 46
        assert parsed.empty_rows == 2
        assert parsed.rows == 48
        assert parsed.gaps() == [(rows[10][0], rows[11][1])]
        assert all(p.watts > 0 for p in parsed.points)
    # "null", "NaN", "" spellings.
    for value in ('"null"', '"NaN"', '""', ""):
        content = f"debut;fin;kW\n2024-03-18T00:00;2024-03-18T00:30;{value}\n".encode()
        with pytest.raises(EmptyHistoryFileError):
            parse_history_file(content)


def test_legacy_steps_from_differences_and_holes() -> None:
    """Steps change within a file (30 → 15 min); a hole of missing rows is a gap, not a step."""
    header = REFERENCE_A.split(b"Horodate;Valeur\n")[0] + b"Horodate;Valeur\n"
    body = (
        "2023-12-30T08:00:00+01:00;600\n2023-12-30T08:30:00+01:00;600\n"
        "2023-12-30T08:45:00+01:00;800\n2023-12-30T09:00:00+01:00;800\n"
        "2023-12-30T12:00:00+01:00;400"
    )
    parsed = parse_history_file(header + body.encode())
    steps = [int((p.end - p.start).total_seconds() // 60) for p in parsed.points]
    assert steps == [30, 30, 15, 15, 15]
    assert parsed.gaps() == [(utc(2023, 12, 30, 8, 0), utc(2023, 12, 30, 10, 45))]


def test_legacy_variants() -> None:
    """A blank line before ``Horodate;Valeur`` (quoalise), empty rows first, a composite file."""
    text = (
        LEGACY_HEADER + "\n00000000000000;Courbe de charge;01/09/2018;21/08/2020;Energie active;"
        "Consommation;Comptage Brut;W;\n\nHorodate;Valeur\n"
        "2020-08-20T23:30:00+02:00;\n2020-08-20T23:40:00+02:00;270\n"
        "2020-08-20T23:50:00+02:00;264\n\n"
        "Identifiant PRM;Type de donnees;Date de debut;Date de fin\n"
        "00000000000000;Index;01/09/2019;21/08/2020\nHorodate;Type de releve;EAS F1\n"
    )
    parsed = parse_history_file(text.encode("cp1252"))
    assert parsed.prm == "00000000000000"
    assert [(p.start, p.watts) for p in parsed.points] == [
        (utc(2020, 8, 20, 21, 30), 270.0),
        (utc(2020, 8, 20, 21, 40), 264.0),
    ]
    assert parsed.empty_rows == 1
    # Production, kW unit, a "Pas en minutes", a block without blank line after the curve.
    text = (
        LEGACY_HEADER + f"\n{PRM};Courbe de charge;01/01/2024;02/01/2024;Energie active;"
        "Production;Comptage Brut;kW;60\nHorodate;Valeur\n2024-01-01T01:00:00+01:00;1,5\n"
        "Periode;Identifiant calendrier fournisseur\n"
    )
    parsed = parse_history_file(text.encode())
    assert parsed.direction is Direction.PRODUCTION
    assert [(p.start, p.end, p.watts) for p in parsed.points] == [
        (utc(2023, 12, 31, 23, 0), utc(2024, 1, 1, 0, 0), 1500.0)
    ]


def test_legacy_other_data_types() -> None:
    text = (
        "Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;"
        "Grandeur metier;Etape metier;Unite\n00000000000000;Puissance maximale quotidienne;"
        "01/09/2019;21/08/2020;Puissance maximale atteinte;Consommation;Comptage Brut;W\n"
        "Horodate;Valeur\n2019-09-01T15:17:24+02:00;3695"
    )
    with pytest.raises(UnsupportedDataError) as err:
        parse_history_file(text.encode())
    assert err.value.data_type == "Puissance maximale quotidienne"


def test_portal_xlsx_weekly_file() -> None:
    """A 7-day export: 335 rows (the last 23:30-00:00 is never in it), PRM and kind read."""
    rows = readings(date(2024, 3, 18), 7)[:-1]
    parsed = parse_history_file(portal_xlsx(rows))
    assert parsed.format is FileFormat.ENEDIS_XLSX
    assert parsed.prm == PRM
    assert parsed.direction is Direction.CONSUMPTION
    assert len(parsed.points) == 335
    assert parsed.points[0].watts == pytest.approx(rows[0][2])
    assert (parsed.first, parsed.last) == (rows[0][0], rows[-1][1])
    production = parse_history_file(portal_xlsx(rows[:4], kind="Production"))
    assert production.direction is Direction.PRODUCTION
    with pytest.raises(WrongMeterFileError):
        parse_history_file(portal_xlsx(rows), expected_prm="12345678901234")


def test_portal_xlsx_saved_by_excel() -> None:
    """Re-saved by a spreadsheet: real dates and numbers instead of text."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Début", "Fin", "Valeur (en kW)"])
    sheet.append([utc(2024, 3, 18, 0, 0).replace(tzinfo=None), "18/03/2024 00:30", 0.984])
    sheet.append(["18/03/2024 00:30:00", "18/03/2024 01:00:00", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = parse_history_file(buffer.getvalue())
    assert parsed.prm is None
    assert parsed.direction is None
    assert [(p.start, p.watts) for p in parsed.points] == [(utc(2024, 3, 17, 23, 0), 984.0)]
    assert parsed.empty_rows == 1


def test_portal_table_converted_to_csv() -> None:
    """Users convert the XLSX by hand (ha-linky#99): ``Début;Fin;Valeur (en Kw)``."""
    text = (
        f"Point Référence Mesure (PRM) : ;{PRM}\nDébut;Fin;Valeur (en Kw)\n"
        "02/03/2023 00:00:00;02/03/2023 00:30:00;4,030\n"
    )
    parsed = parse_history_file(text.encode())
    assert parsed.format is FileFormat.ENEDIS_XLSX_CSV
    assert parsed.prm == PRM
    assert [(p.start, p.watts) for p in parsed.points] == [(utc(2023, 3, 1, 23, 0), 4030.0)]


def test_r63_file() -> None:
    """The file Enedis sends on request: local END without offset, ``Pas`` per row."""
    header = (
        "Identifiant PRM;Date de début;Date de fin;Grandeur physique;Grandeur métier;"
        "Etape métier;Unité;Horodate;Valeur;Nature;Pas;Indice de vraisemblance;"
        "Etat complémentaire"
    )
    rows = [
        ("2024-10-27 02:00:00", "500", "PT30M"),
        ("2024-10-27 02:30:00", "600", "PT30M"),
        ("2024-10-27 02:00:00", "700", "PT30M"),
        ("2024-10-27 02:30:00", "", "PT30M"),
        ("2024-10-27 04:00:00", "900", "PT60M"),
    ]
    lines = [header] + [
        f"{PRM};2023-03-13 00:00:00;2025-03-13 00:00:00;PA;CONS;BRUT;W;{when};{value};B;{step};0;0"
        for when, value, step in rows
    ]
    parsed = parse_history_file("\n".join(lines).encode())
    assert parsed.format is FileFormat.ENEDIS_R63
    assert parsed.prm == PRM
    assert parsed.direction is Direction.CONSUMPTION
    assert [(p.start, p.end, p.watts) for p in parsed.points] == [
        (utc(2024, 10, 26, 23, 30), utc(2024, 10, 27, 0, 0), 500.0),
        (utc(2024, 10, 27, 0, 0), utc(2024, 10, 27, 0, 30), 600.0),
        (utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 1, 0), 700.0),
        (utc(2024, 10, 27, 2, 0), utc(2024, 10, 27, 3, 0), 900.0),
    ]
    assert parsed.empty_rows == 1


def test_repeated_rows_are_dropped() -> None:
    """Conso Downloader does not de-duplicate overlapping weeks."""
    rows = readings(date(2024, 3, 18), 1)
    content = conso_downloader_csv(rows[:30]) + conso_downloader_csv(rows[20:]).split(b"\n", 1)[1]
    parsed = parse_history_file(content)
    assert parsed.duplicates == 10
    assert [(p.start, p.end, p.watts) for p in parsed.points] == rows


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", EmptyHistoryFileError),
        (b"\n\n", EmptyHistoryFileError),
        (b"date,value\n2024-01-01,3\n", UnknownFileFormatError),
        (b"\xd0\xcf\x11\xe0old excel", UnknownFileFormatError),
        (b"PK\x03\x04not a zip", UnreadableFileError),
        (b"debut;fin;kW\n2024-03-18T00:00;2024-03-18T00:30\n", UnreadableFileError),
        (b'debut;fin;kW\nhier;2024-03-18T00:30;"1"\n', UnreadableFileError),
        (b'debut;fin;kW\n2024-03-18T00:00;2024-03-18T00:30;"un"\n', UnreadableFileError),
        (REFERENCE_A.split(b"\n")[0], UnreadableFileError),
        ("Début;Fin;Valeur (en kW)\n31/02/2024 00:00:00;;1\n".encode(), UnreadableFileError),
        (b"\n".join(REFERENCE_A.split(b"\n")[:2]) + b"\nValeur;Horodate\n", UnreadableFileError),
    ],
)
def test_errors(content: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_history_file(content)


def test_unreadable_error_names_the_line() -> None:
    with pytest.raises(UnreadableFileError) as err:
        parse_history_file(b'debut;fin;kW\n2024-03-18T00:00;2024-03-18T00:30;"1"\nx;y;"2"\n')
    assert err.value.line == 3
    assert "line 3" in str(err.value)


def test_workbook_without_table() -> None:
    workbook = Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(UnknownFileFormatError):
        parse_history_file(buffer.getvalue())


def test_read_history_file(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(REFERENCE_C)
    assert len(read_history_file(str(path)).points) == 3
    with pytest.raises(UnreadableFileError):
        read_history_file(str(tmp_path / "missing.csv"))
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(FileTooLargeError) as err:
        read_history_file(str(big))
    assert err.value.reason is Reason.TOO_LARGE
    assert err.value.limit == MAX_FILE_BYTES == 10 * 2**20


def test_collapsed_fall_back_hour() -> None:
    """A file that writes the repeated autumn hour once: that hour is a gap, not 90 minutes."""
    content = (
        b'debut;fin;kW\n2024-10-27T01:30;2024-10-27T02:00;"1"\n'
        b'2024-10-27T02:00;2024-10-27T02:30;"1"\n2024-10-27T02:30;2024-10-27T03:00;"1"\n\n'
        b'2024-10-27T03:00;2024-10-27T03:30;"1"\n'
    )
    parsed = parse_history_file(content)
    assert [(p.start, p.end) for p in parsed.points] == [
        (utc(2024, 10, 26, 23, 30), utc(2024, 10, 27, 0, 0)),
        (utc(2024, 10, 27, 0, 0), utc(2024, 10, 27, 0, 30)),
        (utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 1, 0)),
        (utc(2024, 10, 27, 2, 0), utc(2024, 10, 27, 2, 30)),
    ]
    assert parsed.gaps() == [(utc(2024, 10, 27, 1, 0), utc(2024, 10, 27, 2, 0))]


def test_tolerated_oddities() -> None:
    """Windows-1252 text, hand-made offsets or none, R63 without ``Pas``, blank rows."""
    # Legacy CSV re-saved as Windows-1252 (accents), without offsets (hand-made).
    text = (
        "Identifiant PRM;Type de données;Date de début;Date de fin;Grandeur physique;"
        f"Grandeur métier;Etape métier;Unité;Pas en minutes\n{PRM};Courbe de charge;;;"
        "Énergie active;Consommation;Comptage Brut;W;30\nHorodate;Valeur\n"
        "2024-03-18T00:30:00;100\n2024-03-18T01:00:00;200"
    )
    parsed = parse_history_file(text.encode("cp1252"))
    assert parsed.prm == PRM
    assert [(p.start, p.watts) for p in parsed.points] == [
        (utc(2024, 3, 17, 23, 0), 100.0),
        (utc(2024, 3, 17, 23, 30), 200.0),
    ]
    # Conso Downloader with offsets (converted by a tool) and blank lines.
    parsed = parse_history_file(
        b'debut;fin;kW\n\n2024-03-18T00:00+01:00;2024-03-18T00:30+01:00;"0,5"\n'
    )
    assert parsed.points[0].start == utc(2024, 3, 17, 23, 0)
    # R63 without ``Pas`` values: the difference to the row before; a blank line skipped; a
    # stated ``Pas`` that is no load-curve step (``P1D``) makes a bad row.
    header = "Identifiant PRM;Grandeur métier;Unité;Horodate;Valeur;Pas"
    body = (
        f"{PRM};CONS;kW;2024-03-18 00:30:00;1;\n\n{PRM};CONS;kW;2024-03-18 01:00:00;2;\n"
        f"{PRM};CONS;kW;2024-03-18 01:30:00;2;P1D\n{PRM};CONS;kW;2024-03-18 03:00:00;3;\n"
    )
    parsed = parse_history_file((header + "\n" + body).encode())
    assert [(p.start, p.end, p.watts) for p in parsed.points] == [
        (utc(2024, 3, 17, 23, 0), utc(2024, 3, 17, 23, 30), 1000.0),
        (utc(2024, 3, 17, 23, 30), utc(2024, 3, 18, 0, 0), 2000.0),
        (utc(2024, 3, 18, 1, 30), utc(2024, 3, 18, 2, 0), 3000.0),
    ]
    assert parsed.bad_rows == 1
    with pytest.raises(UnreadableFileError):
        parse_history_file((header + f"\n{PRM};CONS\n").encode())


def test_xlsx_oddities() -> None:
    """Blank rows inside the table are skipped; a boolean or a missing date is an error."""
    for bad in ([True], [None]):
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(["Début", "Fin", "Valeur (en W)"])
        sheet.append(["18/03/2024 00:00:00", "18/03/2024 00:30:00", 500])
        sheet.append([None, None, None])
        if bad == [True]:
            sheet.append(["18/03/2024 00:30:00", "18/03/2024 01:00:00", True])
        else:
            sheet.append([None, "18/03/2024 01:00:00", "1"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        with pytest.raises(UnreadableFileError):
            parse_history_file(buffer.getvalue())
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Début", "Fin", "Valeur (en W)"])
    sheet.append(["18/03/2024 00:00:00", "18/03/2024 00:30:00", 500])
    sheet.append([None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert parse_history_file(buffer.getvalue()).points[0].watts == 500.0


def test_legacy_csv_saved_by_a_spreadsheet() -> None:
    """Excel turns the PRM into ``2,31282E+13`` and the Horodate into ``DD/MM/YYYY HH:MM``."""
    text = (
        LEGACY_HEADER + "\n2,31282E+13;Courbe de charge;29/06/2022;29/07/2023;Energie active;"
        "Consommation;Comptage Brut;W;\nHorodate;Valeur\n"
        "30/10/2022 02:30;188\n30/10/2022 02:00;318\n30/10/2022 02:30;216\n"
    )
    parsed = parse_history_file(text.encode("cp1252"), expected_prm=PRM)
    assert parsed.prm is None  # unknown: no meter check possible
    assert [(p.start, p.end, p.watts) for p in parsed.points] == [
        (utc(2022, 10, 30, 0, 0), utc(2022, 10, 30, 0, 30), 188.0),
        (utc(2022, 10, 30, 0, 30), utc(2022, 10, 30, 1, 0), 318.0),
        (utc(2022, 10, 30, 1, 0), utc(2022, 10, 30, 1, 30), 216.0),
    ]
