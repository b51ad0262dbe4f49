"""The repair issue of an entry that talks to a server other than its provider's.

Shown with a station entry on the fake DPObs server; the same code serves RTE and Enedis entries.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.repairs import async_check_api_base_url

from ..translations import translations
from .conftest import FIXTURE_NOW, station_entry

pytestmark = pytest.mark.freeze_time(FIXTURE_NOW)


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"non_official_server_{entry.entry_id}")


async def test_issue_while_an_entry_uses_the_simulator(hass: HomeAssistant, dpobs_url: str) -> None:
    entry = station_entry(dpobs_url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    issue = _issue(hass, entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_key == "non_official_server"
    assert issue.translation_placeholders == {
        "title": "Paris-Montsouris",
        "url": dpobs_url,
        "provider": "Météo-France",
    }
    assert not issue.is_fixable

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert _issue(hass, entry) is None  # an unloaded entry sends nothing
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert _issue(hass, entry) is not None
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, entry) is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"entry_type": "rte"}, None),
        ({"entry_type": "phidget", "api_base_url": "http://x"}, None),
        (
            {"entry_type": "rte", "api_base_url": "https://user:pw@sim.example/rte"},
            (ir.IssueSeverity.WARNING, "non_official_server", "RTE", "https://sim.example/rte"),
        ),
        (
            # Stored by an older version, which accepted any http address: in clear.
            {"entry_type": "enedis", "api_base_url": "http://sim.example/enedis"},
            (
                ir.IssueSeverity.ERROR,
                "non_official_server_insecure",
                "Enedis",
                "http://sim.example/enedis",
            ),
        ),
    ],
)
async def test_issue_for_each_kind_of_address(
    hass: HomeAssistant,
    data: dict[str, str],
    expected: tuple[ir.IssueSeverity, str, str, str] | None,
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, title="Home", data=data)
    entry.add_to_hass(hass)
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"non_official_server_{entry.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="non_official_server",
    )

    async_check_api_base_url(hass, entry)

    issue = _issue(hass, entry)
    if expected is None:
        assert issue is None  # back on the official servers: the old issue goes
        return
    assert issue is not None
    severity, key, provider, url = expected
    assert (issue.severity, issue.translation_key) == (severity, key)
    assert issue.translation_placeholders == {"title": "Home", "url": url, "provider": provider}
    for language in ("en", "fr"):
        assert translations(language)["issues"][key]["description"]


@pytest.mark.usefixtures("socket_enabled")
async def test_failed_set_up_keeps_the_issue(hass: HomeAssistant) -> None:
    """An entry waiting to retry still talks to that server when it retries."""
    entry = station_entry("http://127.0.0.1:9/public/DPObs/v1")  # nothing listens there
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert _issue(hass, entry) is not None
