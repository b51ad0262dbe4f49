"""The simulator's scenario in a JSON file, kept across restarts (script/develop: in the demo's
configuration folder, ``sandbox_state.json``).

Kept: the red Ecowatt run once moved through ``POST /_control/rte/red`` (start and length: a
restart during a red period keeps it red), each meter's ``consent``/``holder`` switches
(``POST /_control/enedis/meters/{prm}``) and the consents given on the Enedis consent page.
Not kept: faults, call counters and quotas (test knobs a restart resets), tokens (signed: they
stay valid across restarts anyway). A red run never moved follows each start (an hour later in
script/develop), so an old demo folder still shows a red period coming.
"""

from __future__ import annotations

from datetime import datetime
import json
import logging
from pathlib import Path
from typing import Any

from .state import Consent, SandboxState

VERSION = 1
_LOGGER = logging.getLogger(__name__)


def snapshot(state: SandboxState) -> dict[str, Any]:
    """What a restart keeps, as JSON-friendly data."""
    return {
        "version": VERSION,
        "red_run": (
            {"start": state.red_start.isoformat(), "hours": state.red_hours}
            if state.red_set
            else None
        ),
        "meters": {
            prm: {"consent": meter.consent, "holder": meter.holder}
            for prm, meter in state.meters.items()
        },
        "consents": [
            {
                "autorisation_id": consent.autorisation_id,
                "prm": consent.prm,
                "start": consent.start.isoformat(),
                "end": consent.end.isoformat(),
            }
            for consent in state.consents.values()
        ],
        "next_autorisation_id": state.next_autorisation_id,
    }


def restore(state: SandboxState, data: dict[str, Any]) -> None:
    """Apply a snapshot, all or nothing (meters the simulator does not know are ignored)."""
    if data.get("version") != VERSION:
        raise ValueError(f"unknown version {data.get('version')!r}")
    red = data.get("red_run")
    red_run = None if red is None else (datetime.fromisoformat(red["start"]), int(red["hours"]))
    flags = {
        prm: (bool(item["consent"]), bool(item["holder"]))
        for prm, item in data.get("meters", {}).items()
    }
    consents = {
        int(item["autorisation_id"]): Consent(
            int(item["autorisation_id"]),
            str(item["prm"]),
            datetime.fromisoformat(item["start"]),
            datetime.fromisoformat(item["end"]),
        )
        for item in data.get("consents", [])
    }
    next_id = int(data.get("next_autorisation_id", 0))
    if red_run is not None:
        state.red_start, state.red_hours = red_run
        state.red_set = True
    for prm, (consent, holder) in flags.items():
        if (meter := state.meters.get(prm)) is not None:
            meter.consent, meter.holder = consent, holder
    if consents:
        state.consents = consents
        state.next_autorisation_id = max(next_id, max(consents) + 1)


class SandboxStore:
    """A state file: read once at start, written after each change worth keeping."""

    def __init__(self, path: Path) -> None:
        """Keep the simulator's state in ``path``."""
        self.path = path

    def load(self, state: SandboxState) -> bool:
        """Restore the saved state, if any; False when there was none (or it was unreadable)."""
        if not self.path.exists():
            return False
        try:
            restore(state, json.loads(self.path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as err:
            # A broken file must not stop the demo: start afresh, and say so.
            _LOGGER.warning("Ignoring the simulator state in %s (%s)", self.path, err)
            return False
        return True

    def save(self, state: SandboxState) -> None:
        """Write the state (a whole new file: a crash never leaves half of it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f"{self.path.name}.tmp")
        partial.write_text(json.dumps(snapshot(state), indent=1), encoding="utf-8")
        partial.replace(self.path)

    def attach(self, state: SandboxState) -> None:
        """Save after each change of ``state`` from now on."""
        state.listeners.append(lambda: self.save(state))
