"""The tariff split hears every consumption import and every Tempo source, as a user adds them.

Issue 19, items 1 and 2: a history file (the ``linky_import_file`` action or the options
upload) fills the off-peak, Tempo and cost series like an API refresh does, whether the tariff
was chosen before or after the import; an RTE entry added after a Tempo meter brings the
waiting Tempo series and cost without reloading the meter, and its repair issue goes away.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.report.model import prices_from_cost
from custom_components.delestage.report.recorder import async_read_inputs
from tests.enedis.conftest import open_linky_options, paris_today
from tests.enedis.history_files import conso_downloader_csv, readings
from tests.enedis.test_init import hourly_sums
from tests.tariff.shown import shown_and_recorded
from tools.sandbox import SandboxState
from tools.sandbox.state import CONSUMER_PRM

from .stack import TEMPO_OPTIONS, add_with_options, async_settle, linky_entry, rte_entry

pytestmark = pytest.mark.usefixtures("recorder_mock", "quiet_sql")

SIX = [f"{color}_{period}" for color in ("blue", "white", "red") for period in ("hp", "hc")]
HP_HC_OPTIONS: dict[str, Any] = {
    "tariff": "hp_hc",
    "offpeak_hours": "22:00-06:00",
    "prices": {"hp": 0.27, "hc": 0.2},
}


def stat(series: str) -> str:
    """Statistic id of one of the simulated meter's series."""
    return f"{DOMAIN}:linky_{CONSUMER_PRM}_{series}"


async def rows(hass: HomeAssistant, series: str) -> dict[float, float]:
    """Hour start → kWh (or €) of one series."""
    return {row["start"]: row["state"] for row in await hourly_sums(hass, stat(series))}


def file_days() -> tuple[date, int]:
    """Ten days a month before the meter's activation: only the file knows them."""
    return paris_today() - timedelta(days=45), 10


def write_history_file(hass: HomeAssistant, tmp_path: Path) -> bytes:
    """A Conso Downloader export of those days, in a folder the user lets integrations read."""
    hass.config.config_dir = str(tmp_path)
    hass.config.allowlist_external_dirs = {str(tmp_path / "linky")}
    content = conso_downloader_csv(readings(*file_days()))
    (tmp_path / "linky").mkdir()
    (tmp_path / "linky" / "conso.csv").write_bytes(content)
    return content


async def import_by_action(hass: HomeAssistant, entry_id: str) -> None:
    """``delestage.linky_import_file`` on the file of the configuration folder."""
    await hass.services.async_call(
        DOMAIN,
        "linky_import_file",
        {"config_entry_id": entry_id, "path": "linky/conso.csv"},
        blocking=True,
        return_response=True,
    )


async def import_by_upload(
    hass: HomeAssistant, entry_id: str, content: bytes, client: ClientSessionGenerator
) -> None:
    """The Linky options' file import step, with the file uploaded in the form."""
    assert await async_setup_component(hass, "file_upload", {})
    form = aiohttp.FormData()
    form.add_field("file", content, filename="conso.csv")
    response = await (await client()).post("/api/file_upload", data=form)
    assert response.status == 200
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    result = await open_linky_options(hass, entry, "enedis_import_file")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"upload": (await response.json())["file_id"], "direction": "auto"}
    )
    assert result["step_id"] == "enedis_import_file_result"


def file_hours(consumption: dict[float, float]) -> dict[float, float]:
    """The hours of ``consumption`` that come from the file (before the meter's activation)."""
    first, days = file_days()
    start = readings(first, 1)[0][0].timestamp()
    end = readings(first + timedelta(days=days - 1), 1)[-1][1].timestamp()
    return {hour: kwh for hour, kwh in consumption.items() if start <= hour < end}


