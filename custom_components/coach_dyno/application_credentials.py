"""Application credentials: the user's own Strava API application signs them in."""

from __future__ import annotations

from typing import Any, cast

from homeassistant.components.application_credentials import (
    AuthImplementation,
    AuthorizationServer,
    ClientCredential,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import AbstractOAuth2Implementation
from homeassistant.util.json import json_loads

from .const import STRAVA_AUTHORIZE_URL, STRAVA_TOKEN_URL
from .sources.strava import StravaInactiveError, is_app_inactive


class StravaAuthImplementation(AuthImplementation):
    """Strava's OAuth2: tells an inactive application apart from refused credentials."""

    async def _token_request(self, data: dict[str, Any]) -> dict[str, Any]:
        """
        Make a token request; an inactive application raises StravaInactiveError.

        Home Assistant's own request keeps only the status of a failure, and a 403 from the token
        endpoint would then read as refused credentials and start a reauthentication that cannot
        help: Strava's body says the application lacks its owner's subscription.
        """
        session = async_get_clientsession(self.hass)
        form = {**data, "client_id": self.client_id, "client_secret": self.client_secret}
        async with session.post(self.token_url, data=form) as resp:
            body = await resp.read()
            if is_app_inactive(resp.status, body):
                raise StravaInactiveError
            resp.raise_for_status()
        return cast(dict[str, Any], json_loads(body))


async def async_get_authorization_server(hass: HomeAssistant) -> AuthorizationServer:
    """Return Strava's OAuth2 endpoints."""
    return AuthorizationServer(authorize_url=STRAVA_AUTHORIZE_URL, token_url=STRAVA_TOKEN_URL)


async def async_get_auth_implementation(
    hass: HomeAssistant, auth_domain: str, credential: ClientCredential
) -> AbstractOAuth2Implementation:
    """Return Strava's OAuth2 implementation for the user's application."""
    return StravaAuthImplementation(
        hass, auth_domain, credential, await async_get_authorization_server(hass)
    )


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Tell the user where to create the Strava API application."""
    return {
        "more_info_url": "https://developers.strava.com/docs/getting-started/",
        "settings_url": "https://www.strava.com/settings/api",
    }
