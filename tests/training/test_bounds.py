"""Plausible ranges of one activity, and the engine leaving implausible ones out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
import math
from typing import Any

import pytest

from custom_components.coach_dyno.training import (
    AthleteProfile,
    HrHistogram,
    StreamSummary,
    compute_snapshot,
)
from custom_components.coach_dyno.training.bounds import (
    EARLIEST_START,
    HR_RANGE_BPM,
    MAX_DISTANCE_M,
    MAX_DURATION_S,
    MAX_ELEVATION_GAIN_M,
    OutOfBoundsError,
    check,
    latest_start,
    problem,
    split,
)

from .factories import make_activity

NOW = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
WEST = timezone(-timedelta(hours=10))


def fine(**changes: Any) -> Any:
    """Return a plausible run changed by `changes`."""
    base = make_activity(
        start=datetime(2026, 5, 1, 7, tzinfo=UTC),
        elapsed_s=3100.0,
        elevation_gain_m=80.0,
        avg_hr=150.0,
        max_hr=172.0,
    )
    return replace(base, **changes)


def test_a_plausible_run_fits() -> None:
    run = fine()
    assert problem(run, now=NOW) is None
    assert check(run, now=NOW) is run


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"start": datetime(1, 1, 1, tzinfo=UTC)}, "start 0001-01-01"),
        # Year 1 written west of UTC has no UTC date at all: compared, never converted.
        ({"start": datetime(1, 1, 1, tzinfo=WEST)}, "start 0001-01-01"),
        ({"start": datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)}, "start 9999-12-31"),
        ({"start": datetime(9999, 12, 31, 23, tzinfo=WEST)}, "start 9999-12-31"),
        ({"start": EARLIEST_START - timedelta(seconds=1)}, "not between 1971-01-01 and tomorrow"),
        ({"start": datetime(1970, 1, 1, tzinfo=UTC)}, "start 1970-01-01"),  # the epoch of no clock
        ({"start": datetime(2026, 5, 12, tzinfo=UTC)}, "start 2026-05-12"),  # after tomorrow
        ({"distance_m": 1e308}, "distance 1e+308 m is not within 0..5,000,000 m"),
        ({"distance_m": MAX_DISTANCE_M + 1}, "distance"),
        ({"moving_s": MAX_DURATION_S + 1}, "moving time"),
        ({"elapsed_s": 30 * 86_400.0}, "elapsed time 2592000.0 s is not within 0..604,800 s"),
        ({"elevation_gain_m": MAX_ELEVATION_GAIN_M + 1}, "elevation gain"),
        ({"avg_hr": 0.0}, "average heart rate 0.0 bpm is not within 25..250 bpm"),
        ({"avg_hr": HR_RANGE_BPM[0] - 1}, "average heart rate"),
        ({"max_hr": HR_RANGE_BPM[1] + 1}, "max heart rate 251.0 bpm"),
        ({"max_hr": 1e308}, "max heart rate"),
        (
            {"stream_summary": StreamSummary(hr_seconds=HrHistogram([(150, 1e308)]))},
            "heart rate histogram",
        ),
        (
            {
                "stream_summary": StreamSummary(
                    hr_seconds=HrHistogram([(150, 3600)]), efficiency_factor=math.inf
                )
            },
            "efficiency factor inf",
        ),
        (
            {"stream_summary": StreamSummary(decoupling_pct="5%")},  # type: ignore[arg-type]
            "aerobic decoupling '5%'",
        ),
    ],
)
def test_implausible_values_are_named(changes: dict[str, Any], words: str) -> None:
    run = fine(**changes)
    reason = problem(run, now=NOW)
    assert reason is not None
    assert words in reason
    with pytest.raises(OutOfBoundsError, match="is not") as err:
        check(run, now=NOW)
    # A ValueError: callers that skip bad rows on ValueError skip these too.
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    "changes",
    [
        {"start": EARLIEST_START},
        # Any time tomorrow (UTC) still fits: a device clock a little ahead is not damage.
        {"start": datetime(2026, 5, 11, 23, 59, 59, tzinfo=UTC)},
        {"distance_m": 0.0, "moving_s": 0.0, "elapsed_s": 0.0, "elevation_gain_m": 0.0},
        # Paris-Brest-Paris (1,200 km) ridden as one activity, a six-day race on foot.
        {"sport_type": "Ride", "distance_m": 1_220_000.0, "elapsed_s": 88 * 3600.0},
        {"distance_m": 1_036_000.0, "elapsed_s": 6 * 86_400.0, "moving_s": 5 * 86_400.0},
        {"distance_m": MAX_DISTANCE_M, "elapsed_s": MAX_DURATION_S, "moving_s": MAX_DURATION_S},
        {"elevation_gain_m": MAX_ELEVATION_GAIN_M},
        {"avg_hr": HR_RANGE_BPM[0], "max_hr": HR_RANGE_BPM[1]},
        {"avg_hr": None, "max_hr": None},
        {"stream_summary": StreamSummary(hr_seconds=HrHistogram([(0, 60.0), (150, 3000.0)]))},
    ],
)
def test_extraordinary_but_possible_values_fit(changes: dict[str, Any]) -> None:
    assert problem(fine(**changes), now=NOW) is None


def test_latest_start_is_the_end_of_tomorrow_in_utc() -> None:
    assert latest_start(NOW) == datetime(2026, 5, 12, tzinfo=UTC)
    # The same instant written in another zone gives the same bound.
    assert latest_start(NOW.astimezone(WEST)) == datetime(2026, 5, 12, tzinfo=UTC)
    # Without `now`, the clock: today is always within bounds.
    assert problem(fine(start=datetime.now(UTC))) is None
    # The end of the calendar lifts the bound (data moved into the past right after reading).
    end = datetime.max.replace(tzinfo=UTC)
    assert latest_start(end) == end
    assert problem(fine(start=datetime(9999, 12, 31, tzinfo=UTC)), now=end) is None
    assert problem(fine(start=datetime(1, 1, 1, tzinfo=UTC)), now=end) is not None


def test_split_keeps_the_order_and_gives_each_reason() -> None:
    runs = [
        fine(id=1),
        fine(id=2, distance_m=1e308),
        fine(id=3),
        fine(id=4, start=datetime(9999, 1, 1, tzinfo=UTC)),
    ]
    kept, refused = split(runs, now=NOW)
    assert [a.id for a in kept] == [1, 3]
    assert [(a.id, reason.split()[0]) for a, reason in refused] == [(2, "distance"), (4, "start")]


def test_split_can_leave_histograms_to_where_records_enter() -> None:
    """Summing every bin is for imports and the store's load; snapshots skip it (they run often)."""
    long_histogram = fine(stream_summary=StreamSummary(hr_seconds=HrHistogram([(150, 1e9)])))
    bad_factor = fine(id=2, stream_summary=StreamSummary(efficiency_factor=math.inf))
    assert split([long_histogram, bad_factor], now=NOW)[0] == []
    kept, refused = split([long_histogram, bad_factor], now=NOW, histograms=False)
    assert kept == [long_histogram]
    assert [a.id for a, _ in refused] == [2]


