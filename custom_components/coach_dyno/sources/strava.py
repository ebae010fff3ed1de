"""Async Strava API v3 client over Home Assistant's aiohttp session, with its errors mapped once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial
import json
from typing import TYPE_CHECKING, Any, Final, Protocol

import aiohttp

from custom_components.coach_dyno.const import LOGGER, STRAVA_API_BASE
from custom_components.coach_dyno.training import bounds
from custom_components.coach_dyno.training.streams import summarize_streams

from .ratelimit import RateGovernor

if TYPE_CHECKING:
    from custom_components.coach_dyno.training.activity import Activity, Streams

STREAM_KEYS: Final = "time,heartrate,distance,altitude"
MAX_PER_PAGE: Final = 200
DEFAULT_TIMEOUT_S: Final = 20.0
ATHLETE_FIELDS: Final = ("id", "firstname", "lastname", "sex", "measurement_preference")


class StravaError(Exception):
    """Base of every error the Strava client raises; messages never carry tokens or secrets."""


class StravaAuthError(StravaError):
    """The access token was refused (401/403) or could not be refreshed: the user must reauthorize."""


class StravaInactiveError(StravaError):
    """Strava answered 403 "Application inactive": the app owner needs a Strava subscription."""

    def __init__(self) -> None:
        """Say what the reply means; it is the same wherever Strava sends it."""
        super().__init__(
            "Strava answered 'Application inactive': the app owner needs a Strava subscription"
        )


class StravaRateLimitError(StravaError):
    """Strava's rate limit is reached (429) or the governor kept the request back."""

    def __init__(self, resume_at: datetime) -> None:
        """Remember when requests may resume."""
        super().__init__(f"Strava rate limit reached, requests resume at {resume_at.isoformat()}")
        self.resume_at = resume_at


class StravaConnectionError(StravaError):
    """Strava could not be reached: timeout, connection error or a 5xx reply."""


class StravaResponseError(StravaError):
    """Strava answered something unexpected: malformed JSON, a wrong shape or a refused request."""


class StravaNotFoundError(StravaError):
    """The requested object does not exist (404): deleted, private or never there."""


class Executor(Protocol):
    """Runs a blocking callable off the event loop (hass.async_add_executor_job fits)."""

    def __call__[T](self, func: Callable[[], T], /) -> Awaitable[T]:
        """Run `func` in a worker thread and return its result."""


TokenProvider = Callable[[], Awaitable[str]]


def _error_codes(body: bytes) -> list[tuple[str, str, str]]:
    """Return Strava's (resource, field, code) error triples from an error body, if any."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list):
        return []
    return [
        (str(err.get("resource", "")), str(err.get("field", "")), str(err.get("code", "")))
        for err in errors
        if isinstance(err, dict)
    ]


def is_app_inactive(status: int, body: bytes) -> bool:
    """
    Whether a reply is Strava's "Application inactive" (its subscription requirement since 2026-06-30).

    Read from the structured error, wherever it sits in the list and however it is cased, never from
    the message: `{"message":"Forbidden","errors":[{"resource":"Application","field":"Status",
    "code":"Inactive"}]}` from the API and the token endpoint alike.
    """
    return status == 403 and any(
        resource.strip().casefold() == "application" and code.strip().casefold() == "inactive"
        for resource, _, code in _error_codes(body)
    )


def _parse_activities(items: list[Any]) -> list[Activity]:
    """Convert a page of activity JSON (runs in the executor)."""
    # Imported here: convert depends on this module's errors, and on first use it loads stravalib's
    # models, which takes long enough that it must happen in the executor, never on the event loop.
    from .convert import activity_from_strava  # noqa: PLC0415

    return [activity_from_strava(item) for item in items]


def _parse_activity(data: Any) -> Activity:
    """Convert one activity's JSON (runs in the executor), refusing one outside the plausible ranges."""
    from .convert import activity_from_strava  # noqa: PLC0415

    activity = activity_from_strava(data)
    # A page keeps such activities for its paging (the harvest skips them); a single one is refused.
    if (reason := bounds.problem(activity)) is not None:
        raise StravaResponseError(f"Strava activity {activity.id} is implausible: {reason}")
    return activity


