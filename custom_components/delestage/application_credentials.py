"""Application credentials: the user's own Enedis Data Connect app (client id + secret)."""

from __future__ import annotations

from homeassistant.components.application_credentials import ClientCredential
from homeassistant.core import HomeAssistant
from homeassistant.helpers.config_entry_oauth2_flow import AbstractOAuth2Implementation

from .enedis.oauth import EnedisOAuth2Implementation, async_redirect_url


async def async_get_auth_implementation(
    hass: HomeAssistant, auth_domain: str, credential: ClientCredential
) -> AbstractOAuth2Implementation:
    """Return the Enedis consent implementation for one Data Connect app."""
    return EnedisOAuth2Implementation(hass, auth_domain, credential)


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Tell the credentials dialog which redirect URL to register on DataHub."""
    return {
        "redirect_url": async_redirect_url(hass),
        "datahub_url": "https://datahub-enedis.fr/",
    }
