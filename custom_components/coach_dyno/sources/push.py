"""Strava push: a Home Assistant webhook, the Strava subscription behind it, and its events."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
import secrets
from types import ModuleType
from typing import TYPE_CHECKING, Any, Self

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import (
    LocalOAuth2Implementation,
    async_get_config_entry_implementation,
)
from homeassistant.helpers.network import NoURLAvailableError
from yarl import URL

from custom_components.coach_dyno import repairs
from custom_components.coach_dyno.const import (
    CONF_ATHLETE_ID,
    CONF_CLOUDHOOK_URL,
    CONF_SUBSCRIPTION_ID,
    CONF_VERIFY_TOKEN,
    DOMAIN,
    LOGGER,
)

from .harvest import streams_add_value
from .strava import StravaClient, StravaError, StravaNotFoundError

if TYPE_CHECKING:
    from custom_components.coach_dyno.coordinator import CoachDynoConfigEntry
    from custom_components.coach_dyno.training.activity import Activity

OBJECT_TYPES = ("activity", "athlete")
ASPECT_TYPES = ("create", "update", "delete")


def new_verify_token() -> str:
    """Return a per-entry secret that Strava echoes when it validates our callback."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class PushEvent:
    """The fields of a Strava push event that Coach Dyno acts on."""

    object_type: str
    aspect_type: str
    object_id: int
    owner_id: int
    subscription_id: int
    updates: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: Any) -> Self:
        """Validate a POSTed body; ValueError when it is not a Strava event."""
        try:
            event = cls(
                object_type=str(body["object_type"]),
                aspect_type=str(body["aspect_type"]),
                object_id=int(body["object_id"]),
                owner_id=int(body["owner_id"]),
                subscription_id=int(body["subscription_id"]),
                updates=body.get("updates") or {},
            )
        except (AttributeError, KeyError, TypeError) as err:
            # Not an object, or an object without the fields every event carries.
            raise ValueError("not a Strava push event") from err
        if (
            event.object_type not in OBJECT_TYPES
            or event.aspect_type not in ASPECT_TYPES
            or event.object_id <= 0
            or not isinstance(event.updates, dict)
        ):
            raise ValueError("not a Strava push event")
        return event


def _loaded_cloud(hass: HomeAssistant) -> ModuleType | None:
    """
    Return Home Assistant Cloud when it is set up.

    Imported only then: importing it drags in the camera and voice stacks (a third of a second,
    and an error in the log on machines without libturbojpeg) for users who have no cloud.
    """
    if "cloud" not in hass.config.components:
        return None
    from homeassistant.components import cloud  # noqa: PLC0415

    return cloud


