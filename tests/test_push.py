"""Strava push: webhook registration, the subscription, validation, events, unload and removal."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
import json
import logging
from pathlib import Path
import re
from typing import Any
from unittest.mock import AsyncMock, patch

from aiohttp import web
from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import cloud, webhook
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util.aiohttp import MockRequest
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.coach_dyno.const import DOMAIN, EVENT_ACTIVITY
from custom_components.coach_dyno.coordinator import (
    POLL_INTERVAL,
    POLL_INTERVAL_WITH_PUSH,
)
from custom_components.coach_dyno.sources import push as push_module
from custom_components.coach_dyno.sources.push import (
    REREAD_AFTER,
    RETRY_FIRST,
    async_remove_entry_push,
    new_verify_token,
    no_athlete_token,
)
from custom_components.coach_dyno.sources.strava import StravaError
from tests.conftest import (
    ENTRY_ID,
    FROZEN_NOW,
    PROFILE_OPTIONS,
    VERIFY_TOKEN,
    WEBHOOK_ID,
    coordinator_of,
    setup_entry,
)
from tests.fakes.strava import API_PREFIX, FakeStrava, Fault

EXTERNAL_URL = "https://coach.example.com"
CALLBACK_URL = f"{EXTERNAL_URL}/api/webhook/{WEBHOOK_ID}"
CLOUDHOOK_URL = "https://hooks.nabu.casa/cloudhook-abc"
WEBHOOK_PATH = f"/api/webhook/{WEBHOOK_ID}"
SUBSCRIPTIONS = f"{API_PREFIX}/push_subscriptions"

type Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def client(
    hass: HomeAssistant,
    credentials: None,
    strava: FakeStrava,
    hass_client_no_auth: ClientSessionGenerator,
) -> Client:
    """
    Return a client for Home Assistant's HTTP API, and route Strava's validation GET through it.

    The fake cannot reach an https external URL, so it asks Home Assistant directly, as Strava would
    through that URL (or through the cloud).
    """
    # The webhook view must exist before the test client freezes the router.
    assert await async_setup_component(hass, "webhook", {})
    http: Client = await hass_client_no_auth()
    challenges = iter(range(1, 1000))

    async def answers(callback_url: str, verify_token: str) -> bool:
        url = URL(callback_url)
        assert url.scheme == "https"
        # The cloud relays its hook to our webhook; the external URL reaches the path it names.
        path = url.path if url.host == URL(EXTERNAL_URL).host else WEBHOOK_PATH
        challenge = f"challenge-{next(challenges)}"
        params = {
            "hub.mode": "subscribe",
            "hub.challenge": challenge,
            "hub.verify_token": verify_token,
        }
        resp = await http.get(path, params=params)
        if resp.status != HTTPStatus.OK:
            return False
        body = await resp.json()
        return isinstance(body, dict) and body.get("hub.challenge") == challenge

    strava._callback_answers = answers  # type: ignore[method-assign]
    return http


@pytest.fixture
async def external_url(hass: HomeAssistant) -> str:
    """Give Home Assistant an https external URL Strava can reach."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    return EXTERNAL_URL


