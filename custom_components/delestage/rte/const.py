"""Constants of the RTE entry type (Ecowatt signals and Tempo colours)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET

CONF_ENVIRONMENT: Final = "environment"
# Config flow only (not stored): the portal's ready-made Base64 "client_id:client_secret".
CONF_BASIC_AUTH: Final = "basic_auth"

__all__ = ["CONF_CLIENT_ID", "CONF_CLIENT_SECRET"]

# Production signals: RTE allows 1 call per 15 minutes; keep a little margin.
MIN_SIGNALS_SPACING: Final = timedelta(minutes=15, seconds=30)
# After a failed signals call, wait this long before the next attempt.
SIGNALS_RETRY_AFTER_FAILURE: Final = timedelta(minutes=30)
# Ecowatt data older than this is not trusted: its entities become unavailable.
ECOWATT_MAX_AGE: Final = timedelta(hours=24)
# Tempo data older than this is not trusted (colours are known a day ahead).
TEMPO_MAX_AGE: Final = timedelta(hours=48)
# An app found not subscribed to Tempo is probed again after this long.
TEMPO_REPROBE: Final = timedelta(hours=24)
# Wait after a failed Tempo call.
TEMPO_RETRY_AFTER_FAILURE: Final = timedelta(hours=1)

ISSUE_ECOWATT_NOT_SUBSCRIBED: Final = "rte_ecowatt_not_subscribed"
