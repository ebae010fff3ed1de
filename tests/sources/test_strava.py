"""Tests for the async Strava client, over real HTTP against the fake Strava on loopback."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
import logging
import traceback
from typing import Any

import aiohttp
from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from multidict import CIMultiDict, CIMultiDictProxy
import pytest
from yarl import URL

from custom_components.coach_dyno.sources.ratelimit import RateGovernor
from custom_components.coach_dyno.sources.strava import (
    StravaAuthError,
    StravaClient,
    StravaConnectionError,
    StravaError,
    StravaInactiveError,
    StravaNotFoundError,
    StravaRateLimitError,
    StravaResponseError,
)
from tests.fakes import strava as fakes
from tests.fakes.strava import (
    API_PREFIX,
    AUTH_CODE,
    CLIENT_ID,
    CLIENT_SECRET,
    FIRST_ACTIVITY_ID,
    Clock,
    FakeStrava,
    Fault,
    epoch_of,
)

# The fixture other test modules import into their conftest; used here to prove it works.
fake_strava = fakes.fake_strava

T0 = datetime(2026, 3, 10, 10, 7, 30, tzinfo=UTC)
ACTIVITIES = f"{API_PREFIX}/athlete/activities"
VERIFY_TOKEN = "verify-me-7c1"


@pytest.fixture
async def strava(socket_enabled: None) -> AsyncGenerator[FakeStrava]:
    """Serve a fake Strava holding 30 activities."""
    async with FakeStrava(activities=30) as fake:
        yield fake


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """Give each test its own HTTP session."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def client(strava: FakeStrava, session: aiohttp.ClientSession) -> StravaClient:
    """Return a client pointed at the fake."""
    return StravaClient(session, strava.token_provider, base_url=strava.api_base)


@pytest.fixture
def clock(strava: FakeStrava) -> Clock:
    """Stop the fake's time at T0; the test moves it by hand."""
    clock = Clock(T0)
    strava.now = clock
    return clock


@pytest.fixture
def clocked_client(
    strava: FakeStrava, session: aiohttp.ClientSession, clock: Clock
) -> StravaClient:
    """Return a client whose governor reads the fake's clock."""
    return StravaClient(
        session, strava.token_provider, base_url=strava.api_base, governor=RateGovernor(now=clock)
    )


@pytest.fixture
async def callback(socket_enabled: None) -> AsyncGenerator[tuple[str, list[dict[str, Any]]]]:
    """Serve a push callback that answers Strava's validation and records events."""
    events: list[dict[str, Any]] = []

    async def validate(request: web.Request) -> web.Response:
        if request.query.get("hub.verify_token") != VERIFY_TOKEN:
            return web.Response(status=403)
        return web.json_response({"hub.challenge": request.query["hub.challenge"]})

    async def receive(request: web.Request) -> web.Response:
        events.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_get("/hook", validate)
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert site._server is not None
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    yield f"http://127.0.0.1:{port}/hook", events
    await runner.cleanup()


# ----- reading the athlete's data ------------------------------------------------------------


async def test_get_athlete_returns_the_profile_fields(
    client: StravaClient, strava: FakeStrava
) -> None:
    athlete = await client.get_athlete()
    assert athlete == {
        "id": strava.athlete["id"],
        "firstname": "Dyno",
        "lastname": "Runner",
        "sex": "M",
        "measurement_preference": "meters",
    }
    assert client.calls == 1


async def test_token_travels_only_in_the_bearer_header(
    client: StravaClient, strava: FakeStrava
) -> None:
    await client.get_athlete()
    page = await client.list_activities(per_page=5)
    await client.get_activity(page[0].id)
    await client.get_streams(page[0].id)
    assert len(strava.requests) == 4
    for request in strava.requests:
        assert request.authorization == f"Bearer {strava.access_token}"
        assert "access_token" not in request.query
        assert strava.access_token not in str(request.query)
        assert not request.form


