"""The demo's two heated rooms, simulated, with the thermostats a French home has.

- **Séjour / Living room**: Home Assistant's ``generic_thermostat`` switching a relay
  (``input_boolean.chauffage_sejour``) on the readings of ``sensor.temperature_sejour``;
- **Chambre / Bedroom**: a preset-only heater (pilot wire: ``comfort``, ``eco``, ``frost``), a
  ``template`` climate whose order is ``input_select.fil_pilote_chambre``; the radiator keeps
  its own thermostat (here, the simulation) at the order's temperature.

Each room is a simulated thermal mass (``tools/sandbox/rooms.py``: known R, C and heater power)
on the simulator's weather, the one the Météo-France station reports. :func:`run` is the
rooms' physics in real time: every :data:`PERIOD_S` it reads the relays, moves the rooms on,
writes their temperature sensors (``POST /api/states``) and plays the radiator's thermostat.
The rooms are small and poorly insulated (time constants of 6 and 8 h) so that the demo shows
a pre-heat and the coast through a red run within a few hours. The Ecowatt blueprint's
pre-heating inputs name both thermostats (``demo_content.shedding_automation``); the
"Pre-heating" dashboard graphs them (:func:`dashboard`).

No Home Assistant import: this drives Home Assistant over HTTP, like ``develop.py``.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
import time
from typing import Any, Final

import aiohttp

from tools.demo_content import BEDROOM_KEY, LIVING_KEY, thermostat_unique_id
from tools.hass_client import DemoStepFailed, Hass
from tools.sandbox import rooms

PERIOD_S: Final = 30.0
# Home Assistant's access tokens last 30 minutes: the rooms log in again after 25.
TOKEN_RENEWAL_S: Final = 25 * 60.0
START_TEMPERATURE: Final = 20.0
# The pilot-wire orders and what the radiator's own thermostat holds for each (°C): eco is
# comfort − 3.5 K, frost protection 7 °C (reference/anticipation.md §2).
ORDERS: Final = {"comfort": 19.0, "eco": 15.5, "frost": 7.0}
BAND: Final = 0.3  # K: the radiator's thermostat switches at ± this


@dataclass(frozen=True, slots=True)
class DemoRoom:
    """A demo room: its key (entity ids), names, physics and kind of thermostat."""

    key: str
    names: dict[str, str]
    tau_h: float
    heater_kw: float
    preset_only: bool

    @property
    def heater(self) -> str:
        """The relay of its heater."""
        return f"input_boolean.chauffage_{self.key}"

    @property
    def sensor(self) -> str:
        """Its temperature sensor (written by :func:`run`)."""
        return f"sensor.temperature_{self.key}"

    @property
    def unique_id(self) -> str:
        """The climate entity's unique id (its entity id follows the server's language)."""
        return thermostat_unique_id(self.key)

    @property
    def order(self) -> str:
        """A preset heater's pilot-wire order."""
        return f"input_select.fil_pilote_{self.key}"


LIVING = DemoRoom(LIVING_KEY, {"en": "Living room", "fr": "Séjour"}, 6.0, 2.0, preset_only=False)
BEDROOM = DemoRoom(BEDROOM_KEY, {"en": "Bedroom", "fr": "Chambre"}, 8.0, 1.0, preset_only=True)
ROOMS: Final = (LIVING, BEDROOM)
TEXTS: Final = {
    "en": {"heater": "{room} heater", "dashboard": "Pre-heating", "graph": "{room} (last 8 h)"},
    "fr": {
        "heater": "Chauffage {room}",
        "dashboard": "Préchauffage",
        "graph": "{room} (8 dernières heures)",
    },
}


def input_booleans(language: str) -> str:
    """The heaters' relays, as lines of the configuration's ``input_boolean:`` section."""
    return "".join(
        f"  chauffage_{room.key}:\n"
        f"    name: {TEXTS[language]['heater'].format(room=room.names[language])}\n"
        f"    icon: mdi:radiator\n"
        for room in ROOMS
    )


def configuration(language: str) -> str:
    """The rooms' thermostats: ``generic_thermostat`` and a preset-only ``template`` climate."""
    orders = ", ".join(ORDERS)
    return f"""
input_select:
  fil_pilote_{BEDROOM.key}:
    name: {BEDROOM.names[language]}
    options: [{orders}]
    initial: comfort
    icon: mdi:sine-wave

climate:
  - platform: generic_thermostat
    name: {LIVING.names[language]}
    unique_id: {LIVING.unique_id}
    heater: {LIVING.heater}
    target_sensor: {LIVING.sensor}
    target_temp: 20
    min_temp: 7
    max_temp: 25
    precision: 0.1
    target_temp_step: 0.5
    cold_tolerance: {BAND}
    hot_tolerance: {BAND}
    initial_hvac_mode: heat

template:
  - climate:
      - name: {BEDROOM.names[language]}
        unique_id: {BEDROOM.unique_id}
        hvac_modes: "{{{{ ['heat'] }}}}"
        hvac_mode: heat
        hvac_action: "{{{{ 'heating' if is_state('{BEDROOM.heater}', 'on') else 'idle' }}}}"
        current_temperature: "{{{{ states('{BEDROOM.sensor}') | float(none) }}}}"
        preset_modes: "{{{{ {list(ORDERS)!r} }}}}"
        preset_mode: "{{{{ states('{BEDROOM.order}') }}}}"
        set_preset_mode:
          action: input_select.select_option
          target:
            entity_id: {BEDROOM.order}
          data:
            option: "{{{{ preset_mode }}}}"
        set_hvac_mode: []
"""


