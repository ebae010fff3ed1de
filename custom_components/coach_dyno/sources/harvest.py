"""
Harvest a Strava history: a resumable newest-first backfill, then cheap incremental syncs.

Free of Home Assistant: it works over the client and a small state that the caller persists together
with every page, so a restart mid-backfill resumes from its cursor and nothing fetched is lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
import json
from typing import Any, Final, Protocol, Self
import zlib

from custom_components.coach_dyno.const import LOGGER
from custom_components.coach_dyno.training import bounds
from custom_components.coach_dyno.training.activity import Activity

from .ratelimit import RateGovernor
from .strava import (
    MAX_PER_PAGE,
    StravaConnectionError,
    StravaRateLimitError,
    StravaResponseError,
)

# Incremental syncs ask for everything that started up to this long before the newest known start.
# Strava filters `after` on the start time, not the upload time, so an activity uploaded late (a watch
# that syncs the next morning, a second device, a manual entry) starts before activities we already
# have. Two days cover an overnight sync plus time-zone slack; it still costs a single call (a runner
# logs a handful of activities in two days, far below a 200-item page), and fingerprints of those
# activities keep unchanged ones from being reported or written again.
SAFETY_MARGIN_S: Final = 2 * 24 * 3600


class ActivityLister(Protocol):
    """What the harvest needs from the Strava client."""

    @property
    def calls(self) -> int:
        """Return how many requests the client has sent."""

    async def list_activities(
        self,
        *,
        after: int | None = None,
        before: int | None = None,
        page: int = 1,
        per_page: int = MAX_PER_PAGE,
    ) -> list[Activity]:
        """Return one page of activities."""


class StreamReader(Protocol):
    """What fetching streams needs from the Strava client."""

    async def async_with_stream_summary(self, activity: Activity) -> Activity:
        """Return the activity with its stream summary (unchanged when it has no streams)."""


def fingerprint(activity: Activity) -> int:
    """Return a stable checksum of what is persisted of an activity."""
    return zlib.crc32(json.dumps(activity.as_dict(), sort_keys=True).encode())


def _epoch(activity: Activity) -> int:
    """Return an activity's start in epoch seconds."""
    return int(activity.start.timestamp())


def _plausible(page: list[Activity]) -> list[Activity]:
    """
    Return the page without activities outside the plausible ranges; they are never stored.

    The page itself still drives the paging (its length ends a walk, its oldest start is the next
    cursor), but no cursor is ever advanced to a damaged start such as the year 9999.
    """
    kept, refused = bounds.split(page)
    for activity, reason in refused:
        LOGGER.warning("Skipped Strava activity %s: %s", activity.id, reason)
    return kept


