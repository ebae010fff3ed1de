"""Banister and Edwards TRIMP held to published worked examples and to their own definitions."""

from __future__ import annotations

from dataclasses import replace
import math

import pytest

from custom_components.coach_dyno.training import (
    AthleteProfile,
    PaceModel,
    Sex,
    Streams,
    StreamSummary,
    activity_trimp,
    banister_trimp,
    banister_trimp_histogram,
    banister_trimp_stream,
    edwards_trimp,
    edwards_trimp_histogram,
    hr_histogram,
    running_tss,
)

from .factories import make_activity

# Published worked examples of Banister's TRIMP (male coefficients 0.64 / 1.92):
# - fellrnr.com "TRIMP" (also Better Workouts' help page): HRmax 200, HRrest 40, 30 min at 130 bpm
#   "is a value of 32"; and the male maximum is "4.37 per minute".
# - calculatorhub.com TRIMP calculator: 45 min, HR 150, rest 60, max 190 -> 75.36.
# - afitpilot.com training lexicon: 60 min, HR 155, rest 55, max 190 -> "about 118".
# - theprimecalculator.com training load: 45 min, HR 145, rest 60, max 190 -> 66.
# Each case: (duration s, HR, rest, max), published value, tolerance for the publication's rounding.
PUBLISHED = [
    ((30 * 60, 130, 40, 200), 32.0, 0.5),
    ((45 * 60, 150, 60, 190), 75.36, 0.05),  # published with HRr rounded to 0.6923
    ((60 * 60, 155, 55, 190), 118.0, 0.5),
    ((45 * 60, 145, 60, 190), 66.0, 0.5),
]


@pytest.mark.parametrize(("session", "expected", "tolerance"), PUBLISHED)
def test_banister_matches_published_examples(
    session: tuple[float, float, float, float], expected: float, tolerance: float
) -> None:
    assert banister_trimp(*session) == pytest.approx(expected, abs=tolerance)


def test_banister_male_maximum_per_minute() -> None:
    assert banister_trimp(60, 200, 40, 200) == pytest.approx(4.37, abs=0.005)


def test_banister_female_coefficients() -> None:
    # Female weighting from the design: 0.86 x e^(1.67 x HRr); 60 min at HRr 0.5.
    expected = 60 * 0.5 * 0.86 * math.exp(1.67 * 0.5)
    assert banister_trimp(3600, 125, 60, 190, sex="female") == pytest.approx(expected)
    assert banister_trimp(3600, 125, 60, 190, sex=Sex.FEMALE) == pytest.approx(expected)


def test_banister_zero_below_rest_and_capped_at_max() -> None:
    assert banister_trimp(3600, 50, 60, 190) == 0.0
    assert banister_trimp(3600, 60, 60, 190) == 0.0
    assert banister_trimp(3600, 230, 60, 190) == banister_trimp(3600, 190, 60, 190)
    assert banister_trimp(0, 150, 60, 190) == 0.0


