"""Entities of the RTE entry: states, hour-boundary flips with no call, calendar, Tempo."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.delestage.rte.sensor import EcowattSensor

from .fake_rte import FakeRte, day_payload, tempo_payload

LEVEL = "sensor.rte_ecowatt_level_now"
RED_NOW = "binary_sensor.rte_ecowatt_red_now"
ALERT_NOW = "binary_sensor.rte_ecowatt_alert_now"
NEXT_START = "sensor.rte_ecowatt_next_alert_start"
NEXT_END = "sensor.rte_ecowatt_next_alert_end"
CALENDAR = "calendar.rte_ecowatt_alerts"
TEMPO_TODAY = "sensor.rte_ecowatt_tempo_today"
TEMPO_TOMORROW = "sensor.rte_ecowatt_tempo_tomorrow"


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=dt_util.get_time_zone("Europe/Paris"))


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _move(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime) -> None:
    freezer.move_to(when)
    async_fire_time_changed(hass, when)
    await hass.async_block_till_done()


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def test_hour_boundary_flips_states_without_any_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    freezer.move_to(paris(2022, 6, 3, 8, 20))
    await _setup(hass, rte_entry)

    assert _state(hass, LEVEL) == "red"
    assert _state(hass, RED_NOW) == "on"
    assert _state(hass, ALERT_NOW) == "on"
    assert _state(hass, CALENDAR) == "on"
    assert dt_util.parse_datetime(_state(hass, NEXT_START)) == paris(2022, 6, 3, 7)
    assert dt_util.parse_datetime(_state(hass, NEXT_END)) == paris(2022, 6, 3, 9)

    # One second before the boundary nothing changes; at 09:00:00 everything flips.
    await _move(hass, freezer, paris(2022, 6, 3, 8, 59, 59))
    assert _state(hass, LEVEL) == "red"
    await _move(hass, freezer, paris(2022, 6, 3, 9, 0, 0))

    assert _state(hass, LEVEL) == "green"
    assert _state(hass, RED_NOW) == "off"
    assert _state(hass, ALERT_NOW) == "off"
    assert _state(hass, CALENDAR) == "off"
    assert dt_util.parse_datetime(_state(hass, NEXT_START)) == paris(2022, 6, 3, 14)
    assert dt_util.parse_datetime(_state(hass, NEXT_END)) == paris(2022, 6, 4, 0)
    calendar = hass.states.get(CALENDAR)
    assert calendar is not None
    assert calendar.attributes["message"] == "Ecowatt: Red"
    assert calendar.attributes["start_time"] == "2022-06-03 14:00:00"
    assert "21:00–00:00 Orange" in calendar.attributes["description"]

    # 21:00: red part over, orange starts; still the same alert.
    await _move(hass, freezer, paris(2022, 6, 3, 21, 0, 0))
    assert _state(hass, LEVEL) == "orange"
    assert _state(hass, RED_NOW) == "off"
    assert _state(hass, ALERT_NOW) == "on"
    assert _state(hass, CALENDAR) == "on"


async def test_state_changes_at_boundaries_cost_zero_calls(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    freezer.move_to(paris(2022, 6, 3, 8, 20))
    await _setup(hass, rte_entry)
    calls = aioclient_mock.call_count

    await _move(hass, freezer, paris(2022, 6, 3, 9, 0, 0))

    assert _state(hass, LEVEL) == "green"
    assert aioclient_mock.call_count == calls


async def test_forecast_attribute_lists_every_known_hour(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    freezer.move_to(paris(2022, 6, 3, 8, 20))
    await _setup(hass, rte_entry)

    state = hass.states.get(LEVEL)
    assert state is not None
    forecast = state.attributes["forecast"]
    assert len(forecast) == 17 + 24 * 3
    assert forecast[0] == {"start": "2022-06-03T07:00:00+02:00", "level": "red"}
    assert forecast[-24] == {"start": "2022-06-06T00:00:00+02:00", "level": "low_carbon"}
    assert "forecast" in EcowattSensor._unrecorded_attributes
    assert state.attributes["options"] == ["low_carbon", "green", "orange", "red"]


async def test_calendar_events_in_a_range(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    freezer.move_to(paris(2022, 6, 3, 8, 20))
    await _setup(hass, rte_entry)

    result = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            "entity_id": CALENDAR,
            "start_date_time": paris(2022, 6, 3, 12),
            "end_date_time": paris(2022, 6, 5, 6),
        },
        blocking=True,
        return_response=True,
    )
    events = result[CALENDAR]["events"]  # type: ignore[index]
    assert [(e["start"], e["end"], e["summary"]) for e in events] == [
        ("2022-06-03T14:00:00+02:00", "2022-06-04T00:00:00+02:00", "Ecowatt: Red"),
        ("2022-06-04T05:00:00+02:00", "2022-06-05T00:00:00+02:00", "Ecowatt: Red"),
    ]


async def test_low_carbon_hour_and_missing_days(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aioclient_mock: AiohttpClientMocker,
    rte_entry: MockConfigEntry,
) -> None:
    """After midnight: yesterday first, D+3 missing (unknown), a level-0 hour now."""
    fake = FakeRte(
        aioclient_mock,
        signals={
            "signals": [
                day_payload(date(2026, 1, 11), [0] * 6 + [1] * 18),
                day_payload(date(2026, 1, 10), [1] * 24),
                day_payload(date(2026, 1, 12), [1] * 24),
            ]
        },
    )
    freezer.move_to(paris(2026, 1, 11, 1, 30))
    await _setup(hass, rte_entry)

    assert fake.calls["signals"] == 1
    assert _state(hass, LEVEL) == "low_carbon"
    assert _state(hass, RED_NOW) == "off"
    assert _state(hass, "sensor.rte_ecowatt_today") == "green"
    assert _state(hass, "sensor.rte_ecowatt_tomorrow") == "green"
    assert _state(hass, "sensor.rte_ecowatt_in_2_days") == "unknown"
    assert _state(hass, "sensor.rte_ecowatt_in_3_days") == "unknown"
    assert _state(hass, NEXT_START) == "unknown"
    assert _state(hass, CALENDAR) == "off"


@pytest.mark.parametrize(
    ("day", "levels", "moments"),
    [
        # 2026-03-29: 23 hours; pas 2 is 03:00 CEST.
        (
            date(2026, 3, 29),
            {**dict.fromkeys(range(23), 1), 2: 3},
            [
                (paris(2026, 3, 29, 1, 59, 59), "green"),
                (paris(2026, 3, 29, 3, 0), "red"),
                (paris(2026, 3, 29, 4, 0), "green"),
            ],
        ),
        # 2026-10-25: 25 hours; pas 3 is the second 02:00 (CET, 01:00 UTC).
        (
            date(2026, 10, 25),
            {**dict.fromkeys(range(25), 1), 3: 3},
            [
                (datetime(2026, 10, 25, 0, 59, 59, tzinfo=dt_util.UTC), "green"),
                (datetime(2026, 10, 25, 1, 0, tzinfo=dt_util.UTC), "red"),
                (datetime(2026, 10, 25, 2, 0, tzinfo=dt_util.UTC), "green"),
            ],
        ),
    ],
)
async def test_dst_days_flip_at_the_right_instant(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aioclient_mock: AiohttpClientMocker,
    rte_entry: MockConfigEntry,
    day: date,
    levels: dict[int, int],
    moments: list[tuple[datetime, str]],
) -> None:
    fake = FakeRte(
        aioclient_mock,
        signals={
            "signals": [day_payload(day, levels), day_payload(day + timedelta(days=1), [1] * 24)]
        },
    )
    freezer.move_to(paris(day.year, day.month, day.day, 0, 30))
    await _setup(hass, rte_entry)
    assert fake.calls["signals"] == 1

    for when, expected in moments:
        await _move(hass, freezer, when)
        assert _state(hass, LEVEL) == expected, when
        assert _state(hass, RED_NOW) == ("on" if expected == "red" else "off")


async def test_tempo_colours_switch_at_six(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    fake_rte.signals = {"signals": [day_payload(date(2026, 1, d), [1] * 24) for d in (10, 11)]}
    fake_rte.tempo = tempo_payload(
        {date(2026, 1, 9): "WHITE", date(2026, 1, 10): "BLUE", date(2026, 1, 11): "RED"}
    )
    freezer.move_to(paris(2026, 1, 11, 5, 0))
    await _setup(hass, rte_entry)

    assert fake_rte.calls["tempo"] == 1
    assert _state(hass, TEMPO_TODAY) == "blue"  # the Tempo day of 01-10 runs until 06:00
    assert _state(hass, TEMPO_TOMORROW) == "red"

    await _move(hass, freezer, paris(2026, 1, 11, 6, 0, 0))
    assert _state(hass, TEMPO_TODAY) == "red"
    assert _state(hass, TEMPO_TOMORROW) == "unknown"
    assert fake_rte.calls["tempo"] == 1


async def test_app_without_tempo_gets_no_tempo_entities_and_no_repeated_calls(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    fake_rte.tempo_status = 403
    freezer.move_to(paris(2022, 6, 3, 8, 20))
    await _setup(hass, rte_entry)

    assert hass.states.get(TEMPO_TODAY) is None
    assert fake_rte.calls["tempo"] == 1

    # A restart the same day probes nothing.
    assert await hass.config_entries.async_reload(rte_entry.entry_id)
    await hass.async_block_till_done()
    await _move(hass, freezer, paris(2022, 6, 3, 20, 0))
    assert fake_rte.calls["tempo"] == 1
    assert hass.states.get(TEMPO_TODAY) is None

    # A day later the app has been subscribed: the re-probe adds the entities.
    fake_rte.tempo_status = 200
    fake_rte.tempo = tempo_payload({date(2022, 6, 4): "WHITE", date(2022, 6, 5): "BLUE"})
    await _move(hass, freezer, paris(2022, 6, 4, 8, 21))
    await hass.async_block_till_done()
    assert fake_rte.calls["tempo"] == 2
    assert _state(hass, TEMPO_TODAY) == "white"
