"""Property tests: the laws the formulas must obey for any input, not just the examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import itertools

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.coach_dyno.training import (
    AthleteProfile,
    Period,
    banister_trimp,
    banister_trimp_histogram,
    banister_trimp_stream,
    hr_histogram,
    pmc,
    race_time,
    vdot,
    volume_by_period,
)

from .factories import make_activity

durations = st.floats(min_value=0, max_value=6 * 3600, allow_nan=False)
heart_rates = st.floats(min_value=0, max_value=250, allow_nan=False)
rests = st.floats(min_value=30, max_value=80, allow_nan=False)
sexes = st.sampled_from(["male", "female"])
loads = st.lists(st.floats(min_value=0, max_value=1000, allow_nan=False), max_size=120)


@given(durations, rests, st.floats(min_value=0, max_value=1, allow_nan=False), sexes)
def test_trimp_is_zero_at_or_below_rest(
    duration: float, rest: float, below: float, sex: str
) -> None:
    assert banister_trimp(duration, rest * below, rest, 190, sex) == 0.0


@given(durations, durations, heart_rates, rests, sexes)
def test_trimp_grows_with_duration(
    first: float, second: float, hr: float, rest: float, sex: str
) -> None:
    short, long = sorted((first, second))
    assert banister_trimp(short, hr, rest, 190, sex) <= banister_trimp(long, hr, rest, 190, sex)


@given(durations, heart_rates, heart_rates, rests, sexes)
def test_trimp_grows_with_heart_rate(
    duration: float, first: float, second: float, rest: float, sex: str
) -> None:
    low, high = sorted((first, second))
    assert banister_trimp(duration, low, rest, 190, sex) <= banister_trimp(
        duration, high, rest, 190, sex
    )


streams = st.lists(
    st.tuples(st.floats(min_value=0.5, max_value=90), st.integers(min_value=0, max_value=220)),
    max_size=200,
)


def _stream(steps: list[tuple[float, int]]) -> tuple[list[float], list[float]]:
    """Turn (interval, bpm) pairs into time and heart-rate samples."""
    times, hr, moment = [0.0], [], 0.0
    for step, beat in steps:
        moment += step
        times.append(moment)
        hr.append(float(beat))
    return times, [*hr, 0.0]


@given(streams, streams, sexes)
def test_stream_trimp_never_shrinks_as_the_run_goes_on(
    head: list[tuple[float, int]], tail: list[tuple[float, int]], sex: str
) -> None:
    times, hr = _stream(head)
    longer_times, longer_hr = _stream(head + tail)
    assert (
        banister_trimp_stream(times, hr, 55, 190, sex)
        <= banister_trimp_stream(longer_times, longer_hr, 55, 190, sex) + 1e-9
    )


@given(streams, sexes)
def test_histogram_equals_per_sample_integration(steps: list[tuple[float, int]], sex: str) -> None:
    times, hr = _stream(steps)
    assert banister_trimp_histogram(hr_histogram(times, hr), 55, 190, sex) == pytest.approx(
        banister_trimp_stream(times, hr, 55, 190, sex), rel=1e-9, abs=1e-9
    )


@given(
    loads.flatmap(
        lambda x: st.tuples(
            st.just(x),
            st.lists(
                st.floats(min_value=0, max_value=1000, allow_nan=False),
                min_size=len(x),
                max_size=len(x),
            ),
        )
    ),
    st.floats(min_value=0, max_value=5, allow_nan=False),
    st.floats(min_value=0, max_value=5, allow_nan=False),
)
def test_pmc_is_linear_in_the_loads(
    pair: tuple[list[float], list[float]], a: float, b: float
) -> None:
    x, y = pair
    combined = pmc([a * p + b * q for p, q in zip(x, y, strict=True)])
    for day, px, py in zip(combined, pmc(x), pmc(y), strict=True):
        assert day.ctl == pytest.approx(a * px.ctl + b * py.ctl, rel=1e-9, abs=1e-9)
        assert day.atl == pytest.approx(a * px.atl + b * py.atl, rel=1e-9, abs=1e-9)
        assert day.tsb == pytest.approx(a * px.tsb + b * py.tsb, rel=1e-9, abs=1e-9)


@given(
    st.floats(min_value=0.1, max_value=500),
    st.floats(min_value=0.1, max_value=500),
    st.integers(1, 100),
)
def test_pmc_decays_without_load(ctl0: float, atl0: float, days: int) -> None:
    chart = pmc([0.0] * days, ctl0, atl0)
    ctls = [ctl0] + [day.ctl for day in chart]
    atls = [atl0] + [day.atl for day in chart]
    assert all(later < earlier for earlier, later in itertools.pairwise(ctls))
    assert all(later < earlier for earlier, later in itertools.pairwise(atls))
    assert chart[-1].ctl == pytest.approx(ctl0 * 2.718281828459045 ** (-days / 42))


@given(
    st.floats(min_value=20, max_value=85),
    st.floats(min_value=400, max_value=100_000),
)
def test_race_time_is_the_inverse_of_vdot(level: float, distance: float) -> None:
    seconds = race_time(level, distance)
    assert vdot(distance, seconds) == pytest.approx(level, rel=1e-6)


@given(st.floats(min_value=1000, max_value=50_000), st.floats(min_value=2.0, max_value=6.0))
def test_vdot_then_race_time_returns_the_time(distance: float, speed: float) -> None:
    seconds = distance / speed
    assert race_time(vdot(distance, seconds), distance) == pytest.approx(seconds, abs=1.0)


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=3 * 366 * 24 * 60),
            st.floats(min_value=0, max_value=50_000, allow_nan=False),
            st.sampled_from(["Run", "TrailRun", "Ride", "Yoga"]),
        ),
        max_size=60,
    ),
    st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]),
    st.sampled_from(list(Period)),
)
def test_period_sums_equal_the_total(
    entries: list[tuple[int, float, str]], zone: str, period: Period
) -> None:
    origin = datetime(2024, 1, 1, tzinfo=UTC)
    activities = [
        make_activity(i, origin + timedelta(minutes=minute), kind, distance, distance / 3)
        for i, (minute, distance, kind) in enumerate(entries)
    ]
    profile = AthleteProfile(time_zone=zone)
    totals = volume_by_period(activities, profile, period)
    runs = [a for a in activities if a.sport_type in profile.sport_types]
    assert sum(v.count for v in totals.values()) == len(runs)
    assert sum(v.distance_m for v in totals.values()) == pytest.approx(
        sum(a.distance_m for a in runs)
    )
    assert sum(v.moving_s for v in totals.values()) == pytest.approx(sum(a.moving_s for a in runs))
