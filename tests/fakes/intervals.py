"""
A loopback fake of the intervals.icu API (v1), following its public documentation and forum answers.

What intervals.icu documents and its developer has said on its forum (forum.intervals.icu, "API access
to Intervals.icu"), which this fake reproduces:

- Base `https://intervals.icu/api/v1`. Personal access is HTTP Basic auth with the user name `API_KEY`
  and the athlete's key (Settings, Developer Settings) as the password; `Bearer` is for OAuth apps
  only. A missing or wrong key answers 401; a key that does not open the athlete in the path answers
  403 `{"status": 403, "error": "Access denied"}`; an unknown path 404 with `{"status": 404, "error":
  "Not Found", "path": ...}`. Athlete ids look like `i12345` (and `0` means the key's own athlete).
- `GET /athlete/{id}`: the athlete (`id`, `name`, ...).
- `GET /athlete/{id}/activities?oldest=YYYY-MM-DD&newest=YYYY-MM-DD`: the activities that started on
  those local dates, newest first, all of them (no pages; `limit` is optional). Fields as Strava names
  them: `id` (a string, `i` and a number), `start_date` (UTC, `Z`), `start_date_local`, `type` (`Run`,
  `TrailRun`, `VirtualRun`, `Ride`, ...), `name`, `distance` (m), `moving_time`, `elapsed_time` (s),
  `total_elevation_gain`, `average_heartrate`, `max_heartrate`, `trainer`, `race`, and `source`
  (`GARMIN_CONNECT`, `COROS`, `SUUNTO`, `POLAR`, `WAHOO`, `UPLOAD`, `MANUAL`, `STRAVA`, ...).
- Activities it received from Strava may not be passed on (Strava's API terms, since November 2024):
  the list gives them as a stub of a few fields, `{"id": "16358453283", "icu_athlete_id": ...,
  "start_date_local": ..., "source": "STRAVA", "_note": "STRAVA activities are not available via the
  API"}` (no type, distance or times), and their own endpoints (streams too) answer 422
  `"Cannot read Strava activities via the API"`.
- `GET /activity/{id}/streams?types=time,heartrate,...`: a list of `{"type": ..., "name": ...,
  "data": [...]}`, one per type the activity recorded, all of one length.
- `GET /athlete/{id}/wellness?oldest=&newest=`: one record a day, `id` its date (`YYYY-MM-DD`), with
  `restingHR` (bpm), `hrv` (rMSSD, ms), `hrvSDNN`, `sleepSecs`, `sleepScore`, `sleepQuality`, `weight`
  and more; fields not measured are null.
- Limits: about 10 requests a second per IP address with a short burst; over it, 429. No page size
  to respect: a date range returns everything in it.

Faults are queued with `inject(path_prefix, status, ...)`: 401, 403, 404, 429 (with `Retry-After`),
5xx, malformed JSON. Every request is recorded (path, query, Authorization header).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, date, datetime
import json
from typing import Any, Self

from aiohttp import BasicAuth, web
import pytest

API_PREFIX = "/api/v1"
ATHLETE_ID = "i424242"
API_KEY = "intervals-key-7k2m9q"
STRAVA_NOTE = "STRAVA activities are not available via the API"
STREAM_STEP_S = 5


@dataclass
class RecordedRequest:
    """One request as the fake saw it."""

    path: str
    query: dict[str, str]
    authorization: str | None


@dataclass
class _Injection:
    path_prefix: str
    status: int
    body: str
    headers: dict[str, str]
    delay: float


class FakeIntervals:
    """intervals.icu on loopback: one athlete, their activities and wellness, and injected faults."""

    def __init__(self) -> None:
        """Start with one athlete and nothing recorded."""
        self.athlete: dict[str, Any] = {"id": ATHLETE_ID, "name": "Dyno Runner", "sex": "M"}
        self.api_key = API_KEY
        self.activities: list[dict[str, Any]] = []
        self.streams: dict[str, list[dict[str, Any]]] = {}
        self.wellness: list[dict[str, Any]] = []
        self.requests: list[RecordedRequest] = []
        self._faults: list[_Injection] = []
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._next_id = 1000

    async def __aenter__(self) -> Self:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_get(f"{API_PREFIX}/athlete/{{id}}", self._athlete)
        app.router.add_get(f"{API_PREFIX}/athlete/{{id}}/activities", self._activities)
        app.router.add_get(f"{API_PREFIX}/athlete/{{id}}/wellness", self._wellness)
        app.router.add_get(f"{API_PREFIX}/activity/{{id}}/streams", self._streams)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        """Return the base URL the client is pointed at."""
        return f"http://127.0.0.1:{self._port}{API_PREFIX}"

    # ----- data ---------------------------------------------------------------------------------

    def add_run(
        self,
        start: datetime,
        *,
        distance_m: float = 10_000.0,
        moving_s: float = 3000.0,
        heart_rate: float | None = 150.0,
        with_streams: bool = True,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Add an activity recorded by a watch (Garmin by default), with streams when it has HR."""
        self._next_id += 1
        activity_id = f"i{self._next_id}"
        activity: dict[str, Any] = {
            "id": activity_id,
            "icu_athlete_id": ATHLETE_ID,
            "start_date": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "start_date_local": start.strftime("%Y-%m-%dT%H:%M:%S"),
            "type": "Run",
            "name": "Morning Run",
            "distance": distance_m,
            "moving_time": moving_s,
            "elapsed_time": moving_s + 30,
            "total_elevation_gain": 42.0,
            "average_heartrate": heart_rate,
            "max_heartrate": None if heart_rate is None else heart_rate + 20,
            "trainer": False,
            "race": False,
            "source": "GARMIN_CONNECT",
            **overrides,
        }
        self.activities.append(activity)
        if with_streams and heart_rate is not None:
            samples = int(moving_s // STREAM_STEP_S) + 1
            speed = distance_m / moving_s
            self.streams[activity_id] = [
                {"type": "time", "name": None, "data": [i * STREAM_STEP_S for i in range(samples)]},
                {
                    "type": "heartrate",
                    "name": None,
                    "data": [heart_rate - 10 + (i * 20) // samples for i in range(samples)],
                },
                {
                    "type": "distance",
                    "name": None,
                    "data": [round(i * STREAM_STEP_S * speed, 1) for i in range(samples)],
                },
            ]
        return activity

    def add_strava_stub(self, start: datetime) -> dict[str, Any]:
        """Add an activity intervals.icu received from Strava: the API gives only a placeholder."""
        self._next_id += 1
        stub = {
            "id": str(16_000_000_000 + self._next_id),
            "icu_athlete_id": ATHLETE_ID,
            "start_date_local": start.strftime("%Y-%m-%dT%H:%M:%S"),
            "source": "STRAVA",
            "_note": STRAVA_NOTE,
        }
        self.activities.append(stub)
        return stub

    def add_wellness(self, day: date, **fields: Any) -> dict[str, Any]:
        """Add one day's wellness record; unmeasured fields are null as in the API."""
        record = {
            "id": day.isoformat(),
            "restingHR": None,
            "hrv": None,
            "hrvSDNN": None,
            "sleepSecs": None,
            "sleepScore": None,
            "sleepQuality": None,
            "weight": None,
            **fields,
        }
        self.wellness.append(record)
        return record

    def inject(
        self,
        path_prefix: str,
        status: int,
        body: Any = None,
        *,
        retry_after: int | str | None = None,
        raw: str | None = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` requests under `path_prefix` (after /api/v1) with a fault."""
        text = raw if raw is not None else json.dumps(body or {"status": status, "error": "fault"})
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._faults.extend(
            _Injection(path_prefix, status, text, headers, delay) for _ in range(times)
        )

    def count(self, path_part: str) -> int:
        """Count the requests whose path contains `path_part`."""
        return sum(path_part in request.path for request in self.requests)

    # ----- handlers -----------------------------------------------------------------------------

    async def _check(self, request: web.Request) -> web.Response | None:
        """Record the request; answer a fault or a refused key, or None to go on."""
        self.requests.append(
            RecordedRequest(request.path, dict(request.query), request.headers.get("Authorization"))
        )
        path = request.path.removeprefix(API_PREFIX)
        for fault in self._faults:
            if path.startswith(fault.path_prefix):
                self._faults.remove(fault)
                await asyncio.sleep(fault.delay)
                return web.Response(
                    status=fault.status,
                    text=fault.body,
                    headers=fault.headers,
                    content_type="application/json",
                )
        try:
            auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            auth = None
        if auth is None or auth.login != "API_KEY" or auth.password != self.api_key:
            return web.json_response({"status": 401, "error": "Unauthorized"}, status=401)
        athlete = request.match_info.get("id")
        if "/athlete/" in path and athlete not in (ATHLETE_ID, "0"):
            return web.json_response({"status": 403, "error": "Access denied"}, status=403)
        return None

    async def _athlete(self, request: web.Request) -> web.Response:
        # A response is a mapping, and an empty one is falsy: compare with None.
        if (refused := await self._check(request)) is not None:
            return refused
        return web.json_response(self.athlete)

    @staticmethod
    def _range(request: web.Request) -> tuple[date, date]:
        oldest = date.fromisoformat(request.query["oldest"])
        newest = date.fromisoformat(request.query.get("newest", date.max.isoformat()))
        return oldest, newest

    async def _activities(self, request: web.Request) -> web.Response:
        if (refused := await self._check(request)) is not None:
            return refused
        oldest, newest = self._range(request)
        chosen = [
            activity
            for activity in self.activities
            if oldest <= date.fromisoformat(activity["start_date_local"][:10]) <= newest
        ]
        chosen.sort(key=lambda activity: activity["start_date_local"], reverse=True)
        return web.json_response(chosen)

    async def _wellness(self, request: web.Request) -> web.Response:
        if (refused := await self._check(request)) is not None:
            return refused
        oldest, newest = self._range(request)
        return web.json_response(
            [r for r in self.wellness if oldest <= date.fromisoformat(r["id"]) <= newest]
        )

    async def _streams(self, request: web.Request) -> web.Response:
        if (refused := await self._check(request)) is not None:
            return refused
        activity_id = request.match_info["id"]
        activity = next((a for a in self.activities if a["id"] == activity_id), None)
        if activity is None:
            return web.json_response(
                {"status": 404, "error": "Not Found", "path": request.path}, status=404
            )
        if activity.get("source") == "STRAVA":
            return web.json_response(
                {"status": 422, "error": "Cannot read Strava activities via the API"}, status=422
            )
        wanted = set(request.query.get("types", "").split(",")) - {""}
        streams = self.streams.get(activity_id, [])
        return web.json_response([s for s in streams if not wanted or s["type"] in wanted])


@pytest.fixture
async def fake_intervals(socket_enabled: None) -> AsyncGenerator[FakeIntervals]:
    """Start a fake intervals.icu on loopback; close it after the test."""
    async with FakeIntervals() as fake:
        yield fake