async def climate_entities(hass: Hass) -> dict[str, str]:
    """The demo thermostats' entity ids (by room key), from the entity registry."""
    ids = {room.unique_id: room.key for room in ROOMS}
    found = {
        ids[entity["unique_id"]]: str(entity["entity_id"])
        for entity in await hass.ws({"type": "config/entity_registry/list"})
        if entity.get("unique_id") in ids and str(entity["entity_id"]).startswith("climate.")
    }
    if len(found) != len(ROOMS):
        raise DemoStepFailed(f"Pre-heating: the demo thermostats are missing ({sorted(found)})")
    return found


async def preheat_sensors(hass: Hass) -> list[str]:
    """Every thermostat's pre-heating sensors, and the outdoor temperature they plan with."""
    keys = ("preheat_start", "coast_duration", "temperature")
    found = sorted(
        (keys.index(entity["translation_key"]), str(entity["entity_id"]))
        for entity in await hass.ws({"type": "config/entity_registry/list"})
        if entity["platform"] == "delestage" and entity.get("translation_key") in keys
    )
    return [entity_id for _, entity_id in found]


def dashboard(language: str, climates: dict[str, str], sensors: list[str]) -> dict[str, Any]:
    """The "Pre-heating" dashboard: each room's set point and temperature, its sensors."""
    texts = TEXTS[language]
    graphs = [
        {
            "type": "history-graph",
            "title": texts["graph"].format(room=room.names[language]),
            "hours_to_show": 8,
            # A preset heater has no set point to draw: its pilot-wire order shows as a band.
            "entities": [
                {"entity": climates[room.key]},
                *([{"entity": room.order}] if room.preset_only else []),
            ],
        }
        for room in ROOMS
    ]
    cards = [*graphs, {"type": "entities", "entities": sensors}]
    return {"views": [{"title": texts["dashboard"], "cards": cards}]}


@dataclass
class _Simulated:
    room: DemoRoom
    physics: rooms.Room


async def _state(hass: Hass, entity_id: str) -> str | None:
    state = await hass.state(entity_id)
    return None if state is None else str(state["state"])


async def _publish(hass: Hass, simulated: _Simulated) -> None:
    async with hass.session.post(
        f"{hass.url}/api/states/{simulated.room.sensor}",
        json={
            "state": f"{simulated.physics.temperature:.1f}",
            "attributes": {
                "unit_of_measurement": "°C",
                "device_class": "temperature",
                "state_class": "measurement",
                "friendly_name": simulated.room.names[hass.language],
            },
        },
        headers=hass.headers,
    ) as response:
        if response.status == 401:
            raise PermissionError("token expired")
        response.raise_for_status()


async def _radiator(hass: Hass, simulated: _Simulated, heating: bool) -> None:
    """The preset heater's own thermostat: its order's temperature, ± :data:`BAND`."""
    order = await _state(hass, simulated.room.order)
    if order not in ORDERS:
        return
    temperature = simulated.physics.temperature
    wanted = heating
    if temperature < ORDERS[order] - BAND:
        wanted = True
    elif temperature > ORDERS[order] + BAND:
        wanted = False
    if wanted != heating:
        await hass.call_service(
            "input_boolean",
            "turn_on" if wanted else "turn_off",
            {"entity_id": simulated.room.heater},
        )


def simulated_rooms() -> list[_Simulated]:
    """The rooms at :data:`START_TEMPERATURE`, heaters sized 1.5 times the loss at −7 °C."""
    weather = rooms.Weather()
    return [
        _Simulated(
            room,
            rooms.Room(
                rooms.sized_room(room.key, room.tau_h, room.heater_kw, oversize=1.5),
                weather,
                START_TEMPERATURE,
            ),
        )
        for room in ROOMS
    ]


async def step(hass: Hass, simulated: list[_Simulated], since: datetime, now: datetime) -> None:
    """Move the rooms on from ``since`` to ``now`` with their heaters as they are."""
    for room in simulated:
        heating = await _state(hass, room.room.heater) == "on"
        if now > since:
            room.physics.advance(since, now - since, 1.0 if heating else 0.0)
        await _publish(hass, room)
        if room.room.preset_only:
            await _radiator(hass, room, heating)


async def run(
    url: str, username: str, password: str, language: str, renew_after: float = TOKEN_RENEWAL_S
) -> None:
    """The rooms' physics, in real time, until cancelled (logs in again when needed).

    The token is renewed before it expires (``renew_after`` seconds): a request with an expired
    token would raise Home Assistant's "Login attempt failed" notification.
    """
    simulated = simulated_rooms()
    since = datetime.now(UTC)
    async with aiohttp.ClientSession() as session:
        hass = Hass(session, url, language)
        await hass.log_in(username, password, username)
        logged_in = time.monotonic()
        while True:
            now = datetime.now(UTC)
            if time.monotonic() - logged_in >= renew_after:
                with suppress(aiohttp.ClientError, RuntimeError):
                    await hass.log_in(username, password, username)
                    logged_in = time.monotonic()
            try:
                await step(hass, simulated, since, now)
                since = now
            except (PermissionError, DemoStepFailed, aiohttp.ClientResponseError) as err:
                # An access token lasts 30 minutes: a refused call logs in again (before, the
                # rooms froze half an hour into the demo). The rooms catch up at the next step.
                if not isinstance(err, aiohttp.ClientResponseError) or err.status == 401:
                    with suppress(aiohttp.ClientError, RuntimeError):
                        await hass.log_in(username, password, username)
            except aiohttp.ClientError:
                pass  # Home Assistant restarting: the rooms catch up at the next step
            await asyncio.sleep(PERIOD_S)
