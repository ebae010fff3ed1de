"""
The coach: Gemini analysis, briefings and answers, with an offline rule-based coach behind it.

Nothing here imports google-genai at load time (it takes seconds): the client is built on first need
in an executor.
"""

from __future__ import annotations

from custom_components.coach_dyno.training.plan import WorkoutType

from .engine import Analysis, Answer, Briefing, Coach, Source
from .gemini import (
    DEFAULT_FALLBACK_MODEL,
    DEFAULT_MODEL,
    CoachAuthError,
    CoachBlockedError,
    CoachError,
    CoachMalformedError,
    CoachQuotaError,
    CoachUnavailableError,
    GeminiCaller,
    RetryPolicy,
    async_close_client,
    async_create_client,
    async_validate_api_key,
    async_validate_key,
)
from .memory import ConversationMemory, Exchange
from .prompt import BriefingKind, estimate_request_tokens, estimate_tokens
from .risk import Risk, RiskCode, detect_risks
from .schemas import PlannedWorkout, Workout
from .settings import CoachSettings, Persona, Units

__all__ = [
    "DEFAULT_FALLBACK_MODEL",
    "DEFAULT_MODEL",
    "Analysis",
    "Answer",
    "Briefing",
    "BriefingKind",
    "Coach",
    "CoachAuthError",
    "CoachBlockedError",
    "CoachError",
    "CoachMalformedError",
    "CoachQuotaError",
    "CoachSettings",
    "CoachUnavailableError",
    "ConversationMemory",
    "Exchange",
    "GeminiCaller",
    "Persona",
    "PlannedWorkout",
    "RetryPolicy",
    "Risk",
    "RiskCode",
    "Source",
    "Units",
    "Workout",
    "WorkoutType",
    "async_close_client",
    "async_create_client",
    "async_validate_api_key",
    "async_validate_key",
    "detect_risks",
    "estimate_request_tokens",
    "estimate_tokens",
]
