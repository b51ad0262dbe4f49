"""Fixtures shared by the Délestage tests."""

from __future__ import annotations

from collections.abc import Generator
import ipaddress
import socket
from typing import Any
from unittest.mock import PropertyMock, patch

from homeassistant.data_entry_flow import FlowManager
import pytest
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

# Import our package before the ``hass`` fixture mounts Home Assistant's test config folder:
# otherwise the loader finds PHCC's own ``custom_components`` package and "delestage" is not found.
import custom_components.delestage  # noqa: F401

from .translations import missing_flow_texts


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Enable custom integrations; start the recorder first when a test asks for it."""
    if "recorder_mock" in request.fixturenames:
        request.getfixturevalue("recorder_mock")
    request.getfixturevalue("enable_custom_integrations")


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Enable the entities that are disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format, stored next to the tests."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture(autouse=True)
def check_flow_translations() -> Generator[None]:
    """Fail a test whose flow shows a step, error or abort reason without an en and fr text."""
    missing: list[str] = []
    handle_step = FlowManager._async_handle_step

    async def _checked(self: FlowManager[Any, Any, Any], flow: Any, *args: Any) -> Any:
        result = await handle_step(self, flow, *args)
        missing.extend(missing_flow_texts(flow, result))
        return result

    with patch.object(FlowManager, "_async_handle_step", _checked):
        yield
    assert not missing, f"Flow texts missing from translations: {sorted(set(missing))}"


class FakeDns(dict[str, list[str]]):
    """The resolver of the home's network: name → addresses; other names do not resolve."""


@pytest.fixture
def fake_dns() -> Generator[FakeDns]:
    """Answer name lookups from a table (tests never reach a real DNS), like the system would.

    Address literals and ``localhost`` go to the system as before; a name not in the table
    fails with ``EAI_NONAME``, as an unknown name does.
    """
    names = FakeDns()
    system = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in names:
            answers = []
            for address in names[name]:
                if ipaddress.ip_address(address).version == 6:
                    answers.append(
                        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port or 0, 0, 0))
                    )
                else:
                    answers.append(
                        (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))
                    )
            return answers
        if name == "localhost":
            return system(host, port, *args, **kwargs)
        try:
            ipaddress.ip_address(name)
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return system(host, port, *args, **kwargs)

    with patch.object(socket, "getaddrinfo", getaddrinfo):
        yield names
