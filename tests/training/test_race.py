"""Race countdown, phases, prediction and the on-track verdict."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from custom_components.coach_dyno.training import (
    Activity,
    AthleteProfile,
    GoalRace,
    TrainingPhase,
    best_recent_effort,
    race_outlook,
    race_time,
    riegel_time,
    training_phase,
    vdot,
)

from .factories import make_activity

TODAY = date(2026, 9, 1)
HALF = 21097.5


@pytest.mark.parametrize(
    ("days", "half", "marathon"),
    [
        (-1, TrainingPhase.RECOVERY, TrainingPhase.RECOVERY),
        (0, TrainingPhase.RACE_WEEK, TrainingPhase.RACE_WEEK),
        (6, TrainingPhase.RACE_WEEK, TrainingPhase.RACE_WEEK),
        (7, TrainingPhase.TAPER, TrainingPhase.TAPER),
        (13, TrainingPhase.TAPER, TrainingPhase.TAPER),
        (14, TrainingPhase.PEAK, TrainingPhase.TAPER),
        (21, TrainingPhase.PEAK, TrainingPhase.PEAK),
        (34, TrainingPhase.PEAK, TrainingPhase.PEAK),
        (35, TrainingPhase.BUILD, TrainingPhase.PEAK),
        (42, TrainingPhase.BUILD, TrainingPhase.BUILD),
        (76, TrainingPhase.BUILD, TrainingPhase.BUILD),
        (77, TrainingPhase.BASE, TrainingPhase.BUILD),
        (84, TrainingPhase.BASE, TrainingPhase.BASE),
        (400, TrainingPhase.BASE, TrainingPhase.BASE),
    ],
)
def test_phase_boundaries(days: int, half: TrainingPhase, marathon: TrainingPhase) -> None:
    assert training_phase(days, HALF) is half
    assert training_phase(days, 42195.0) is marathon


def run_days_ago(
    days: int, activity_id: int, distance_m: float, seconds: float, **extra: Any
) -> Activity:
    """Return a run `days` before TODAY."""
    day = TODAY - timedelta(days=days)
    return make_activity(
        activity_id,
        datetime(day.year, day.month, day.day, 7, tzinfo=UTC),
        distance_m=distance_m,
        moving_s=seconds,
        **extra,
    )


def goal_profile(goal_time_s: float | None = 6300.0, days: int = 60) -> AthleteProfile:
    """Return a profile aiming at a half marathon `days` from TODAY."""
    return AthleteProfile(
        goal=GoalRace(
            race_date=TODAY + timedelta(days=days),
            distance_m=HALF,
            goal_time_s=goal_time_s,
            name="City Half",
        )
    )


def test_outlook_predicts_from_the_best_recent_effort() -> None:
    race = run_days_ago(14, 1, 10000.0, 2680.0, elapsed_s=2700.0, race=True)
    easy = run_days_ago(3, 2, 12000.0, 4000.0)
    outlook = race_outlook([race, easy], goal_profile(), TODAY)
    assert outlook is not None
    best = vdot(10000.0, 2700.0)  # gun time (elapsed) counts for a race
    assert outlook.effort is not None
    assert outlook.effort.activity_id == 1
    assert outlook.effort.vdot == pytest.approx(best)
    assert outlook.predicted_time_s == pytest.approx(race_time(best, HALF))
    assert outlook.riegel_time_s == pytest.approx(riegel_time(2700.0, 10000.0, HALF))
    assert outlook.goal_pace_s_per_km == pytest.approx(6300.0 / 21.0975)
    assert (outlook.days_to_race, outlook.weeks_to_race) == (60, 8)
    assert outlook.phase is TrainingPhase.BUILD
    assert outlook.name == "City Half"
    assert outlook.race_date == TODAY + timedelta(days=60)


@pytest.mark.parametrize(
    ("goal_factor", "on_track", "reason"),
    [(1.01, True, "ahead"), (0.98, True, "within_margin"), (0.95, False, "behind")],
)
def test_verdict(goal_factor: float, on_track: bool, reason: str) -> None:
    effort = run_days_ago(7, 1, 10000.0, 2700.0)
    predicted = race_time(vdot(10000.0, 2700.0), HALF)
    outlook = race_outlook([effort], goal_profile(predicted * goal_factor), TODAY)
    assert outlook is not None
    assert (outlook.on_track, outlook.reason) == (on_track, reason)


def test_verdict_without_data() -> None:
    effort = run_days_ago(7, 1, 10000.0, 2700.0)
    no_time = race_outlook([effort], goal_profile(None), TODAY)
    assert no_time is not None
    assert (no_time.on_track, no_time.reason, no_time.goal_pace_s_per_km) == (
        None,
        "no_goal_time",
        None,
    )
    no_runs = race_outlook([], goal_profile(), TODAY)
    assert no_runs is not None
    assert (no_runs.on_track, no_runs.reason, no_runs.predicted_time_s) == (
        None,
        "no_recent_effort",
        None,
    )
    over = race_outlook([effort], goal_profile(days=-2), TODAY)
    assert over is not None
    assert (over.on_track, over.reason, over.phase) == (None, "race_over", TrainingPhase.RECOVERY)
    assert race_outlook([effort], AthleteProfile(), TODAY) is None


def test_best_recent_effort_window_and_filters() -> None:
    runs = [
        run_days_ago(56, 1, 10000.0, 2400.0),  # 8 weeks + 1 day: too old
        run_days_ago(55, 2, 10000.0, 2800.0),  # oldest day of the window
        run_days_ago(0, 3, 2900.0, 600.0),  # fast but shorter than 3 km
        run_days_ago(1, 4, 5000.0, 0.0),  # no time at all
        run_days_ago(2, 5, 5000.0, 7200.0 * 5),  # a walk: too slow for the model
        run_days_ago(-1, 6, 10000.0, 2000.0),  # tomorrow
    ]
    dated = [(a.start.date(), a) for a in runs]
    effort = best_recent_effort(dated, TODAY)
    assert effort is not None
    assert effort.activity_id == 2
    assert effort.day == TODAY - timedelta(days=55)
    assert best_recent_effort([], TODAY) is None


def test_effort_time_falls_back_when_one_time_is_missing() -> None:
    race_without_elapsed = run_days_ago(3, 1, 5000.0, 1300.0, race=True)
    run_without_moving = run_days_ago(3, 2, 5000.0, 0.0, elapsed_s=1250.0)
    effort = best_recent_effort([(TODAY, race_without_elapsed), (TODAY, run_without_moving)], TODAY)
    assert effort is not None
    assert (effort.activity_id, effort.time_s) == (2, 1250.0)
