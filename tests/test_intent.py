"""Tests for the intents: spoken answers from the demo snapshot, directly and through Assist."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any
from unittest.mock import patch

from homeassistant.components import conversation
from homeassistant.const import CONF_API_KEY
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er, intent
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.coach_dyno.const import DOMAIN
from custom_components.coach_dyno.training import Activity, TrainingSnapshot
from custom_components.coach_dyno.training.plan import WorkoutType
from custom_components.coach_dyno.training.volume import Volume
from tests.conftest import (
    FROZEN_NOW,
    GEMINI_KEY,
    METERS_PER_MILE,
    call_action,
    demo_config_entry,
    setup_entry,
)
from tests.fakes.gemini import FakeGemini, invalid_key_error

SENTENCES = Path(__file__).resolve().parent.parent / "custom_sentences" / "en" / "coach_dyno.yaml"


@pytest.fixture(autouse=True)
async def intent_integration(hass: HomeAssistant) -> None:
    """Set up Home Assistant's intent integration, which loads Coach Dyno's intent platform."""
    assert await async_setup_component(hass, "intent", {})


async def _ask(
    hass: HomeAssistant,
    intent_type: str,
    language: str = "en",
    slots: dict[str, Any] | None = None,
) -> intent.IntentResponse:
    """Handle an intent the way Assist (and every LLM agent's intent tools) does."""
    return await intent.async_handle(hass, "test", intent_type, slots or {}, language=language)


def _set_snapshot(entry: MockConfigEntry, **changes: Any) -> TrainingSnapshot:
    """Replace parts of the entry's snapshot, as a new computation would."""
    coordinator = entry.runtime_data.coordinator
    snapshot: TrainingSnapshot = replace(coordinator.data.snapshot, **changes)
    coordinator.async_set_updated_data(replace(coordinator.data, snapshot=snapshot))
    return snapshot


def _speech(response: intent.IntentResponse) -> str:
    speech: str = response.speech["plain"]["speech"]
    return speech


def _spoken_minutes(seconds: float) -> str:
    """Say a duration of under an hour the way the coach does: "34 minutes"."""
    minutes = round(seconds / 60)
    assert 1 < minutes < 60
    return f"{minutes} minutes"


def _spoken_pace(seconds: float, unit: str) -> str:
    """Say a pace aloud: "4 minutes 56 per kilometre"."""
    minutes, secs = divmod(round(seconds), 60)
    assert secs
    return f"{minutes} minutes {secs:02d} per {unit}"


def _this_week(entry: MockConfigEntry) -> list[Activity]:
    today = dt_util.as_local(FROZEN_NOW).date()
    monday = today - timedelta(days=today.weekday())
    return [
        activity
        for activity in entry.runtime_data.coordinator.store.activities.values()
        if activity.is_run and monday <= dt_util.as_local(activity.start).date() <= today
    ]


def _latest_run(entry: MockConfigEntry) -> Activity:
    runs: list[Activity] = list(entry.runtime_data.coordinator.store.activities.values())
    return max(
        (run for run in runs if run.is_run and run.start <= FROZEN_NOW), key=lambda run: run.start
    )


def _sensor(hass: HomeAssistant, key: str) -> float:
    state = hass.states.get(f"sensor.demo_runner_{key}")
    assert state is not None
    return float(state.state)


async def test_weekly_distance(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """The week's distance, number of runs and time, summed from the stored runs."""
    week = _this_week(loaded_demo)
    distance = sum(run.distance_m for run in week) / 1000
    moving = sum(run.moving_s for run in week)
    runs = "1 run" if len(week) == 1 else f"{len(week)} runs"
    response = await _ask(hass, "CoachDynoWeeklyDistance")
    assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert _speech(response) == (
        f"This week you ran {distance:.1f} kilometres in {runs}, {_spoken_minutes(moving)} in "
        "total."
    )


async def test_weekly_distance_of_one_run(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """One run is one run, in both languages."""
    coordinator = loaded_demo.runtime_data.coordinator
    snapshot = coordinator.data.snapshot
    week = replace(snapshot.volume.this_week, distance_m=5000.0, moving_s=1500.0, count=1)
    volume = replace(snapshot.volume, this_week=week)
    coordinator.async_set_updated_data(
        replace(coordinator.data, snapshot=replace(snapshot, volume=volume))
    )
    assert _speech(await _ask(hass, "CoachDynoWeeklyDistance")) == (
        "This week you ran 5 kilometres in 1 run, 25 minutes in total."
    )
    assert _speech(await _ask(hass, "CoachDynoWeeklyDistance", "vi")) == (
        "Tuần này bạn đã chạy 5 ki-lô-mét trong 1 buổi, tổng cộng 25 phút."
    )


async def test_race_countdown(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """Days and weeks to the goal race, and the phase, in English and Vietnamese."""
    days = int(_sensor(hass, "days_to_race"))
    weeks = int(_sensor(hass, "weeks_to_race"))
    phase = hass.states.get("sensor.demo_runner_training_phase")
    assert phase is not None
    assert phase.state == "build"
    assert _speech(await _ask(hass, "CoachDynoRaceCountdown")) == (
        f"Autumn Half is on Sunday 31 January 2027: {days} days to go, {weeks} weeks. "
        "You are in the build phase."
    )
    assert _speech(await _ask(hass, "CoachDynoRaceCountdown", "vi")) == (
        f"Autumn Half diễn ra vào Chủ nhật, ngày 31 tháng 1 năm 2027: còn {days} ngày, "
        f"{weeks} tuần nữa. Bạn đang ở giai đoạn tăng tải."
    )


async def test_training_form(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """Form, fitness and fatigue as the sensors show them, with a verdict."""
    tsb, ctl, atl = (_sensor(hass, key) for key in ("form", "fitness", "fatigue"))
    assert _speech(await _ask(hass, "CoachDynoTrainingForm")).startswith(
        f"Your form is {round(tsb)}: fitness {round(ctl)}, fatigue {round(atl)}. You are "
    )


@pytest.mark.parametrize(
    ("tsb", "verdict"),
    [
        (12.0, "You are fresh."),
        (-25.0, "You are carrying a lot of fatigue; keep today easy."),
        (-5.0, "You are in a productive training zone."),
        (
            None,
            (
                "Your training load is unknown: I need heart rate, or a recent run of 3 km or "
                "more to estimate it from pace."
            ),
        ),
    ],
)
async def test_training_form_verdicts(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, tsb: float | None, verdict: str
) -> None:
    """A positive form is fresh, a deep negative one says rest, a mild one says it works."""
    coordinator = loaded_demo.runtime_data.coordinator
    snapshot = coordinator.data.snapshot
    coordinator.async_set_updated_data(
        replace(coordinator.data, snapshot=replace(snapshot, load=replace(snapshot.load, tsb=tsb)))
    )
    assert _speech(await _ask(hass, "CoachDynoTrainingForm")).endswith(verdict)


async def test_training_form_without_heart_rate(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """A form from pace says so; fatigue in the week after a race is the race's."""
    coordinator = loaded_demo.runtime_data.coordinator
    coordinator.store.activities = {
        key: replace(activity, avg_hr=None, max_hr=None, stream_summary=None)
        for key, activity in coordinator.store.activities.items()
    }
    await coordinator.async_recompute()
    tsb = round(_sensor(hass, "form"))
    assert _speech(await _ask(hass, "CoachDynoTrainingForm")).startswith(
        f"Your form is {tsb}, estimated from pace: fitness "
    )
    assert _speech(await _ask(hass, "CoachDynoTrainingForm", "vi")).startswith(
        f"Phong độ của bạn là {tsb}, ước tính từ pace: thể lực "
    )
    snapshot = coordinator.data.snapshot
    raced = replace(snapshot, days_since_race=2, load=replace(snapshot.load, tsb=-12.0, atl=None))
    coordinator.async_set_updated_data(replace(coordinator.data, snapshot=raced))
    assert _speech(await _ask(hass, "CoachDynoTrainingForm")).endswith(
        "fatigue unknown. That fatigue is from your race: recover before training hard again."
    )


async def test_race_countdown_counts_read_naturally(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """One day and one week are singular."""
    coordinator = loaded_demo.runtime_data.coordinator
    snapshot = coordinator.data.snapshot
    assert snapshot.race is not None
    race = replace(snapshot.race, days_to_race=7, weeks_to_race=1)
    coordinator.async_set_updated_data(
        replace(coordinator.data, snapshot=replace(snapshot, race=race))
    )
    assert "7 days to go, 1 week. " in _speech(await _ask(hass, "CoachDynoRaceCountdown"))
    race = replace(snapshot.race, days_to_race=1, weeks_to_race=0)
    coordinator.async_set_updated_data(
        replace(coordinator.data, snapshot=replace(snapshot, race=race))
    )
    assert "1 day to go, 0 weeks. " in _speech(await _ask(hass, "CoachDynoRaceCountdown"))
    assert "còn 1 ngày, 0 tuần nữa." in _speech(await _ask(hass, "CoachDynoRaceCountdown", "vi"))


async def test_latest_run(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """The newest run's name, distance, pace and heart rate."""
    run = _latest_run(loaded_demo)
    pace = run.moving_s / (run.distance_m / 1000)
    assert run.avg_hr is not None
    assert _speech(await _ask(hass, "CoachDynoLatestRun")) == (
        f"Your last run, {run.name}, was {run.distance_m / 1000:.1f} kilometres in "
        f"{_spoken_minutes(run.moving_s)}, at {_spoken_pace(pace, 'kilometre')}, average heart "
        f"rate {round(run.avg_hr)}."
    )


async def test_latest_run_in_miles_without_heart_rate(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """US customary units speak miles; a run without heart rate simply leaves it out."""
    hass.config.units = US_CUSTOMARY_SYSTEM
    coordinator = loaded_demo.runtime_data.coordinator
    snapshot = coordinator.data.snapshot
    assert snapshot.latest_run is not None
    latest = replace(snapshot.latest_run, avg_hr=None)
    coordinator.async_set_updated_data(
        replace(coordinator.data, snapshot=replace(snapshot, latest_run=latest))
    )
    run = _latest_run(loaded_demo)
    pace = run.moving_s / (run.distance_m / METERS_PER_MILE)
    assert _speech(await _ask(hass, "CoachDynoLatestRun")) == (
        f"Your last run, {run.name}, was {run.distance_m / METERS_PER_MILE:.1f} miles in "
        f"{_spoken_minutes(run.moving_s)}, at {_spoken_pace(pace, 'mile')}."
    )


async def test_nothing_to_say_yet(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """Without a goal race or any run the answers say so instead of inventing numbers."""
    coordinator = loaded_demo.runtime_data.coordinator
    snapshot = coordinator.data.snapshot
    coordinator.async_set_updated_data(
        replace(coordinator.data, snapshot=replace(snapshot, race=None, latest_run=None))
    )
    assert _speech(await _ask(hass, "CoachDynoRaceCountdown")) == "No goal race is set."
    assert _speech(await _ask(hass, "CoachDynoLatestRun")) == "There is no run in your history yet."
    assert _speech(await _ask(hass, "CoachDynoLatestRun", "vi")) == (
        "Chưa có buổi chạy nào trong lịch sử."
    )


async def test_briefing(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """The briefing intent reads the same morning briefing the action returns."""
    response = await _ask(hass, "CoachDynoBriefing")
    briefing = await call_action(
        hass, "generate_briefing", {"config_entry_id": loaded_demo.entry_id}
    )
    assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert _speech(response) == briefing["text"]


async def test_briefing_with_a_refused_key(
    hass: HomeAssistant, gemini: FakeGemini, frozen_now: object
) -> None:
    """A refused Gemini key is spoken as a failure, and the user is asked for a new key."""
    await setup_entry(hass, demo_config_entry({CONF_API_KEY: GEMINI_KEY}))
    gemini.queue("gemini-2.5-flash", invalid_key_error())

    response = await _ask(hass, "CoachDynoBriefing")

    assert response.response_type is intent.IntentResponseType.ERROR
    assert response.error_code is intent.IntentResponseErrorCode.FAILED_TO_HANDLE
    assert _speech(response) == "The coach cannot answer right now."
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["step_id"] for flow in flows] == ["reauth_gemini"]


@pytest.mark.parametrize(
    "intent_type",
    [
        "CoachDynoWeeklyDistance",
        "CoachDynoTrainingLoad",
        "CoachDynoRaceCountdown",
        "CoachDynoRacePrediction",
        "CoachDynoTrainingForm",
        "CoachDynoLatestRun",
        "CoachDynoTodaySession",
        "CoachDynoTomorrowSession",
        "CoachDynoBriefing",
        "CoachDynoPauseBriefings",
        "CoachDynoResumeBriefings",
    ],
)
async def test_not_set_up(
    hass: HomeAssistant, demo_entry: MockConfigEntry, intent_type: str
) -> None:
    """Without a loaded athlete every intent says the coach is not set up, in the asker's language."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert _speech(await _ask(hass, intent_type)) == "Coach Dyno is not set up yet."
    assert _speech(await _ask(hass, intent_type, "vi")) == "Coach Dyno chưa được thiết lập."

    # An athlete that is unloaded counts as absent too.
    await setup_entry(hass, demo_entry)
    assert await hass.config_entries.async_unload(demo_entry.entry_id)
    assert _speech(await _ask(hass, intent_type, "en-GB")) == "Coach Dyno is not set up yet."


@pytest.fixture
async def assist(hass: HomeAssistant, tmp_path: Path) -> None:
    """Home Assistant's own Assist agent with the custom sentences installed as the README says."""
    hass.config.config_dir = str(tmp_path)
    target = Path(hass.config.path("custom_sentences", "en", SENTENCES.name))
    await hass.async_add_executor_job(lambda: target.parent.mkdir(parents=True))
    await hass.async_add_executor_job(shutil.copyfile, SENTENCES, target)
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(hass, "intent", {})


@pytest.mark.parametrize(
    ("text", "intent_type"),
    [
        ("how far did I run this week", "CoachDynoWeeklyDistance"),
        ("how many days until my race", "CoachDynoRaceCountdown"),
        ("am I fresh today", "CoachDynoTrainingForm"),
        ("how was my last run", "CoachDynoLatestRun"),
        ("give me my morning briefing", "CoachDynoBriefing"),
    ],
)
@pytest.mark.usefixtures("assist")
async def test_through_assist(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, text: str, intent_type: str
) -> None:
    """Speaking to the built-in agent reaches the coach's intent and speaks its answer."""
    expected = _speech(await _ask(hass, intent_type))
    result = await conversation.async_converse(hass, text, None, Context(), language="en")
    assert result.response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert result.response.speech["plain"]["speech"] == expected


async def test_distance_of_a_period(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """Last week, this month and this year each say their own distance; an empty one says so."""
    _set_snapshot(
        loaded_demo,
        volume=replace(
            loaded_demo.runtime_data.coordinator.data.snapshot.volume,
            last_week=Volume(distance_m=42_195.0, moving_s=13_500.0, count=5),
            this_month=Volume(),
        ),
    )
    last_week = await _ask(hass, "CoachDynoDistance", slots={"period": {"value": "last_week"}})
    assert _speech(last_week) == (
        "Last week you ran 42.2 kilometres in 5 runs, 3 hours 45 minutes in total."
    )
    month = await _ask(hass, "CoachDynoDistance", "vi", {"period": {"value": "this_month"}})
    assert _speech(month) == "Tháng này bạn chưa chạy buổi nào."
    with pytest.raises(intent.InvalidSlotInfo):
        await _ask(hass, "CoachDynoDistance", slots={"period": {"value": "yesterday"}})


@pytest.mark.parametrize(
    ("acwr", "trimp", "expected"),
    [
        (
            1.1,
            420.4,
            (
                "Your training load over the last 7 days is 420. Your acute to chronic workload "
                "ratio is 1.1: within your usual range."
            ),
        ),
        (0.6, 200.0, "ratio is 0.6: below your usual load, room to build."),
        (None, 200.0, "Your training load over the last 7 days is 200."),
        (
            1.1,
            None,
            (
                "Your training load is unknown: I need heart rate, or a recent run of 3 km or "
                "more to estimate it from pace."
            ),
        ),
    ],
)
async def test_training_load(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    acwr: float | None,
    trimp: float | None,
    expected: str,
) -> None:
    """The 7-day load and the ACWR with what it means; the form is another question."""
    snapshot = loaded_demo.runtime_data.coordinator.data.snapshot
    _set_snapshot(loaded_demo, load=replace(snapshot.load, acwr=acwr, trimp_7d=trimp))
    speech = _speech(await _ask(hass, "CoachDynoTrainingLoad"))
    assert speech.endswith(expected)
    assert "form" not in speech


async def test_training_load_spike(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """A spike over a real chronic load says to ease off, in Vietnamese too."""
    snapshot = loaded_demo.runtime_data.coordinator.data.snapshot
    _set_snapshot(loaded_demo, load=replace(snapshot.load, acwr=1.9))
    assert _speech(await _ask(hass, "CoachDynoTrainingLoad")).endswith(
        "ratio is 1.9: a spike, so ease off for a few days to stay clear of injury."
    )
    assert _speech(await _ask(hass, "CoachDynoTrainingLoad", "vi")).endswith(
        "là 1.9: tải tăng đột ngột, hãy tập nhẹ vài ngày để tránh chấn thương."
    )


async def test_race_prediction(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """The predicted time against the goal, and whether the athlete is on track."""
    snapshot = loaded_demo.runtime_data.coordinator.data.snapshot
    race = snapshot.race
    assert race is not None
    _set_snapshot(loaded_demo, race=replace(race, predicted_time_s=6354.0, on_track=False))
    assert _speech(await _ask(hass, "CoachDynoRacePrediction")) == (
        "Your predicted time for Autumn Half is 1 hour 46 minutes, against a goal of 1 hour "
        "45 minutes. You are not on track yet; keep building."
    )
    _set_snapshot(loaded_demo, race=replace(race, predicted_time_s=6200.0, on_track=True, name=""))
    assert _speech(await _ask(hass, "CoachDynoRacePrediction", "vi")) == (
        "Thời gian dự đoán cho giải chạy của bạn là 1 giờ 43 phút, so với mục tiêu 1 giờ 45 "
        "phút. Bạn đang đúng hướng."
    )
    _set_snapshot(loaded_demo, race=replace(race, predicted_time_s=6200.0, goal_time_s=None))
    assert _speech(await _ask(hass, "CoachDynoRacePrediction")) == (
        "Your predicted time for Autumn Half is 1 hour 43 minutes. Set a goal time to know "
        "whether you are on track."
    )
    _set_snapshot(loaded_demo, race=replace(race, predicted_time_s=None))
    assert _speech(await _ask(hass, "CoachDynoRacePrediction")) == (
        "I cannot predict your race time yet: I need a recent run of 3 kilometres or more."
    )
    _set_snapshot(loaded_demo, race=None)
    assert _speech(await _ask(hass, "CoachDynoRacePrediction")) == "No goal race is set."


async def test_sessions_of_today_and_tomorrow(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """Today's and tomorrow's sessions come from the plan the dashboard shows."""
    runtime = loaded_demo.runtime_data
    briefing = runtime.coach.todays_briefing(runtime.coordinator.data.snapshot)
    today, tomorrow = briefing.plan[0], briefing.plan[1]
    rest = replace(today, type=WorkoutType.REST, distance_km=0.0, target_pace_s_per_km=None)
    no_pace = replace(tomorrow, type=WorkoutType.EASY, distance_km=8.0, target_pace_s_per_km=None)
    planned = replace(briefing, plan=(rest, no_pace, *briefing.plan[2:]))
    with patch.object(runtime.coach, "todays_briefing", return_value=planned):
        assert _speech(await _ask(hass, "CoachDynoTodaySession")) == "Today is a rest day."
        assert _speech(await _ask(hass, "CoachDynoTomorrowSession", "vi")) == (
            f"Ngày mai: {no_pace.title}, 8 ki-lô-mét."
        )
    # A weekly report plans from tomorrow: today has no session of its own in it.
    await call_action(
        hass, "generate_briefing", {"config_entry_id": loaded_demo.entry_id, "kind": "weekly"}
    )
    assert _speech(await _ask(hass, "CoachDynoTodaySession")) == (
        "There is no session planned for that day yet."
    )


async def test_pause_without_the_switch(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """A removed briefings switch cannot be paused: the coach says it cannot do it."""
    entity_registry.async_remove("switch.demo_runner_briefings_enabled")
    response = await _ask(hass, "CoachDynoPauseBriefings")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert _speech(response) == "The coach cannot answer right now."
