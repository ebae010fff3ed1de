"""What the home changes, in the coach's words: readiness, heat and busy days, offline and in prompts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from custom_components.coach_dyno.coach import Coach, CoachSettings, Units
from custom_components.coach_dyno.coach.offline import morning_briefing, plan_week, weekly_report
from custom_components.coach_dyno.coach.prompt import athlete_context, briefing_request
from custom_components.coach_dyno.training import TrainingSnapshot
from custom_components.coach_dyno.training.conditions import Conditions, Heat
from custom_components.coach_dyno.training.plan import plan_week as planned_week
from custom_components.coach_dyno.training.readiness import Readiness, ReadinessState, Reason
from tests.coach import replies
from tests.coach.conftest import FakeClock, SleepRecorder
from tests.fakes.gemini import FakeGemini, json_reply
from tests.training import scenarios
from tests.training.scenarios import TODAY

if TYPE_CHECKING:
    from google.genai import Client

MAIN = "gemini-2.5-flash"

EN = CoachSettings()
VI = CoachSettings(language="vi")
LOW_HRV = Readiness(
    ReadinessState.CAUTION,
    (Reason.HRV_LOW,),
    hrv_7d=42.0,
    hrv_baseline=60.0,
    hrv_range=(55.0, 65.0),
    hrv_days_below=3,
)
HEAT = Heat.forecast(datetime(2026, 11, 3, 7, tzinfo=UTC), 27.0, 22.0)
SUNDAY = TODAY + timedelta(days=5)


def home(**conditions: object) -> TrainingSnapshot:
    """Return the Tuesday-repetitions runner with the home's conditions."""
    return replace(scenarios.steady_base(), conditions=Conditions(**conditions))  # type: ignore[arg-type]


def briefing(snapshot: TrainingSnapshot, settings: CoachSettings = EN) -> str:
    """Return the offline morning briefing."""
    return morning_briefing(snapshot, plan_week(snapshot, TODAY, settings), settings)


def test_low_hrv_turns_todays_session_easy_and_says_why() -> None:
    """The briefing names the easy run, what it replaces and the reason, in both languages."""
    snapshot = home(readiness=LOW_HRV)
    assert (
        "Today: easy run 7.0 km instead of short repetitions: your HRV is below your normal "
        "range (3 days)." in briefing(snapshot)
    )
    assert (
        "Hôm nay: chạy nhẹ 7,0 km thay cho chạy lặp ngắn: HRV của bạn thấp hơn mức bình thường "
        "(3 ngày)." in briefing(snapshot, VI)
    )
    assert plan_week(snapshot, TODAY, EN)[0].type.value == "easy"


def test_rest_readiness_gives_every_reason() -> None:
    """Two signals off: a rest day, with each reason said."""
    readiness = Readiness(
        ReadinessState.REST,
        (Reason.RHR_HIGH, Reason.SLEEP_SHORT, Reason.SLEEP_POOR),
        rhr_7d=57.2,
        rhr_baseline=50.1,
        sleep_hours=5.25,
        sleep_score=41,
    )
    text = briefing(home(readiness=readiness))
    assert (
        "Today: rest day instead of short repetitions: your resting heart rate is 7 bpm above "
        "normal; you slept 5.2 h last night; your sleep score was 41." in text
    )


def test_caution_on_an_easy_day_advises_an_easy_day() -> None:
    """Nothing to change on an easy day, but the runner hears why to keep it easy."""
    wednesday = TODAY + timedelta(days=1)
    snapshot = replace(home(readiness=LOW_HRV), today=wednesday)
    text = morning_briefing(snapshot, plan_week(snapshot, wednesday, EN), EN)
    assert "Keep today easy: your HRV is below your normal range (3 days)." in text
    ready = replace(snapshot, conditions=Conditions(readiness=Readiness(ReadinessState.READY)))
    assert "Keep today easy" not in morning_briefing(ready, plan_week(ready, wednesday, EN), EN)


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        (EN, "Warm: 27 °C, dew point 22 °C at 07:00 - run by effort, about 5 % slower."),
        (
            CoachSettings(units=Units.IMPERIAL),
            "Warm: 81 °F, dew point 72 °F at 07:00 - run by effort, about 5 % slower.",
        ),
        (
            VI,
            (
                "Trời nóng: 27 °C, điểm sương 22 °C lúc 07:00 - hãy chạy theo cảm giác, chậm hơn "
                "khoảng 5 %."
            ),
        ),
    ],
)
def test_heat_is_said_and_slows_todays_pace(settings: CoachSettings, words: str) -> None:
    """The heat sentence in each voice; today's target pace is 5 % slower."""
    snapshot = home(heat=HEAT)
    assert words in briefing(snapshot, settings)
    plain = plan_week(scenarios.steady_base(), TODAY, settings)[0].target_pace_s_per_km
    hot = plan_week(snapshot, TODAY, settings)[0].target_pace_s_per_km
    assert plain is not None
    assert hot == pytest.approx(plain * 1.05, abs=0.1)


