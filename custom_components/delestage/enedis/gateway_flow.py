"""Config flow steps of a Linky entry fed by a gateway: Conso API or MyElectricalData.

The user pastes the personal secret the gateway gave after the Enedis consent; the flow checks
it with one cheap request (Conso API: the newest daily values of the chosen meter, its PRMs
being read from the token itself; MyElectricalData: the account's meter list), offers a pick
list when it covers several meters, and creates the same Enedis entry as Data Connect does,
with ``source`` and ``api_token`` (DESIGN §1). A wrong or expired secret is refused in the form;
later, the same form (reauth) takes a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import dt as dt_util
import probatio

from ..api.budget import GatewayQuotaError
from ..api.enedis_errors import EnedisHistoryLimitError, EnedisNoDataError
from ..api.enedis_gateways import (
    ConsoApiClient,
    GatewayMeter,
    GatewayTokenError,
    Source,
    decode_conso_token,
)
from ..api.enedis_models import PARIS
from ..api.errors import ApiError
from ..const import CONF_API_BASE_URL, CONF_ENTRY_TYPE, LOGGER, EntryType
from ..flow_helpers import SECTION_ADVANCED, api_base_url_error, async_read_api_base_url
from .client import async_create_gateway_client
from .const import (
    CONF_API_TOKEN,
    CONF_CONSENT_END,
    CONF_PRM,
    CONF_PRODUCTION,
    CONF_SOURCE,
    entry_title,
)

# Where the user gets the secret (shown in the forms, en + fr).
GATEWAY_LINKS = {
    Source.CONSO_API: "https://conso.boris.sh",
    Source.MYELECTRICALDATA: "https://www.v2.myelectricaldata.fr",
}


@dataclass(slots=True)
class _GatewayState:
    """What the gateway steps of one flow collected so far."""

    source: Source
    token: str
    api_base_url: str | None
    meters: tuple[GatewayMeter, ...] = ()
    production: bool = False
    consent_end: str | None = None
    validated: set[str] = field(default_factory=set)


def _advanced() -> section:
    return section(
        probatio.Schema(
            {
                probatio.Optional(CONF_API_BASE_URL): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.URL)
                )
            }
        ),
        {"collapsed": True},
    )


class EnedisGatewayFlowMixin(ConfigFlow):
    """Steps that add a Linky meter through Conso API or MyElectricalData, or renew its secret."""

    _gateway: _GatewayState | None = None

    async def async_step_enedis_conso_api(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Paste the Conso API token (conso.boris.sh)."""
        return await self._async_gateway_token(Source.CONSO_API, user_input)

    async def async_step_enedis_myelectricaldata(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Paste the MyElectricalData API secret (v2)."""
        return await self._async_gateway_token(Source.MYELECTRICALDATA, user_input)

    async def _async_gateway_token(
        self, source: Source, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        step_id = f"enedis_{source}"
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                api_base_url = await async_read_api_base_url(self.hass, user_input)
            except ValueError as err:
                errors["base"] = api_base_url_error(err)
            else:
                state = _GatewayState(
                    source,
                    str(user_input[CONF_API_TOKEN]).strip(),
                    api_base_url,
                    production=bool(user_input.get(CONF_PRODUCTION, False)),
                )
                if not (error := await self._async_gateway_read(state)):
                    self._gateway = state
                    if len(state.meters) > 1:
                        return await self.async_step_enedis_gateway_meter()
                    prm = state.meters[0].prm
                    if not (error := await self._async_gateway_check(state, prm)):
                        return await self._async_gateway_create(prm)
                errors[_field(error)] = error
        fields: dict[Any, Any] = {
            probatio.Required(CONF_API_TOKEN): TextSelector(
                TextSelectorConfig(type=TextSelectorType.PASSWORD)
            )
        }
        if source is Source.CONSO_API:  # MyElectricalData says it with the meter list
            fields[probatio.Required(CONF_PRODUCTION, default=False)] = BooleanSelector()
        fields[probatio.Required(SECTION_ADVANCED)] = _advanced()
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(fields), user_input or {}
            ),
            errors=errors,
            description_placeholders={"url": GATEWAY_LINKS[source]},
        )

    async def async_step_enedis_gateway_meter(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick the meter of this entry when the secret covers several."""
        state = self._gateway
        assert state is not None
        if user_input is None:
            return self._async_show_meter_form({})
        prm = user_input[CONF_PRM]
        if error := await self._async_gateway_check(state, prm):
            return self._async_show_meter_form({"base": error})
        return await self._async_gateway_create(prm)

    def _async_show_meter_form(self, errors: dict[str, str]) -> ConfigFlowResult:
        state = self._gateway
        assert state is not None
        options = [
            SelectOptionDict(
                value=meter.prm, label=f"{meter.prm} ({meter.name})" if meter.name else meter.prm
            )
            for meter in state.meters
        ]
        return self.async_show_form(
            step_id="enedis_gateway_meter",
            data_schema=probatio.Schema(
                {probatio.Required(CONF_PRM): SelectSelector(SelectSelectorConfig(options=options))}
            ),
            errors=errors,
        )

    async def _async_gateway_read(self, state: _GatewayState) -> str | None:
        """Read the meters the secret covers; return an error key, or None."""
        if state.source is Source.CONSO_API:
            try:
                claims = decode_conso_token(state.token)
            except ValueError:
                return "enedis_token_malformed"
            if claims.expired(dt_util.utcnow()):
                return "enedis_token_expired"
            state.meters = tuple(GatewayMeter(prm, state.production) for prm in claims.prms)
            if claims.expires is not None:
                state.consent_end = claims.expires.astimezone(PARIS).date().isoformat()
            return None
        client = await async_create_gateway_client(
            self.hass, state.source, state.token, state.api_base_url
        )
        try:
            state.meters = await client.async_get_meters()
        except ApiError as err:
            return _error_key(err)
        if not state.meters:
            return "enedis_no_meter"
        # The meter list is the check: no second request for the chosen meter.
        state.validated = {meter.prm for meter in state.meters}
        return None

    async def _async_gateway_check(self, state: _GatewayState, prm: str) -> str | None:
        """One cheap request with the secret for ``prm`` (none when already checked)."""
        if prm in state.validated:
            return None
        client = await async_create_gateway_client(
            self.hass, state.source, state.token, state.api_base_url
        )
        assert isinstance(client, ConsoApiClient)
        today = dt_util.utcnow().astimezone(PARIS).date()
        try:
            await client.async_get_daily_consumption(prm, today - timedelta(days=2), today)
        except EnedisNoDataError, EnedisHistoryLimitError:
            pass  # the token works; Enedis has nothing for those days (yet), or the meter is new
        except ApiError as err:
            return _error_key(err)
        state.validated.add(prm)
        return None

    async def _async_gateway_create(self, prm: str) -> ConfigFlowResult:
        state = self._gateway
        assert state is not None
        meter = next((m for m in state.meters if m.prm == prm), GatewayMeter(prm))
        data: dict[str, Any] = {
            CONF_ENTRY_TYPE: EntryType.ENEDIS.value,
            CONF_SOURCE: state.source.value,
            CONF_PRM: prm,
            CONF_API_TOKEN: state.token,
            CONF_CONSENT_END: state.consent_end,
            CONF_PRODUCTION: meter.production or state.production,
        }
        if state.api_base_url:
            data[CONF_API_BASE_URL] = state.api_base_url
        await self.async_set_unique_id(prm)
        if self.source == SOURCE_REAUTH:
            self._abort_if_unique_id_mismatch(reason="wrong_meter")
            return self.async_update_reload_and_abort(self._get_reauth_entry(), data_updates=data)
        self._abort_if_unique_id_configured()
        LOGGER.debug("Linky meter added through %s", state.source)
        return self.async_create_entry(title=entry_title(prm), data=data)

    # ------------------------------------------------------------------ reauth

    async def async_step_reauth_enedis_gateway(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new secret: the gateway refused the old one (wrong, expired, revoked)."""
        entry = self._get_reauth_entry()
        if user_input is None:
            return self._async_show_renew_form(entry, {})
        source = Source(entry.data[CONF_SOURCE])
        state = _GatewayState(
            source,
            str(user_input[CONF_API_TOKEN]).strip(),
            entry.data.get(CONF_API_BASE_URL),
            production=bool(entry.data.get(CONF_PRODUCTION, False)),
        )
        if error := await self._async_gateway_read(state):
            return self._async_show_renew_form(entry, {_field(error): error})
        prm = entry.data[CONF_PRM]
        if prm not in {meter.prm for meter in state.meters}:
            return self._async_show_renew_form(entry, {CONF_API_TOKEN: "enedis_token_wrong_meter"})
        if error := await self._async_gateway_check(state, prm):
            return self._async_show_renew_form(entry, {_field(error): error})
        self._gateway = state
        return await self._async_gateway_create(prm)

    def _async_show_renew_form(
        self, entry: ConfigEntry, errors: dict[str, str]
    ) -> ConfigFlowResult:
        source = Source(entry.data[CONF_SOURCE])
        return self.async_show_form(
            step_id="reauth_enedis_gateway",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_API_TOKEN): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.PASSWORD)
                    )
                }
            ),
            errors=errors,
            description_placeholders={
                "title": entry.title,
                "url": GATEWAY_LINKS[source],
                "gateway": "Conso API" if source is Source.CONSO_API else "MyElectricalData",
            },
        )


def _field(error: str) -> str:
    """Token errors show under the token field, the others above the form."""
    return CONF_API_TOKEN if error.startswith("enedis_token") else "base"


def _error_key(err: ApiError) -> str:
    if isinstance(err, GatewayTokenError):
        return "enedis_token_invalid"
    if isinstance(err, GatewayQuotaError):
        return "enedis_gateway_refused"
    LOGGER.info("Linky gateway check failed: %s", err)
    return "enedis_cannot_connect"
