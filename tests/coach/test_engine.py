"""The Coach end to end against the fake Gemini server: briefings, analyses, answers, fallbacks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
import itertools
import logging
import re
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.coach_dyno.coach import (
    Coach,
    CoachAuthError,
    CoachSettings,
    ConversationMemory,
    Persona,
    RetryPolicy,
    RiskCode,
    Units,
    WorkoutType,
)
from custom_components.coach_dyno.coach.engine import MAX_CACHED_ANALYSES
from custom_components.coach_dyno.training import TrainingSnapshot, compute_snapshot
from custom_components.coach_dyno.training.plan import (
    HARD,
    QUALITY,
    described_km,
    plan_week as planned_week,
)
from tests.coach import replies
from tests.coach.conftest import ExecutorRecorder, FakeClock, SleepRecorder
from tests.coach.history import TODAY, history, profile, with_load
from tests.fakes.gemini import (
    VALID_KEY,
    FakeGemini,
    blocked_prompt_reply,
    empty_reply,
    json_reply,
    quota_error,
    safety_reply,
    text_reply,
    unavailable_error,
)
from tests.training import scenarios

if TYPE_CHECKING:
    from google.genai import Client

MAIN = "gemini-2.5-flash"
LITE = "gemini-2.5-flash-lite"


def _field(schema: dict[str, Any], name: str) -> Any:
    """Read a schema field as google-genai sent it (snake_case in 2.8, camelCase in the docs)."""
    head, *rest = name.split("_")
    camel = head + "".join(part.title() for part in rest)
    return schema[name] if name in schema else schema[camel]


@pytest.fixture
def make_coach(client: Client, sleeps: SleepRecorder, clock: FakeClock) -> Callable[..., Coach]:
    """Build coaches on the fake server's client, with recorded sleeps and a fake clock."""

    def build(settings: CoachSettings | None = None, **kwargs: Any) -> Coach:
        return Coach(settings, client, sleep=sleeps, rand=lambda: 0.5, clock=clock, **kwargs)

    return build


# --- briefings ------------------------------------------------------------------------------


