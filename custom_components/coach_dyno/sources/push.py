"""
Strava push: one webhook and one subscription per Strava application, events verified per athlete.

Strava allows a single push subscription per application, so every athlete of a household who signed
in through the same application shares it: a hub per application owns the webhook and the
subscription and hands each event to the athlete it names (`owner_id`). Events are not signed, so an
athlete's side trusts none of them: it re-reads what an event names through the API (a 404 proves a
delete, a 401 a deauthorization), coalesces repeats per object and stays inside push's own share of
the read budget. Verified changes reach the entry through a `PushTarget`, never through its coordinator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
import secrets
from types import ModuleType
from typing import TYPE_CHECKING, Any, Self

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import (
    LocalOAuth2Implementation,
    async_get_config_entry_implementation,
)
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from yarl import URL

from custom_components.coach_dyno import repairs
from custom_components.coach_dyno.const import (
    CONF_ATHLETE_ID,
    CONF_CLOUDHOOK_URL,
    CONF_SOURCE_KIND,
    CONF_SUBSCRIPTION_ID,
    CONF_VERIFY_TOKEN,
    DOMAIN,
    LOGGER,
    SOURCE_STRAVA,
)

from .harvest import streams_add_value
from .ratelimit import PushBudget
from .strava import (
    StravaAuthError,
    StravaClient,
    StravaError,
    StravaNotFoundError,
    StravaRateLimitError,
)

if TYPE_CHECKING:
    from custom_components.coach_dyno.training.activity import Activity

OBJECT_TYPES = ("activity", "athlete")
ASPECT_TYPES = ("create", "update", "delete")
# The config entry key naming the application credentials an entry signed in with: one per app.
CONF_AUTH_IMPLEMENTATION = "auth_implementation"

# A failed subscription is tried again after a minute, then twice as long each time, up to an hour.
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)
# Events for one activity within a minute of its last read are answered by one more read after it.
REREAD_AFTER = timedelta(minutes=1)
# Activities waiting per athlete; beyond that polling catches up (it needs no push to find changes).
MAX_PENDING = 100

PUSH_HUBS: HassKey[dict[str, PushHub]] = HassKey(f"{DOMAIN}_push_hubs")


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


@dataclass(frozen=True, slots=True)
class PushTarget:
    """What push may do to the entry it serves: all it knows of it."""

    has_activity: Callable[[int], bool]
    apply_changes: Callable[[Iterable[Activity], Iterable[int]], Awaitable[int]]
    revoked: Callable[[], None]
    set_healthy: Callable[[bool], None]


@callback
def _async_call_at(
    hass: HomeAssistant, moment: datetime, action: Callable[[datetime], None], name: str
) -> CALLBACK_TYPE:
    """Run the callback `action` at `moment` (or now if past); never outlives Home Assistant."""
    delay = max(0.0, (moment - dt_util.utcnow()).total_seconds())
    return async_call_later(hass, delay, HassJob(action, name, cancel_on_shutdown=True))


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
    """One athlete's side of push: joins the application's hub, verifies events, hands changes over."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, client: StravaClient, target: PushTarget
    ) -> None:
        """Bind the athlete's entry, API client and target."""
        self._hass = hass
        self.entry = entry
        self.client = client
        self.target = target
        self.owner_id = int(entry.data[CONF_ATHLETE_ID])
        self._hub = PushHub.for_entry(hass, entry)
        # Activities to re-read (an ordered set), and whether a deauthorization needs checking.
        self._pending: dict[int, None] = {}
        self._check_revoked = False
        # When each activity was last read, so repeats inside REREAD_AFTER wait for one more read.
        self._read_at: dict[int, datetime] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake_unsub: CALLBACK_TYPE | None = None

    @property
    def connected(self) -> bool:
        """Whether the application's subscription is known to point at our webhook."""
        return self._hub.serves(self) and self._hub.connected

    @property
    def webhook_url(self) -> str | None:
        """Return the https URL Strava posts events to, once known."""
        return self._hub.url

    @callback
    def async_start(self) -> None:
        """Receive this athlete's events from the application's hub."""
        self._hub.async_join(self)

    @callback
    def async_stop(self) -> None:
        """Leave the hub; pending reads are dropped (the entry's background tasks end with it)."""
        self._cancel_wake()
        self._hub.async_leave(self)

    @callback
    def async_receive(self, event: PushEvent) -> None:
        """Note what an event asks to check; the reads happen after Strava has its answer."""
        if event.object_type == "athlete":
            if str(event.updates.get("authorized", "")).lower() != "false" or self._check_revoked:
                return  # Nothing about the athlete is kept but the access, or a check is due.
            self._check_revoked = True
        elif event.object_id in self._pending:
            return  # Coalesced: one read answers every event waiting for it.
        elif event.aspect_type == "delete" and not self.target.has_activity(event.object_id):
            return  # Nothing of ours to delete: no call needed to find that out.
        elif len(self._pending) >= MAX_PENDING:
            LOGGER.debug("Too many push events waiting; polling will catch up")
            return
        else:
            self._pending[event.object_id] = None
        self._wake()

    @callback
    def _wake(self, _now: datetime | None = None) -> None:
        """Work through what is pending, unless that is under way."""
        self._cancel_wake()
        if self._task is None or self._task.done():
            self._task = self.entry.async_create_background_task(
                self._hass, self._async_drain(), "coach_dyno push events"
            )

    @callback
    def _wake_at(self, moment: datetime) -> None:
        """Come back to what is pending at `moment`."""
        self._cancel_wake()
        self._wake_unsub = _async_call_at(self._hass, moment, self._wake, "coach_dyno push events")

    @callback
    def _cancel_wake(self) -> None:
        if self._wake_unsub is not None:
            self._wake_unsub()
            self._wake_unsub = None

    async def _async_drain(self) -> None:
        """Read one object at a time while push's share of the budget lasts; wait for the rest."""
        hub = self._hub
        while self._check_revoked or self._pending:
            if (resume_at := hub.budget.resume_at(self.client.governor)) is not None:
                self._wake_at(resume_at)
                return
            calls = self.client.calls
            try:
                if self._check_revoked:
                    await self._async_check_revoked()
                elif (activity_id := self._next_due()) is not None:
                    await self._async_reread(activity_id)
                else:
                    # Everything pending was read moments ago: once more when the minute is up.
                    self._wake_at(min(self._read_at[key] for key in self._pending) + REREAD_AFTER)
                    return
            except StravaRateLimitError as err:
                self._wake_at(err.resume_at)
                return
            except StravaAuthError:
                LOGGER.warning("Strava no longer accepts Coach Dyno's access for this athlete")
                self._pending.clear()
                self._check_revoked = False
                self.target.revoked()
                return
            finally:
                hub.budget.spend(self.client.calls - calls)

    def _next_due(self) -> int | None:
        """Take the first pending activity not read within REREAD_AFTER, or None."""
        now = dt_util.utcnow()
        self._read_at = {
            key: moment for key, moment in self._read_at.items() if now - moment < REREAD_AFTER
        }
        for activity_id in self._pending:
            if activity_id not in self._read_at:
                del self._pending[activity_id]
                self._read_at[activity_id] = now
                return activity_id
        return None

    async def _async_check_revoked(self) -> None:
        """Check a deauthorization: only Strava refusing the token (raised) proves it."""
        try:
            await self.client.get_athlete()
        except (StravaAuthError, StravaRateLimitError):
            raise
        except StravaError as err:
            LOGGER.warning("Could not check a deauthorization event (%s); the next sync will", err)
        else:
            LOGGER.warning("Ignored a deauthorization event: Strava still accepts the access")
        self._check_revoked = False

    async def _async_reread(self, activity_id: int) -> None:
        """Read the activity an event named and hand over what Strava says: changed, or gone."""
        try:
            activity = await fetch_event_activity(
                self.client, activity_id, new=not self.target.has_activity(activity_id)
            )
        except StravaNotFoundError:
            # Deleted, or hidden from us: only Strava's own 404 removes a run.
            await self.target.apply_changes((), (activity_id,))
        except StravaRateLimitError:
            # Not read after all: it waits for the window to reset.
            self._pending[activity_id] = None
            del self._read_at[activity_id]
            raise
        except StravaAuthError:
            raise
        except StravaError as err:
            LOGGER.warning("Could not read activity from a push event (%s); next sync will", err)
        else:
            await self.target.apply_changes((activity,), ())


