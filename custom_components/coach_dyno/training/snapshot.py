"""
The one entry point: every number the coach, the sensors and the actions need, in one pass.

`compute_snapshot` dates each activity once in the athlete's time zone, computes each TRIMP once,
and derives volume, load, race outlook and recent runs from those lists. Load counts every sport
with heart rate (a ride tires the legs too); a run without heart rate counts with a load estimated
from its pace against the threshold pace of today's VDOT (one threshold for every run: an old run
fades from CTL within months, so its exact threshold hardly matters); any other activity without
heart rate has no known load. Volume, VDOT and the race use the profile's sport types. Duplicate
ids keep their last occurrence; activities after `today` (or after `now`, when given), and those
outside the plausible ranges of `bounds`, are ignored.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import Enum
from typing import Any, Final, cast

from . import bounds
from ._common import resolve_time_zone
from .activity import Activity, AthleteProfile
from .conditions import NO_CONDITIONS, Conditions
from .load import (
    ACUTE_DAYS,
    ATL_DAYS,
    CHRONIC_DAYS,
    CTL_DAYS,
    acwr,
    advance_pmc,
    monotony,
    pmc,
    strain,
)
from .performance import TrainingPaces, training_paces
from .race import RECENT_DAYS, RaceOutlook, best_recent_effort, outlook_for
from .recent import NO_RECENT_TRAINING, RecentTraining, recent_training
from .streams import activity_efficiency_factor
from .trimp import BanisterModel, PaceModel
from .volume import VolumeSummary, summarize_volume

DAILY_DAYS: Final = 90
RECENT_RUNS: Final = 10


@dataclass(frozen=True, slots=True)
class DailyLoad:
    """One local day of load: its TRIMP total and the PMC values."""

    day: date
    trimp: float
    ctl: float
    atl: float
    tsb: float


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """
    Training load: TRIMP today and over 7 days, fitness/fatigue/form, ACWR, monotony, strain.

    A value is None when its load is unknown: its window holds activities and none has a load (no
    heart rate, and no pace to estimate it from), or no activity of the history ever had one. Runs
    without heart rate count with a load estimated from pace (`trimp.PaceModel`); the days that
    hold such an estimate are listed in `estimated_days` (the last 42 days, oldest first).

    The 7- and 28-day windows (TRIMP 7d, ACWR, monotony, strain) cover completed days: they end on
    `window_end`, today once today has an activity, else yesterday. A morning before the run reads
    the week that was, not a rest day that has not happened yet. CTL, ATL and TSB keep the PMC's
    own days (see `load`).
    """

    trimp_today: float | None
    trimp_7d: float | None
    ctl: float | None
    atl: float | None
    tsb: float | None
    acwr: float | None
    monotony: float | None
    strain: float | None
    daily: tuple[DailyLoad, ...]
    window_end: date
    estimated_days: tuple[date, ...] = ()
    # Activities of the 7-day window with neither heart rate nor a usable pace: load understated.
    unknown_7d: int = 0

    def estimated_within(self, days: int, end: date) -> bool:
        """Tell whether any of the `days` days ending on `end` holds a load estimated from pace."""
        first = end - timedelta(days=days - 1)
        return any(first <= day <= end for day in self.estimated_days)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run as the sensors and the coach see it."""

    id: int
    name: str
    start: datetime
    sport_type: str
    distance_m: float
    moving_s: float
    pace_s_per_km: float | None
    avg_hr: float | None
    elevation_gain_m: float
    trimp: float | None
    efficiency_factor: float | None
    decoupling_pct: float | None
    race: bool


