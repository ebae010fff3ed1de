"""Efficiency factor, aerobic decoupling and the stream summary."""

from __future__ import annotations

import math

import pytest

from custom_components.coach_dyno.training import (
    Streams,
    StreamSummary,
    activity_efficiency_factor,
    aerobic_decoupling,
    efficiency_factor,
    hr_histogram,
    summarize_streams,
)

from .factories import make_activity, steady_stream


def test_steady_run_has_ef_of_speed_over_hr_and_no_decoupling() -> None:
    # 200 m/min at 150 bpm for 40 min: EF = 200 / 150 (Friel's definition, speed over HR).
    times, distance, hr = steady_stream(2400, 200 / 60, 150.0)
    assert efficiency_factor(times, distance, hr) == pytest.approx(200 / 150)
    assert aerobic_decoupling(times, distance, hr) == pytest.approx(0.0, abs=1e-9)


def test_cardiac_drift_shows_as_decoupling() -> None:
    # Same pace, HR 150 in the first half and 165 in the second:
    # EF1 = 200/150, EF2 = 200/165, Pa:HR = (EF1 - EF2) / EF1 = 1 - 150/165.
    times, distance, _ = steady_stream(2400, 200 / 60, 0.0, step=5)
    hr = tuple(150.0 if t < 1200 else 165.0 for t in times)
    assert aerobic_decoupling(times, distance, hr) == pytest.approx((1 - 150 / 165) * 100)
    ef1, ef2 = 200 / 150, 200 / 165
    assert efficiency_factor(times, distance, hr) == pytest.approx(
        2 / (1 / ef1 + 1 / ef2)  # equal distance in each half: the harmonic mean
    )


def test_interval_straddling_the_midpoint_is_shared() -> None:
    # 7-s samples: the midpoint of 1505 s falls inside an interval; a steady run stays at 0 %.
    times, distance, hr = steady_stream(1505, 3.0, 140.0, step=7)
    assert aerobic_decoupling(times, distance, hr) == pytest.approx(0.0, abs=1e-9)
    # Slowing down in the second half is positive decoupling.
    slowing = tuple(
        d if t <= 756 else 756 * 3.0 + (t - 756) * 2.7 for t, d in zip(times, distance, strict=True)
    )
    assert aerobic_decoupling(times, slowing, hr) == pytest.approx(10.0, abs=0.5)


def test_short_or_empty_recordings() -> None:
    times, distance, hr = steady_stream(600, 3.0, 150.0)
    assert aerobic_decoupling(times, distance, hr) is None
    assert efficiency_factor(times, distance, hr) == pytest.approx(180 / 150)
    assert efficiency_factor([], [], []) is None
    standing = steady_stream(2400, 0.0, 100.0)
    assert efficiency_factor(*standing) is None
    assert aerobic_decoupling(*standing) is None


def test_pauses_dropouts_and_gps_steps_back() -> None:
    times = (0.0, 10.0, 20.0, 200.0, 210.0, 220.0, 230.0)
    distance = (0.0, 30.0, 60.0, 600.0, 630.0, 620.0, math.nan)
    hr = (150.0, 150.0, 150.0, 150.0, 0.0, 150.0, 150.0)
    # Counted: 0-10 (30 m), 10-20 (30 m), 200-210 (30 m, the 540 m over the pause is dropped),
    # 210-220 HR 0 (dropout) and 220-230 NaN distance are not; total 90 m over 30 s at 150.
    assert efficiency_factor(times, distance, hr) == pytest.approx(60 * 90 / (150 * 30))
    back = (0.0, 10.0, 20.0)
    assert efficiency_factor(back, (0.0, 30.0, 25.0), (150.0, 150.0, 150.0)) == pytest.approx(
        60 * 30 / (150 * 20)
    )


def test_bad_streams_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        efficiency_factor([0.0, 1.0], [0.0], [150.0, 150.0])
    with pytest.raises(ValueError, match="non-decreasing"):
        efficiency_factor([0.0, 2.0, 1.0], [0.0, 1.0, 2.0], [150.0] * 3)
    with pytest.raises(ValueError, match=">= 0"):
        aerobic_decoupling([0.0, 1.0], [0.0, 1.0], [-1.0, 150.0])


def test_summarize_streams() -> None:
    times, distance, hr = steady_stream(2400, 200 / 60, 150.0)
    summary = summarize_streams(Streams(time_s=times, heartrate=hr, distance_m=distance))
    assert summary.hr_seconds == ((150, 2400.0),)
    assert summary.efficiency_factor == pytest.approx(200 / 150)
    assert summary.decoupling_pct == pytest.approx(0.0, abs=1e-9)

    no_distance = summarize_streams(Streams(time_s=times, heartrate=hr))
    assert no_distance == StreamSummary(hr_seconds=hr_histogram(times, hr))
    assert summarize_streams(Streams(time_s=times, distance_m=distance)) == StreamSummary(
        hr_seconds=()
    )


def test_activity_efficiency_factor() -> None:
    from_streams = make_activity(
        avg_hr=150.0, stream_summary=StreamSummary(hr_seconds=(), efficiency_factor=1.5)
    )
    assert activity_efficiency_factor(from_streams) == 1.5
    # 10 km in 50 min = 200 m/min at 160 bpm.
    from_average = make_activity(avg_hr=160.0, stream_summary=StreamSummary(hr_seconds=()))
    assert activity_efficiency_factor(from_average) == pytest.approx(200 / 160)
    assert activity_efficiency_factor(make_activity()) is None
    assert activity_efficiency_factor(make_activity(avg_hr=150.0, distance_m=0.0)) is None
