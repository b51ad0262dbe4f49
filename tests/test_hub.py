"""The source → feature hub: registrations, what a late subscriber reads, who is told what.

The joins themselves (an RTE entry added after a Tempo meter, a history file reaching the
tariff) are tested through the user's path in ``tests/joins``; these are the hub's own rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
import logging

from homeassistant.core import HomeAssistant
import pytest

from custom_components.delestage.api.rte_models import parse_signals
from custom_components.delestage.hub import (
    ConsumptionImport,
    MeterFeature,
    ObservationStation,
    RteFeature,
    get_hub,
)
from tests.rte.fake_rte import day_payload

START = datetime(2026, 1, 5, 6, tzinfo=UTC)


class Colors:
    """A Tempo source that knows one day."""

    def known(self) -> dict[date, str]:
        return {date(2026, 1, 5): "RED"}

    async def async_colors(self, days: Iterable[date]) -> dict[date, str]:
        return dict.fromkeys(days, "RED")


async def test_one_hub_per_home_assistant(hass: HomeAssistant) -> None:
    assert get_hub(hass) is get_hub(hass)


async def test_tempo_source_registered_late_is_told_and_read(hass: HomeAssistant) -> None:
    """A listener subscribed before any RTE entry hears the source appear, then reads it."""
    hub = get_hub(hass)
    told: list[str] = []
    unlisten = hub.listen_tempo(lambda: told.append("tempo"))
    assert hub.tempo_source() is None
    source = Colors()
    unregister = hub.register_tempo("rte-entry", source)
    assert told == ["tempo"]
    assert hub.tempo_source() is source
    assert hub.tempo_source().known() == {date(2026, 1, 5): "RED"}
    hub.tempo_updated()
    assert told == ["tempo", "tempo"]
    unlisten()
    hub.tempo_updated()
    assert told == ["tempo", "tempo"]
    unregister()
    assert hub.tempo_source() is None


async def test_unregistering_an_old_source_keeps_the_reloaded_one(hass: HomeAssistant) -> None:
    """A reload registers the new source before the old one's unload callback runs."""
    hub = get_hub(hass)
    old, new = Colors(), Colors()
    unregister_old = hub.register_tempo("rte-entry", old)
    hub.register_tempo("rte-entry", new)
    unregister_old()
    assert hub.tempo_source() is new


async def test_ecowatt_forecasts_are_read_when_asked(hass: HomeAssistant) -> None:
    hub = get_hub(hass)
    current: list[object] = [None]
    hub.register_ecowatt("with", lambda: current[0])  # type: ignore[arg-type, return-value]
    assert hub.ecowatt_forecasts() == []
    forecast = parse_signals({"signals": [day_payload(date(2026, 1, 5), [1] * 24)]})
    current[0] = forecast
    assert hub.ecowatt_forecasts() == [forecast]
    told: list[bool] = []
    hub.listen_ecowatt(lambda: told.append(True))
    hub.ecowatt_updated()
    assert told == [True]


