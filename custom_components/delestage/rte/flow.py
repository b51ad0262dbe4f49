"""Config flow steps of the RTE entry: add, re-authenticate, reconfigure.

Adding tests the credentials (a token) and the Ecowatt v5 subscription (one signals call), and
keeps that first answer in the entry's cache so set-up makes no second call: a production call
inside 15 minutes would be refused with a 429.
"""

from __future__ import annotations

from datetime import timedelta
import math
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import dt as dt_util
import probatio as vol

from ..api.errors import ApiAuthError, ApiError, ApiRateLimitedError
from ..api.rte import Environment, RteClient, RteCredentials, RteNotSubscribedError
from ..const import CONF_API_BASE_URL, CONF_ENTRY_TYPE, LOGGER, EntryType
from ..flow_helpers import SECTION_ADVANCED, api_base_url_error, async_read_api_base_url
from .const import CONF_BASIC_AUTH, CONF_ENVIRONMENT, MIN_SIGNALS_SPACING
from .store import RteCache

RTE_PORTAL_URL = "https://data.rte-france.com/catalog/-/api/consumption/Ecowatt/v5.0"

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_ENVIRONMENT = SelectSelector(
    SelectSelectorConfig(
        options=[e.value for e in Environment],
        translation_key="rte_environment",
        mode=SelectSelectorMode.LIST,
    )
)


def _credentials_schema(with_client_id: bool) -> dict[vol.Marker, Any]:
    schema: dict[vol.Marker, Any] = {}
    if with_client_id:
        schema[vol.Optional(CONF_CLIENT_ID)] = TextSelector()
    schema[vol.Optional(CONF_CLIENT_SECRET)] = _PASSWORD
    schema[vol.Optional(CONF_BASIC_AUTH)] = _PASSWORD
    return schema


def _full_schema() -> vol.Schema:
    return vol.Schema(
        {
            **_credentials_schema(with_client_id=True),
            vol.Required(CONF_ENVIRONMENT, default=Environment.PRODUCTION.value): _ENVIRONMENT,
            vol.Required(SECTION_ADVANCED): section(
                vol.Schema(
                    {
                        vol.Optional(CONF_API_BASE_URL): TextSelector(
                            TextSelectorConfig(type=TextSelectorType.URL)
                        )
                    }
                ),
                {"collapsed": True},
            ),
        }
    )


def _read_credentials(
    user_input: dict[str, Any], client_id: str | None, current_secret: str | None
) -> RteCredentials | str:
    """Credentials from the form (Base64 string first), or an error key."""
    if basic := (user_input.get(CONF_BASIC_AUTH) or "").strip():
        credentials = RteCredentials.from_basic_auth(basic)
        return "rte_invalid_basic_auth" if credentials is None else credentials
    client_id = (user_input.get(CONF_CLIENT_ID) or client_id or "").strip()
    secret = (user_input.get(CONF_CLIENT_SECRET) or "").strip() or current_secret
    if not client_id or not secret:
        return "rte_missing_credentials"
    return RteCredentials(client_id, secret)


def _entry_data(
    credentials: RteCredentials, environment: Environment, base_url: str | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        CONF_ENTRY_TYPE: EntryType.RTE.value,
        CONF_CLIENT_ID: credentials.client_id,
        CONF_CLIENT_SECRET: credentials.client_secret,
        CONF_ENVIRONMENT: environment.value,
    }
    if base_url:
        data[CONF_API_BASE_URL] = base_url
    return data


