"""The config flow's menu and its dispatch on entry types."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.config_flow import DelestageConfigFlow
from custom_components.delestage.const import CONF_ENTRY_TYPE, DOMAIN


async def test_menu_offers_every_entry_type(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["rte", "enedis", "meteofrance", "phidget"]


async def test_reauth_and_reconfigure_without_steps_abort(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_TYPE: "no_such_type"})
    entry.add_to_hass(hass)

    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_not_supported"

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_not_supported"


def test_entry_without_options_or_subentries() -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_TYPE: "rte"})

    assert not DelestageConfigFlow.async_supports_options_flow(entry)
    assert DelestageConfigFlow.async_get_supported_subentry_types(entry) == {}
