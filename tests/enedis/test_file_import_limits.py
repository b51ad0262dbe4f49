"""History-file imports under bad input (issue 19, items 5-9), through the action and the options.

What a user (or a hostile file) can do through ``delestage.linky_import_file`` and the Linky
options' upload step: readings no meter can have measured, a folder with broken files, paths
outside the folders Home Assistant allows, files and folders beyond what an export needs, two
imports (or an import and the back-fill) at the same time.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
import tracemalloc
from typing import Any

import aiohttp
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.recorder import get_instance
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.delestage.api.enedis import EnedisClient
from custom_components.delestage.const import DOMAIN
from custom_components.delestage.enedis import file_import
from custom_components.delestage.enedis.backfill import BackfillRunner, backfill_store
from custom_components.delestage.services import async_setup_services

from .conftest import open_linky_options
from .fake_enedis import PRM, FakeEnedis, fake, fake_server, quiet_sql
from .history_files import (
    conso_downloader_csv,
    huge_dimension,
    legacy_csv,
    portal_xlsx,
    readings,
    table_xlsx,
    utc,
)
from .test_backfill import client
from .test_file_import import config_dir, offline_entry
from .test_statistics import check_continuous

__all__ = ["client", "config_dir", "fake", "fake_server", "quiet_sql"]
pytestmark = pytest.mark.usefixtures("quiet_sql", "recorder_mock")

STAT = f"delestage:linky_{PRM}_consumption"
MB = 2**20


async def rows_of(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Every hourly row of the consumption series, whatever its date."""
    await async_wait_recording_done(hass)
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(1900, 1, 1, tzinfo=UTC),
        None,
        {STAT},
        "hour",
        None,
        {"state", "sum"},
    )
    return list(stats.get(STAT, []))


async def clear_series(hass: HomeAssistant) -> None:
    """Remove the consumption series from the recorder."""
    get_instance(hass).async_clear_statistics([STAT])
    await async_wait_recording_done(hass)


async def import_file(hass: HomeAssistant, entry_id: str, path: str) -> Any:
    """Call ``delestage.linky_import_file`` as a user would."""
    return await hass.services.async_call(
        DOMAIN,
        "linky_import_file",
        {"config_entry_id": entry_id, "path": path},
        blocking=True,
        return_response=True,
    )


@pytest.fixture
def allowed(hass: HomeAssistant, config_dir: Path) -> Path:
    """The configuration folder's ``linky`` folder, listed in ``allowlist_external_dirs``."""
    async_setup_services(hass)
    hass.config.allowlist_external_dirs = {str(config_dir / "linky")}
    return config_dir / "linky"


# --------------------------------------------------------------------------- item 5


async def test_implausible_rows_never_reach_the_statistics(
    hass: HomeAssistant, allowed: Path
) -> None:
    """A 20-year row, a future one, negative and 1e303 W: counted, not one hour written."""
    entry = offline_entry(hass)
    good = readings(date(2024, 3, 18), 1)
    future = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    bad = [
        (utc(2023, 1, 1), utc(2043, 1, 1), 500.0),
        (future, future + timedelta(minutes=30), 500.0),
        (utc(2024, 3, 19), utc(2024, 3, 19, 0, 30), -800.0),
        (utc(2024, 3, 19, 1), utc(2024, 3, 19, 1, 30), 1e303),
    ]
    (allowed / "conso.csv").write_bytes(conso_downloader_csv(good + bad))

    response = await import_file(hass, entry.entry_id, "linky/conso.csv")

    assert response["consumption"]["bad_rows"] == len(bad)
    assert response["consumption"]["hours_written"] == 24
    rows = await rows_of(hass)
    assert len(rows) == 24
    assert rows[0]["start"] == good[0][0].timestamp()
    assert rows[-1]["start"] == good[-1][0].timestamp() - 1800
    assert rows[-1]["sum"] == pytest.approx(sum(w * 0.5 for _s, _e, w in good) / 1000)  # type: ignore[operator]
    check_continuous(rows)


