"""The one entry point: compute_snapshot, checked against the individual functions."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
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
    assert load.missing_hr_7d == 1  # today's run (back 0) has no heart rate

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
    assert snapshot.load.ctl == 0.0
    assert snapshot.load.acwr is None
    assert snapshot.load.monotony == 0.0
    assert len(snapshot.load.daily) == 90
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
