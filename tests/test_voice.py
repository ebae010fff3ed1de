"""Voice that understands: everyday questions through Home Assistant's own Assist agent, answered aloud."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
import shutil

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.coach_dyno.coach.formatting import (
    say_date,
    say_distance,
    say_duration,
    say_pace,
)
from custom_components.coach_dyno.coach.settings import Units
from custom_components.coach_dyno.training.plan import WorkoutType
from tests.conftest import setup_entry

SENTENCE_DIR = Path(__file__).resolve().parent.parent / "custom_sentences"
SWITCH = "switch.demo_runner_briefings_enabled"

type Expect = Callable[[HomeAssistant, MockConfigEntry, str], list[str]]


def _volume(period: str) -> Expect:
    """Expect a period's distance, run count and time, read from the snapshot."""

    def expect(hass: HomeAssistant, entry: MockConfigEntry, language: str) -> list[str]:
        volume = getattr(entry.runtime_data.coordinator.data.snapshot.volume, period)
        assert volume.count, period
        noun = "buổi" if language == "vi" else "run" if volume.count == 1 else "runs"
        runs = f"{volume.count} {noun}"
        return [
            say_distance(volume.distance_m, Units.METRIC, language),
            runs,
            say_duration(volume.moving_s, language),
        ]

    return expect


def _load(hass: HomeAssistant, entry: MockConfigEntry, language: str) -> list[str]:
    load = entry.runtime_data.coordinator.data.snapshot.load
    assert load.trimp_7d is not None
    assert load.acwr is not None
    return [str(round(load.trimp_7d)), f"{load.acwr:.1f}"]


def _form(hass: HomeAssistant, entry: MockConfigEntry, language: str) -> list[str]:
    load = entry.runtime_data.coordinator.data.snapshot.load
    assert load.tsb is not None
    assert load.ctl is not None
    return [str(round(load.tsb)), str(round(load.ctl))]


def _countdown(hass: HomeAssistant, entry: MockConfigEntry, language: str) -> list[str]:
    race = entry.runtime_data.coordinator.data.snapshot.race
    assert race is not None
    days = f"{race.days_to_race} {'ngày' if language == 'vi' else 'days'}"
    return [race.name, say_date(race.race_date, language), days]


def _prediction(hass: HomeAssistant, entry: MockConfigEntry, language: str) -> list[str]:
    race = entry.runtime_data.coordinator.data.snapshot.race
    assert race is not None
    assert race.predicted_time_s is not None
    assert race.goal_time_s is not None
    verdict = {
        ("en", True): "You are on track.",
        ("en", False): "You are not on track yet",
        ("vi", True): "Bạn đang đúng hướng.",
        ("vi", False): "Bạn chưa đạt mục tiêu",
    }[language, bool(race.on_track)]
    return [
        say_duration(race.predicted_time_s, language),
        say_duration(race.goal_time_s, language),
        verdict,
    ]


def _latest(hass: HomeAssistant, entry: MockConfigEntry, language: str) -> list[str]:
    run = entry.runtime_data.coordinator.data.snapshot.latest_run
    assert run is not None
    pace = say_pace(run.pace_s_per_km, Units.METRIC, language)
    assert pace is not None
    return [run.name, say_distance(run.distance_m, Units.METRIC, language), pace]


def _session(days_ahead: int) -> Expect:
    """Expect the plan's session of that day: its title, distance and pace."""

    def expect(hass: HomeAssistant, entry: MockConfigEntry, language: str) -> list[str]:
        runtime = entry.runtime_data
        snapshot = runtime.coordinator.data.snapshot
        day = snapshot.today + timedelta(days=days_ahead)
        plan = runtime.coach.todays_briefing(snapshot).plan
        workout = next(workout for workout in plan if workout.date == day)
        if workout.type is WorkoutType.REST:
            return ["ngày nghỉ" if language == "vi" else "rest day"]
        expected = [workout.title, say_distance(workout.distance_km * 1000, Units.METRIC, language)]
        if pace := say_pace(workout.target_pace_s_per_km, Units.METRIC, language):
            expected.append(pace)
        return expected

    return expect