async def test_consumption_reaches_the_meter_listeners_in_order(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """Listeners of the meter and of every meter, in order; a failing one stops no other."""
    hub = get_hub(hass)
    heard: list[tuple[str, str]] = []

    async def failing(imported: ConsumptionImport) -> None:
        raise RuntimeError("feature fault")

    def recorder(name: str):  # type: ignore[no-untyped-def]
        async def listener(imported: ConsumptionImport) -> None:
            heard.append((name, imported.prm))

        return listener

    hub.listen_consumption(failing, "01234567890123")
    hub.listen_consumption(recorder("meter"), "01234567890123")
    unlisten = hub.listen_consumption(recorder("any"))
    hub.listen_consumption(recorder("other"), "99999999999999")
    reading = (START, START + timedelta(minutes=30), 500.0)
    with caplog.at_level(logging.ERROR):
        await hub.async_publish_consumption(ConsumptionImport("01234567890123", [reading]))
    assert heard == [("meter", "01234567890123"), ("any", "01234567890123")]
    assert "A feature failed on a Linky consumption import" in caplog.text
    unlisten()
    await hub.async_publish_consumption(ConsumptionImport("99999999999999", [reading]))
    assert heard[-1] == ("other", "99999999999999")
    assert len(heard) == 3


async def test_meter_features_are_built_in_registration_order(hass: HomeAssistant) -> None:
    hub = get_hub(hass)
    built: list[str] = []

    def factory(name: str):  # type: ignore[no-untyped-def]
        async def build(meter: object) -> MeterFeature:
            built.append(name)
            feature = MeterFeature()
            feature.key = name
            return feature

        return build

    hub.register_meter_feature(factory("tariff"))
    unregister = hub.register_meter_feature(factory("report"))
    parts = await hub.async_attach_meter(object())  # type: ignore[arg-type]
    assert [part.key for part in parts] == ["tariff", "report"]
    # The defaults: no entity, nothing to start or stop, empty diagnostics.
    parts[0].async_add_platform_entities(None, None)  # type: ignore[arg-type]
    parts[0].async_started()
    await parts[0].async_shutdown()
    assert parts[0].diagnostics() == {}
    unregister()
    assert [part.key for part in await hub.async_attach_meter(object())] == ["tariff"]  # type: ignore[arg-type]


async def test_stations_by_title_and_calendar_hooks(hass: HomeAssistant) -> None:
    hub = get_hub(hass)
    for entry_id, title in (("b", "Paris-Montsouris"), ("a", "Orly")):
        hub.register_station(ObservationStation(entry_id, title, lambda: None, lambda: None))
    assert [station.title for station in hub.observation_stations()] == [
        "Orly",
        "Paris-Montsouris",
    ]
    hook = object()
    unregister = hub.register_calendar_hook(hook)  # type: ignore[arg-type]
    assert hub.calendar_hooks() == [hook]
    unregister()
    unregister()  # twice: nothing left to remove, no error
    assert hub.calendar_hooks() == []


async def test_a_failing_feature_leaves_nothing_attached(hass: HomeAssistant) -> None:
    """The parts built before a failing one are shut down; the error reaches the entry."""
    hub = get_hub(hass)
    stopped: list[str] = []

    class Part(MeterFeature):
        async def async_shutdown(self) -> None:
            stopped.append("tariff")

    async def build(meter: object) -> MeterFeature:
        return Part()

    async def fail(meter: object) -> MeterFeature:
        raise OSError("store unreadable")

    hub.register_meter_feature(build)
    hub.register_meter_feature(fail)
    with pytest.raises(OSError, match="store unreadable"):
        await hub.async_attach_meter(object())  # type: ignore[arg-type]
    assert stopped == ["tariff"]


async def test_rte_features_attach_like_meter_features(hass: HomeAssistant) -> None:
    """Each RTE entry gets every RTE feature's part, in order; a failure leaves none."""
    hub = get_hub(hass)
    stopped: list[str] = []

    class Forecast(RteFeature):
        key = "tempo_forecast"

        async def async_shutdown(self) -> None:
            stopped.append(self.key)

    async def build(app: object) -> RteFeature:
        return Forecast()

    unregister = hub.register_rte_feature(build)
    assert [part.key for part in await hub.async_attach_rte(object())] == ["tempo_forecast"]  # type: ignore[arg-type]
    assert await hub.async_attach_meter(object()) == []  # type: ignore[arg-type]

    async def fail(app: object) -> RteFeature:
        raise OSError("parameters unreadable")

    hub.register_rte_feature(fail)
    with pytest.raises(OSError, match="parameters unreadable"):
        await hub.async_attach_rte(object())  # type: ignore[arg-type]
    assert stopped == ["tempo_forecast"]
    unregister()
    with pytest.raises(OSError, match="parameters unreadable"):
        await hub.async_attach_rte(object())  # type: ignore[arg-type]
    assert stopped == ["tempo_forecast"]


async def test_offpeak_ranges_of_the_first_meter_that_has_some(hass: HomeAssistant) -> None:
    hub = get_hub(hass)
    assert hub.offpeak_ranges() == []
    hub.register_offpeak("base-meter", list)  # a base tariff: no range
    night = [(time(22), time(6))]
    unregister = hub.register_offpeak("hchp-meter", lambda: night)
    assert hub.offpeak_ranges() == night
    stale = hub.register_offpeak("hchp-meter", lambda: [(time(1), time(7))])  # reloaded
    unregister()  # the old registration's undo keeps the reloaded one
    assert hub.offpeak_ranges() == [(time(1), time(7))]
    stale()
    assert hub.offpeak_ranges() == []
