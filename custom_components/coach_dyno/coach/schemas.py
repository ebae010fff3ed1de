"""
Structured outputs: the JSON schemas Gemini must follow, and strict parsing of its answers.

Schemas use the OpenAPI subset Gemini accepts as `response_schema` and carry no descriptions (the
prompt explains the fields; every schema token is billed as input). Parsing rejects anything that does
not fit (ValueError), so a malformed answer counts as a failed call and the coach falls back.
Target paces are never taken on trust: when VDOT paces are known, each session's pace is set from the
pace its type calls for (Daniels: easy, marathon, threshold, interval, repetition); a 7-day plan keeps
the model's paces here and gets its own from the planner's guardrails (`training.plan.guard`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
import math
from typing import TYPE_CHECKING, Any, Final

from custom_components.coach_dyno.training.plan import PLAN_DAYS, WorkoutType, session_pace

from .gemini import parse_json_object

if TYPE_CHECKING:
    from custom_components.coach_dyno.training import TrainingPaces

MAX_SESSIONS: Final = 3
MAX_ITEMS: Final = 5
MAX_TITLE: Final = 80
MAX_TEXT: Final = 2000
MAX_DISTANCE_KM: Final = 100.0
# Plausible running paces, s/km: a 2:00/km sprint to a 15:00/km walk.
MIN_PACE: Final = 120.0
MAX_PACE: Final = 900.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Workout:
    """One suggested session."""

    type: WorkoutType
    title: str
    distance_km: float
    target_pace_s_per_km: float | None
    description: str

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict."""
        return {
            "type": self.type.value,
            "title": self.title,
            "distance_km": self.distance_km,
            "target_pace_s_per_km": self.target_pace_s_per_km,
            "description": self.description,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedWorkout(Workout):
    """A session on a given day of a plan."""

    date: date

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict, the date first."""
        return {"date": self.date.isoformat(), **Workout.as_dict(self)}


@dataclass(frozen=True, slots=True, kw_only=True)
class AnalysisContent:
    """What a post-run analysis says."""

    summary: str
    went_well: tuple[str, ...]
    risk_flags: tuple[str, ...]
    next_sessions: tuple[Workout, ...]


_WORKOUT_PROPERTIES: Final[dict[str, Any]] = {
    "type": {"type": "string", "enum": [t.value for t in WorkoutType]},
    "title": {"type": "string"},
    "distance_km": {"type": "number"},
    "target_pace_s_per_km": {"type": "number", "nullable": True},
    "description": {"type": "string"},
}
_WORKOUT_REQUIRED: Final = ["type", "title", "distance_km", "description"]

WORKOUT_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": _WORKOUT_PROPERTIES,
    "required": _WORKOUT_REQUIRED,
}
PLAN_DAY_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {"date": {"type": "string"}, **_WORKOUT_PROPERTIES},
    "required": ["date", *_WORKOUT_REQUIRED],
}
_DAYS: Final[dict[str, Any]] = {
    "type": "array",
    "items": PLAN_DAY_SCHEMA,
    "minItems": PLAN_DAYS,
    "maxItems": PLAN_DAYS,
}
# The plan comes first so that the text can speak about the sessions it just planned.
BRIEFING_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {"days": _DAYS, "text": {"type": "string"}},
    "required": ["days", "text"],
    "propertyOrdering": ["days", "text"],
}
ANALYSIS_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "went_well": {"type": "array", "items": {"type": "string"}},
        "risk_flags": {"type": "array", "items": {"type": "string"}},
        "next_sessions": {"type": "array", "items": WORKOUT_SCHEMA, "maxItems": MAX_SESSIONS},
    },
    "required": ["summary", "went_well", "risk_flags", "next_sessions"],
    "propertyOrdering": ["summary", "went_well", "risk_flags", "next_sessions"],
}


def _text(value: Any, name: str, limit: int, *, allow_empty: bool = False) -> str:
    """Read a stripped string field, cut at `limit` characters."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string")
    text = value.strip()
    if not text and not allow_empty:
        raise ValueError(f"{name} is empty")
    return text[:limit]


