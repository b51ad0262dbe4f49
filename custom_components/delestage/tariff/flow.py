"""Options of a Linky entry: the tariff (base, HP/HC, Tempo), off-peak ranges, prices.

Three steps: the option and the subscription; the off-peak ranges (prefilled with the
meter's, from ``comptage_auto``; typed by the user when the app has no access to it or the
gateway has no contract endpoint); one price per period, each a fixed €/kWh or a
``sensor``/``input_number`` entity. Saving recomputes the affected history without reloading
the entry (no call to Enedis). The Linky entry's options flow (``config_flow.py``) offers these
steps beside the history-file import of ``enedis/options.py``.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import probatio

from .const import CONF_OFFPEAK_HOURS, CONF_PRICES, CONF_SUBSCRIPTION, CONF_TARIFF
from .manager import async_get_tariffs
from .model import PRICE_KEYS, TEMPO_OFFPEAK, TariffOption, format_offpeak, parse_offpeak

_TARIFF_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[option.value for option in TariffOption],
        mode=SelectSelectorMode.LIST,
        translation_key="enedis_tariff",
    )
)


def _euros(maximum: float, unit: str, translation_key: str) -> NumberSelector:
    """Return a box for an amount in euros, its unit a text of the translations.

    ``unit`` is a key of ``selector.<translation_key>.unit_of_measurement``: "€/mois" on a
    French server.
    """
    return NumberSelector(
        NumberSelectorConfig(
            min=0,
            max=maximum,
            step="any",
            mode=NumberSelectorMode.BOX,
            unit_of_measurement=unit,
            translation_key=translation_key,
        )
    )


_EURO_PER_MONTH = _euros(1000, "euro_per_month", "enedis_subscription")
_EURO_PER_KWH = _euros(10, "euro_per_kwh", "enedis_price")
_PRICE_ENTITY = EntitySelector(EntitySelectorConfig(domain=["sensor", "input_number"]))


def _suggested(value: Any) -> dict[str, Any]:
    return {"suggested_value": value} if value is not None else {}


class EnedisTariffOptionsFlow(OptionsFlow):
    """Tariff of a Linky meter."""

    def __init__(self) -> None:
        """Collect the answers of the three steps."""
        self._options: dict[str, Any] = {}

    def _meter_offpeak(self) -> str | None:
        manager = async_get_tariffs(self.hass).get(self.config_entry.entry_id)
        return None if manager is None else manager.meter_offpeak

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Start with this entry type's own step (step ids are translation keys)."""
        return await self.async_step_enedis_tariff(user_input)

    async def async_step_enedis_tariff(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the option and the subscription."""
        current = self.config_entry.options
        if user_input is not None:
            self._options = {
                **current,
                CONF_TARIFF: user_input[CONF_TARIFF],
                CONF_SUBSCRIPTION: float(user_input.get(CONF_SUBSCRIPTION) or 0.0),
            }
            if user_input[CONF_TARIFF] == TariffOption.BASE:
                return await self.async_step_enedis_prices()
            return await self.async_step_enedis_offpeak()
        return self.async_show_form(
            step_id="enedis_tariff",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_TARIFF, default=current.get(CONF_TARIFF, TariffOption.BASE.value)
                    ): _TARIFF_SELECTOR,
                    probatio.Optional(
                        CONF_SUBSCRIPTION, description=_suggested(current.get(CONF_SUBSCRIPTION))
                    ): _EURO_PER_MONTH,
                }
            ),
            description_placeholders={"meter": str(self.config_entry.unique_id or "")[-4:]},
        )

    async def async_step_enedis_offpeak(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm the meter's off-peak ranges, or type others."""
        errors: dict[str, str] = {}
        meter = self._meter_offpeak()
        meter_ranges = parse_offpeak(meter)
        if user_input is not None:
            text = user_input.get(CONF_OFFPEAK_HOURS) or ""
            ranges = parse_offpeak(text)
            if not ranges:
                errors[CONF_OFFPEAK_HOURS] = "invalid_offpeak"
            else:
                # Same as the meter's: follow the meter (a later contract change applies).
                self._options[CONF_OFFPEAK_HOURS] = (
                    None if ranges == meter_ranges else format_offpeak(ranges)
                )
                return await self.async_step_enedis_prices()
        default = self.config_entry.options.get(CONF_OFFPEAK_HOURS) or (
            format_offpeak(meter_ranges) if meter_ranges else None
        )
        if default is None and self._options.get(CONF_TARIFF) == TariffOption.TEMPO:
            default = format_offpeak(parse_offpeak(TEMPO_OFFPEAK))
        return self.async_show_form(
            step_id="enedis_offpeak",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        CONF_OFFPEAK_HOURS, description=_suggested(default)
                    ): TextSelector()
                }
            ),
            errors=errors,
            description_placeholders={"meter": meter or "—"},
        )

    async def async_step_enedis_prices(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One price per period: a fixed €/kWh, or an entity (it wins when both are given).

        Tempo's six prices come in one section per colour (HP and HC inside).
        """
        option = TariffOption(self._options[CONF_TARIFF])
        keys = PRICE_KEYS[option]
        current = self.config_entry.options.get(CONF_PRICES) or {}
        errors: dict[str, str] = {}
        if user_input is not None:
            prices: dict[str, float | str] = {}
            for key in keys:
                group, field = _field(option, key)
                values = user_input.get(group, {}) if group else user_input
                entity = values.get(f"price_{field}_entity")
                number = values.get(f"price_{field}")
                if entity:
                    prices[key] = entity
                elif number is not None:
                    prices[key] = float(number)
                else:
                    errors["base"] = "price_missing"
            if not errors:
                return self.async_create_entry(data={**self._options, CONF_PRICES: prices})
        groups: dict[str | None, dict[Any, Any]] = {}
        for key in keys:
            group, field = _field(option, key)
            value = current.get(key)
            fields = groups.setdefault(group, {})
            fields[
                probatio.Optional(
                    f"price_{field}",
                    description=_suggested(value if isinstance(value, int | float) else None),
                )
            ] = _EURO_PER_KWH
            fields[
                probatio.Optional(
                    f"price_{field}_entity",
                    description=_suggested(value if isinstance(value, str) else None),
                )
            ] = _PRICE_ENTITY
        schema: dict[Any, Any] = dict(groups.pop(None, {}))
        for group, fields in groups.items():
            schema[probatio.Required(group)] = section(
                probatio.Schema(fields), {"collapsed": False}
            )
        return self.async_show_form(
            step_id="enedis_prices", data_schema=probatio.Schema(schema), errors=errors
        )


def _field(option: TariffOption, key: str) -> tuple[str | None, str]:
    """Section and field of a price key: Tempo's ``blue_hp`` → (``blue``, ``hp``)."""
    if option is TariffOption.TEMPO:
        color, period = key.split("_")
        return color, period
    return None, key
