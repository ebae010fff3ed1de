"""Wellness records: plausible values only, merged day by day, ninety days kept."""

from __future__ import annotations

from datetime import date, timedelta

from custom_components.coach_dyno.training.wellness import (
    KEEP_DAYS,
    WellnessDay,
    merged,
    plausible,
)

TODAY = date(2026, 11, 3)


def test_values_outside_the_ranges_are_dropped() -> None:
    """A resting HR of 300, 2 ms of HRV, 20 hours of sleep, a score of 120, NaN: all dropped."""
    record = WellnessDay(TODAY, 300, 2, 20 * 3600, 120)
    assert plausible(record) == WellnessDay(TODAY)
    assert plausible(WellnessDay(TODAY, float("nan"), 55, 0, 0)) == WellnessDay(
        TODAY, None, 55, 0, 0
    )
    assert plausible(WellnessDay(TODAY, 25, 300, 16 * 3600, 100)) == WellnessDay(
        TODAY, 25, 300, 16 * 3600, 100
    )


def test_merge_fills_and_replaces_and_counts() -> None:
    """A new value replaces the stored one, a missing one keeps it; unchanged days are not counted."""
    known = {TODAY: WellnessDay(TODAY, resting_hr=50, hrv_rmssd=60)}
    days, changed = merged(known, [WellnessDay(TODAY, hrv_rmssd=58, sleep_seconds=25000)], TODAY)
    assert days == {TODAY: WellnessDay(TODAY, 50, 58, 25000)}
    assert changed == 1
    again, changed = merged(days, [WellnessDay(TODAY, hrv_rmssd=58), WellnessDay(TODAY)], TODAY)
    assert again == days
    assert changed == 0
    assert known == {TODAY: WellnessDay(TODAY, resting_hr=50, hrv_rmssd=60)}


def test_only_ninety_days_up_to_today_are_kept() -> None:
    """Old days fall out, future and too old records are not taken."""
    first = TODAY - timedelta(days=KEEP_DAYS - 1)
    old = first - timedelta(days=1)
    known = {old: WellnessDay(old, resting_hr=50), first: WellnessDay(first, resting_hr=51)}
    incoming = [
        WellnessDay(TODAY + timedelta(days=1), resting_hr=49),
        WellnessDay(old - timedelta(days=3), resting_hr=49),
        WellnessDay(TODAY, resting_hr=48),
    ]
    days, changed = merged(known, incoming, TODAY)
    assert list(days) == [first, TODAY]
    assert changed == 1
