"""Application credentials: the user's own Strava API application signs them in."""

from __future__ import annotations

from homeassistant.components.application_credentials import AuthorizationServer
from homeassistant.core import HomeAssistant

from .const import STRAVA_AUTHORIZE_URL, STRAVA_TOKEN_URL


async def async_get_authorization_server(hass: HomeAssistant) -> AuthorizationServer:
    """Return Strava's OAuth2 endpoints."""
    return AuthorizationServer(authorize_url=STRAVA_AUTHORIZE_URL, token_url=STRAVA_TOKEN_URL)


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Tell the user where to create the Strava API application."""
    return {
        "more_info_url": "https://developers.strava.com/docs/getting-started/",
        "settings_url": "https://www.strava.com/settings/api",
    }