class PushHub:
    """The webhook and push subscription of one Strava application, shared by its athletes."""

    @classmethod
    def for_entry(cls, hass: HomeAssistant, entry: ConfigEntry) -> PushHub:
        """Return the hub of the application `entry` signed in with, made on first use."""
        hubs = hass.data.setdefault(PUSH_HUBS, {})
        key = str(entry.data[CONF_AUTH_IMPLEMENTATION])
        if (hub := hubs.get(key)) is None:
            hub = hubs[key] = cls(hass, entry)
        return hub

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Serve the athletes who signed in with the same application credentials as `entry`."""
        self._hass = hass
        self._auth_implementation = str(entry.data[CONF_AUTH_IMPLEMENTATION])
        self._members: dict[int, PushManager] = {}
        self.budget = PushBudget()
        self.url: str | None = None
        self.subscription_id: int | None = None
        # The entry whose webhook id and verify token the subscription uses: the oldest of the app's,
        # so a restart, whichever athlete loads first, finds the subscription it made.
        self._anchor = self._oldest_entry(default=entry)
        self._no_url = False
        self._task: asyncio.Task[None] | None = None
        self._retry_unsub: CALLBACK_TYPE | None = None
        self._retry_delay = RETRY_FIRST
        self._failing = False

    @property
    def connected(self) -> bool:
        """Whether Strava's subscription is known to point at our webhook."""
        return self.url is not None and self.subscription_id is not None

    @callback
    def async_join(self, member: PushManager) -> None:
        """Dispatch `member`'s events to it; subscribe unless that is done or under way."""
        if not self._members:
            self._register_webhook()
        self._members[member.owner_id] = member
        if self.subscription_id is None and (stored := member.entry.data.get(CONF_SUBSCRIPTION_ID)):
            # Known from before a restart: trusted until Strava's listing says otherwise.
            self.subscription_id = int(stored)
        if self.connected or (self._task is not None and not self._task.done()):
            self._publish(member)
        else:
            self._subscribe_now()

    @callback
    def async_leave(self, member: PushManager) -> None:
        """Stop dispatching to `member`; the last one to leave closes the hub."""
        del self._members[member.owner_id]
        if self._members:
            return
        self._stop_trying()
        webhook.async_unregister(self._hass, self._webhook_id(self._anchor))
        self._hass.data[PUSH_HUBS].pop(self._auth_implementation, None)

    def serves(self, member: PushManager) -> bool:
        """Whether `member` receives its athlete's events from this hub."""
        return self._members.get(member.owner_id) is member

    @callback
    def async_entry_removed(self) -> None:
        """Move the subscription to another athlete's webhook if it used the removed entry's."""
        oldest = self._oldest_entry(default=self._anchor)
        if oldest is self._anchor:
            return
        webhook.async_unregister(self._hass, self._webhook_id(self._anchor))
        self._anchor = oldest
        self._register_webhook()
        self.url = None
        self._subscribe_now()

    def _oldest_entry(self, default: ConfigEntry) -> ConfigEntry:
        """Return the oldest Strava entry of this application (entry ids grow with time)."""
        return min(
            (
                entry
                for entry in self._hass.config_entries.async_entries(DOMAIN)
                if entry.data.get(CONF_SOURCE_KIND) == SOURCE_STRAVA
                and entry.data.get(CONF_AUTH_IMPLEMENTATION) == self._auth_implementation
                and CONF_WEBHOOK_ID in entry.data
            ),
            key=lambda entry: entry.entry_id,
            default=default,
        )

    @callback
    def _register_webhook(self) -> None:
        """Receive Strava's validation and events on the anchor's webhook."""
        webhook.async_register(
            self._hass,
            DOMAIN,
            "Coach Dyno Strava push",
            self._webhook_id(self._anchor),
            self._async_handle,
            local_only=False,
            allowed_methods=("GET", "POST"),
        )

    @staticmethod
    def _webhook_id(entry: ConfigEntry) -> str:
        return str(entry.data[CONF_WEBHOOK_ID])

    @callback
    def _publish(self, *members: PushManager) -> None:
        """Tell the athletes (all, or `members`) whether push works, and why not."""
        for member in members or tuple(self._members.values()):
            entry = member.entry
            member.target.set_healthy(self.connected)
            if self._no_url:
                repairs.async_create_push_unavailable(self._hass, entry.entry_id, entry.title)
            else:
                repairs.async_delete_push_unavailable(self._hass, entry.entry_id)
            if self.connected and entry.data.get(CONF_SUBSCRIPTION_ID) != self.subscription_id:
                self._hass.config_entries.async_update_entry(
                    entry, data={**entry.data, CONF_SUBSCRIPTION_ID: self.subscription_id}
                )

    @callback
    def _subscribe_now(self) -> None:
        """Start a subscription attempt, in the background: Strava validates while we wait."""
        self._stop_trying()
        self._task = self._hass.async_create_background_task(
            self._async_subscribe(), "coach_dyno push subscription"
        )

    @callback
    def _retry_at(self, moment: datetime) -> None:
        """Try to subscribe again at `moment`."""
        self._retry_unsub = _async_call_at(
            self._hass, moment, self._retry, "coach_dyno push subscription"
        )

    @callback
    def _retry(self, _now: datetime) -> None:
        self._retry_unsub = None
        self._subscribe_now()

    @callback
    def _stop_trying(self) -> None:
        """Cancel the attempt under way and the one planned."""
        if self._task is not None:
            self._task.cancel()
        if self._retry_unsub is not None:
            self._retry_unsub()
            self._retry_unsub = None

    async def _async_subscribe(self) -> None:
        """Point the application's one subscription at our webhook; on failure, try again later."""
        self.url = await self._async_webhook_url()
        self._no_url = self.url is None
        if self.url is None:
            LOGGER.info("Strava push is off: no https external URL; polling hourly instead")
        else:
            try:
                self.subscription_id = await self._async_ensure_subscription(self.url)
            except StravaError as err:
                self._subscription_failed(err)
            else:
                if self._failing:
                    LOGGER.info("Subscribed to Strava push again")
                self._failing = False
                self._retry_delay = RETRY_FIRST
        self._publish()

    @callback
    def _subscription_failed(self, err: StravaError) -> None:
        """Say so once, then try again: when the rate limit resets, or after a growing pause."""
        if isinstance(err, StravaRateLimitError):
            resume_at = err.resume_at
        else:
            resume_at = dt_util.utcnow() + self._retry_delay
            self._retry_delay = min(self._retry_delay * 2, RETRY_MAX)
        log = LOGGER.debug if self._failing else LOGGER.warning
        log(
            "Could not subscribe to Strava push (%s); polling hourly until it works, next try at %s",
            err,
            resume_at.isoformat(),
        )
        self._failing = True
        self._retry_at(resume_at)

    async def _async_ensure_subscription(self, url: str) -> int:
        """Return the id of the application's subscription to `url`, replacing any other."""
        member = next(iter(self._members.values()))
        client_id, client_secret = await _async_app_credentials(self._hass, self._anchor)
        client = member.client
        existing = await client.list_subscriptions(client_id, client_secret)
        for subscription in existing:
            if subscription.get("callback_url") == url:
                return _subscription_id(subscription)
        # Strava allows one subscription per application: one pointing elsewhere is replaced.
        self.subscription_id = None
        for subscription in existing:
            await client.delete_subscription(
                _subscription_id(subscription), client_id, client_secret
            )
        return await client.create_subscription(
            client_id, client_secret, url, self._anchor.data[CONF_VERIFY_TOKEN]
        )

    async def _async_webhook_url(self) -> str | None:
        """Return an https URL Strava can reach for the anchor's webhook, or None."""
        anchor = self._anchor
        webhook_id = self._webhook_id(anchor)
        if (cloud := _loaded_cloud(self._hass)) and cloud.async_active_subscription(self._hass):
            if url := anchor.data.get(CONF_CLOUDHOOK_URL):
                return str(url)
            try:
                url = await cloud.async_create_cloudhook(self._hass, webhook_id)
            except cloud.CloudNotAvailable:
                # Not connected right now: the external URL may still do.
                LOGGER.debug("Home Assistant Cloud is not connected; trying the external URL")
            else:
                self._hass.config_entries.async_update_entry(
                    anchor, data={**anchor.data, CONF_CLOUDHOOK_URL: url}
                )
                return str(url)
        try:
            url = webhook.async_generate_url(
                self._hass, webhook_id, allow_internal=False, prefer_external=True
            )
        except NoURLAvailableError:
            return None
        return url if URL(url).scheme == "https" else None

    async def _async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Answer Strava's validation GET, or hand an event to its athlete and answer at once."""
        if request.method == "GET":
            return self._validation_response(request)
        try:
            event = PushEvent.from_json(await request.json())
        except ValueError:
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        member = self._members.get(event.owner_id)
        if member is None or event.subscription_id != self.subscription_id:
            # Events are not signed: one for another subscription or athlete is dropped.
            LOGGER.debug("Ignored a push event that is not for this subscription")
            return web.Response(status=HTTPStatus.OK)
        # Strava wants an answer within 2 seconds; reading the activity happens after it.
        member.async_receive(event)
        return web.Response(status=HTTPStatus.OK)

    @callback
    def _validation_response(self, request: web.Request) -> web.Response:
        """Echo hub.challenge only to a request that knows the anchor's verify token."""
        query = request.query
        # Compared as bytes: compare_digest refuses str holding non-ASCII characters.
        if query.get("hub.mode") != "subscribe" or not secrets.compare_digest(
            query.get("hub.verify_token", "").encode(),
            str(self._anchor.data[CONF_VERIFY_TOKEN]).encode(),
        ):
            return web.Response(status=HTTPStatus.FORBIDDEN)
        return web.json_response({"hub.challenge": query.get("hub.challenge", "")})


