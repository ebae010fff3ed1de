"""
intervals.icu as a live source: runs (with heart-rate streams) and wellness records.

An async client on Home Assistant's aiohttp session for the public API (Basic auth, user `API_KEY`,
the athlete's key as password), and a harvest that turns its answers into the engine's Activity and
WellnessDay. Activities intervals.icu received from Strava come back as empty placeholders (Strava's
terms forbid passing them on): they are skipped and counted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
import json
import math
from typing import Any, Final

import aiohttp

from custom_components.coach_dyno.const import LOGGER
from custom_components.coach_dyno.training import bounds
from custom_components.coach_dyno.training.activity import (
    RUN_SPORT_TYPES,
    Activity,
    Streams,
)
from custom_components.coach_dyno.training.streams import summarize_streams
from custom_components.coach_dyno.training.wellness import WellnessDay

from .export import file_activity_id
from .harvest import HarvestState

INTERVALS_API_BASE: Final = "https://intervals.icu/api/v1"
API_KEY_USER: Final = "API_KEY"
DEFAULT_TIMEOUT_S: Final = 30.0
# intervals.icu allows about 10 requests a second per address (with a short burst): stay under it.
MIN_REQUEST_INTERVAL_S: Final = 0.15
# A rate limited call without Retry-After waits this long.
DEFAULT_RETRY_AFTER_S: Final = 60
# The backfill reads the history in windows of this many days, newest first, back to HISTORY_START.
BACKFILL_WINDOW_DAYS: Final = 3 * 365
HISTORY_START: Final = date(2000, 1, 1)
# Late uploads and edits: an incremental sync reads again from this long before the newest run.
INCREMENTAL_MARGIN: Final = timedelta(days=2)
# Heart-rate streams cost one call per run: only the newest few runs of a sync get them.
STREAMS_PER_SYNC: Final = 3
STREAMS_MAX_AGE: Final = timedelta(days=14)
# Wellness read on the first sync, then on every later one.
WELLNESS_FIRST_DAYS: Final = 90
WELLNESS_DAYS: Final = 7
_STREAM_TYPES: Final = "time,heartrate,distance,altitude"
_STREAM_NAMES: Final = {
    "time": "time_s",
    "heartrate": "heartrate",
    "distance": "distance_m",
    "altitude": "altitude_m",
}


class IntervalsError(Exception):
    """intervals.icu could not be read."""


class IntervalsAuthError(IntervalsError):
    """The API key was refused, or does not open this athlete."""


class IntervalsRateLimitError(IntervalsError):
    """Too many requests: try again at `resume_at`."""

    def __init__(self, resume_at: datetime) -> None:
        """Keep when the next request may go."""
        super().__init__(f"intervals.icu asks to wait until {resume_at.isoformat()}")
        self.resume_at = resume_at


class IntervalsConnectionError(IntervalsError):
    """No answer, a timeout, a server error or an unreadable answer."""


class IntervalsClient:
    """Async client for the intervals.icu API of one athlete."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        athlete_id: str,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        min_interval: float | None = None,
    ) -> None:
        """Use `session` for transport; the key only ever travels in the Authorization header."""
        self._session = session
        self.athlete_id = athlete_id
        self._auth = aiohttp.BasicAuth(API_KEY_USER, api_key)
        # Looked up at call time, so tests can point every client at a fake server.
        self._base_url = (base_url or INTERVALS_API_BASE).rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._min_interval = MIN_REQUEST_INTERVAL_S if min_interval is None else min_interval
        self._next_request = 0.0
        self.calls = 0

    async def _pace(self) -> None:
        """Wait until the next request keeps to intervals.icu's rate (the loop's clock)."""
        loop = asyncio.get_running_loop()
        if (wait := self._next_request - loop.time()) > 0:
            await asyncio.sleep(wait)
        self._next_request = loop.time() + self._min_interval

    async def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET one resource and return its decoded JSON."""
        await self._pace()
        self.calls += 1
        LOGGER.debug("intervals.icu GET %s", path)
        try:
            async with self._session.get(
                self._base_url + path,
                params=params,
                auth=self._auth,
                headers={"Accept": "application/json"},
                timeout=self._timeout,
                allow_redirects=False,
            ) as resp:
                status = resp.status
                retry_after = resp.headers.get("Retry-After")
                body = await resp.read()
        except TimeoutError:
            raise IntervalsConnectionError(f"intervals.icu did not answer {path} in time") from None
        except aiohttp.ClientError as err:
            raise IntervalsConnectionError(
                f"Cannot reach intervals.icu for {path} ({type(err).__name__})"
            ) from None
        if status == 429:
            raise IntervalsRateLimitError(_resume_at(retry_after))
        if status in (401, 403):
            raise IntervalsAuthError(f"intervals.icu refused the key for {path} ({status})")
        if status == 404 and path == self._athlete_path:
            # An athlete id the key does not know is a wrong pair of credentials.
            raise IntervalsAuthError("intervals.icu knows no such athlete")
        if status >= 300:
            raise IntervalsConnectionError(f"intervals.icu answered {status} for {path}")
        try:
            return json.loads(body)
        except ValueError:
            raise IntervalsConnectionError(
                f"intervals.icu sent malformed JSON for {path}"
            ) from None

    @property
    def _athlete_path(self) -> str:
        return f"/athlete/{self.athlete_id}"

    async def get_athlete(self) -> dict[str, Any]:
        """Return the athlete the key opens: id and name."""
        data = await self._get(self._athlete_path)
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise IntervalsConnectionError("intervals.icu sent an athlete without an id")
        return data

    async def list_activities(self, oldest: date, newest: date) -> list[dict[str, Any]]:
        """Return the activities that started on `oldest` to `newest` (local dates), newest first."""
        data = await self._get(
            f"{self._athlete_path}/activities",
            {"oldest": oldest.isoformat(), "newest": newest.isoformat()},
        )
        return _list_of_objects(data, "activities")

    async def get_streams(self, activity_id: str) -> Streams | None:
        """Return an activity's time, heart-rate, distance and altitude streams (None without)."""
        data = await self._get(f"/activity/{activity_id}/streams", {"types": _STREAM_TYPES})
        return streams_from_intervals(_list_of_objects(data, "streams"))

    async def list_wellness(self, oldest: date, newest: date) -> list[dict[str, Any]]:
        """Return the wellness records of `oldest` to `newest`, one per day."""
        data = await self._get(
            f"{self._athlete_path}/wellness",
            {"oldest": oldest.isoformat(), "newest": newest.isoformat()},
        )
        return _list_of_objects(data, "wellness")


