"""Rooms for the pre-heating tests: real thermostats on a simulated room, a weather entity.

A set-point room is Home Assistant's own ``generic_thermostat`` switching an
``input_boolean`` heater on the readings of ``sensor.<room>_temperature``, a sensor written
from a simulated room (``tools/sandbox/rooms.py``: known R, C and heater power) as time moves
on. A preset-only heater is a ``template`` climate whose preset is an ``input_select``
(comfort, eco, frost, like a pilot-wire module), heating the same kind of simulated room with
its own thermostat at the preset's temperature. The outdoor temperature is a ``template``
weather entity reading ``input_number.outdoor``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.delestage.const import DOMAIN
from tools.sandbox import rooms

from ..rte.conftest import ENTRY_DATA
from ..rte.fake_rte import FakeRte, day_payload

PARIS = ZoneInfo("Europe/Paris")
DAY = datetime(2026, 12, 7, tzinfo=PARIS)
RED_START = DAY + timedelta(hours=18)
RED_END = DAY + timedelta(hours=20)
OUTDOOR = 2.0
STEP = timedelta(minutes=5)
PRESET_TEMPERATURES = {"comfort": 20.0, "eco": 16.5, "frost": 7.0}


class FlatWeather:
    """The simulated room's outdoor side: a temperature (fixed, or over time), no sun."""

    def __init__(self, outdoor: float | Callable[[datetime], float]) -> None:
        """Outdoor temperature (°C), or a function of the time."""
        self.outdoor = outdoor

    def outdoor_c(self, at: datetime) -> float:
        """Outdoor air temperature (°C)."""
        return self.outdoor(at) if callable(self.outdoor) else self.outdoor

    def sun_kw_m2(self, _at: datetime) -> float:
        """No sun."""
        return 0.0


@dataclass
class SimulatedRoom:
    """A room heated by a relay (``input_boolean``); its temperature sensor follows it."""

    name: str
    room: rooms.Room
    heater: str
    sensor: str
    readings: list[tuple[datetime, float]] = field(default_factory=list)
    heater_minutes: list[tuple[datetime, bool]] = field(default_factory=list)

    def publish(self, hass: HomeAssistant, at: datetime) -> None:
        """Write the sensor's reading (0.1 °C), as a real sensor would."""
        reading = round(self.room.temperature, 1)
        self.readings.append((at, self.room.temperature))
        hass.states.async_set(
            self.sensor,
            str(reading),
            {"unit_of_measurement": "°C", "device_class": "temperature"},
        )

    def advance(self, hass: HomeAssistant, at: datetime, step: timedelta) -> None:
        """Move the room on by ``step`` with its heater as it is now."""
        state = hass.states.get(self.heater)
        on = state is not None and state.state == "on"
        self.heater_minutes.append((at, on))
        self.room.advance(at, step, 1.0 if on else 0.0)

    def lowest(self, start: datetime, end: datetime) -> float:
        """Lowest true temperature in ``[start, end[``."""
        return min(value for at, value in self.readings if start <= at < end)

    def heating_share(self, start: datetime, end: datetime) -> float:
        """Share of ``[start, end[`` with the heater on."""
        steps = [on for at, on in self.heater_minutes if start <= at < end]
        return sum(steps) / len(steps)


def make_room(
    name: str,
    *,
    tau_h: float = 10.0,
    heater_kw: float = 1.5,
    start: float = 20.0,
    outdoor: float | Callable[[datetime], float] = OUTDOOR,
) -> rooms.Room:
    """A room of the benchmark's kind (heater sized 1.3 times the loss at −7 °C)."""
    spec = rooms.sized_room(name, tau_h, heater_kw, oversize=1.3, gains_kw=0.0, solar_m2=0.0)
    return rooms.Room(spec, FlatWeather(outdoor), start)  # type: ignore[arg-type]


def _outdoor_config() -> dict[str, Any]:
    """``weather.outside``: a template weather entity at ``input_number.outdoor``."""
    return {
        "name": "Outside",
        "condition_template": "cloudy",
        "temperature_template": "{{ states('input_number.outdoor') }}",
        "temperature_unit": "°C",
        "humidity_template": "80",
    }


