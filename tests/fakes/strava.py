"""
A loopback fake of Strava: API v3, the OAuth token endpoint, push subscriptions, rate limits, faults.

It speaks the real protocol, so the production client runs against it unchanged:

- `GET /api/v3/athlete`, `GET /api/v3/athlete/activities` (`before`/`after`/`page`/`per_page`: newest
  first, ascending when only `after` is given, `per_page` capped at 200), `GET /api/v3/activities/{id}`,
  `GET /api/v3/activities/{id}/streams` (`keys`, `key_by_type`), `GET|POST /api/v3/push_subscriptions`
  and `DELETE /api/v3/push_subscriptions/{id}` (app credentials; POST validates the callback the way
  Strava does), `POST /oauth/token` (authorization_code and refresh_token grants, rotating refresh
  tokens, a dead one refused with Strava's 400 body).
- The athlete's endpoints need `Authorization: Bearer <token>`; anything else gets Strava's 401 body.
  `add_athlete()` signs a second athlete in to the same application (a household sharing one app):
  each token sees only its own athlete's activities, another's answer 404 as on Strava.
- Every reply carries `X-RateLimit-*` and `X-ReadRateLimit-*` headers with the usage it counts per
  15-minute window (reset at :00/:15/:30/:45 UTC) and per UTC day; over a limit it answers 429, and
  rejected requests still count, as on Strava.
- `inject()` queues faults for matching requests (by path prefix, optionally after letting some through):
  429 (15-minute or daily, with headers and Strava's body), 500/502/503, a delay (client timeouts),
  401, 403 "Application inactive" (as Strava sends it, or one of `INACTIVE_BODIES`), malformed JSON, missing fields, or any other reply.
- `event()` builds a push event as Strava sends it; `send_event()` POSTs one to the subscription's
  callback URL, as Strava does.
- `Clock` is a settable time source to share between the fake (`now=`) and the code under test.
- Every request is recorded (method, path, query, form, Authorization header) so tests count calls.

Use it as `async with FakeStrava(activities=450) as strava:` in any async test, or through the
`fake_strava` fixture (import it into a conftest). Sockets: Home Assistant's test harness blocks them,
so the fixture requests pytest-socket's `socket_enabled`; direct users must do the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import itertools
import json
import math
from typing import Any, Self

import aiohttp
from aiohttp import web
import pytest

API_PREFIX = "/api/v3"
CLIENT_ID = "4242"
CLIENT_SECRET = "fake-client-secret-9f3a"
AUTH_CODE = "fake-authorization-code"
ACCESS_TOKEN_LIFETIME_S = 6 * 3600
ACCESS_TOKEN_REUSE_S = 3600  # a refresh returns the same access token while more remains
FIRST_ACTIVITY_ID = 10_000_000_000
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 30
STREAM_STEP_S = 5


def _error(message: str, resource: str, field_name: str, code: str) -> dict[str, Any]:
    """Return Strava's error body: a message and one (resource, field, code) error."""
    return {
        "message": message,
        "errors": [{"resource": resource, "field": field_name, "code": code}],
    }


def _bad_request(resource: str, field_name: str, code: str) -> dict[str, Any]:
    """Return Strava's 400 body."""
    return _error("Bad Request", resource, field_name, code)


# Strava's error bodies
UNAUTHORIZED_BODY = _error("Authorization Error", "Athlete", "access_token", "invalid")
# What Strava answers, API and token endpoint alike, for an application whose owner has no Strava
# subscription (since 2026-06-30), and the variations a client must read the same way.
INACTIVE_BODY = _error("Forbidden", "Application", "Status", "Inactive")
INACTIVE_BODIES: dict[str, dict[str, Any]] = {
    "as_sent": INACTIVE_BODY,
    "after_another_error": {
        "message": "Forbidden",
        "errors": [
            {"resource": "Athlete", "field": "access_token", "code": "invalid"},
            {"resource": "Application", "field": "Status", "code": "Inactive"},
        ],
    },
    "extra_fields": {
        "message": "Forbidden",
        "status": 403,
        "errors": [
            {
                "code": "Inactive",
                "resource": "Application",
                "field": "Status",
                "message": "Application is inactive",
                "docs": "https://developers.strava.com",
            }
        ],
    },
    "upper_case": _error("Forbidden", "APPLICATION", "status", "INACTIVE"),
    "lower_case": _error("Forbidden", "application", "status", "inactive"),
    "other_message": _error("Application Inactive", "Application", "Status", "Inactive"),
}
RATE_LIMIT_BODY = _error("Rate Limit Exceeded", "Application", "rate limit", "exceeded")
NOT_FOUND_BODY = _error("Record Not Found", "Activity", "id", "not found")
SERVER_ERROR_BODY = {"message": "Internal Server Error", "errors": []}