async def test_a_century_step_is_refused_through_the_options(
    hass: HomeAssistant, allowed: Path
) -> None:
    """An R63 whose only row says ``PT876000H``: the form says why, nothing is written."""
    entry = offline_entry(hass)
    (allowed / "r63.csv").write_bytes(
        f"Identifiant PRM;Horodate;Valeur;Pas\n{PRM};2024-03-18 00:30:00;500;PT876000H\n".encode()
    )
    result = await open_linky_options(hass, entry, "enedis_import_file")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"path": "linky/r63.csv", "direction": "auto"}
    )
    assert result["errors"] == {"base": "enedis_file_implausible"}
    assert await rows_of(hass) == []


# --------------------------------------------------------------------------- item 6


async def test_a_folder_skips_each_broken_file_with_its_reason(
    hass: HomeAssistant, allowed: Path
) -> None:
    """Broken files (year 1, ``²``, a 140 kB field, a damaged workbook) do not stop the others."""
    entry = offline_entry(hass)
    folder = allowed / "mixed"
    folder.mkdir()
    good = readings(date(2024, 3, 18), 1)
    (folder / "a_good.csv").write_bytes(conso_downloader_csv(good))
    (folder / "year_1.csv").write_bytes(b'debut;fin;kW\n0001-01-01T00:00;0001-01-01T00:30;"1"\n')
    (folder / "superscript.csv").write_bytes(
        legacy_csv(good[:2]).replace(b"Comptage Brut;W;", "Comptage Brut;W;²".encode())
    )
    (folder / "long_field.csv").write_bytes(
        b'debut;fin;kW\n2024-03-18T00:00;2024-03-18T00:30;"' + b"1" * 140_000 + b'"\n'
    )
    workbook = table_xlsx(good[:2])
    (folder / "cut.xlsx").write_bytes(workbook[: len(workbook) // 2])

    response = await import_file(hass, entry.entry_id, "linky/mixed")

    # The superscript "Pas en minutes" was only a hint: that file is read (the same day).
    assert response["files"] == ["a_good.csv", "superscript.csv"]
    assert response["skipped_files"] == {
        "cut.xlsx": "enedis_file_bad_workbook",
        "long_field.csv": "enedis_file_bad_layout",
        "year_1.csv": "enedis_file_implausible",
    }
    assert len(await rows_of(hass)) == 24


# --------------------------------------------------------------------------- item 7


async def test_only_folders_home_assistant_allows(hass: HomeAssistant, config_dir: Path) -> None:
    """``secrets.yaml``, ``.storage/auth``, the database: in the config folder, never readable."""
    async_setup_services(hass)
    entry = offline_entry(hass)
    media = config_dir / "media"
    media.mkdir()
    hass.config.media_dirs = {"local": str(media)}
    hass.config.allowlist_external_dirs = {str(config_dir / "www"), str(media)}  # the default
    (config_dir / "secrets.yaml").write_text("api_password: s3cr3t\n")
    (config_dir / ".storage").mkdir()
    (config_dir / ".storage" / "auth").write_text('{"data": "s3cr3t"}')
    (config_dir / "home-assistant_v2.db").write_bytes(b"SQLite format 3\x00")
    (media / "to_secrets.csv").symlink_to(config_dir / "secrets.yaml")
    (media / "conso.csv").write_bytes(conso_downloader_csv(readings(date(2024, 3, 18), 1)))

    for path in (
        "secrets.yaml",
        ".storage/auth",
        "home-assistant_v2.db",
        str(config_dir / "secrets.yaml"),
        "media/to_secrets.csv",
        "linky",
    ):
        with pytest.raises(ServiceValidationError) as err:
            await import_file(hass, entry.entry_id, path)
        assert err.value.translation_key == "enedis_file_outside_config", path

    done = await import_file(hass, entry.entry_id, str(media / "conso.csv"))
    assert done["consumption"]["hours_written"] == 24
    folder = await import_file(hass, entry.entry_id, "media")
    assert folder["skipped_files"] == {"to_secrets.csv": "enedis_file_outside_config"}


async def test_errors_never_echo_the_file(hass: HomeAssistant, allowed: Path) -> None:
    """What a file holds never comes back in an error (a secret in a bad date, a bad value)."""
    entry = offline_entry(hass)
    (allowed / "date.csv").write_bytes(b'debut;fin;kW\ns3cr3t-token;2024-03-18T00:30;"1"\n')
    (allowed / "value.csv").write_bytes(
        b'debut;fin;kW\n2024-03-18T00:00;2024-03-18T00:30;"s3cr3t"\n'
    )
    (allowed / "type.csv").write_bytes(
        b"Identifiant PRM;Type de donnees\n" + PRM.encode() + b";s3cr3t-token\n"
    )
    for name in ("date.csv", "value.csv", "type.csv"):
        with pytest.raises(ServiceValidationError) as err:
            await import_file(hass, entry.entry_id, f"linky/{name}")
        shown = [str(err.value), *(err.value.translation_placeholders or {}).values()]
        assert not any("s3cr3t" in text for text in shown), (name, shown)


async def test_errors_never_name_the_meter_in_full(hass: HomeAssistant, allowed: Path) -> None:
    """Enedis names its exports after the meter: an error (logged when an automation fails)
    shows the file and the path with the PRM masked (``…1234``), like every log line."""
    entry = offline_entry(hass)
    name = f"Enedis_Conso_Heure_20240318-20240325_{PRM}.csv"
    (allowed / name).write_bytes(b"Horodate;Valeur\n2024-03-18T00:30:00+01:00;abc\n")
    for path in (f"linky/{name}", f"linky/historique_conso_{PRM}.csv", f"/etc/{PRM}"):
        with pytest.raises(ServiceValidationError) as err:
            await import_file(hass, entry.entry_id, path)
        shown = [str(err.value), *(err.value.translation_placeholders or {}).values()]
        assert not any(PRM in text for text in shown), (path, shown)
        assert any(f"…{PRM[-4:]}" in text for text in shown), (path, shown)


# --------------------------------------------------------------------------- item 8


async def test_file_and_folder_bounds(hass: HomeAssistant, allowed: Path) -> None:
    """A file over 10 MB, a folder over 20 MB or 500 files: refused before anything is read."""
    entry = offline_entry(hass)
    week = conso_downloader_csv(readings(date(2024, 3, 18), 7))
    (allowed / "big.csv").write_bytes(week + b" " * (11 * MB))
    with pytest.raises(ServiceValidationError) as err:
        await import_file(hass, entry.entry_id, "linky/big.csv")
    assert err.value.translation_key == "enedis_file_too_large"
    assert err.value.translation_placeholders["limit"] == "10"

    # In a folder, such a file is skipped unread; the others are imported.
    mixed = allowed / "mixed"
    mixed.mkdir()
    (mixed / "big.csv").write_bytes(week + b" " * (11 * MB))
    (mixed / "week.csv").write_bytes(week)
    done = await import_file(hass, entry.entry_id, "linky/mixed")
    assert done["skipped_files"] == {"big.csv": "enedis_file_too_large"}
    assert done["files"] == ["week.csv"]
    await clear_series(hass)

    heavy = allowed / "heavy"
    heavy.mkdir()
    for number in range(3):
        (heavy / f"part{number}.csv").write_bytes(week + b" " * (8 * MB))
    many = allowed / "many"
    many.mkdir()
    for number in range(501):
        (many / f"week{number:03}.csv").write_bytes(week)
    for folder in ("linky/heavy", "linky/many"):
        with pytest.raises(ServiceValidationError) as err:
            await import_file(hass, entry.entry_id, folder)
        assert err.value.translation_key == "enedis_folder_too_large", folder
    assert await rows_of(hass) == []


async def test_folder_readings_bound(
    hass: HomeAssistant, allowed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More distinct readings in a folder than the bound (lowered here): refused, none written."""
    monkeypatch.setattr(file_import, "MAX_ROWS", 60)
    entry = offline_entry(hass)
    folder = allowed / "days"
    folder.mkdir()
    for day in (date(2024, 3, 18), date(2024, 3, 19)):
        (folder / f"{day}.csv").write_bytes(conso_downloader_csv(readings(day, 1)))
    with pytest.raises(ServiceValidationError) as err:
        await import_file(hass, entry.entry_id, "linky/days")
    assert err.value.translation_key == "enedis_folder_too_large"
    assert await rows_of(hass) == []


async def test_folder_memory_does_not_grow_with_the_files(
    hass: HomeAssistant, allowed: Path
) -> None:
    """60 copies of a fortnight take the memory of one (each file merged as soon as read).

    Each folder holds another fortnight, so both imports write as much. Before: every file's
    readings were held until the merge (+ 7.5 MB for these 60; ≈ 1.5 GB for big folders).
    """
    entry = offline_entry(hass)
    peaks = []
    for copies, first in ((1, date(2024, 3, 4)), (60, date(2024, 4, 1))):
        fortnight = conso_downloader_csv(readings(first, 14))
        folder = allowed / f"copies{copies}"
        folder.mkdir()
        for number in range(copies):
            (folder / f"export{number:02}.csv").write_bytes(fortnight)
        tracemalloc.start()
        try:
            response = await import_file(hass, entry.entry_id, f"linky/copies{copies}")
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert response["consumption"]["hours_written"] == 14 * 24
    assert peaks[1] - peaks[0] < 2 * MB, peaks


# --------------------------------------------------------------------------- item 9


async def test_concurrent_imports_into_a_meter_not_loaded(
    hass: HomeAssistant, allowed: Path
) -> None:
    """Two imports at once (the entry not loaded): one after the other, sums continuous."""
    entry = offline_entry(hass)
    first, second = readings(date(2024, 3, 4), 7), readings(date(2024, 3, 11), 7)
    (allowed / "first.csv").write_bytes(conso_downloader_csv(first))
    (allowed / "second.csv").write_bytes(conso_downloader_csv(second))

    await asyncio.gather(
        import_file(hass, entry.entry_id, "linky/first.csv"),
        import_file(hass, entry.entry_id, "linky/second.csv"),
    )

    rows = await rows_of(hass)
    assert len(rows) == 14 * 24
    check_continuous(rows)
    assert rows[-1]["sum"] == pytest.approx(sum(w * 0.5 for _s, _e, w in first + second) / 1000)  # type: ignore[operator]


async def test_imports_during_the_backfill(
    hass: HomeAssistant, allowed: Path, fake: FakeEnedis, client: EnedisClient
) -> None:
    """The API back-fill of the meter writes while files of older days are imported.

    Each import changes the older days (so it shifts every later sum); the back-fill writes a
    hundred windows meanwhile. One writer at a time: every sum follows from the one before.
    """
    fake.activation = fake.today - timedelta(days=90)  # a shorter back-fill
    entry = offline_entry(hass)
    older = readings(fake.today - timedelta(days=1200), 7)
    finished = asyncio.Event()

    async def backfill(runner: BackfillRunner) -> None:
        await runner.async_run()
        finished.set()

    async def imports() -> int:
        count = 0
        while not finished.is_set():
            count += 1
            factor = 1 + count % 2  # each import changes the days, so it shifts later sums
            rows = [(start, end, watts * factor) for start, end, watts in older]  # type: ignore[operator]
            (allowed / "older.csv").write_bytes(conso_downloader_csv(rows))
            await import_file(hass, entry.entry_id, "linky/older.csv")
        return count

    runner = BackfillRunner(hass, client, PRM, backfill_store(hass, "other"), today=fake.today)
    _, count = await asyncio.gather(backfill(runner), imports())
    assert count > 1
    rows = await rows_of(hass)
    check_continuous(rows)
    assert rows[0]["start"] == older[0][0].timestamp()


# --------------------------------------------------------------------------- item 4, upload


@pytest.mark.usefixtures("credentials")
async def test_hostile_workbook_uploaded_in_the_options(
    hass: HomeAssistant, config_dir: Path, hass_client: ClientSessionGenerator
) -> None:
    """5 kB that took 3 GiB: the form says the workbook is beyond bounds, nothing written."""
    assert await async_setup_component(hass, "file_upload", {})
    entry = offline_entry(hass)
    client = await hass_client()
    form = aiohttp.FormData()
    week = readings(date(2024, 3, 18), 7)[:-1]
    form.add_field("file", huge_dimension(portal_xlsx(week), sheet="sheet2.xml"), filename="x.xlsx")
    response = await client.post("/api/file_upload", data=form)
    file_id = (await response.json())["file_id"]

    result = await open_linky_options(hass, entry, "enedis_import_file")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"upload": file_id, "direction": "auto"}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "enedis_file_too_many_rows"}
    assert await rows_of(hass) == []
