"""Linky history from a downloaded file: same statistics as the API, action, options step."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch

import aiohttp
from aiohttp.test_utils import TestServer
from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers.recorder import get_instance
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.delestage.api.enedis import EnedisClient
from custom_components.delestage.api.enedis_files import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    EmptyHistoryFileError,
    FileTooLargeError,
    HistoryFileError,
    ImplausibleFileError,
    Reason,
    UnknownFileFormatError,
    UnreadableFileError,
    UnsupportedDataError,
    WrongMeterFileError,
)
from custom_components.delestage.api.enedis_models import CurvePoint
from custom_components.delestage.const import DOMAIN
from custom_components.delestage.enedis.backfill import BackfillRunner
from custom_components.delestage.enedis.file_import import (
    FileImport,
    async_import_path,
    complete_hours,
    file_error,
)
from custom_components.delestage.enedis.history import async_import_history
from custom_components.delestage.enedis.statistics import EnergyKind
from custom_components.delestage.services import async_setup_services

from ..translations import LANGUAGES, lookup
from .conftest import make_entry, open_linky_options, paris_today, yesterday
from .fake_enedis import (
    CLIENT_ID,
    CLIENT_SECRET,
    PRM,
    FakeEnedis,
    base_url,
    fake,
    fake_server,
    quiet_sql,
)
from .history_files import (
    conso_downloader_csv,
    gateway_readings,
    legacy_csv,
    portal_xlsx,
    readings,
    utc,
)
from .test_files import REFERENCE_C
from .test_init import setup_entry
from .test_statistics import check_continuous, read_rows

__all__ = ["fake", "fake_server", "quiet_sql"]
pytestmark = pytest.mark.usefixtures("quiet_sql")

STAT = f"delestage:linky_{PRM}_consumption"
PRODUCTION_STAT = f"delestage:linky_{PRM}_production"


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A configuration folder of the test's own, with a ``linky`` folder for the files.

    Home Assistant's default readable folders (``www``, the media folder), plus ``linky``: as
    a user who listed ``/config/linky`` in ``allowlist_external_dirs``.
    """
    hass.config.config_dir = str(tmp_path)
    hass.config.media_dirs = {"local": str(tmp_path / "media")}
    hass.config.allowlist_external_dirs = {
        str(tmp_path / "www"),
        str(tmp_path / "media"),
        str(tmp_path / "linky"),
    }
    (tmp_path / "linky").mkdir()
    return tmp_path


def offline_entry(hass: HomeAssistant) -> MockConfigEntry:
    """An Enedis entry that is not set up (statistics need only the recorder)."""
    entry = make_entry("http://127.0.0.1:9")
    entry.add_to_hass(hass)
    return entry


async def async_import_file(
    hass: HomeAssistant, entry: MockConfigEntry, path: str, direction: str | None = None
) -> FileImport:
    """Import one file; its only direction's figures."""
    report = await async_import_path(hass, entry, path, direction)
    assert len(report.imports) == 1
    return report.imports[0]


def hours(rows: list[dict[str, Any]]) -> list[tuple[float, float, float]]:
    """(start, state, sum) of each row, rounded to the Wh."""
    return [(row["start"], round(row["state"], 6), round(row["sum"], 6)) for row in rows]


async def clear(hass: HomeAssistant, *stat_ids: str) -> None:
    """Remove the series from the recorder."""
    get_instance(hass).async_clear_statistics(list(stat_ids))
    await async_wait_recording_done(hass)


# --------------------------------------------------------------------------- same as the API


