"""Config flow: a menu of entry types, then the steps of the chosen type.

The steps of each entry type live next to its other code (``<type>/flow.py``) as mixins
of this one flow class; reauth and reconfigure dispatch on the entry's type. A Linky entry's
options gather its source's steps (history-file import) and a feature's (the tariff).
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.core import callback

from .const import CONF_ENTRY_TYPE, DOMAIN, EntryType
from .enedis.flow import EnedisFlowMixin
from .enedis.options import EnedisFileImportSteps
from .meteofrance.flow import MeteoFranceFlowMixin, MeteoFranceOptionsFlow
from .phidget.const import SUBENTRY_RELAY
from .phidget.flow import PhidgetFlowMixin, RelaySubentryFlow
from .rte.flow import RteFlowMixin
from .tariff.flow import EnedisTariffOptionsFlow


class EnedisOptionsFlow(EnedisTariffOptionsFlow, EnedisFileImportSteps):
    """Options of a Linky entry: the tariff, or an import of a downloaded history file."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Start with this entry type's own menu (step ids are translation keys)."""
        return await self.async_step_enedis_options(user_input)

    async def async_step_enedis_options(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the tariff steps or the file import."""
        return self.async_show_menu(
            step_id="enedis_options", menu_options=["enedis_tariff", "enedis_import_file"]
        )


# Options and subentry flows of the entry types that have them.
OPTIONS_FLOWS: dict[EntryType, type[OptionsFlow]] = {
    EntryType.ENEDIS: EnedisOptionsFlow,
    EntryType.METEOFRANCE: MeteoFranceOptionsFlow,
}
SUBENTRY_FLOWS: dict[EntryType, dict[str, type[ConfigSubentryFlow]]] = {
    EntryType.PHIDGET: {SUBENTRY_RELAY: RelaySubentryFlow},
}


def _entry_type(entry: ConfigEntry) -> EntryType:
    return EntryType(entry.data[CONF_ENTRY_TYPE])


class DelestageConfigFlow(
    EnedisFlowMixin,
    MeteoFranceFlowMixin,
    PhidgetFlowMixin,
    RteFlowMixin,
    ConfigFlow,
    domain=DOMAIN,
):
    """Handle a config flow for Délestage."""

    # Bump MINOR_VERSION with each new step of ``async_migrate_entry`` (``__init__.py``).
    VERSION = 1
    # 1.2: lower-case consent durations; 1.3: Enedis entries name their source (issue 14).
    MINOR_VERSION = 3

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user pick what to add."""
        return self.async_show_menu(
            step_id="user", menu_options=[entry_type.value for entry_type in EntryType]
        )

    async def async_step_reauth(self, entry_data: dict[str, Any]) -> ConfigFlowResult:
        """Start the reauth steps of the entry's type."""
        return await self._async_dispatch("reauth", entry_data[CONF_ENTRY_TYPE])

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Start the reconfigure steps of the entry's type."""
        entry = self._get_reconfigure_entry()
        return await self._async_dispatch("reconfigure", entry.data[CONF_ENTRY_TYPE])

    async def _async_dispatch(self, step: str, entry_type: str) -> ConfigFlowResult:
        handler = getattr(self, f"async_step_{step}_{entry_type}", None)
        if handler is None:
            return self.async_abort(reason=f"{step}_not_supported")
        result: ConfigFlowResult = await handler()
        return result

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Return the options flow of the entry's type."""
        return OPTIONS_FLOWS[_entry_type(config_entry)]()

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: ConfigEntry) -> bool:
        """Only the entry types with options show the options button."""
        return _entry_type(config_entry) in OPTIONS_FLOWS

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentry types of the entry's type (relay channels)."""
        return SUBENTRY_FLOWS.get(_entry_type(config_entry), {})