def _briefing(hass: HomeAssistant, entry: MockConfigEntry, language: str) -> list[str]:
    runtime = entry.runtime_data
    return [runtime.coach.todays_briefing(runtime.coordinator.data.snapshot).text]


def _switch(state: str, en: str, vi: str) -> Expect:
    """Expect the briefings switch in `state` and the confirmation."""

    def expect(hass: HomeAssistant, entry: MockConfigEntry, language: str) -> list[str]:
        switch = hass.states.get(SWITCH)
        assert switch is not None
        assert switch.state == state
        return [vi if language == "vi" else en]

    return expect


EXPECT: dict[str, Expect] = {
    "this_week": _volume("this_week"),
    "last_week": _volume("last_week"),
    "this_month": _volume("this_month"),
    "this_year": _volume("this_year"),
    "load": _load,
    "form": _form,
    "countdown": _countdown,
    "prediction": _prediction,
    "latest": _latest,
    "today": _session(0),
    "tomorrow": _session(1),
    "briefing": _briefing,
    "pause": _switch("off", "Briefings are paused.", "Đã tạm dừng bản tin."),
    "resume": _switch("on", "Briefings are back on.", "Đã bật lại bản tin."),
}

ENGLISH = [
    ("How far did I run this week?", "this_week"),
    ("how many kilometres have I run this week", "this_week"),
    ("What's my weekly mileage?", "this_week"),
    ("How many runs have I done this week?", "this_week"),
    ("how many times did I run this week", "this_week"),
    ("How much did I run last week?", "last_week"),
    ("how far did I run last week", "last_week"),
    ("What was my distance last week?", "last_week"),
    ("How many kilometers have I run this month?", "this_month"),
    ("what's my mileage this month", "this_month"),
    ("How far have I run this year?", "this_year"),
    ("how many runs have I done this year", "this_year"),
    ("What's my training load?", "load"),
    ("what is my acute load this week", "load"),
    ("What is my ACWR?", "load"),
    ("Am I overtraining?", "load"),
    ("is my training load too high", "load"),
    ("How is my form?", "form"),
    ("What's my fitness today?", "form"),
    ("Am I tired?", "form"),
    ("how fresh am I", "form"),
    ("When is my race?", "countdown"),
    ("How many days until my half marathon?", "countdown"),
    ("what is the date of my race", "countdown"),
    ("How long until my next race?", "countdown"),
    ("Am I on track for my race?", "prediction"),
    ("What is my predicted race time?", "prediction"),
    ("what's my projected finish time", "prediction"),
    ("Can I hit my goal time?", "prediction"),
    ("How fast could I run my half marathon?", "prediction"),
    ("How was my last run?", "latest"),
    ("Tell me about my latest run.", "latest"),
    ("how did my most recent workout go", "latest"),
    ("What's my workout today?", "today"),
    ("What should I run today?", "today"),
    ("do I run today", "today"),
    ("What's on the plan for tomorrow?", "tomorrow"),
    ("what should I do tomorrow", "tomorrow"),
    ("What is my session for tomorrow?", "tomorrow"),
    ("Give me my morning briefing.", "briefing"),
    ("read my briefing", "briefing"),
    ("Pause the briefings.", "pause"),
    ("Resume my briefings", "resume"),
    ("stop sending me briefings", "pause"),
    ("turn the briefings back on", "resume"),
]