async def test_list_activities_pages_newest_first(client: StravaClient, strava: FakeStrava) -> None:
    first = await client.list_activities(page=1, per_page=12)
    second = await client.list_activities(page=2, per_page=12)
    third = await client.list_activities(page=3, per_page=12)
    assert [len(first), len(second), len(third)] == [12, 12, 6]
    starts = [a.start for a in first + second + third]
    assert starts == sorted(starts, reverse=True)
    assert {a.id for a in first + second + third} == set(strava.activities)
    assert strava.activity_requests()[0].query == {"page": "1", "per_page": "12"}


async def test_list_activities_sends_before_and_after(
    client: StravaClient, strava: FakeStrava
) -> None:
    everything = await client.list_activities()
    pivot = int(everything[10].start.timestamp())
    older = await client.list_activities(before=pivot)
    newer = await client.list_activities(after=pivot)
    assert [a.id for a in older] == [a.id for a in everything[11:]]
    # Only `after`: oldest first, as Strava answers.
    assert [a.id for a in newer] == [a.id for a in reversed(everything[:10])]
    assert strava.activity_requests()[1].query["before"] == str(pivot)
    assert strava.activity_requests()[2].query["after"] == str(pivot)


@pytest.mark.parametrize(("page", "per_page"), [(0, 10), (1, 0), (1, 201)])
async def test_list_activities_refuses_impossible_paging(
    client: StravaClient, strava: FakeStrava, page: int, per_page: int
) -> None:
    with pytest.raises(ValueError, match="per_page"):
        await client.list_activities(page=page, per_page=per_page)
    assert client.calls == 0
    assert strava.requests == []


async def test_get_activity_returns_the_detail(client: StravaClient, strava: FakeStrava) -> None:
    raw = strava.activities[FIRST_ACTIVITY_ID + 24]
    activity = await client.get_activity(FIRST_ACTIVITY_ID + 24)
    assert activity.id == raw["id"]
    assert activity.name == raw["name"]
    assert activity.race  # index 24 is a race in the fake's pattern
    assert strava.count(f"{API_PREFIX}/activities/{FIRST_ACTIVITY_ID + 24}") == 1


async def test_get_activity_of_a_deleted_activity_is_not_found(
    client: StravaClient, strava: FakeStrava
) -> None:
    strava.delete_activity(FIRST_ACTIVITY_ID)
    with pytest.raises(StravaNotFoundError):
        await client.get_activity(FIRST_ACTIVITY_ID)


async def test_get_streams_asks_for_the_four_series_keyed_by_type(
    client: StravaClient, strava: FakeStrava
) -> None:
    streams = await client.get_streams(FIRST_ACTIVITY_ID)
    assert streams is not None
    assert streams.heartrate is not None
    assert streams.altitude_m is not None
    assert len(streams.time_s) == len(streams.heartrate)
    query = strava.requests[-1].query
    assert query == {"keys": "time,heartrate,distance,altitude", "key_by_type": "true"}


async def test_get_streams_of_a_manual_activity_is_none(
    client: StravaClient, strava: FakeStrava
) -> None:
    manual = next(a for a in strava.activities.values() if a["manual"])
    assert await client.get_streams(manual["id"]) is None


async def test_get_streams_of_an_empty_reply_is_none(
    client: StravaClient, strava: FakeStrava
) -> None:
    strava.inject(Fault.REPLY, status=200, body={})
    assert await client.get_streams(FIRST_ACTIVITY_ID) is None


async def test_stream_summary_is_attached_for_a_run_with_heart_rate(
    client: StravaClient, strava: FakeStrava
) -> None:
    run = await client.get_activity(FIRST_ACTIVITY_ID)
    summarised = await client.async_with_stream_summary(run)
    assert summarised.id == run.id
    assert summarised.stream_summary is not None
    assert summarised.stream_summary.hr_seconds
    total = sum(seconds for _, seconds in summarised.stream_summary.hr_seconds)
    assert total == pytest.approx(run.moving_s, abs=10)


async def test_stream_summary_leaves_an_activity_without_streams_alone(
    client: StravaClient, strava: FakeStrava
) -> None:
    manual = next(a for a in strava.activities.values() if a["manual"])
    activity = await client.get_activity(manual["id"])
    assert await client.async_with_stream_summary(activity) is activity