async def assert_split(hass: HomeAssistant, *, tempo: bool) -> None:
    """Every hour of the file is split (to the Wh) and priced."""
    imported = file_hours(await rows(hass, "consumption"))
    assert len(imported) >= 9 * 24
    hp, hc, cost = [await rows(hass, s) for s in ("consumption_hp", "consumption_hc", "cost")]
    six = [await rows(hass, series) for series in SIX] if tempo else []
    for hour, kwh in imported.items():
        assert hp[hour] + hc[hour] == pytest.approx(kwh, abs=1e-6)
        assert hour in cost
        if tempo:
            assert sum(series[hour] for series in six) == pytest.approx(kwh, abs=1e-6)


@pytest.mark.parametrize("path", ["action", "upload"])
async def test_a_history_file_reaches_the_tempo_split_and_the_cost(
    hass: HomeAssistant,
    simulator: tuple[SandboxState, str],
    tmp_path: Path,
    hass_client: ClientSessionGenerator,
    path: str,
) -> None:
    """Tempo chosen first, then a file imported: its hours get the six series and the cost."""
    _state, root = simulator
    rte_entry(root).add_to_hass(hass)
    entry = add_with_options(hass, linky_entry(root), TEMPO_OPTIONS)
    assert await async_setup_component(hass, DOMAIN, {})
    await async_settle(hass)
    content = write_history_file(hass, tmp_path)

    if path == "action":
        await import_by_action(hass, entry.entry_id)
    else:
        await import_by_upload(hass, entry.entry_id, content, hass_client)
    await async_settle(hass)

    await assert_split(hass, tempo=True)
    # The report's prices (cost ÷ consumption, per hour) cover the file's hours too.
    first, days = file_days()
    start = readings(first, 1)[0][0]
    consumption, cost, _ = await async_read_inputs(
        hass, CONSUMER_PRM, None, start, start + timedelta(days=days)
    )
    prices = prices_from_cost(consumption, cost)
    assert len(prices) >= 9 * 24
    assert min(prices.values()) > 0.13  # at least the cheapest Tempo price


async def test_a_tariff_chosen_after_a_file_import_covers_the_file(
    hass: HomeAssistant, simulator: tuple[SandboxState, str], tmp_path: Path
) -> None:
    """A file imported with no tariff yet, then HP/HC chosen in the options: the file is split."""
    _state, root = simulator
    entry = linky_entry(root)
    entry.add_to_hass(hass)
    assert await async_setup_component(hass, DOMAIN, {})
    await async_settle(hass)
    write_history_file(hass, tmp_path)
    await import_by_action(hass, entry.entry_id)
    await async_settle(hass)
    assert not await rows(hass, "consumption_hp")

    result = await open_linky_options(hass, entry, "enedis_tariff")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"tariff": "hp_hc", "subscription": 0}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"offpeak_hours": HP_HC_OPTIONS["offpeak_hours"]}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"price_hp": 0.27, "price_hc": 0.2}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await async_settle(hass)

    await assert_split(hass, tempo=False)


