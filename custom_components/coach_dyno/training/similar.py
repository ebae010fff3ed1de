"""
Nearest past runs to a given run, by distance, pace, heart rate and climb.

Each feature difference is divided by a scale that makes one unit "noticeably different" for a
runner, then the distance is the root mean square over the features both runs have (heart rate is
often missing), so a run is never favoured for lacking data:
- distance: log ratio over log(1.25) (a run 25 % longer is one unit away, whatever the length);
- pace: 15 s/km; average heart rate: 8 bpm; climb: 10 m per km.
Only earlier runs of the profile's sport types with distance and moving time are candidates.
"""

from __future__ import annotations

from collections.abc import Iterable
import heapq
import math
from typing import Final

from .activity import Activity, AthleteProfile

DISTANCE_SCALE: Final = math.log(1.25)
PACE_SCALE_S_PER_KM: Final = 15.0
HR_SCALE_BPM: Final = 8.0
CLIMB_SCALE_M_PER_KM: Final = 10.0

type _Features = tuple[float, float, float | None, float]


def _features(activity: Activity) -> _Features | None:
    """Return (log distance, pace s/km, average HR or None, climb m/km), or None without data."""
    if activity.distance_m <= 0 or activity.moving_s <= 0:
        return None
    km = activity.distance_m / 1000.0
    return (
        math.log(activity.distance_m),
        activity.moving_s / km,
        activity.avg_hr or None,
        activity.elevation_gain_m / km,
    )


def _run_distance(first: _Features, second: _Features) -> float:
    """Return the normalised distance between two runs' features."""
    terms = [
        ((first[0] - second[0]) / DISTANCE_SCALE) ** 2,
        ((first[1] - second[1]) / PACE_SCALE_S_PER_KM) ** 2,
        ((first[3] - second[3]) / CLIMB_SCALE_M_PER_KM) ** 2,
    ]
    if first[2] is not None and second[2] is not None:
        terms.append(((first[2] - second[2]) / HR_SCALE_BPM) ** 2)
    return math.sqrt(sum(terms) / len(terms))


def similar_runs(
    activities: Iterable[Activity], target: Activity, profile: AthleteProfile, k: int = 3
) -> tuple[Activity, ...]:
    """Return up to `k` earlier runs most like `target`, closest first."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k!r}")
    wanted = _features(target)
    if wanted is None or k == 0:
        return ()
    scored: list[tuple[float, float, int, Activity]] = []
    for activity in activities:
        if (
            activity.id == target.id
            or activity.start >= target.start
            or activity.sport_type not in profile.sport_types
        ):
            continue
        features = _features(activity)
        if features is not None:
            # Ties go to the more recent run; the id keeps the order total.
            scored.append(
                (
                    _run_distance(wanted, features),
                    -activity.start.timestamp(),
                    activity.id,
                    activity,
                )
            )
    return tuple(entry[3] for entry in heapq.nsmallest(k, scored, key=lambda e: e[:3]))
