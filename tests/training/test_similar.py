"""Nearest past runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.coach_dyno.training import Activity, AthleteProfile, similar_runs

from .factories import make_activity

PROFILE = AthleteProfile()
TARGET_START = datetime(2026, 6, 1, 7, tzinfo=UTC)


def earlier(days: int, activity_id: int, km: float, pace: float, **extra: Any) -> Activity:
    """Return a run `days` before the target, `km` long at `pace` s/km."""
    return make_activity(
        activity_id,
        TARGET_START - timedelta(days=days),
        distance_m=km * 1000,
        moving_s=km * pace,
        **extra,
    )


TARGET = make_activity(
    100, TARGET_START, distance_m=10000.0, moving_s=3000.0, avg_hr=150.0, elevation_gain_m=50.0
)


def test_nearest_first_and_only_earlier_runs() -> None:
    twin = earlier(7, 1, 10.2, 305, avg_hr=152.0, elevation_gain_m=55.0)
    hilly = earlier(8, 2, 10.0, 300, avg_hr=150.0, elevation_gain_m=400.0)
    long_run = earlier(9, 3, 21.0, 330, avg_hr=145.0, elevation_gain_m=100.0)
    short_fast = earlier(10, 4, 5.0, 250, avg_hr=170.0)
    later = make_activity(5, TARGET_START + timedelta(days=1), avg_hr=150.0)
    ride = earlier(3, 6, 10.0, 300, sport_type="Ride", avg_hr=150.0)
    empty = earlier(2, 7, 0.0, 300)
    history = [long_run, short_fast, later, ride, empty, hilly, twin, TARGET]
    assert similar_runs(history, TARGET, PROFILE, k=3) == (twin, hilly, long_run)
    assert similar_runs(history, TARGET, PROFILE, k=10) == (twin, hilly, long_run, short_fast)


def test_missing_heart_rate_is_not_an_advantage() -> None:
    # Equal on every shared feature; the one with HR far off must rank after the one without HR.
    no_hr = earlier(5, 1, 10.0, 310, elevation_gain_m=50.0)
    off_hr = earlier(6, 2, 10.0, 310, avg_hr=175.0, elevation_gain_m=50.0)
    close_hr = earlier(7, 3, 10.0, 310, avg_hr=151.0, elevation_gain_m=50.0)
    assert similar_runs([off_hr, no_hr, close_hr], TARGET, PROFILE, k=3) == (
        close_hr,
        no_hr,
        off_hr,
    )


def test_ties_go_to_the_more_recent_run() -> None:
    old = earlier(30, 1, 10.0, 300, avg_hr=150.0, elevation_gain_m=50.0)
    recent = earlier(3, 2, 10.0, 300, avg_hr=150.0, elevation_gain_m=50.0)
    assert similar_runs([old, recent], TARGET, PROFILE, k=1) == (recent,)


def test_degenerate_requests() -> None:
    history = [earlier(3, 1, 10.0, 300)]
    assert similar_runs(history, TARGET, PROFILE, k=0) == ()
    assert similar_runs([], TARGET, PROFILE) == ()
    no_distance = make_activity(9, TARGET_START, distance_m=0.0)
    assert similar_runs(history, no_distance, PROFILE) == ()
    with pytest.raises(ValueError, match="k must"):
        similar_runs(history, TARGET, PROFILE, k=-1)
