"""Tests for the Strava rate-limit governor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, strategies as st
import pytest

from custom_components.coach_dyno.sources.ratelimit import (
    PushBudget,
    RateGovernor,
    next_quarter_hour,
    next_utc_midnight,
)
from tests.fakes.strava import Clock

T0 = datetime(2026, 3, 10, 10, 7, 30, tzinfo=UTC)


def headers(
    usage: tuple[int, int] = (0, 0),
    read: tuple[int, int] = (0, 0),
    limits: tuple[int, int] = (200, 2000),
    read_limits: tuple[int, int] = (100, 1000),
) -> dict[str, str]:
    """Build Strava's rate-limit headers."""
    return {
        "X-RateLimit-Limit": f"{limits[0]},{limits[1]}",
        "X-RateLimit-Usage": f"{usage[0]},{usage[1]}",
        "X-ReadRateLimit-Limit": f"{read_limits[0]},{read_limits[1]}",
        "X-ReadRateLimit-Usage": f"{read[0]},{read[1]}",
    }


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 3, 10, 10, 7, 30, tzinfo=UTC), datetime(2026, 3, 10, 10, 15, tzinfo=UTC)),
        (datetime(2026, 3, 10, 10, 15, 0, tzinfo=UTC), datetime(2026, 3, 10, 10, 30, tzinfo=UTC)),
        (datetime(2026, 3, 10, 10, 59, 59, tzinfo=UTC), datetime(2026, 3, 10, 11, 0, tzinfo=UTC)),
        (datetime(2026, 3, 10, 23, 50, tzinfo=UTC), datetime(2026, 3, 11, 0, 0, tzinfo=UTC)),
    ],
)
def test_next_quarter_hour(moment: datetime, expected: datetime) -> None:
    assert next_quarter_hour(moment) == expected


def test_boundaries_are_in_utc_whatever_the_input_zone() -> None:
    # 17:07 at UTC+7 is 10:07 UTC; the day ends at midnight UTC, not local midnight.
    local = T0.astimezone(timezone(timedelta(hours=7)))
    assert next_quarter_hour(local) == datetime(2026, 3, 10, 10, 15, tzinfo=UTC)
    assert next_utc_midnight(local) == datetime(2026, 3, 11, tzinfo=UTC)


@given(st.datetimes(timezones=st.just(UTC)))
def test_resume_points_are_the_next_window_starts(moment: datetime) -> None:
    quarter = next_quarter_hour(moment)
    midnight = next_utc_midnight(moment)
    assert moment < quarter <= moment + timedelta(minutes=15)
    assert quarter.minute % 15 == 0
    assert (quarter.second, quarter.microsecond) == (0, 0)
    assert moment < midnight <= moment + timedelta(days=1)
    assert (midnight.hour, midnight.minute, midnight.second) == (0, 0, 0)


def test_fresh_governor_lets_requests_through() -> None:
    governor = RateGovernor(now=Clock(T0))
    assert governor.blocked_until() is None
    assert governor.may_fetch_streams()


def test_headers_are_read_case_insensitively() -> None:
    governor = RateGovernor(now=Clock(T0))
    governor.update({k.lower(): v for k, v in headers((12, 340), (8, 300), (600, 30000)).items()})
    assert governor.overall.as_list() == [600, 30000, 12, 340]
    assert governor.read.as_list() == [100, 1000, 8, 300]


@pytest.mark.parametrize("bad", ["", "12", "a,b", "1,2,3", "-1,5"])
def test_malformed_headers_are_ignored(bad: str) -> None:
    governor = RateGovernor(now=Clock(T0))
    governor.update(headers((10, 10), (10, 10)))
    governor.update({"X-RateLimit-Usage": bad, "X-RateLimit-Limit": "200,2000"})
    governor.update({"X-ReadRateLimit-Usage": "50,50", "X-ReadRateLimit-Limit": bad})
    assert governor.overall.as_list() == [200, 2000, 10, 10]
    assert governor.read.as_list() == [100, 1000, 10, 10]


def test_refuses_near_the_read_limit_until_the_quarter_hour() -> None:
    clock = Clock(T0)
    governor = RateGovernor(now=clock)
    governor.update(headers((89, 89), (89, 89)))
    assert governor.blocked_until() is None
    governor.note_request()  # 90 of 100 read: the last 10 % is kept for other apps
    assert governor.blocked_until() == datetime(2026, 3, 10, 10, 15, tzinfo=UTC)
    clock.advance(minutes=8)  # 10:15:30, a new window
    assert governor.blocked_until() is None
    assert governor.read.usage_15 == 0
    assert governor.read.usage_day == 90


def test_refuses_near_the_daily_limit_until_midnight() -> None:
    clock = Clock(T0)
    governor = RateGovernor(now=clock)
    governor.update(headers((5, 1800), (5, 400)))
    assert governor.blocked_until() == datetime(2026, 3, 11, tzinfo=UTC)
    clock.moment = datetime(2026, 3, 11, 0, 0, 1, tzinfo=UTC)
    assert governor.blocked_until() is None


def test_headroom_is_configurable() -> None:
    governor = RateGovernor(headroom=0.0, now=Clock(T0))
    governor.update(headers(read=(99, 99)))
    assert governor.blocked_until() is None
    governor.update(headers(read=(100, 100)))
    assert governor.blocked_until() is not None


