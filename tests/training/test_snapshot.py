"""The one entry point: compute_snapshot, checked against the individual functions."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields, replace
from datetime import UTC, date, datetime, timedelta
import json
import time

import pytest

from custom_components.coach_dyno import training
from custom_components.coach_dyno.training import (
    AthleteProfile,
    GoalRace,
    StreamSummary,
    TrainingPhase,
    activity_trimp,
    acwr,
    compute_snapshot,
    daily_loads,
    monotony,
    pmc,
    race_outlook,
    run_summary,
    running_tss,
    strain,
    training_paces,
    volume_summary,
)

from .factories import make_activity

TODAY = date(2026, 9, 1)
PROFILE = AthleteProfile(
    hr_rest=50.0,
    hr_max=190.0,
    time_zone="Asia/Ho_Chi_Minh",
    goal=GoalRace(race_date=date(2026, 10, 25), distance_m=21097.5, goal_time_s=6300.0),
)


def history() -> list:  # type: ignore[type-arg]
    """Return 200 days of runs (every other day), a weekly ride and a few runs without HR."""
    activities = []
    for back in range(200):
        day = TODAY - timedelta(days=back)
        start = datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC)
        if back % 2 == 0:
            activities.append(
                make_activity(
                    1000 + back,
                    start,
                    name=f"Run {back}",
                    distance_m=8000.0 + back * 10,
                    moving_s=(8000.0 + back * 10) * 0.3,
                    elevation_gain_m=40.0,
                    avg_hr=None if back % 10 == 0 else 140.0 + back % 20,
                    race=back == 20,
                )
            )
        if back % 7 == 3:
            activities.append(
                make_activity(5000 + back, start, "Ride", 30000.0, 3600.0, avg_hr=130.0)
            )
    return activities


def test_snapshot_agrees_with_the_building_blocks() -> None:
    activities = history()
    snapshot = compute_snapshot(activities, PROFILE, TODAY)

    assert snapshot.today == TODAY
    assert snapshot.activity_count == len(activities)
    assert snapshot.volume == volume_summary(activities, PROFILE, TODAY)

    first = TODAY - timedelta(days=199)
    loads = daily_loads(activities, PROFILE, first, TODAY)
    # Runs without heart rate count with rTSS from Daniels' T pace, scaled by the runner's own
    # TRIMP / rTSS over the last 8 weeks' runs that have both.
    threshold = training_paces(snapshot.vdot).threshold
    recent = [a for a in activities if a.is_run and a.start.date() > TODAY - timedelta(days=56)]
    factor = sum(activity_trimp(a, PROFILE) for a in recent if a.avg_hr) / sum(
        running_tss(a.moving_s, a.distance_m, threshold) for a in recent if a.avg_hr
    )
    for activity in activities:
        if activity.is_run and not activity.avg_hr:
            index = (activity.start.date() - first).days
            loads[index] += running_tss(activity.moving_s, activity.distance_m, threshold) * factor
    chart = pmc(loads)
    load = snapshot.load
    assert load.trimp_today == pytest.approx(loads[-1])
    assert load.trimp_7d == pytest.approx(sum(loads[-7:]))
    assert (load.ctl, load.atl, load.tsb) == pytest.approx(
        (chart[-1].ctl, chart[-1].atl, chart[-1].tsb)
    )
    assert load.acwr == pytest.approx(acwr(loads))
    assert load.monotony == pytest.approx(monotony(loads))
    assert load.strain == pytest.approx(strain(loads))
    assert len(load.daily) == 90
    assert load.daily[-1].day == TODAY
    assert load.daily[0].day == TODAY - timedelta(days=89)
    assert [d.ctl for d in load.daily] == pytest.approx([d.ctl for d in chart[-90:]])
    assert [d.trimp for d in load.daily] == pytest.approx(loads[-90:])
    assert load.window_end == TODAY  # today already has its run
    assert load.unknown_7d == 0  # every activity has heart rate or a pace
    no_hr_days = [TODAY - timedelta(days=back) for back in range(40, -1, -10)]
    assert load.estimated_days == tuple(no_hr_days)
    assert load.estimated_within(1, TODAY)
    assert not load.estimated_within(9, TODAY - timedelta(days=1))

    outlook = race_outlook(activities, PROFILE, TODAY)
    assert snapshot.race == outlook
    assert snapshot.race is not None
    assert snapshot.race.phase is TrainingPhase.BUILD  # 54 days before a half marathon
    assert outlook is not None
    assert outlook.effort is not None
    assert snapshot.vdot == pytest.approx(outlook.effort.vdot)
    assert snapshot.paces == training_paces(outlook.effort.vdot)


def test_recent_runs_newest_first() -> None:
    activities = history()
    snapshot = compute_snapshot(activities, PROFILE, TODAY)
    runs = sorted((a for a in activities if a.is_run), key=lambda a: a.start, reverse=True)
    assert [r.id for r in snapshot.recent_runs] == [a.id for a in runs[:10]]
    assert snapshot.latest_run == snapshot.recent_runs[0]
    assert snapshot.days_since_last_run == 0

    second = snapshot.recent_runs[1]
    source = runs[1]
    assert second.name == source.name
    assert second.pace_s_per_km == pytest.approx(300.0)
    assert second.trimp == pytest.approx(activity_trimp(source, PROFILE))
    assert second.efficiency_factor == pytest.approx(200.0 / source.avg_hr)
    assert second.start.utcoffset() == timedelta(hours=7)  # shown in the athlete's zone
    assert second.start == source.start
    assert snapshot.latest_run is not None
    assert snapshot.latest_run.trimp is None  # no heart rate on today's run


def test_empty_history() -> None:
    snapshot = compute_snapshot([], PROFILE, TODAY)
    assert snapshot.activity_count == 0
    assert snapshot.volume.this_week.count == 0
    # Nothing recorded: the load is unknown, not zero.
    load = snapshot.load
    assert (load.trimp_today, load.trimp_7d, load.ctl, load.atl, load.tsb) == (None,) * 5
    assert (load.acwr, load.monotony, load.strain, load.daily) == (None, None, None, ())
    assert (snapshot.vdot, snapshot.paces, snapshot.latest_run) == (None, None, None)
    assert snapshot.recent_runs == ()
    assert snapshot.days_since_last_run is None
    assert snapshot.race is not None
    assert snapshot.race.reason == "no_recent_effort"
    assert compute_snapshot([], AthleteProfile(), TODAY).race is None


def test_duplicates_future_and_now() -> None:
    morning = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
    first = make_activity(1, morning, distance_m=5000.0, avg_hr=150.0)
    edited = make_activity(1, morning, distance_m=6000.0, avg_hr=150.0)
    evening = make_activity(2, datetime(2026, 9, 1, 12, 0, tzinfo=UTC), avg_hr=150.0)
    tomorrow = make_activity(3, datetime(2026, 9, 2, 1, 0, tzinfo=UTC), avg_hr=150.0)
    snapshot = compute_snapshot([first, edited, evening, tomorrow], PROFILE, TODAY)
    assert snapshot.activity_count == 2
    assert snapshot.volume.rolling_7d.distance_m == 16000.0
    early = compute_snapshot(
        [first, edited, evening, tomorrow],
        PROFILE,
        TODAY,
        now=datetime(2026, 9, 1, 2, 0, tzinfo=UTC),
    )
    assert early.activity_count == 1
    assert early.load.trimp_today == pytest.approx(activity_trimp(edited, PROFILE))


def test_streams_feed_the_run_summary() -> None:
    summary = StreamSummary(hr_seconds=((160, 1800.0),), efficiency_factor=1.4, decoupling_pct=3.5)
    run = make_activity(1, datetime(2026, 8, 30, 1, tzinfo=UTC), stream_summary=summary)
    snapshot = compute_snapshot([run], PROFILE, TODAY)
    latest = snapshot.latest_run
    assert latest is not None
    assert (latest.efficiency_factor, latest.decoupling_pct) == (1.4, 3.5)
    assert latest.trimp == pytest.approx(activity_trimp(run, PROFILE))
    assert snapshot.days_since_last_run == 2
    no_distance = make_activity(2, datetime(2026, 8, 31, 1, tzinfo=UTC), distance_m=0.0)
    assert compute_snapshot([no_distance], PROFILE, TODAY).recent_runs[0].pace_s_per_km is None


def test_run_summary_dates_the_run_in_the_given_zone() -> None:
    # 22:30 UTC on 31 August is 05:30 on 1 September in Ho Chi Minh City.
    run = make_activity(7, datetime(2026, 8, 31, 22, 30, tzinfo=UTC), avg_hr=150.0)
    zone = training.resolve_time_zone(PROFILE.time_zone)
    local = run_summary(run, zone, 42.0)
    assert (local.start, local.start.date()) == (run.start, date(2026, 9, 1))
    assert local.start.utcoffset() == timedelta(hours=7)
    assert (local.trimp, local.pace_s_per_km) == (42.0, 300.0)
    as_recorded = run_summary(run)
    assert as_recorded.start.tzinfo is UTC
    assert as_recorded.trimp is None


def test_snapshot_is_immutable_and_json_safe() -> None:
    snapshot = compute_snapshot(history(), PROFILE, TODAY)
    with pytest.raises(FrozenInstanceError):
        snapshot.vdot = 1.0  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        snapshot.load.ctl = 1.0  # type: ignore[misc]
    data = json.loads(json.dumps(snapshot.as_dict()))
    assert data["today"] == "2026-09-01"
    assert data["race"]["phase"] == "build"
    assert data["load"]["daily"][-1]["day"] == "2026-09-01"
    assert data["recent_runs"][0]["start"].endswith("+07:00")
    assert data["volume"]["this_week"]["count"] == snapshot.volume.this_week.count


def test_ten_years_is_fast() -> None:
    # The budget is "well under 25 ms" (scripts/bench_training.py measures it); this guard only
    # catches an accidental quadratic on a loaded CI machine.
    start = datetime(2016, 9, 2, 6, tzinfo=UTC)
    activities = [
        make_activity(i, start + timedelta(days=i), avg_hr=150.0, elevation_gain_m=20.0)
        for i in range(3650)
    ]
    compute_snapshot(activities, PROFILE, TODAY)
    began = time.perf_counter()
    snapshot = compute_snapshot(activities, PROFILE, TODAY)
    assert time.perf_counter() - began < 0.25
    assert snapshot.activity_count == 3650


CONTRACT = {
    "TrainingSnapshot": "today activity_count volume load race vdot paces latest_run recent_runs",
    "VolumeSummary": "this_week last_week rolling_7d rolling_28d this_month last_month this_year"
    " last_year",
    "Volume": "distance_m moving_s elevation_m count",
    "LoadSummary": "trimp_today trimp_7d ctl atl tsb acwr monotony strain daily",
    "DailyLoad": "day trimp ctl atl tsb",
    "RaceOutlook": "race_date distance_m goal_time_s days_to_race weeks_to_race phase"
    " predicted_time_s riegel_time_s goal_pace_s_per_km on_track reason",
    "TrainingPaces": "easy marathon threshold interval repetition",
    "RunSummary": "id name start sport_type distance_m moving_s pace_s_per_km avg_hr"
    " elevation_gain_m trimp efficiency_factor decoupling_pct race",
}


@pytest.mark.parametrize(("name", "expected"), CONTRACT.items())
def test_snapshot_shape_is_the_agreed_contract(name: str, expected: str) -> None:
    # Sensors and the prompt builder are written against these names: they must not drift.
    cls = getattr(training, name)
    names = {field.name for field in fields(cls)}
    assert set(expected.split()) <= names
    assert cls.__dataclass_params__.frozen
    assert hasattr(cls, "__slots__")


def test_everything_is_exported() -> None:
    for name in training.__all__:
        assert getattr(training, name) is not None
    assert {"compute_snapshot", "TrainingPhase", "similar_runs", "summarize_streams"} <= set(
        training.__all__
    )


def _runs(backs: range, **extra: object) -> list:  # type: ignore[type-arg]
    """Return a 10 km run in 50 min at 07:00 (Ho Chi Minh) `back` days before TODAY, for each."""
    return [
        make_activity(
            100 + back, datetime(2026, 9, 1, 0, tzinfo=UTC) - timedelta(days=back), **extra
        )
        for back in backs
    ]


def test_no_heart_rate_at_all_estimates_the_load_from_pace() -> None:
    runs = _runs(range(1, 60, 2))
    load = compute_snapshot(runs, PROFILE, TODAY).load
    # Every run counts, estimated, and the load is not zero.
    assert load.ctl is not None
    assert load.ctl > 20
    assert load.atl is not None
    assert load.tsb is not None
    assert load.acwr is not None
    assert load.monotony is not None
    assert load.trimp_7d is not None
    assert load.trimp_7d > 0
    assert load.trimp_today == 0.0  # nothing yet today, and that is known
    assert load.estimated_within(42, TODAY)
    assert load.unknown_7d == 0
    # A 10 km run scores the same whichever day it falls on.
    assert len({round(day.trimp, 6) for day in load.daily if day.trimp}) == 1
    # A treadmill run logged by hand without a distance has no pace: its load is unknown.
    treadmill = make_activity(
        99, datetime(2026, 8, 31, 0, tzinfo=UTC), distance_m=0.0, manual=True, trainer=True
    )
    with_treadmill = compute_snapshot([*runs, treadmill], PROFILE, TODAY).load
    assert with_treadmill.unknown_7d == 1
    assert with_treadmill.trimp_7d == pytest.approx(load.trimp_7d)


def test_mixed_history_calibrates_the_estimate_on_the_runners_own_runs() -> None:
    with_hr = _runs(range(2, 30, 2), avg_hr=150.0)
    without = _runs(range(1, 30, 2))
    load = compute_snapshot(with_hr + without, PROFILE, TODAY).load
    # Identical runs: the one without heart rate is worth what its twin with heart rate is.
    twin = activity_trimp(with_hr[0], PROFILE)
    assert [day.trimp for day in load.daily[-29:-1]] == pytest.approx([twin] * 28)
    assert load.estimated_days == tuple(TODAY - timedelta(days=back) for back in range(29, 0, -2))
    assert not load.estimated_within(1, TODAY - timedelta(days=2))


def test_beginner_without_heart_rate_or_usable_pace_has_an_unknown_load() -> None:
    # Short runs only: no effort of 3 km or more, so no VDOT and no threshold pace.
    runs = _runs(range(0, 20, 3), distance_m=2000.0, moving_s=900.0)
    snapshot = compute_snapshot(runs, PROFILE, TODAY)
    load = snapshot.load
    assert snapshot.vdot is None
    assert (load.trimp_today, load.trimp_7d, load.ctl, load.atl, load.tsb) == (None,) * 5
    assert (load.acwr, load.monotony, load.strain, load.daily) == (None, None, None, ())
    assert load.unknown_7d == 3  # today, 3 and 6 days ago
    assert load.estimated_days == ()


def test_a_week_of_rides_without_heart_rate_leaves_fatigue_unknown() -> None:
    runs = _runs(range(8, 40, 2), avg_hr=150.0)
    rides = [
        make_activity(
            900 + back, datetime(2026, 9, 1, 0, tzinfo=UTC) - timedelta(days=back), "Ride"
        )
        for back in range(1, 7)
    ]
    load = compute_snapshot(runs + rides, PROFILE, TODAY).load
    assert load.ctl is not None  # the runs of the weeks before are known
    assert (load.atl, load.tsb, load.trimp_7d, load.monotony, load.acwr) == (None,) * 5
    assert load.unknown_7d == 6
    # Weeks of rest after known training: rest is known, the load is low, not unknown.
    rested = compute_snapshot(runs, PROFILE, TODAY + timedelta(days=60)).load
    assert rested.ctl is not None
    assert rested.ctl < 5
    assert rested.monotony == 0.0


def test_morning_windows_cover_completed_days() -> None:
    # A run every day for four weeks, harder every third day, up to yesterday.
    runs = [replace(run, avg_hr=165.0 if run.id % 3 == 0 else 140.0) for run in _runs(range(1, 29))]
    morning = compute_snapshot(runs, PROFILE, TODAY).load
    loads = daily_loads(runs, PROFILE, TODAY - timedelta(days=40), TODAY)
    # Before today's run: the week that ended yesterday, not six days and a rest day.
    assert morning.window_end == TODAY - timedelta(days=1)
    assert morning.monotony == pytest.approx(monotony(loads[:-1]))
    assert morning.monotony != pytest.approx(monotony(loads))
    assert morning.acwr == pytest.approx(acwr(loads[:-1]))
    assert morning.trimp_7d == pytest.approx(sum(loads[-8:-1]))
    # After it: today counts.
    today_run = make_activity(99, datetime(2026, 9, 1, 0, tzinfo=UTC), avg_hr=150.0)
    after = compute_snapshot([*runs, today_run], PROFILE, TODAY).load
    loads[-1] = activity_trimp(today_run, PROFILE) or 0.0
    assert after.window_end == TODAY
    assert after.monotony == pytest.approx(monotony(loads))
    assert after.trimp_7d == pytest.approx(sum(loads[-7:]))
