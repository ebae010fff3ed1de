"""Well-formed structured answers, as Gemini would write them, for the coach's tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from custom_components.coach_dyno.training.plan import plan_week

if TYPE_CHECKING:
    from custom_components.coach_dyno.training import TrainingSnapshot

WEEK = ("rest", "intervals", "easy", "tempo", "rest", "easy", "long")


def plan_days(
    start: date, *, pace: float | None = 999.0, like: TrainingSnapshot | None = None
) -> list[dict[str, Any]]:
    """
    Return seven plan days from `start`, with a deliberately wrong pace the coach must correct.

    With `like`, the days follow the planner's week for that snapshot (a plan the guardrails
    accept); without, a fixed week of 8.25 km runs.
    """
    if like is not None:
        return [
            {
                "date": session.day.isoformat(),
                "type": session.kind.value,
                "title": session.kind.value.title(),
                "distance_km": session.distance_km,
                "target_pace_s_per_km": None if session.kind.value == "rest" else pace,
                "description": f"{session.kind.value} day",
            }
            for session in plan_week(like, start).sessions
        ]
    days = []
    for offset in range(7):
        day = start + timedelta(days=offset)
        kind = WEEK[day.weekday()]
        days.append(
            {
                "date": day.isoformat(),
                "type": kind,
                "title": kind.title(),
                "distance_km": 0 if kind == "rest" else 8.25,
                "target_pace_s_per_km": None if kind == "rest" else pace,
                "description": f"{kind} day",
            }
        )
    return days


def briefing(
    start: date, text: str = "Good morning from Gemini.", like: TrainingSnapshot | None = None
) -> dict[str, Any]:
    """Return a briefing answer: the plan (see `plan_days`) and the text."""
    return {"days": plan_days(start, like=like), "text": text}


def analysis(summary: str = "Solid aerobic run.") -> dict[str, Any]:
    """Return an analysis answer."""
    return {
        "summary": summary,
        "went_well": ["Even pacing", "  ", "Low drift"],
        "risk_flags": ["Load jumped this week"],
        "next_sessions": [
            {
                "type": "easy",
                "title": "Easy",
                "distance_km": 8,
                "target_pace_s_per_km": 300,
                "description": "Relaxed",
            },
            {"type": "tempo", "title": "Tempo", "distance_km": 10, "description": "20 min"},
        ],
    }