async def test_an_rte_entry_added_later_brings_the_waiting_tempo_series(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    """Tempo without RTE waits (repair issue); adding the RTE entry fills it, no reload."""
    _state, root = simulator
    entry = add_with_options(hass, linky_entry(root), TEMPO_OPTIONS)
    assert await async_setup_component(hass, DOMAIN, {})
    await async_settle(hass)
    issue = f"enedis_tempo_needs_rte_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue) is not None
    consumption = await rows(hass, "consumption")
    assert len(consumption) >= 19 * 24
    assert await rows(hass, "consumption_hp")
    assert not await rows(hass, "cost")

    rte = rte_entry(root)
    rte.add_to_hass(hass)
    assert await hass.config_entries.async_setup(rte.entry_id)
    await async_settle(hass)

    assert ir.async_get(hass).async_get_issue(DOMAIN, issue) is None
    six = [await rows(hass, series) for series in SIX]
    cost = await rows(hass, "cost")
    for hour, kwh in consumption.items():
        assert sum(series[hour] for series in six) == pytest.approx(kwh, abs=1e-6)
        assert hour in cost


async def test_a_file_imported_into_a_meter_not_loaded_is_split_when_it_starts(
    hass: HomeAssistant, simulator: tuple[SandboxState, str], tmp_path: Path
) -> None:
    """A file imported while the entry is not loaded (a gateway in reauth) is kept for the split."""
    _state, root = simulator
    assert await async_setup_component(hass, DOMAIN, {})
    entry = add_with_options(hass, linky_entry(root), HP_HC_OPTIONS)
    write_history_file(hass, tmp_path)
    await import_by_action(hass, entry.entry_id)
    await async_settle(hass)
    assert file_hours(await rows(hass, "consumption"))
    assert not await rows(hass, "consumption_hp")

    assert await hass.config_entries.async_setup(entry.entry_id)
    await async_settle(hass)

    await assert_split(hass, tempo=False)


async def assert_sensors_show_the_statistics(hass: HomeAssistant) -> float | None:
    """Cost yesterday and this month, the six Tempo periods this month: each sensor's number
    is its statistic's change over the sensor's day or month."""
    for key in ("cost_yesterday", "cost_month", *(f"month_{series}" for series in SIX)):
        shown, recorded = await shown_and_recorded(hass, CONSUMER_PRM, key)
        if recorded is None:  # the 1st of a month: no day of it yet, on either side
            assert shown is None, key
        else:
            assert shown == pytest.approx(recorded, abs=1e-3), key
    return (await shown_and_recorded(hass, CONSUMER_PRM, "cost_yesterday"))[0]


async def test_the_cost_sensors_show_the_statistics_after_a_restart_without_rte(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    """Issue 20: the sensors and the statistics are one computation. The meter restarts while
    the RTE entry is not loaded (RTE down at start-up): no colour for the Tempo hours, but the
    statistics keep their costs, so the sensors show them instead of "unknown"."""
    _state, root = simulator
    rte = rte_entry(root)
    rte.add_to_hass(hass)
    entry = add_with_options(hass, linky_entry(root), TEMPO_OPTIONS)
    assert await async_setup_component(hass, DOMAIN, {})
    await async_settle(hass)
    before = await assert_sensors_show_the_statistics(hass)
    assert before

    assert await hass.config_entries.async_unload(rte.entry_id)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await async_settle(hass)

    assert await assert_sensors_show_the_statistics(hass) == before


async def test_an_rte_entry_removed_then_added_again_brings_the_waiting_tempo_series(
    hass: HomeAssistant,
    simulator: tuple[SandboxState, str],
    tmp_path: Path,
) -> None:
    """RTE removed, a file imported (its Tempo hours wait, repair), RTE added again: filled."""
    state, root = simulator
    rte = rte_entry(root)
    rte.add_to_hass(hass)
    entry = add_with_options(hass, linky_entry(root), TEMPO_OPTIONS)
    assert await async_setup_component(hass, DOMAIN, {})
    await async_settle(hass)
    issue = f"enedis_tempo_needs_rte_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue) is None

    assert await hass.config_entries.async_remove(rte.entry_id)
    await async_settle(hass)
    write_history_file(hass, tmp_path)
    await import_by_action(hass, entry.entry_id)
    await async_settle(hass)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue) is not None
    assert not file_hours(await rows(hass, "blue_hp")) | file_hours(await rows(hass, "blue_hc"))

    again = rte_entry(root)
    again.add_to_hass(hass)
    # The app's call of a minute ago is remembered (RTE allows 1 call / 15 min): the set-up
    # answers from the forecast kept with it, and makes no call RTE would refuse.
    last_call = dict(state.rte_last_production_call)
    assert await hass.config_entries.async_setup(again.entry_id)
    assert again.state is ConfigEntryState.LOADED
    await async_settle(hass)
    assert state.rte_last_production_call == last_call

    assert ir.async_get(hass).async_get_issue(DOMAIN, issue) is None
    await assert_split(hass, tempo=True)
