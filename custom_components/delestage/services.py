"""Actions of the integration, registered once in ``async_setup``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service
from homeassistant.util import dt as dt_util
import probatio

from .api.enedis import DAILY_HISTORY_DAYS, PARIS
from .api.enedis_errors import EnedisRateLimitedError
from .api.errors import ApiAuthError, ApiError
from .const import CONF_ENTRY_TYPE, DOMAIN, LOGGER, EntryType
from .enedis import EnedisRuntime

SERVICE_LINKY_IMPORT_HISTORY = "linky_import_history"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_START = "start"
ATTR_END = "end"

LINKY_IMPORT_HISTORY_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_START): cv.date,
        probatio.Required(ATTR_END): cv.date,
    }
)


def _linky_runtime(hass: HomeAssistant, entry_id: str) -> EnedisRuntime:
    entry = hass.config_entries.async_get_entry(entry_id)
    if (
        entry is None
        or entry.domain != DOMAIN
        or entry.data.get(CONF_ENTRY_TYPE) != EntryType.ENEDIS
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="enedis_entry_not_found"
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="enedis_entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    runtime = entry.runtime_data
    assert isinstance(runtime, EnedisRuntime)
    return runtime


def _check_range(start: date, end: date) -> None:
    """``end`` is the last day to import (inclusive); Enedis has data up to yesterday."""
    yesterday = dt_util.utcnow().astimezone(PARIS).date() - timedelta(days=1)
    oldest = yesterday - timedelta(days=DAILY_HISTORY_DAYS)
    placeholders = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "yesterday": yesterday.isoformat(),
        "oldest": oldest.isoformat(),
    }
    if end < start:
        key = "enedis_range_reversed"
    elif end > yesterday:
        key = "enedis_range_in_future"
    elif start < oldest:
        key = "enedis_range_too_old"
    else:
        return
    raise ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


async def _async_linky_import_history(call: ServiceCall) -> ServiceResponse:
    runtime = _linky_runtime(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    start: date = call.data[ATTR_START]
    end: date = call.data[ATTR_END]
    _check_range(start, end)
    try:
        result = await runtime.async_import_history(start, end + timedelta(days=1))
    except ApiAuthError as err:
        runtime.entry.async_start_reauth(call.hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="enedis_consent_invalid"
        ) from err
    except EnedisRateLimitedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="enedis_import_rate_limited",
            translation_placeholders={"minutes": str(round((err.retry_after or 3600) / 60))},
        ) from err
    except ApiError as err:
        LOGGER.debug("Linky history import failed: %s", err)
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="enedis_import_failed"
        ) from err
    response: dict[str, Any] = result
    return response


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions.

    Every action here switches loads or spends API quota, so all are admin-only (a non-admin
    user's call fails with Unauthorized; automations and scripts run without a user and pass).
    To add one: a handler, a schema, one line in the tuple below (the load-shedding actions
    are registered the same way in ``shedding/__init__.py``).
    """
    for name, handler, schema in (
        (SERVICE_LINKY_IMPORT_HISTORY, _async_linky_import_history, LINKY_IMPORT_HISTORY_SCHEMA),
    ):
        async_register_admin_service(
            hass, DOMAIN, name, handler, schema=schema, supports_response=SupportsResponse.OPTIONAL
        )
