"""One writer per meter: whatever the source, one import at a time into a meter's statistics.

An import reads the rows around its window, plans its rows and the shift of every later sum,
then writes (``statistics.async_import_series``). Two imports planned from the same rows both
shift the later sums: the second window's total is counted twice (a jump of hundreds of kWh in
the Energy dashboard, for ever). So every writer of a meter's series holds this lock from its
plan to the end of its write: the daily refresh, the back-fill (around each step's write, not
its Enedis calls), the ``linky_import_history`` action and the file imports (action, options).

The lock lives in ``hass.data``, keyed by PRM, not in the entry's runtime data: a file import
needs only the recorder and runs while the entry is not loaded (set-up retry, re-authentication,
disabled), or while it is being set up or unloaded. Never take it while holding it already (an
``asyncio.Lock`` is not re-entrant): take it around the writes, not inside them.
"""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN

_LOCKS: HassKey[dict[str, asyncio.Lock]] = HassKey(f"{DOMAIN}_meter_writers")


def meter_writer(hass: HomeAssistant, prm: str) -> asyncio.Lock:
    """Return the lock every writer of the meter ``prm``'s statistics holds."""
    return hass.data.setdefault(_LOCKS, {}).setdefault(prm, asyncio.Lock())
