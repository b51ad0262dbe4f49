"""The seven forecast sensors and the action, through a real RTE entry and RTE-shaped answers."""

from __future__ import annotations

from datetime import timedelta
import math

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.template import Template
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.forecast.model import expected_colour
from tests.rte.conftest import CLIENT_ID
from tests.rte.fake_rte import FakeRte
from tools.demo_content import tempo_dashboard

from .fake_rte_forecasts import FakeRteForecasts
from .ha import (
    SENSORS,
    TODAY,
    async_move,
    async_setup,
    attributes,
    forecast_calls,
    paris,
    publish_colours,
    publish_forecasts,
    rte_entry,
    season_colours,
    state_of,
)


@pytest.fixture(autouse=True)
async def paris_time_zone(hass: HomeAssistant) -> None:
    """The home is in France."""
    await hass.config.async_set_time_zone("Europe/Paris")


@pytest.fixture
def week(fake_rte: FakeRte, fake_forecasts: FakeRteForecasts) -> FakeRteForecasts:
    """RTE's colours of the season up to today and its forecasts of the coming days."""
    publish_colours(fake_rte, TODAY)
    publish_forecasts(fake_forecasts, TODAY)
    return fake_forecasts


async def test_the_week_ahead_on_the_rte_device(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    week: FakeRteForecasts,
    snapshot: SnapshotAssertion,
) -> None:
    """Before RTE publishes tomorrow: seven days, calendar rules held, probabilities add up."""
    freezer.move_to(paris(2026, 1, 14, 8, 5))
    entry = rte_entry()
    await async_setup(hass, entry)

    dates = [attributes(hass, sensor)["date"] for sensor in SENSORS]
    assert dates == [(TODAY + timedelta(days=n)).isoformat() for n in range(1, 8)]
    for sensor in SENSORS:
        attrs = attributes(hass, sensor)
        probabilities = {c: attrs[f"probability_{c}"] for c in ("blue", "white", "red")}
        assert math.isclose(sum(probabilities.values()), 1.0, abs_tol=1e-9)
        assert all(0.0 <= p <= 1.0 for p in probabilities.values())
        # The colour shown is the model's (red weighted: docs/tempo-forecast.md).
        assert state_of(hass, sensor) == expected_colour(**probabilities)
        assert attrs["official"] is False
        assert attrs["device_class"] == "enum"
        assert attrs["options"] == ["blue", "white", "red"]
    saturday, sunday = attributes(hass, SENSORS[2]), attributes(hass, SENSORS[3])
    assert saturday["date"] == "2026-01-17"
    assert saturday["probability_red"] == 0.0  # no red on a weekend
    assert sunday["probability_blue"] == 1.0  # neither red nor white on a Sunday
    assert state_of(hass, SENSORS[3]) == "blue"
    # The cold weekdays are more likely red than the mild weekend before them.
    assert attributes(hass, SENSORS[4])["probability_red"] > 0.3
    # All on the RTE device, one call each to the consumption forecasts, none to the wind and
    # solar ones before their publication in the evening.
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert [device.identifiers for device in devices] == [{(DOMAIN, entry.unique_id)}]
    device = devices[0]
    registry = er.async_get(hass)
    for sensor in SENSORS:
        registered = registry.async_get(sensor)
        assert registered is not None
        assert registered.device_id == device.id
        assert registered.translation_key == sensor.removeprefix("sensor.rte_ecowatt_")
    assert forecast_calls(week) == {"short_term": 1, "weekly": 1, "generation": 0}
    assert {sensor: hass.states.get(sensor) for sensor in SENSORS} == snapshot


async def test_a_published_colour_is_official(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fake_rte: FakeRte, week: FakeRteForecasts
) -> None:
    """RTE publishes tomorrow at 10:30: day 1 becomes that colour, certain, with no call."""
    freezer.move_to(paris(2026, 1, 14, 8, 5))
    await async_setup(hass, rte_entry())
    assert attributes(hass, SENSORS[0])["official"] is False
    calls = forecast_calls(week)

    publish_colours(fake_rte, TODAY, {TODAY + timedelta(days=1): "WHITE"})
    await async_move(hass, freezer, paris(2026, 1, 14, 10, 45))

    day_1 = attributes(hass, SENSORS[0])
    assert state_of(hass, SENSORS[0]) == "white"
    assert day_1["official"] is True
    assert day_1["probability_white"] == 1.0
    assert day_1["probability_blue"] == day_1["probability_red"] == 0.0
    assert attributes(hass, SENSORS[1])["official"] is False
    assert forecast_calls(week) == calls


