"""The activity and athlete models: validation and persistence round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
import json
import math

import pytest

from custom_components.coach_dyno.training import (
    Activity,
    AthleteProfile,
    GoalRace,
    HrHistogram,
    Streams,
    StreamSummary,
)

from .factories import make_activity


def test_round_trip_through_json() -> None:
    activity = make_activity(
        42,
        datetime(2026, 5, 1, 7, 30, tzinfo=timezone(timedelta(hours=2))),
        "TrailRun",
        name="Ridge",
        elapsed_s=3100.0,
        elevation_gain_m=420.0,
        avg_hr=151.0,
        max_hr=178.0,
        race=True,
        stream_summary=StreamSummary(
            hr_seconds=((150, 1200.0), (160, 1800.0)), efficiency_factor=1.3, decoupling_pct=4.2
        ),
        streams=Streams(time_s=(0.0, 1.0), heartrate=(150.0, 151.0)),
    )
    data = json.loads(json.dumps(activity.as_dict()))
    assert "streams" not in data
    restored = Activity.from_dict(data)
    assert restored == activity  # streams are not part of equality
    assert restored.streams is None
    assert restored.start.utcoffset() == timedelta(hours=2)


def test_round_trip_without_optional_parts() -> None:
    activity = make_activity()
    data = activity.as_dict()
    assert "stream_summary" not in data
    assert Activity.from_dict(data) == activity
    minimal = Activity.from_dict(
        {"id": "7", "start": "2026-05-01T07:00:00+00:00", "sport_type": "Run", "avg_hr": 150}
    )
    assert (minimal.id, minimal.distance_m, minimal.avg_hr) == (7, 0.0, 150.0)


def test_hr_histogram_packs_merges_and_compares_as_pairs() -> None:
    histogram = HrHistogram([(160, 60.0), (150, 30.0), (160, 15.0)])
    assert list(histogram) == [(150, 30.0), (160, 75.0)]
    assert histogram == ((150, 30.0), (160, 75.0)) == HrHistogram([(150, 30.0), (160, 75.0)])
    assert histogram == [[150, 30.0], [160, 75.0]]
    assert histogram != "150:30"
    assert hash(histogram) == hash(((150, 30.0), (160, 75.0)))
    assert repr(histogram) == "HrHistogram(((150, 30.0), (160, 75.0)))"
    for bad in ((-1, 10.0), (150, -1.0), (150, math.nan), (math.inf, 10.0)):
        with pytest.raises(ValueError, match="histogram bins"):
            HrHistogram([bad])  # type: ignore[list-item]


def test_is_run() -> None:
    assert make_activity(sport_type="VirtualRun").is_run
    assert not make_activity(sport_type="Ride").is_run
    assert not make_activity(sport_type="SomethingNew").is_run


@pytest.mark.parametrize(
    "changes",
    [
        {"start": datetime(2026, 5, 1, 7)},  # naive  # noqa: DTZ001
        {"distance_m": -1.0},
        {"moving_s": math.nan},
        {"elapsed_s": math.inf},
        {"elevation_gain_m": -5.0},
        {"avg_hr": math.nan},
        {"max_hr": -1.0},
    ],
)
def test_activity_refuses_impossible_values(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "id": 1,
        "start": datetime(2026, 5, 1, 7, tzinfo=UTC),
        "sport_type": "Run",
    }
    fields.update(changes)
    with pytest.raises(ValueError, match="Activity"):
        Activity(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [{"distance_m": 0.0}, {"distance_m": math.nan}, {"goal_time_s": 0.0}, {"goal_time_s": -5.0}],
)
def test_goal_refuses_impossible_values(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {"race_date": date(2026, 10, 1), "distance_m": 21097.5}
    fields.update(changes)
    with pytest.raises(ValueError, match="GoalRace"):
        GoalRace(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rest", "peak"), [(60.0, 60.0), (190.0, 60.0), (0.0, 190.0), (math.nan, 190.0)]
)
def test_profile_refuses_impossible_heart_rates(rest: float, peak: float) -> None:
    with pytest.raises(ValueError, match=r"hr_max|finite"):
        AthleteProfile(hr_rest=rest, hr_max=peak)
