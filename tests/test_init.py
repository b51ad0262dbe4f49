"""Set-up and unload of an entry, dispatched on its type."""

from __future__ import annotations

from typing import Any, ClassVar

from homeassistant.components.sensor import SensorEntity
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage import entry_types
from custom_components.delestage.const import CONF_ENTRY_TYPE, DOMAIN, EntryType
from custom_components.delestage.runtime import DelestageConfigEntry, DelestageRuntime


class _StubSensor(SensorEntity):
    _attr_has_entity_name = True
    _attr_name = "Stub"
    _attr_native_value = 42

    def __init__(self, entry_id: str) -> None:
        self._attr_unique_id = f"{entry_id}_stub"


class _StubRuntime(DelestageRuntime):
    """A minimal entry type: one sensor, records its shutdown."""

    platforms: ClassVar[tuple[Platform, ...]] = (
        Platform.BINARY_SENSOR,
        Platform.CALENDAR,
        Platform.SENSOR,
        Platform.SWITCH,
    )

    def __init__(self, entry: DelestageConfigEntry) -> None:
        self.entry = entry
        self.shut_down = False
        self.platforms_added: list[Platform] = []

    def async_add_platform_entities(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        self.platforms_added.append(platform)
        if platform is Platform.SENSOR:
            async_add_entities([_StubSensor(self.entry.entry_id)])

    async def async_shutdown(self) -> None:
        self.shut_down = True

    async def async_diagnostics(self) -> dict[str, Any]:
        return {"stub": True}


@pytest.fixture
def stub_entry_type(monkeypatch: pytest.MonkeyPatch) -> list[_StubRuntime]:
    """Register a stub set-up for the RTE type; returns the runtimes it created."""
    created: list[_StubRuntime] = []

    async def _setup(hass: HomeAssistant, entry: DelestageConfigEntry) -> DelestageRuntime:
        runtime = _StubRuntime(entry)
        created.append(runtime)
        return runtime

    monkeypatch.setitem(entry_types.ENTRY_SETUP, EntryType.RTE, _setup)
    monkeypatch.setitem(entry_types.ENTRY_SETUP, EntryType.ENEDIS, _setup)
    return created


async def test_setup_and_unload_dispatch_on_entry_type(
    hass: HomeAssistant, stub_entry_type: list[_StubRuntime]
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_TYPE: "rte"})
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert len(stub_entry_type) == 1
    assert entry.runtime_data is stub_entry_type[0]
    assert sorted(stub_entry_type[0].platforms_added) == sorted(_StubRuntime.platforms)
    assert hass.states.get("sensor.stub").state == "42"

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.NOT_LOADED
    assert stub_entry_type[0].shut_down
    assert hass.states.get("sensor.stub").state == "unavailable"


@pytest.mark.parametrize("entry_type", ["teleinfo", None])
async def test_unknown_entry_type_is_a_permanent_error(
    hass: HomeAssistant, entry_type: str | None
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_TYPE: entry_type})
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert str(entry_type) in entry.reason


async def test_diagnostics_redact_secrets(
    hass: HomeAssistant, stub_entry_type: list[_StubRuntime], hass_client: Any
) -> None:
    from pytest_homeassistant_custom_component.components.diagnostics import (
        get_diagnostics_for_config_entry,
    )

    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="my-client-id",
        data={CONF_ENTRY_TYPE: "rte", "client_id": "my-client-id", "client_secret": "s3cret"},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics["entry"]["data"] == {
        CONF_ENTRY_TYPE: "rte",
        "client_id": "**REDACTED**",
        "client_secret": "**REDACTED**",
    }
    assert diagnostics["entry"]["unique_id"] == "**REDACTED**"
    assert diagnostics["runtime"] == {"stub": True}
    assert "s3cret" not in str(diagnostics)


@pytest.mark.usefixtures("stub_entry_type")
async def test_diagnostics_redact_the_meter_id_in_an_enedis_title(
    hass: HomeAssistant, hass_client: Any
) -> None:
    from pytest_homeassistant_custom_component.components.diagnostics import (
        get_diagnostics_for_config_entry,
    )

    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Linky …5678",
        unique_id="12345678905678",
        data={CONF_ENTRY_TYPE: "enedis", "prm": "12345678905678"},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics["entry"]["title"] == "**REDACTED**"
    assert "5678" not in str(diagnostics)


async def test_removing_an_entry_without_saved_files(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_ENTRY_TYPE: "phidget"})
    entry.add_to_hass(hass)

    await hass.config_entries.async_remove(entry.entry_id)

    assert hass.config_entries.async_get_entry(entry.entry_id) is None


@pytest.mark.usefixtures("stub_entry_type")
@pytest.mark.parametrize(("stored", "migrated"), [("P3Y", "p3y"), ("P1Y", "p1y"), ("p2y", "p2y")])
async def test_migration_lower_cases_the_consent_duration(
    hass: HomeAssistant, stored: str, migrated: str
) -> None:
    """Entries of 1.1 stored Enedis' "P3Y"; 1.2 keeps the option value "p3y" (hassfest keys)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        minor_version=1,
        unique_id="12345678905678",
        data={CONF_ENTRY_TYPE: "enedis", "prm": "12345678905678", "consent_duration": stored},
    )
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 3)
    assert entry.data == {
        CONF_ENTRY_TYPE: "enedis",
        "prm": "12345678905678",
        "consent_duration": migrated,
        "source": "dataconnect",  # 1.3 (issue 14)
    }


@pytest.mark.usefixtures("stub_entry_type")
async def test_migration_of_an_entry_without_consent_duration(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, version=1, minor_version=1, data={CONF_ENTRY_TYPE: "rte", "client_id": "a"}
    )
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)

    assert entry.minor_version == 3
    assert entry.data == {CONF_ENTRY_TYPE: "rte", "client_id": "a"}


async def test_migration_refuses_an_entry_of_a_newer_version(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, version=2, data={CONF_ENTRY_TYPE: "rte"})
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)

    assert entry.state is ConfigEntryState.MIGRATION_ERROR


def test_the_flow_version_is_the_last_migration_step() -> None:
    """A new migration step must raise the flow's MINOR_VERSION (new entries skip the steps)."""
    from custom_components.delestage.config_flow import DelestageConfigFlow

    assert (DelestageConfigFlow.VERSION, DelestageConfigFlow.MINOR_VERSION) == (1, 3)