@pytest.mark.usefixtures("recorder_mock")
async def test_file_import_equals_api_import_hour_by_hour(
    hass: HomeAssistant, config_dir: Path, fake: FakeEnedis, fake_server: TestServer
) -> None:
    """API import, then each file layout alone: the same hours, states and sums to the Wh.

    Weeks around both DST changes of 2026 (23 h and 25 h days) and a day with 10/20/30-minute
    steps; the files hold what the (fake) Enedis API serves for those days.
    """
    fake.per_second = None
    odd = date(2026, 10, 21)
    fake.steps = lambda day: [10, 20, 30] if day == odd else [30]
    ranges = [(date(2026, 3, 26), 7), (date(2026, 10, 20), 7)]
    entry = offline_entry(hass)
    async with aiohttp.ClientSession() as session:
        client = EnedisClient(session, CLIENT_ID, CLIENT_SECRET, base_url=base_url(fake_server))
        for first, days in ranges:
            await async_import_history(
                hass,
                client,
                PRM,
                EnergyKind.CONSUMPTION,
                start=first,
                end=first + timedelta(days=days),
                with_curve=True,
            )
        api_rows = await read_rows(hass)
        assert len(api_rows) == 14 * 24  # with a 23 h day and a 25 h day
        contents = {
            "legacy.csv": legacy_csv(
                r for first, days in ranges for r in gateway_readings(fake, first, days)
            ),
            "historique_conso.csv": conso_downloader_csv(
                r for first, days in ranges for r in gateway_readings(fake, first, days)
            ),
        }
        for name, content in contents.items():
            await clear(hass, STAT)
            (config_dir / "linky" / name).write_bytes(content)
            result = await async_import_file(hass, entry, f"linky/{name}")
            assert result.incomplete_hours == 0
            assert result.hours_written == len(api_rows)
            file_rows = await read_rows(hass)
            assert hours(file_rows) == hours(api_rows), name
            # The API import over it changes nothing.
            again = await async_import_history(
                hass,
                client,
                PRM,
                EnergyKind.CONSUMPTION,
                start=ranges[1][0],
                end=ranges[1][0] + timedelta(days=7),
                with_curve=True,
            )
            assert again.hours_changed == 0
    # The portal's weekly XLSX never holds the last half-hour: that hour keeps what was there.
    for index, (first, days) in enumerate(ranges):
        path = config_dir / "linky" / f"week{index}.xlsx"
        path.write_bytes(portal_xlsx(gateway_readings(fake, first, days)[:-1]))
        result = await async_import_file(hass, entry, str(path))
        assert result.file_format == "enedis_xlsx"
        assert result.hours_written == 0
        assert result.incomplete_hours == 1
    assert hours(await read_rows(hass)) == hours(api_rows)


# --------------------------------------------------------------------------- merge, idempotence


@pytest.mark.usefixtures("recorder_mock")
async def test_reimport_and_merge(hass: HomeAssistant, config_dir: Path) -> None:
    """Re-import writes nothing; a file over other data replaces its complete hours only."""
    entry = offline_entry(hass)
    first = date(2024, 10, 24)
    rows = readings(first, 7)  # 25 h day on the 27th
    path = config_dir / "linky" / "export.csv"
    path.write_bytes(legacy_csv(rows))

    done = await async_import_file(hass, entry, "linky/export.csv")
    assert done.hours_written == done.hours_in_file == 7 * 24 + 1
    before = await read_rows(hass)
    check_continuous(before)
    assert before[-1]["sum"] == pytest.approx(sum(w * 0.5 for _s, _e, w in rows) / 1000)  # type: ignore[operator]

    again = await async_import_file(hass, entry, "linky/export.csv")
    assert again.hours_written == 0
    assert hours(await read_rows(hass)) == hours(before)

    # A second file: one day doubled, two half-hours missing (NaN), one hour half-covered.
    day = readings(first + timedelta(days=2), 1)
    changed = [(s, e, w * 2) for s, e, w in day]  # type: ignore[operator]
    changed[20] = (changed[20][0], changed[20][1], None)
    changed[21] = (changed[21][0], changed[21][1], None)
    (config_dir / "linky" / "day.csv").write_bytes(conso_downloader_csv(changed[:-1]))
    merged = await async_import_file(hass, entry, "linky/day.csv")
    assert merged.hours_in_file == 22  # 24 - the NaN hour - the half-covered last hour
    assert merged.incomplete_hours == 1  # the last hour (the NaN hour has no reading at all)
    assert len(merged.gaps) == 1
    after = await read_rows(hass)
    check_continuous(after)
    assert len(after) == len(before)
    by_start = {row["start"]: row for row in before}
    untouched = {changed[20][0].timestamp(), changed[-2][0].timestamp()}
    for row in after:
        if row["start"] in untouched:
            assert row["state"] == pytest.approx(by_start[row["start"]]["state"])
    extra = merged.kwh / 2
    assert after[-1]["sum"] == pytest.approx(before[-1]["sum"] + extra)

    response = merged.as_dict()
    assert response["format"] == "conso_downloader"
    assert response["start"] == "2024-10-26T00:00:00+02:00"
    assert response["gaps"] == [
        {"start": "2024-10-26T10:00:00+02:00", "end": "2024-10-26T11:00:00+02:00"}
    ]


