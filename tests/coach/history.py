"""Synthetic running histories and snapshots for the coach's tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
import random
from typing import Any

from custom_components.coach_dyno.training import (
    Activity,
    AthleteProfile,
    GoalRace,
    StreamSummary,
    TrainingSnapshot,
    compute_snapshot,
)

TODAY = date(2026, 11, 3)  # a Tuesday
RACE_DAY = TODAY + timedelta(weeks=19)
HALF_MARATHON_M = 21097.5
GOAL_S = 105 * 60.0


def history(days: int, *, seed: int = 7, end: date = TODAY) -> list[Activity]:
    """Return about five runs a week for `days` days up to `end` (yesterday's run included)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    runs: list[Activity] = []
    first = end - timedelta(days=days)
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() in (0, 4) or rng.random() < 0.1:
            continue
        long_run = day.weekday() == 6
        km = rng.uniform(14, 20) if long_run else rng.uniform(6, 11)
        pace = rng.uniform(330, 360)
        start = datetime.combine(day, time(6, 30), tzinfo=UTC)
        runs.append(
            Activity(
                id=len(runs) + 1,
                start=start,
                sport_type="Run",
                name="Long run" if long_run else "Morning run",
                distance_m=km * 1000,
                moving_s=km * pace,
                elapsed_s=km * pace + 60,
                elevation_gain_m=rng.uniform(10, 120),
                avg_hr=rng.uniform(138, 158),
                max_hr=175.0,
                stream_summary=StreamSummary(
                    hr_seconds=(), efficiency_factor=None, decoupling_pct=rng.uniform(1, 4)
                ),
            )
        )
    return runs


def profile(*, goal: bool = True) -> AthleteProfile:
    """Return the first user's profile: a sub-1:45 half marathon goal."""
    race = GoalRace(
        race_date=RACE_DAY, distance_m=HALF_MARATHON_M, goal_time_s=GOAL_S, name="City Half"
    )
    return AthleteProfile(hr_rest=50, hr_max=190, goal=race if goal else None)


def snapshot(days: int = 365, *, goal: bool = True, today: date = TODAY) -> TrainingSnapshot:
    """Return the snapshot of a synthetic history of `days` days."""
    return compute_snapshot(history(days, end=today), profile(goal=goal), today)


def with_load(snap: TrainingSnapshot, **changes: Any) -> TrainingSnapshot:
    """Return `snap` with some load figures replaced (to raise risk flags)."""
    return replace(snap, load=replace(snap.load, **changes))