def _thermostat_config(simulated: SimulatedRoom, target: float) -> dict[str, Any]:
    """A ``generic_thermostat`` on the room's relay and sensor."""
    return {
        "platform": "generic_thermostat",
        "name": simulated.name.capitalize(),
        "unique_id": f"thermostat_{simulated.name}",
        "heater": simulated.heater,
        "target_sensor": simulated.sensor,
        "initial_hvac_mode": "heat",
        "target_temp": target,
        "min_temp": 7,
        "max_temp": 25,
        "precision": 0.1,
        "target_temp_step": 0.1,
        "cold_tolerance": 0.3,
        "hot_tolerance": 0.3,
    }


def _preset_heater_config(simulated: SimulatedRoom) -> tuple[dict[str, Any], dict[str, Any]]:
    """A preset-only ``template`` climate, and the radiator's own thermostat (an automation).

    The radiator holds the preset's temperature (± 0.3 K) over its simulated room; an
    ``input_boolean.<room>_online`` stands for its radio link (off: unavailable).
    """
    name = simulated.name
    order = f"input_select.{name}_order"
    online = f"input_boolean.{name}_online"
    options = list(PRESET_TEMPERATURES)
    climate = {
        "name": name.capitalize(),
        "unique_id": f"heater_{name}",
        "availability": f"{{{{ is_state('{online}', 'on') }}}}",
        "hvac_modes": "{{ ['heat'] }}",
        "hvac_mode": "heat",
        "hvac_action": f"{{{{ 'heating' if is_state('{simulated.heater}', 'on') else 'idle' }}}}",
        "current_temperature": f"{{{{ states('{simulated.sensor}') | float(none) }}}}",
        "preset_modes": "{{ " + repr(options) + " }}",
        "preset_mode": f"{{{{ states('{order}') }}}}",
        "set_preset_mode": {
            "action": "input_select.select_option",
            "target": {"entity_id": order},
            "data": {"option": "{{ preset_mode }}"},
        },
        "set_hvac_mode": [],
    }
    held = f"({PRESET_TEMPERATURES!r}[states('{order}')])"
    reading = f"states('{simulated.sensor}') | float(0)"

    def switch(condition: str, service: str) -> dict[str, Any]:
        return {
            "conditions": f"{{{{ {reading} {condition} }}}}",
            "sequence": {"action": service, "target": {"entity_id": simulated.heater}},
        }

    radiator = {
        "id": f"{name}_radiator",
        "triggers": [{"trigger": "state", "entity_id": [simulated.sensor, order]}],
        "actions": [
            {
                "choose": [
                    switch(f"< {held} - 0.3", "input_boolean.turn_on"),
                    switch(f"> {held} + 0.3", "input_boolean.turn_off"),
                ]
            }
        ],
    }
    return climate, radiator