def test_complete_hours() -> None:
    rows = readings(date(2024, 3, 18), 1, step_minutes=15)[:-1]
    points = [CurvePoint(end=e, start=s, watts=w or 0.0) for s, e, w in rows]
    full, partial = complete_hours(points)
    assert len(full) == 23
    assert partial == 1
    assert full[utc(2024, 3, 17, 23)] == pytest.approx(sum(p.wh for p in points[:4]))


# --------------------------------------------------------------------------- action


@pytest.mark.usefixtures("recorder_mock", "credentials")
async def test_action(
    hass: HomeAssistant, config_dir: Path, api_url: str, gateway: FakeEnedis
) -> None:
    """The action on a loaded entry: response, API data kept, errors translated."""
    gateway.activation = paris_today() - timedelta(days=10)
    entry = make_entry(api_url)
    await setup_entry(hass, entry)
    api_rows = await read_rows(hass)
    last = yesterday()
    first = last - timedelta(days=6)
    (config_dir / "linky" / "conso.csv").write_bytes(
        conso_downloader_csv(gateway_readings(gateway, first, 7))
    )

    async def call(path: str, **extra: Any) -> Any:
        return await hass.services.async_call(
            DOMAIN,
            "linky_import_file",
            {"config_entry_id": entry.entry_id, "path": path, **extra},
            blocking=True,
            return_response=True,
        )

    response = await call("linky/conso.csv")
    assert response["files"] == ["conso.csv"]
    assert response["skipped_files"] == {}
    assert list(response) == ["files", "skipped_files", "consumption"]
    consumption = response["consumption"]
    assert consumption["hours_written"] == 0  # what the API brought, to the Wh
    assert consumption["hours_in_file"] == 7 * 24
    assert consumption["statistic_id"] == STAT
    assert consumption["direction"] == "consumption"
    assert consumption["gap_count"] == 0
    assert hours(await read_rows(hass)) == hours(api_rows)

    # Errors.
    (config_dir / "linky" / "other.csv").write_bytes(
        legacy_csv(readings(first, 1), prm="12345678901234")
    )
    (config_dir / "linky" / "unknown.csv").write_bytes(b"date;value\n")
    (config_dir / "linky" / "empty.csv").write_bytes(b"debut;fin;kW\n")
    (config_dir / "linky" / "bad.csv").write_bytes(b'debut;fin;kW\nx;y;"1"\n')
    (config_dir / "linky" / "pmax.csv").write_bytes(
        b"Identifiant PRM;Type de donnees\n" + PRM.encode() + b";Puissance maximale quotidienne\n"
    )
    (config_dir / "linky" / "prod.xlsx").write_bytes(
        portal_xlsx(readings(first, 1), kind="Production")
    )
    outside = config_dir.parent / "outside.csv"
    outside.write_bytes(b"debut;fin;kW\n")
    for path, key in (
        ("linky/missing.csv", "enedis_file_not_found"),
        ("   ", "enedis_file_not_found"),
        ("../outside.csv", "enedis_file_outside_config"),
        (str(outside), "enedis_file_outside_config"),
        ("linky/other.csv", "enedis_file_wrong_meter"),
        ("linky/unknown.csv", "enedis_file_unknown_format"),
        ("linky/empty.csv", "enedis_file_empty"),
        ("linky/bad.csv", "enedis_file_bad_date"),
        ("linky/pmax.csv", "enedis_file_not_load_curve"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(path)
        assert err.value.translation_key == key, path
    with pytest.raises(ServiceValidationError) as err:
        await call("linky/prod.xlsx", direction="consumption")
    assert err.value.translation_key == "enedis_file_holds_production"
    assert err.value.translation_placeholders["direction"] == "production"

    # A production file goes to the production series (no call to Enedis needed).
    produced = await call("linky/prod.xlsx")
    assert produced["production"]["statistic_id"] == PRODUCTION_STAT
    assert len(await read_rows(hass, PRODUCTION_STAT)) == 24
    forced = await call("linky/conso.csv", direction="production")
    assert forced["production"]["statistic_id"] == PRODUCTION_STAT

    # A folder: every file of this meter, per direction; the others skipped, with the reason.
    folder = await call("linky")
    assert folder["files"] == ["conso.csv", "prod.xlsx"]
    assert folder["skipped_files"] == {
        "bad.csv": "enedis_file_bad_date",
        "empty.csv": "enedis_file_empty",
        "other.csv": "enedis_file_wrong_meter",
        "pmax.csv": "enedis_file_not_load_curve",
        "unknown.csv": "enedis_file_unknown_format",
    }
    assert folder["consumption"]["hours_written"] == 0
    assert folder["production"]["statistic_id"] == PRODUCTION_STAT
    only = await call("linky", direction="production")
    assert only["files"] == ["conso.csv", "prod.xlsx"]
    assert list(only) == ["files", "skipped_files", "production"]
    # Symbolic links leading outside the configuration folder are refused, in a folder too.
    (config_dir / "linky" / "link.csv").symlink_to(outside)
    with pytest.raises(ServiceValidationError) as err:
        await call("linky/link.csv")
    assert err.value.translation_key == "enedis_file_outside_config"
    assert (await call("linky"))["skipped_files"]["link.csv"] == "enedis_file_outside_config"
    # A folder the user allowed (allowlist_external_dirs) is fine; the others are not.
    shared = config_dir.parent / f"{config_dir.name}_share"
    shared.mkdir()
    (shared / "conso.csv").write_bytes((config_dir / "linky" / "conso.csv").read_bytes())
    with pytest.raises(ServiceValidationError) as err:
        await call(str(shared / "conso.csv"))
    assert err.value.translation_key == "enedis_file_outside_config"
    hass.config.allowlist_external_dirs.add(str(shared))
    assert (await call(str(shared / "conso.csv")))["files"] == ["conso.csv"]
    (config_dir / "linky" / "nothing").mkdir()
    (config_dir / "linky" / "nothing" / ".hidden.csv").write_bytes(REFERENCE_C)
    (config_dir / "linky" / "nothing" / "sub").mkdir()
    with pytest.raises(ServiceValidationError) as err:
        await call("linky/nothing")
    assert err.value.translation_key == "enedis_folder_without_history"

    # Refused while the API back-fill writes.
    with (
        patch.object(BackfillRunner, "running", new_callable=PropertyMock, return_value=True),
        pytest.raises(HomeAssistantError) as busy,
    ):
        await call("linky/conso.csv")
    assert busy.value.translation_key == "enedis_backfill_running"

    # Not an Enedis entry.
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "linky_import_file",
            {"config_entry_id": "nope", "path": "linky/conso.csv"},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "enedis_entry_not_found"


@pytest.mark.usefixtures("recorder_mock")
async def test_action_is_admin_only(
    hass: HomeAssistant, config_dir: Path, hass_read_only_user: MockUser
) -> None:
    """It reads files of the host: a user who is not an administrator cannot call it."""
    async_setup_services(hass)
    entry = offline_entry(hass)
    user = hass_read_only_user
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "linky_import_file",
            {"config_entry_id": entry.entry_id, "path": "linky/x.csv"},
            blocking=True,
            return_response=True,
            context=Context(user_id=user.id),
        )


# --------------------------------------------------------------------------- options step


@pytest.mark.usefixtures("recorder_mock")
async def test_options_step(hass: HomeAssistant, config_dir: Path) -> None:
    """The entry's options: name a file, see what was imported; no option is stored."""
    entry = offline_entry(hass)
    (config_dir / "linky" / "week.xlsx").write_bytes(
        portal_xlsx(readings(date(2024, 3, 18), 7)[:-1])
    )

    result = await open_linky_options(hass, entry, "enedis_import_file")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "enedis_import_file"
    # The folders Home Assistant lets integrations read are named in the form.
    assert result["description_placeholders"]["folders"] == ", ".join(
        f"`{config_dir / name}`" for name in ("linky", "media", "www")
    )

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"path": "linky/nothing.xlsx", "direction": "auto"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "enedis_file_not_found"}
    assert result["description_placeholders"]["path"] == "linky/nothing.xlsx"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"path": "linky/week.xlsx", "direction": "auto"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "enedis_import_file_result"
    placeholders = result["description_placeholders"]
    assert placeholders["rows"] == "335"
    assert placeholders["first"] == "2024-03-18 00:00"
    assert placeholders["last"] == "2024-03-24 23:30"
    assert placeholders["hours"] == "167"
    assert placeholders["written"] == "167"
    assert placeholders["incomplete"] == "1"
    assert placeholders["gaps"] == "0"
    assert len(await read_rows(hass)) == 167

    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {}

    # A folder of weekly exports (the same week again, and the next one): one import.
    weeks = config_dir / "linky" / "weeks"
    weeks.mkdir()
    (weeks / "a.xlsx").write_bytes(portal_xlsx(readings(date(2024, 3, 18), 7)[:-1]))
    (weeks / "b.xlsx").write_bytes(portal_xlsx(readings(date(2024, 3, 25), 7)[:-1]))
    (weeks / "notes.txt").write_bytes(b"mes exports Enedis")
    result = await open_linky_options(hass, entry, "enedis_import_file")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"path": "linky/weeks", "direction": "auto"}
    )
    assert result["step_id"] == "enedis_import_file_result"
    placeholders = result["description_placeholders"]
    assert placeholders["files"] == "2"
    assert placeholders["skipped"] == "notes.txt"
    assert placeholders["rows"] == "668"  # 335 + 333 (a 23 h day)
    # 31 March is a 23 h day: 2 × 168 - 1 hours, two of them without their last half-hour.
    assert placeholders["hours"] == str(2 * 168 - 1 - 2)
    assert placeholders["written"] == str(168 - 1 - 1)  # the first week was there already
    assert placeholders["incomplete"] == "2"
    assert placeholders["last"] == "2024-03-31 23:30"