# Fields only the detailed representation (resource_state 3) carries.
DETAIL_ONLY = ("description", "calories", "device_name", "splits_metric", "segment_efforts")


def _iso(moment: datetime) -> str:
    """Format a time the way Strava does (seconds, Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_of(activity: Mapping[str, Any]) -> int:
    """Return an activity's start in epoch seconds."""
    return int(datetime.fromisoformat(activity["start_date"]).timestamp())


class Clock:
    """A settable clock, to share between the fake (`now=`) and the code under test."""

    def __init__(self, moment: datetime) -> None:
        """Start at `moment`."""
        self.moment = moment

    def __call__(self) -> datetime:
        """Return the current time."""
        return self.moment

    def advance(self, **delta: float) -> None:
        """Move time forward by `timedelta(**delta)`."""
        self.moment += timedelta(**delta)


class Fault(StrEnum):
    """Faults the fake can inject into its next replies."""

    RATE_LIMIT = "rate_limit"  # 429, the 15-minute window spent
    RATE_LIMIT_DAILY = "rate_limit_daily"  # 429, the daily window spent
    SERVER_ERROR = "server_error"  # 500, or `status` (502, 503...)
    DELAY = "delay"  # answer normally after `delay` seconds
    UNAUTHORIZED = "unauthorized"  # 401 whatever the token
    INACTIVE = "inactive"  # 403 "Application inactive" (Strava's subscription requirement)
    MALFORMED_JSON = "malformed_json"  # 200 with a truncated JSON body
    MISSING_FIELDS = "missing_fields"  # 200 with `fields` removed from the object(s)
    REPLY = "reply"  # answer `status` with `body` instead (default: Strava's 400 body)