@pytest.fixture
async def pushed(
    hass: HomeAssistant,
    frozen_now: FrozenDateTimeFactory,
    client: Client,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
) -> MockConfigEntry:
    """Set up a Strava entry with push connected over 30 days of history; clear the request log."""
    await hass.config.async_update(external_url=EXTERNAL_URL)
    strava.generate(30)
    await setup_entry(hass, strava_entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert strava_entry.runtime_data.push.connected
    strava.requests.clear()
    return strava_entry


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """Collect coach_dyno_activity events."""
    captured: list[Event] = async_capture_events(hass, EVENT_ACTIVITY)
    return captured


async def post_event(hass: HomeAssistant, client: Client, body: dict[str, Any]) -> int:
    """POST an event to the webhook, wait for its processing, and return the reply's status."""
    resp = await client.post(WEBHOOK_PATH, json=body)
    await hass.async_block_till_done(wait_background_tasks=True)
    return resp.status


async def relay_events(hass: HomeAssistant, bodies: list[dict[str, Any]]) -> set[int]:
    """
    Deliver many events the way Home Assistant Cloud relays a cloudhook; return their statuses.

    Through Home Assistant's webhook dispatch, without an HTTP round trip each: a flood stays fast.
    """
    statuses = set()
    for body in bodies:
        request = MockRequest(json.dumps(body).encode(), mock_source="cloud", method="POST")
        response = await webhook.async_handle_webhook(hass, WEBHOOK_ID, request)
        statuses.add(response.status)
    await hass.async_block_till_done(wait_background_tasks=True)
    return statuses


async def until(predicate: Callable[[], bool]) -> None:
    """Let the event loop run until `predicate` holds."""
    for _ in range(10_000):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


def deauthorization(strava: FakeStrava) -> dict[str, Any]:
    """Return the event Strava sends when the athlete removes the app from their account."""
    return strava.event(
        strava.athlete["id"],
        object_type="athlete",
        aspect_type="update",
        updates={"authorized": "false"},
    )


def new_run(strava: FakeStrava, **overrides: Any) -> dict[str, Any]:
    """Add a run with heart rate to the fake, as an upload would, without syncing it."""
    run = strava.add_activity(FROZEN_NOW - timedelta(minutes=30), sport_type="Run", type="Run")
    run.update(
        has_heartrate=True, average_heartrate=151.0, max_heartrate=176.0, manual=False, **overrides
    )
    return run


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("url", [None, "http://coach.example.com"])
async def test_no_https_url_raises_repair_and_keeps_polling(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    url: str | None,
) -> None:
    """Without an https URL Strava can reach, push stays off, says so, and polling stays hourly."""
    await hass.config.async_update(external_url=url)

    await setup_entry(hass, strava_entry)
    await hass.async_block_till_done(wait_background_tasks=True)

    issue = issue_registry.async_get_issue(DOMAIN, f"push_unavailable_{ENTRY_ID}")
    assert issue is not None
    assert issue.translation_placeholders == {"title": "Dyno Runner"}
    assert coordinator_of(strava_entry).update_interval == POLL_INTERVAL
    assert strava.count(SUBSCRIPTIONS) == 0
    assert strava.subscriptions == {}
    assert not strava_entry.runtime_data.push.connected


@pytest.mark.usefixtures("client", "external_url")
async def test_https_url_subscribes_and_slows_polling(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """With an https external URL the webhook is validated by Strava and polling slows down."""
    await setup_entry(hass, strava_entry)
    await hass.async_block_till_done(wait_background_tasks=True)

    [subscription] = strava.subscriptions.values()
    assert subscription["callback_url"] == CALLBACK_URL
    assert strava_entry.data["subscription_id"] == subscription["id"]
    create = next(r for r in strava.requests if r.method == "POST" and r.path == SUBSCRIPTIONS)
    assert create.form["verify_token"] == VERIFY_TOKEN
    # Push subscription calls authenticate with the application, never with the athlete's token.
    assert create.authorization is None
    assert coordinator_of(strava_entry).update_interval == POLL_INTERVAL_WITH_PUSH
    assert issue_registry.async_get_issue(DOMAIN, f"push_unavailable_{ENTRY_ID}") is None


async def test_restart_reuses_the_subscription(
    hass: HomeAssistant, pushed: MockConfigEntry, strava: FakeStrava
) -> None:
    """A restart finds its own subscription and keeps it: one listing, no new validation."""
    subscription_id = pushed.data["subscription_id"]

    assert await hass.config_entries.async_reload(pushed.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert strava.count(SUBSCRIPTIONS) == 1
    assert strava.count(SUBSCRIPTIONS, method="POST") == 0
    assert list(strava.subscriptions) == [subscription_id]
    assert pushed.runtime_data.push.connected


async def test_stale_subscription_is_replaced(
    hass: HomeAssistant,
    client: Client,
    external_url: str,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
) -> None:
    """Strava allows one subscription per app: one pointing elsewhere is replaced by ours."""
    strava.subscriptions[99] = {"id": 99, "callback_url": "https://old.example.com/hook"}

    await setup_entry(hass, strava_entry)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert strava.count(f"{SUBSCRIPTIONS}/99", method="DELETE") == 1
    [subscription] = strava.subscriptions.values()
    assert subscription["callback_url"] == CALLBACK_URL


@pytest.mark.parametrize(
    "break_strava",
    [
        # Strava's validation GET does not get our challenge back.
        lambda strava: setattr(strava, "_callback_answers", AsyncMock(return_value=False)),
        # A listed subscription without an id.
        lambda strava: strava.subscriptions.update({7: {"callback_url": "x"}}),
        # Strava is down.
        lambda strava: strava.inject(Fault.SERVER_ERROR, path=SUBSCRIPTIONS, status=503),
    ],
    ids=["validation_fails", "listing_without_id", "strava_down"],
)
@pytest.mark.usefixtures("client", "external_url")
async def test_failed_subscription_keeps_polling_hourly(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    break_strava: Callable[[FakeStrava], None],
) -> None:
    """A subscription Strava refuses leaves push off with a warning, and polling hourly."""
    break_strava(strava)

    await setup_entry(hass, strava_entry)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert strava_entry.state is ConfigEntryState.LOADED
    assert not strava_entry.runtime_data.push.connected
    assert "subscription_id" not in strava_entry.data
    assert coordinator_of(strava_entry).update_interval == POLL_INTERVAL
    assert "Could not subscribe to Strava push" in caplog.text


@pytest.mark.usefixtures("client", "external_url")
async def test_unloading_ends_subscription_retries(
    hass: HomeAssistant,
    frozen_now: FrozenDateTimeFactory,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
) -> None:
    """An entry unloaded while push waits to try again tries no more."""
    strava.inject(Fault.SERVER_ERROR, path=SUBSCRIPTIONS, status=503)
    await setup_entry(hass, strava_entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert strava.count(SUBSCRIPTIONS) == 1

    assert await hass.config_entries.async_unload(strava_entry.entry_id)
    await travel(hass, frozen_now, timedelta(hours=2))

    assert strava.count(SUBSCRIPTIONS) == 1
    assert strava.subscriptions == {}


async def test_validation_answers_only_the_verify_token(
    hass: HomeAssistant, pushed: MockConfigEntry, client: Client
) -> None:
    """The validation GET echoes the challenge for our verify token and nothing else."""
    good = {"hub.mode": "subscribe", "hub.challenge": "abc123", "hub.verify_token": VERIFY_TOKEN}
    resp = await client.get(WEBHOOK_PATH, params=good)
    assert resp.status == HTTPStatus.OK
    assert await resp.json() == {"hub.challenge": "abc123"}

    for wrong in (
        {**good, "hub.verify_token": "guess"},
        {**good, "hub.verify_token": "vérifié"},
        {**good, "hub.mode": "unsubscribe"},
        {"hub.challenge": "abc123"},
    ):
        resp = await client.get(WEBHOOK_PATH, params=wrong)
        assert resp.status == HTTPStatus.FORBIDDEN, wrong


async def test_create_event_stores_and_announces(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
    events: list[Event],
) -> None:
    """A create event costs at most two calls, stores the run with its streams, and announces it."""
    run = new_run(strava)

    assert await post_event(hass, client, strava.event(run["id"])) == HTTPStatus.OK

    assert strava.count() <= 2
    stored = coordinator_of(pushed).store.activities[run["id"]]
    assert stored.stream_summary is not None
    assert [(event.data["action"], event.data["activity_id"]) for event in events] == [
        ("created", run["id"])
    ]
    assert coordinator_of(pushed).data.snapshot.activity_count == 31


async def test_create_event_for_a_ride_costs_one_call(
    hass: HomeAssistant, pushed: MockConfigEntry, client: Client, strava: FakeStrava
) -> None:
    """Streams add value for runs with heart rate only: a ride is read once."""
    ride = strava.add_activity(FROZEN_NOW - timedelta(hours=2), sport_type="Ride", type="Ride")

    assert await post_event(hass, client, strava.event(ride["id"])) == HTTPStatus.OK

    assert strava.count() == 1
    assert ride["id"] in coordinator_of(pushed).store.activities


async def test_update_event_renames(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
    events: list[Event],
) -> None:
    """A title change is read back from the API (never from the payload) and announced."""
    activity_id = max(strava.activities)
    strava.update_activity(activity_id, name="Long run by the lake")
    body = strava.event(activity_id, aspect_type="update", updates={"title": "Payload lies"})

    assert await post_event(hass, client, body) == HTTPStatus.OK

    assert coordinator_of(pushed).store.activities[activity_id].name == "Long run by the lake"
    assert strava.count() == 1
    assert [(event.data["action"], event.data["name"]) for event in events] == [
        ("updated", "Long run by the lake")
    ]


async def test_delete_event_removes(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
    events: list[Event],
) -> None:
    """A delete event Strava confirms (404) forgets the activity, for one call, and announces it."""
    activity_id = max(strava.activities)
    strava.delete_activity(activity_id)

    body = strava.event(activity_id, aspect_type="delete")
    assert await post_event(hass, client, body) == HTTPStatus.OK

    assert activity_id not in coordinator_of(pushed).store.activities
    assert strava.count() == strava.count(f"{API_PREFIX}/activities/{activity_id}") == 1
    assert [(event.data["action"], event.data["activity_id"]) for event in events] == [
        ("deleted", activity_id)
    ]
    assert events[0].data["trimp"] is None
    assert coordinator_of(pushed).data.snapshot.activity_count == 29


async def test_event_for_a_vanished_activity_removes_it(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
    events: list[Event],
) -> None:
    """An update for an activity Strava no longer shows (deleted or made private) forgets it."""
    activity_id = max(strava.activities)
    strava.delete_activity(activity_id)

    body = strava.event(activity_id, aspect_type="update", updates={"private": "true"})
    assert await post_event(hass, client, body) == HTTPStatus.OK

    assert activity_id not in coordinator_of(pushed).store.activities
    assert [event.data["action"] for event in events] == ["deleted"]


async def test_event_with_strava_down_changes_nothing(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When the re-fetch fails, the event is dropped with a warning; the next sync catches up."""
    events = async_capture_events(hass, EVENT_ACTIVITY)
    run = new_run(strava)
    strava.inject(Fault.SERVER_ERROR, path=f"{API_PREFIX}/activities/", status=502)

    assert await post_event(hass, client, strava.event(run["id"])) == HTTPStatus.OK

    assert run["id"] not in coordinator_of(pushed).store.activities
    assert events == []
    assert "Could not read activity from a push event" in caplog.text


@pytest.mark.parametrize(
    "changes",
    [{"subscription_id": 1}, {"owner_id": 999}],
    ids=["other_subscription", "other_owner"],
)
async def test_foreign_events_are_dropped(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
    changes: dict[str, Any],
) -> None:
    """Events are not signed: one for another subscription or athlete is dropped without a call."""
    events = async_capture_events(hass, EVENT_ACTIVITY)
    run = new_run(strava)

    assert await post_event(hass, client, strava.event(run["id"], **changes)) == HTTPStatus.OK

    assert strava.count() == 0
    assert run["id"] not in coordinator_of(pushed).store.activities
    assert events == []


async def test_deauthorization_starts_reauth(
    hass: HomeAssistant, pushed: MockConfigEntry, client: Client, strava: FakeStrava
) -> None:
    """The athlete revoking access on Strava (confirmed by a 401) starts a reauth flow at once."""
    strava.revoke()
    body = deauthorization(strava)

    assert await post_event(hass, client, body) == HTTPStatus.OK
    await hass.async_block_till_done()

    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == pushed.entry_id
    assert strava.count() == strava.count(f"{API_PREFIX}/athlete") == 1


async def test_other_athlete_updates_are_ignored(
    hass: HomeAssistant, pushed: MockConfigEntry, client: Client, strava: FakeStrava
) -> None:
    """An athlete update that is not a deauthorization needs nothing."""
    body = strava.event(strava.athlete["id"], object_type="athlete", aspect_type="update")

    assert await post_event(hass, client, body) == HTTPStatus.OK

    assert hass.config_entries.flow.async_progress() == []
    assert strava.count() == 0


def body_text(**fields: Any) -> str:
    """Return an event body with `fields` changed (None removes one)."""
    event: dict[str, Any] = {
        "object_type": "activity",
        "aspect_type": "create",
        "object_id": 5,
        "owner_id": 134815,
        "subscription_id": 1,
    }
    event.update(fields)
    return json.dumps({key: value for key, value in event.items() if value is not None})


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[1, 2, 3]",
        '"create"',
        body_text(aspect_type=None),
        body_text(object_id="x"),
        body_text(object_type="club"),
        body_text(aspect_type="explode"),
        body_text(object_id=-5),
        body_text(updates=[1]),
    ],
    ids=[
        "not_json",
        "list",
        "string",
        "missing_field",
        "id_not_a_number",
        "unknown_object",
        "unknown_aspect",
        "negative_id",
        "updates_not_object",
    ],
)
async def test_malformed_bodies_are_refused(
    hass: HomeAssistant, pushed: MockConfigEntry, client: Client, strava: FakeStrava, body: str
) -> None:
    """A body that is not a Strava event gets 400 and costs nothing."""
    resp = await client.post(WEBHOOK_PATH, data=body, headers={"Content-Type": "application/json"})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert resp.status == HTTPStatus.BAD_REQUEST
    assert strava.count() == 0


async def test_event_is_acknowledged_before_the_fetch(
    hass: HomeAssistant, pushed: MockConfigEntry, client: Client, strava: FakeStrava
) -> None:
    """Strava gets its 200 at once; reading the activity happens after the reply."""
    run = new_run(strava)
    strava.inject(Fault.DELAY, path=f"{API_PREFIX}/activities/{run['id']}", delay=30)

    resp = await client.post(WEBHOOK_PATH, json=strava.event(run["id"]))

    assert resp.status == HTTPStatus.OK
    # The re-fetch is under way but not answered: the reply did not wait for it.
    await until(lambda: strava.count(f"{API_PREFIX}/activities/{run['id']}") == 1)
    assert run["id"] not in coordinator_of(pushed).store.activities

    # Unloading cancels the pending re-fetch.
    assert await hass.config_entries.async_unload(pushed.entry_id)
    assert pushed.state is ConfigEntryState.NOT_LOADED


async def test_unload_unregisters_the_webhook(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
    events: list[Event],
) -> None:
    """After unload the webhook is gone: events reach nothing and the subscription stays."""
    run = new_run(strava)

    assert await hass.config_entries.async_unload(pushed.entry_id)
    await hass.async_block_till_done()

    assert pushed.state is ConfigEntryState.NOT_LOADED
    assert WEBHOOK_ID not in hass.data.get(webhook.DOMAIN, {})
    assert await post_event(hass, client, strava.event(run["id"])) == HTTPStatus.OK
    assert strava.count() == 0
    assert events == []
    # The subscription is kept for the next start.
    assert len(strava.subscriptions) == 1


async def test_remove_entry_deletes_subscription_and_files(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    strava: FakeStrava,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
) -> None:
    """Removing the entry deletes the Strava subscription, the stored history and its issues."""
    assert f"{DOMAIN}.{ENTRY_ID}" in hass_storage
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"store_corrupt_{ENTRY_ID}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="store_corrupt",
        translation_placeholders={"corrupt_path": "x"},
    )

    assert await hass.config_entries.async_remove(pushed.entry_id)
    await hass.async_block_till_done()

    assert strava.subscriptions == {}
    assert strava.count(f"{SUBSCRIPTIONS}/{pushed.data['subscription_id']}", "DELETE") == 1
    assert not any(key.startswith(f"{DOMAIN}.{ENTRY_ID}") for key in hass_storage)
    assert issue_registry.async_get_issue(DOMAIN, f"store_corrupt_{ENTRY_ID}") is None


async def test_remove_entry_when_subscription_already_gone(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    strava: FakeStrava,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A subscription deleted elsewhere first does not stop the removal."""
    strava.subscriptions.clear()

    assert await hass.config_entries.async_remove(pushed.entry_id)

    assert "Could not delete" not in caplog.text
    assert hass.config_entries.async_get_entry(pushed.entry_id) is None


async def test_remove_entry_without_credentials(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    strava: FakeStrava,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without application credentials the subscription cannot be deleted: say so, remove anyway."""
    with patch(
        "custom_components.coach_dyno.sources.push.async_get_config_entry_implementation",
        side_effect=ValueError("Implementation not available"),
    ):
        assert await hass.config_entries.async_remove(pushed.entry_id)

    assert len(strava.subscriptions) == 1
    assert "Could not delete the Strava push subscription" in caplog.text
    assert hass.config_entries.async_get_entry(pushed.entry_id) is None


@pytest.mark.usefixtures("credentials")
async def test_cloudhook_is_used_and_removed(
    hass: HomeAssistant, client: Client, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """With Home Assistant Cloud the subscription points at a cloudhook, deleted with the entry."""
    hass.config.components.add("cloud")
    with (
        patch.object(cloud, "async_active_subscription", return_value=True),
        patch.object(cloud, "async_create_cloudhook", return_value=CLOUDHOOK_URL) as create,
        patch.object(cloud, "async_delete_cloudhook") as delete,
    ):
        await setup_entry(hass, strava_entry)
        await hass.async_block_till_done(wait_background_tasks=True)

        [subscription] = strava.subscriptions.values()
        assert subscription["callback_url"] == CLOUDHOOK_URL
        assert strava_entry.data["cloudhook_url"] == CLOUDHOOK_URL
        create.assert_awaited_once_with(hass, WEBHOOK_ID)

        # A restart reuses the cloudhook it made.
        assert await hass.config_entries.async_reload(strava_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert create.await_count == 1

        assert await hass.config_entries.async_remove(strava_entry.entry_id)

    delete.assert_awaited_once_with(hass, WEBHOOK_ID)
    assert strava.subscriptions == {}


@pytest.mark.usefixtures("client", "external_url")
async def test_cloud_not_set_up_is_never_imported(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """Without Home Assistant Cloud set up, push uses the external URL and never asks the cloud."""
    with patch.object(cloud, "async_active_subscription", return_value=True) as active:
        await setup_entry(hass, strava_entry)
        await hass.async_block_till_done(wait_background_tasks=True)

    active.assert_not_called()
    [subscription] = strava.subscriptions.values()
    assert subscription["callback_url"] == CALLBACK_URL


@pytest.mark.usefixtures("client", "external_url")
async def test_cloud_not_connected_falls_back_to_external_url(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """A cloud account that is not connected right now falls back to the https external URL."""
    hass.config.components.add("cloud")
    with (
        patch.object(cloud, "async_active_subscription", return_value=True),
        patch.object(cloud, "async_create_cloudhook", side_effect=cloud.CloudNotConnected),
    ):
        await setup_entry(hass, strava_entry)
        await hass.async_block_till_done(wait_background_tasks=True)

    [subscription] = strava.subscriptions.values()
    assert subscription["callback_url"] == CALLBACK_URL
    assert "cloudhook_url" not in strava_entry.data


async def test_cloudhook_already_gone_on_removal(
    hass: HomeAssistant, pushed: MockConfigEntry, strava: FakeStrava
) -> None:
    """A cloudhook the cloud no longer knows does not stop the removal."""
    hass.config.components.add("cloud")
    hass.config_entries.async_update_entry(
        pushed, data={**pushed.data, "cloudhook_url": CLOUDHOOK_URL}
    )
    with patch.object(cloud, "async_delete_cloudhook", side_effect=cloud.CloudNotAvailable):
        assert await hass.config_entries.async_remove(pushed.entry_id)

    assert strava.subscriptions == {}


async def test_remove_subscription_without_one(
    hass: HomeAssistant, credentials: None, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """An entry that never subscribed deletes nothing at Strava."""
    strava_entry.add_to_hass(hass)

    await async_remove_entry_push(hass, strava_entry)

    assert strava.count(method="DELETE") == 0


async def test_update_that_changes_nothing_is_quiet(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
    hass_storage: dict[str, Any],
) -> None:
    """An update touching nothing Coach Dyno keeps (say, privacy) announces and writes nothing."""
    events = async_capture_events(hass, EVENT_ACTIVITY)
    activity_id = max(strava.activities)
    strava.update_activity(activity_id, private=True, visibility="only_me")
    written = json.dumps(hass_storage[f"{DOMAIN}.{ENTRY_ID}"])

    body = strava.event(activity_id, aspect_type="update", updates={"private": "true"})
    assert await post_event(hass, client, body) == HTTPStatus.OK

    assert strava.count() == 1
    assert events == []
    assert json.dumps(hass_storage[f"{DOMAIN}.{ENTRY_ID}"]) == written


async def test_subscription_client_never_holds_an_athlete_token() -> None:
    """The client that deletes a subscription has no athlete token to send, by construction."""
    with pytest.raises(StravaError, match="application credentials"):
        await no_athlete_token()


def test_verify_tokens_are_fresh_url_safe_secrets() -> None:
    """Each entry gets its own unguessable token, safe to travel in a query string."""
    tokens = {new_verify_token() for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(token) >= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", token) for token in tokens)


def warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """Return the warnings logged that contain `text`."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and text in record.getMessage()
    ]


async def travel(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move the clock on by `delta`, fire what was due, and wait for what it started."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_forged_delete_keeps_the_run(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
    events: list[Event],
) -> None:
    """Events are not signed: a delete for a run Strava still has removes nothing."""
    activity_id = max(strava.activities)

    body = strava.event(activity_id, aspect_type="delete")
    assert await post_event(hass, client, body) == HTTPStatus.OK

    assert activity_id in coordinator_of(pushed).store.activities
    assert coordinator_of(pushed).data.snapshot.activity_count == 30
    assert strava.count() == 1
    assert events == []


async def test_delete_of_an_unknown_activity_costs_nothing(
    hass: HomeAssistant, pushed: MockConfigEntry, client: Client, strava: FakeStrava
) -> None:
    """A delete for an activity Coach Dyno never stored needs no call to be ignored."""
    body = strava.event(123456789, aspect_type="delete")

    assert await post_event(hass, client, body) == HTTPStatus.OK

    assert strava.count() == 0


async def test_forged_deauthorization_starts_no_reauth(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A deauthorization Strava does not confirm (the token still works) changes nothing."""
    body = deauthorization(strava)

    assert await post_event(hass, client, body) == HTTPStatus.OK
    await hass.async_block_till_done()

    assert hass.config_entries.flow.async_progress() == []
    assert strava.count() == strava.count(f"{API_PREFIX}/athlete") == 1
    assert "Ignored a deauthorization event" in caplog.text
    assert pushed.state is ConfigEntryState.LOADED


async def test_deauthorization_check_with_strava_down_starts_no_reauth(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When Strava cannot confirm a deauthorization, nothing happens until a sync finds out."""
    strava.inject(Fault.SERVER_ERROR, path=f"{API_PREFIX}/athlete", status=503)
    body = deauthorization(strava)

    assert await post_event(hass, client, body) == HTTPStatus.OK

    assert hass.config_entries.flow.async_progress() == []
    assert "Could not check a deauthorization event" in caplog.text


async def test_replayed_updates_are_coalesced(
    hass: HomeAssistant,
    frozen_now: FrozenDateTimeFactory,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
) -> None:
    """1,000 replays of one update cost two reads (one now, one after), and syncs keep working."""
    activity_id = max(strava.activities)
    strava.update_activity(activity_id, name="Tempo by the river")
    body = strava.event(activity_id, aspect_type="update", updates={"title": "Tempo"})

    assert await relay_events(hass, [body] * 1000) == {HTTPStatus.OK}

    assert strava.count() == 1
    assert coordinator_of(pushed).store.activities[activity_id].name == "Tempo by the river"

    # Events that came after the read are answered by one more read, a minute later.
    strava.update_activity(activity_id, name="Tempo by the river, edited")
    await travel(hass, frozen_now, REREAD_AFTER)
    assert strava.count(f"{API_PREFIX}/activities/{activity_id}") == 2
    assert coordinator_of(pushed).store.activities[activity_id].name == "Tempo by the river, edited"
    await travel(hass, frozen_now, REREAD_AFTER)
    assert strava.count() == 2

    # The read budget is still there for an ordinary sync.
    coordinator = coordinator_of(pushed)
    await coordinator.async_refresh()
    assert coordinator.sync_error is None
    assert strava.count(f"{API_PREFIX}/athlete/activities") == 1


async def test_push_reads_keep_to_their_share_of_the_budget(
    hass: HomeAssistant,
    frozen_now: FrozenDateTimeFactory,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
) -> None:
    """A flood of events for distinct activities reads a fifth of the window; syncs go on."""
    first = 900_000_000
    bodies = [strava.event(first + offset) for offset in range(150)]
    assert await relay_events(hass, bodies) == {HTTPStatus.OK}

    # A fifth of the 100 reads per 15 minutes; the rest wait for the next window.
    assert strava.count() == 20
    coordinator = coordinator_of(pushed)
    await coordinator.async_refresh()
    assert coordinator.sync_error is None
    assert strava.count(f"{API_PREFIX}/athlete/activities") == 1

    await travel(hass, frozen_now, timedelta(minutes=15))
    reads = [r for r in strava.requests if r.path.startswith(f"{API_PREFIX}/activities/")]
    # At most 100 activities wait: 20 read in each window.
    assert len(reads) == 40
    assert {r.path for r in reads} <= {
        f"{API_PREFIX}/activities/{first + offset}" for offset in range(100)
    }


@pytest.mark.usefixtures("client", "external_url")
async def test_failed_subscription_is_retried_with_backoff(
    hass: HomeAssistant,
    frozen_now: FrozenDateTimeFactory,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Strava down at setup: push is tried again after 1, then 2 minutes, and works without restart."""
    strava.inject(Fault.SERVER_ERROR, path=SUBSCRIPTIONS, status=503, times=2)

    await setup_entry(hass, strava_entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not strava_entry.runtime_data.push.connected
    assert len(warnings(caplog, "Could not subscribe to Strava push")) == 1

    await travel(hass, frozen_now, RETRY_FIRST)
    assert strava.count(SUBSCRIPTIONS) == 2
    assert not strava_entry.runtime_data.push.connected

    # The pause doubles: a minute later nothing is tried yet.
    await travel(hass, frozen_now, RETRY_FIRST)
    assert strava.count(SUBSCRIPTIONS) == 2
    await travel(hass, frozen_now, RETRY_FIRST)
    assert strava.count(SUBSCRIPTIONS) == 3

    [subscription] = strava.subscriptions.values()
    assert subscription["callback_url"] == CALLBACK_URL
    assert strava_entry.runtime_data.push.connected
    assert strava_entry.data["subscription_id"] == subscription["id"]
    assert coordinator_of(strava_entry).update_interval == POLL_INTERVAL_WITH_PUSH
    assert "Subscribed to Strava push again" in caplog.text
    # Said once, not on every try.
    assert len(warnings(caplog, "Could not subscribe to Strava push")) == 1


@pytest.mark.usefixtures("client", "external_url")
async def test_rate_limited_subscription_waits_for_the_window(
    hass: HomeAssistant,
    frozen_now: FrozenDateTimeFactory,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
) -> None:
    """A 429 when creating the subscription is tried again as soon as the window resets."""
    strava.inject(Fault.RATE_LIMIT, path=SUBSCRIPTIONS, after=1)

    await setup_entry(hass, strava_entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert strava.subscriptions == {}
    assert not strava_entry.runtime_data.push.connected

    # FROZEN_NOW is 07:30 UTC: the window resets at 07:45.
    await travel(hass, frozen_now, timedelta(minutes=14))
    assert strava.subscriptions == {}
    await travel(hass, frozen_now, timedelta(minutes=1))

    assert len(strava.subscriptions) == 1
    assert strava_entry.runtime_data.push.connected


@pytest.mark.usefixtures("client", "external_url")
async def test_first_sync_rate_limited_still_subscribes(
    hass: HomeAssistant,
    frozen_now: FrozenDateTimeFactory,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
) -> None:
    """A first setup in a spent window subscribes once the window resets, with no restart."""
    strava.generate(10)
    strava.inject(Fault.RATE_LIMIT, path=f"{API_PREFIX}/athlete/activities")

    await setup_entry(hass, strava_entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert coordinator_of(strava_entry).sync_error == "rate_limited"
    # The spent window is respected: not even a listing is sent.
    assert strava.count(SUBSCRIPTIONS) == 0
    assert not strava_entry.runtime_data.push.connected

    await travel(hass, frozen_now, timedelta(minutes=15))

    assert strava_entry.runtime_data.push.connected
    assert len(strava.subscriptions) == 1
    assert coordinator_of(strava_entry).update_interval == POLL_INTERVAL_WITH_PUSH
    assert len(coordinator_of(strava_entry).store.activities) == 10


async def test_restart_in_a_spent_window_keeps_push(
    hass: HomeAssistant,
    frozen_now: FrozenDateTimeFactory,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
) -> None:
    """A restart while the rate limit is spent trusts the known subscription and queues events."""
    strava.inject(Fault.RATE_LIMIT, path=f"{API_PREFIX}/athlete/activities")
    await coordinator_of(pushed).async_refresh()
    assert coordinator_of(pushed).sync_error == "rate_limited"

    assert await hass.config_entries.async_reload(pushed.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    strava.requests.clear()

    assert pushed.runtime_data.push.connected
    assert coordinator_of(pushed).update_interval == POLL_INTERVAL_WITH_PUSH
    run = new_run(strava)
    assert await post_event(hass, client, strava.event(run["id"])) == HTTPStatus.OK
    assert strava.count() == 0

    await travel(hass, frozen_now, timedelta(minutes=15))

    assert run["id"] in coordinator_of(pushed).store.activities
    assert strava.count(SUBSCRIPTIONS) == 1
    assert pushed.runtime_data.push.connected
    assert len(strava.subscriptions) == 1


SECOND_ATHLETE = 2_718_281
SECOND_WEBHOOK_ID = "webhook-id-7c1e"
SECOND_CALLBACK_URL = f"{EXTERNAL_URL}/api/webhook/{SECOND_WEBHOOK_ID}"


def second_athlete_entry(strava: FakeStrava) -> MockConfigEntry:
    """Return the entry of a second athlete of the household, signed in through the same app."""
    token = strava.add_athlete(SECOND_ATHLETE, "Linh", "Tran")
    for days in (1, 3, 5):
        strava.add_activity(
            FROZEN_NOW - timedelta(days=days),
            athlete={"id": SECOND_ATHLETE, "resource_state": 1},
        )
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id="01JCOACHDYNO0000000000001",
        title="Linh Tran",
        unique_id=str(SECOND_ATHLETE),
        data={
            "auth_implementation": DOMAIN,
            "token": {
                "access_token": token,
                "refresh_token": "unused",
                "token_type": "Bearer",
                "expires_in": 6 * 3600,
                "expires_at": (FROZEN_NOW + timedelta(hours=5)).timestamp(),
            },
            "source": "strava",
            "athlete_id": SECOND_ATHLETE,
            "webhook_id": SECOND_WEBHOOK_ID,
            "verify_token": "verify-token-9d0a",
        },
        options=PROFILE_OPTIONS,
    )


async def test_two_athletes_share_one_subscription(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
    events: list[Event],
) -> None:
    """A household on one app: one subscription, each event reaches its own athlete's entry."""
    second = second_athlete_entry(strava)
    await setup_entry(hass, second)
    await hass.async_block_till_done(wait_background_tasks=True)

    # The second athlete joined the subscription instead of taking it.
    [subscription] = strava.subscriptions.values()
    assert subscription["callback_url"] == CALLBACK_URL
    assert strava.count(SUBSCRIPTIONS, "POST") == strava.count(method="DELETE") == 0
    assert second.runtime_data.push.connected
    assert second.data["subscription_id"] == subscription["id"]
    assert coordinator_of(second).update_interval == POLL_INTERVAL_WITH_PUSH
    assert len(coordinator_of(second).store.activities) == 3

    mine = new_run(strava)
    theirs = new_run(strava, athlete={"id": SECOND_ATHLETE, "resource_state": 1})
    for run, owner in ((mine, strava.athlete["id"]), (theirs, SECOND_ATHLETE)):
        body = strava.event(run["id"], owner_id=owner)
        assert await post_event(hass, client, body) == HTTPStatus.OK

    # Each read with the owner's own token (the fake answers 404 to anyone else's).
    assert mine["id"] in coordinator_of(pushed).store.activities
    assert mine["id"] not in coordinator_of(second).store.activities
    assert theirs["id"] in coordinator_of(second).store.activities
    assert theirs["id"] not in coordinator_of(pushed).store.activities
    assert [(event.data["config_entry_id"], event.data["activity_id"]) for event in events] == [
        (pushed.entry_id, mine["id"]),
        (second.entry_id, theirs["id"]),
    ]

    # The first athlete leaves: the subscription moves to the second athlete's webhook.
    assert await hass.config_entries.async_remove(pushed.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    [subscription] = strava.subscriptions.values()
    assert subscription["callback_url"] == SECOND_CALLBACK_URL
    assert second.data["subscription_id"] == subscription["id"]
    assert second.runtime_data.push.connected
    assert WEBHOOK_ID not in hass.data[webhook.DOMAIN]

    later = new_run(strava, athlete={"id": SECOND_ATHLETE, "resource_state": 1})
    body = strava.event(later["id"], owner_id=SECOND_ATHLETE)
    resp = await client.post(f"/api/webhook/{SECOND_WEBHOOK_ID}", json=body)
    assert resp.status == HTTPStatus.OK
    await hass.async_block_till_done(wait_background_tasks=True)
    assert later["id"] in coordinator_of(second).store.activities

    # The last athlete leaves: the subscription goes too.
    assert await hass.config_entries.async_remove(second.entry_id)
    await hass.async_block_till_done()
    assert strava.subscriptions == {}
    assert SECOND_WEBHOOK_ID not in hass.data[webhook.DOMAIN]


async def test_unloading_one_athlete_keeps_the_other_receiving(
    hass: HomeAssistant,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
) -> None:
    """The first athlete's entry unloaded: the shared webhook still serves the second athlete."""
    second = second_athlete_entry(strava)
    await setup_entry(hass, second)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert await hass.config_entries.async_unload(pushed.entry_id)
    strava.requests.clear()
    theirs = new_run(strava, athlete={"id": SECOND_ATHLETE, "resource_state": 1})
    mine = new_run(strava)
    for run, owner in ((theirs, SECOND_ATHLETE), (mine, strava.athlete["id"])):
        assert await post_event(hass, client, strava.event(run["id"], owner_id=owner)) == 200

    assert theirs["id"] in coordinator_of(second).store.activities
    # Nobody reads for the unloaded athlete.
    assert strava.requests
    assert all(
        r.path.startswith(f"{API_PREFIX}/activities/{theirs['id']}") for r in strava.requests
    )
    assert len(strava.subscriptions) == 1


async def test_rate_limited_read_waits_for_the_window(
    hass: HomeAssistant,
    frozen_now: FrozenDateTimeFactory,
    pushed: MockConfigEntry,
    client: Client,
    strava: FakeStrava,
) -> None:
    """An event whose read meets a 429 is read once the window resets, not dropped."""
    run = new_run(strava)
    strava.inject(Fault.RATE_LIMIT, path=f"{API_PREFIX}/activities/{run['id']}")

    assert await post_event(hass, client, strava.event(run["id"])) == HTTPStatus.OK
    assert run["id"] not in coordinator_of(pushed).store.activities

    await travel(hass, frozen_now, timedelta(minutes=15))

    assert run["id"] in coordinator_of(pushed).store.activities
    assert strava.count(f"{API_PREFIX}/activities/{run['id']}") == 2


async def test_refused_read_starts_reauth(
    hass: HomeAssistant, pushed: MockConfigEntry, client: Client, strava: FakeStrava
) -> None:
    """A read Strava refuses (401) means the access is gone: reauth, as a sync would."""
    run = new_run(strava)
    strava.inject(Fault.UNAUTHORIZED, path=f"{API_PREFIX}/activities/{run['id']}")

    assert await post_event(hass, client, strava.event(run["id"])) == HTTPStatus.OK
    await hass.async_block_till_done()

    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert run["id"] not in coordinator_of(pushed).store.activities


async def test_removing_another_athlete_keeps_the_subscription(
    hass: HomeAssistant, pushed: MockConfigEntry, client: Client, strava: FakeStrava
) -> None:
    """The subscription uses the first athlete's webhook: removing the second changes nothing."""
    second = second_athlete_entry(strava)
    await setup_entry(hass, second)
    await hass.async_block_till_done(wait_background_tasks=True)
    strava.requests.clear()

    assert await hass.config_entries.async_remove(second.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert strava.count(method="DELETE") == strava.count(SUBSCRIPTIONS, "POST") == 0
    [subscription] = strava.subscriptions.values()
    assert subscription["callback_url"] == CALLBACK_URL
    assert pushed.runtime_data.push.connected


def test_sources_never_import_the_coordinator() -> None:
    """Changes flow down: sources hand them over through callbacks, never by calling the coordinator."""
    sources = Path(push_module.__file__).parent
    for module in sorted(sources.glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert not any(name.endswith("coordinator") for name in imported), module.name
