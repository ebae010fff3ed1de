"""Tests for converting Strava JSON to activities and streams."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from custom_components.coach_dyno.sources.convert import (
    activity_from_strava,
    streams_from_strava,
)
from custom_components.coach_dyno.sources.strava import StravaResponseError
from tests.fakes.strava import FakeStrava

START = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)


def raw(index: int = 0, **overrides: Any) -> dict[str, Any]:
    """Return a detailed activity as the fake Strava serves it."""
    return FakeStrava().make_activity(index, START, **overrides)


def raw_with(field: str, value: Any) -> dict[str, Any]:
    """Return a detailed activity with one field set."""
    data = raw()
    data[field] = value
    return data


def test_summary_activity_maps_every_field() -> None:
    data = FakeStrava().summary(raw(4))
    activity = activity_from_strava(data)
    assert activity.id == data["id"]
    assert activity.start == START
    assert activity.start.tzinfo is not None
    assert activity.start.utcoffset() == START.utcoffset()
    assert activity.sport_type == "Run"
    assert activity.name == data["name"]
    assert activity.distance_m == data["distance"]
    assert activity.moving_s == data["moving_time"]
    assert activity.elapsed_s == data["elapsed_time"]
    assert activity.elevation_gain_m == data["total_elevation_gain"]
    assert activity.avg_hr == data["average_heartrate"]
    assert activity.max_hr == data["max_heartrate"]
    assert (activity.manual, activity.trainer, activity.race) == (False, False, False)
    assert activity.streams is None
    assert activity.stream_summary is None


def test_detailed_activity_converts_like_its_summary() -> None:
    data = raw(4)
    assert data["resource_state"] == 3
    assert activity_from_strava(data) == activity_from_strava(FakeStrava().summary(data))


def test_start_is_utc_even_when_the_local_time_differs() -> None:
    # start_date_local is 7 h ahead; only start_date (UTC) counts.
    activity = activity_from_strava(raw(start_date="2026-03-08T23:30:00Z"))
    assert activity.start == datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    assert activity.start.tzinfo == UTC


def test_offset_and_naive_start_dates_become_utc() -> None:
    offset = activity_from_strava(raw(start_date="2026-03-09T06:30:00+07:00"))
    naive = activity_from_strava(raw(start_date="2026-03-08T23:30:00"))
    assert offset.start == naive.start == START
    assert offset.start.tzinfo == naive.start.tzinfo == UTC


@pytest.mark.parametrize(
    ("sport_type", "workout_type", "race"),
    [
        ("Run", 1, True),
        ("TrailRun", 1, True),
        ("VirtualRun", 1, True),
        ("Run", 0, False),
        ("Run", None, False),
        ("Run", 3, False),
        ("Ride", 1, False),
        ("Ride", 11, False),
    ],
)
def test_race_is_workout_type_one_on_runs(
    sport_type: str, workout_type: int | None, race: bool
) -> None:
    activity = activity_from_strava(raw(sport_type=sport_type, workout_type=workout_type))
    assert activity.race is race


def test_unknown_sport_type_is_kept_as_is(caplog: pytest.LogCaptureFixture) -> None:
    activity = activity_from_strava(raw(sport_type="UnderwaterHockey", type="Workout"))
    assert activity.sport_type == "UnderwaterHockey"
    assert not activity.is_run
    assert "UnderwaterHockey" not in caplog.text  # no warning for each such activity


def test_missing_optional_fields_become_none_or_zero() -> None:
    minimal = {"id": 7, "start_date": "2026-03-08T23:30:00Z", "sport_type": "Run"}
    activity = activity_from_strava(minimal)
    assert activity.id == 7
    assert activity.name == ""
    assert (activity.distance_m, activity.moving_s, activity.elapsed_s) == (0.0, 0.0, 0.0)
    assert activity.elevation_gain_m == 0.0
    assert activity.avg_hr is None
    assert activity.max_hr is None
    assert (activity.manual, activity.trainer, activity.race) == (False, False, False)


def test_heart_rate_is_ignored_when_strava_says_there_is_none() -> None:
    activity = activity_from_strava(
        raw(has_heartrate=False, average_heartrate=150.0, max_heartrate=170.0)
    )
    assert activity.avg_hr is None
    assert activity.max_hr is None


def test_fractional_max_heart_rate_is_kept() -> None:
    assert activity_from_strava(raw(max_heartrate=171.5)).max_hr == 171.5


def test_manual_and_trainer_flags() -> None:
    activity = activity_from_strava(raw(manual=True, trainer=True))
    assert (activity.manual, activity.trainer) == (True, True)


@pytest.mark.parametrize("missing", ["id", "start_date", "sport_type"])
def test_missing_required_field_is_a_response_error(missing: str) -> None:
    data = raw()
    del data[missing]
    with pytest.raises(StravaResponseError, match=f"without {missing}"):
        activity_from_strava(data)


@pytest.mark.parametrize("missing", ["id", "start_date", "sport_type"])
def test_null_or_empty_required_field_is_a_response_error(missing: str) -> None:
    with pytest.raises(StravaResponseError, match=missing):
        activity_from_strava(raw_with(missing, None))
    if missing == "sport_type":
        with pytest.raises(StravaResponseError, match=missing):
            activity_from_strava(raw(sport_type=""))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("distance", "far"),
        ("moving_time", "long"),
        ("start_date", "yesterday"),
        ("average_heartrate", "high"),
        ("manual", "perhaps"),
        ("id", "abc"),
    ],
)
def test_invalid_field_types_are_response_errors(field: str, value: Any) -> None:
    with pytest.raises(StravaResponseError, match=field) as err:
        activity_from_strava(raw_with(field, value))
    if field != "id":  # the id names the activity; other values never reach the message
        assert str(value) not in str(err.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_heartrate", True),
        ("max_heartrate", "170"),
        ("max_heartrate", float("inf")),
        ("average_heartrate", float("nan")),
        ("total_elevation_gain", float("nan")),
    ],
)
def test_non_finite_or_non_numeric_values_are_response_errors(field: str, value: Any) -> None:
    with pytest.raises(StravaResponseError, match=field):
        activity_from_strava(raw_with(field, value))


def test_impossible_values_are_response_errors() -> None:
    with pytest.raises(StravaResponseError, match="distance_m"):
        activity_from_strava(raw(distance=-5.0))


def test_wrong_sport_type_type_is_a_response_error() -> None:
    with pytest.raises(StravaResponseError, match="sport_type"):
        activity_from_strava(raw(sport_type=["Run"]))


@pytest.mark.parametrize("data", [None, [], "activity", 42])
def test_non_object_activity_is_a_response_error(data: Any) -> None:
    with pytest.raises(StravaResponseError, match="not an object"):
        activity_from_strava(data)


def stream(values: list[Any], kind: str | None = None) -> dict[str, Any]:
    """Return one Strava stream object."""
    data: dict[str, Any] = {
        "data": values,
        "series_type": "distance",
        "original_size": len(values),
        "resolution": "high",
    }
    if kind is not None:
        data["type"] = kind
    return data


def test_streams_keyed_by_type() -> None:
    streams = streams_from_strava(
        {
            "time": stream([0, 5, 10]),
            "heartrate": stream([120, 125, 131]),
            "distance": stream([0.0, 14.5, 29.8]),
            "altitude": stream([10.0, 10.4, 10.1]),
            "cadence": stream([80, 82, 84]),
        }
    )
    assert streams is not None
    assert streams.time_s == (0.0, 5.0, 10.0)
    assert streams.heartrate == (120.0, 125.0, 131.0)
    assert streams.distance_m == (0.0, 14.5, 29.8)
    assert streams.altitude_m == (10.0, 10.4, 10.1)


def test_streams_as_a_list_of_typed_streams() -> None:
    streams = streams_from_strava([stream([0, 5], "time"), stream([0.0, 15.0], "distance"), "junk"])
    assert streams is not None
    assert streams.time_s == (0.0, 5.0)
    assert streams.distance_m == (0.0, 15.0)
    assert streams.heartrate is None
    assert streams.altitude_m is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        [],
        {"distance": stream([0.0, 10.0])},
        {"time": stream([]), "distance": stream([])},
        {"time": {"series_type": "distance"}},
    ],
)
def test_streams_without_time_samples_are_none(data: Any) -> None:
    assert streams_from_strava(data) is None


def test_empty_optional_stream_is_dropped() -> None:
    streams = streams_from_strava({"time": stream([0, 5]), "heartrate": stream([])})
    assert streams is not None
    assert streams.heartrate is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("streams", "neither an object nor a list"),
        ({"time": stream([0, 5]), "heartrate": stream([120])}, "different lengths"),
        ({"time": stream([0, "five"])}, "non-numeric"),
        ({"time": stream([0, True])}, "non-numeric"),
        ({"time": {"data": "0,5"}}, "time stream"),
        ({"time": {"data": 5}}, "invalid time stream"),
        ({"time": [0, 5]}, "invalid time stream"),
    ],
)
def test_malformed_streams_are_response_errors(data: Any, message: str) -> None:
    with pytest.raises(StravaResponseError, match=message):
        streams_from_strava(data)


def test_fake_streams_convert_with_aligned_series() -> None:
    fake = FakeStrava()
    activity = raw(4)
    streams = streams_from_strava(fake.streams(activity))
    assert streams is not None
    assert streams.heartrate is not None
    assert streams.distance_m is not None
    assert len(streams.time_s) == len(streams.heartrate) == len(streams.distance_m)
    assert streams.distance_m[-1] == pytest.approx(activity["distance"], abs=0.1)
