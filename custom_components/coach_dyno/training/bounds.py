"""
Plausible ranges for one activity: a record outside them is damaged, not a feat.

Imports (activity files, Strava exports, the Strava API) skip such a record before it is stored, and
the engine leaves it out of its numbers, so one impossible value (a start in year 1 or 9999, a run of
1e305 km) can neither crash a snapshot nor skew one. The ranges are generous on purpose: they refuse
what no human-powered activity can be, never a merely extraordinary one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
import math
from typing import Final

from .activity import Activity, StreamSummary

# Devices without a clock fix write the Unix epoch (1970-01-01); nothing recorded earlier is imported.
EARLIEST_START: Final = datetime(1971, 1, 1, tzinfo=UTC)
# Starts up to the end of tomorrow (UTC) are accepted: a device clock a little ahead is not damage.
FUTURE_DAYS: Final = 1
# One activity lasts at most a week (moving and elapsed time alike).
MAX_DURATION_S: Final = 7 * 24 * 3600.0
# Above any human-powered week: the Race Across America (~4,800 km, ~52,000 m of climbing) has been
# ridden in under eight days; on foot, six-day races top out a little over 1,000 km.
MAX_DISTANCE_M: Final = 5_000_000.0
MAX_ELEVATION_GAIN_M: Final = 100_000.0
# Average and maximum heart rate of an activity. Elite endurance athletes rest near 30 bpm (D'Souza
# et al., Nat Commun 2014;5:3775); maximum heart rate is about 208 - 0.7 x age (Tanaka, Monahan and
# Seals, J Am Coll Cardiol 2001;37:153-156), about 200 for the young. Outside 25..250: a sensor fault.
HR_RANGE_BPM: Final = (25.0, 250.0)


class OutOfBoundsError(ValueError):
    """An activity with a value outside the plausible ranges."""


def latest_start(now: datetime | None = None) -> datetime:
    """
    Return the first instant too late for a start: midnight UTC at the end of tomorrow (UTC).

    A `now` at the end of the calendar (datetime.max) lifts the bound: nothing starts too late.
    """
    moment = datetime.now(UTC) if now is None else now.astimezone(UTC)
    try:
        return datetime.combine(moment.date() + timedelta(days=FUTURE_DAYS + 1), time(), UTC)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def problem(activity: Activity, *, now: datetime | None = None) -> str | None:
    """Return why `activity` is outside the plausible ranges (one short reason), None if it fits."""
    return _problem(activity, latest_start(now))


def check(activity: Activity, *, now: datetime | None = None) -> Activity:
    """Return `activity` unchanged, or raise OutOfBoundsError saying what is wrong with it."""
    if (reason := problem(activity, now=now)) is not None:
        raise OutOfBoundsError(reason)
    return activity


def split(
    activities: Iterable[Activity], *, now: datetime | None = None, histograms: bool = True
) -> tuple[list[Activity], list[tuple[Activity, str]]]:
    """
    Return the activities within bounds, and the others each with the reason it was left out.

    `histograms=False` skips summing each heart-rate histogram: a snapshot, which runs often, leaves
    that to where records enter (imports, the store's load), as it would cost more than the rest.
    """
    latest = latest_start(now)
    kept: list[Activity] = []
    refused: list[tuple[Activity, str]] = []
    for activity in activities:
        if (reason := _problem(activity, latest, histograms=histograms)) is None:
            kept.append(activity)
        else:
            refused.append((activity, reason))
    return kept, refused


def _problem(activity: Activity, latest: datetime, *, histograms: bool = True) -> str | None:
    """Return why `activity` is out of bounds, None when it fits (NaN is outside every range)."""
    # The usual case first, in one expression: snapshots check thousands of activities each time.
    low_hr, high_hr = HR_RANGE_BPM
    avg_hr, max_hr = activity.avg_hr, activity.max_hr
    if (
        EARLIEST_START <= activity.start < latest
        and 0.0 <= activity.distance_m <= MAX_DISTANCE_M
        and 0.0 <= activity.moving_s <= MAX_DURATION_S
        and 0.0 <= activity.elapsed_s <= MAX_DURATION_S
        and 0.0 <= activity.elevation_gain_m <= MAX_ELEVATION_GAIN_M
        and (avg_hr is None or low_hr <= avg_hr <= high_hr)
        and (max_hr is None or low_hr <= max_hr <= high_hr)
    ):
        summary = activity.stream_summary
        return None if summary is None else _summary_problem(summary, histograms=histograms)
    return _value_problem(activity, latest)


def _value_problem(activity: Activity, latest: datetime) -> str:
    """Return which of the activity's own values is out of bounds, and how."""
    start = activity.start
    if not EARLIEST_START <= start < latest:
        return f"start {start.isoformat()} is not between {EARLIEST_START:%Y-%m-%d} and tomorrow"
    checks = (
        ("distance", activity.distance_m, MAX_DISTANCE_M, "m"),
        ("moving time", activity.moving_s, MAX_DURATION_S, "s"),
        ("elapsed time", activity.elapsed_s, MAX_DURATION_S, "s"),
        ("elevation gain", activity.elevation_gain_m, MAX_ELEVATION_GAIN_M, "m"),
    )
    for label, value, high, unit in checks:
        if not 0.0 <= value <= high:
            return f"{label} {value!r} {unit} is not within 0..{high:,.0f} {unit}"
    low, high = HR_RANGE_BPM
    for label, beat in (
        ("average heart rate", activity.avg_hr),
        ("max heart rate", activity.max_hr),
    ):
        if beat is not None and not low <= beat <= high:
            return f"{label} {beat!r} bpm is not within {low:.0f}..{high:.0f} bpm"
    return "a value is not a number"  # unreachable for an Activity, which refuses non-numbers


def _summary_problem(summary: StreamSummary, *, histograms: bool) -> str | None:
    """Return what is wrong with a stream summary, None when it fits."""
    for label, value in (
        ("efficiency factor", summary.efficiency_factor),
        ("aerobic decoupling", summary.decoupling_pct),
    ):
        if value is not None and not (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        ):
            return f"{label} {value!r} is not a finite number"
    if histograms:
        seconds = math.fsum(seconds for _, seconds in summary.hr_seconds)
        if not 0.0 <= seconds <= MAX_DURATION_S:
            return f"heart rate histogram of {seconds!r} s is not within 0..{MAX_DURATION_S:,.0f} s"
    return None
