"""The tariff manager alone: options parsing, the meter's ranges, price entities, Tempo source."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.delestage.api.enedis_errors import (
    EnedisNotSubscribedError,
    EnedisTechnicalError,
)
from custom_components.delestage.api.enedis_models import DailyValue
from custom_components.delestage.const import DOMAIN
from custom_components.delestage.enedis.statistics import (
    ImportResult,
    StatisticsNotWrittenError,
    async_import_readings,
)
from custom_components.delestage.hub import ConsumptionImport, get_hub
from custom_components.delestage.tariff.manager import TariffManager, config_from_options
from custom_components.delestage.tariff.model import TariffOption
from tests.enedis.fake_enedis import PRM

pytestmark = pytest.mark.usefixtures("recorder_mock")


class Client:
    """A meter client whose ``comptage_auto`` answer is scripted."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def async_get_offpeak_hours(self, prm: str) -> str | None:
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def entry(options: dict[str, Any] | None = None) -> MockConfigEntry:
    """An Enedis entry (not set up)."""
    return MockConfigEntry(
        domain=DOMAIN, unique_id=PRM, data={"entry_type": "enedis", "prm": PRM}, options=options
    )


def test_options_are_read_liberally() -> None:
    assert config_from_options({"tariff": "ejp"}, None).option is TariffOption.BASE
    config = config_from_options(
        {
            "tariff": "hp_hc",
            "prices": {"hp": 0.25, "hc": True, "base": 1.0},
            "subscription": "12",
        },
        "HC (22H00-6H00)",
    )
    assert config.prices == {"hp": 0.25}  # a boolean is no price; "base" is not an HP/HC period
    assert config.subscription == 0.0
    assert [str(r) for r in config.ranges] == ["22:00-06:00"]
    # Tempo without any range: Tempo's own off-peak hours.
    assert [str(r) for r in config_from_options({"tariff": "tempo"}, None).ranges] == [
        "22:00-06:00"
    ]


async def test_meter_ranges_transient_error_then_success(hass: HomeAssistant) -> None:
    config_entry = entry({"tariff": "hp_hc"})
    config_entry.add_to_hass(hass)
    client = Client(EnedisTechnicalError("down", 503), "HC (1H30-7H30)")
    manager = TariffManager(hass, config_entry, PRM, client)
    await manager.async_load()
    await manager.async_refresh_meter_offpeak()
    assert manager.meter_offpeak_available is None  # asked again later
    assert manager.config.ranges == ()
    await manager.async_refresh_meter_offpeak()
    assert manager.meter_offpeak == "HC (1H30-7H30)"
    assert [str(r) for r in manager.config.ranges] == ["01:30-07:30"]
    # Fresh for 30 days: no call.
    await manager.async_refresh_meter_offpeak()
    assert client.calls == 2
    await manager.async_stop()


async def test_meter_ranges_not_subscribed_or_no_endpoint(hass: HomeAssistant) -> None:
    config_entry = entry()
    config_entry.add_to_hass(hass)
    manager = TariffManager(hass, config_entry, PRM, Client(EnedisNotSubscribedError("no")))
    await manager.async_load()
    await manager.async_refresh_meter_offpeak()
    assert manager.meter_offpeak_available is False
    gateway = TariffManager(hass, config_entry, PRM, object())  # a source without the endpoint
    await gateway.async_refresh_meter_offpeak()
    assert gateway.meter_offpeak_available is False


async def test_price_entity_without_a_value_waits(hass: HomeAssistant) -> None:
    config_entry = entry({"tariff": "base", "prices": {"base": "sensor.prix"}})
    config_entry.add_to_hass(hass)
    manager = TariffManager(hass, config_entry, PRM, object())
    await manager.async_load()
    manager.async_start()
    hour = int(dt_util.utcnow().timestamp()) // 3600 * 3600
    assert manager.price("base", hour) is None
    hass.states.async_set("sensor.prix", "unavailable")
    hass.states.async_set("sensor.prix", "abc")
    await hass.async_block_till_done()
    assert manager.price("base", hour) is None
    hass.states.async_set("sensor.prix", "0.2")
    hass.states.async_set("sensor.prix", "0.2", {"changed": "attribute only"})
    await hass.async_block_till_done()
    assert manager.price_log["sensor.prix"][-1][1] == 0.2
    assert len(manager.price_log["sensor.prix"]) == 1
    assert manager.price("base", hour - 86400) == 0.2  # older hours: the oldest value known
    await manager.async_stop()