# ---------------------------------------------------------------------------------------------------
# The engine


def history() -> list[Any]:
    """Return eight weeks of easy runs up to NOW, every other day."""
    return [
        fine(id=n, start=NOW - timedelta(days=2 * n, hours=4), distance_m=8000.0 + 100 * (n % 5))
        for n in range(1, 29)
    ]


@pytest.mark.parametrize(
    "damaged",
    [
        {"start": datetime(1, 1, 1, tzinfo=UTC)},
        {"start": datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)},
        {"distance_m": 1e308},  # the "1e305 km" run
        {"moving_s": 1e308},
        {"avg_hr": 1e308},
        {"stream_summary": StreamSummary(efficiency_factor=math.nan)},
    ],
)
@pytest.mark.parametrize("time_zone", ["UTC", "Pacific/Honolulu", "Pacific/Kiritimati"])
def test_the_snapshot_leaves_damaged_records_out(damaged: dict[str, Any], time_zone: str) -> None:
    profile = AthleteProfile(hr_rest=50.0, hr_max=190.0, time_zone=time_zone)
    today = NOW.date()
    clean = compute_snapshot(history(), profile, today)

    with_damage = [*history(), fine(**{"id": 999, "start": NOW - timedelta(days=1), **damaged})]
    snapshot = compute_snapshot(with_damage, profile, today)

    assert snapshot == clean
    assert snapshot.activity_count == len(history())
    assert snapshot.vdot is not None
    # With `now` given as well.
    assert compute_snapshot(with_damage, profile, today, now=NOW) == compute_snapshot(
        history(), profile, today, now=NOW
    )


@pytest.mark.parametrize(
    ("time_zone", "start"),
    [
        ("Pacific/Kiritimati", datetime(2026, 5, 10, 9, 59, tzinfo=UTC)),  # 23:59 at UTC+14
        ("Etc/GMT+12", datetime(2026, 5, 11, 11, 59, tzinfo=UTC)),  # 23:59 at UTC-12
    ],
)
def test_the_snapshot_keeps_the_last_minute_of_today_in_any_zone(
    time_zone: str, start: datetime
) -> None:
    """The bound used without `now` never drops a start the local day `today` still holds."""
    profile = AthleteProfile(time_zone=time_zone)
    snapshot = compute_snapshot([fine(start=start)], profile, date(2026, 5, 10))
    assert snapshot.activity_count == 1
    assert snapshot.latest_run is not None
