"""Config flow steps of the Enedis entry: consent on the Enedis portal, then the meter.

Why not ``AbstractOAuth2FlowHandler``: its steps assume a standard OAuth2 provider and do not
fit Enedis (reference §12). Its JWT ``state`` (~220 characters) exceeds Enedis' 100; its
callback (``/auth/external/callback``) drops ``autorisation_id`` and ``usage_point_id``; its
``creation`` step exchanges a ``code`` that Enedis never issues. It also owns
``async_step_user``, which is this flow's menu. So these steps drive the external step
themselves (``async_external_step`` → our callback view → ``async_external_step_done``), pick
the app through the same application-credentials implementations, resolve the meter with
``subscribed_services`` (v2) or the redirect (v1), and store what that handler would store
(``auth_implementation``, ``token``) plus the meter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
import re
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.data_entry_flow import section
from homeassistant.exceptions import ImplementationUnavailableError
from homeassistant.helpers.config_entry_oauth2_flow import (
    AbstractOAuth2Implementation,
    async_get_implementations,
)
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import dt as dt_util
import probatio

from ..api.enedis_gateways import Source
from ..api.enedis_models import PARIS
from ..api.errors import ApiAuthError, ApiError
from ..const import CONF_API_BASE_URL, CONF_ENTRY_TYPE, DOMAIN, LOGGER, EntryType
from ..flow_helpers import SECTION_ADVANCED, api_base_url_error, async_read_api_base_url
from .client import async_create_client
from .const import (
    CONF_AUTH_IMPLEMENTATION,
    CONF_AUTORISATION_ID,
    CONF_CONSENT_DURATION,
    CONF_CONSENT_END,
    CONF_ENVIRONMENT,
    CONF_PRM,
    CONF_PRODUCTION,
    CONF_SOURCE,
    CONF_TOKEN,
    ENVIRONMENTS,
    PRODUCTION,
    entry_title,
)
from .gateway_flow import EnedisGatewayFlowMixin
from .oauth import (
    CONSENT_DURATIONS,
    DEFAULT_CONSENT_DURATION,
    REDIRECT_AUTORISATION_ID,
    REDIRECT_ERROR,
    REDIRECT_USAGE_POINT_ID,
    EnedisOAuth2Implementation,
)

CONF_IMPLEMENTATION = "implementation"

_PRM = re.compile(r"^\d{14}$")
_DURATION_DAYS = {"p1y": 365, "p2y": 730, "p3y": 1095}


def split_usage_points(value: str) -> list[str]:
    """Return the PRMs of a v1 ``usage_point_id`` (``;``-separated, ``,`` tolerated)."""
    prms: list[str] = []
    for part in re.split(r"[;,]", value):
        if (prm := part.strip()) and prm not in prms:
            prms.append(prm)
    return prms


@dataclass(slots=True)
class _ConsentState:
    """What the Enedis steps of one flow collected so far."""

    implementation: EnedisOAuth2Implementation | None = None
    duration: str = DEFAULT_CONSENT_DURATION
    environment: str = PRODUCTION
    api_base_url: str | None = None
    redirect: dict[str, str] = field(default_factory=dict)
    prms: list[str] = field(default_factory=list)
    autorisation_id: str | None = None
    consent_end: date | None = None
    production: bool = False
    token: dict[str, Any] | None = None


def _duration_selector() -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=list(CONSENT_DURATIONS),
            translation_key="enedis_consent_duration",
            mode=SelectSelectorMode.LIST,
        )
    )


# The sources of a Linky entry, households' gateways first: few households have their own
# Data Connect app (it needs a company and an Enedis contract).
SOURCE_STEPS = ["enedis_conso_api", "enedis_myelectricaldata", "enedis_dataconnect"]


class EnedisFlowMixin(EnedisGatewayFlowMixin, ConfigFlow):
    """Steps that add an Enedis Linky meter, renew its consent (reauth)."""

    _enedis: _ConsentState | None = None

    def _enedis_state(self) -> _ConsentState:
        if self._enedis is None:
            self._enedis = _ConsentState()
        return self._enedis

    async def _async_enedis_implementations(self) -> dict[str, EnedisOAuth2Implementation]:
        implementations: dict[str, AbstractOAuth2Implementation] = await async_get_implementations(
            self.hass, DOMAIN
        )
        return {
            key: impl
            for key, impl in implementations.items()
            if isinstance(impl, EnedisOAuth2Implementation)
        }

    async def async_step_enedis(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask where the meter's data comes from: a gateway's token, or a Data Connect app."""
        return self.async_show_menu(step_id="enedis", menu_options=SOURCE_STEPS)

    async def async_step_enedis_dataconnect(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the Data Connect app and the consent duration, then go to Enedis."""
        try:
            implementations = await self._async_enedis_implementations()
        except ImplementationUnavailableError:
            return self.async_abort(reason="oauth_implementation_unavailable")
        if not implementations:
            # The frontend answers this reason by opening the application-credentials dialog.
            return self.async_abort(reason="missing_credentials")

        errors: dict[str, str] = {}
        if user_input is not None:
            state = self._enedis_state()
            state.implementation = implementations.get(
                user_input.get(CONF_IMPLEMENTATION, ""), next(iter(implementations.values()))
            )
            state.duration = user_input[CONF_CONSENT_DURATION]
            advanced = user_input.get(SECTION_ADVANCED, {})
            state.environment = advanced.get(CONF_ENVIRONMENT, PRODUCTION)
            try:
                state.api_base_url = await async_read_api_base_url(self.hass, user_input)
            except ValueError as err:
                errors["base"] = api_base_url_error(err)
            else:
                return await self._async_enedis_go_to_consent()

        fields: dict[Any, Any] = {}
        if len(implementations) > 1:
            fields[probatio.Required(CONF_IMPLEMENTATION)] = SelectSelector(
                SelectSelectorConfig(
                    options=[
                        SelectOptionDict(value=key, label=impl.name)
                        for key, impl in implementations.items()
                    ]
                )
            )
        fields[probatio.Required(CONF_CONSENT_DURATION, default=DEFAULT_CONSENT_DURATION)] = (
            _duration_selector()
        )
        fields[probatio.Required(SECTION_ADVANCED)] = section(
            probatio.Schema(
                {
                    probatio.Required(CONF_ENVIRONMENT, default=PRODUCTION): SelectSelector(
                        SelectSelectorConfig(
                            options=list(ENVIRONMENTS), translation_key="enedis_environment"
                        )
                    ),
                    probatio.Optional(CONF_API_BASE_URL): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.URL)
                    ),
                }
            ),
            {"collapsed": True},
        )
        return self.async_show_form(
            step_id="enedis_dataconnect", data_schema=probatio.Schema(fields), errors=errors
        )

    async def _async_enedis_go_to_consent(self) -> ConfigFlowResult:
        state = self._enedis_state()
        assert state.implementation is not None
        url = state.implementation.async_consent_url(
            self.flow_id, state.duration, api_base_url=state.api_base_url
        )
        return self.async_external_step(step_id="enedis_consent", url=url)

    async def async_step_enedis_consent(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Receive the Enedis redirect from the callback view."""
        if user_input is None:
            return await self._async_enedis_go_to_consent()
        self._enedis_state().redirect = dict(user_input)
        return self.async_external_step_done(next_step_id="enedis_finish")

    async def async_step_enedis_finish(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Turn the redirect into a meter: refused, v2 (``autorisation_id``) or v1 (PRMs)."""
        state = self._enedis_state()
        redirect = state.redirect
        if error := redirect.get(REDIRECT_ERROR):
            LOGGER.info("Enedis consent not given: %s", error)
            reason = "consent_refused" if error == "access_denied" else "consent_failed"
            return self.async_abort(reason=reason, description_placeholders={"error": error})

        assert state.implementation is not None
        client = async_create_client(
            self.hass,
            state.implementation,
            environment=state.environment,
            api_base_url=state.api_base_url,
        )
        try:
            if autorisation_id := redirect.get(REDIRECT_AUTORISATION_ID):
                consent = await client.async_get_consent(autorisation_id)
                state.autorisation_id = autorisation_id
                state.prms = [consent.prm]
                state.consent_end = consent.end
                state.production = consent.production
            else:
                state.prms = split_usage_points(redirect.get(REDIRECT_USAGE_POINT_ID, ""))
                # v1 redirects carry no consent end: count the duration from today.
                state.consent_end = dt_util.utcnow().astimezone(PARIS).date() + timedelta(
                    days=_DURATION_DAYS[state.duration]
                )
                await client.auth.async_get_token()  # checks the app's id and secret
        except ApiAuthError:
            return self.async_abort(reason="invalid_client")
        except ApiError as err:
            LOGGER.warning("Enedis did not answer the consent check: %s", err)
            return self.async_abort(reason="cannot_connect")
        state.token = client.token.as_dict() if client.token else None

        if not state.prms or not all(_PRM.match(prm) for prm in state.prms):
            return self.async_abort(reason="invalid_meter")
        if len(state.prms) > 1:
            return await self.async_step_enedis_pick_meter()
        return await self._async_enedis_create(state.prms[0])

    async def async_step_enedis_pick_meter(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Several meters consented at once (v1): the user picks the one of this entry."""
        state = self._enedis_state()
        if user_input is not None:
            return await self._async_enedis_create(user_input[CONF_PRM])
        return self.async_show_form(
            step_id="enedis_pick_meter",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_PRM): SelectSelector(
                        SelectSelectorConfig(options=state.prms)
                    )
                }
            ),
        )

    async def _async_enedis_create(self, prm: str) -> ConfigFlowResult:
        state = self._enedis_state()
        assert state.implementation is not None
        await self.async_set_unique_id(prm)
        data: dict[str, Any] = {
            CONF_ENTRY_TYPE: EntryType.ENEDIS.value,
            CONF_SOURCE: Source.DATACONNECT.value,
            CONF_AUTH_IMPLEMENTATION: state.implementation.domain,
            CONF_TOKEN: state.token,
            CONF_PRM: prm,
            CONF_AUTORISATION_ID: state.autorisation_id,
            CONF_CONSENT_END: state.consent_end.isoformat() if state.consent_end else None,
            CONF_CONSENT_DURATION: state.duration,
            CONF_ENVIRONMENT: state.environment,
            CONF_PRODUCTION: state.production,
        }
        if state.api_base_url:
            data[CONF_API_BASE_URL] = state.api_base_url
        if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            self._abort_if_unique_id_mismatch(reason="wrong_meter")
            entry = (
                self._get_reauth_entry()
                if self.source == SOURCE_REAUTH
                else self._get_reconfigure_entry()
            )
            return self.async_update_reload_and_abort(entry, data=data)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(title=entry_title(prm), data=data)

    async def async_step_reauth_enedis(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Renew the consent of a meter (expired, revoked, or about to end)."""
        entry = self._get_reauth_entry()
        if entry.data.get(CONF_SOURCE, Source.DATACONNECT) != Source.DATACONNECT:
            return await self.async_step_reauth_enedis_gateway()
        return await self._async_enedis_renew("reauth_enedis", entry, user_input)

    async def async_step_reconfigure_enedis(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Renew the consent on the user's request (same steps as reauth)."""
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_SOURCE, Source.DATACONNECT) != Source.DATACONNECT:
            # A gateway entry: its secret changes through reauth (same form), nothing else.
            return self.async_abort(reason="reconfigure_not_supported")
        return await self._async_enedis_renew("reconfigure_enedis", entry, user_input)

    async def _async_enedis_renew(
        self, step_id: str, entry: ConfigEntry, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        if user_input is None:
            return self.async_show_form(
                step_id=step_id,
                data_schema=probatio.Schema(
                    {
                        probatio.Required(
                            CONF_CONSENT_DURATION,
                            default=entry.data.get(CONF_CONSENT_DURATION, DEFAULT_CONSENT_DURATION),
                        ): _duration_selector()
                    }
                ),
            )
        try:
            implementations = await self._async_enedis_implementations()
        except ImplementationUnavailableError:
            return self.async_abort(reason="oauth_implementation_unavailable")
        implementation = implementations.get(entry.data.get(CONF_AUTH_IMPLEMENTATION, ""))
        if implementation is None:
            return self.async_abort(reason="missing_credentials")
        state = self._enedis_state()
        state.implementation = implementation
        state.duration = user_input[CONF_CONSENT_DURATION]
        state.environment = entry.data.get(CONF_ENVIRONMENT, PRODUCTION)
        state.api_base_url = entry.data.get(CONF_API_BASE_URL)
        return await self._async_enedis_go_to_consent()