async def test_parsing_runs_in_the_given_executor(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    ran: list[str] = []

    async def executor[T](func: Callable[[], T]) -> T:
        ran.append(getattr(func, "func", func).__name__)
        return func()

    client = StravaClient(
        session, strava.token_provider, base_url=strava.api_base, executor=executor
    )
    await client.list_activities(per_page=3)
    await client.get_activity(FIRST_ACTIVITY_ID)
    await client.get_streams(FIRST_ACTIVITY_ID)
    assert ran == ["_parse_activities", "_parse_activity", "_parse_streams"]


async def test_works_on_home_assistant_session_and_executor(
    hass: HomeAssistant, strava: FakeStrava
) -> None:
    client = StravaClient(
        async_get_clientsession(hass),
        strava.token_provider,
        base_url=strava.api_base,
        executor=hass.async_add_executor_job,
    )
    page = await client.list_activities(per_page=200)
    assert len(page) == 30


# ----- faults --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_connection_errors(
    client: StravaClient, strava: FakeStrava, status: int
) -> None:
    strava.inject(Fault.SERVER_ERROR, status=status)
    with pytest.raises(StravaConnectionError, match=str(status)):
        await client.list_activities()
    # The next request goes through: nothing is remembered.
    assert len(await client.list_activities()) == 30