@pytest.mark.usefixtures("recorder_mock")
@pytest.mark.parametrize(
    ("kind", "chosen", "english", "french"),
    [
        ("Consommation", "production", "consumption", "consommation"),
        ("Production", "consumption", "production", "production"),
    ],
)
async def test_wrong_direction_reads_naturally(
    hass: HomeAssistant, config_dir: Path, kind: str, chosen: str, english: str, french: str
) -> None:
    """A file of the other direction: the form names it in the user's language, not as a value."""
    entry = offline_entry(hass)
    (config_dir / "linky" / "week.xlsx").write_bytes(
        portal_xlsx(readings(date(2024, 3, 18), 1), kind=kind)
    )

    result = await open_linky_options(hass, entry, "enedis_import_file")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"path": "linky/week.xlsx", "direction": chosen}
    )

    assert result["type"] is FlowResultType.FORM
    key = result["errors"]["base"]
    placeholders = result["description_placeholders"]
    texts = {
        language: lookup(language, f"options.error.{key}").format(**placeholders)
        for language in LANGUAGES
    }
    assert "week.xlsx" in texts["en"]
    assert f"holds {english} data" in texts["en"]
    assert f"données de {french}" in texts["fr"]
    assert "consumption" not in texts["fr"]
    assert texts == {
        language: lookup(language, f"exceptions.{key}.message").format(**placeholders)
        for language in LANGUAGES
    }