async def test_tempo_source_is_an_rte_entry_with_tempo(hass: HomeAssistant) -> None:
    """The colours come from the RTE entry that published them on the hub (Tempo only)."""
    config_entry = entry({"tariff": "tempo"})
    config_entry.add_to_hass(hass)
    manager = TariffManager(hass, config_entry, PRM, object())
    assert manager._tempo_history() is None  # no RTE entry, or one without Tempo
    colors = object()
    unregister = get_hub(hass).register_tempo("rte-entry", colors)  # type: ignore[arg-type]
    assert manager._tempo_history() is colors
    unregister()
    assert manager._tempo_history() is None


async def test_refused_write_is_tried_again(hass: HomeAssistant) -> None:
    config_entry = entry({"tariff": "base", "prices": {"base": 0.2}})
    config_entry.add_to_hass(hass)
    manager = TariffManager(hass, config_entry, PRM, object())
    await manager.async_load()
    hour = int(dt_util.utcnow().timestamp()) // 3600 * 3600 - 86400
    async with manager._lock:
        manager.ledger.add_halfhours({hour: 500.0, hour + 1800: 700.0})
    refused = AsyncMock(side_effect=StatisticsNotWrittenError("refused"))
    with patch("custom_components.delestage.tariff.manager.async_import_series", refused):
        await manager.async_process()
    assert hour in manager.ledger.dirty
    assert hour not in manager.ledger.results
    written = AsyncMock(return_value=ImportResult("x", 1, None, None, 0.0, 0.0))
    with patch("custom_components.delestage.tariff.manager.async_import_series", written):
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=11))
        await hass.async_block_till_done(wait_background_tasks=True)
    assert manager.ledger.results[hour].cost == pytest.approx(0.24)
    assert not manager.ledger.dirty
    await manager.async_stop()


async def test_price_entity_units_are_converted(hass: HomeAssistant) -> None:
    hass.states.async_set("sensor.spot", "180", {"unit_of_measurement": "EUR/MWh"})
    hass.states.async_set("sensor.cents", "21.5", {"unit_of_measurement": "c€/kWh"})
    config_entry = entry({"tariff": "hp_hc", "prices": {"hp": "sensor.spot", "hc": "sensor.cents"}})
    config_entry.add_to_hass(hass)
    manager = TariffManager(hass, config_entry, PRM, object())
    await manager.async_load()
    hour = int(dt_util.utcnow().timestamp()) // 3600 * 3600
    assert manager.price("hp", hour) == pytest.approx(0.18)
    assert manager.price("hc", hour) == pytest.approx(0.215)


async def test_no_tariff_chosen_computes_nothing(hass: HomeAssistant) -> None:
    config_entry = entry()
    config_entry.add_to_hass(hass)
    manager = TariffManager(hass, config_entry, PRM, object())
    await manager.async_load()
    hour = int(dt_util.utcnow().timestamp()) // 3600 * 3600 - 86400
    async with manager._lock:
        manager.ledger.add_halfhours({hour: 500.0})
    await manager.async_process()
    assert manager.ledger.results == {}
    assert manager.ledger.halfhours == {hour: 500.0}  # kept for when a tariff is chosen


async def test_meter_schedule_change_keeps_the_past(hass: HomeAssistant) -> None:
    config_entry = entry({"tariff": "hp_hc", "prices": {"hp": 0.25, "hc": 0.18}})
    config_entry.add_to_hass(hass)
    client = Client("HC (22H00-6H00)", "HC (2H00-5H00;11H00-17H00)")
    manager = TariffManager(hass, config_entry, PRM, client)
    await manager.async_load()
    await manager.async_refresh_meter_offpeak(process=False)
    assert manager.config.earlier == ()
    manager._meter_fetched_at -= timedelta(days=8)
    await manager.async_refresh_meter_offpeak(process=False)
    assert [str(r) for r in manager.config.ranges] == ["02:00-05:00", "11:00-17:00"]
    ((until, earlier),) = manager.config.earlier
    assert [str(r) for r in earlier] == ["22:00-06:00"]
    assert until <= dt_util.utcnow().timestamp()
    # Kept in the Store.
    await manager.async_stop()
    again = TariffManager(hass, config_entry, PRM, Client())
    await again.async_load()
    assert again.config.earlier == manager.config.earlier
    # Ranges typed by the user apply to the whole history.
    hass.config_entries.async_update_entry(
        config_entry, options={**config_entry.options, "offpeak_hours": "23:00-07:00"}
    )
    await again.async_options_updated()
    assert again.config.earlier == ()
    await again.async_stop()


async def test_a_failing_split_never_undoes_the_import(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_imported: ConsumptionImport) -> None:
        raise RuntimeError("boom")

    get_hub(hass).listen_consumption(broken, PRM)
    result = await async_import_readings(
        hass, PRM, "consumption", daily=[DailyValue(date(2026, 12, 1), 24_000.0)]
    )
    assert result.rows == 24
    assert "A feature failed on a Linky consumption import" in caplog.text