class PushManager:
    """Keeps one Strava push subscription pointed at this entry's webhook."""

    def __init__(
        self, hass: HomeAssistant, entry: CoachDynoConfigEntry, client: StravaClient
    ) -> None:
        """Bind the manager to its entry and API client."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self.webhook_url: str | None = None
        self.connected = False

    @property
    def _webhook_id(self) -> str:
        return str(self._entry.data[CONF_WEBHOOK_ID])

    async def async_start(self) -> None:
        """Register the webhook, then (re)create the Strava subscription in the background."""
        webhook.async_register(
            self._hass,
            DOMAIN,
            f"Coach Dyno {self._entry.title}",
            self._webhook_id,
            self._async_handle,
            local_only=False,
            allowed_methods=("GET", "POST"),
        )
        # Strava validates the callback while we wait for its answer, so never block setup on it.
        self._entry.async_create_background_task(
            self._hass, self._async_subscribe(), "coach_dyno push subscription"
        )

    async def async_stop(self) -> None:
        """Stop receiving events; the Strava subscription stays for the next start."""
        webhook.async_unregister(self._hass, self._webhook_id)
        self.connected = False

    async def _async_webhook_url(self) -> str | None:
        """Return an https URL Strava can reach, or None."""
        if (cloud := _loaded_cloud(self._hass)) and cloud.async_active_subscription(self._hass):
            if url := self._entry.data.get(CONF_CLOUDHOOK_URL):
                return str(url)
            try:
                url = await cloud.async_create_cloudhook(self._hass, self._webhook_id)
            except cloud.CloudNotAvailable:
                # Not connected right now: the external URL may still do.
                LOGGER.debug("Home Assistant Cloud is not connected; trying the external URL")
            else:
                self._hass.config_entries.async_update_entry(
                    self._entry, data={**self._entry.data, CONF_CLOUDHOOK_URL: url}
                )
                return str(url)
        try:
            url = webhook.async_generate_url(
                self._hass, self._webhook_id, allow_internal=False, prefer_external=True
            )
        except NoURLAvailableError:
            return None
        return url if URL(url).scheme == "https" else None

    async def _async_subscribe(self) -> None:
        """Point Strava's (single) push subscription at our webhook."""
        url = await self._async_webhook_url()
        if url is None:
            repairs.async_create_push_unavailable(
                self._hass, self._entry.entry_id, self._entry.title
            )
            LOGGER.info("Strava push is off: no https external URL; polling hourly instead")
            return
        repairs.async_delete_push_unavailable(self._hass, self._entry.entry_id)
        try:
            client_id, client_secret = await _async_app_credentials(self._hass, self._entry)
            existing = await self._client.list_subscriptions(client_id, client_secret)
            subscription_id = next(
                (_subscription_id(sub) for sub in existing if sub.get("callback_url") == url),
                None,
            )
            if subscription_id is None:
                # Strava allows one subscription per application: replace a stale one.
                for sub in existing:
                    await self._client.delete_subscription(
                        _subscription_id(sub), client_id, client_secret
                    )
                subscription_id = await self._client.create_subscription(
                    client_id, client_secret, url, self._entry.data[CONF_VERIFY_TOKEN]
                )
        except StravaError as err:
            LOGGER.warning("Could not subscribe to Strava push (%s); polling hourly", err)
            return
        if self._entry.data.get(CONF_SUBSCRIPTION_ID) != subscription_id:
            self._hass.config_entries.async_update_entry(
                self._entry, data={**self._entry.data, CONF_SUBSCRIPTION_ID: subscription_id}
            )
        self.webhook_url = url
        self.connected = True
        self._entry.runtime_data.coordinator.set_push_healthy(True)

    async def _async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Answer Strava's validation GET, or acknowledge an event at once and process it after."""
        if request.method == "GET":
            return self._validation_response(request)
        try:
            event = PushEvent.from_json(await request.json())
        except ValueError:
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        if not self._is_ours(event):
            # Events are not signed: anything not for our subscription and athlete is dropped.
            LOGGER.debug("Ignored a push event that is not for this subscription")
            return web.Response(status=HTTPStatus.OK)
        # Strava wants an answer within 2 seconds; reading the activity happens after it.
        self._entry.async_create_background_task(
            hass, self._async_process(event), "coach_dyno push event"
        )
        return web.Response(status=HTTPStatus.OK)

    @callback
    def _validation_response(self, request: web.Request) -> web.Response:
        """Echo hub.challenge only to a request that knows our verify token."""
        query = request.query
        # Compared as bytes: compare_digest refuses str holding non-ASCII characters.
        if query.get("hub.mode") != "subscribe" or not secrets.compare_digest(
            query.get("hub.verify_token", "").encode(),
            str(self._entry.data[CONF_VERIFY_TOKEN]).encode(),
        ):
            return web.Response(status=HTTPStatus.FORBIDDEN)
        return web.json_response({"hub.challenge": query.get("hub.challenge", "")})

    def _is_ours(self, event: PushEvent) -> bool:
        """Check the unsigned event's subscription and owner against what we registered."""
        data = self._entry.data
        return bool(
            event.subscription_id == data.get(CONF_SUBSCRIPTION_ID)
            and event.owner_id == int(data[CONF_ATHLETE_ID])
        )

    async def _async_process(self, event: PushEvent) -> None:
        """Apply one event: re-fetch what changed through the API, never trust the payload."""
        coordinator = self._entry.runtime_data.coordinator
        if event.object_type == "athlete":
            if str(event.updates.get("authorized", "")).lower() == "false":
                LOGGER.warning("The athlete revoked Coach Dyno's access on Strava")
                self._entry.async_start_reauth(self._hass)
            return
        if event.aspect_type == "delete":
            await coordinator.async_apply_changes((), deleted=(event.object_id,))
            return
        try:
            activity = await fetch_event_activity(self._client, event)
        except StravaNotFoundError:
            # Gone (or hidden from us) before we could read it.
            await coordinator.async_apply_changes((), deleted=(event.object_id,))
            return
        except StravaError as err:
            LOGGER.warning("Could not read activity from a push event (%s); next sync will", err)
            return
        await coordinator.async_apply_changes((activity,))

    @staticmethod
    async def async_remove_subscription(hass: HomeAssistant, entry: CoachDynoConfigEntry) -> None:
        """Delete the Strava subscription and cloudhook of a removed entry (best effort)."""
        if entry.data.get(CONF_CLOUDHOOK_URL) and (cloud := _loaded_cloud(hass)):
            try:
                await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
            except (cloud.CloudNotAvailable, ValueError):
                LOGGER.debug("The cloudhook was already gone")
        if (subscription_id := entry.data.get(CONF_SUBSCRIPTION_ID)) is None:
            return
        client = StravaClient(async_get_clientsession(hass), no_athlete_token)
        try:
            client_id, client_secret = await _async_app_credentials(hass, entry)
            await client.delete_subscription(int(subscription_id), client_id, client_secret)
        except StravaNotFoundError:
            LOGGER.debug("The Strava push subscription was already gone")
        except StravaError as err:
            LOGGER.warning("Could not delete the Strava push subscription (%s)", err)


async def fetch_event_activity(client: StravaClient, event: PushEvent) -> Activity:
    """Re-read the activity an event names; a new run worth its streams costs a second call."""
    activity = await client.get_activity(event.object_id)
    if (
        event.aspect_type == "create"
        and streams_add_value(activity)
        and client.governor.may_fetch_streams()
    ):
        activity = await client.async_with_stream_summary(activity)
    return activity


async def no_athlete_token() -> str:
    """Refuse an athlete token: push subscription calls authenticate with the application."""
    raise StravaError("push subscription calls use the application credentials")


async def _async_app_credentials(
    hass: HomeAssistant, entry: CoachDynoConfigEntry
) -> tuple[str, str]:
    """Return the Strava application's client id and secret (push calls authenticate with them)."""
    try:
        implementation = await async_get_config_entry_implementation(hass, entry)
    except (ValueError, HomeAssistantError):
        # The user deleted the application credentials (ValueError), or since 2026.2 a provider
        # of them is unavailable (ImplementationUnavailableError).
        implementation = None
    if not isinstance(implementation, LocalOAuth2Implementation):
        raise StravaError("the Strava application credentials are not available")
    return implementation.client_id, implementation.client_secret


def _subscription_id(subscription: dict[str, Any]) -> int:
    """Return a listed subscription's id, refusing a listing without one."""
    try:
        return int(subscription["id"])
    except (KeyError, TypeError, ValueError):
        raise StravaError("Strava listed a push subscription without an id") from None