async def test_the_days_move_on_at_six(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fake_rte: FakeRte, week: FakeRteForecasts
) -> None:
    """At 06:00 (a new Tempo day) day 1 is the next date: no call needed for that."""
    publish_colours(fake_rte, TODAY, {TODAY + timedelta(days=1): "RED"})
    freezer.move_to(paris(2026, 1, 14, 23, 0))
    await async_setup(hass, rte_entry())
    assert attributes(hass, SENSORS[0])["date"] == "2026-01-15"
    calls = forecast_calls(week)

    await async_move(hass, freezer, paris(2026, 1, 15, 6, 0, 2))

    assert attributes(hass, SENSORS[0])["date"] == "2026-01-16"
    assert attributes(hass, SENSORS[6])["date"] == "2026-01-22"
    assert forecast_calls(week) == calls


async def test_the_action_returns_the_week(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fake_rte: FakeRte, week: FakeRteForecasts
) -> None:
    """``delestage.tempo_forecast`` answers the days the sensors show, tomorrow first."""
    publish_colours(fake_rte, TODAY, {TODAY + timedelta(days=1): "RED"})
    freezer.move_to(paris(2026, 1, 14, 21, 0))
    entry = rte_entry()
    await async_setup(hass, entry)

    for data in ({}, {"config_entry_id": entry.entry_id}):
        response = await hass.services.async_call(
            DOMAIN, "tempo_forecast", data, blocking=True, return_response=True
        )
        assert response is not None
        days = response["days"]
        assert isinstance(days, list)
        assert len(days) == 7
        for day, sensor in zip(days, SENSORS, strict=True):
            attrs = attributes(hass, sensor)
            assert day == {
                "date": attrs["date"],
                "blue": attrs["probability_blue"],
                "white": attrs["probability_white"],
                "red": attrs["probability_red"],
                "most_likely": state_of(hass, sensor),
                "official": attrs["official"],
            }
        assert days[0]["official"] is True
        assert days[0]["red"] == 1.0
        assert days[0]["most_likely"] == "red"


async def test_the_action_refuses_an_unknown_entry(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, week: FakeRteForecasts
) -> None:
    freezer.move_to(paris(2026, 1, 14, 21, 0))
    await async_setup(hass, rte_entry())

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "tempo_forecast",
            {"config_entry_id": "not-an-entry"},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "tempo_forecast_entry_not_found"


async def test_without_consumption_no_forecast_and_a_repair(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, fake_rte: FakeRte
) -> None:
    """An app subscribed to Tempo but not to Consumption: sensors unavailable, the action says
    why, one call a day, everything else of the entry as before."""
    publish_colours(fake_rte, TODAY)
    freezer.move_to(paris(2026, 1, 14, 8, 5))
    entry = rte_entry()
    await async_setup(hass, entry)

    assert all(state_of(hass, sensor) == STATE_UNAVAILABLE for sensor in SENSORS)
    assert state_of(hass, "sensor.rte_ecowatt_tempo_today") == season_colours(TODAY)[TODAY].lower()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN, "tempo_forecast", {}, blocking=True, return_response=True
        )
    assert err.value.translation_key == "tempo_forecast_unavailable"
    assert forecast_calls(fake_rte.forecasts) == {"short_term": 1, "weekly": 0, "generation": 0}


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_the_demo_week_ahead_view_renders_the_sensors(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    week: FakeRteForecasts,
    language: str,
) -> None:
    """script/develop's "week ahead" view: one row per day, the probabilities in percent."""
    hass.config.language = language
    publish_colours(fake_rte, TODAY, {TODAY + timedelta(days=1): "RED"})
    freezer.move_to(paris(2026, 1, 14, 21, 0))
    await async_setup(hass, rte_entry())

    registry = er.async_get(hass)
    ids = [
        registry.async_get_entity_id("sensor", DOMAIN, f"{CLIENT_ID}_tempo_forecast_day_{n}")
        for n in range(1, 8)
    ]
    assert all(ids)
    view = tempo_dashboard(language, [str(entity_id) for entity_id in ids])["views"][1]
    sensors, table = view["cards"][0]["cards"]
    assert [row["entity"] for row in sensors["entities"]] == ids
    assert sensors["entities"][1]["name"] == {"en": "In 2 days", "fr": "Dans 2 jours"}[language]
    lines = Template(table["content"], hass).async_render(parse_result=False).splitlines()

    assert len(lines) == 2 + 7
    first = {"en": "| Thu 15/01 | Red ✔ | 0 % | 0 % | 100 % |", "fr": "| jeu. 15/01 | Rouge ✔ "}
    assert lines[2].startswith(first[language])
    sunday = {"en": "| Sun 18/01 | Blue | 100 % | 0 % | 0 % |", "fr": "| dim. 18/01 | Bleu | 100 %"}
    assert lines[5].startswith(sunday[language])
