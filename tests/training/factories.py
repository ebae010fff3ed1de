"""Builders of activities and profiles for the training tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from custom_components.coach_dyno.training import Activity

_DEFAULT_START = datetime(2026, 5, 1, 7, 0, tzinfo=UTC)


def make_activity(
    activity_id: int = 1,
    start: datetime = _DEFAULT_START,
    sport_type: str = "Run",
    distance_m: float = 10000.0,
    moving_s: float = 3000.0,
    **extra: Any,
) -> Activity:
    """Return an activity with sensible defaults (a 10 km run in 50 min)."""
    return Activity(
        id=activity_id,
        start=start,
        sport_type=sport_type,
        distance_m=distance_m,
        moving_s=moving_s,
        **extra,
    )


def steady_stream(
    seconds: int, speed_m_s: float, hr: float, step: int = 1
) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    """Return (time, distance, heart rate) of a run at constant speed and heart rate."""
    times = tuple(float(t) for t in range(0, seconds + 1, step))
    return times, tuple(t * speed_m_s for t in times), tuple(hr for _ in times)
