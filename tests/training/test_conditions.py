"""The home's conditions in the plan: readiness today, heat at run time, the busy days."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.coach_dyno.training import TrainingSnapshot
from custom_components.coach_dyno.training.conditions import (
    Conditions,
    Heat,
    dew_point_c,
    heat_slowdown_pct,
)
from custom_components.coach_dyno.training.plan import (
    HARD,
    ChangeReason,
    Rule,
    WorkoutType,
    guard,
    plan_week,
)
from custom_components.coach_dyno.training.readiness import Readiness, ReadinessState
from tests.training import scenarios
from tests.training.scenarios import TODAY
from tests.training.test_plan import assert_sound

W = WorkoutType


def with_conditions(snapshot: TrainingSnapshot, **conditions: object) -> TrainingSnapshot:
    """Return the snapshot as the home would hand it to the planner."""
    return replace(snapshot, conditions=Conditions(**conditions))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("temperature", "dew", "expected"),
    [
        (15.0, 5.0, 0.0),  # 59 + 41 = 100 °F: nothing
        (20.0, 12.0, 1.0 + 1.0 * (121.6 - 120) / 10),  # 68 + 53.6
        (27.0, 22.0, 4.5 + 1.5 * (152.2 - 150) / 10),  # 80.6 + 71.6
        (40.0, 30.0, 10.0),  # beyond 180 °F: the rule's ceiling
    ],
)
def test_heat_follows_the_temperature_plus_dew_point_rule(
    temperature: float, dew: float, expected: float
) -> None:
    """The slowdown read off the rule's bands."""
    assert heat_slowdown_pct(temperature, dew) == pytest.approx(expected)


def test_dew_point_from_humidity() -> None:
    """Saturated air's dew point is its temperature; 50 % at 30 °C is about 18.4 °C."""
    assert dew_point_c(25.0, 100.0) == pytest.approx(25.0, abs=0.01)
    assert dew_point_c(30.0, 50.0) == pytest.approx(18.4, abs=0.1)


def test_no_conditions_change_nothing() -> None:
    """Empty conditions plan the same week as before."""
    snapshot = scenarios.steady_base()
    assert plan_week(with_conditions(snapshot), TODAY) == plan_week(snapshot, TODAY)
    assert plan_week(snapshot, TODAY).changes == ()


@pytest.mark.parametrize(
    ("state", "today"), [(ReadinessState.CAUTION, W.EASY), (ReadinessState.REST, W.REST)]
)
def test_readiness_eases_todays_quality(state: ReadinessState, today: WorkoutType) -> None:
    """Caution makes today's quality session easy, rest makes the day a rest day."""
    snapshot = scenarios.steady_base()
    before = plan_week(snapshot, TODAY).sessions[0]
    assert before.kind is W.REPETITION
    conditioned = with_conditions(snapshot, readiness=Readiness(state))
    plan = plan_week(conditioned, TODAY)
    assert plan.sessions[0].kind is today
    assert [(c.day, c.reason, c.before, c.after) for c in plan.changes] == [
        (TODAY, ChangeReason.READINESS, W.REPETITION, today)
    ]
    assert TODAY in plan.easy_only
    assert_sound(plan.sessions, plan, conditioned)
    # Tomorrow's week (the weekly report) is the planner's as ever.
    tomorrow = TODAY + timedelta(days=1)
    assert plan_week(conditioned, tomorrow) == plan_week(snapshot, tomorrow)


def test_readiness_leaves_an_easy_day_and_race_day_alone() -> None:
    """Caution on an easy day and any readiness on race day change nothing."""
    snapshot = scenarios.steady_base()
    wednesday = TODAY + timedelta(days=1)
    easy_day = replace(
        with_conditions(snapshot, readiness=Readiness(ReadinessState.CAUTION)), today=wednesday
    )
    assert plan_week(easy_day, wednesday).changes == ()
    race = scenarios.race_week()
    assert race.race is not None
    race_day = replace(
        with_conditions(race, readiness=Readiness(ReadinessState.REST)), today=race.race.race_date
    )
    plan = plan_week(race_day, race.race.race_date)
    assert plan.sessions[0].kind is W.RACE
    assert plan.changes == ()


def test_gemini_is_held_to_readiness() -> None:
    """Gemini's intervals today on a caution day become the easy run the planner has."""
    conditioned = with_conditions(
        scenarios.steady_base(), readiness=Readiness(ReadinessState.CAUTION)
    )
    plan = plan_week(conditioned, TODAY)
    proposed = [replace(s, kind=W.INTERVALS) if s.day == TODAY else s for s in plan.sessions]
    guarded = guard(proposed, plan)
    assert guarded.sessions[0].kind is W.EASY
    assert [(c.day, c.rule) for c in guarded.corrections] == [(TODAY, Rule.EASY_ONLY)]


