"""Loads for the load-shedding tests: real template switches backed by input booleans."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

LOADS = ("water_heater", "radiator", "dryer")
_AVAILABLE = "{{{{ not is_state('{relay}', 'unavailable') }}}}"


async def async_setup_loads(hass: HomeAssistant) -> None:
    """Create ``switch.<name>`` for each load, with its relay as ``input_boolean.<name>_relay``."""
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {f"{name}_relay": {} for name in LOADS}}
    )
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "switch": [
                        {
                            "name": name,
                            "unique_id": f"load_{name}",
                            "state": f"{{{{ is_state('input_boolean.{name}_relay', 'on') }}}}",
                            "availability": _AVAILABLE.format(relay=f"input_boolean.{name}_relay"),
                            "turn_on": {
                                "action": "input_boolean.turn_on",
                                "target": {"entity_id": f"input_boolean.{name}_relay"},
                            },
                            "turn_off": {
                                "action": "input_boolean.turn_off",
                                "target": {"entity_id": f"input_boolean.{name}_relay"},
                            },
                        }
                        for name in LOADS
                    ]
                }
            ]
        },
    )
    await hass.async_block_till_done()


@pytest.fixture
async def loads(hass: HomeAssistant) -> tuple[str, ...]:
    """Set up the loads, all off; returns their switch entity ids."""
    await async_setup_loads(hass)
    return tuple(f"switch.{name}" for name in LOADS)


async def async_set_load(hass: HomeAssistant, entity_id: str, on: bool) -> None:
    """Switch a load by hand (as a user would, from the UI)."""
    await hass.services.async_call(
        "switch", "turn_on" if on else "turn_off", {"entity_id": entity_id}, blocking=True
    )
    await hass.async_block_till_done()