@dataclass(frozen=True, slots=True)
class TrainingSnapshot:
    """Everything derived from the history as of `today`."""

    today: date
    activity_count: int
    volume: VolumeSummary
    load: LoadSummary
    race: RaceOutlook | None
    vdot: float | None
    paces: TrainingPaces | None
    latest_run: RunSummary | None
    recent_runs: tuple[RunSummary, ...]
    days_since_last_run: int | None = None
    days_since_race: int | None = None
    recent: RecentTraining = NO_RECENT_TRAINING
    # Filled by the integration from the home (wellness sensors, weather, calendar).
    conditions: Conditions = NO_CONDITIONS

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (dates as ISO strings, enums as their values)."""
        return cast(dict[str, Any], _plain(self))


def _plain(value: Any) -> Any:
    """Turn dataclasses, tuples, dates and enums into JSON-safe values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, frozenset):
        return sorted(_plain(item) for item in value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def run_summary(
    activity: Activity, zone: tzinfo | None = None, trimp: float | None = None
) -> RunSummary:
    """Return one run as the sensors and the coach see it, its start in `zone` (when given)."""
    summary = activity.stream_summary
    pace = None
    if activity.distance_m > 0 and activity.moving_s > 0:
        pace = activity.moving_s / (activity.distance_m / 1000.0)
    return RunSummary(
        id=activity.id,
        name=activity.name,
        start=activity.start if zone is None else activity.start.astimezone(zone),
        sport_type=activity.sport_type,
        distance_m=activity.distance_m,
        moving_s=activity.moving_s,
        pace_s_per_km=pace,
        avg_hr=activity.avg_hr,
        elevation_gain_m=activity.elevation_gain_m,
        trimp=trimp,
        efficiency_factor=activity_efficiency_factor(activity),
        decoupling_pct=None if summary is None else summary.decoupling_pct,
        race=activity.race,
    )


class _Coverage:
    """Which of the last 42 days hold activities with a load, estimated ones, or unknown ones."""

    __slots__ = ("any_load", "estimated", "first", "loaded", "unknown")

    def __init__(
        self,
        today: date,
        entries: list[tuple[date, Activity]],
        loads: dict[int, float | None],
        estimated: set[int],
    ) -> None:
        """Count the activities of the last 42 days of `entries` (sorted by start)."""
        self.first = today - timedelta(days=CTL_DAYS - 1)
        self.loaded = [0] * CTL_DAYS
        self.estimated = [0] * CTL_DAYS
        self.unknown = [0] * CTL_DAYS
        self.any_load = any(load is not None for load in loads.values())
        recent = bisect_left(entries, self.first, key=lambda entry: entry[0])
        for day, activity in entries[recent:]:
            index = (day - self.first).days
            if loads[activity.id] is None:
                self.unknown[index] += 1
            else:
                self.loaded[index] += 1
                self.estimated[index] += activity.id in estimated

    def _span(self, days: int, end: date) -> slice:
        """Return the indices of the `days` days ending on `end`."""
        stop = (end - self.first).days + 1
        return slice(stop - days, stop)

    def known(self, days: int, end: date) -> bool:
        """Tell whether the load of the `days` days ending on `end` is known (see LoadSummary)."""
        span = self._span(days, end)
        if sum(self.loaded[span]):
            return True
        return self.any_load and not sum(self.unknown[span])

    def unknown_count(self, days: int, end: date) -> int:
        """Return how many activities of the `days` days ending on `end` have no load."""
        return sum(self.unknown[self._span(days, end)])

    def estimated_days(self) -> tuple[date, ...]:
        """Return the days with a load estimated from pace, oldest first."""
        return tuple(
            self.first + timedelta(days=index)
            for index, count in enumerate(self.estimated)
            if count
        )


def _load_summary(
    entries: list[tuple[date, Activity]],
    loads: dict[int, float | None],
    estimated: set[int],
    today: date,
) -> LoadSummary:
    """Return the load summary from dated activities, their loads and which are estimates."""
    first = today - timedelta(days=DAILY_DAYS - 1)
    if entries:
        first = min(first, entries[0][0])
    origin = first.toordinal()
    series = [0.0] * (today.toordinal() - origin + 1)
    for day, activity in entries:
        load = loads[activity.id]
        if load is not None:
            series[day.toordinal() - origin] += load
    coverage = _Coverage(today, entries, loads, estimated)
    yesterday = today - timedelta(days=1)
    end = today if entries and entries[-1][0] == today else yesterday
    window = series[: len(series) - (today - end).days]
    week = coverage.known(ACUTE_DAYS, end)
    weekly = week and coverage.known(CHRONIC_DAYS, end)
    summary = LoadSummary(
        trimp_today=series[-1] if coverage.known(1, today) else None,
        trimp_7d=sum(window[-ACUTE_DAYS:]) if week else None,
        ctl=None,
        atl=None,
        tsb=None,
        acwr=acwr(window) if weekly else None,
        monotony=monotony(window) if week else None,
        strain=strain(window) if week else None,
        daily=(),
        window_end=end,
        estimated_days=coverage.estimated_days(),
        unknown_7d=coverage.unknown_count(ACUTE_DAYS, end),
    )
    if not coverage.known(CTL_DAYS, today):
        return summary
    # Days before the chart only feed the starting CTL/ATL: no record is built for them.
    ctl0, atl0 = advance_pmc(series[:-DAILY_DAYS], 0.0, 0.0)
    chart = pmc(series[-DAILY_DAYS:], ctl0, atl0)
    chart_start = today - timedelta(days=DAILY_DAYS - 1)
    daily = tuple(
        DailyLoad(chart_start + timedelta(days=index), point.load, point.ctl, point.atl, point.tsb)
        for index, point in enumerate(chart)
    )
    last = chart[-1]
    fresh = coverage.known(ATL_DAYS, today)
    return replace(
        summary,
        ctl=last.ctl,
        atl=last.atl if fresh else None,
        # Form is yesterday's CTL - ATL: the form one wakes up with.
        tsb=last.tsb if coverage.known(ATL_DAYS, yesterday) else None,
        daily=daily,
    )


def _estimate_missing(
    runs: list[tuple[date, Activity]],
    trimps: dict[int, float | None],
    paces: TrainingPaces | None,
    profile: AthleteProfile,
    today: date,
) -> tuple[dict[int, float | None], set[int]]:
    """Return every activity's load, runs without heart rate estimated from pace, and which."""
    missing = [activity for _, activity in runs if trimps[activity.id] is None]
    if not missing or paces is None:
        return trimps, set()
    # Calibrated on the weeks the threshold pace (the VDOT's best effort) comes from.
    first = today - timedelta(days=RECENT_DAYS - 1)
    measured = (
        (activity, trimp)
        for day, activity in runs
        if day >= first and (trimp := trimps[activity.id]) is not None
    )
    pace_model = PaceModel.calibrated(paces.threshold, profile, measured)
    loads = dict(trimps)
    estimated: set[int] = set()
    for activity in missing:
        if (load := pace_model.activity(activity)) is not None:
            loads[activity.id] = load
            estimated.add(activity.id)
    return loads, estimated


def compute_snapshot(
    activities: Iterable[Activity],
    profile: AthleteProfile,
    today: date,
    *,
    now: datetime | None = None,
) -> TrainingSnapshot:
    """Return the training snapshot of `activities` for `profile` as of the local day `today`."""
    zone = resolve_time_zone(profile.time_zone)
    unique = {activity.id: activity for activity in activities}
    # A damaged record (a start in year 9999, a run of 1e305 km) would break the dating or the
    # sums below: it is left out. Every start up to the end of `today` anywhere on Earth fits.
    plausible, _ = bounds.split(
        unique.values(), now=now or datetime.combine(today, time(), UTC), histograms=False
    )
    entries: list[tuple[date, Activity]] = []
    for activity in plausible:
        if now is not None and activity.start > now:
            continue
        day = activity.start.astimezone(zone).date()
        if day <= today:
            entries.append((day, activity))
    entries.sort(key=lambda entry: entry[1].start)

    model = BanisterModel.for_profile(profile)
    trimps = {activity.id: model.activity(activity) for _, activity in entries}
    kinds = profile.sport_types
    runs = [entry for entry in entries if entry[1].sport_type in kinds]

    effort = best_recent_effort(runs, today)
    paces = None if effort is None else training_paces(effort.vdot)
    loads, estimated = _estimate_missing(runs, trimps, paces, profile, today)
    recent = tuple(
        run_summary(activity, zone, trimps[activity.id])
        for _, activity in reversed(runs[-RECENT_RUNS:])
    )
    return TrainingSnapshot(
        today=today,
        activity_count=len(entries),
        volume=summarize_volume(runs, today),
        load=_load_summary(entries, loads, estimated, today),
        race=None if profile.goal is None else outlook_for(profile.goal, effort, today),
        vdot=None if effort is None else effort.vdot,
        paces=paces,
        latest_run=recent[0] if recent else None,
        recent_runs=recent,
        days_since_last_run=(today - runs[-1][0]).days if runs else None,
        days_since_race=next(
            ((today - day).days for day, activity in reversed(runs) if activity.race), None
        ),
        recent=recent_training(runs, today),
    )
