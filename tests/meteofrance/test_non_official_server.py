"""The repair issue of an entry that talks to a server other than its provider's.

Shown with a station entry on the fake DPObs server; the same code serves RTE and Enedis entries.
"""

from __future__ import annotations

import socket
import threading
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

from custom_components.delestage import repairs
from custom_components.delestage.const import DOMAIN
from custom_components.delestage.repairs import async_check_api_base_url

from ..conftest import FakeDns
from ..translations import translations
from .conftest import FIXTURE_NOW, station_entry

pytestmark = pytest.mark.freeze_time(FIXTURE_NOW)


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"non_official_server_{entry.entry_id}")


async def test_no_issue_for_the_simulator_on_this_machine(
    hass: HomeAssistant, dpobs_url: str
) -> None:
    """The demo's simulator (loopback): nothing leaves the machine, no repair at first login."""
    assert dpobs_url.startswith("http://127.0.0.1:")
    entry = station_entry(dpobs_url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert _issue(hass, entry) is None


async def test_issue_while_an_entry_uses_another_server(
    hass: HomeAssistant, dpobs_url: str
) -> None:
    # 0.0.0.0 is not loopback, yet Linux delivers it to this machine's simulator: an address
    # that stands for "a server of the network" and still answers in the test.
    pytest_socket.socket_allow_hosts(["127.0.0.1", "0.0.0.0"])
    url = dpobs_url.replace("127.0.0.1", "0.0.0.0")
    entry = station_entry(url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    issue = _issue(hass, entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_key == "non_official_server"
    assert issue.translation_placeholders == {
        "title": "Paris-Montsouris",
        "url": url,
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


WARNING = (ir.IssueSeverity.WARNING, "non_official_server")
ERROR = (ir.IssueSeverity.ERROR, "non_official_server_insecure")
PROVIDERS = {"rte": "RTE", "enedis": "Enedis", "meteofrance": "Météo-France"}


@pytest.mark.parametrize(
    ("entry_type", "url", "expected"),
    [
        ("rte", None, None),
        ("phidget", "http://x", None),
        ("rte", "https://user:pw@sim.example/rte", WARNING),
        # Stored by an older version, which accepted any http address: in clear.
        ("enedis", "http://sim.example/enedis", ERROR),
        ("rte", "http://93.184.215.14/rte", ERROR),
        # The simulator on another machine of the local network: a warning, not an error.
        ("rte", "http://192.168.1.20:8765/rte", WARNING),
        ("rte", "http://sandbox:8765/rte", WARNING),
        ("rte", "http://nowhere:8765/rte", WARNING),  # sends nothing while it resolves to nothing
        # This machine (loopback): nothing leaves it, no issue.
        ("rte", "http://127.0.0.1:8765/rte", None),
        ("enedis", "http://127.8.0.1:8765/enedis", None),
        ("meteofrance", "http://[::1]:8765/dpobs", None),
        ("rte", "http://localhost:8765/rte", None),
    ],
)
async def test_issue_for_each_kind_of_address(
    hass: HomeAssistant,
    fake_dns: FakeDns,
    entry_type: str,
    url: str | None,
    expected: tuple[ir.IssueSeverity, str] | None,
) -> None:
    fake_dns.update({"sim.example": ["93.184.215.14"], "sandbox": ["172.18.0.2"]})
    data = {"entry_type": entry_type} | ({"api_base_url": url} if url else {})
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

    await async_check_api_base_url(hass, entry)

    issue = _issue(hass, entry)
    if expected is None:
        assert issue is None  # back on the official servers: the old issue goes
        return
    assert issue is not None
    severity, key = expected
    assert (issue.severity, issue.translation_key) == (severity, key)
    assert issue.translation_placeholders == {
        "title": "Home",
        "url": str(url).replace("user:pw@", ""),
        "provider": PROVIDERS[entry_type],
    }
    for language in ("en", "fr"):
        assert translations(language)["issues"][key]["description"]


@pytest.mark.usefixtures("socket_enabled")
async def test_failed_set_up_keeps_the_issue(hass: HomeAssistant) -> None:
    """An entry waiting to retry still talks to that server when it retries."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", "0.0.0.0"])
    entry = station_entry("http://0.0.0.0:9/public/DPObs/v1")  # nothing listens there
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert _issue(hass, entry) is not None


async def test_a_stored_address_that_is_no_url_is_an_error(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, title="Home", data={"entry_type": "rte", "api_base_url": "http://[::1"}
    )
    entry.add_to_hass(hass)

    await async_check_api_base_url(hass, entry)

    issue = _issue(hass, entry)
    assert issue is not None
    assert (issue.severity, issue.translation_key) == ERROR
    assert issue.translation_placeholders["url"] == "?"


async def test_a_name_that_does_not_answer_in_time_is_a_warning(hass: HomeAssistant) -> None:
    """Set-up does not wait for a resolver that hangs: the name sends nothing meanwhile."""
    release = threading.Event()

    def hanging(*_args: Any, **_kwargs: Any) -> Any:
        release.wait()
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    entry = MockConfigEntry(
        domain=DOMAIN, title="Home", data={"entry_type": "rte", "api_base_url": "http://nas/rte"}
    )
    entry.add_to_hass(hass)
    try:
        with (
            patch.object(socket, "getaddrinfo", hanging),
            patch.object(repairs, "RESOLVE_TIMEOUT", 0),
        ):
            await async_check_api_base_url(hass, entry)
    finally:
        release.set()

    issue = _issue(hass, entry)
    assert issue is not None
    assert (issue.severity, issue.translation_key) == WARNING
