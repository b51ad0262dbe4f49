"""Capture what a version leaves behind: its config entries, stores, entity and statistic ids.

Not a test of the suite (the file name does not start with ``test_``): run it on purpose, on the
version to capture, to (re)write ``fixtures/home_v1_3.json``::

    python -m pytest tests/joins/capture_v1_3.py -p no:randomly

``test_migration.py`` loads that file into the current code. The file of this repository was
captured from ``main`` at 66a5847 (config entry version 1.3), before issue 21 moved the tariff
out of ``enedis/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

from custom_components.delestage.const import DOMAIN
from tests.phidget.hardware import Hardware
from tools.sandbox import SandboxState

from .stack import async_run_home, home_ids

FIXTURE = Path(__file__).parent / "fixtures" / "home_v1_3.json"

pytestmark = pytest.mark.usefixtures("recorder_mock", "quiet_sql")


async def test_capture(
    hass: HomeAssistant,
    simulator: tuple[SandboxState, str],
    hardware: Hardware,
    hass_storage: dict[str, Any],
) -> None:
    """Run the home, unload it, and write what it stored."""
    _state, root = simulator
    entries = await async_run_home(hass, root, hardware)
    ids = await home_ids(hass)
    for entry in entries:
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await async_setup_component(hass, "homeassistant", {})
    hass.bus.async_fire("homeassistant_final_write")
    await hass.async_block_till_done()
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(
        json.dumps(
            {
                "root": root,
                "entries": [
                    {
                        "entry_id": entry.entry_id,
                        "title": entry.title,
                        "unique_id": entry.unique_id,
                        "version": entry.version,
                        "minor_version": entry.minor_version,
                        "data": dict(entry.data),
                        "options": dict(entry.options),
                        "subentries": [
                            {
                                "subentry_id": sub.subentry_id,
                                "subentry_type": sub.subentry_type,
                                "title": sub.title,
                                "unique_id": sub.unique_id,
                                "data": dict(sub.data),
                            }
                            for sub in entry.subentries.values()
                        ],
                    }
                    for entry in entries
                ],
                "storage": {
                    key: value
                    for key, value in sorted(hass_storage.items())
                    if key.startswith(DOMAIN)
                },
                **ids,
            },
            indent=1,
            sort_keys=True,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