@pytest.mark.parametrize(
    ("session", "sex", "message"),
    [
        ((-1, 150, 60, 190), "male", "duration_s"),
        ((math.nan, 150, 60, 190), "male", "duration_s"),
        ((math.inf, 150, 60, 190), "male", "duration_s"),
        ((60, -5, 60, 190), "male", "avg_hr"),
        ((60, math.nan, 60, 190), "male", "avg_hr"),
        ((60, 150, 190, 190), "male", "greater than hr_rest"),
        ((60, 150, 200, 190), "male", "greater than hr_rest"),
        ((60, 150, math.nan, 190), "male", "hr_rest"),
        ((60, 150, -1, 190), "male", "hr_rest"),
        ((60, 150, 60, 190), "other", "sex"),
    ],
)
def test_banister_refuses_impossible_input(
    session: tuple[float, float, float, float], sex: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        banister_trimp(*session, sex)


def test_stream_of_constant_heart_rate_equals_average_form() -> None:
    times = [float(t) for t in range(1801)]
    hr = [150.0] * 1801
    assert banister_trimp_stream(times, hr, 60, 190) == pytest.approx(
        banister_trimp(1800, 150, 60, 190)
    )


def test_stream_holds_each_sample_until_the_next() -> None:
    # 10 min at 120 then 10 min at 170, one sample every 10 s; the last sample adds nothing.
    times = [float(t) for t in range(0, 1201, 10)]
    hr = [120.0 if t < 600 else 170.0 for t in times[:-1]] + [999.0]
    expected = banister_trimp(600, 120, 60, 190) + banister_trimp(600, 170, 60, 190)
    assert banister_trimp_stream(times, hr, 60, 190) == pytest.approx(expected)


def test_stream_skips_pauses_and_dropouts() -> None:
    times = [0.0, 30.0, 60.0, 400.0, 430.0, 460.0]
    hr = [150.0, 150.0, 150.0, math.nan, 150.0, 150.0]
    # 0-30, 30-60 count; 60-400 is a pause; 400-430 is a dropout; 430-460 counts.
    assert banister_trimp_stream(times, hr, 60, 190) == pytest.approx(
        banister_trimp(90, 150, 60, 190)
    )


def test_stream_edge_cases() -> None:
    assert banister_trimp_stream([], [], 60, 190) == 0.0
    assert banister_trimp_stream([0.0], [150.0], 60, 190) == 0.0
    with pytest.raises(ValueError, match="samples"):
        banister_trimp_stream([0.0, 1.0], [150.0], 60, 190)
    with pytest.raises(ValueError, match="non-decreasing"):
        banister_trimp_stream([0.0, 5.0, 3.0], [150.0] * 3, 60, 190)
    with pytest.raises(ValueError, match="non-decreasing"):
        banister_trimp_stream([0.0, math.nan], [150.0] * 2, 60, 190)
    with pytest.raises(ValueError, match=">= 0"):
        banister_trimp_stream([0.0, 1.0], [-3.0, 150.0], 60, 190)
    with pytest.raises(ValueError, match="hr_max"):
        banister_trimp_stream([0.0, 1.0], [150.0, 150.0], 190, 60)


def test_histogram_rounds_half_up_and_sorts() -> None:
    times = [0.0, 10.0, 20.0, 30.0, 40.0]
    hr = [150.5, 150.4, 140.0, 149.6, 0.0]
    assert hr_histogram(times, hr) == ((140, 10.0), (150, 20.0), (151, 10.0))


def test_histogram_form_equals_stream_form() -> None:
    times = [float(t) for t in range(0, 3600, 5)]
    hr = [100.0 + (t % 700) / 10.0 for t in times]
    histogram = hr_histogram(times, hr)
    assert banister_trimp_histogram(histogram, 55, 185, "female") == pytest.approx(
        banister_trimp_stream(times, hr, 55, 185, "female"), rel=1e-12
    )
    assert edwards_trimp_histogram(histogram, 185) == pytest.approx(
        edwards_trimp(times, hr, 185), rel=1e-12
    )


def test_histogram_refuses_bad_entries() -> None:
    with pytest.raises(ValueError, match="seconds"):
        banister_trimp_histogram([(150, -1.0)], 60, 190)
    with pytest.raises(ValueError, match="seconds"):
        banister_trimp_histogram([(150, math.nan)], 60, 190)
    with pytest.raises(ValueError, match="bpm"):
        edwards_trimp_histogram([(-1, 10.0)], 190)


def test_edwards_zones() -> None:
    # Edwards' zones (The Heart Rate Monitor Book): 50-60 % HRmax x1, 60-70 x2, 70-80 x3,
    # 80-90 x4, 90-100 x5. HRmax 200; 10 min at each of these heart rates, sampled every 30 s.
    zones = [(90.0, 0), (100.0, 1), (125.0, 2), (145.0, 3), (165.0, 4), (185.0, 5), (210.0, 5)]
    times = [30.0 * i for i in range(20 * len(zones) + 1)]
    hr = [beat for beat, _ in zones for _ in range(20)] + [0.0]
    assert edwards_trimp(times, hr, 200) == pytest.approx(10.0 * sum(w for _, w in zones))
    assert edwards_trimp_histogram([(119, 600.0), (120, 600.0)], 200) == pytest.approx(30.0)


def test_edwards_refuses_bad_max() -> None:
    with pytest.raises(ValueError, match="hr_max"):
        edwards_trimp([0.0, 1.0], [150.0, 150.0], 0)
    with pytest.raises(ValueError, match="hr_max"):
        edwards_trimp_histogram([], math.nan)


PROFILE = AthleteProfile(hr_rest=60, hr_max=190)


def test_activity_trimp_prefers_histogram_then_streams_then_average() -> None:
    histogram = ((170, 1800.0),)
    with_summary = make_activity(avg_hr=140.0, stream_summary=StreamSummary(hr_seconds=histogram))
    assert activity_trimp(with_summary, PROFILE) == pytest.approx(
        banister_trimp(1800, 170, 60, 190)
    )
    streams = Streams(time_s=(0.0, 60.0, 120.0), heartrate=(160.0, 160.0, 0.0))
    with_streams = make_activity(avg_hr=140.0, streams=streams)
    assert activity_trimp(with_streams, PROFILE) == pytest.approx(banister_trimp(120, 160, 60, 190))
    averaged = make_activity(avg_hr=140.0, moving_s=3000.0)
    assert activity_trimp(averaged, PROFILE) == pytest.approx(banister_trimp(3000, 140, 60, 190))


def test_activity_trimp_missing_data() -> None:
    assert activity_trimp(make_activity(), PROFILE) is None
    assert activity_trimp(make_activity(avg_hr=0.0), PROFILE) is None
    assert activity_trimp(make_activity(avg_hr=150.0, moving_s=0.0), PROFILE) is None
    # An empty histogram or an unusable stream falls back to the average.
    empty = make_activity(avg_hr=150.0, stream_summary=StreamSummary(hr_seconds=()))
    assert activity_trimp(empty, PROFILE) == pytest.approx(banister_trimp(3000, 150, 60, 190))
    paused = Streams(time_s=(0.0, 500.0), heartrate=(150.0, 150.0))
    assert activity_trimp(make_activity(avg_hr=150.0, streams=paused), PROFILE) == pytest.approx(
        banister_trimp(3000, 150, 60, 190)
    )
    # Manual entries often only have elapsed time.
    elapsed_only = make_activity(avg_hr=150.0, moving_s=0.0, elapsed_s=1200.0)
    assert activity_trimp(elapsed_only, PROFILE) == pytest.approx(
        banister_trimp(1200, 150, 60, 190)
    )


def test_histogram_trimp_follows_a_profile_change() -> None:
    """A histogram remembers its TRIMP per athlete model, never across a change of heart rates."""
    summary = StreamSummary(hr_seconds=((140, 1200.0), (160, 600.0)))
    run = make_activity(moving_s=1800.0, stream_summary=summary)
    easy = AthleteProfile(hr_rest=50, hr_max=190)
    hard = AthleteProfile(hr_rest=60, hr_max=180)
    expected_easy = banister_trimp_histogram(summary.hr_seconds, 50, 190)
    expected_hard = banister_trimp_histogram(summary.hr_seconds, 60, 180)
    assert expected_easy != pytest.approx(expected_hard)

    for profile, expected in ((easy, expected_easy), (hard, expected_hard), (easy, expected_easy)):
        assert activity_trimp(run, profile) == pytest.approx(expected)


def test_running_tss_follows_its_definition() -> None:
    # One hour at threshold pace is 100 by definition; IF enters squared.
    assert running_tss(3600.0, 12000.0, 300.0) == pytest.approx(100.0)
    assert running_tss(1800.0, 5000.0, 300.0) == pytest.approx(50.0 * (300.0 / 360.0) ** 2)
    with pytest.raises(ValueError, match="threshold"):
        running_tss(1800.0, 5000.0, 0.0)


def test_pace_model_scales_rtss_to_trimp() -> None:
    profile = AthleteProfile(hr_rest=50.0, hr_max=190.0)
    hour_at_threshold = make_activity(distance_m=12000.0, moving_s=3600.0)
    # Without enough runs of its own, an hour at threshold pace is worth an hour at 90 % HRmax.
    default = PaceModel.calibrated(300.0, profile, [])
    assert default.activity(hour_at_threshold) == pytest.approx(
        banister_trimp(3600.0, 0.9 * 190.0, 50.0, 190.0)
    )
    with_lthr = PaceModel.calibrated(300.0, replace(profile, lthr=160.0), [])
    assert with_lthr.activity(hour_at_threshold) == pytest.approx(
        banister_trimp(3600.0, 160.0, 50.0, 190.0)
    )
    # Five runs with both: the runner's own TRIMP per rTSS point (a run without distance has no
    # pace and does not count).
    measured = [(hour_at_threshold, 120.0)] * 5 + [(make_activity(distance_m=0.0), 50.0)]
    assert PaceModel.calibrated(300.0, profile, measured).activity(
        hour_at_threshold
    ) == pytest.approx(120.0)
    # Four are not enough to trust.
    four = PaceModel.calibrated(300.0, profile, measured[:4])
    assert four.trimp_per_tss == pytest.approx(default.trimp_per_tss)
    assert default.activity(make_activity(distance_m=0.0)) is None
    assert default.activity(make_activity(moving_s=0.0)) is None
