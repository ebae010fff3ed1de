"""Readiness from HRV, resting HR and sleep against the runner's own baseline."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from custom_components.coach_dyno.training.readiness import (
    NO_READINESS,
    ReadinessState,
    Reason,
    assess_readiness,
    median_resting_hr,
)
from custom_components.coach_dyno.training.wellness import WellnessDay

TODAY = date(2026, 11, 3)


def history(
    days: int = 60,
    *,
    hrv: float | None = 60.0,
    rhr: float | None = 50.0,
    recent: int = 0,
    recent_hrv: float | None = None,
    recent_rhr: float | None = None,
    sleep_h: float | None = None,
    score: float | None = None,
) -> list[WellnessDay]:
    """Return `days` mornings up to today, a little noisy, the last `recent` ones different."""
    out = []
    for back in range(days):
        day = TODAY - timedelta(days=back)
        wobble = (-1) ** back * (back % 4)
        late = back < recent
        out.append(
            WellnessDay(
                day,
                resting_hr=None
                if rhr is None
                else (recent_rhr if late and recent_rhr else rhr) + wobble * 0.5,
                hrv_rmssd=None
                if hrv is None
                else (recent_hrv if late and recent_hrv else hrv) + wobble,
                sleep_seconds=None if back or sleep_h is None else sleep_h * 3600,
                sleep_score=None if back else score,
            )
        )
    return out


def test_a_normal_week_is_ready_with_its_numbers() -> None:
    """HRV and resting HR inside their ranges and a full night: ready, numbers given."""
    readiness = assess_readiness(history(sleep_h=7.5, score=82), TODAY)
    assert readiness.state is ReadinessState.READY
    assert readiness.reasons == ()
    assert readiness.hrv_7d == pytest.approx(60, abs=2)
    assert readiness.hrv_baseline == pytest.approx(60, abs=2)
    low, high = readiness.hrv_range or (0, 0)
    assert low < readiness.hrv_baseline < high
    assert readiness.rhr_7d == pytest.approx(50, abs=1)
    assert readiness.sleep_hours == 7.5
    assert readiness.sleep_score == 82


def test_hrv_below_the_normal_range_is_caution_and_counts_the_days() -> None:
    """Four mornings of low HRV pull the 7-day mean below the range: caution, days counted."""
    readiness = assess_readiness(history(recent=4, recent_hrv=35.0), TODAY)
    assert readiness.state is ReadinessState.CAUTION
    assert readiness.reasons == (Reason.HRV_LOW,)
    assert readiness.hrv_7d is not None
    assert readiness.hrv_range is not None
    assert readiness.hrv_7d < readiness.hrv_range[0]
    assert 1 <= readiness.hrv_days_below <= 4


def test_high_hrv_is_no_warning() -> None:
    """Above the range is recovery, not a warning."""
    assert assess_readiness(history(recent=4, recent_hrv=90.0), TODAY).state is (
        ReadinessState.READY
    )


def test_low_hrv_and_raised_resting_hr_mean_rest() -> None:
    """Two signals off: rest."""
    readiness = assess_readiness(history(recent=5, recent_hrv=35.0, recent_rhr=58.0), TODAY)
    assert readiness.state is ReadinessState.REST
    assert readiness.reasons == (Reason.HRV_LOW, Reason.RHR_HIGH)


def test_a_raised_resting_hr_within_sensor_noise_is_no_signal() -> None:
    """Two beats above normal is within a wrist sensor's noise."""
    assert assess_readiness(history(recent=7, recent_rhr=52.0), TODAY).reasons == ()


def test_a_short_or_poor_night_alone_is_caution() -> None:
    """Last night under 6 hours, or a poor score: one signal (sleep), so caution."""
    short = assess_readiness(history(sleep_h=5.0), TODAY)
    assert short.state is ReadinessState.CAUTION
    assert short.reasons == (Reason.SLEEP_SHORT,)
    both = assess_readiness(history(sleep_h=5.0, score=40), TODAY)
    assert both.state is ReadinessState.CAUTION
    assert both.reasons == (Reason.SLEEP_SHORT, Reason.SLEEP_POOR)
    assert assess_readiness(history(sleep_h=6.5, score=75), TODAY).state is ReadinessState.READY


def test_not_enough_days_to_judge_says_so() -> None:
    """Ten days of HRV and resting HR and no sleep: no baseline yet, so no verdict."""
    readiness = assess_readiness(history(10), TODAY)
    assert readiness.state is None
    assert readiness.reasons == (Reason.NOT_ENOUGH_DATA,)
    assert readiness.hrv_7d is None
    assert readiness.rhr_baseline is None
    # A week off the sensor: the baseline is there, the last 7 days are not.
    stale = [record for record in history() if (TODAY - record.day).days >= 5]
    assert assess_readiness(stale, TODAY).reasons == (Reason.NOT_ENOUGH_DATA,)


def test_sleep_alone_judges_and_nothing_at_all_is_no_readiness() -> None:
    """Only a sleep sensor: readiness from sleep; no records: nothing to say."""
    only_sleep = history(hrv=None, rhr=None, sleep_h=8.0)
    assert assess_readiness(only_sleep, TODAY).state is ReadinessState.READY
    assert assess_readiness([], TODAY) is NO_READINESS
    future = [WellnessDay(TODAY + timedelta(days=1), resting_hr=50)]
    assert assess_readiness(future, TODAY) is NO_READINESS


def test_median_resting_hr_of_the_last_seven_recorded_days() -> None:
    """The median resists one bad night; older and future days do not count."""
    days = [WellnessDay(TODAY - timedelta(days=back), resting_hr=50) for back in range(1, 7)]
    days.append(WellnessDay(TODAY, resting_hr=75))
    days.append(WellnessDay(TODAY - timedelta(days=20), resting_hr=40))
    days.append(WellnessDay(TODAY + timedelta(days=1), resting_hr=90))
    days.append(WellnessDay(TODAY - timedelta(days=2), hrv_rmssd=50))
    assert median_resting_hr(days, TODAY) == 50
    assert median_resting_hr(days[:2], TODAY) == 50
    assert (
        median_resting_hr(
            [
                WellnessDay(TODAY, resting_hr=50),
                WellnessDay(TODAY - timedelta(days=1), resting_hr=53),
            ],
            TODAY,
        )
        == 51.5
    )
    assert median_resting_hr([WellnessDay(TODAY, hrv_rmssd=50)], TODAY) is None
