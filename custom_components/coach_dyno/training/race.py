"""
The goal race: countdown, training phase, predicted time and an "on track" verdict.

Phases count whole weeks before race week (`days_to_race // 7`):
- race week: 0-6 days to go (race day included); recovery: any day after the race;
- taper: the 2 weeks before race week for races of 30 km or more, 1 week for shorter ones;
- peak: the 3 weeks before the taper; build: the 6 weeks before the peak; base: anything earlier.

Prediction: the best VDOT among runs and races of at least 3 km in the last 8 weeks (today
included) predicts the goal time through `race_time`; Riegel's formula is applied to the same effort.
Training runs are rarely all-out, so the verdict allows a 3 % margin before calling the athlete
behind. Reason codes: race_over, no_goal_time, no_recent_effort, ahead, within_margin, behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from .activity import Activity, AthleteProfile, GoalRace
from .performance import race_time, riegel_time, vdot
from .volume import dated_activities

RECENT_DAYS: Final = 56
MIN_EFFORT_M: Final = 3000.0
ON_TRACK_MARGIN: Final = 0.03
LONG_RACE_M: Final = 30000.0
PEAK_WEEKS: Final = 3
BUILD_WEEKS: Final = 6


class TrainingPhase(StrEnum):
    """Where the athlete stands in the build-up to the goal race."""

    BASE = "base"
    BUILD = "build"
    PEAK = "peak"
    TAPER = "taper"
    RACE_WEEK = "race_week"
    RECOVERY = "recovery"


@dataclass(frozen=True, slots=True)
class Effort:
    """A run good enough to predict from: its distance, time and VDOT."""

    activity_id: int
    day: date
    distance_m: float
    time_s: float
    vdot: float


@dataclass(frozen=True, slots=True)
class RaceOutlook:
    """Countdown, phase and prediction for the goal race."""

    race_date: date
    distance_m: float
    goal_time_s: float | None
    days_to_race: int
    weeks_to_race: int
    phase: TrainingPhase
    predicted_time_s: float | None
    riegel_time_s: float | None
    goal_pace_s_per_km: float | None
    on_track: bool | None
    reason: str
    name: str = ""
    effort: Effort | None = None


def training_phase(days_to_race: int, distance_m: float) -> TrainingPhase:
    """Return the training phase `days_to_race` days before a race of `distance_m`."""
    if days_to_race < 0:
        return TrainingPhase.RECOVERY
    weeks_out = days_to_race // 7
    taper_weeks = 2 if distance_m >= LONG_RACE_M else 1
    if weeks_out == 0:
        return TrainingPhase.RACE_WEEK
    if weeks_out <= taper_weeks:
        return TrainingPhase.TAPER
    if weeks_out <= taper_weeks + PEAK_WEEKS:
        return TrainingPhase.PEAK
    if weeks_out <= taper_weeks + PEAK_WEEKS + BUILD_WEEKS:
        return TrainingPhase.BUILD
    return TrainingPhase.BASE


def _effort_time(activity: Activity) -> float:
    """Return the time that counts: gun time (elapsed) for races, moving time otherwise."""
    if activity.race:
        return activity.elapsed_s or activity.moving_s
    return activity.moving_s or activity.elapsed_s


def best_recent_effort(dated_runs: Iterable[tuple[date, Activity]], today: date) -> Effort | None:
    """Return the best-VDOT run of at least 3 km in the 8 weeks up to today, if any."""
    first = today - timedelta(days=RECENT_DAYS - 1)
    best: Effort | None = None
    for day, activity in dated_runs:
        if not first <= day <= today or activity.distance_m < MIN_EFFORT_M:
            continue
        time = _effort_time(activity)
        if time <= 0:
            continue
        try:
            score = vdot(activity.distance_m, time)
        except ValueError:
            continue  # a walk logged as a run: too slow for the model
        if best is None or score > best.vdot:
            best = Effort(activity.id, day, activity.distance_m, time, score)
    return best


def _verdict(
    goal_time: float | None, predicted: float | None, days: int
) -> tuple[bool | None, str]:
    """Return (on track, reason code)."""
    if days < 0:
        return None, "race_over"
    if goal_time is None:
        return None, "no_goal_time"
    if predicted is None:
        return None, "no_recent_effort"
    if predicted <= goal_time:
        return True, "ahead"
    if predicted <= goal_time * (1.0 + ON_TRACK_MARGIN):
        return True, "within_margin"
    return False, "behind"


def outlook_for(goal: GoalRace, effort: Effort | None, today: date) -> RaceOutlook:
    """Return the outlook for `goal` as of `today`, predicted from `effort`."""
    days = (goal.race_date - today).days
    predicted = riegel = None
    if effort is not None:
        predicted = race_time(effort.vdot, goal.distance_m)
        riegel = riegel_time(effort.time_s, effort.distance_m, goal.distance_m)
    on_track, reason = _verdict(goal.goal_time_s, predicted, days)
    return RaceOutlook(
        race_date=goal.race_date,
        distance_m=goal.distance_m,
        goal_time_s=goal.goal_time_s,
        days_to_race=days,
        weeks_to_race=int(days / 7),
        phase=training_phase(days, goal.distance_m),
        predicted_time_s=predicted,
        riegel_time_s=riegel,
        goal_pace_s_per_km=None
        if goal.goal_time_s is None
        else goal.goal_time_s / (goal.distance_m / 1000.0),
        on_track=on_track,
        reason=reason,
        name=goal.name,
        effort=effort,
    )


def race_outlook(
    activities: Iterable[Activity], profile: AthleteProfile, today: date
) -> RaceOutlook | None:
    """Return the outlook for the athlete's goal race, or None without a goal."""
    if profile.goal is None:
        return None
    effort = best_recent_effort(dated_activities(activities, profile), today)
    return outlook_for(profile.goal, effort, today)
