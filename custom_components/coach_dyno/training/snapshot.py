"""
The one entry point: every number the coach, the sensors and the actions need, in one pass.

`compute_snapshot` dates each activity once in the athlete's time zone, computes each TRIMP once,
and derives volume, load, race outlook and recent runs from those lists. Load counts every sport
with heart rate (a ride tires the legs too); volume, VDOT and the race use the profile's sport
types. Duplicate ids keep their last occurrence; activities after `today` (or after `now`, when
given), and those outside the plausible ranges of `bounds`, are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import Enum
from typing import Any, Final, cast

from . import bounds
from ._common import resolve_time_zone
from .activity import Activity, AthleteProfile
from .load import acwr, advance_pmc, monotony, pmc, strain
from .performance import TrainingPaces, training_paces
from .race import RaceOutlook, best_recent_effort, outlook_for
from .recent import NO_RECENT_TRAINING, RecentTraining, recent_training
from .streams import activity_efficiency_factor
from .trimp import BanisterModel
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
    """Training load today: TRIMP, fitness/fatigue/form, ACWR, monotony, strain, last 90 days."""

    trimp_today: float
    trimp_7d: float
    ctl: float
    atl: float
    tsb: float
    acwr: float | None
    monotony: float | None
    strain: float | None
    daily: tuple[DailyLoad, ...]
    missing_hr_7d: int = 0


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
    recent: RecentTraining = NO_RECENT_TRAINING

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (dates as ISO strings, enums as their values)."""
        return cast(dict[str, Any], _plain(self))


def _plain(value: Any) -> Any:
    """Turn dataclasses, tuples, dates and enums into JSON-safe values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
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


def _load_summary(
    entries: list[tuple[date, Activity]], trimps: dict[int, float | None], today: date
) -> LoadSummary:
    """Return the load summary from dated activities and their TRIMPs."""
    first = today - timedelta(days=DAILY_DAYS - 1)
    if entries:
        first = min(first, entries[0][0])
    origin = first.toordinal()
    series = [0.0] * (today.toordinal() - origin + 1)
    week_start = today - timedelta(days=6)
    missing = 0
    for day, activity in entries:
        trimp = trimps[activity.id]
        if trimp is None:
            if day >= week_start:
                missing += 1
        else:
            series[day.toordinal() - origin] += trimp
    # Days before the chart only feed the starting CTL/ATL: no record is built for them.
    ctl0, atl0 = advance_pmc(series[:-DAILY_DAYS], 0.0, 0.0)
    chart = pmc(series[-DAILY_DAYS:], ctl0, atl0)
    chart_start = today - timedelta(days=DAILY_DAYS - 1)
    daily = tuple(
        DailyLoad(chart_start + timedelta(days=index), point.load, point.ctl, point.atl, point.tsb)
        for index, point in enumerate(chart)
    )
    last = chart[-1]
    return LoadSummary(
        trimp_today=last.load,
        trimp_7d=sum(series[-7:]),
        ctl=last.ctl,
        atl=last.atl,
        tsb=last.tsb,
        acwr=acwr(series),
        monotony=monotony(series),
        strain=strain(series),
        daily=daily,
        missing_hr_7d=missing,
    )


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
    recent = tuple(
        run_summary(activity, zone, trimps[activity.id])
        for _, activity in reversed(runs[-RECENT_RUNS:])
    )
    return TrainingSnapshot(
        today=today,
        activity_count=len(entries),
        volume=summarize_volume(runs, today),
        load=_load_summary(entries, trimps, today),
        race=None if profile.goal is None else outlook_for(profile.goal, effort, today),
        vdot=None if effort is None else effort.vdot,
        paces=None if effort is None else training_paces(effort.vdot),
        latest_run=recent[0] if recent else None,
        recent_runs=recent,
        days_since_last_run=(today - runs[-1][0]).days if runs else None,
        recent=recent_training(runs, today),
    )