VIETNAMESE = [
    ("Tuần này tôi chạy được bao xa?", "this_week"),
    ("tuần này tôi đã chạy bao nhiêu km", "this_week"),
    ("Tuần này tôi chạy mấy buổi?", "this_week"),
    ("Tuần trước tôi chạy được bao nhiêu cây số?", "last_week"),
    ("quãng đường tuần rồi của tôi", "last_week"),
    ("Tháng này tôi đã chạy bao xa?", "this_month"),
    ("Năm nay tôi chạy được bao nhiêu km?", "this_year"),
    ("Tải tập luyện của tôi thế nào?", "load"),
    ("chỉ số acwr của tôi là bao nhiêu", "load"),
    ("Tôi có tập quá sức không?", "load"),
    ("Phong độ của tôi thế nào?", "form"),
    ("hôm nay tôi có mệt không", "form"),
    ("Còn bao nhiêu ngày nữa là đến giải chạy?", "countdown"),
    ("Giải chạy của tôi vào ngày nào?", "countdown"),
    ("Tôi có đạt mục tiêu không?", "prediction"),
    ("thời gian dự đoán về đích của tôi là bao nhiêu", "prediction"),
    ("Buổi chạy gần nhất của tôi thế nào?", "latest"),
    ("kể về buổi chạy vừa rồi", "latest"),
    ("Hôm nay tôi tập gì?", "today"),
    ("bài tập ngày mai của tôi là gì", "tomorrow"),
    ("Cho tôi nghe bản tin buổi sáng", "briefing"),
    ("Tạm dừng bản tin", "pause"),
    ("Tiếp tục bản tin", "resume"),
]


@pytest.fixture
async def assist(hass: HomeAssistant, tmp_path: Path) -> None:
    """Home Assistant's Assist agent with both sentence files installed as the README says."""
    hass.config.config_dir = str(tmp_path)
    for language in ("en", "vi"):
        source = SENTENCE_DIR / language / "coach_dyno.yaml"
        target = Path(hass.config.path("custom_sentences", language, source.name))
        await hass.async_add_executor_job(lambda t=target: t.parent.mkdir(parents=True))
        await hass.async_add_executor_job(shutil.copyfile, source, target)
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(hass, "intent", {})


@pytest.fixture
async def demo(
    hass: HomeAssistant,
    assist: None,
    demo_entry: MockConfigEntry,
    frozen_now: FrozenDateTimeFactory,
) -> MockConfigEntry:
    """Set up the demo runner in that Home Assistant, at FROZEN_NOW."""
    await setup_entry(hass, demo_entry)
    return demo_entry


def _no_clock_reading(text: str) -> None:
    """Check that a spoken answer never reads a pace or time as digits with colons."""
    assert ":" not in "".join(text.split(": ")), text
    assert "/km" not in text, text


async def _ask_all(
    hass: HomeAssistant, entry: MockConfigEntry, questions: list[tuple[str, str]], language: str
) -> None:
    """Ask each question through the default agent and check its answer's numbers."""
    for text, key in questions:
        result = await conversation.async_converse(hass, text, None, Context(), language=language)
        response = result.response
        expected_type = (
            intent.IntentResponseType.ACTION_DONE
            if key in ("pause", "resume")
            else intent.IntentResponseType.QUERY_ANSWER
        )
        assert response.response_type is expected_type, (text, response.as_dict())
        speech = response.speech["plain"]["speech"]
        for expected in EXPECT[key](hass, entry, language):
            assert expected in speech, (text, expected, speech)
        if key != "briefing":
            _no_clock_reading(speech)


async def test_english_questions(hass: HomeAssistant, demo: MockConfigEntry) -> None:
    """At least forty everyday English questions are understood and answered with the numbers."""
    assert len(ENGLISH) >= 40
    await _ask_all(hass, demo, ENGLISH, "en")


async def test_vietnamese_questions(hass: HomeAssistant, demo: MockConfigEntry) -> None:
    """At least twenty everyday Vietnamese questions are understood and answered in Vietnamese."""
    assert len(VIETNAMESE) >= 20
    await _ask_all(hass, demo, VIETNAMESE, "vi")
