"""
The coach: briefings, analyses and answers from Gemini, with the offline coach behind it.

Plain asyncio, no Home Assistant: the integration passes its executor, persists the memory and maps
errors. One LLM call per briefing, cached for the day; analyses cached per activity; any change of
settings or key empties the caches. Only answers from Gemini are cached: the offline coach is free and
follows the latest snapshot, and a later call gets another chance at Gemini.

An invalid key raises CoachAuthError (the user must act: reauthentication); every other Gemini
failure (quota, overload, timeouts, blocked or malformed answers) is covered by the offline coach.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
import logging
import random
import time
from typing import TYPE_CHECKING, Any, Final, Literal

from custom_components.coach_dyno.training.plan import Session, guard, plan_week, race_pace

from . import offline, prompt
from .formatting import clip
from .gemini import (
    CoachAuthError,
    CoachError,
    Executor,
    GeminiCaller,
    GeminiReply,
    GeminiRequest,
    RetryPolicy,
    ToolCall,
    ToolSpec,
    Turn,
    async_close_client,
    async_create_client,
)
from .memory import ConversationMemory, Conversations
from .prompt import BriefingKind, PastRun
from .risk import RiskCode, detect_risks
from .schemas import (
    AnalysisContent,
    PlannedWorkout,
    Workout,
    parse_analysis,
    parse_briefing,
    plan_as_dicts,
)
from .settings import CoachSettings

if TYPE_CHECKING:
    from google.genai import Client

    from custom_components.coach_dyno.training import Activity, RunSummary, TrainingSnapshot
    from custom_components.coach_dyno.training.conditions import Conditions

_LOGGER = logging.getLogger(__name__)

type Source = Literal["gemini", "offline"]
BRIEFING_KINDS: Final = ("morning", "weekly")
MAX_CACHED_ANALYSES: Final = 32
# Rounds of tool calls one answer may take before the offline coach answers instead.
MAX_TOOL_ROUNDS: Final = 4

type ToolRunner = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class CoachTools:
    """Functions Gemini may call while answering, and what runs them (the caller's data)."""

    specs: tuple[ToolSpec, ...]
    run: ToolRunner


@dataclass(frozen=True, slots=True, kw_only=True)
class Briefing:
    """
    A morning briefing or weekly report, with the 7-day plan made in the same call.

    `adjustments` say what the planner's guardrails changed in a plan from Gemini, and why.
    """

    kind: BriefingKind
    day: date
    text: str
    source: Source
    model: str | None
    plan: tuple[PlannedWorkout, ...]
    quota_exhausted: bool
    adjustments: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form (action responses)."""
        return {
            "kind": self.kind,
            "date": self.day.isoformat(),
            "text": self.text,
            "source": self.source,
            "model": self.model,
            "plan": plan_as_dicts(self.plan),
            "adjustments": list(self.adjustments),
            "quota_exhausted": self.quota_exhausted,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    """
    A post-run analysis; `flags` are the rule-detected risk codes, whatever the source.

    `text` is all of it as one message, ready to send (the post-run blueprint sends it);
    `adjustments` say what the planner's guardrails changed in Gemini's next sessions, and why.
    """

    activity_id: int
    text: str
    adjustments: tuple[str, ...]
    summary: str
    went_well: tuple[str, ...]
    risk_flags: tuple[str, ...]
    flags: tuple[RiskCode, ...]
    next_sessions: tuple[Workout, ...]
    source: Source
    model: str | None
    quota_exhausted: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form (action responses)."""
        return {
            "activity_id": self.activity_id,
            "text": self.text,
            "adjustments": list(self.adjustments),
            "summary": self.summary,
            "went_well": list(self.went_well),
            "risk_flags": list(self.risk_flags),
            "flags": [flag.value for flag in self.flags],
            "next_sessions": [session.as_dict() for session in self.next_sessions],
            "source": self.source,
            "model": self.model,
            "quota_exhausted": self.quota_exhausted,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """The coach's answer to a question."""

    text: str
    source: Source
    model: str | None
    quota_exhausted: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form (action responses)."""
        return {
            "text": self.text,
            "source": self.source,
            "model": self.model,
            "quota_exhausted": self.quota_exhausted,
        }


class Coach:
    """One athlete's coach: settings, an optional Gemini key or client, caches and memory."""

    def __init__(
        self,
        settings: CoachSettings | None = None,
        client: Client | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        executor: Executor | None = None,
        memory: ConversationMemory | MutableMapping[str, Any] | None = None,
        on_memory_change: Callable[[dict[str, Any]], None] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """
        Use `client`, or build one from `api_key` on first need (google-genai loads lazily).

        With neither, the offline coach answers everything. `memory` may be the default
        ConversationMemory or the persisted dict of the conversations (`Conversations.as_dict`
        form), which is then kept up to date in place after every change, so its owner only has to
        save it; `on_memory_change` gets that dict too. `sleep`, `rand` and `clock` reach the retry
        logic so tests never wait.
        """
        self._settings = settings or CoachSettings()
        self._client = client
        self._owns_client = False
        self._api_key = api_key
        self._base_url = base_url
        self._executor = executor
        self._policy = policy
        self._sleep = sleep
        self._rand = rand
        self._clock = clock
        self._caller: GeminiCaller | None = None
        self._client_lock = asyncio.Lock()
        self._briefing_lock = asyncio.Lock()
        self._briefings: dict[tuple[str, date, int, str, str, str, Conditions], Briefing] = {}
        self._analyses: OrderedDict[int, Analysis] = OrderedDict()
        self._memory_data: MutableMapping[str, Any] | None = None
        if isinstance(memory, ConversationMemory):
            self._conversations = Conversations(memory)
        else:
            self._conversations = Conversations.from_dict(memory)
            self._memory_data = memory
        self._on_memory_change = on_memory_change
        self._latest_briefing: Briefing | None = None
        self._offline_today: tuple[TrainingSnapshot, Briefing] | None = None
        self._last_source: Source | None = None
        self._last_error: str | None = None
        self._gemini_failing = False

    @property
    def settings(self) -> CoachSettings:
        """The current settings."""
        return self._settings

    @property
    def memory(self) -> ConversationMemory:
        """The conversation used when `ask` gets neither a memory nor a conversation id."""
        return self._conversations.default

    def conversation(self, conversation_id: str | None) -> ConversationMemory:
        """Return the kept conversation `conversation_id` (the default one for None)."""
        return self._conversations.get(conversation_id)

    @property
    def gemini_enabled(self) -> bool:
        """Whether a key or client is configured."""
        return self._client is not None or bool(self._api_key)

    @property
    def quota_exhausted(self) -> bool:
        """Whether the main model's daily quota was found spent (cleared when it is probed again)."""
        return self._caller is not None and self._caller.daily_quota_exhausted(self._settings.model)

    @property
    def latest_plan(self) -> tuple[PlannedWorkout, ...]:
        """The 7-day plan of the latest briefing (empty before the first one)."""
        return () if self._latest_briefing is None else self._latest_briefing.plan

    def todays_briefing(self, snapshot: TrainingSnapshot) -> Briefing:
        """
        Return today's latest briefing, or the offline coach's morning briefing when none was asked.

        Free and without a network call, so the dashboard always has words and a plan; the offline
        one is written once per snapshot.
        """
        latest = self._latest_briefing
        if latest is not None and latest.day == snapshot.today:
            return latest
        if self._offline_today is not None and self._offline_today[0] is snapshot:
            return self._offline_today[1]
        settings = self._settings
        plan = offline.plan_week(snapshot, snapshot.today, settings)
        briefing = self._briefing(
            "morning",
            snapshot=snapshot,
            text=offline.morning_briefing(snapshot, plan, settings),
            plan=plan,
            source="offline",
            model=None,
        )
        self._offline_today = (snapshot, briefing)
        return briefing

    def update_settings(self, settings: CoachSettings) -> None:
        """Apply new settings; anything said under the old ones is forgotten."""
        if settings != self._settings:
            self._settings = settings
            self.clear_cache()

    async def async_set_api_key(self, api_key: str | None, base_url: str | None = None) -> None:
        """Switch to another key (or none); the next call builds a new client."""
        await self.async_close()
        self._client = None
        self._caller = None
        self._api_key = api_key
        self._base_url = base_url
        self.clear_cache()

    async def async_close(self) -> None:
        """Close the client this coach built (a client passed in belongs to the caller)."""
        if self._client is not None and self._owns_client:
            await async_close_client(self._client)
            self._client = None
            self._caller = None
            self._owns_client = False

    def clear_cache(self) -> None:
        """Forget cached briefings and analyses."""
        self._briefings.clear()
        self._analyses.clear()

    async def async_clear_memory(self, conversation_id: str | None = None) -> None:
        """Forget the conversation `conversation_id` (the default one for None)."""
        self._conversations.forget(conversation_id)
        self._memory_changed(self._conversations.default)

    def diagnostics(self) -> dict[str, Any]:
        """Health and configuration for diagnostics (never the key)."""
        return {
            "gemini_enabled": self.gemini_enabled,
            "model": self._settings.model,
            "fallback_model": self._settings.fallback_model,
            "persona": self._settings.persona.value,
            "language": self._settings.language,
            "units": self._settings.units.value,
            "llm_calls": 0 if self._caller is None else self._caller.calls,
            "last_source": self._last_source,
            "last_error": self._last_error,
            "quota_exhausted": self.quota_exhausted,
            "cached_briefings": len(self._briefings),
            "cached_analyses": len(self._analyses),
            "memory_turns": len(self._conversations.default),
        }

    async def briefing(
        self,
        snapshot: TrainingSnapshot,
        kind: BriefingKind = "morning",
        *,
        similar: Sequence[PastRun] = (),
    ) -> Briefing:
        """Return the morning briefing (plan from today) or weekly report (plan from tomorrow)."""
        if kind not in BRIEFING_KINDS:
            raise ValueError(f"unknown briefing kind {kind!r}")
        settings = self._settings
        # A run logged later in the day changes what the briefing says (and the plan's first day),
        # and so does what the home says (readiness, heat, busy days).
        runs_today = snapshot.recent.today_runs
        key = (
            kind,
            snapshot.today,
            runs_today,
            settings.language,
            settings.persona,
            settings.units,
            snapshot.conditions,
        )
        # One call at a time, so two automations firing together still cost one LLM call.
        async with self._briefing_lock:
            if (cached := self._briefings.get(key)) is not None:
                self._latest_briefing = cached
                return cached
            start = snapshot.today + timedelta(days=0 if kind == "morning" else 1)
            baseline = plan_week(snapshot, start)

            def parse(text: str) -> tuple[str, tuple[PlannedWorkout, ...]]:
                return parse_briefing(text, start)

            request = prompt.briefing_request(snapshot, kind, settings, baseline, similar)
            reply = await self._generate(request, parse)
            if reply is not None:
                text, proposed = reply.value
                guarded = guard(
                    [
                        Session(w.date, w.type, w.distance_km, w.target_pace_s_per_km)
                        for w in proposed
                    ],
                    baseline,
                    {w.date: w.description for w in proposed},
                )
                plan = offline.guarded_workouts(guarded, proposed, baseline, settings)
                adjustments = offline.correction_messages(guarded.corrections, settings)
                if adjustments:
                    text = offline.with_adjustments(text, adjustments, settings)
                result = self._briefing(
                    kind,
                    snapshot=snapshot,
                    text=text,
                    plan=plan,
                    source="gemini",
                    model=reply.model,
                    adjustments=adjustments,
                )
                # Only today's entries are worth keeping.
                for stale in [k for k in self._briefings if k[1] != snapshot.today]:
                    del self._briefings[stale]
                self._briefings[key] = result
            else:
                plan = offline.workouts(baseline, settings)
                writer = offline.morning_briefing if kind == "morning" else offline.weekly_report
                text = writer(snapshot, plan, settings)
                result = self._briefing(
                    kind, snapshot=snapshot, text=text, plan=plan, source="offline", model=None
                )
            self._latest_briefing = result
            return result

    def _briefing(
        self,
        kind: BriefingKind,
        *,
        snapshot: TrainingSnapshot,
        text: str,
        plan: tuple[PlannedWorkout, ...],
        source: Source,
        model: str | None,
        adjustments: tuple[str, ...] = (),
    ) -> Briefing:
        """Assemble a briefing result."""
        return Briefing(
            kind=kind,
            day=snapshot.today,
            text=clip(text),
            source=source,
            model=model,
            plan=plan,
            quota_exhausted=self.quota_exhausted,
            adjustments=adjustments,
        )

    async def analyze(
        self,
        snapshot: TrainingSnapshot,
        run: RunSummary | Activity,
        similar: Sequence[PastRun] = (),
    ) -> Analysis:
        """Analyse one run against the training so far and the most similar past runs."""
        summary = prompt.run_summary_of(run, snapshot)
        if (cached := self._analyses.get(summary.id)) is not None:
            self._analyses.move_to_end(summary.id)
            return cached
        settings = self._settings
        pace = race_pace(snapshot)

        def parse(text: str) -> AnalysisContent:
            return parse_analysis(text, snapshot.paces, pace)

        request = prompt.analysis_request(snapshot, summary, similar, settings)
        reply = await self._generate(request, parse)
        if reply is None:
            return self._offline_analysis(snapshot, summary, similar)
        content, adjustments = offline.guarded_analysis(snapshot, reply.value, self._settings)
        result = self._analysis(
            snapshot, summary, content, "gemini", reply.model, adjustments=adjustments
        )
        self._analyses[summary.id] = result
        while len(self._analyses) > MAX_CACHED_ANALYSES:
            self._analyses.popitem(last=False)
        return result

    def latest_analysis(
        self, snapshot: TrainingSnapshot, run: RunSummary, similar: Sequence[PastRun] = ()
    ) -> Analysis:
        """Return Gemini's analysis of `run` if one was asked for, else the offline coach's (free)."""
        if (cached := self._analyses.get(run.id)) is not None:
            return cached
        return self._offline_analysis(snapshot, run, similar)

    def _offline_analysis(
        self, snapshot: TrainingSnapshot, summary: RunSummary, similar: Sequence[PastRun]
    ) -> Analysis:
        """Let the offline coach analyse a run."""
        content = offline.analyze_run(snapshot, summary, similar, self._settings)
        return self._analysis(snapshot, summary, content, "offline", None)

    def _analysis(
        self,
        snapshot: TrainingSnapshot,
        summary: RunSummary,
        content: AnalysisContent,
        source: Source,
        model: str | None,
        *,
        adjustments: tuple[str, ...] = (),
    ) -> Analysis:
        """Assemble an analysis result."""
        return Analysis(
            activity_id=summary.id,
            text=clip(offline.analysis_message(content, self._settings, adjustments)),
            adjustments=adjustments,
            summary=content.summary,
            went_well=content.went_well,
            risk_flags=content.risk_flags,
            flags=tuple(risk.code for risk in detect_risks(snapshot, summary)),
            next_sessions=content.next_sessions,
            source=source,
            model=model,
            quota_exhausted=self.quota_exhausted,
        )

    async def ask(
        self,
        snapshot: TrainingSnapshot,
        question: str,
        memory: ConversationMemory | None = None,
        tools: CoachTools | None = None,
        *,
        conversation_id: str | None = None,
    ) -> Answer:
        """
        Answer a question in the conversation so far, then remember the exchange.

        The conversation is `memory` when given (its owner keeps it), else the kept conversation
        `conversation_id` (the default one for None). With `tools`, Gemini may call them (a few
        rounds at most) before it answers.
        """
        question = question.strip()[: prompt.MAX_QUESTION]
        if not question:
            raise ValueError("empty question")
        conversation = self.conversation(conversation_id) if memory is None else memory
        request = prompt.ask_request(
            snapshot, question, conversation, self._settings, () if tools is None else tools.specs
        )
        reply = await self._generate(request, str.strip)
        for _round in range(MAX_TOOL_ROUNDS):
            if reply is None or not reply.calls or tools is None:
                break
            results = [
                ToolCall(call.name, call.args, await tools.run(call.name, call.args))
                for call in reply.calls
            ]
            request = replace(
                request,
                turns=(
                    *request.turns,
                    Turn("model", reply.text, reply.calls),
                    Turn("user", "", tuple(results)),
                ),
            )
            reply = await self._generate(request, str.strip)
        if reply is not None and reply.value:
            answer = Answer(
                text=clip(reply.value),
                source="gemini",
                model=reply.model,
                quota_exhausted=self.quota_exhausted,
            )
        else:
            answer = Answer(
                text=clip(
                    offline.answer(
                        snapshot,
                        question,
                        self._settings,
                        [exchange.question for exchange in conversation],
                    )
                ),
                source="offline",
                model=None,
                quota_exhausted=self.quota_exhausted,
            )
        conversation.add(question, answer.text)
        self._memory_changed(conversation)
        return answer

    def _memory_changed(self, memory: ConversationMemory) -> None:
        """Tell the owner one of the kept conversations changed, so it can persist them."""
        if memory not in self._conversations:
            # A conversation of the caller's own (the conversation agent's) is the caller's.
            return
        data = self._conversations.as_dict()
        if self._memory_data is not None:
            self._memory_data.clear()
            self._memory_data.update(data)
        if self._on_memory_change is not None:
            self._on_memory_change(data)

    async def _async_caller(self) -> GeminiCaller | None:
        """Return the Gemini caller, building the client on first need; None when offline."""
        if self._caller is not None:
            return self._caller
        async with self._client_lock:
            if self._caller is None:
                if self._client is None and self._api_key:
                    self._client = await async_create_client(
                        self._api_key, self._base_url, executor=self._executor
                    )
                    self._owns_client = True
                if self._client is not None:
                    self._caller = GeminiCaller(
                        self._client,
                        policy=self._policy,
                        sleep=self._sleep,
                        rand=self._rand,
                        clock=self._clock,
                    )
        return self._caller

    async def _generate[T](
        self, request: GeminiRequest, parse: Callable[[str], T]
    ) -> GeminiReply[T] | None:
        """Ask Gemini; None means: let the offline coach answer."""
        caller = await self._async_caller()
        if caller is None:
            self._last_source = "offline"
            return None
        try:
            reply = await caller.generate(request, self._settings.models, parse)
        except CoachAuthError as err:
            self._last_error = type(err).__name__
            raise
        except CoachError as err:
            self._last_error = type(err).__name__
            self._last_source = "offline"
            if not self._gemini_failing:
                _LOGGER.warning("Gemini cannot answer (%s); the offline coach speaks", err)
                self._gemini_failing = True
            return None
        if self._gemini_failing:
            _LOGGER.info("Gemini answers again")
            self._gemini_failing = False
        self._last_source = "gemini"
        return reply