def test_heat_slows_todays_paces_only() -> None:
    """27 °C and a 22 °C dew point at 07:00 slow today's paces by 5 %, not tomorrow's."""
    snapshot = scenarios.steady_base()
    heat = Heat.forecast(datetime(2026, 11, 3, 7, tzinfo=UTC), 27.0, 22.0)
    assert (heat.temperature_c, heat.dew_point_c, heat.slowdown_pct) == (27, 22, 5)
    plain = plan_week(snapshot, TODAY)
    hot = plan_week(with_conditions(snapshot, heat=heat), TODAY)
    assert hot.heat == heat
    first, later = hot.sessions[0], hot.sessions[1:]
    assert plain.sessions[0].pace_s_per_km is not None
    assert first.pace_s_per_km == pytest.approx(plain.sessions[0].pace_s_per_km * 1.05, abs=0.1)
    assert [s.pace_s_per_km for s in later] == [s.pace_s_per_km for s in plain.sessions[1:]]
    # Gemini's plan gets the same heat-slowed paces.
    guarded = guard(hot.sessions, hot)
    assert guarded.sessions[0].pace_s_per_km == first.pace_s_per_km
    cool = Heat.forecast(datetime(2026, 11, 3, 7, tzinfo=UTC), 12.0, 5.0)
    assert plan_week(with_conditions(snapshot, heat=cool), TODAY).sessions == plain.sessions


def test_key_sessions_move_off_busy_days_keeping_hard_easy() -> None:
    """A busy Tuesday and Sunday: the session moves a day later, the long run a day earlier."""
    snapshot = scenarios.steady_base()
    sunday = TODAY + timedelta(days=5)
    conditioned = with_conditions(snapshot, busy_days=frozenset({TODAY, sunday}))
    plan = plan_week(conditioned, TODAY)
    kinds = {s.day: s.kind for s in plan.sessions}
    assert kinds[TODAY] is W.EASY
    assert kinds[TODAY + timedelta(days=1)] is W.REPETITION
    assert kinds[sunday] is W.EASY
    assert kinds[sunday - timedelta(days=1)] is W.LONG
    assert [(c.day, c.reason, c.before, c.moved_to) for c in plan.changes] == [
        (TODAY, ChangeReason.BUSY, W.REPETITION, TODAY + timedelta(days=1)),
        (sunday, ChangeReason.BUSY, W.LONG, sunday - timedelta(days=1)),
    ]
    assert_sound(plan.sessions, plan, conditioned)


def test_a_week_without_a_free_day_makes_the_session_easy() -> None:
    """Every day busy: no key session can move, so they become easy runs, and the rules hold."""
    snapshot = scenarios.steady_base()
    every = frozenset(TODAY + timedelta(days=i) for i in range(7))
    conditioned = with_conditions(snapshot, busy_days=every)
    plan = plan_week(conditioned, TODAY)
    assert not any(s.kind in HARD for s in plan.sessions)
    assert {(c.before, c.after, c.moved_to) for c in plan.changes} == {
        (W.REPETITION, W.EASY, None),
        (W.LONG, W.EASY, None),
    }
    assert_sound(plan.sessions, plan, conditioned)


def test_a_busy_race_day_keeps_the_race() -> None:
    """The race is never moved, busy or not."""
    race = scenarios.race_week()
    assert race.race is not None
    conditioned = with_conditions(race, busy_days=frozenset({race.race.race_date}))
    plan = plan_week(conditioned, TODAY)
    assert plan.changes == ()
    assert [s.kind for s in plan.sessions] == [s.kind for s in plan_week(race, TODAY).sessions]


def test_a_busy_session_is_not_moved_beside_a_hard_day() -> None:
    """Tuesday and Wednesday busy: the session goes where no hard day sits beside it."""
    snapshot = scenarios.steady_base()
    conditioned = with_conditions(snapshot, busy_days=frozenset({TODAY, TODAY + timedelta(days=1)}))
    plan = plan_week(conditioned, TODAY)
    moved = {c.day: c.moved_to for c in plan.changes}
    target = moved[TODAY]
    assert target is not None
    assert target not in (TODAY, TODAY + timedelta(days=1))
    kinds = {s.day: s.kind for s in plan.sessions}
    assert kinds[target - timedelta(days=1)] not in HARD
    assert kinds[target + timedelta(days=1)] not in HARD
    assert_sound(plan.sessions, plan, conditioned)