def test_mild_weather_and_tomorrows_plan_say_nothing_of_heat() -> None:
    """Under 1 % nothing is said; the weekly report (from tomorrow) leaves today's heat out."""
    mild = Heat.forecast(datetime(2026, 11, 3, 7, tzinfo=UTC), 14.0, 6.0)
    assert "Warm" not in briefing(home(heat=mild))
    snapshot = home(heat=HEAT)
    tomorrow = TODAY + timedelta(days=1)
    assert "Warm" not in weekly_report(snapshot, plan_week(snapshot, tomorrow, EN), EN)


def test_busy_days_move_key_sessions_and_say_so() -> None:
    """A busy Sunday moves the long run to Saturday, said in the briefing and the weekly report."""
    snapshot = home(busy_days=frozenset({SUNDAY}))
    assert "Sun is busy: long run moves to Sat." in briefing(snapshot)
    assert "CN bạn bận: chạy dài dời sang T7." in briefing(snapshot, VI)
    tomorrow = TODAY + timedelta(days=1)
    assert "Sun is busy: long run moves to Sat." in weekly_report(
        snapshot, plan_week(snapshot, tomorrow, EN), EN
    )
    every = frozenset(TODAY + timedelta(days=i) for i in range(7))
    assert "Tue is busy: short repetitions becomes an easy run." in briefing(home(busy_days=every))


def test_gemini_hears_the_home() -> None:
    """The prompt carries readiness, heat, busy days and what the baseline changed."""
    snapshot = home(readiness=LOW_HRV, heat=HEAT, busy_days=frozenset({SUNDAY}))
    text = briefing_request(snapshot, "morning", EN, planned_week(snapshot, TODAY)).turns[0].text
    assert (
        "Readiness caution (flags: hrv_low): HRV 7d 42 ms, normal 55-65 ms, below for 3 d." in text
    )
    assert "Heat at 07:00 on 2026-11-03: 27 C, dew point 22 C: paces 5 % slower" in text
    assert "Busy days (calendar): Sun: no key session on them." in text
    assert (
        "The baseline already follows the home: Tue repetition -> easy (readiness); "
        "Sun long -> Sat (busy)." in text
    )


def test_gemini_hears_every_number_and_an_unknown_readiness() -> None:
    """Resting HR and sleep numbers; too few days is said as such; no wellness says nothing."""
    full = Readiness(
        ReadinessState.READY, (), rhr_7d=50.2, rhr_baseline=50.0, sleep_hours=7.5, sleep_score=80
    )
    context = athlete_context(home(readiness=full), Units.METRIC)
    assert "Readiness ready (flags: none): resting HR 7d 50 vs normal 50 bpm; slept 7.5 h; " in (
        context
    )
    unknown = Readiness(None, (Reason.NOT_ENOUGH_DATA,))
    assert "Readiness unknown: not enough wellness data yet." in athlete_context(
        home(readiness=unknown), Units.METRIC
    )
    assert "Readiness" not in athlete_context(scenarios.steady_base(), Units.METRIC)


async def test_gemini_is_held_to_readiness_and_asked_again_when_it_changes(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    """Gemini's intervals on a caution day become the planner's easy run; new readiness, new call."""
    coach = Coach(EN, client, sleep=sleeps, rand=lambda: 0.5, clock=clock)
    ready = home(readiness=Readiness(ReadinessState.READY))
    caution = home(readiness=LOW_HRV)
    days = replies.plan_days(TODAY, like=ready)
    days[0] |= {"type": "intervals", "distance_km": 9.0, "description": "5 x 1 km"}
    fake_gemini.queue(MAIN, json_reply({"days": days, "text": "Intervals today!"}))
    briefing = await coach.briefing(caution)
    assert briefing.plan[0].type.value == "easy"
    assert briefing.adjustments == (
        "Tue: intervals 9.0 km became easy run 9.0 km (these days are for recovery).",
    )
    assert "Readiness caution (flags: hrv_low)" in fake_gemini.requests[0].prompt_text
    assert await coach.briefing(caution) is briefing
    fake_gemini.queue(MAIN, json_reply(replies.briefing(TODAY, "Ready to go.", like=ready)))
    again = await coach.briefing(ready)
    assert again.text == "Ready to go."
    assert len(fake_gemini.requests) == 2