async def test_timeout_is_a_connection_error(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    client = StravaClient(session, strava.token_provider, base_url=strava.api_base, timeout=0.2)
    strava.inject(Fault.DELAY, delay=5.0)
    with pytest.raises(StravaConnectionError, match="in time"):
        await client.get_athlete()


async def test_slow_but_timely_reply_succeeds(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    client = StravaClient(session, strava.token_provider, base_url=strava.api_base, timeout=2.0)
    strava.inject(Fault.DELAY, delay=0.05)
    assert (await client.get_athlete())["id"] == strava.athlete["id"]


async def test_unreachable_server_is_a_connection_error(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    async with FakeStrava() as gone:
        base = gone.api_base
    client = StravaClient(session, gone.token_provider, base_url=base)
    with pytest.raises(StravaConnectionError, match="Cannot reach Strava"):
        await client.get_athlete()


async def test_401_is_an_auth_error(client: StravaClient, strava: FakeStrava) -> None:
    strava.inject(Fault.UNAUTHORIZED)
    with pytest.raises(StravaAuthError, match="401"):
        await client.get_athlete()


async def test_expired_token_is_an_auth_error(client: StravaClient, strava: FakeStrava) -> None:
    strava.expire_access_token()
    with pytest.raises(StravaAuthError):
        await client.get_athlete()


@pytest.mark.parametrize("shape", list(fakes.INACTIVE_BODIES))
async def test_403_application_inactive(
    client: StravaClient, strava: FakeStrava, shape: str
) -> None:
    """Strava's inactive-application reply is known by its structured error, in every shape."""
    strava.inject(Fault.INACTIVE, body=fakes.INACTIVE_BODIES[shape])
    with pytest.raises(StravaInactiveError, match="subscription"):
        await client.list_activities()


@pytest.mark.parametrize(
    "body",
    [
        # The word alone, in the message or in another resource's error, is no inactive application.
        {"message": "Application Inactive", "errors": []},
        {"message": "Forbidden", "errors": [{"resource": "Athlete", "code": "Inactive"}]},
        {"message": "Forbidden", "errors": [{"resource": "Application", "code": "invalid"}]},
        {"message": "Forbidden", "errors": {"resource": "Application", "code": "Inactive"}},
    ],
    ids=["message_only", "other_resource", "other_code", "errors_not_a_list"],
)
async def test_403_that_only_mentions_inactive_is_an_auth_error(
    client: StravaClient, strava: FakeStrava, body: dict[str, Any]
) -> None:
    strava.inject(Fault.REPLY, status=403, body=body)
    with pytest.raises(StravaAuthError, match="403"):
        await client.list_activities()


async def test_inactive_body_with_another_status_is_not_inactive(
    client: StravaClient, strava: FakeStrava
) -> None:
    """Only a 403 means the application is inactive; the same body on a 400 is a refused request."""
    strava.inject(Fault.REPLY, status=400, body=fakes.INACTIVE_BODY)
    with pytest.raises(StravaResponseError, match="400: Application Status Inactive"):
        await client.list_activities()


async def test_other_403_is_an_auth_error(client: StravaClient, strava: FakeStrava) -> None:
    strava.inject(
        Fault.REPLY,
        status=403,
        body={
            "message": "Forbidden",
            "errors": [{"resource": "Athlete", "field": "", "code": "forbidden"}],
        },
    )
    with pytest.raises(StravaAuthError, match="403"):
        await client.list_activities()
    # A 403 page that is not even JSON (a proxy's, say) is no "Application inactive" either.
    strava.inject(Fault.SERVER_ERROR, status=403)
    with pytest.raises(StravaAuthError, match="403"):
        await client.list_activities()


async def test_other_4xx_is_a_response_error_naming_strava_codes(
    client: StravaClient, strava: FakeStrava
) -> None:
    strava.inject(Fault.REPLY, status=400)
    with pytest.raises(StravaResponseError, match="400: Application invalid"):
        await client.list_activities()
    strava.inject(Fault.REPLY, status=422, body=["not", "strava"])
    with pytest.raises(StravaResponseError, match=r"\(422\)"):
        await client.list_activities()


async def test_malformed_json_is_a_response_error(client: StravaClient, strava: FakeStrava) -> None:
    strava.inject(Fault.MALFORMED_JSON)
    with pytest.raises(StravaResponseError, match="malformed JSON"):
        await client.list_activities()


@pytest.mark.parametrize("missing", ["start_date", "id", "sport_type"])
async def test_missing_fields_are_response_errors(
    client: StravaClient, strava: FakeStrava, missing: str
) -> None:
    strava.inject(Fault.MISSING_FIELDS, fields=(missing,))
    with pytest.raises(StravaResponseError, match=missing):
        await client.list_activities()
    strava.inject(Fault.MISSING_FIELDS, fields=(missing,))
    with pytest.raises(StravaResponseError, match=missing):
        await client.get_activity(FIRST_ACTIVITY_ID)


async def test_athlete_without_id_is_a_response_error(
    client: StravaClient, strava: FakeStrava
) -> None:
    strava.inject(Fault.MISSING_FIELDS, fields=("id",))
    with pytest.raises(StravaResponseError, match="athlete"):
        await client.get_athlete()
    strava.athlete["id"] = True
    with pytest.raises(StravaResponseError, match="athlete"):
        await client.get_athlete()


@pytest.mark.parametrize("body", [{"activities": []}, "[]x", None])
async def test_activity_list_of_the_wrong_shape_is_a_response_error(
    client: StravaClient, strava: FakeStrava, body: Any
) -> None:
    strava.inject(Fault.REPLY, status=200, body=body)
    with pytest.raises(StravaResponseError):
        await client.list_activities()


async def test_429_resumes_at_the_next_quarter_hour(
    clocked_client: StravaClient, strava: FakeStrava, clock: Clock
) -> None:
    client = clocked_client
    strava.inject(Fault.RATE_LIMIT)
    with pytest.raises(StravaRateLimitError) as err:
        await client.list_activities()
    assert err.value.resume_at == datetime(2026, 3, 10, 10, 15, tzinfo=UTC)
    assert "2026-03-10T10:15:00" in str(err.value)
    # Until then nothing is sent: the governor answers for Strava.
    sent = len(strava.requests)
    with pytest.raises(StravaRateLimitError) as again:
        await client.get_athlete()
    assert again.value.resume_at == err.value.resume_at
    assert len(strava.requests) == sent
    assert client.calls == 1
    clock.moment = err.value.resume_at
    assert len(await client.list_activities()) == 30


async def test_429_on_the_daily_limit_resumes_at_utc_midnight(
    clocked_client: StravaClient, strava: FakeStrava
) -> None:
    client = clocked_client
    strava.inject(Fault.RATE_LIMIT_DAILY)
    with pytest.raises(StravaRateLimitError) as err:
        await client.list_activities()
    assert err.value.resume_at == datetime(2026, 3, 11, tzinfo=UTC)


async def test_rejected_requests_count_and_the_429_says_so(
    client: StravaClient, strava: FakeStrava
) -> None:
    # Other apps used the read budget; this client has not seen any header yet.
    strava.set_usage(read=(100, 400))
    with pytest.raises(StravaRateLimitError):
        await client.get_athlete()
    assert strava.read_usage.short == 101
    assert client.governor.read.usage_15 == 101


async def test_governor_keeps_headroom_and_refuses_without_sending(
    client: StravaClient, strava: FakeStrava
) -> None:
    strava.set_usage(overall=(10, 10), read=(88, 300))
    await client.get_athlete()  # read usage now 89 of 100
    await client.get_athlete()  # 90: only the 10 % headroom is left
    with pytest.raises(StravaRateLimitError) as err:
        await client.get_athlete()
    assert err.value.resume_at > datetime.now(UTC)
    assert err.value.resume_at <= datetime.now(UTC) + timedelta(minutes=15)
    assert len(strava.requests) == 2
    assert client.calls == 2
    assert strava.read_usage.short == 90


async def test_every_reply_updates_the_governor(client: StravaClient, strava: FakeStrava) -> None:
    strava.set_usage(overall=(40, 900), read=(30, 500))
    await client.get_athlete()
    assert client.governor.overall.as_list() == [200, 2000, 41, 901]
    assert client.governor.read.as_list() == [100, 1000, 31, 501]
    strava.inject(Fault.SERVER_ERROR)
    with pytest.raises(StravaConnectionError):
        await client.get_athlete()
    assert client.governor.read.usage_15 == 32


# ----- the token provider --------------------------------------------------------------------


def _response_error(status: int) -> aiohttp.ClientResponseError:
    """Build the error OAuth2Session raises when the token endpoint refuses."""
    url = URL("https://www.strava.com/oauth/token")
    info = aiohttp.RequestInfo(url, "POST", CIMultiDictProxy(CIMultiDict()), url)
    return aiohttp.ClientResponseError(info, (), status=status, message="refused")


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (StravaAuthError("refresh refused"), StravaAuthError),
        (_response_error(400), StravaAuthError),
        (_response_error(401), StravaAuthError),
        (_response_error(503), StravaConnectionError),
        # A busy token endpoint is no reason to sign in again.
        (_response_error(429), StravaRateLimitError),
        (aiohttp.ClientConnectionError("down"), StravaConnectionError),
        (TimeoutError(), StravaConnectionError),
    ],
)
async def test_token_refresh_failures_are_mapped(
    strava: FakeStrava,
    session: aiohttp.ClientSession,
    raised: Exception,
    expected: type[StravaError],
) -> None:
    async def provider() -> str:
        raise raised

    client = StravaClient(session, provider, base_url=strava.api_base)
    with pytest.raises(expected):
        await client.get_athlete()
    assert client.calls == 0
    assert strava.requests == []


async def test_empty_token_is_an_auth_error(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    async def provider() -> str:
        return ""

    client = StravaClient(session, provider, base_url=strava.api_base)
    with pytest.raises(StravaAuthError):
        await client.get_athlete()
    assert strava.requests == []


# ----- push subscriptions --------------------------------------------------------------------


async def test_push_subscription_lifecycle(
    client: StravaClient, strava: FakeStrava, callback: tuple[str, list[dict[str, Any]]]
) -> None:
    url, events = callback
    subscription_id = await client.create_subscription(CLIENT_ID, CLIENT_SECRET, url, VERIFY_TOKEN)
    listed = await client.list_subscriptions(CLIENT_ID, CLIENT_SECRET)
    assert [(s["id"], s["callback_url"]) for s in listed] == [(subscription_id, url)]
    assert await strava.send_event(FIRST_ACTIVITY_ID, aspect_type="update", updates={"title": "x"})
    assert events == [
        {
            "aspect_type": "update",
            "event_time": events[0]["event_time"],
            "object_id": FIRST_ACTIVITY_ID,
            "object_type": "activity",
            "owner_id": strava.athlete["id"],
            "subscription_id": subscription_id,
            "updates": {"title": "x"},
        }
    ]
    await client.delete_subscription(subscription_id, CLIENT_ID, CLIENT_SECRET)
    assert await client.list_subscriptions(CLIENT_ID, CLIENT_SECRET) == []
    create = next(r for r in strava.requests if r.method == "POST")
    assert create.form == {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "callback_url": url,
        "verify_token": VERIFY_TOKEN,
    }
    # Push calls authenticate with the app credentials, never with the athlete's token.
    assert all(r.authorization is None for r in strava.requests)


async def test_events_need_a_subscription_or_a_callback(
    strava: FakeStrava, callback: tuple[str, list[dict[str, Any]]]
) -> None:
    url, events = callback
    with pytest.raises(LookupError, match="subscription"):
        await strava.send_event(FIRST_ACTIVITY_ID)
    status = await strava.send_event(
        FIRST_ACTIVITY_ID, aspect_type="delete", callback_url=url, subscription_id=9
    )
    assert status == 200
    assert (events[0]["aspect_type"], events[0]["subscription_id"]) == ("delete", 9)


async def test_second_subscription_is_refused(
    client: StravaClient, callback: tuple[str, list[dict[str, Any]]]
) -> None:
    url, _ = callback
    await client.create_subscription(CLIENT_ID, CLIENT_SECRET, url, VERIFY_TOKEN)
    with pytest.raises(StravaResponseError, match="already exists"):
        await client.create_subscription(CLIENT_ID, CLIENT_SECRET, url, VERIFY_TOKEN)


async def test_callback_that_fails_validation_is_refused(
    client: StravaClient, strava: FakeStrava, callback: tuple[str, list[dict[str, Any]]]
) -> None:
    url, _ = callback
    with pytest.raises(StravaResponseError, match="does not return 200"):
        await client.create_subscription(CLIENT_ID, CLIENT_SECRET, url, "wrong-token")
    with pytest.raises(StravaResponseError, match="does not return 200"):
        await client.create_subscription(
            CLIENT_ID, CLIENT_SECRET, strava.base_url + "/nowhere", VERIFY_TOKEN
        )
    assert strava.subscriptions == {}


async def test_wrong_app_credentials(client: StravaClient) -> None:
    with pytest.raises(StravaAuthError) as err:
        await client.list_subscriptions(CLIENT_ID, "not-the-secret")
    assert "not-the-secret" not in str(err.value)
    with pytest.raises(StravaResponseError, match="client_id"):
        await client.list_subscriptions("999", CLIENT_SECRET)


async def test_deleting_an_unknown_subscription_is_not_found(client: StravaClient) -> None:
    with pytest.raises(StravaNotFoundError):
        await client.delete_subscription(5, CLIENT_ID, CLIENT_SECRET)


async def test_subscription_replies_of_the_wrong_shape(
    client: StravaClient, strava: FakeStrava
) -> None:
    strava.validate_callbacks = False
    strava.inject(Fault.MISSING_FIELDS, fields=("id",))
    with pytest.raises(StravaResponseError, match="without an id"):
        await client.create_subscription(CLIENT_ID, CLIENT_SECRET, "http://x.invalid/", "t")
    strava.inject(Fault.REPLY, status=200, body={"id": 1})
    with pytest.raises(StravaResponseError, match="not a list"):
        await client.list_subscriptions(CLIENT_ID, CLIENT_SECRET)


# ----- secrets never leak --------------------------------------------------------------------


async def test_tokens_and_secrets_never_reach_messages_or_logs(
    strava: FakeStrava,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = (strava.access_token, strava.refresh_token, CLIENT_SECRET)
    client = StravaClient(session, strava.token_provider, base_url=strava.api_base, timeout=0.3)
    errors: list[BaseException] = []

    async def attempt(call: Awaitable[Any]) -> None:
        try:
            await call
        except StravaError as err:
            errors.append(err)

    await attempt(client.get_athlete())
    for fault in (Fault.UNAUTHORIZED, Fault.INACTIVE, Fault.MALFORMED_JSON, Fault.SERVER_ERROR):
        strava.inject(fault)
        await attempt(client.list_activities())
    strava.inject(Fault.DELAY, delay=3.0)
    await attempt(client.list_subscriptions(CLIENT_ID, CLIENT_SECRET))
    await attempt(client.list_subscriptions(CLIENT_ID, "wrong"))
    await attempt(client.delete_subscription(7, CLIENT_ID, CLIENT_SECRET))
    strava.inject(Fault.RATE_LIMIT)
    await attempt(client.get_athlete())
    async with FakeStrava() as gone:
        dead = StravaClient(session, strava.token_provider, base_url=gone.api_base)
    await attempt(dead.list_subscriptions(CLIENT_ID, CLIENT_SECRET))
    await attempt(dead.get_athlete())
    assert len(errors) == 10
    # What a log line with a traceback would show, chained exceptions included.
    texts = [caplog.text] + ["".join(traceback.format_exception(err)) for err in errors]
    for text in texts:
        for secret in secrets:
            assert secret not in text
    assert all(err.__cause__ is None for err in errors)


# ----- the fake speaks Strava ----------------------------------------------------------------


async def test_fake_list_semantics(strava: FakeStrava, session: aiohttp.ClientSession) -> None:
    headers = {"Authorization": f"Bearer {strava.access_token}"}

    async def ids(**params: str) -> list[int]:
        async with session.get(
            strava.api_base + "/athlete/activities", params=params, headers=headers
        ) as resp:
            assert resp.status == 200
            return [a["id"] for a in await resp.json()]

    newest_first = await ids(per_page="200")
    assert len(await ids()) == 30  # Strava's default page size
    assert len(await ids(per_page="500")) == 30  # capped at 200, all fit
    start = epoch_of(strava.activities[newest_first[20]])
    end = epoch_of(strava.activities[newest_first[5]])
    # Both bounds: newest first, bounds excluded.
    assert await ids(after=str(start), before=str(end)) == newest_first[6:20]
    assert (
        await ids(after=str(start), per_page="3", page="2")
        == list(reversed(newest_first[:20]))[3:6]
    )
    async with session.get(
        strava.api_base + "/athlete/activities", params={"page": "x"}, headers=headers
    ) as resp:
        assert resp.status == 400
    async with session.get(
        strava.api_base + "/athlete/activities", params={"page": "0"}, headers=headers
    ) as resp:
        assert resp.status == 400


async def test_fake_serves_summaries_in_lists_and_details_alone(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    headers = {"Authorization": f"Bearer {strava.access_token}"}
    async with session.get(strava.api_base + "/athlete/activities", headers=headers) as resp:
        listed = await resp.json()
    async with session.get(
        strava.api_base + f"/activities/{listed[0]['id']}", headers=headers
    ) as resp:
        detail = await resp.json()
    assert listed[0]["resource_state"] == 2
    assert "calories" not in listed[0]
    assert detail["resource_state"] == 3
    assert "calories" in detail
    async with session.get(strava.api_base + "/activities/abc", headers=headers) as resp:
        assert resp.status == 404
    async with session.get(strava.api_base + "/no/such/path", headers=headers) as resp:
        assert resp.status == 404
        assert (await resp.json())["message"] == "Record Not Found"
    async with session.get(
        strava.api_base + f"/activities/{listed[0]['id']}/streams",
        params={"keys": "heartrate"},
        headers=headers,
    ) as resp:
        streams = await resp.json()
    assert sorted(s["type"] for s in streams) == ["distance", "heartrate", "time"]


async def test_fake_refuses_the_token_as_a_query_parameter(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    async with session.get(
        strava.api_base + "/athlete", params={"access_token": strava.access_token}
    ) as resp:
        assert resp.status == 401
        assert (await resp.json())["message"] == "Authorization Error"
        assert resp.headers["X-ReadRateLimit-Usage"] == "1,1"


async def test_fake_oauth_grants_and_rotation(
    strava: FakeStrava, session: aiohttp.ClientSession, clock: Clock
) -> None:

    async def token(**form: str) -> tuple[int, dict[str, Any]]:
        data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form}
        async with session.post(strava.token_url, data=data) as resp:
            return resp.status, await resp.json()

    status, first = await token(grant_type="authorization_code", code=AUTH_CODE)
    assert status == 200
    assert first["athlete"]["id"] == strava.athlete["id"]
    assert first["token_type"] == "Bearer"
    assert first["expires_in"] == 6 * 3600
    # A code works once.
    status, body = await token(grant_type="authorization_code", code=AUTH_CODE)
    assert status == 400
    assert body["errors"][0]["resource"] == "AuthorizationCode"
    # More than an hour left: the same access token comes back, the refresh token rotates.
    status, second = await token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert status == 200
    assert second["access_token"] == first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert "athlete" not in second
    # The old refresh token died at once.
    status, body = await token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert status == 400
    assert body["errors"] == [
        {"resource": "RefreshToken", "field": "refresh_token", "code": "invalid"}
    ]
    # Under an hour left: a new access token.
    clock.moment += timedelta(hours=5, minutes=30)
    status, third = await token(grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert status == 200
    assert third["access_token"] != second["access_token"]
    assert third["access_token"] == strava.access_token
    status, _ = await token(grant_type="authorization_code", code=strava.issue_code())
    assert status == 200
    status, _ = await token(grant_type="password")
    assert status == 400
    async with session.post(
        strava.token_url, data={"client_id": CLIENT_ID, "client_secret": "x"}
    ) as resp:
        assert resp.status == 400
    async with session.post(strava.token_url, data={"client_id": "1"}) as resp:
        assert resp.status == 400


async def test_fake_without_rotation_keeps_the_refresh_token(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    async with FakeStrava(rotate_refresh_tokens=False) as fake:
        refresh = fake.refresh_token
        data = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": refresh,
        }
        async with session.post(fake.token_url, data=data) as resp:
            assert (await resp.json())["refresh_token"] == refresh


async def test_fake_revoke_kills_every_token(client: StravaClient, strava: FakeStrava) -> None:
    strava.revoke()
    with pytest.raises(StravaAuthError):
        await client.get_athlete()


async def test_fake_fixture_and_scripting(
    fake_strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    fake = fake_strava
    assert fake.activities == {}
    made = fake.generate(3, newest=T0, spacing=timedelta(hours=6))
    assert [a["start_date"] for a in made] == [
        "2026-03-09T22:07:30Z",
        "2026-03-10T04:07:30Z",
        "2026-03-10T10:07:30Z",
    ]
    added = fake.add_activity(T0 + timedelta(hours=1), name="Tempo")
    assert fake.activities[added["id"]]["name"] == "Tempo"
    fake.update_activity(added["id"], name="Tempo 8 km")
    assert fake.activities[added["id"]]["name"] == "Tempo 8 km"
    copy = FakeStrava(activities=list(fake.activities.values()))
    assert copy.activities == fake.activities
    fake.inject(Fault.SERVER_ERROR, times=2, path=f"{API_PREFIX}/athlete/activities")
    client = StravaClient(session, fake.token_provider, base_url=fake.api_base)
    assert (await client.get_athlete())["id"]  # other paths are unaffected
    for _ in range(2):
        with pytest.raises(StravaConnectionError):
            await client.list_activities()
    assert len(await client.list_activities()) == 4
    assert fake.count(ACTIVITIES) == 3
    assert fake.count() == 4
    assert fake.count(ACTIVITIES, method="POST") == 0


async def test_fake_usage_resets_with_its_windows(strava: FakeStrava, clock: Clock) -> None:
    strava.set_usage(overall=(150, 1500), read=(80, 800))
    clock.moment += timedelta(minutes=10)  # 10:17:30: a new quarter hour
    strava.set_usage()
    assert (strava.usage.short, strava.usage.daily) == (0, 1500)
    clock.moment += timedelta(days=1)
    strava.set_usage()
    assert (strava.read_usage.short, strava.read_usage.daily) == (0, 0)
