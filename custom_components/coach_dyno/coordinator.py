"""The coordinator: stored history -> training engine -> one immutable snapshot for everyone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from . import home, repairs
from .const import (
    CONF_CALENDAR,
    CONF_GOAL_TIME,
    CONF_HR_MAX,
    CONF_HR_REST,
    CONF_HRV,
    CONF_LTHR,
    CONF_RACE_DATE,
    CONF_RACE_DISTANCE_KM,
    CONF_RACE_NAME,
    CONF_RESTING_HR,
    CONF_SEX,
    CONF_SLEEP_DURATION,
    CONF_SLEEP_SCORE,
    CONF_WEATHER,
    DEFAULT_HR_MAX,
    DEFAULT_HR_REST,
    DOMAIN,
    EVENT_ACTIVITY,
    LOGGER,
)
from .sources.harvest import HarvestState, fetch_streams_for, harvest, streams_add_value
from .sources.intervals import (
    IntervalsAuthError,
    IntervalsClient,
    IntervalsError,
    IntervalsRateLimitError,
    harvest_intervals,
)
from .sources.strava import (
    StravaAuthError,
    StravaClient,
    StravaError,
    StravaInactiveError,
    StravaRateLimitError,
)
from .store import ActivityStore, WellnessStore
from .training import (
    Activity,
    AthleteProfile,
    GoalRace,
    Sex,
    TrainingSnapshot,
    activity_trimp,
    compute_snapshot,
    similar_runs,
)
from .training.conditions import Conditions, Heat, usual_run_time
from .training.plan import PLAN_DAYS
from .training.readiness import assess_readiness, median_resting_hr
from .training.wellness import WellnessDay, merged

if TYPE_CHECKING:
    from .coach import Coach
    from .sources.push import PushManager
    from .sources.watch import FolderWatcher

# Polling is the safety net behind push; it slows down while push is known to work.
POLL_INTERVAL = timedelta(hours=1)
POLL_INTERVAL_WITH_PUSH = timedelta(hours=6)
# Streams cost one call each, so only the newest runs get them, a few per sync.
STREAMS_PER_SYNC = 3
STREAMS_MAX_AGE = timedelta(days=14)
# A backfill stopped by a fault tries again within minutes, not at the next poll (hours with push):
# one page per try, waiting twice as long after every failure, up to half an hour.
BACKFILL_RETRY_FIRST = timedelta(minutes=1)
BACKFILL_RETRY_MAX = timedelta(minutes=30)
# The forecast and the calendar are asked at most this often.
HOME_REFRESH = timedelta(minutes=30)
WELLNESS_ENTITIES = (CONF_RESTING_HR, CONF_HRV, CONF_SLEEP_DURATION, CONF_SLEEP_SCORE)

type CoachDynoConfigEntry = ConfigEntry[CoachDynoData]
type ChangeKind = Literal["created", "updated", "deleted"]


@dataclass(slots=True)
class CoachDynoData:
    """Everything a loaded entry owns at run time."""

    coordinator: CoachCoordinator
    coach: Coach
    # The options in force, so an entry update that leaves them alone (a refreshed token) is cheap.
    options: dict[str, Any] = field(default_factory=dict)
    push: PushManager | None = None
    watcher: FolderWatcher | None = None
    # The platforms set up, so unloading matches (the agent exists only where Assist is loaded).
    platforms: list[Platform] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CoachData:
    """What entities, actions and intents read: the snapshot plus the health of the sync."""

    snapshot: TrainingSnapshot
    profile: AthleteProfile
    last_sync: datetime | None
    sync_error: str | None


def snapshot_status(snapshot: TrainingSnapshot) -> dict[str, Any]:
    """Return the snapshot as JSON-safe data without its per-day series and its runs."""
    status = snapshot.as_dict()
    del status["load"]["daily"], status["latest_run"], status["recent_runs"], status["recent"]
    return status


def started_since(history: Mapping[int, Activity], cutoff: datetime) -> list[Activity]:
    """Return the activities that started at `cutoff` or later (the store replaces, never edits, its map)."""
    return [activity for activity in history.values() if activity.start >= cutoff]


def profile_from_options(options: Mapping[str, Any], time_zone: str) -> AthleteProfile:
    """Build the athlete profile from the entry's options."""
    goal = None
    if options.get(CONF_RACE_DATE) and options.get(CONF_RACE_DISTANCE_KM):
        goal_time = options.get(CONF_GOAL_TIME)
        goal = GoalRace(
            race_date=date.fromisoformat(options[CONF_RACE_DATE]),
            distance_m=float(options[CONF_RACE_DISTANCE_KM]) * 1000,
            goal_time_s=float(goal_time) if goal_time else None,
            name=options.get(CONF_RACE_NAME, ""),
        )
    return AthleteProfile(
        hr_rest=float(options.get(CONF_HR_REST, DEFAULT_HR_REST)),
        hr_max=float(options.get(CONF_HR_MAX, DEFAULT_HR_MAX)),
        sex=Sex(options.get(CONF_SEX, Sex.MALE)),
        lthr=float(options[CONF_LTHR]) if options.get(CONF_LTHR) else None,
        time_zone=time_zone,
        goal=goal,
    )


