"""Volume per ISO week, month and year in the athlete's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from custom_components.coach_dyno.training import (
    Activity,
    AthleteProfile,
    Period,
    Volume,
    period_start,
    volume_by_period,
    volume_summary,
)

from .factories import make_activity

BERLIN = AthleteProfile(time_zone="Europe/Berlin")
TODAY = date(2026, 11, 18)  # a Wednesday; the ISO week starts Monday 16 November


def run_on(
    day: date, distance_km: float, activity_id: int, hour: int = 12, **extra: Any
) -> Activity:
    """Return a run at `hour` UTC on `day`."""
    return make_activity(
        activity_id,
        datetime(day.year, day.month, day.day, hour, tzinfo=UTC),
        distance_m=distance_km * 1000,
        moving_s=distance_km * 300,
        elevation_gain_m=distance_km * 10,
        **extra,
    )


def test_periods_and_rolling_windows() -> None:
    runs = [
        run_on(date(2026, 11, 18), 10, 1),  # today
        run_on(date(2026, 11, 16), 5, 2),  # Monday: this week
        run_on(date(2026, 11, 15), 7, 3),  # Sunday: last week, rolling 7d
        run_on(date(2026, 11, 12), 3, 4),  # last week, rolling 7d (today - 6)
        run_on(date(2026, 11, 8), 4, 5),  # rolling 28d only (and this month)
        run_on(date(2026, 10, 21), 6, 6),  # today - 28: outside rolling 28d; last month
        run_on(date(2026, 10, 22), 8, 7),  # today - 27: inside rolling 28d
        run_on(date(2026, 1, 1), 20, 8),  # this year
        run_on(date(2025, 12, 31), 21, 9),  # last year
        run_on(date(2024, 6, 1), 42, 10),  # older: nowhere
        run_on(date(2026, 11, 19), 99, 11),  # tomorrow: ignored
        make_activity(12, datetime(2026, 11, 17, 12, tzinfo=UTC), "Ride", 40000.0, 4000.0),
    ]
    summary = volume_summary(runs, BERLIN, TODAY)
    assert summary.this_week == Volume(15000.0, 4500.0, 150.0, 2)
    assert summary.last_week == Volume(10000.0, 3000.0, 100.0, 2)
    assert summary.rolling_7d == Volume(25000.0, 7500.0, 250.0, 4)
    assert summary.rolling_28d.distance_m == pytest.approx(37000.0)
    assert summary.rolling_28d.count == 6
    assert summary.this_month.distance_m == pytest.approx(29000.0)
    assert summary.last_month == Volume(14000.0, 4200.0, 140.0, 2)
    assert summary.this_year.distance_m == pytest.approx(63000.0)
    assert summary.this_year.count == 8
    assert summary.last_year == Volume(21000.0, 6300.0, 210.0, 1)


def test_local_day_decides_the_week() -> None:
    # 23:30 UTC on Sunday 15 November is 00:30 on Monday 16 November in Berlin.
    late = make_activity(1, datetime(2026, 11, 15, 23, 30, tzinfo=UTC))
    berlin = volume_summary([late], BERLIN, TODAY)
    utc = volume_summary([late], AthleteProfile(time_zone="UTC"), TODAY)
    assert (berlin.this_week.count, berlin.last_week.count) == (1, 0)
    assert (utc.this_week.count, utc.last_week.count) == (0, 1)


def test_year_boundary_and_iso_week_across_years() -> None:
    today = date(2026, 1, 2)  # Friday; the ISO week began Monday 29 December 2025
    runs = [run_on(date(2025, 12, 29), 5, 1), run_on(date(2025, 12, 10), 8, 2)]
    summary = volume_summary(runs, BERLIN, today)
    assert summary.this_week.count == 1
    assert summary.last_month.distance_m == pytest.approx(13000.0)
    assert summary.this_month.count == 0
    assert summary.this_year.count == 0
    assert summary.last_year.count == 2


def test_configurable_sport_types() -> None:
    ride = make_activity(1, datetime(2026, 11, 17, 12, tzinfo=UTC), "Ride", 40000.0)
    walk = make_activity(2, datetime(2026, 11, 17, 13, tzinfo=UTC), "Hike", 5000.0)
    riders = AthleteProfile(sport_types=frozenset({"Ride"}))
    assert volume_summary([ride, walk], riders, TODAY).this_week.distance_m == 40000.0
    assert volume_summary([ride, walk], BERLIN, TODAY).this_week == Volume()


def test_period_start() -> None:
    day = date(2026, 11, 18)
    assert period_start(day, Period.WEEK) == date(2026, 11, 16)
    assert period_start(day, Period.MONTH) == date(2026, 11, 1)
    assert period_start(day, Period.YEAR) == date(2026, 1, 1)
    assert period_start(date(2026, 1, 1), Period.WEEK) == date(2025, 12, 29)


def test_volume_by_period() -> None:
    runs = [
        run_on(date(2026, 11, 16), 5, 1),
        run_on(date(2026, 11, 18), 10, 2),
        run_on(date(2026, 10, 30), 7, 3),
        run_on(date(2025, 3, 1), 3, 4),
    ]
    weeks = volume_by_period(runs, BERLIN, Period.WEEK)
    assert list(weeks) == [date(2025, 2, 24), date(2026, 10, 26), date(2026, 11, 16)]
    assert weeks[date(2026, 11, 16)] == Volume(15000.0, 4500.0, 150.0, 2)
    months = volume_by_period(runs, BERLIN, Period.MONTH)
    assert months[date(2026, 10, 1)].distance_m == 7000.0
    years = volume_by_period(runs, BERLIN, Period.YEAR)
    assert {key: value.count for key, value in years.items()} == {
        date(2025, 1, 1): 1,
        date(2026, 1, 1): 3,
    }
    assert volume_by_period([], BERLIN, Period.WEEK) == {}