@pytest.mark.parametrize(
    ("headroom", "share", "message"),
    [(-0.1, 0.5, "headroom"), (1.0, 0.5, "headroom"), (0.1, 0.0, "share"), (0.1, 1.5, "share")],
)
def test_rejects_impossible_settings(headroom: float, share: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RateGovernor(headroom=headroom, streams_share=share)


def test_rate_limited_blocks_until_next_quarter_hour() -> None:
    clock = Clock(T0)
    governor = RateGovernor(now=clock)
    # Another app spent the window: Strava said 429 while our own count looks low.
    governor.update(headers((20, 20), (20, 20)))
    resume_at = governor.on_rate_limited()
    assert resume_at == datetime(2026, 3, 10, 10, 15, tzinfo=UTC)
    assert governor.blocked_until() == resume_at
    assert not governor.may_fetch_streams()
    clock.moment = resume_at
    assert governor.blocked_until() is None


def test_rate_limited_on_the_daily_limit_blocks_until_midnight() -> None:
    governor = RateGovernor(now=Clock(T0))
    governor.update(headers((50, 2001), (50, 700)))
    assert governor.on_rate_limited() == datetime(2026, 3, 11, tzinfo=UTC)


def test_streams_only_with_plenty_of_read_budget() -> None:
    governor = RateGovernor(now=Clock(T0))
    governor.update(headers(read=(49, 100)))
    assert governor.may_fetch_streams()
    governor.update(headers(read=(50, 100)))
    assert not governor.may_fetch_streams()
    governor.update(headers(read=(10, 500)))
    assert not governor.may_fetch_streams()
    wide = RateGovernor(streams_share=1.0, now=Clock(T0))
    wide.update(headers(read=(80, 100)))
    assert wide.may_fetch_streams()


def test_survives_a_restart() -> None:
    clock = Clock(T0)
    governor = RateGovernor(now=clock)
    governor.update(headers((150, 1200), (80, 600)))
    governor.on_rate_limited()
    saved = governor.as_dict()
    restored = RateGovernor.from_dict(saved, now=clock)
    assert restored.as_dict() == saved
    assert restored.blocked_until() == datetime(2026, 3, 10, 10, 15, tzinfo=UTC)
    clock.advance(minutes=10)
    later = RateGovernor.from_dict(saved, now=clock)
    assert later.blocked_until() is None
    assert later.read.as_list() == [100, 1000, 0, 600]


def test_restored_next_day_forgets_daily_usage() -> None:
    clock = Clock(T0)
    governor = RateGovernor(now=clock)
    governor.update(headers((150, 1990), (80, 999)))
    saved = governor.as_dict()
    clock.advance(days=1)
    restored = RateGovernor.from_dict(saved, now=clock)
    assert restored.overall.as_list() == [200, 2000, 0, 0]
    assert restored.blocked_until() is None


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"overall": "x", "read": [1, 2], "observed_at": 5, "blocked_until": "yesterday"},
        {"overall": [1, 2, 3, -4], "observed_at": "2026-03-10T10:00:00"},
    ],
)
def test_unreadable_saved_state_falls_back_to_defaults(data: dict[str, object] | None) -> None:
    governor = RateGovernor.from_dict(data, now=Clock(T0))
    assert governor.overall.as_list() == [200, 2000, 0, 0]
    assert governor.read.as_list() == [100, 1000, 0, 0]
    assert governor.blocked_until() is None


def test_saved_usage_without_a_time_is_dropped() -> None:
    governor = RateGovernor.from_dict(
        {"overall": [200, 2000, 180, 1900], "read": [100, 1000, 95, 950]}, now=Clock(T0)
    )
    assert governor.overall.as_list() == [200, 2000, 0, 0]
    assert governor.read.as_list() == [100, 1000, 0, 0]


def test_default_clock_is_the_real_utc_time() -> None:
    before = datetime.now(UTC)
    resume_at = RateGovernor().on_rate_limited()
    assert before < resume_at <= datetime.now(UTC) + timedelta(minutes=15)


def test_push_budget_keeps_to_its_share_of_each_window() -> None:
    """Push reads stop at a fifth of the read window and resume when the window resets."""
    clock = Clock(T0)
    governor = RateGovernor(now=clock)
    budget = PushBudget(now=clock)

    for _ in range(20):
        assert budget.resume_at(governor) is None
        budget.spend(1)

    assert budget.resume_at(governor) == datetime(2026, 3, 10, 10, 15, tzinfo=UTC)
    # The rest of the window is the syncs': the governor itself is far from blocked.
    assert governor.blocked_until() is None
    clock.advance(minutes=8)
    assert budget.resume_at(governor) is None


def test_push_budget_keeps_to_its_share_of_the_day() -> None:
    """A fifth of the daily read limit spent by push waits for midnight UTC, not the quarter hour."""
    clock = Clock(T0)
    governor = RateGovernor(now=clock)
    budget = PushBudget(now=clock)
    for _ in range(10):
        budget.spend(20)
        clock.advance(minutes=15)

    assert budget.resume_at(governor) == datetime(2026, 3, 11, tzinfo=UTC)
    clock.advance(hours=12)
    assert budget.resume_at(governor) is None


def test_push_budget_waits_for_a_blocked_governor() -> None:
    """When Strava said no (429), push waits like everyone else."""
    clock = Clock(T0)
    governor = RateGovernor(now=clock)
    resume_at = governor.on_rate_limited()

    assert PushBudget(now=clock).resume_at(governor) == resume_at


@pytest.mark.parametrize("share", [0, 1, -0.1, 1.5])
def test_push_budget_refuses_a_share_outside_zero_to_one(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        PushBudget(share=share)
