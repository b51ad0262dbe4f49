"""Config flow steps of the Météo-France entry, and its options flow.

Credentials first (checked by fetching the station list), then the station (checked by
fetching an observation); reauth takes new credentials, reconfigure another station or
resolution, the options flow the resolution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from ..api.errors import (
    ApiAuthError,
    ApiError,
    ApiForbiddenError,
    ApiRateLimitedError,
)
from ..api.meteofrance import (
    BadRequestError,
    InvalidApplicationIdError,
    MeteoFranceClient,
    Resolution,
    Station,
    StationNotFoundError,
    is_station_id,
    nearest_stations,
)
from ..const import CONF_API_BASE_URL, CONF_ENTRY_TYPE, DOMAIN, LOGGER, EntryType
from ..flow_helpers import SECTION_ADVANCED, api_base_url_error, async_read_api_base_url
from .client import async_create_client, credential_of
from .const import (
    CONF_API_KEY,
    CONF_APPLICATION_ID,
    CONF_AUTH_METHOD,
    CONF_RESOLUTION,
    CONF_STATION_ID,
    DEFAULT_RESOLUTION,
    AuthMethod,
)

CONF_CREDENTIAL = "credential"  # form field: the API key or the application id
# How many stations the picker offers, nearest first.
PICKER_SIZE = 15
_LOWER_WORDS = frozenset({"de", "des", "du", "en", "et", "la", "le", "les", "sur", "sous"})

_RESOLUTION_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[resolution.value for resolution in Resolution],
        translation_key="meteofrance_resolution",
        mode=SelectSelectorMode.LIST,
    )
)


def station_display_name(name: str) -> str:
    """Turn a list name such as ``BRETIGNY-SUR-ORGE`` into ``Bretigny-sur-Orge``."""
    words = []
    for index, word in enumerate(name.strip().lower().split(" ")):
        parts = [
            part if (index or position) and part in _LOWER_WORDS else part.capitalize()
            for position, part in enumerate(word.split("-"))
        ]
        words.append("-".join(parts))
    return " ".join(words)


def _credentials_schema(method: AuthMethod, with_advanced: bool) -> probatio.Schema:
    fields: dict[Any, Any] = {
        probatio.Required(CONF_AUTH_METHOD, default=method.value): SelectSelector(
            SelectSelectorConfig(
                options=[auth.value for auth in AuthMethod],
                translation_key="meteofrance_auth_method",
                mode=SelectSelectorMode.LIST,
            )
        ),
        probatio.Required(CONF_CREDENTIAL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        ),
    }
    if with_advanced:
        fields[probatio.Required(SECTION_ADVANCED)] = section(
            probatio.Schema(
                {
                    probatio.Optional(CONF_API_BASE_URL): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.URL)
                    )
                }
            ),
            {"collapsed": True},
        )
    return probatio.Schema(fields)


def _credential_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Entry data of the credentials typed in the form (only the chosen method's key)."""
    method = AuthMethod(user_input[CONF_AUTH_METHOD])
    key = CONF_API_KEY if method is AuthMethod.API_KEY else CONF_APPLICATION_ID
    return {CONF_AUTH_METHOD: method.value, key: str(user_input[CONF_CREDENTIAL]).strip()}


def _error_of(err: ApiError) -> str:
    """Form error key of an API error."""
    if isinstance(err, InvalidApplicationIdError):
        return "meteofrance_invalid_application_id"
    if isinstance(err, ApiAuthError):
        return "meteofrance_invalid_auth"
    if isinstance(err, ApiForbiddenError):
        return "meteofrance_not_subscribed"
    if isinstance(err, (StationNotFoundError, BadRequestError)):
        return "meteofrance_station_not_found"
    if isinstance(err, ApiRateLimitedError):
        return "meteofrance_rate_limited"
    LOGGER.debug("Météo-France check failed: %s", err)
    return "meteofrance_cannot_connect"