@dataclass(slots=True)
class _Injection:
    """A queued fault and the requests it still applies to."""

    fault: Fault
    times: int
    path: str | None
    status: int
    delay: float
    fields: tuple[str, ...]
    body: Any
    skip: int

    def matches(self, path: str) -> bool:
        """Whether this fault applies to a request for `path`."""
        return self.path is None or path.startswith(self.path)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """What the fake saw of one request."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    authorization: str | None


@dataclass(slots=True)
class Usage:
    """Requests counted in the current 15-minute window and UTC day."""

    short: int = 0
    daily: int = 0


@dataclass(slots=True)
class _Window:
    """Which windows the usage counters belong to."""

    quarter: datetime | None = None
    day: Any = None


class FakeStrava:
    """A Strava API v3 on 127.0.0.1 holding one athlete, their activities and the app's state."""

    def __init__(
        self,
        *,
        activities: int | Iterable[Mapping[str, Any]] = 0,
        limits: tuple[int, int] = (200, 2000),
        read_limits: tuple[int, int] = (100, 1000),
        now: Callable[[], datetime] | None = None,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        rotate_refresh_tokens: bool = True,
        validate_callbacks: bool = True,
    ) -> None:
        """Hold `activities` (a count to generate, or ready JSON), with Strava's default limits."""
        self.limits = limits
        self.read_limits = read_limits
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self.client_id = client_id
        self.client_secret = client_secret
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.validate_callbacks = validate_callbacks
        self.activities: dict[int, dict[str, Any]] = {}
        self.athlete: dict[str, Any] = {
            "id": 134815,
            "username": "dyno_runner",
            "resource_state": 3,
            "firstname": "Dyno",
            "lastname": "Runner",
            "city": "Hanoi",
            "country": "Vietnam",
            "sex": "M",
            "premium": True,
            "summit": True,
            "created_at": "2015-03-01T10:00:00Z",
            "updated_at": "2026-01-01T10:00:00Z",
            "weight": 68.0,
            "measurement_preference": "meters",
        }
        # Athletes added with add_athlete(), by access token; any other token is `athlete`'s, who
        # owns every activity not theirs.
        self._other_athletes: dict[str, dict[str, Any]] = {}
        self.requests: list[RecordedRequest] = []
        self.subscriptions: dict[int, dict[str, Any]] = {}
        self.usage = Usage()
        self.read_usage = Usage()
        self._window = _Window()
        self._faults: list[_Injection] = []
        self._serial = itertools.count(1)
        self._tokens: dict[str, float] = {}  # access token -> expires_at (epoch s)
        self._codes = {AUTH_CODE}
        self.access_token = ""
        self.refresh_token = ""
        self._issue_tokens(force_new_access=True)
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port = 0
        if isinstance(activities, int):
            self.generate(activities)
        else:
            for item in activities:
                self.activities[int(item["id"])] = dict(item)

    # ----- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        """Start listening."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop listening."""
        await self.close()

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get(f"{API_PREFIX}/athlete", self._get_athlete)
        app.router.add_get(f"{API_PREFIX}/athlete/activities", self._list_activities)
        app.router.add_get(f"{API_PREFIX}/activities/{{id}}", self._get_activity)
        app.router.add_get(f"{API_PREFIX}/activities/{{id}}/streams", self._get_streams)
        app.router.add_get(f"{API_PREFIX}/push_subscriptions", self._list_subscriptions)
        app.router.add_post(f"{API_PREFIX}/push_subscriptions", self._create_subscription)
        app.router.add_delete(f"{API_PREFIX}/push_subscriptions/{{id}}", self._delete_subscription)
        app.router.add_post("/oauth/token", self._token)
        # Cancel handlers whose client gave up, so shutdown never waits for a delayed reply.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        """Stop listening (delayed replies end at once)."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Return the server's root URL."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_base(self) -> str:
        """Return the URL to use as the client's base URL."""
        return self.base_url + API_PREFIX

    @property
    def token_url(self) -> str:
        """Return the OAuth token endpoint's URL."""
        return self.base_url + "/oauth/token"

    async def token_provider(self) -> str:
        """Return the current access token (what OAuth2Session would hand the client)."""
        return self.access_token

    # ----- data -------------------------------------------------------------------------------

    def make_activity(self, index: int, start: datetime, **overrides: Any) -> dict[str, Any]:
        """Return a plausible detailed activity; `index` varies sport, distance, HR and flags."""
        kind = ("Run", "Run", "Run", "Ride", "Run", "Walk", "Run", "TrailRun", "Run", "Run")[
            index % 10
        ]
        manual = index % 17 == 16
        has_hr = not manual and index % 13 != 12
        distance = {"Ride": 25_000.0, "Walk": 4_000.0}.get(kind, 5_000.0) + (index * 937) % 12_000
        speed = {"Ride": 7.5, "Walk": 1.4}.get(kind, 3.1 + (index % 7) * 0.05)
        moving = round(distance / speed)
        local = start + timedelta(hours=7)
        activity: dict[str, Any] = {
            "resource_state": 3,
            "athlete": {"id": self.athlete["id"], "resource_state": 1},
            "name": f"{kind} #{index}",
            "distance": distance,
            "moving_time": moving,
            "elapsed_time": moving + (index % 5) * 30,
            "total_elevation_gain": float((index * 13) % 180),
            "type": kind,
            "sport_type": kind,
            "workout_type": 1 if kind == "Run" and index % 25 == 24 else (None if manual else 0),
            "id": FIRST_ACTIVITY_ID + index,
            "start_date": _iso(start),
            "start_date_local": _iso(local),
            "timezone": "(GMT+07:00) Asia/Ho_Chi_Minh",
            "utc_offset": 25200.0,
            "location_country": "Vietnam",
            "achievement_count": index % 3,
            "kudos_count": index % 11,
            "comment_count": 0,
            "athlete_count": 1,
            "photo_count": 0,
            "map": {
                "id": f"a{FIRST_ACTIVITY_ID + index}",
                "summary_polyline": "",
                "resource_state": 2,
            },
            "trainer": kind == "Run" and index % 19 == 18,
            "commute": False,
            "manual": manual,
            "private": False,
            "visibility": "everyone",
            "flagged": False,
            "gear_id": None if manual else "g1234",
            "start_latlng": [] if manual else [21.0285, 105.8542],
            "end_latlng": [] if manual else [21.0291, 105.8550],
            "average_speed": round(speed, 3),
            "max_speed": round(speed * 1.4, 3),
            "has_heartrate": has_hr,
            "heartrate_opt_out": False,
            "display_hide_heartrate_option": has_hr,
            "elev_high": 30.0,
            "elev_low": 5.0,
            "upload_id": None if manual else 20_000_000_000 + index,
            "external_id": None if manual else f"garmin_{index}.fit",
            "from_accepted_tag": False,
            "pr_count": 0,
            "total_photo_count": 0,
            "has_kudoed": False,
            "description": "",
            "calories": round(distance / 1000 * 62, 1),
            "device_name": None if manual else "Garmin Forerunner 255",
            "splits_metric": [],
            "segment_efforts": [],
        }
        if has_hr:
            activity["average_heartrate"] = 135.0 + index % 25
            activity["max_heartrate"] = 165.0 + index % 20
        activity.update(overrides)
        return activity

    def generate(
        self,
        count: int,
        *,
        newest: datetime | None = None,
        spacing: timedelta = timedelta(days=1),
    ) -> list[dict[str, Any]]:
        """Add `count` activities, one per `spacing`, the newest starting at `newest`."""
        newest = newest if newest is not None else self.now() - timedelta(hours=12)
        first = len(self.activities)
        made = [
            self.make_activity(first + i, newest - (count - 1 - i) * spacing) for i in range(count)
        ]
        for activity in made:
            self.activities[activity["id"]] = activity
        return made

    def add_activity(self, start: datetime, **overrides: Any) -> dict[str, Any]:
        """Add one activity starting at `start` (as an upload would) and return it."""
        activity = self.make_activity(len(self.activities), start, **overrides)
        self.activities[activity["id"]] = activity
        return activity

    def update_activity(self, activity_id: int, **changes: Any) -> dict[str, Any]:
        """Change fields of a stored activity (as an edit on Strava would) and return it."""
        self.activities[activity_id].update(changes)
        return self.activities[activity_id]

    def delete_activity(self, activity_id: int) -> None:
        """Remove an activity (as a delete on Strava would)."""
        del self.activities[activity_id]

    def summary(self, activity: Mapping[str, Any]) -> dict[str, Any]:
        """Return the summary representation (what the list endpoint returns)."""
        data = {k: v for k, v in activity.items() if k not in DETAIL_ONLY}
        data["resource_state"] = 2
        return data

    def streams(self, activity: Mapping[str, Any]) -> dict[str, dict[str, Any]] | None:
        """Return the activity's streams keyed by type; None for a manual activity."""
        if activity.get("manual"):
            return None
        moving = int(activity.get("moving_time") or 0)
        distance = float(activity.get("distance") or 0.0)
        times = list(range(0, moving + 1, STREAM_STEP_S)) or [0]
        last = times[-1] or 1
        series: dict[str, list[Any]] = {
            "time": times,
            "distance": [round(distance * t / last, 1) for t in times],
            "altitude": [round(10 + 5 * math.sin(t / 300), 1) for t in times],
        }
        if activity.get("has_heartrate"):
            avg = float(activity.get("average_heartrate") or 140.0)
            series["heartrate"] = [
                round(avg - 12 + 24 * t / last + (t // STREAM_STEP_S) % 3) for t in times
            ]
        return {
            key: {
                "data": values,
                "series_type": "distance",
                "original_size": len(values),
                "resolution": "high",
            }
            for key, values in series.items()
        }

    # ----- scripting --------------------------------------------------------------------------

    def inject(
        self,
        fault: Fault,
        *,
        times: int = 1,
        path: str | None = None,
        status: int = 500,
        delay: float = 30.0,
        fields: Iterable[str] = ("start_date",),
        body: Any = None,
        after: int = 0,
    ) -> None:
        """
        Make `times` requests whose path starts with `path` (any, if None) fail with `fault`.

        The first `after` matching requests are answered normally. Queued faults apply in order.
        """
        self._faults.append(
            _Injection(fault, times, path, status, delay, tuple(fields), body, after)
        )

    def set_usage(
        self,
        *,
        overall: tuple[int, int] | None = None,
        read: tuple[int, int] | None = None,
    ) -> None:
        """Set the counted usage (15-minute, daily) as if other requests had been made."""
        self._roll()
        if overall is not None:
            self.usage.short, self.usage.daily = overall
        if read is not None:
            self.read_usage.short, self.read_usage.daily = read

    def add_athlete(self, athlete_id: int, firstname: str, lastname: str) -> str:
        """Sign another athlete in to the application; return their access token (6 hours)."""
        token = f"fake-access-{next(self._serial)}"
        self._tokens[token] = self.now().timestamp() + ACCESS_TOKEN_LIFETIME_S
        self._other_athletes[token] = {
            **self.athlete,
            "id": athlete_id,
            "username": f"{firstname}_{lastname}".lower(),
            "firstname": firstname,
            "lastname": lastname,
        }
        return token

    def issue_code(self) -> str:
        """Return a fresh single-use authorization code (what Strava's redirect would carry)."""
        code = f"fake-code-{next(self._serial)}"
        self._codes.add(code)
        return code

    def expire_access_token(self) -> None:
        """Let the current access token expire now (the next API call with it gets 401)."""
        self._tokens[self.access_token] = self.now().timestamp() - 1

    def revoke(self) -> None:
        """Deauthorize the app: every access token and the refresh token stop working."""
        self._tokens.clear()
        self.refresh_token = f"revoked-{next(self._serial)}"

    # ----- inspection -------------------------------------------------------------------------

    def count(self, path: str | None = None, method: str = "GET") -> int:
        """Return how many requests for exactly `path` (any API path, if None) were received."""
        return sum(
            1
            for r in self.requests
            if r.method == method
            and (r.path == path if path is not None else r.path.startswith(API_PREFIX))
        )

    def activity_requests(self) -> list[RecordedRequest]:
        """Return the recorded list-activities requests, in order."""
        return [r for r in self.requests if r.path == f"{API_PREFIX}/athlete/activities"]

    # ----- HTTP plumbing ----------------------------------------------------------------------

    def _roll(self) -> None:
        """Reset counters whose window has passed (quarter hours and days in UTC)."""
        now = self.now().astimezone(UTC)
        quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
        if self._window.quarter != quarter:
            self._window.quarter = quarter
            self.usage.short = self.read_usage.short = 0
        if self._window.day != now.date():
            self._window.day = now.date()
            self.usage.daily = self.read_usage.daily = 0

    def _rate_headers(self) -> dict[str, str]:
        """Return the rate-limit headers every reply carries."""
        return {
            "X-RateLimit-Limit": f"{self.limits[0]},{self.limits[1]}",
            "X-RateLimit-Usage": f"{self.usage.short},{self.usage.daily}",
            "X-ReadRateLimit-Limit": f"{self.read_limits[0]},{self.read_limits[1]}",
            "X-ReadRateLimit-Usage": f"{self.read_usage.short},{self.read_usage.daily}",
        }

    def _over_limit(self) -> bool:
        """Whether the counted usage is past any limit."""
        return (
            self.usage.short > self.limits[0]
            or self.usage.daily > self.limits[1]
            or self.read_usage.short > self.read_limits[0]
            or self.read_usage.daily > self.read_limits[1]
        )

    def _take_fault(self, path: str) -> _Injection | None:
        """Consume the first queued fault that applies to `path`."""
        for injection in self._faults:
            if injection.matches(path):
                if injection.skip > 0:
                    injection.skip -= 1
                    return None
                injection.times -= 1
                if injection.times <= 0:
                    self._faults.remove(injection)
                return injection
        return None

    def _caller(self, request: web.Request) -> dict[str, Any] | None:
        """Return the athlete whose live access token the Authorization header carries, if any."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        expires = self._tokens.get(token)
        if scheme.lower() != "bearer" or expires is None or expires <= self.now().timestamp():
            return None
        return self._other_athletes.get(token, self.athlete)

    def _owned(self, request: web.Request, activity: Mapping[str, Any]) -> bool:
        """Whether `activity` belongs to the athlete making the request."""
        owner = (activity.get("athlete") or {}).get("id")
        caller = self._caller(request)
        if caller is not None and caller is not self.athlete:
            return bool(owner == caller["id"])
        return all(owner != other["id"] for other in self._other_athletes.values())

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        """Record, count, inject faults, check the token, then answer with rate-limit headers."""
        form = dict(await request.post()) if request.method == "POST" else {}
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                form={k: str(v) for k, v in form.items()},
                authorization=request.headers.get("Authorization"),
            )
        )
        self._roll()
        is_api = request.path.startswith(API_PREFIX)
        if is_api:
            # Every API request counts, even the rejected ones.
            for usage in (self.usage, self.read_usage):
                usage.short += 1
                usage.daily += 1
        response = await self._answer(request, handler, is_api)
        response.headers.update(self._rate_headers())
        return response

    async def _answer(
        self, request: web.Request, handler: Callable[[web.Request], Any], is_api: bool
    ) -> web.StreamResponse:
        """Produce the reply, faults first."""
        injection = self._take_fault(request.path)
        fault = injection.fault if injection is not None else None
        if injection is not None and fault is Fault.DELAY:
            # Ends early when the server closes, so teardown never waits.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), injection.delay)
        if fault is Fault.RATE_LIMIT:
            self.usage.short = max(self.usage.short, self.limits[0] + 1)
            self.read_usage.short = max(self.read_usage.short, self.read_limits[0] + 1)
        if fault is Fault.RATE_LIMIT_DAILY:
            self.usage.daily = max(self.usage.daily, self.limits[1] + 1)
            self.read_usage.daily = max(self.read_usage.daily, self.read_limits[1] + 1)
        if fault in (Fault.RATE_LIMIT, Fault.RATE_LIMIT_DAILY) or (is_api and self._over_limit()):
            return web.json_response(RATE_LIMIT_BODY, status=429)
        if injection is not None and fault is Fault.SERVER_ERROR:
            if injection.status == 500:
                return web.json_response(SERVER_ERROR_BODY, status=500)
            return web.Response(
                status=injection.status,
                text=f"<html><body><h1>{injection.status}</h1></body></html>",
                content_type="text/html",
            )
        if injection is not None and fault is Fault.REPLY:
            body = injection.body
            if body is None:
                body = _bad_request("Application", "", "invalid")
            return web.json_response(body, status=injection.status)
        if fault is Fault.UNAUTHORIZED:
            return web.json_response(UNAUTHORIZED_BODY, status=401)
        if injection is not None and fault is Fault.INACTIVE:
            return web.json_response(injection.body or INACTIVE_BODY, status=403)
        needs_token = is_api and not request.path.startswith(f"{API_PREFIX}/push_subscriptions")
        if needs_token and self._caller(request) is None:
            return web.json_response(UNAUTHORIZED_BODY, status=401)
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPNotFound:
            response = web.json_response(NOT_FOUND_BODY, status=404)
        if injection is not None and isinstance(response, web.Response) and response.status < 300:
            if fault is Fault.MALFORMED_JSON:
                text = response.text or "{}"
                return web.Response(
                    text=text[: max(1, len(text) // 2)], content_type="application/json"
                )
            if fault is Fault.MISSING_FIELDS:
                return web.json_response(
                    _strip(json.loads(response.text or "null"), injection.fields)
                )
        return response

    # ----- API handlers -----------------------------------------------------------------------

    async def _get_athlete(self, request: web.Request) -> web.Response:
        """GET /athlete."""
        return web.json_response(self._caller(request) or self.athlete)

    async def _list_activities(self, request: web.Request) -> web.Response:
        """GET /athlete/activities with Strava's paging and ordering."""
        query = request.query
        try:
            before = int(query["before"]) if "before" in query else None
            after = int(query["after"]) if "after" in query else None
            page = int(query.get("page", "1"))
            per_page = int(query.get("per_page", str(DEFAULT_PER_PAGE)))
        except ValueError:
            return web.json_response(_bad_request("Application", "query", "invalid"), status=400)
        if page < 1 or per_page < 1:
            return web.json_response(_bad_request("Application", "page", "invalid"), status=400)
        per_page = min(per_page, MAX_PER_PAGE)
        chosen = [
            a
            for a in self.activities.values()
            if self._owned(request, a)
            and (before is None or epoch_of(a) < before)
            and (after is None or epoch_of(a) > after)
        ]
        ascending = after is not None and before is None
        chosen.sort(key=lambda a: (epoch_of(a), a["id"]), reverse=not ascending)
        start = (page - 1) * per_page
        return web.json_response([self.summary(a) for a in chosen[start : start + per_page]])

    def _find(self, request: web.Request) -> dict[str, Any] | None:
        """Return the activity the URL names, if it exists and is the caller's."""
        try:
            activity = self.activities.get(int(request.match_info["id"]))
        except ValueError:
            return None
        return activity if activity is not None and self._owned(request, activity) else None

    async def _get_activity(self, request: web.Request) -> web.Response:
        """GET /activities/{id}."""
        activity = self._find(request)
        if activity is None:
            return web.json_response(NOT_FOUND_BODY, status=404)
        return web.json_response(activity)

    async def _get_streams(self, request: web.Request) -> web.Response:
        """GET /activities/{id}/streams?keys=...&key_by_type=..."""
        activity = self._find(request)
        streams = None if activity is None else self.streams(activity)
        if streams is None:
            return web.json_response(NOT_FOUND_BODY, status=404)
        keys = request.query.get("keys", "").split(",")
        # Strava always adds distance (and time, the series it is aligned on).
        wanted = {k for k in keys if k} | {"distance", "time"}
        chosen = {k: v for k, v in streams.items() if k in wanted}
        if request.query.get("key_by_type") == "true":
            return web.json_response(chosen)
        return web.json_response([{"type": k, **v} for k, v in chosen.items()])

    def _app_credentials_error(self, params: Mapping[str, Any]) -> web.Response | None:
        """Refuse push-subscription calls without the app's id and secret."""
        if str(params.get("client_id", "")) != self.client_id:
            return web.json_response(
                _bad_request("Application", "client_id", "invalid"), status=400
            )
        if str(params.get("client_secret", "")) != self.client_secret:
            return web.json_response(
                _error("Authorization Error", "Application", "client_secret", "invalid"),
                status=401,
            )
        return None

    async def _list_subscriptions(self, request: web.Request) -> web.Response:
        """GET /push_subscriptions?client_id=&client_secret=."""
        if (error := self._app_credentials_error(request.query)) is not None:
            return error
        return web.json_response(list(self.subscriptions.values()))

    async def _create_subscription(self, request: web.Request) -> web.Response:
        """POST /push_subscriptions: validate the callback as Strava does, then create."""
        form = await request.post()
        if (error := self._app_credentials_error(form)) is not None:
            return error
        callback_url = str(form.get("callback_url", ""))
        verify_token = str(form.get("verify_token", ""))
        if not callback_url or not verify_token:
            field_name = "callback_url" if not callback_url else "verify_token"
            return web.json_response(
                _bad_request("PushSubscription", field_name, "missing"), status=400
            )
        if self.subscriptions:
            return web.json_response(
                _bad_request("PushSubscription", "", "already exists"), status=400
            )
        if self.validate_callbacks and not await self._callback_answers(callback_url, verify_token):
            return web.json_response(
                _bad_request(
                    "PushSubscription", "callback url", "GET to callback URL does not return 200"
                ),
                status=400,
            )
        subscription_id = 120_000 + next(self._serial)
        stamp = _iso(self.now())
        self.subscriptions[subscription_id] = {
            "id": subscription_id,
            "resource_state": 2,
            "application_id": int(self.client_id),
            "callback_url": callback_url,
            "created_at": stamp,
            "updated_at": stamp,
        }
        return web.json_response({"id": subscription_id}, status=201)

    async def _callback_answers(self, callback_url: str, verify_token: str) -> bool:
        """Send Strava's validation GET and check the echoed challenge."""
        challenge = f"challenge-{next(self._serial)}"
        params = {
            "hub.mode": "subscribe",
            "hub.challenge": challenge,
            "hub.verify_token": verify_token,
        }
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    callback_url, params=params, timeout=aiohttp.ClientTimeout(total=2)
                ) as resp,
            ):
                if resp.status != 200:
                    return False
                body = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return False
        return isinstance(body, dict) and body.get("hub.challenge") == challenge

    async def _delete_subscription(self, request: web.Request) -> web.Response:
        """DELETE /push_subscriptions/{id}?client_id=&client_secret=."""
        if (error := self._app_credentials_error(request.query)) is not None:
            return error
        try:
            subscription_id = int(request.match_info["id"])
        except ValueError:
            subscription_id = -1
        if self.subscriptions.pop(subscription_id, None) is None:
            return web.json_response(
                _error("Record Not Found", "PushSubscription", "id", "not found"), status=404
            )
        return web.Response(status=204)

    def event(
        self,
        object_id: int,
        *,
        aspect_type: str = "create",
        object_type: str = "activity",
        updates: Mapping[str, str] | None = None,
        owner_id: int | None = None,
        subscription_id: int | None = None,
    ) -> dict[str, Any]:
        """Return a push event as Strava sends it (the athlete's, for the first subscription)."""
        if subscription_id is None:
            if not self.subscriptions:
                raise LookupError("No push subscription: create one, or pass subscription_id")
            subscription_id = next(iter(self.subscriptions))
        return {
            "aspect_type": aspect_type,
            "event_time": int(self.now().timestamp()),
            "object_id": object_id,
            "object_type": object_type,
            "owner_id": owner_id if owner_id is not None else self.athlete["id"],
            "subscription_id": subscription_id,
            "updates": dict(updates or {}),
        }

    async def send_event(
        self,
        object_id: int,
        *,
        callback_url: str | None = None,
        **fields: Any,
    ) -> int:
        """POST `event(object_id, **fields)` to the subscription's callback, as Strava does."""
        if callback_url is None:
            if not self.subscriptions:
                raise LookupError("No push subscription: create one, or pass callback_url")
            callback_url = str(next(iter(self.subscriptions.values()))["callback_url"])
        event = self.event(object_id, **fields)
        async with (
            aiohttp.ClientSession() as session,
            session.post(callback_url, json=event, timeout=aiohttp.ClientTimeout(total=2)) as resp,
        ):
            return resp.status

    # ----- OAuth ------------------------------------------------------------------------------

    def _issue_tokens(self, *, force_new_access: bool) -> None:
        """Hand out tokens: a new access token unless the current one has over an hour left."""
        now = self.now().timestamp()
        remaining = self._tokens.get(self.access_token, 0) - now
        if force_new_access or remaining <= ACCESS_TOKEN_REUSE_S:
            self.access_token = f"fake-access-{next(self._serial)}"
            self._tokens[self.access_token] = now + ACCESS_TOKEN_LIFETIME_S
        if force_new_access or self.rotate_refresh_tokens or not self.refresh_token:
            # The old refresh token dies at once.
            self.refresh_token = f"fake-refresh-{next(self._serial)}"

    def _token_reply(self, *, with_athlete: bool) -> dict[str, Any]:
        """Return the token endpoint's success body."""
        expires_at = int(self._tokens[self.access_token])
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": self.access_token,
            "expires_at": expires_at,
            "expires_in": expires_at - int(self.now().timestamp()),
            "refresh_token": self.refresh_token,
        }
        if with_athlete:
            body["athlete"] = {
                k: self.athlete[k]
                for k in ("id", "username", "firstname", "lastname", "sex", "city", "country")
            } | {"resource_state": 2}
        return body

    async def _token(self, request: web.Request) -> web.Response:
        """POST /oauth/token: authorization_code and refresh_token grants."""
        form = await request.post()
        if str(form.get("client_id", "")) != self.client_id:
            return web.json_response(
                _bad_request("Application", "client_id", "invalid"), status=400
            )
        if str(form.get("client_secret", "")) != self.client_secret:
            return web.json_response(
                _bad_request("Application", "client_secret", "invalid"), status=400
            )
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = str(form.get("code", ""))
            if code not in self._codes:
                return web.json_response(
                    _bad_request("AuthorizationCode", "code", "invalid"), status=400
                )
            self._codes.discard(code)
            self._issue_tokens(force_new_access=True)
            return web.json_response(self._token_reply(with_athlete=True))
        if grant == "refresh_token":
            # Strava answers a dead refresh token with its own 400 body (no OAuth "invalid_grant").
            if str(form.get("refresh_token", "")) != self.refresh_token:
                return web.json_response(
                    _bad_request("RefreshToken", "refresh_token", "invalid"), status=400
                )
            self._issue_tokens(force_new_access=False)
            return web.json_response(self._token_reply(with_athlete=False))
        return web.json_response(_bad_request("Authorize", "grant_type", "invalid"), status=400)


def _strip(data: Any, fields: tuple[str, ...]) -> Any:
    """Remove `fields` from an object, or from every object of a list."""
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k not in fields}
    if isinstance(data, list):
        return [_strip(item, fields) for item in data]
    return data


@pytest.fixture
async def fake_strava(socket_enabled: None) -> AsyncGenerator[FakeStrava]:
    """Start a fake Strava on loopback with no activities; close it after the test."""
    async with FakeStrava() as fake:
        yield fake