def _parse_streams(data: Any) -> Streams | None:
    """Convert a streams reply (runs in the executor)."""
    from .convert import streams_from_strava  # noqa: PLC0415

    return streams_from_strava(data)


class StravaClient:
    """Async client for the Strava API v3: the token travels only in the Authorization header."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token_provider: TokenProvider,
        *,
        base_url: str | None = None,
        governor: RateGovernor | None = None,
        executor: Executor | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        """Use `session` for transport and `token_provider` for a valid access token per request."""
        self._session = session
        self._token_provider = token_provider
        # Looked up at call time, so tests can point every client at a fake server.
        self._base_url = (base_url or STRAVA_API_BASE).rstrip("/")
        self.governor = governor if governor is not None else RateGovernor()
        self._executor: Executor = executor if executor is not None else asyncio.to_thread
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self.calls = 0

    async def _access_token(self) -> str:
        """Return a valid access token, mapping refresh failures to our errors."""
        try:
            token = await self._token_provider()
        except StravaError:
            raise
        except aiohttp.ClientResponseError as err:
            if err.status == 429:
                # A busy token endpoint is no reason to ask the athlete to sign in again.
                raise StravaRateLimitError(self.governor.on_rate_limited()) from None
            # Newer Home Assistant raises a connection error of this class without a status.
            if 400 <= (err.status or 0) < 500:
                raise StravaAuthError(
                    f"Strava refused to refresh the access token ({err.status})"
                ) from None
            raise StravaConnectionError(
                f"Strava failed to refresh the access token ({err.status})"
            ) from None
        except (aiohttp.ClientError, TimeoutError) as err:
            raise StravaConnectionError(
                f"Cannot reach Strava to refresh the access token ({type(err).__name__})"
            ) from None
        if not token:
            raise StravaAuthError("No Strava access token available")
        return token

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        bearer: bool = True,
    ) -> Any:
        """Send one request and return its decoded JSON (None for an empty reply)."""
        resume_at = self.governor.blocked_until()
        if resume_at is not None:
            raise StravaRateLimitError(resume_at)
        headers = {"Accept": "application/json"}
        if bearer:
            headers["Authorization"] = f"Bearer {await self._access_token()}"
        self.calls += 1
        self.governor.note_request()
        LOGGER.debug("Strava %s %s", method, path)
        # Exceptions are raised `from None`: push-subscription URLs carry the client secret and an
        # aiohttp error could repeat the URL; the class name is enough to tell what happened.
        try:
            async with self._session.request(
                method,
                self._base_url + path,
                params=params,
                data=data,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as resp:
                self.governor.update(resp.headers)
                status = resp.status
                body = await resp.read()
        except TimeoutError:
            raise StravaConnectionError(f"Strava did not answer {method} {path} in time") from None
        except aiohttp.ClientError as err:
            raise StravaConnectionError(
                f"Cannot reach Strava for {method} {path} ({type(err).__name__})"
            ) from None
        self._raise_for_status(method, path, status, body)
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except ValueError:
            raise StravaResponseError(f"Strava sent malformed JSON for {method} {path}") from None

    def _raise_for_status(self, method: str, path: str, status: int, body: bytes) -> None:
        """Map an unsuccessful HTTP status to the matching error."""
        if status < 300:
            return
        if status == 429:
            raise StravaRateLimitError(self.governor.on_rate_limited())
        if status == 401:
            raise StravaAuthError(f"Strava refused the access token for {method} {path} (401)")
        if is_app_inactive(status, body):
            raise StravaInactiveError
        if status == 403:
            raise StravaAuthError(f"Strava denied {method} {path} (403)")
        if status == 404:
            raise StravaNotFoundError(f"Strava has no {path}")
        if status >= 500:
            raise StravaConnectionError(f"Strava answered {status} for {method} {path}")
        details = "; ".join(" ".join(filter(None, triple)) for triple in _error_codes(body))
        raise StravaResponseError(
            f"Strava rejected {method} {path} ({status}{': ' + details if details else ''})"
        )

    async def get_athlete(self) -> dict[str, Any]:
        """Return the authenticated athlete: id, firstname, lastname, sex, measurement_preference."""
        data = await self._request("GET", "/athlete")
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("id"), int)
            or isinstance(data["id"], bool)
        ):
            raise StravaResponseError("Strava sent an athlete without an id")
        return {key: data.get(key) for key in ATHLETE_FIELDS}

    async def list_activities(
        self,
        *,
        after: int | None = None,
        before: int | None = None,
        page: int = 1,
        per_page: int = MAX_PER_PAGE,
    ) -> list[Activity]:
        """Return one page of the athlete's activities (newest first; ascending when only `after`)."""
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"page must be >= 1 and per_page in 1..{MAX_PER_PAGE}")
        params = {"page": str(page), "per_page": str(per_page)}
        if after is not None:
            params["after"] = str(after)
        if before is not None:
            params["before"] = str(before)
        data = await self._request("GET", "/athlete/activities", params=params)
        if not isinstance(data, list):
            raise StravaResponseError("Strava sent an activity list that is not a list")
        return await self._executor(partial(_parse_activities, data))

    async def get_activity(self, activity_id: int) -> Activity:
        """Return one activity in detail."""
        data = await self._request("GET", f"/activities/{int(activity_id)}")
        return await self._executor(partial(_parse_activity, data))

    async def get_streams(self, activity_id: int) -> Streams | None:
        """Return time, heart rate, distance and altitude streams; None when the activity has none."""
        try:
            data = await self._request(
                "GET",
                f"/activities/{int(activity_id)}/streams",
                params={"keys": STREAM_KEYS, "key_by_type": "true"},
            )
        except StravaNotFoundError:
            # Manual activities have no streams.
            return None
        return await self._executor(partial(_parse_streams, data))

    async def async_with_stream_summary(self, activity: Activity) -> Activity:
        """Return `activity` with the summary of its streams; unchanged when Strava has none."""
        streams = await self.get_streams(activity.id)
        if streams is None:
            return activity
        summary = await self._executor(partial(summarize_streams, streams))
        return replace(activity, stream_summary=summary)

    async def create_subscription(
        self, client_id: str | int, client_secret: str, callback_url: str, verify_token: str
    ) -> int:
        """Create the app's push subscription (Strava validates the callback first); return its id."""
        data = await self._request(
            "POST",
            "/push_subscriptions",
            data={
                "client_id": str(client_id),
                "client_secret": client_secret,
                "callback_url": callback_url,
                "verify_token": verify_token,
            },
            bearer=False,
        )
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise StravaResponseError("Strava sent a push subscription without an id")
        return int(data["id"])

    async def list_subscriptions(
        self, client_id: str | int, client_secret: str
    ) -> list[dict[str, Any]]:
        """Return the app's push subscriptions (at most one)."""
        data = await self._request(
            "GET",
            "/push_subscriptions",
            params={"client_id": str(client_id), "client_secret": client_secret},
            bearer=False,
        )
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise StravaResponseError("Strava sent a push subscription list that is not a list")
        return data

    async def delete_subscription(
        self, subscription_id: int, client_id: str | int, client_secret: str
    ) -> None:
        """Delete the app's push subscription."""
        await self._request(
            "DELETE",
            f"/push_subscriptions/{int(subscription_id)}",
            params={"client_id": str(client_id), "client_secret": client_secret},
            bearer=False,
        )