class MeteoFranceFlowMixin(ConfigFlow):
    """Steps that add a Météo-France station, re-authenticate it, reconfigure it."""

    _mf_data: dict[str, Any]
    _mf_stations: list[Station]

    def _mf_client(self, data: Mapping[str, Any]) -> MeteoFranceClient:
        return async_create_client(self.hass, data)

    async def async_step_meteofrance(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the API key or the application id, and check it by fetching the stations."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {CONF_ENTRY_TYPE: EntryType.METEOFRANCE.value, **_credential_data(user_input)}
            try:
                base_url = await async_read_api_base_url(self.hass, user_input)
            except ValueError as err:
                errors[CONF_API_BASE_URL] = f"meteofrance_{api_base_url_error(err)}"
            else:
                if base_url:
                    data[CONF_API_BASE_URL] = base_url
                try:
                    self._mf_stations = await self._mf_client(data).async_get_stations()
                except ApiError as err:
                    errors["base"] = _error_of(err)
                else:
                    self._mf_data = data
                    return await self.async_step_meteofrance_station()
        schema = _credentials_schema(AuthMethod.API_KEY, with_advanced=True)
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(step_id="meteofrance", data_schema=schema, errors=errors)

    def _mf_station_selector(self, current: str | None = None) -> SelectSelector:
        """Nearest stations to the home, with their distance; any 8-digit id may be typed."""
        ranked = nearest_stations(
            self._mf_stations, self.hass.config.latitude, self.hass.config.longitude, PICKER_SIZE
        )
        options = [
            SelectOptionDict(
                value=station.station_id,
                label=f"{station_display_name(station.name)} ({station.station_id}) – "
                f"{distance:.1f} km",
            )
            for station, distance in ranked
        ]
        if current is not None and current not in {option["value"] for option in options}:
            options.insert(0, SelectOptionDict(value=current, label=current))
        return SelectSelector(
            SelectSelectorConfig(
                options=options, custom_value=True, mode=SelectSelectorMode.DROPDOWN
            )
        )

    def _mf_station_name(self, station_id: str) -> str:
        for station in self._mf_stations:
            if station.station_id == station_id:
                return station_display_name(station.name)
        return station_id

    async def _mf_check_station(
        self, data: Mapping[str, Any], station_id: str, resolution: Resolution
    ) -> str | None:
        """Fetch an observation of the station; return a form error key, or None when fine."""
        if not is_station_id(station_id):
            return "meteofrance_invalid_station_id"
        try:
            client = self._mf_client(data)
            await client.async_get_observation(station_id, resolution)
        except ApiError as err:
            return _error_of(err)
        return None

    async def async_step_meteofrance_station(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick one of the nearest stations, or type its 8-digit id."""
        errors: dict[str, str] = {}
        default: str | None = None
        if user_input is not None:
            station_id = str(user_input[CONF_STATION_ID]).strip()
            await self.async_set_unique_id(station_id)
            self._abort_if_unique_id_configured()
            error = await self._mf_check_station(self._mf_data, station_id, DEFAULT_RESOLUTION)
            if error is None:
                return self.async_create_entry(
                    title=self._mf_station_name(station_id),
                    data={**self._mf_data, CONF_STATION_ID: station_id},
                    options={CONF_RESOLUTION: DEFAULT_RESOLUTION.value},
                )
            errors[CONF_STATION_ID] = error
            default = station_id
        selector = self._mf_station_selector(default)
        if default is None and (first := selector.config["options"]):
            default = str(first[0]["value"])  # type: ignore[index]
        schema = probatio.Schema(
            {
                probatio.Required(CONF_STATION_ID, **({"default": default} if default else {})): (
                    selector
                )
            }
        )
        return self.async_show_form(
            step_id="meteofrance_station",
            data_schema=schema,
            errors=errors,
            description_placeholders={"count": str(len(self._mf_stations))},
        )

    async def async_step_reauth_meteofrance(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take a new API key or application id; check it on the entry's station."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                key: value
                for key, value in entry.data.items()
                if key not in (CONF_API_KEY, CONF_APPLICATION_ID, CONF_AUTH_METHOD)
            }
            data.update(_credential_data(user_input))
            resolution = Resolution(entry.options.get(CONF_RESOLUTION, DEFAULT_RESOLUTION))
            error = await self._mf_check_station(data, data[CONF_STATION_ID], resolution)
            if error is None:
                return self.async_update_reload_and_abort(entry, data=data)
            errors["base"] = error
        schema = _credentials_schema(credential_of(entry.data)[0], with_advanced=False)
        return self.async_show_form(
            step_id="reauth_meteofrance",
            data_schema=schema,
            errors=errors,
            description_placeholders={"station": entry.title},
        )

    async def async_step_reconfigure_meteofrance(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the station or the resolution of an entry."""
        entry = self._get_reconfigure_entry()
        current_station = str(entry.data[CONF_STATION_ID])
        current_resolution = entry.options.get(CONF_RESOLUTION, DEFAULT_RESOLUTION.value)
        errors: dict[str, str] = {}
        if user_input is None:
            try:
                self._mf_stations = await self._mf_client(entry.data).async_get_stations()
            except ApiError as err:
                LOGGER.debug("No station list for the reconfigure form: %s", err)
                self._mf_stations = []
        else:
            station_id = str(user_input[CONF_STATION_ID]).strip()
            resolution = Resolution(user_input[CONF_RESOLUTION])
            if station_id != current_station and (
                self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, station_id)
            ):
                return self.async_abort(reason="already_configured")
            error = await self._mf_check_station(entry.data, station_id, resolution)
            if error is None:
                changed = station_id != current_station
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=station_id,
                    title=self._mf_station_name(station_id) if changed else entry.title,
                    data_updates={CONF_STATION_ID: station_id},
                    options={**entry.options, CONF_RESOLUTION: resolution.value},
                )
            errors[CONF_STATION_ID] = error
            current_station, current_resolution = station_id, resolution.value
        schema = probatio.Schema(
            {
                probatio.Required(CONF_STATION_ID, default=current_station): (
                    self._mf_station_selector(current_station)
                ),
                probatio.Required(
                    CONF_RESOLUTION, default=current_resolution
                ): _RESOLUTION_SELECTOR,
            }
        )
        return self.async_show_form(
            step_id="reconfigure_meteofrance", data_schema=schema, errors=errors
        )


class MeteoFranceOptionsFlow(OptionsFlowWithReload):
    """Options of a station: hourly or 6-minute observations."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Start with this entry type's own step (step ids are translation keys)."""
        return await self.async_step_meteofrance_options(user_input)

    async def async_step_meteofrance_options(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the resolution."""
        if user_input is not None:
            return self.async_create_entry(
                data={**self.config_entry.options, CONF_RESOLUTION: user_input[CONF_RESOLUTION]}
            )
        current = self.config_entry.options.get(CONF_RESOLUTION, DEFAULT_RESOLUTION.value)
        return self.async_show_form(
            step_id="meteofrance_options",
            data_schema=probatio.Schema(
                {probatio.Required(CONF_RESOLUTION, default=current): _RESOLUTION_SELECTOR}
            ),
        )
