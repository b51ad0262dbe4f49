"""The config flow's menu and its dispatch on entry types."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.config_flow import DelestageConfigFlow
from custom_components.delestage.const import CONF_ENTRY_TYPE, DOMAIN, EntryType


async def test_menu_offers_every_entry_type(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["rte", "enedis", "meteofrance", "phidget"]


@pytest.mark.parametrize(
    "entry_type",
    [
        entry_type
        for entry_type in EntryType
        if entry_type not in (EntryType.ENEDIS, EntryType.METEOFRANCE, EntryType.RTE)
    ],
)
async def test_entry_type_not_landed_aborts_with_reason(
    hass: HomeAssistant, entry_type: EntryType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A menu choice whose feature is not in this version aborts with a translated reason."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": entry_type.value}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_available_yet"


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