@pytest.mark.usefixtures("recorder_mock")
async def test_options_step_write_failure(hass: HomeAssistant, config_dir: Path) -> None:
    """The recorder refused the rows: the form says so, nothing is half-written."""
    entry = offline_entry(hass)
    (config_dir / "linky" / "c.csv").write_bytes(REFERENCE_C)
    result = await open_linky_options(hass, entry, "enedis_import_file")
    with patch("custom_components.delestage.enedis.statistics.async_upsert", return_value=False):
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"path": "linky/c.csv", "direction": "auto"}
        )
    assert result["errors"] == {"base": "enedis_statistics_not_written"}
    assert await read_rows(hass) == []


@pytest.mark.usefixtures("recorder_mock", "credentials")
async def test_options_step_upload(
    hass: HomeAssistant, config_dir: Path, hass_client: ClientSessionGenerator
) -> None:
    """The file uploaded in the form (no need to copy it to the configuration folder)."""
    assert await async_setup_component(hass, "file_upload", {})
    entry = offline_entry(hass)
    client = await hass_client()
    form = aiohttp.FormData()
    form.add_field("file", portal_xlsx(readings(date(2024, 3, 18), 7)[:-1]), filename="export.xlsx")
    response = await client.post("/api/file_upload", data=form)
    assert response.status == 200
    file_id = (await response.json())["file_id"]

    result = await open_linky_options(hass, entry, "enedis_import_file")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"direction": "auto"}
    )
    assert result["errors"] == {"base": "enedis_file_missing"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"upload": file_id, "direction": "auto"}
    )
    assert result["step_id"] == "enedis_import_file_result"
    assert result["description_placeholders"]["rows"] == "335"
    assert len(await read_rows(hass)) == 167

    # An upload is used once (Home Assistant deletes it afterwards).
    result = await open_linky_options(hass, entry, "enedis_import_file")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"upload": file_id, "direction": "auto"}
    )
    assert result["errors"] == {"base": "enedis_upload_missing"}


