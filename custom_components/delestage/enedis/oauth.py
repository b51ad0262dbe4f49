"""Enedis consent: the authorize URL, short single-use states and the redirect view.

Home Assistant's stock OAuth2 helpers do not fit Data Connect (reference §12): Enedis caps
``state`` at 100 characters (HA's JWT state is ~220), the v2 redirect carries
``autorisation_id`` instead of ``code`` (HA's ``/auth/external/callback`` drops it), and the
token is an app-wide ``client_credentials`` token with no code exchange. So this module:

- issues a random ``state`` of 32 characters, kept server-side with the flow id, single use,
  valid for 10 minutes (:class:`PendingConsents`);
- builds the v2 authorize URL with the ``duration`` the user chose
  (:class:`EnedisOAuth2Implementation`, returned by ``application_credentials.py``);
- serves the redirect URL registered on DataHub (:class:`EnedisConsentCallbackView`), which
  reads the v2, v1 or error redirect and resumes the flow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
import secrets
from typing import Any, Final, override

from aiohttp import web
from homeassistant.components.application_credentials import ClientCredential
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import InvalidData, UnknownFlow, UnknownStep
from homeassistant.helpers.config_entry_oauth2_flow import AbstractOAuth2Implementation
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from yarl import URL

from ..const import DOMAIN, LOGGER

AUTHORIZE_URL: Final = "https://mon-compte-particulier.enedis.fr/dataconnect/v2/oauth2/authorize"
AUTHORIZE_PATH: Final = "/dataconnect/v2/oauth2/authorize"
CALLBACK_PATH: Final = f"/api/{DOMAIN}/enedis/callback"
STATE_LIFETIME: Final = timedelta(minutes=10)
STATE_MAX_LENGTH: Final = 100  # Enedis refuses longer states

# Consent durations offered to the user. The option values are lower case (hassfest and the
# frontend want translation keys in [a-z0-9-_]); Enedis wants the ISO 8601 duration, so each value
# maps to it only when the consent URL is built. Entries stored before 1.2 held "P3Y"…: the
# migration in ``__init__.py`` lower-cases them. Enedis accepts at most 3 years.
ENEDIS_DURATIONS: Final = {"p1y": "P1Y", "p2y": "P2Y", "p3y": "P3Y"}
CONSENT_DURATIONS: Final = tuple(ENEDIS_DURATIONS)
DEFAULT_CONSENT_DURATION: Final = "p3y"

# Keys of the data the callback view hands to the flow.
REDIRECT_AUTORISATION_ID: Final = "autorisation_id"
REDIRECT_CODE: Final = "code"
REDIRECT_USAGE_POINT_ID: Final = "usage_point_id"
REDIRECT_ERROR: Final = "error"
REDIRECT_ERROR_DESCRIPTION: Final = "error_description"

DATA_PENDING_CONSENTS: HassKey[PendingConsents] = HassKey(f"{DOMAIN}_enedis_pending_consents")
DATA_VIEW_REGISTERED: HassKey[bool] = HassKey(f"{DOMAIN}_enedis_consent_view")


@dataclass(slots=True)
class PendingConsents:
    """States handed to Enedis, each mapped to the flow that waits for its redirect."""

    _flows: dict[str, tuple[str, datetime]] = field(default_factory=dict)

    def issue(self, flow_id: str) -> str:
        """Return a new random state for ``flow_id``."""
        now = dt_util.utcnow()
        self._flows = {s: v for s, v in self._flows.items() if v[1] > now}
        state = secrets.token_urlsafe(24)  # 32 characters
        self._flows[state] = (flow_id, now + STATE_LIFETIME)
        return state

    def claim(self, state: str) -> str | None:
        """Return the flow id of ``state`` and forget it; None when unknown or expired."""
        if (pending := self._flows.pop(state, None)) is None:
            return None
        flow_id, expires_at = pending
        return flow_id if expires_at > dt_util.utcnow() else None

    def __len__(self) -> int:
        """Return how many states wait for their redirect (expired ones until the next issue)."""
        return len(self._flows)


@callback
def async_pending_consents(hass: HomeAssistant) -> PendingConsents:
    """Return the pending consents of this Home Assistant instance."""
    if (pending := hass.data.get(DATA_PENDING_CONSENTS)) is None:
        pending = hass.data[DATA_PENDING_CONSENTS] = PendingConsents()
    return pending


@callback
def async_redirect_url(hass: HomeAssistant) -> str:
    """Return the redirect URL to register on DataHub (best guess at this instance's URL)."""
    try:
        base = get_url(hass, allow_internal=False, prefer_cloud=False)
    except NoURLAvailableError:
        try:
            base = get_url(hass)
        except NoURLAvailableError:
            base = "https://<your-home-assistant-address>"
    return f"{base}{CALLBACK_PATH}"


class EnedisOAuth2Implementation(AbstractOAuth2Implementation):
    """The user's Data Connect app: builds consent URLs; its secret fetches app tokens.

    Enedis never exchanges the consent for a per-user token: every API call uses the app's
    ``client_credentials`` token, fetched by the Enedis client (``api/enedis.py``) from the
    ``client_id`` / ``client_secret`` held here. The token exchange methods of the OAuth2
    protocol are therefore not used by the config flow nor by the runtime.
    """

    def __init__(self, hass: HomeAssistant, auth_domain: str, credential: ClientCredential) -> None:
        """Keep the credential of one Data Connect app."""
        self.hass = hass
        self._domain = auth_domain
        self.client_id = credential.client_id
        self.client_secret = credential.client_secret
        self._name = credential.name

    @property
    @override
    def name(self) -> str:
        """Name of the app, as the user called the credential."""
        return self._name or self.client_id

    @property
    @override
    def domain(self) -> str:
        """The application credential's auth domain."""
        return self._domain

    @override
    async def async_generate_authorize_url(self, flow_id: str) -> str:
        """Return the consent URL for ``flow_id`` with the longest duration."""
        return self.async_consent_url(flow_id, DEFAULT_CONSENT_DURATION)

    @callback
    def async_consent_url(
        self, flow_id: str, duration: str, *, api_base_url: str | None = None
    ) -> str:
        """Return the v2 consent URL for ``flow_id``, asking for ``duration`` (an option value).

        With ``api_base_url`` (the local simulator), its consent page replaces Enedis' one.
        """
        if (enedis_duration := ENEDIS_DURATIONS.get(duration)) is None:
            raise ValueError(f"Unsupported consent duration {duration!r}")
        async_register_consent_view(self.hass)
        state = async_pending_consents(self.hass).issue(flow_id)
        authorize = f"{api_base_url.rstrip('/')}{AUTHORIZE_PATH}" if api_base_url else AUTHORIZE_URL
        return str(
            URL(authorize).with_query(
                client_id=self.client_id,
                state=state,
                duration=enedis_duration,
                response_type="code",
            )
        )

    @override
    async def async_resolve_external_data(self, external_data: Any) -> dict[str, Any]:
        """Return the redirect data as is: there is no code to exchange."""
        return dict(external_data)

    @override
    async def _async_refresh_token(self, token: dict[str, Any]) -> dict[str, Any]:
        """Not used: app tokens come from the Enedis client (client_credentials)."""
        raise NotImplementedError


class EnedisConsentCallbackView(HomeAssistantView):
    """The redirect URL registered on DataHub: resumes the flow that asked for consent."""

    requires_auth = False
    url = CALLBACK_PATH
    name = f"api:{DOMAIN}:enedis:callback"

    async def get(self, request: web.Request) -> web.Response:
        """Read the v2, v1 or error redirect and hand it to the waiting flow."""
        hass = request.app[KEY_HASS]
        query = request.query
        state = query.get("state", "")
        if not state or len(state) > STATE_MAX_LENGTH:
            return _page("Missing or invalid state.", status=400)
        user_input = _redirect_data(query)
        if user_input is None:
            return _page("The redirect carries neither a consent nor an error.", status=400)
        flow_id = async_pending_consents(hass).claim(state)
        if flow_id is None:
            LOGGER.debug("Enedis consent redirect with an unknown or expired state")
            return _page(
                "This consent link is unknown, already used or expired. "
                "Start again from Home Assistant.",
                status=400,
            )
        try:
            await hass.config_entries.flow.async_configure(flow_id=flow_id, user_input=user_input)
        except UnknownFlow:
            return _page("The set-up in Home Assistant is no longer open. Start again.", 400)
        except InvalidData, UnknownStep:
            # The flow moved on (another consent link of the same flow was used first).
            return _page("The set-up in Home Assistant has already moved on.", 400)
        LOGGER.debug("Resumed the Enedis consent flow")
        return _page("Done. You can close this window and return to Home Assistant.", close=True)


def _redirect_data(query: Any) -> dict[str, str] | None:
    """Return what a redirect tells the flow, or None when it tells nothing usable."""
    if error := query.get(REDIRECT_ERROR):
        return {
            REDIRECT_ERROR: str(error)[:100],
            REDIRECT_ERROR_DESCRIPTION: str(query.get(REDIRECT_ERROR_DESCRIPTION, ""))[:300],
        }
    if autorisation_id := query.get(REDIRECT_AUTORISATION_ID):
        return {REDIRECT_AUTORISATION_ID: str(autorisation_id)}
    if usage_point_id := query.get(REDIRECT_USAGE_POINT_ID):
        return {
            REDIRECT_CODE: str(query.get(REDIRECT_CODE, "")),
            REDIRECT_USAGE_POINT_ID: str(usage_point_id),
        }
    return None


def _page(message: str, status: int = 200, *, close: bool = False) -> web.Response:
    script = "<script>window.close()</script>" if close else ""
    return web.Response(
        status=status,
        content_type="text/html",
        text=f"<!DOCTYPE html><html><body><p>{escape(message)}</p>{script}</body></html>",
    )


@callback
def async_register_consent_view(hass: HomeAssistant) -> None:
    """Serve the consent redirect URL (once per Home Assistant run).

    Called from the integration's ``async_setup`` and again when a consent starts: a first
    flow runs before the integration is set up.
    """
    if hass.data.get(DATA_VIEW_REGISTERED):
        return
    hass.data[DATA_VIEW_REGISTERED] = True
    hass.http.register_view(EnedisConsentCallbackView)