async def test_morning_briefing_from_gemini(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    snap = year_snapshot
    fake_gemini.queue(MAIN, json_reply(replies.briefing(snap.today, like=snap)))
    coach = make_coach()

    briefing = await coach.briefing(snap)

    assert (briefing.source, briefing.model, briefing.kind) == ("gemini", MAIN, "morning")
    assert briefing.text == "Good morning from Gemini."
    assert briefing.adjustments == ()
    assert not briefing.quota_exhausted
    assert [day.date for day in briefing.plan] == [snap.today + timedelta(days=i) for i in range(7)]
    assert coach.latest_plan == briefing.plan
    assert snap.paces is not None
    by_type = {day.type: day for day in briefing.plan}
    # The model's paces are replaced by the VDOT paces of each session type.
    assert by_type[WorkoutType.EASY].target_pace_s_per_km == round(snap.paces.easy, 1)
    assert by_type[WorkoutType.REPETITION].target_pace_s_per_km == round(snap.paces.repetition, 1)
    assert by_type[WorkoutType.REST].distance_km == 0
    # The model's own words stay on the days the guardrails accept.
    assert by_type[WorkoutType.LONG].description == "long day"
    (sent,) = fake_gemini.requests
    assert "Write all text in English." in sent.system_text
    assert "City Half" in sent.prompt_text
    # The planner's week is the baseline Gemini starts from, with the rules it is held to.
    assert "Planner's week (steady), the baseline: Tue repetition " in sent.prompt_text
    assert "no hard day (quality, long, race) after a hard day" in sent.prompt_text
    schema = sent.generation_config["responseSchema"]
    assert _field(schema, "property_ordering") == ["days", "text"]
    assert int(_field(schema["properties"]["days"], "min_items")) == 7
    assert schema["properties"]["days"]["items"]["properties"]["type"]["enum"][0] == "rest"
    data = briefing.as_dict()
    assert data["plan"][0]["date"] == snap.today.isoformat()
    assert data["source"] == "gemini"
    assert data["adjustments"] == []


@pytest.mark.parametrize(
    ("settings", "note", "fixed"),
    [
        (
            CoachSettings(),
            "\n\nPlan adjusted: ",
            "Wed: intervals 15.0 km became rest day (every week keeps a rest day).",
        ),
        (
            CoachSettings(language="vi"),
            "\n\nKế hoạch đã điều chỉnh: ",
            "T4: chạy interval 15,0 km thành ngày nghỉ (tuần nào cũng giữ một ngày nghỉ).",
        ),
    ],
)
async def test_a_bad_gemini_plan_is_corrected_and_says_why(
    make_coach: Callable[..., Coach],
    fake_gemini: FakeGemini,
    settings: CoachSettings,
    note: str,
    fixed: str,
) -> None:
    snap = scenarios.taper()
    bad = replies.briefing(snap.today, "Big week ahead.")
    for day in bad["days"]:
        day.update(
            type="intervals",
            distance_km=15,
            target_pace_s_per_km=150,
            description="Warm up 2 km, 10 x 1 km, cool down 2 km",
        )
    fake_gemini.queue(MAIN, json_reply(bad))

    briefing = await make_coach(settings).briefing(snap)

    assert briefing.source == "gemini"
    assert fixed in briefing.adjustments
    assert briefing.text.startswith(f"Big week ahead.{note}")
    assert fixed in briefing.text
    plan = planned_week(snap, snap.today)
    # Whatever Gemini wrote, the week that reaches the runner keeps the planner's rules.
    assert sum(1 for w in briefing.plan if w.type in QUALITY) <= plan.max_quality
    assert sum(w.distance_km for w in briefing.plan) <= plan.band_km[1] + 0.5
    hard = [w.type in HARD for w in briefing.plan]
    assert not any(a and b for a, b in itertools.pairwise(hard))
    assert all(w.target_pace_s_per_km != 150 for w in briefing.plan)
    for workout in briefing.plan:
        assert described_km(workout.description) <= workout.distance_km + 0.5


async def test_weekly_report_plans_from_tomorrow(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    tomorrow = year_snapshot.today + timedelta(days=1)
    fake_gemini.queue(
        MAIN, json_reply(replies.briefing(tomorrow, "Week done.", like=year_snapshot))
    )

    report = await make_coach().briefing(year_snapshot, "weekly")

    assert (report.kind, report.text, report.plan[0].date) == ("weekly", "Week done.", tomorrow)
    assert "weekly report" in fake_gemini.requests[0].prompt_text


async def test_second_briefing_the_same_day_costs_nothing(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    snap = year_snapshot
    coach = make_coach()
    fake_gemini.queue(MAIN, json_reply(replies.briefing(snap.today)))

    first = await coach.briefing(snap)
    second = await coach.briefing(snap)

    assert second is first
    assert len(fake_gemini.requests) == 1
    assert coach.diagnostics()["llm_calls"] == 1
    assert coach.latest_plan == first.plan

    # A new day, another kind or other settings each cost one call.
    tomorrow = replace(snap, today=snap.today + timedelta(days=1))
    fake_gemini.queue(MAIN, json_reply(replies.briefing(tomorrow.today)))
    await coach.briefing(tomorrow)
    fake_gemini.queue(MAIN, json_reply(replies.briefing(tomorrow.today + timedelta(days=1))))
    weekly = await coach.briefing(tomorrow, "weekly")
    assert coach.latest_plan == weekly.plan
    assert (await coach.briefing(tomorrow)).plan == coach.latest_plan != weekly.plan
    coach.update_settings(CoachSettings(persona=Persona.DIRECT))
    fake_gemini.queue(MAIN, json_reply(replies.briefing(tomorrow.today)))
    await coach.briefing(tomorrow)
    assert len(fake_gemini.requests) == 4
    # Yesterday's entries were dropped when today's arrived.
    assert coach.diagnostics()["cached_briefings"] == 1


async def test_same_settings_keep_the_cache(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    coach = make_coach(CoachSettings(language="vi-VN"))
    fake_gemini.queue(MAIN, json_reply(replies.briefing(year_snapshot.today)))
    await coach.briefing(year_snapshot)
    coach.update_settings(CoachSettings(language="vi"))
    await coach.briefing(year_snapshot)
    assert len(fake_gemini.requests) == 1


async def test_simultaneous_briefings_make_one_call(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    fake_gemini.queue(MAIN, json_reply(replies.briefing(year_snapshot.today)))
    coach = make_coach()

    first, second = await asyncio.gather(
        coach.briefing(year_snapshot), coach.briefing(year_snapshot)
    )

    assert first is second
    assert len(fake_gemini.requests) == 1


async def test_briefing_in_vietnamese(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    coach = make_coach(CoachSettings(language="vi", units=Units.IMPERIAL))
    fake_gemini.queue(
        MAIN,
        json_reply(replies.briefing(year_snapshot.today, "Chào buổi sáng!", like=year_snapshot)),
    )

    briefing = await coach.briefing(year_snapshot)

    assert briefing.text == "Chào buổi sáng!"
    system = fake_gemini.requests[0].system_text
    assert "Write all text in Vietnamese (tiếng Việt)." in system
    assert "Use miles and min/mi in text." in system
    assert "/mi" in fake_gemini.requests[0].prompt_text


async def test_quota_then_fallback_then_offline(
    make_coach: Callable[..., Coach],
    fake_gemini: FakeGemini,
    sleeps: SleepRecorder,
    clock: FakeClock,
    year_snapshot: TrainingSnapshot,
) -> None:
    fake_gemini.queue(MAIN, *[quota_error("3s")] * 3)
    fake_gemini.queue(LITE, *[quota_error("3s")] * 3)
    coach = make_coach()

    briefing = await coach.briefing(year_snapshot)

    assert (briefing.source, briefing.model) == ("offline", None)
    assert not briefing.quota_exhausted
    assert sleeps.delays
    assert all(delay >= 3.0 for delay in sleeps.delays)
    assert sum(sleeps.delays) <= RetryPolicy().max_total_wait_s
    assert {r.model for r in fake_gemini.requests} == {MAIN, LITE}
    assert len(briefing.plan) == 7
    assert briefing.plan[0].date == year_snapshot.today
    # Both models wait out the server's 3 s before they are asked again.
    assert (await coach.briefing(year_snapshot)).source == "offline"
    assert len(fake_gemini.requests) == 5
    # The offline answer was not cached: once the delay has passed, Gemini is asked again.
    clock.advance(3.5)
    fake_gemini.queue(MAIN, json_reply(replies.briefing(year_snapshot.today)))
    assert (await coach.briefing(year_snapshot)).source == "gemini"


async def test_daily_quota_is_reported(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    coach = make_coach()
    fake_gemini.queue(MAIN, quota_error(None, daily=True))
    fake_gemini.queue(LITE, json_reply(replies.briefing(year_snapshot.today, "From lite.")))

    briefing = await coach.briefing(year_snapshot)

    assert (briefing.source, briefing.model, briefing.quota_exhausted) == ("gemini", LITE, True)
    assert coach.quota_exhausted
    assert coach.diagnostics()["quota_exhausted"]

    fake_gemini.queue(LITE, quota_error("50000s", daily=True))
    answer = await coach.ask(year_snapshot, "How far did I run this week?")
    assert (answer.source, answer.quota_exhausted) == ("offline", True)
    assert len(fake_gemini.generate_requests(MAIN)) == 1


async def test_overload_falls_back_offline_and_logs_once(
    make_coach: Callable[..., Coach],
    fake_gemini: FakeGemini,
    year_snapshot: TrainingSnapshot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_gemini.queue(MAIN, *[unavailable_error()] * 6)
    fake_gemini.queue(LITE, *[unavailable_error()] * 6)
    coach = make_coach()
    caplog.set_level(logging.INFO, logger="custom_components.coach_dyno.coach")

    first = await coach.ask(year_snapshot, "How is my form?")
    second = await coach.ask(year_snapshot, "How is my form?")
    fake_gemini.queue(MAIN, text_reply("Back."))
    third = await coach.ask(year_snapshot, "How is my form?")

    assert (first.source, second.source, third.source) == ("offline", "offline", "gemini")
    assert first.text.startswith("Form (TSB)")
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    assert len([m for m in messages if "offline coach speaks" in m]) == 1
    assert len([m for m in messages if "answers again" in m]) == 1
    diagnostics = coach.diagnostics()
    assert (diagnostics["last_source"], diagnostics["last_error"]) == (
        "gemini",
        "CoachUnavailableError",
    )


async def test_invalid_key_raises_auth_error(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    fake_gemini.valid_keys.clear()
    coach = make_coach()
    with pytest.raises(CoachAuthError):
        await coach.briefing(year_snapshot)
    with pytest.raises(CoachAuthError):
        await coach.ask(year_snapshot, "How far?")
    assert coach.diagnostics()["last_error"] == "CoachAuthError"
    # A failed question is not remembered.
    assert len(coach.memory) == 0


@pytest.mark.parametrize(
    "reply",
    [blocked_prompt_reply(), safety_reply(), empty_reply()],
    ids=["blocked", "safety", "empty"],
)
async def test_refusals_fall_back_offline(
    make_coach: Callable[..., Coach],
    fake_gemini: FakeGemini,
    year_snapshot: TrainingSnapshot,
    reply: Any,
) -> None:
    fake_gemini.queue(MAIN, reply)
    fake_gemini.queue(LITE, reply)
    briefing = await make_coach().briefing(year_snapshot)
    assert briefing.source == "offline"
    assert "City Half" in briefing.text


async def test_malformed_plan_uses_the_fallback_model(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    short = replies.briefing(year_snapshot.today)
    short["days"] = short["days"][:6]
    fake_gemini.queue(MAIN, json_reply(short))
    fake_gemini.queue(
        LITE, json_reply(replies.briefing(year_snapshot.today, "Lite plan.", like=year_snapshot))
    )

    briefing = await make_coach().briefing(year_snapshot)

    assert (briefing.model, briefing.text) == (LITE, "Lite plan.")


# --- analyses -------------------------------------------------------------------------------


async def test_analysis_from_gemini_is_cached_per_activity(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    snap = with_load(year_snapshot, acwr=1.72)
    run = snap.recent_runs[0]
    fake_gemini.queue(MAIN, json_reply(replies.analysis()))
    coach = make_coach()

    analysis = await coach.analyze(snap, run, snap.recent_runs[2:5])
    again = await coach.analyze(snap, run)

    assert again is analysis
    assert len(fake_gemini.requests) == 1
    assert (analysis.source, analysis.activity_id, analysis.summary) == (
        "gemini",
        run.id,
        "Solid aerobic run.",
    )
    assert analysis.went_well == ("Even pacing", "Low drift")
    assert analysis.flags == (RiskCode.ACWR_HIGH,)
    assert snap.paces is not None
    easy, tempo = analysis.next_sessions
    assert easy.target_pace_s_per_km == round(snap.paces.easy, 1)
    assert tempo.target_pace_s_per_km == round(snap.paces.threshold, 1)
    prompt_text = fake_gemini.requests[0].prompt_text
    assert "ACWR 1.72 > 1.5" in prompt_text
    assert "Similar past runs:" in prompt_text
    assert analysis.as_dict()["flags"] == ["acwr_high"]


async def test_analysis_of_an_activity_uses_the_snapshot_summary(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    activities = history(365)
    latest = max(activities, key=lambda a: a.start)
    fake_gemini.queue(MAIN, json_reply(replies.analysis()))

    analysis = await make_coach().analyze(year_snapshot, latest, activities[:3])

    assert analysis.activity_id == latest.id
    summary = year_snapshot.recent_runs[0]
    assert summary.trimp is not None
    assert (
        f"TRIMP {summary.trimp:.0f}"
        in fake_gemini.requests[0].prompt_text.split("Run to analyse:")[1]
    )


async def test_analysis_falls_back_offline_and_is_not_cached(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    run = year_snapshot.recent_runs[0]
    fake_gemini.queue(MAIN, safety_reply())
    fake_gemini.queue(LITE, safety_reply())
    coach = make_coach()

    analysis = await coach.analyze(year_snapshot, run)

    assert analysis.source == "offline"
    assert "No similar past runs" in analysis.summary
    assert analysis.next_sessions
    fake_gemini.queue(MAIN, json_reply(replies.analysis()))
    assert (await coach.analyze(year_snapshot, run)).source == "gemini"


async def test_analysis_cache_is_bounded(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    coach = make_coach()
    runs = [
        replace(year_snapshot.recent_runs[0], id=1000 + i) for i in range(MAX_CACHED_ANALYSES + 1)
    ]
    fake_gemini.queue(MAIN, *[json_reply(replies.analysis())] * (len(runs) + 1))
    for run in runs:
        await coach.analyze(year_snapshot, run)
    assert coach.diagnostics()["cached_analyses"] == MAX_CACHED_ANALYSES
    await coach.analyze(year_snapshot, runs[-1])
    assert len(fake_gemini.requests) == len(runs)
    # The oldest went first.
    await coach.analyze(year_snapshot, runs[0])
    assert len(fake_gemini.requests) == len(runs) + 1


# --- questions ------------------------------------------------------------------------------


async def test_ask_keeps_the_conversation(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    saved: list[dict[str, Any]] = []
    shared = ConversationMemory()
    coach = make_coach(memory=shared, on_memory_change=saved.append)
    assert coach.memory is shared
    fake_gemini.queue(MAIN, text_reply("  You ran 20 km.  "), text_reply("Yes, easy."))

    first = await coach.ask(year_snapshot, "How far did I run this week?")
    second = await coach.ask(year_snapshot, "Was that enough?")

    assert (first.text, first.source, first.model) == ("You ran 20 km.", "gemini", MAIN)
    assert second.text == "Yes, easy."
    last = fake_gemini.requests[-1]
    assert last.roles == ["user", "model", "user"]
    assert last.prompt_text == (
        '"How far did I run this week?"\nYou ran 20 km.\n"Was that enough?"'
    )
    assert "ATHLETE DATA" in last.system_text
    assert "responseMimeType" not in last.generation_config
    assert [turn.answer for turn in coach.memory] == ["You ran 20 km.", "Yes, easy."]
    assert len(saved) == 2
    assert saved[-1]["turns"][-1] == {"q": "Was that enough?", "a": "Yes, easy."}
    assert first.as_dict() == {
        "text": "You ran 20 km.",
        "source": "gemini",
        "model": MAIN,
        "quota_exhausted": False,
    }

    await coach.async_clear_memory()
    assert len(coach.memory) == 0
    assert saved[-1]["turns"] == []


async def test_persisted_memory_dict_is_kept_up_to_date(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    stored: dict[str, Any] = {"max_turns": 5, "turns": [{"q": "Earlier?", "a": "Yes."}]}
    coach = make_coach(memory=stored)
    fake_gemini.queue(MAIN, text_reply("Now."))

    await coach.ask(year_snapshot, "And now?")

    assert fake_gemini.requests[0].prompt_text == '"Earlier?"\nYes.\n"And now?"'
    assert stored == {
        "max_turns": 5,
        "turns": [{"q": "Earlier?", "a": "Yes."}, {"q": "And now?", "a": "Now."}],
        "conversations": {},
    }
    await coach.async_clear_memory()
    assert stored == {"max_turns": 5, "turns": [], "conversations": {}}
    # An empty dict (a new store) works too.
    fresh: dict[str, Any] = {}
    await make_coach(memory=fresh).ask(year_snapshot, "First?")
    assert fresh["turns"][0]["q"] == "First?"


async def test_ask_with_its_own_memory(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    memory = ConversationMemory(max_turns=1)
    coach = make_coach()
    await coach.ask(year_snapshot, "One?", memory)
    await coach.ask(year_snapshot, "Two?", memory)
    assert [turn.question for turn in memory] == ["Two?"]
    assert len(coach.memory) == 0
    with pytest.raises(ValueError, match="empty"):
        await coach.ask(year_snapshot, "   ", memory)


async def test_ask_in_a_conversation_of_its_own(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    """Each conversation id carries its own follow-ups, and is saved with the others."""
    saved: list[dict[str, Any]] = []
    coach = make_coach(on_memory_change=saved.append)
    fake_gemini.queue(MAIN, text_reply("20 km."), text_reply("Form +3."), text_reply("Yes."))

    await coach.ask(year_snapshot, "How far this week?", conversation_id="telegram_1")
    await coach.ask(year_snapshot, "How is my form?", conversation_id="telegram_2")
    await coach.ask(year_snapshot, "Is that enough?", conversation_id="telegram_1")

    assert fake_gemini.requests[1].prompt_text == '"How is my form?"'
    assert fake_gemini.requests[2].prompt_text == '"How far this week?"\n20 km.\n"Is that enough?"'
    assert len(coach.memory) == 0
    assert saved[-1]["conversations"]["telegram_1"]["turns"][-1] == {
        "q": "Is that enough?",
        "a": "Yes.",
    }

    await coach.async_clear_memory("telegram_1")
    assert len(coach.conversation("telegram_1")) == 0
    assert len(coach.conversation("telegram_2")) == 1
    assert "telegram_1" not in saved[-1]["conversations"]


# --- keys, clients and settings ---------------------------------------------------------------


async def test_without_key_everything_is_offline(year_snapshot: TrainingSnapshot) -> None:
    coach = Coach(CoachSettings(language="vi"))

    briefing = await coach.briefing(year_snapshot)
    analysis = await coach.analyze(year_snapshot, year_snapshot.recent_runs[0])
    answer = await coach.ask(year_snapshot, "Tuần này tôi chạy bao xa?")

    assert {briefing.source, analysis.source, answer.source} == {"offline"}
    assert briefing.text.startswith("Chào buổi sáng!")
    assert answer.text.startswith("Tuần này:")
    assert not coach.gemini_enabled
    diagnostics = coach.diagnostics()
    assert diagnostics["gemini_enabled"] is False
    assert diagnostics["llm_calls"] == 0
    assert diagnostics["memory_turns"] == 1
    with pytest.raises(ValueError, match="unknown briefing kind"):
        await coach.briefing(year_snapshot, "yearly")  # type: ignore[arg-type]


async def test_key_builds_the_client_lazily_in_the_executor(
    fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    executor = ExecutorRecorder()
    coach = Coach(api_key=VALID_KEY, base_url=fake_gemini.base_url, executor=executor)
    assert coach.gemini_enabled
    assert executor.jobs == []
    fake_gemini.queue(MAIN, text_reply("One."), text_reply("Two."))

    await coach.ask(year_snapshot, "Q1")
    await coach.ask(year_snapshot, "Q2")

    assert len(executor.jobs) == 1
    assert all(r.api_key == VALID_KEY for r in fake_gemini.requests)
    assert "api_key" not in str(coach.diagnostics())
    assert VALID_KEY not in str(coach.diagnostics())

    await coach.async_set_api_key(None)
    assert coach.diagnostics()["gemini_enabled"] is False
    assert (await coach.ask(year_snapshot, "Q3")).source == "offline"
    assert len(fake_gemini.requests) == 2

    await coach.async_set_api_key("another-key", fake_gemini.base_url)
    fake_gemini.valid_keys.add("another-key")
    assert (await coach.ask(year_snapshot, "Q4")).source == "gemini"
    assert fake_gemini.requests[-1].api_key == "another-key"
    await coach.async_close()
    await coach.async_close()


async def test_simultaneous_first_calls_build_one_client(
    fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    executor = ExecutorRecorder()
    coach = Coach(api_key=VALID_KEY, base_url=fake_gemini.base_url, executor=executor)
    answers = await asyncio.gather(*(coach.ask(year_snapshot, f"Q{i}") for i in range(3)))
    await coach.async_close()
    assert {answer.source for answer in answers} == {"gemini"}
    assert len(executor.jobs) == 1
    assert len(fake_gemini.requests) == 3


async def test_a_client_passed_in_is_not_closed(
    make_coach: Callable[..., Coach], client: Client, year_snapshot: TrainingSnapshot
) -> None:
    coach = make_coach()
    await coach.ask(year_snapshot, "Hello?")
    await coach.async_close()
    # Still usable by its owner.
    assert (await coach.ask(year_snapshot, "Again?")).source == "gemini"


async def test_settings_change_clears_the_caches(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini, year_snapshot: TrainingSnapshot
) -> None:
    coach = make_coach()
    run = year_snapshot.recent_runs[0]
    fake_gemini.queue(MAIN, json_reply(replies.analysis()), json_reply(replies.analysis()))
    await coach.analyze(year_snapshot, run)
    coach.update_settings(CoachSettings(units=Units.IMPERIAL))
    assert coach.settings.units is Units.IMPERIAL
    await coach.analyze(year_snapshot, run)
    assert len(fake_gemini.requests) == 2


async def test_gemini_next_sessions_pass_the_guardrails(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini
) -> None:
    snap = scenarios.beginner()
    run = snap.recent_runs[0]
    hard = {
        "type": "intervals",
        "title": "Big intervals",
        "distance_km": 12,
        "target_pace_s_per_km": 200,
        "description": "Warm up 2 km, 8 x 1 km, cool down 2 km",
    }
    answer = {**replies.analysis(), "next_sessions": [hard, hard, hard]}
    fake_gemini.queue(MAIN, json_reply(answer))

    analysis = await make_coach().analyze(snap, run)

    # A beginner on 10 km a week gets no interval session, whatever the model wrote.
    assert [s.type for s in analysis.next_sessions] == [WorkoutType.EASY] * 3
    assert all(s.distance_km <= 4.0 for s in analysis.next_sessions)
    assert analysis.adjustments
    assert analysis.adjustments[0].endswith("(too many hard sessions for this week).")
    assert analysis.text.endswith("\n".join(f"- {line}" for line in analysis.adjustments))
    assert "Plan adjusted:\n- " in analysis.text
    assert analysis.as_dict()["adjustments"] == list(analysis.adjustments)


# --- load without heart rate ------------------------------------------------------------------


async def test_gemini_hears_unknown_load_as_unknown(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini
) -> None:
    # A beginner with a phone and no strap: short runs, no heart rate, so no VDOT and no load.
    runs = [
        replace(run, avg_hr=None, stream_summary=None, distance_m=2000.0, moving_s=840.0)
        for run in history(60)
    ]
    snap = compute_snapshot(runs, profile(), TODAY)
    fake_gemini.queue(MAIN, json_reply(replies.briefing(snap.today)))
    await make_coach().briefing(snap)

    (sent,) = fake_gemini.requests
    load_line = sent.prompt_text.split("Load: ")[1].split("\n")[0]
    assert load_line.startswith("unknown")
    assert "Never treat CTL, ATL, TSB or ACWR as 0" in load_line
    # No load figure anywhere: no invented zero, no fitness trend.
    assert not re.search(r"(CTL|ATL|TSB|ACWR|TRIMP 7d|monotony|strain) -?\d", sent.prompt_text)
    assert "CTL weekly" not in sent.prompt_text


async def test_gemini_hears_the_estimate_from_pace(
    make_coach: Callable[..., Coach], fake_gemini: FakeGemini
) -> None:
    runs = [replace(run, avg_hr=None, stream_summary=None) for run in history(60)]
    snap = compute_snapshot(runs, profile(), TODAY)
    fake_gemini.queue(MAIN, json_reply(replies.briefing(snap.today)))
    await make_coach().briefing(snap)

    (sent,) = fake_gemini.requests
    assert snap.load.ctl is not None
    assert snap.load.ctl > 10
    assert f"Load: CTL {snap.load.ctl:.1f}, " in sent.prompt_text
    assert "Load estimated from pace (runs without heart rate) on " in sent.prompt_text
    assert "unknown" not in sent.prompt_text.split("Load:")[1].split("\n")[0]