class _Kept[Q, A]:
    """The forecast's or the calendar's last answer, kept for `HOME_REFRESH` per question."""

    def __init__(self) -> None:
        self._kept: tuple[datetime, Q, A] | None = None

    async def answer(self, question: Q, ask: Callable[[], Awaitable[A]]) -> A:
        """Return the kept answer to `question`, or ask again when it is older or another one."""
        now = dt_util.utcnow()
        kept = self._kept
        if kept is not None and kept[1] == question and now - kept[0] < HOME_REFRESH:
            return kept[2]
        answer = await ask()
        self._kept = (now, question, answer)
        return answer


class CoachCoordinator(DataUpdateCoordinator[CoachData]):
    """Keeps the stored history current and derives the training snapshot from it."""

    config_entry: CoachDynoConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CoachDynoConfigEntry,
        store: ActivityStore,
        client: StravaClient | None,
        wellness: WellnessStore,
        *,
        intervals: IntervalsClient | None = None,
    ) -> None:
        """Bind the coordinator to its entry, stores and API client (Strava or intervals.icu)."""
        super().__init__(
            hass,
            LOGGER,
            name=DOMAIN,
            config_entry=entry,
            update_interval=POLL_INTERVAL,
        )
        self.store = store
        self.client = client
        self.intervals = intervals
        # Activities intervals.icu got from Strava and may not pass on, in its last answer.
        self.strava_placeholders = 0
        self.last_sync: datetime | None = None
        self.sync_error: str | None = None
        self._resume_unsub: CALLBACK_TYPE | None = None
        self._backfill_retry = BACKFILL_RETRY_FIRST
        # Runs Strava has no streams for: asked once, not on every sync.
        self._no_streams: set[int] = set()
        self.wellness = wellness
        self._heat: _Kept[tuple[str, datetime], Heat | None] = _Kept()
        self._busy: _Kept[tuple[str, date], frozenset[date]] = _Kept()

    @property
    def profile(self) -> AthleteProfile:
        """Return the athlete profile as the options describe it now."""
        return profile_from_options(self.config_entry.options, self.hass.config.time_zone)

    async def _async_update_data(self) -> CoachData:
        """Sync from Strava (if connected), then derive the snapshot from what is stored."""
        if self.client is not None:
            await self._async_sync(self.client, full=False)
        elif self.intervals is not None:
            await self._async_sync_intervals(self.intervals)
        return await self._async_compute()

    def _inputs(self) -> tuple[tuple[Activity, ...], AthleteProfile, date]:
        """Freeze what a snapshot is computed from: the history, the profile and today."""
        profile = self.profile
        today = dt_util.now(dt_util.get_time_zone(profile.time_zone)).date()
        return tuple(self.store.activities.values()), profile, today

    def _data(self, snapshot: TrainingSnapshot, profile: AthleteProfile) -> CoachData:
        return CoachData(
            snapshot=snapshot,
            profile=profile,
            last_sync=self.last_sync,
            sync_error=self.sync_error,
        )

    async def _async_compute(self) -> CoachData:
        """
        Derive a snapshot in the executor.

        The first one after a start or a new profile weighs every heart-rate histogram again: tens
        of milliseconds for a long history, too long for the event loop.
        """
        # A new day (or a start) records the sensors even when no reading changed overnight.
        self._record_wellness()
        activities, profile, today = self._inputs()
        snapshot = await self.hass.async_add_executor_job(
            compute_snapshot, activities, profile, today
        )
        snapshot = replace(snapshot, conditions=await self._async_conditions(snapshot))
        return self._data(snapshot, profile)

    async def async_recompute(self) -> None:
        """Publish a new snapshot (the history, the options or the day changed), off the event loop."""
        self.async_set_updated_data(await self._async_compute())

    # --- the home: wellness, weather, calendar ------------------------------------------------

    @callback
    def async_watch_home(self) -> CALLBACK_TYPE:
        """Record wellness sensors as they change and refresh forecast and calendar; return the stop."""
        options = self.config_entry.options
        unsubs: list[CALLBACK_TYPE] = []
        entities = [options[key] for key in WELLNESS_ENTITIES if options.get(key)]
        if entities:

            async def _changed(_event: Event[EventStateChangedData]) -> None:
                if self._record_wellness():
                    await self.async_refresh_conditions()

            unsubs.append(async_track_state_change_event(self.hass, entities, _changed))
        if options.get(CONF_WEATHER) or options.get(CONF_CALENDAR):

            async def _tick(_now: datetime) -> None:
                await self.async_refresh_conditions()

            unsubs.append(async_track_time_interval(self.hass, _tick, HOME_REFRESH))

        @callback
        def _stop() -> None:
            for unsub in unsubs:
                unsub()

        return _stop

    def _today(self) -> date:
        """Return today in the athlete's time zone."""
        return dt_util.now(dt_util.get_time_zone(self.profile.time_zone)).date()

    @callback
    def _record_wellness(self) -> int:
        """Record today's readings of the wellness sensors; return how many days changed."""
        reading = home.wellness_reading(self.hass, self.config_entry.options, self._today())
        return self._merge_wellness((reading,))

    @callback
    def _merge_wellness(self, days: Iterable[WellnessDay]) -> int:
        """Merge wellness days into the store, keep the resting HR current; return days changed."""
        today = self._today()
        self.wellness.days, changed = merged(self.wellness.days, days, today)
        if changed:
            self.wellness.schedule_save()
            self._follow_resting_hr(today)
        return changed

    async def async_add_wellness(self, days: Iterable[WellnessDay]) -> int:
        """Take wellness days from any source; return how many days changed."""
        changed = self._merge_wellness(days)
        if changed:
            await self.async_refresh_conditions()
        return changed

    @callback
    def _follow_resting_hr(self, today: date) -> None:
        """Keep the profile's resting HR at the median of the last 7 recorded days."""
        median = median_resting_hr(self.wellness.days.values(), today)
        options = self.config_entry.options
        current = options.get(CONF_HR_REST, DEFAULT_HR_REST)
        if median is None or round(median) == current:
            return
        new = round(median)
        ceiling = options.get(CONF_LTHR) or options.get(CONF_HR_MAX, DEFAULT_HR_MAX)
        if new >= ceiling:
            return
        LOGGER.info(
            "Resting heart rate follows the wellness readings: %s bpm (was %s), "
            "the median of the last 7 days",
            new,
            current,
        )
        self.hass.config_entries.async_update_entry(
            self.config_entry, options={**options, CONF_HR_REST: new}
        )

    async def _async_conditions(self, snapshot: TrainingSnapshot) -> Conditions:
        """Return what the home says about today and the week, the forecast and calendar cached."""
        options = self.config_entry.options
        today = snapshot.today
        heat = None
        if (weather := options.get(CONF_WEATHER)) and not home.runner_away(self.hass, options):
            zone = dt_util.get_time_zone(self.profile.time_zone)
            usual = usual_run_time(run.start for run in snapshot.recent_runs)
            at = datetime.combine(today, usual, tzinfo=zone)
            heat = await self._heat.answer(
                (weather, at), lambda: home.async_heat(self.hass, weather, at)
            )
        busy: frozenset[date] = frozenset()
        if calendar := options.get(CONF_CALENDAR):
            busy = await self._busy.answer(
                (calendar, today),
                lambda: home.async_busy_days(self.hass, calendar, today, PLAN_DAYS),
            )
        return Conditions(assess_readiness(self.wellness.days.values(), today), heat, busy)

    async def async_refresh_conditions(self) -> None:
        """Publish the snapshot with the home's conditions now, without recomputing the history."""
        data = self.data
        conditions = await self._async_conditions(data.snapshot)
        if conditions == data.snapshot.conditions:
            return
        # Not async_set_updated_data: that would push the next Strava poll back every time.
        self.data = replace(data, snapshot=replace(data.snapshot, conditions=conditions))
        self.async_update_listeners()

    def similar_runs(self, activity: Activity) -> tuple[Activity, ...]:
        """Return the three past runs most like `activity`, which the coach compares it with."""
        return similar_runs(self.store.activities.values(), activity, self.data.profile, k=3)

    async def async_harvest(self, *, full: bool) -> int:
        """Sync now (an action asked for it); return how many activities were new or changed."""
        if self.intervals is not None:
            sync = self._async_sync_intervals(self.intervals, raise_errors=True)
        elif self.client is not None:
            sync = self._async_sync(self.client, full=full, raise_errors=True)
        else:
            return 0
        try:
            return await sync
        finally:
            # Pages persisted before a fault count: publish them either way.
            await self.async_recompute()

    async def _async_sync(
        self, client: StravaClient, *, full: bool, raise_errors: bool = False
    ) -> int:
        """Harvest from Strava into the store; faults keep the stored history in service."""
        state = HarvestState.from_dict(self.store.harvest)
        announce = state.backfill_done and not full
        created: list[Activity] = []
        updated: list[Activity] = []

        async def persist(page: list[Activity], new_state: HarvestState) -> None:
            page_created, page_updated, _ = await self.store.async_update(page)
            created.extend(page_created)
            updated.extend(page_updated)
            self.store.harvest = new_state.as_dict()
            self.store.governor = client.governor.as_dict()
            await self.store.async_save()

        try:
            try:
                await harvest(client, state, persist, full=full)
                await self._async_fetch_streams(client)
            finally:
                # A backfill brings history, not news: only later syncs announce activities, and
                # pages persisted before a fault are news all the same.
                if announce:
                    self.fire_activity_events(created, "created")
                    self.fire_activity_events(updated, "updated")
        except StravaAuthError as err:
            self._sync_failed("auth", err)
            if not self.store.activities and not raise_errors:
                # Nothing to show until the user signs in again: Home Assistant starts the reauth.
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="strava_auth"
                ) from err
            self.config_entry.async_start_reauth(self.hass)
            if raise_errors:
                raise
        except StravaInactiveError as err:
            repairs.async_create_app_inactive(self.hass)
            self._sync_failed("app_inactive", err)
            if raise_errors:
                raise
        except StravaRateLimitError as err:
            self._sync_failed("rate_limited", err)
            self._schedule_resume(err.resume_at)
            # Remember the spent window, so a restart does not knock on Strava's door again.
            self.store.governor = client.governor.as_dict()
            await self.store.async_save()
            if raise_errors:
                raise
        except StravaError as err:
            self._sync_failed("unavailable", err)
            if self.store.activities and not state.backfill_done:
                # A partial history does not wait for the next poll (hours while push works);
                # with nothing stored yet, Home Assistant retries the setup itself.
                self._schedule_backfill_retry(client)
            if raise_errors:
                raise
            if not self.store.activities:
                # Nothing stored yet: there is truly no data to show.
                raise UpdateFailed(
                    translation_domain=DOMAIN, translation_key="strava_no_history"
                ) from err
        else:
            # Whatever failed in between, a good sync proves the application is active.
            repairs.async_delete_app_inactive(self.hass)
            self._sync_succeeded()
        return len(created) + len(updated)

    async def _async_sync_intervals(
        self, client: IntervalsClient, *, raise_errors: bool = False
    ) -> int:
        """Harvest runs and wellness from intervals.icu; faults keep the stored history in service."""
        state = HarvestState.from_dict(self.store.harvest)
        announce = state.backfill_done
        created: list[Activity] = []
        updated: list[Activity] = []

        async def persist(page: list[Activity], new_state: HarvestState) -> None:
            page_created, page_updated, _ = await self.store.async_update(page)
            created.extend(page_created)
            updated.extend(page_updated)
            self.store.harvest = new_state.as_dict()
            await self.store.async_save()

        try:
            try:
                result = await harvest_intervals(
                    client,
                    state,
                    persist,
                    today=dt_util.now().date(),
                    known=self.store.activities,
                    executor=self.hass.async_add_executor_job,
                )
            finally:
                if announce:
                    self.fire_activity_events(created, "created")
                    self.fire_activity_events(updated, "updated")
        except IntervalsAuthError as err:
            self._sync_failed("auth", err)
            if not self.store.activities and not raise_errors:
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="intervals_auth"
                ) from err
            self.config_entry.async_start_reauth(self.hass)
            if raise_errors:
                raise
        except IntervalsRateLimitError as err:
            self._sync_failed("rate_limited", err)
            self._schedule_resume(err.resume_at)
            if raise_errors:
                raise
        except IntervalsError as err:
            self._sync_failed("unavailable", err)
            if raise_errors:
                raise
            if not self.store.activities:
                raise UpdateFailed(
                    translation_domain=DOMAIN, translation_key="intervals_unavailable"
                ) from err
        else:
            self.strava_placeholders = result.strava_placeholders
            # Merged before the snapshot this sync computes, which reads them.
            self._merge_wellness(result.wellness)
            self._sync_succeeded()
        return len(created) + len(updated)

    async def _async_fetch_streams(self, client: StravaClient) -> None:
        """Fetch HR streams for the newest runs that lack them, within the streams budget."""
        # Years of history: the recent runs are picked out in the executor, not on every poll's loop.
        recent = await self.hass.async_add_executor_job(
            started_since, self.store.activities, dt_util.utcnow() - STREAMS_MAX_AGE
        )
        fetched = await fetch_streams_for(
            client,
            client.governor,
            recent,
            STREAMS_PER_SYNC,
            no_streams=self._no_streams,
        )
        if fetched:
            await self.store.async_update(fetched)
            await self.store.async_save()

    async def async_with_streams(self, activity: Activity) -> Activity:
        """
        Return `activity` with its HR streams, fetched now (one call) if Strava has them.

        On demand (an analysis asked for this run), so outside the per-sync budget but still inside
        the rate limits; any failure just leaves the summary-only activity.
        """
        client = self.client
        if (
            client is None
            or activity.stream_summary is not None
            or not streams_add_value(activity)
            or activity.id in self._no_streams
            or not client.governor.may_fetch_streams()
        ):
            return activity
        try:
            with_streams = await client.async_with_stream_summary(activity)
        except StravaError as err:
            LOGGER.debug("No streams for activity analysis (%s)", type(err).__name__)
            return activity
        if with_streams.stream_summary is None:
            self._no_streams.add(activity.id)
            return activity
        await self.store.async_update((with_streams,))
        await self.store.async_save()
        return with_streams

    @property
    def _source_name(self) -> str:
        return "intervals.icu" if self.intervals is not None else "Strava"

    @callback
    def _sync_failed(self, reason: str, err: Exception) -> None:
        """Log a failed sync once, not on every retry."""
        if self.sync_error is None:
            LOGGER.warning("%s sync failed (%s): %s", self._source_name, reason, err)
        self.sync_error = reason

    @callback
    def _sync_succeeded(self) -> None:
        """Record a good sync and say once that Strava is back."""
        if self.sync_error is not None:
            LOGGER.info("%s sync works again", self._source_name)
        self._backfill_retry = BACKFILL_RETRY_FIRST
        self.sync_error = None
        self.last_sync = dt_util.utcnow()

    @callback
    def _schedule_resume(self, resume_at: datetime) -> None:
        """Come back when Strava's rate-limit window has reset, without waiting on anything."""
        self._cancel_resume()

        async def _resume(_: datetime) -> None:
            self._resume_unsub = None
            await self.async_request_refresh()

        self._resume_unsub = async_track_point_in_utc_time(self.hass, _resume, resume_at)

    @callback
    def _schedule_backfill_retry(self, client: StravaClient) -> None:
        """Ask for the failed page again soon, backing off, and never before the budget allows."""
        retry_at = dt_util.utcnow() + self._backfill_retry
        self._backfill_retry = min(self._backfill_retry * 2, BACKFILL_RETRY_MAX)
        self._schedule_resume(max(retry_at, client.governor.blocked_until() or retry_at))

    async def async_shutdown(self) -> None:
        """Stop polling and stop waiting for a rate-limit window (the entry unloads)."""
        await super().async_shutdown()
        self._cancel_resume()

    @callback
    def _cancel_resume(self) -> None:
        """Stop waiting for a rate-limit window."""
        if self._resume_unsub is not None:
            self._resume_unsub()
            self._resume_unsub = None

    @callback
    def set_push_healthy(self, healthy: bool) -> None:
        """Slow polling down while Strava pushes changes to us."""
        self.update_interval = POLL_INTERVAL_WITH_PUSH if healthy else POLL_INTERVAL

    async def async_apply_changes(
        self, changed: Iterable[Activity], deleted: Iterable[int] = (), *, announce: bool = True
    ) -> int:
        """Persist changes (push event or import), recompute, announce; return how many."""
        created, updated, removed = await self.store.async_update(changed, deleted)
        count = len(created) + len(updated) + len(removed)
        if not count:
            return 0
        await self.store.async_save()
        await self.async_recompute()
        if announce:
            self.fire_activity_events(created, "created")
            self.fire_activity_events(updated, "updated")
            self.fire_activity_events(removed, "deleted")
        return count

    @callback
    def fire_activity_events(self, activities: Iterable[Activity], action: ChangeKind) -> None:
        """Fire one coach_dyno_activity event per changed activity."""
        profile = self.profile
        for activity in activities:
            self.hass.bus.async_fire(
                EVENT_ACTIVITY,
                {
                    "config_entry_id": self.config_entry.entry_id,
                    "action": action,
                    "activity_id": activity.id,
                    "name": activity.name,
                    "sport_type": activity.sport_type,
                    "distance_m": activity.distance_m,
                    "trimp": None if action == "deleted" else activity_trimp(activity, profile),
                },
            )