# --------------------------------------------------------------------------- texts


# One error of each reason, as the parser raises them.
REASON_EXAMPLES: list[HistoryFileError] = [
    UnknownFileFormatError("x"),
    UnsupportedDataError("Index"),
    WrongMeterFileError("12345678901234"),
    EmptyHistoryFileError("x"),
    ImplausibleFileError(3),
    FileTooLargeError(Reason.TOO_LARGE, MAX_FILE_BYTES),
    FileTooLargeError(Reason.TOO_MANY_ROWS, MAX_ROWS),
    FileTooLargeError(Reason.TOO_MANY_CELLS, 1_000_000),
    UnreadableFileError("x", reason=Reason.BAD_WORKBOOK),
    UnreadableFileError("x", 7, reason=Reason.BAD_VALUE),
    UnreadableFileError("x", 7, reason=Reason.BAD_DATE),
    UnreadableFileError("x", 7, reason=Reason.BAD_LAYOUT),
    UnreadableFileError("x"),
]


def test_every_reason_has_an_example() -> None:
    assert {error.reason for error in REASON_EXAMPLES} == set(Reason)


@pytest.mark.parametrize("error", REASON_EXAMPLES, ids=lambda error: str(error.reason))
def test_every_reason_has_its_texts(error: HistoryFileError) -> None:
    """Each reason: a text in both languages, for the action and the form, all filled in."""
    validation = file_error("export.csv", error)
    key = validation.translation_key
    assert key == f"enedis_file_{error.reason}"
    placeholders = validation.translation_placeholders or {}
    for language in LANGUAGES:
        for path in (f"exceptions.{key}.message", f"options.error.{key}"):
            text = lookup(language, path)
            assert text, (language, path)
            assert "export.csv" in text.format(**placeholders), (language, path)
