"""Loads for the load-shedding tests: real template switches backed by input booleans."""

from __future__ import annotations

from typing import Any

from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.shedding import STORAGE_KEY

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
async def setup_integration(hass: HomeAssistant) -> None:
    """Délestage set up (the shedding actions exist from ``async_setup``)."""
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """The state of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


@pytest.fixture
async def loads(hass: HomeAssistant) -> tuple[str, ...]:
    """Set up the loads, all off; returns their switch entity ids."""
    await async_setup_loads(hass)
    return tuple(f"switch.{name}" for name in LOADS)


async def async_person_context(hass: HomeAssistant) -> Context:
    """The context of a person's action in the UI (it carries their user id)."""
    users = [user for user in await hass.auth.async_get_users() if user.name == "Person"]
    user = (
        users[0]
        if users
        else await hass.auth.async_create_user("Person", group_ids=["system-admin"])
    )
    return Context(user_id=user.id)


async def async_set_load(
    hass: HomeAssistant, entity_id: str, on: bool, *, by_person: bool = True
) -> None:
    """Switch a load by hand (as a user would, from the UI), or by something else."""
    await hass.services.async_call(
        "switch",
        "turn_on" if on else "turn_off",
        {"entity_id": entity_id},
        blocking=True,
        context=await async_person_context(hass) if by_person else Context(),
    )
    await hass.async_block_till_done()


def stored(data: dict[str, Any]) -> dict[str, Any]:
    """``hass_storage`` contents of the shedding store holding ``data``."""
    return {"version": 1, "minor_version": 1, "key": STORAGE_KEY, "data": data}


GROUP = "automation.shed_on_red"


async def async_shed(
    hass: HomeAssistant,
    entity_ids: list[str] | tuple[str, ...],
    context: Context | None = None,
    **data: Any,
) -> list[str]:
    """Call ``delestage.shed_loads`` for ``GROUP``; return ``switched_off``."""
    response = await hass.services.async_call(
        DOMAIN,
        "shed_loads",
        {"group": GROUP, "entity_id": list(entity_ids), **data},
        blocking=True,
        return_response=True,
        context=context,
    )
    await hass.async_block_till_done()
    assert response is not None
    return list(response["switched_off"])  # type: ignore[arg-type]


async def async_restore(hass: HomeAssistant, **data: Any) -> list[str]:
    """Call ``delestage.restore_loads`` for ``GROUP``; return ``switched_on``."""
    response = await hass.services.async_call(
        DOMAIN, "restore_loads", {"group": GROUP, **data}, blocking=True, return_response=True
    )
    await hass.async_block_till_done()
    assert response is not None
    return list(response["switched_on"])  # type: ignore[arg-type]