async def async_remove_entry_push(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """
    Clean up after a removed entry: its cloudhook, and the subscription unless others still use it.

    Athletes of the same application still loaded keep the subscription (moved to one of their
    webhooks if it used the removed one's); otherwise it is deleted (best effort).
    """
    if entry.data.get(CONF_CLOUDHOOK_URL) and (cloud := _loaded_cloud(hass)):
        try:
            await cloud.async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
        except (cloud.CloudNotAvailable, ValueError):
            LOGGER.debug("The cloudhook was already gone")
    hub = hass.data.get(PUSH_HUBS, {}).get(str(entry.data.get(CONF_AUTH_IMPLEMENTATION)))
    if hub is not None:
        hub.async_entry_removed()
        return
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


async def fetch_event_activity(client: StravaClient, activity_id: int, *, new: bool) -> Activity:
    """Re-read an activity an event names; a new run worth its streams costs a second call."""
    activity = await client.get_activity(activity_id)
    if new and streams_add_value(activity) and client.governor.may_fetch_streams():
        activity = await client.async_with_stream_summary(activity)
    return activity


async def no_athlete_token() -> str:
    """Refuse an athlete token: push subscription calls authenticate with the application."""
    raise StravaError("push subscription calls use the application credentials")


async def _async_app_credentials(hass: HomeAssistant, entry: ConfigEntry) -> tuple[str, str]:
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