class RteFlowMixin(ConfigFlow):
    """The ``rte`` steps of the Délestage config flow."""

    _rte_placeholders: dict[str, str]

    async def _async_rte_cache(self, client_id: str) -> RteCache:
        """Return the cache of this app: the loaded entry's one, else read from disk."""
        for entry in self._async_current_entries(include_ignore=False):
            runtime = getattr(entry, "runtime_data", None)
            cache = getattr(runtime, "cache", None)
            if entry.unique_id == client_id and isinstance(cache, RteCache):
                return cache
        cache = RteCache(self.hass, client_id)
        await cache.async_load()
        return cache

    async def _async_rte_test(
        self,
        credentials: RteCredentials,
        environment: Environment,
        base_url: str | None,
        *,
        signals: bool,
    ) -> str | None:
        """Fetch a token and, when allowed by the quota, the signals; return an error key."""
        cache = await self._async_rte_cache(credentials.client_id)
        client = RteClient(
            async_get_clientsession(self.hass),
            credentials,
            environment=environment,
            base_url=base_url,
            on_token=lambda token: cache.data.set_token(token, client.token_url),
        )
        state = cache.data.signals_state(client.signals_url)
        now = dt_util.utcnow()
        quota_free = environment is Environment.SANDBOX or (
            (state.last_call is None or now >= state.last_call + MIN_SIGNALS_SPACING)
            and (state.not_before is None or now >= state.not_before)
        )
        try:
            await client.async_validate_credentials()
            if signals and quota_free:
                state.last_call = now
                forecast = await client.async_get_signals()
                state.raw, state.fetched_at = forecast.raw, now
                state.last_call_ok, state.not_before = True, None
        except ApiAuthError:
            return "rte_invalid_auth"
        except RteNotSubscribedError:
            return "rte_not_subscribed"
        except ApiRateLimitedError as err:
            wait = (
                err.retry_after
                if err.retry_after is not None
                else MIN_SIGNALS_SPACING.total_seconds()
            )
            state.last_call_ok = False
            state.not_before = now + timedelta(seconds=wait)
            self._rte_placeholders["minutes"] = str(max(1, math.ceil(wait / 60)))
            return "rte_rate_limited"
        except ApiError as err:
            LOGGER.debug("RTE test call failed: %s", err)
            return "rte_cannot_connect"
        except Exception:
            LOGGER.exception("Unexpected error while testing the RTE credentials")
            return "rte_unknown"
        finally:
            # The entry in use switches to this URL when set up again, not before.
            cache.data.keep_signals_state(state)
            await cache.async_save()
        return None

    async def _async_rte_read(
        self, user_input: dict[str, Any], client_id: str | None, current_secret: str | None
    ) -> tuple[RteCredentials | None, Environment, str | None, dict[str, str]]:
        """Credentials, environment and base URL from the form, with the form's errors."""
        errors: dict[str, str] = {}
        credentials = _read_credentials(user_input, client_id, current_secret)
        if isinstance(credentials, str):
            errors["base"] = credentials
        environment = Environment(user_input.get(CONF_ENVIRONMENT, Environment.PRODUCTION))
        base_url: str | None = None
        try:
            base_url = await async_read_api_base_url(self.hass, user_input)
        except ValueError as err:
            errors["base"] = api_base_url_error(err)
        if errors or isinstance(credentials, str):
            return None, environment, base_url, errors
        return credentials, environment, base_url, errors

    def _rte_form(
        self,
        step_id: str,
        schema: vol.Schema,
        user_input: dict[str, Any] | None,
        errors: dict[str, str],
    ) -> ConfigFlowResult:
        suggested = {
            key: value
            for key, value in (user_input or {}).items()
            if key not in (CONF_CLIENT_SECRET, CONF_BASIC_AUTH)
        }
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders={"portal_url": RTE_PORTAL_URL, **self._rte_placeholders},
        )

    async def async_step_rte(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the RTE app's credentials and the environment, then test them."""
        self._rte_placeholders = {"minutes": "15"}
        errors: dict[str, str] = {}
        if user_input is not None:
            credentials, environment, base_url, errors = await self._async_rte_read(
                user_input, None, None
            )
            if credentials is not None:
                await self.async_set_unique_id(credentials.client_id)
                self._abort_if_unique_id_configured()
                error = await self._async_rte_test(credentials, environment, base_url, signals=True)
                if error is None:
                    title = "RTE Ecowatt"
                    if environment is Environment.SANDBOX:
                        title += " (sandbox)"
                    return self.async_create_entry(
                        title=title, data=_entry_data(credentials, environment, base_url)
                    )
                errors["base"] = error
        return self._rte_form("rte", _full_schema(), user_input, errors)

    async def async_step_reauth_rte(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new secret (or Base64 string) of the same app; test it with a token."""
        self._rte_placeholders = {"minutes": "15"}
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            credentials = _read_credentials(user_input, entry.data[CONF_CLIENT_ID], None)
            if isinstance(credentials, str):
                errors["base"] = credentials
            else:
                await self.async_set_unique_id(credentials.client_id)
                self._abort_if_unique_id_mismatch(reason="rte_unique_id_mismatch")
                error = await self._async_rte_test(
                    credentials,
                    Environment(entry.data.get(CONF_ENVIRONMENT, Environment.PRODUCTION)),
                    entry.data.get(CONF_API_BASE_URL),
                    signals=False,
                )
                if error is None:
                    return self.async_update_reload_and_abort(
                        entry,
                        data_updates={CONF_CLIENT_SECRET: credentials.client_secret},
                        reason="rte_reauth_successful",
                    )
                errors["base"] = error
        return self._rte_form(
            "reauth_rte", vol.Schema(_credentials_schema(with_client_id=False)), None, errors
        )

    async def async_step_reconfigure_rte(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the environment, the credentials or the base URL of the same app."""
        self._rte_placeholders = {"minutes": "15"}
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            credentials, environment, base_url, errors = await self._async_rte_read(
                user_input, entry.data[CONF_CLIENT_ID], entry.data[CONF_CLIENT_SECRET]
            )
            if credentials is not None:
                await self.async_set_unique_id(credentials.client_id)
                self._abort_if_unique_id_mismatch(reason="rte_unique_id_mismatch")
                error = await self._async_rte_test(credentials, environment, base_url, signals=True)
                if error is None:
                    return self.async_update_reload_and_abort(
                        entry,
                        data=_entry_data(credentials, environment, base_url),
                        reason="rte_reconfigure_successful",
                    )
                errors["base"] = error
        else:
            user_input = {
                CONF_CLIENT_ID: entry.data[CONF_CLIENT_ID],
                CONF_ENVIRONMENT: entry.data.get(CONF_ENVIRONMENT, Environment.PRODUCTION),
                SECTION_ADVANCED: {CONF_API_BASE_URL: entry.data.get(CONF_API_BASE_URL, "")},
            }
        return self._rte_form("reconfigure_rte", _full_schema(), user_input, errors)
