"""Structured outputs: the schemas and the strict parsing of Gemini's JSON."""

from __future__ import annotations

from datetime import date, timedelta
import json
from typing import Any

import pytest

from custom_components.coach_dyno.coach.schemas import (
    ANALYSIS_SCHEMA,
    BRIEFING_SCHEMA,
    MAX_ITEMS,
    PlannedWorkout,
    parse_analysis,
    parse_briefing,
    parse_plan_days,
    parse_workout,
    plan_as_dicts,
)
from custom_components.coach_dyno.training import TrainingPaces
from custom_components.coach_dyno.training.plan import (
    PLAN_DAYS,
    RECOVERY_PACE_FACTOR,
    WorkoutType,
    session_pace,
)
from tests.coach import replies

START = date(2026, 11, 3)
PACES = TrainingPaces(easy=360.0, marathon=310.0, threshold=290.0, interval=270.0, repetition=255.0)
GOAL_PACE = 298.6


def _session(**changes: Any) -> dict[str, Any]:
    session = {
        "type": "easy",
        "title": "Easy",
        "distance_km": 8.0,
        "target_pace_s_per_km": 400,
        "description": "Relaxed",
    }
    session.update(changes)
    return session


def test_schemas_describe_the_required_fields() -> None:
    assert ANALYSIS_SCHEMA["required"] == ["summary", "went_well", "risk_flags", "next_sessions"]
    days = BRIEFING_SCHEMA["properties"]["days"]
    assert days["minItems"] == days["maxItems"] == PLAN_DAYS
    day = days["items"]
    assert set(day["properties"]) == {
        "date",
        "type",
        "title",
        "distance_km",
        "target_pace_s_per_km",
        "description",
    }
    assert day["properties"]["type"]["enum"] == [kind.value for kind in WorkoutType]
    assert BRIEFING_SCHEMA["required"] == ["days", "text"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (WorkoutType.EASY, 360.0),
        (WorkoutType.LONG, 360.0),
        (WorkoutType.RECOVERY, round(360.0 * RECOVERY_PACE_FACTOR, 1)),
        (WorkoutType.MARATHON, 310.0),
        (WorkoutType.TEMPO, 290.0),
        (WorkoutType.INTERVALS, 270.0),
        (WorkoutType.REPETITION, 255.0),
        (WorkoutType.RACE_PACE, GOAL_PACE),
        (WorkoutType.RACE, GOAL_PACE),
        (WorkoutType.REST, None),
    ],
)
def test_paces_come_from_vdot_and_the_goal(kind: WorkoutType, expected: float | None) -> None:
    assert session_pace(kind, PACES, GOAL_PACE) == expected


def test_paces_without_vdot_or_goal() -> None:
    assert session_pace(WorkoutType.EASY, None, GOAL_PACE) is None
    assert session_pace(WorkoutType.RACE_PACE, None, GOAL_PACE) == GOAL_PACE
    assert session_pace(WorkoutType.RACE_PACE, PACES, None) is None


def test_workout_pace_is_snapped_to_vdot() -> None:
    workout = parse_workout(_session(type="tempo", target_pace_s_per_km=100), PACES, None)
    assert workout.target_pace_s_per_km == 290.0
    assert workout.as_dict() == {
        "type": "tempo",
        "title": "Easy",
        "distance_km": 8.0,
        "target_pace_s_per_km": 290.0,
        "description": "Relaxed",
    }


def test_workout_without_vdot_keeps_a_plausible_pace_only() -> None:
    assert (
        parse_workout(_session(target_pace_s_per_km=345.67), None, None).target_pace_s_per_km
        == 345.7
    )
    assert parse_workout(_session(target_pace_s_per_km=45), None, None).target_pace_s_per_km is None
    assert (
        parse_workout(_session(target_pace_s_per_km=None), None, None).target_pace_s_per_km is None
    )


def test_rest_has_no_distance_and_no_pace() -> None:
    rest = parse_workout(_session(type="rest", distance_km=5, target_pace_s_per_km=300), None, None)
    assert (rest.distance_km, rest.target_pace_s_per_km) == (0.0, None)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"type": "swim"}, ValueError),
        ({"distance_km": -1}, ValueError),
        ({"distance_km": 250}, ValueError),
        ({"distance_km": True}, TypeError),
        ({"distance_km": "8"}, TypeError),
        ({"distance_km": float("nan")}, ValueError),
        ({"title": "  "}, ValueError),
        ({"title": 3}, TypeError),
        ({"target_pace_s_per_km": "fast"}, TypeError),
    ],
)
def test_bad_sessions_are_refused(changes: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_workout(_session(**changes), None, None)


def test_session_must_be_an_object() -> None:
    with pytest.raises(TypeError):
        parse_workout(["easy"], PACES, None)


def test_plan_needs_each_of_the_seven_dates_once() -> None:
    days = replies.plan_days(START)
    plan = parse_plan_days(list(reversed(days)), START)
    assert [day.date for day in plan] == [START + timedelta(days=i) for i in range(7)]
    assert all(isinstance(day, PlannedWorkout) for day in plan)

    with pytest.raises(ValueError, match="expected 7"):
        parse_plan_days(days[:6], START)
    with pytest.raises(ValueError, match="repeated"):
        parse_plan_days([*days[:6], days[0]], START)
    outside = [*days[:6], {**days[6], "date": (START + timedelta(days=9)).isoformat()}]
    with pytest.raises(ValueError, match="unexpected"):
        parse_plan_days(outside, START)
    with pytest.raises(ValueError, match="Invalid isoformat"):
        parse_plan_days([{**days[0], "date": "next Monday"}, *days[1:]], START)
    with pytest.raises(TypeError):
        parse_plan_days({"days": days}, START)
    with pytest.raises(TypeError):
        parse_plan_days([*days[:6], "rest"], START)


def test_plan_as_dicts() -> None:
    plan = parse_plan_days(replies.plan_days(START), START)
    dicts = plan_as_dicts(plan)
    assert dicts[0]["date"] == START.isoformat()
    assert list(dicts[0]) == [
        "date",
        "type",
        "title",
        "distance_km",
        "target_pace_s_per_km",
        "description",
    ]


def test_parse_briefing() -> None:
    text, plan = parse_briefing(json.dumps(replies.briefing(START, "  Hi.  ")), START)
    assert text == "Hi."
    assert len(plan) == 7
    with pytest.raises(ValueError, match="text is empty"):
        parse_briefing(json.dumps(replies.briefing(START, "")), START)
    with pytest.raises(TypeError):
        parse_briefing(json.dumps({"days": replies.plan_days(START)}), START)


def test_parse_analysis() -> None:
    answer = replies.analysis()
    answer["went_well"] = [f"point {i}" for i in range(8)]
    answer["next_sessions"] = [_session(), _session(type="long"), _session(), _session()]
    content = parse_analysis(json.dumps(answer), PACES, GOAL_PACE)
    assert content.summary == "Solid aerobic run."
    assert len(content.went_well) == MAX_ITEMS
    assert content.risk_flags == ("Load jumped this week",)
    assert len(content.next_sessions) == 3
    assert content.next_sessions[1].target_pace_s_per_km == 360.0


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"next_sessions": {}}, TypeError),
        ({"went_well": "all of it"}, TypeError),
        ({"summary": ""}, ValueError),
        ({"risk_flags": [1]}, TypeError),
    ],
)
def test_bad_analyses_are_refused(changes: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_analysis(json.dumps({**replies.analysis(), **changes}), PACES, None)
