"""Fixtures shared by the Délestage tests."""

from __future__ import annotations

from collections.abc import Generator
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
