"""Entity names follow Home Assistant's rule: the device name, then the entity's own name.

The device is "RTE Ecowatt": an entity called "Ecowatt red now" became "RTE Ecowatt Ecowatt red
now" (and ``binary_sensor.rte_ecowatt_ecowatt_red_now``).
"""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.const import DOMAIN

from .fake_rte import FakeRte
from .test_entities import _setup, paris

ENGLISH = {
    "sensor.rte_ecowatt_level_now": "RTE Ecowatt Level now",
    "sensor.rte_ecowatt_today": "RTE Ecowatt Today",
    "sensor.rte_ecowatt_tomorrow": "RTE Ecowatt Tomorrow",
    "sensor.rte_ecowatt_in_2_days": "RTE Ecowatt In 2 days",
    "sensor.rte_ecowatt_in_3_days": "RTE Ecowatt In 3 days",
    "sensor.rte_ecowatt_next_alert_start": "RTE Ecowatt Next alert start",
    "sensor.rte_ecowatt_next_alert_end": "RTE Ecowatt Next alert end",
    "binary_sensor.rte_ecowatt_red_now": "RTE Ecowatt Red now",
    "binary_sensor.rte_ecowatt_alert_now": "RTE Ecowatt Alert now",
    "calendar.rte_ecowatt_alerts": "RTE Ecowatt Alerts",
    "sensor.rte_ecowatt_tempo_today": "RTE Ecowatt Tempo today",
    "sensor.rte_ecowatt_tempo_tomorrow": "RTE Ecowatt Tempo tomorrow",
    **{
        f"sensor.rte_ecowatt_tempo_forecast_day_{n}": f"RTE Ecowatt Tempo forecast day {n}"
        for n in range(1, 8)
    },
}
FRENCH = {
    "sensor.rte_ecowatt_niveau_actuel": "RTE Ecowatt Niveau actuel",
    "sensor.rte_ecowatt_aujourd_hui": "RTE Ecowatt Aujourd'hui",
    "sensor.rte_ecowatt_demain": "RTE Ecowatt Demain",
    "sensor.rte_ecowatt_dans_2_jours": "RTE Ecowatt Dans 2 jours",
    "sensor.rte_ecowatt_dans_3_jours": "RTE Ecowatt Dans 3 jours",
    "sensor.rte_ecowatt_debut_de_la_prochaine_alerte": "RTE Ecowatt Début de la prochaine alerte",
    "sensor.rte_ecowatt_fin_de_la_prochaine_alerte": "RTE Ecowatt Fin de la prochaine alerte",
    "binary_sensor.rte_ecowatt_rouge_en_cours": "RTE Ecowatt Rouge en cours",
    "binary_sensor.rte_ecowatt_alerte_en_cours": "RTE Ecowatt Alerte en cours",
    "calendar.rte_ecowatt_alertes": "RTE Ecowatt Alertes",
    "sensor.rte_ecowatt_tempo_aujourd_hui": "RTE Ecowatt Tempo aujourd'hui",
    "sensor.rte_ecowatt_tempo_demain": "RTE Ecowatt Tempo demain",
    **{
        f"sensor.rte_ecowatt_prevision_tempo_j_{n}": f"RTE Ecowatt Prévision Tempo J+{n}"
        for n in range(1, 8)
    },
}


def _names(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    names: dict[str, str] = {}
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        assert entity.platform == DOMAIN
        state = hass.states.get(entity.entity_id)
        if state is not None:  # enabled by default
            names[entity.entity_id] = state.attributes["friendly_name"]
    return names


MODEL = {"en": "Ecowatt v5 and Tempo", "fr": "Ecowatt v5 et Tempo"}


@pytest.mark.parametrize(("language", "expected"), [("en", ENGLISH), ("fr", FRENCH)])
async def test_names_do_not_repeat_the_device_name(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
    language: str,
    expected: dict[str, str],
) -> None:
    hass.config.language = language
    freezer.move_to(paris(2022, 6, 3, 8, 20))
    await _setup(hass, rte_entry)

    names = _names(hass, rte_entry)

    assert names == expected
    for name in names.values():
        assert name.startswith("RTE Ecowatt ")
        assert "ecowatt" not in name.removeprefix("RTE Ecowatt ").lower(), name
    # The device's model follows the server's language too.
    (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), rte_entry.entry_id)
    assert device.model == MODEL[language]