@dataclass(slots=True)
class HarvestState:
    """Where the harvest stands; persisted with every page it fetches."""

    newest_start: int | None = None  # epoch s of the newest activity seen
    backfill_before: int | None = None  # the next backfill page asks for activities before this
    backfill_done: bool = False
    # id -> (start, fingerprint) of the activities inside the safety margin, to tell a changed
    # activity from one merely read again
    recent: dict[int, tuple[int, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict."""
        return {
            "newest_start": self.newest_start,
            "backfill_before": self.backfill_before,
            "backfill_done": self.backfill_done,
            "recent": [[key, start, check] for key, (start, check) in self.recent.items()],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Self:
        """Rebuild the state from `as_dict` output (missing keys mean a fresh harvest)."""
        if not data:
            return cls()
        newest = data.get("newest_start")
        before = data.get("backfill_before")
        return cls(
            newest_start=None if newest is None else int(newest),
            backfill_before=None if before is None else int(before),
            backfill_done=bool(data.get("backfill_done", False)),
            recent={
                int(k): (int(start), int(check)) for k, start, check in data.get("recent") or ()
            },
        )

    def adopt(self, other: HarvestState) -> None:
        """Take every field of `other` (the caller keeps holding this object)."""
        self.newest_start = other.newest_start
        self.backfill_before = other.backfill_before
        self.backfill_done = other.backfill_done
        self.recent = dict(other.recent)


@dataclass(frozen=True, slots=True)
class HarvestResult:
    """What one harvest did."""

    new_or_updated: int  # activities handed to persist: new, or changed within the safety margin
    calls: int  # Strava requests sent
    complete: bool  # False when max_calls stopped the run before the end


PersistFn = Callable[[list[Activity], HarvestState], Awaitable[None]]


class _BudgetSpentError(Exception):
    """The run used the calls it was allowed."""


class _Run:
    """One harvest run: the state it advances and the calls it spends."""

    def __init__(
        self, client: ActivityLister, state: HarvestState, persist: PersistFn, max_calls: int | None
    ) -> None:
        """Bind the run to its client, state and persistence."""
        self.client = client
        self.state = state
        self.persist = persist
        self.max_calls = max_calls
        self.first_call = client.calls
        self.handed = 0

    @property
    def calls(self) -> int:
        """Return the requests sent so far in this run."""
        return self.client.calls - self.first_call

    async def _page(
        self, *, after: int | None = None, before: int | None = None, page: int = 1
    ) -> list[Activity]:
        """Fetch one page, unless the run's call budget is spent."""
        if self.max_calls is not None and self.calls >= self.max_calls:
            raise _BudgetSpentError
        return await self.client.list_activities(
            after=after, before=before, page=page, per_page=MAX_PER_PAGE
        )

    async def _commit(self, activities: list[Activity], new_state: HarvestState) -> None:
        """Persist activities with the state they lead to, then adopt that state."""
        if new_state.newest_start is not None:
            horizon = new_state.newest_start - SAFETY_MARGIN_S
            recent = dict(new_state.recent)
            recent.update(
                (a.id, (_epoch(a), fingerprint(a))) for a in activities if _epoch(a) > horizon
            )
            new_state.recent = {k: v for k, v in recent.items() if v[0] > horizon}
        await self.persist(activities, replace(new_state, recent=dict(new_state.recent)))
        self.handed += len(activities)
        self.state.adopt(new_state)

    async def incremental(self) -> None:
        """Fetch what started after the newest known start (less the margin), oldest first."""
        newest = self.state.newest_start or 0
        after = max(0, newest - SAFETY_MARGIN_S)
        page_no = 1
        while True:
            page = await self._page(after=after, page=page_no)
            usable = _plausible(page)
            known = self.state.recent
            changed = [a for a in usable if known.get(a.id, (0, None))[1] != fingerprint(a)]
            if changed:
                new_state = replace(self.state)
                new_state.newest_start = max(newest, *(_epoch(a) for a in usable))
                await self._commit(changed, new_state)
            if len(page) < MAX_PER_PAGE:
                return
            page_no += 1

    async def backfill(self) -> None:
        """Walk the history newest first from the persisted cursor until a short page ends it."""
        reread: set[int] = set()  # ids the next page will return again (see below)
        while not self.state.backfill_done:
            cursor = self.state.backfill_before
            page = await self._page(before=cursor)
            usable = _plausible(page)
            new_state = replace(self.state)
            if usable:
                new_state.newest_start = max(
                    self.state.newest_start or 0, *(_epoch(a) for a in usable)
                )
            if len(page) < MAX_PER_PAGE:
                new_state.backfill_before = None
                new_state.backfill_done = True
            else:
                oldest = min(_epoch(a) for a in page)
                # `before` is exclusive: asking for before oldest+1 reads again the activities that
                # share the oldest start second, so one cut off by the page end is never skipped.
                next_cursor = oldest + 1
                if cursor is not None and next_cursor >= cursor:
                    # A whole page within one second: step past it rather than loop on it.
                    LOGGER.warning("Over %s Strava activities start at %s", MAX_PER_PAGE, oldest)
                    next_cursor = oldest
                new_state.backfill_before = next_cursor
            fresh = [a for a in usable if a.id not in reread]
            reread = {a.id for a in page if _epoch(a) == (new_state.backfill_before or 0) - 1}
            await self._commit(fresh, new_state)


async def harvest(
    client: ActivityLister,
    state: HarvestState,
    persist: PersistFn,
    *,
    full: bool = False,
    max_calls: int | None = None,
) -> HarvestResult:
    """
    Bring the history up to date and return what was done; `state` is updated in place.

    The first run backfills newest first, 200 a page, persisting each page with the advanced cursor
    before asking for the next, so N activities cost ceil(N/200) calls; later runs fetch only what is
    new (one call when nothing is); a paused backfill resumes from its cursor. `full` starts over. A StravaRateLimitError (or any other error)
    stops the run with everything fetched so far persisted, and propagates.
    """
    if full:
        state.adopt(HarvestState())
    run = _Run(client, state, persist, max_calls)
    try:
        if state.backfill_done:
            await run.incremental()
        else:
            # A paused backfill goes on from its cursor at no extra call: what arrived meanwhile
            # started after its first page, and the first sync after the backfill fetches it.
            await run.backfill()
    except _BudgetSpentError:
        return HarvestResult(new_or_updated=run.handed, calls=run.calls, complete=False)
    return HarvestResult(new_or_updated=run.handed, calls=run.calls, complete=True)


def streams_add_value(activity: Activity) -> bool:
    """Whether streams are worth a call: a recorded run with heart rate (they add value through HR)."""
    return activity.is_run and not activity.manual and activity.avg_hr is not None


async def fetch_streams_for(
    client: StreamReader,
    governor: RateGovernor,
    activities: Iterable[Activity],
    max_count: int,
    *,
    no_streams: set[int] | None = None,
) -> list[Activity]:
    """
    Summarise the streams of the newest `max_count` runs worth them, skipping those already done.

    Only the newest runs are looked at: once they have streams a sync costs nothing more, and older
    runs never drain the read budget one sync after another. It stops when the governor wants the
    read budget kept, or at a rate limit. Ids Strava has no streams for are added to `no_streams`
    (and skipped when it is passed again). Returns the activities that gained a stream summary.
    """
    skip = no_streams if no_streams is not None else set()
    newest = sorted(
        (a for a in activities if streams_add_value(a) and a.id not in skip),
        key=lambda a: a.start,
        reverse=True,
    )[: max(0, max_count)]
    done: list[Activity] = []
    for activity in newest:
        if activity.stream_summary is not None:
            continue
        if not governor.may_fetch_streams():
            break
        try:
            summarised = await client.async_with_stream_summary(activity)
        except (StravaRateLimitError, StravaConnectionError, StravaResponseError):
            # Streams are optional: the next sync asks again, the history is complete anyway.
            break
        if summarised.stream_summary is None:
            skip.add(activity.id)
        else:
            done.append(summarised)
    return done