def _resume_at(retry_after: str | None) -> datetime:
    """Turn a Retry-After header (seconds) into a moment; a missing or odd one waits a minute."""
    try:
        seconds = max(1, int(retry_after or DEFAULT_RETRY_AFTER_S))
    except ValueError:
        seconds = DEFAULT_RETRY_AFTER_S
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _list_of_objects(data: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(data, list):
        raise IntervalsConnectionError(f"intervals.icu sent {what} that are not a list")
    return [item for item in data if isinstance(item, dict)]


# ---------------------------------------------------------------------------------------------------
# From intervals.icu's shapes to the engine's


def is_strava_placeholder(item: Mapping[str, Any]) -> bool:
    """Whether an activity is one intervals.icu got from Strava and may not pass on (no data)."""
    return str(item.get("source", "")).upper() == "STRAVA" and item.get("type") is None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def activity_from_intervals(item: Mapping[str, Any]) -> Activity | None:
    """Return a run as the engine knows it; None for other sports or an unusable record."""
    sport_type = item.get("type")
    if sport_type not in RUN_SPORT_TYPES:
        return None
    try:
        start = datetime.fromisoformat(str(item["start_date"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    moving = _number(item.get("moving_time")) or 0.0
    try:
        return bounds.check(
            Activity(
                # The start-based id of a file: the same run from its own file is the same record.
                id=file_activity_id(start),
                start=start,
                sport_type=str(sport_type),
                name=str(item.get("name") or ""),
                distance_m=_number(item.get("distance")) or 0.0,
                moving_s=moving,
                elapsed_s=_number(item.get("elapsed_time")) or moving,
                elevation_gain_m=_number(item.get("total_elevation_gain")) or 0.0,
                avg_hr=_number(item.get("average_heartrate")),
                max_hr=_number(item.get("max_heartrate")),
                trainer=bool(item.get("trainer")),
                race=bool(item.get("race")),
            )
        )
    except ValueError as err:
        LOGGER.debug("Skipped intervals.icu activity %s: %s", item.get("id"), err)
        return None


def streams_from_intervals(items: list[dict[str, Any]]) -> Streams | None:
    """Turn a streams answer (a list of {type, data}) into aligned Streams; None without time."""
    series: dict[str, tuple[float, ...]] = {}
    for item in items:
        name = _STREAM_NAMES.get(str(item.get("type")))
        data = item.get("data")
        if name is None or not isinstance(data, list):
            continue
        values = tuple(_number(value) for value in data)
        if values and all(value is not None for value in values):
            series[name] = tuple(float(value) for value in values if value is not None)
    time_s = series.get("time_s")
    if not time_s:
        return None
    # A stream of another length cannot be aligned with time: it is left out.
    aligned = {key: values for key, values in series.items() if len(values) == len(time_s)}
    return Streams(
        time_s=time_s,
        heartrate=aligned.get("heartrate"),
        distance_m=aligned.get("distance_m"),
        altitude_m=aligned.get("altitude_m"),
    )


def wellness_from_intervals(item: Mapping[str, Any]) -> WellnessDay | None:
    """Return one day's wellness record (the record's id is its date); None without a date."""
    try:
        day = date.fromisoformat(str(item.get("id")))
    except ValueError:
        return None
    return WellnessDay(
        day=day,
        resting_hr=_number(item.get("restingHR")),
        hrv_rmssd=_number(item.get("hrv")),
        sleep_seconds=_number(item.get("sleepSecs")),
        sleep_score=_number(item.get("sleepScore")),
    )


# ---------------------------------------------------------------------------------------------------
# The harvest


type Executor = Callable[[Callable[[], Any]], Awaitable[Any]]
type PersistFn = Callable[[list[Activity], HarvestState], Awaitable[None]]


@dataclass(slots=True)
class IntervalsResult:
    """What one intervals.icu sync brought."""

    new_or_updated: int = 0
    strava_placeholders: int = 0
    wellness: list[WellnessDay] = field(default_factory=list)


async def harvest_intervals(
    client: IntervalsClient,
    state: HarvestState,
    persist: PersistFn,
    *,
    today: date,
    known: Mapping[int, Activity],
    executor: Executor,
) -> IntervalsResult:
    """
    Backfill (newest window first, resumable) or sync what is new, then read recent wellness.

    Every window is persisted with the cursor it leads to, so a fault or a restart resumes where
    it stopped. New runs of the last two weeks with heart rate get their streams (a few per sync).
    """
    result = IntervalsResult()
    first_sync = state.newest_start is None and not state.backfill_done
    if state.backfill_done:
        newest = datetime.fromtimestamp(state.newest_start or 0, UTC) - INCREMENTAL_MARGIN
        windows = [(max(HISTORY_START, newest.date()), today + timedelta(days=1))]
    else:
        end = (
            datetime.fromtimestamp(state.backfill_before, UTC).date()
            if state.backfill_before is not None
            else today + timedelta(days=1)
        )
        windows = []
        while end > HISTORY_START:
            start = max(HISTORY_START, end - timedelta(days=BACKFILL_WINDOW_DAYS))
            windows.append((start, end))
            end = start - timedelta(days=1)
    streams_left = STREAMS_PER_SYNC
    for oldest, newest_day in windows:
        items = await client.list_activities(oldest, newest_day)
        runs: list[Activity] = []
        for item in items:
            if is_strava_placeholder(item):
                result.strava_placeholders += 1
                continue
            activity = activity_from_intervals(item)
            if activity is None:
                continue
            if streams_left and _wants_streams(activity, known, today):
                streams_left -= 1
                activity = await _with_streams(client, str(item.get("id")), activity, executor)
            runs.append(activity)
        newest_seen = max((int(a.start.timestamp()) for a in runs), default=None)
        new_state = HarvestState(
            newest_start=max(filter(None, (state.newest_start, newest_seen)), default=None),
            backfill_before=state.backfill_before,
            backfill_done=state.backfill_done,
        )
        if not state.backfill_done:
            before = oldest - timedelta(days=1)
            new_state.backfill_before = int(
                datetime.combine(before, datetime.min.time(), UTC).timestamp()
            )
            new_state.backfill_done = oldest <= HISTORY_START
        await persist(runs, new_state)
        state.adopt(new_state)
        result.new_or_updated += len(runs)
    wellness_days = WELLNESS_FIRST_DAYS if first_sync else WELLNESS_DAYS
    records = await client.list_wellness(today - timedelta(days=wellness_days), today)
    result.wellness = sorted(
        filter(None, (wellness_from_intervals(item) for item in records)), key=lambda d: d.day
    )
    return result


def _wants_streams(activity: Activity, known: Mapping[int, Activity], today: date) -> bool:
    """Tell whether a run is recent, has heart rate, and has no streams stored yet."""
    stored = known.get(activity.id)
    return (
        activity.avg_hr is not None
        and (stored is None or stored.stream_summary is None)
        and activity.start.date() >= today - STREAMS_MAX_AGE
    )


async def _with_streams(
    client: IntervalsClient, intervals_id: str, activity: Activity, executor: Executor
) -> Activity:
    """Return the run with its stream summary; streams are optional, so a fault leaves it out."""
    try:
        streams = await client.get_streams(intervals_id)
    except IntervalsConnectionError as err:
        LOGGER.debug("No intervals.icu streams for a run (%s)", err)
        return activity
    if streams is None or streams.heartrate is None:
        return activity
    summary = await executor(partial(summarize_streams, streams))
    return replace(activity, stream_summary=summary)
