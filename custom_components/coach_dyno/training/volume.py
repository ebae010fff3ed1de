"""
Running volume per ISO week, calendar month and year, in the athlete's own time zone.

Only the sport types of `AthleteProfile.sport_types` count (runs by default). Days are local
calendar days (zoneinfo, so DST changes move nothing across midnight). Current periods run from
their first day to today; previous periods are complete; rolling windows end today (7 and 28 days,
today included). Activities dated after today are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from ._common import local_day, resolve_time_zone
from .activity import Activity, AthleteProfile


class Period(StrEnum):
    """A calendar period for volume totals."""

    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True, slots=True)
class Volume:
    """Distance, moving time, climb and number of activities over a period."""

    distance_m: float = 0.0
    moving_s: float = 0.0
    elevation_m: float = 0.0
    count: int = 0


@dataclass(frozen=True, slots=True)
class VolumeSummary:
    """Volume for the current and previous week, month and year, and rolling 7 and 28 days."""

    this_week: Volume
    last_week: Volume
    rolling_7d: Volume
    rolling_28d: Volume
    this_month: Volume
    last_month: Volume
    this_year: Volume
    last_year: Volume


def period_start(day: date, period: Period) -> date:
    """Return the first day of the ISO week (Monday), month or year containing `day`."""
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    return day.replace(month=1, day=1)


class _Total:
    """A mutable running total, frozen into a `Volume` at the end (cheaper than re-creating)."""

    __slots__ = ("count", "distance", "elevation", "moving")

    def __init__(self) -> None:
        """Start at zero."""
        self.distance = 0.0
        self.moving = 0.0
        self.elevation = 0.0
        self.count = 0

    def add(self, activity: Activity) -> None:
        """Add one activity."""
        self.distance += activity.distance_m
        self.moving += activity.moving_s
        self.elevation += activity.elevation_gain_m
        self.count += 1

    def freeze(self) -> Volume:
        """Return the total as an immutable `Volume`."""
        return Volume(self.distance, self.moving, self.elevation, self.count)


def dated_activities(
    activities: Iterable[Activity], profile: AthleteProfile
) -> list[tuple[date, Activity]]:
    """Return (local day, activity) for the activities whose sport type the profile counts."""
    zone = resolve_time_zone(profile.time_zone)
    kinds = profile.sport_types
    return [(local_day(a.start, zone), a) for a in activities if a.sport_type in kinds]


def volume_by_period(
    activities: Iterable[Activity], profile: AthleteProfile, period: Period
) -> dict[date, Volume]:
    """Return the volume of every week, month or year with activity, keyed by its first day."""
    totals: dict[date, _Total] = {}
    for day, activity in dated_activities(activities, profile):
        key = period_start(day, period)
        total = totals.get(key)
        if total is None:
            total = totals[key] = _Total()
        total.add(activity)
    return {key: totals[key].freeze() for key in sorted(totals)}


def summarize_volume(dated: Iterable[tuple[date, Activity]], today: date) -> VolumeSummary:
    """Return the volume summary from pre-dated activities (see `dated_activities`)."""
    week = period_start(today, Period.WEEK)
    month = period_start(today, Period.MONTH)
    year = period_start(today, Period.YEAR)
    last_month = period_start(month - timedelta(days=1), Period.MONTH)
    last_year = year.replace(year=year.year - 1)
    # (first day, last day) of each window, in VolumeSummary's field order.
    windows = (
        (week, today),
        (week - timedelta(days=7), week - timedelta(days=1)),
        (today - timedelta(days=6), today),
        (today - timedelta(days=27), today),
        (month, today),
        (last_month, month - timedelta(days=1)),
        (year, today),
        (last_year, year - timedelta(days=1)),
    )
    earliest = min(first for first, _ in windows)
    totals = [_Total() for _ in windows]
    for day, activity in dated:
        if day < earliest or day > today:
            continue
        for (first, last), total in zip(windows, totals, strict=True):
            if first <= day <= last:
                total.add(activity)
    return VolumeSummary(*(total.freeze() for total in totals))


def volume_summary(
    activities: Iterable[Activity], profile: AthleteProfile, today: date
) -> VolumeSummary:
    """Return this and last week, month and year, and rolling 7/28 days of the athlete's runs."""
    return summarize_volume(dated_activities(activities, profile), today)
