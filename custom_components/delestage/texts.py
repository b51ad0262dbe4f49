"""Texts Délestage stores in Home Assistant's records, in the server's language.

Entity names follow ``hass.config.language`` by themselves (``translation_key``). A statistic's
name and a device's model are plain strings kept by the recorder and the device registry, so
they are taken from the integration's translations when they are written, the way Home
Assistant's onboarding names its default areas (``helpers.translation``). They live in the
``selector`` section of ``translations/*.json`` (hassfest's place for texts that belong to no
entity): options of ``statistic_name`` (with a ``{meter}`` placeholder) and ``device_model``.
The logbook's descriptions of load shedding (``logbook.py``, options of ``logbook_message``)
are read the same way, when the logbook shows them.

After a change of the server's language, a statistic takes the new name at its next write (the
next Linky import), a device its new model at the entry's next set-up.
"""

from __future__ import annotations

from enum import StrEnum

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.translation import (
    async_get_cached_translations,
    async_get_translations,
)

from .const import DOMAIN

STATISTIC_NAME = "statistic_name"
DEVICE_MODEL = "device_model"
LOGBOOK_MESSAGE = "logbook_message"
_CATEGORY = "selector"


class DeviceModel(StrEnum):
    """The ``device_model`` texts (Linky ones by source: ``linky_<source>``)."""

    RTE = "rte"
    METEOFRANCE_STATION = "meteofrance_station"
    PHIDGET_RELAY = "phidget_relay"
    LINKY_DATACONNECT = "linky_dataconnect"
    LINKY_CONSO_API = "linky_conso_api"
    LINKY_MYELECTRICALDATA = "linky_myelectricaldata"
    PREHEAT = "preheat"


def _key(group: str, key: str) -> str:
    return f"component.{DOMAIN}.{_CATEGORY}.{group}.options.{key}"


async def async_statistic_name(hass: HomeAssistant, series: str, meter: str) -> str:
    """Return the name of a meter's statistic, e.g. "Linky …9012 consumption" / "… consommation".

    ``series`` is the statistic id's suffix (``consumption``, ``blue_hp``, ``cost``,
    ``avoided_energy``…); a series without a text is named after it.
    """
    texts = await async_get_translations(hass, hass.config.language, _CATEGORY, {DOMAIN})
    template = texts.get(_key(STATISTIC_NAME, series))
    if template is None:  # pragma: no cover - every series has one (test_translations.py)
        return f"{meter} {series.replace('_', ' ')}"
    return template.format(meter=meter)


@callback
def cached_text(hass: HomeAssistant, group: str, key: str) -> str | None:
    """Return the text ``key`` of ``group`` in the server's language (else English), or None.

    The integration's translations are loaded (current language, English underneath) before
    any of its entries is set up, so the cache is enough.
    """
    name = _key(group, key)
    for language in (hass.config.language, "en"):
        if text := async_get_cached_translations(hass, language, _CATEGORY, DOMAIN).get(name):
            return text
    return None


@callback
def device_model(hass: HomeAssistant, model: DeviceModel) -> str:
    """Return a device model in the server's language (the key if it has no text)."""
    if (text := cached_text(hass, DEVICE_MODEL, model.value)) is not None:
        return text
    return model.value  # pragma: no cover - translations are loaded before any set-up