def _number(value: Any, name: str) -> float:
    """Read a finite number field (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite")
    return number


def _texts(value: Any, name: str) -> tuple[str, ...]:
    """Read a list of non-empty strings, at most MAX_ITEMS of them."""
    if not isinstance(value, list):
        raise TypeError(f"{name} must be a list")
    items = (_text(item, name, MAX_TEXT, allow_empty=True) for item in value)
    return tuple(item for item in items if item)[:MAX_ITEMS]


def _workout_fields(
    obj: Any, paces: TrainingPaces | None, race_pace: float | None
) -> dict[str, Any]:
    """Validate one session object and return Workout's fields (paces: see the docstring)."""
    if not isinstance(obj, dict):
        raise TypeError("a session must be an object")
    kind = WorkoutType(str(obj.get("type")))
    distance = _number(obj.get("distance_km"), "distance_km")
    if not 0 <= distance <= MAX_DISTANCE_KM:
        raise ValueError(f"distance_km out of range: {distance}")
    if kind is WorkoutType.REST:
        distance = 0.0
    pace = session_pace(kind, paces, race_pace)
    raw_pace = obj.get("target_pace_s_per_km")
    if pace is None and kind is not WorkoutType.REST and raw_pace is not None:
        # Without VDOT paces the model's pace stands, if it is a pace at all.
        candidate = _number(raw_pace, "target_pace_s_per_km")
        pace = round(candidate, 1) if MIN_PACE <= candidate <= MAX_PACE else None
    return {
        "type": kind,
        "title": _text(obj.get("title"), "title", MAX_TITLE),
        "distance_km": round(distance, 1),
        "target_pace_s_per_km": pace,
        "description": _text(obj.get("description"), "description", MAX_TEXT, allow_empty=True),
    }


def parse_workout(obj: Any, paces: TrainingPaces | None, race_pace: float | None) -> Workout:
    """Validate one session object (ValueError/TypeError when it does not fit)."""
    return Workout(**_workout_fields(obj, paces, race_pace))


def parse_plan_days(days: Any, start: date) -> tuple[PlannedWorkout, ...]:
    """Validate a 7-day plan: exactly one session for each date from `start`, in date order."""
    if not isinstance(days, list):
        raise TypeError("days must be a list")
    wanted = {start + timedelta(days=offset) for offset in range(PLAN_DAYS)}
    plan: dict[date, PlannedWorkout] = {}
    for obj in days:
        if not isinstance(obj, dict):
            raise TypeError("a plan day must be an object")
        day = date.fromisoformat(_text(obj.get("date"), "date", 10))
        if day not in wanted or day in plan:
            raise ValueError(f"unexpected or repeated date {day.isoformat()}")
        plan[day] = PlannedWorkout(date=day, **_workout_fields(obj, None, None))
    if len(plan) != PLAN_DAYS:
        raise ValueError(f"expected {PLAN_DAYS} days, got {len(plan)}")
    return tuple(plan[day] for day in sorted(plan))


def parse_briefing(text: str, start: date) -> tuple[str, tuple[PlannedWorkout, ...]]:
    """Parse a briefing answer into its text and its 7-day plan (as the model wrote it)."""
    obj = parse_json_object(text)
    plan = parse_plan_days(obj.get("days"), start)
    return _text(obj.get("text"), "text", MAX_TEXT * 2), plan


def parse_analysis(
    text: str, paces: TrainingPaces | None, race_pace: float | None
) -> AnalysisContent:
    """Parse an activity analysis answer."""
    obj = parse_json_object(text)
    sessions = obj.get("next_sessions")
    if not isinstance(sessions, list):
        raise TypeError("next_sessions must be a list")
    return AnalysisContent(
        summary=_text(obj.get("summary"), "summary", MAX_TEXT),
        went_well=_texts(obj.get("went_well"), "went_well"),
        risk_flags=_texts(obj.get("risk_flags"), "risk_flags"),
        next_sessions=tuple(parse_workout(s, paces, race_pace) for s in sessions[:MAX_SESSIONS]),
    )


def plan_as_dicts(plan: Sequence[PlannedWorkout]) -> list[dict[str, Any]]:
    """Return a plan's days as JSON-safe dicts."""
    return [day.as_dict() for day in plan]