async def async_setup_home(
    hass: HomeAssistant,
    *,
    thermostats: dict[str, float] | None = None,
    preset_heaters: dict[str, str] | None = None,
    tank: bool = False,
    outdoor: float = OUTDOOR,
    simulated: dict[str, rooms.Room] | None = None,
    automations: list[dict[str, Any]] | None = None,
) -> dict[str, SimulatedRoom]:
    """The home: ``weather.outside``, thermostats (name → set point), preset heaters (name →
    preset), a tank's contactor ``switch.water_tank``, and the user's ``automations``;
    returns the simulated rooms.
    """
    await hass.config.async_set_time_zone("Europe/Paris")
    assert await async_setup_component(hass, "homeassistant", {})
    thermostats = {"living": 20.0} if thermostats is None else thermostats
    preset_heaters = preset_heaters or {}
    simulated = simulated or {}
    found = {
        name: SimulatedRoom(
            name,
            simulated.get(name) or make_room(name),
            f"input_boolean.{name}_heater",
            f"sensor.{name}_temperature",
        )
        for name in [*thermostats, *preset_heaters]
    }
    booleans: dict[str, Any] = {f"{name}_heater": {"name": f"{name} heater"} for name in found}
    booleans |= {f"{name}_online": {"initial": True} for name in preset_heaters}
    if tank:
        booleans["tank_relay"] = {"initial": True}
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": booleans})
    assert await async_setup_component(
        hass,
        "input_number",
        {"input_number": {"outdoor": {"min": -30, "max": 40, "step": 0.1, "initial": outdoor}}},
    )
    assert await async_setup_component(
        hass,
        "input_select",
        {
            "input_select": {
                f"{name}_order": {"options": list(PRESET_TEMPERATURES), "initial": preset}
                for name, preset in preset_heaters.items()
            }
        },
    )
    for room in found.values():
        room.publish(hass, datetime.now(PARIS))
    heaters = [_preset_heater_config(found[name]) for name in preset_heaters]
    template: dict[str, Any] = {"weather": [_outdoor_config()]}
    if heaters:
        template["climate"] = [climate for climate, _ in heaters]
    if tank:
        template["switch"] = [
            {
                "name": "Water tank",
                "unique_id": "water_tank",
                "state": "{{ is_state('input_boolean.tank_relay', 'on') }}",
                "turn_on": {
                    "action": "input_boolean.turn_on",
                    "target": {"entity_id": "input_boolean.tank_relay"},
                },
                "turn_off": {
                    "action": "input_boolean.turn_off",
                    "target": {"entity_id": "input_boolean.tank_relay"},
                },
            }
        ]
    assert await async_setup_component(hass, "template", {"template": [template]})
    assert await async_setup_component(
        hass,
        "automation",
        {"automation": [*(radiator for _, radiator in heaters), *(automations or [])]},
    )
    assert await async_setup_component(
        hass,
        "climate",
        {"climate": [_thermostat_config(found[n], t) for n, t in thermostats.items()]},
    )
    await hass.async_block_till_done()
    return found


async def async_run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    until: datetime,
    simulated: list[SimulatedRoom],
    *,
    step: timedelta = STEP,
    each: Callable[[datetime], Awaitable[None]] | None = None,
    timers: bool = True,
) -> None:
    """Let time run to ``until``: the rooms move on, their sensors publish, timers fire.

    ``timers`` False: no timer fires (days of history made quicker; the thermostats react to
    their sensors, not to time).
    """
    now = datetime.now(PARIS)
    while now < until:
        following = min(now + step, until)
        for room in simulated:
            room.advance(hass, now, following - now)
        freezer.move_to(following)
        for room in simulated:
            room.publish(hass, following)
        if timers:
            async_fire_time_changed(hass, following)
        await hass.async_block_till_done()
        if each is not None:
            await each(following)
        now = following


async def async_setup_rte(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> MockConfigEntry:
    """A real RTE entry (fake RTE server, green days): the pre-heating sensors' entry."""
    FakeRte(aioclient_mock, signals={"signals": [day_payload(DAY.date(), [1] * 24)]})
    entry = MockConfigEntry(
        domain=DOMAIN, title="RTE Ecowatt", unique_id=ENTRY_DATA["client_id"], data=ENTRY_DATA
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def async_setup_delestage(hass: HomeAssistant) -> None:
    """Délestage set up (its actions exist from ``async_setup``)."""
    await hass.config.async_set_time_zone("Europe/Paris")
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()


async def async_precondition(
    hass: HomeAssistant, context: Context | None = None, **data: Any
) -> dict[str, Any]:
    """Call ``delestage.precondition``; return its response."""
    response = await hass.services.async_call(
        DOMAIN, "precondition", data, blocking=True, return_response=True, context=context
    )
    await hass.async_block_till_done()
    assert response is not None
    return dict(response)


def target_of(hass: HomeAssistant, entity_id: str) -> Any:
    """A thermostat's set point (or its preset, for a preset-only heater)."""
    state = hass.states.get(entity_id)
    assert state is not None
    if "temperature" in state.attributes and state.attributes["temperature"] is not None:
        return state.attributes["temperature"]
    return state.attributes.get("preset_mode")
