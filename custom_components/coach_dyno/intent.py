"""Intents: voice questions about training; every Assist LLM agent also gets them as tools."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import intent
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM

from .coach.formatting import fmt_distance, fmt_duration, fmt_pace
from .coach.risk import RACE_RECOVERY_DAYS
from .coach.settings import Units, normalize_language
from .const import DOMAIN
from .services import async_briefing
from .training.load import CTL_DAYS

if TYPE_CHECKING:
    from .coordinator import CoachDynoConfigEntry
    from .training import TrainingSnapshot

INTENT_WEEKLY_DISTANCE: Final = "CoachDynoWeeklyDistance"
INTENT_RACE_COUNTDOWN: Final = "CoachDynoRaceCountdown"
INTENT_TRAINING_FORM: Final = "CoachDynoTrainingForm"
INTENT_LATEST_RUN: Final = "CoachDynoLatestRun"
INTENT_BRIEFING: Final = "CoachDynoBriefing"
# Each intent's title where Home Assistant lists it as an LLM tool (llm.py).
COACH_INTENTS: Final = {
    INTENT_WEEKLY_DISTANCE: "Weekly running distance",
    INTENT_RACE_COUNTDOWN: "Race countdown",
    INTENT_TRAINING_FORM: "Training form",
    INTENT_LATEST_RUN: "Latest run",
    INTENT_BRIEFING: "Coach briefing",
}

# Short spoken answers; the coach's full texts come from the briefing intent.
PHRASES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "no_entry": "Coach Dyno is not set up yet.",
        "week": "This week you ran {distance} in {runs}, {time} in total.",
        "runs": "{count} runs",
        "one_run": "1 run",
        "no_goal": "No goal race is set.",
        "race": "{days} to go, {weeks}. You are in the {phase} phase.",
        "n_day": "{n} day",
        "n_days": "{n} days",
        "n_week": "{n} week",
        "n_weeks": "{n} weeks",
        "form": "Your form is {tsb}{estimated}: fitness {ctl}, fatigue {atl}. {verdict}",
        "estimated": ", estimated from pace",
        "unknown": "unknown",
        "form_unknown": (
            "Your training load is unknown: I need heart rate, or a recent run of 3 km or more to "
            "estimate it from pace."
        ),
        "fresh": "You are fresh.",
        "neutral": "You are in a productive training zone.",
        "tired": "You are carrying a lot of fatigue; keep today easy.",
        "race_fatigue": "That fatigue is from your race: recover before training hard again.",
        "no_run": "There is no run in your history yet.",
        "latest": "Your last run, {name}, was {distance} at {pace}{hr}.",
        "hr": ", average heart rate {hr}",
        "coach_failed": "The coach cannot answer right now.",
        "base": "base",
        "build": "build",
        "peak": "peak",
        "taper": "taper",
        "race_week": "race week",
        "recovery": "recovery",
    },
    "vi": {
        "no_entry": "Coach Dyno chưa được thiết lập.",
        "week": "Tuần này bạn đã chạy {distance} trong {runs}, tổng cộng {time}.",
        "runs": "{count} buổi",
        "one_run": "1 buổi",
        "no_goal": "Chưa có giải chạy mục tiêu.",
        "race": "Còn {days}, {weeks} nữa. Bạn đang ở giai đoạn {phase}.",
        "n_day": "{n} ngày",
        "n_days": "{n} ngày",
        "n_week": "{n} tuần",
        "n_weeks": "{n} tuần",
        "form": "Phong độ của bạn là {tsb}{estimated}: thể lực {ctl}, mệt mỏi {atl}. {verdict}",
        "estimated": ", ước tính từ pace",
        "unknown": "chưa rõ",
        "form_unknown": (
            "Chưa tính được tải tập của bạn: tôi cần nhịp tim, hoặc một buổi chạy gần đây từ 3 km "
            "trở lên để ước tính từ pace."
        ),
        "fresh": "Bạn đang sung sức.",
        "neutral": "Bạn đang ở vùng tập luyện hiệu quả.",
        "tired": "Bạn đang khá mệt; hôm nay hãy tập nhẹ.",
        "race_fatigue": "Đó là mệt mỏi sau giải đấu: hãy hồi phục trước khi tập nặng trở lại.",
        "no_run": "Chưa có buổi chạy nào trong lịch sử.",
        "latest": "Buổi chạy gần nhất, {name}, dài {distance} với tốc độ {pace}{hr}.",
        "hr": ", nhịp tim trung bình {hr}",
        "coach_failed": "Huấn luyện viên chưa trả lời được lúc này.",
        "base": "nền tảng",
        "build": "tăng tải",
        "peak": "cao điểm",
        "taper": "giảm tải",
        "race_week": "tuần thi đấu",
        "recovery": "hồi phục",
    },
}


def _phrases(language: str) -> dict[str, str]:
    return PHRASES.get(normalize_language(language), PHRASES["en"])


def loaded_entry(hass: HomeAssistant) -> CoachDynoConfigEntry | None:
    """Return the first loaded athlete (a household usually has one)."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            return entry
    return None


def ha_units(hass: HomeAssistant) -> Units:
    """Return the units of Home Assistant's unit system, for spoken and written numbers."""
    return Units.IMPERIAL if hass.config.units is US_CUSTOMARY_SYSTEM else Units.METRIC


def _weekly_distance(snapshot: TrainingSnapshot, phrases: dict[str, str], units: Units) -> str:
    week = snapshot.volume.this_week
    return phrases["week"].format(
        distance=fmt_distance(week.distance_m, units),
        runs=phrases["one_run"] if week.count == 1 else phrases["runs"].format(count=week.count),
        time=fmt_duration(week.moving_s),
    )


def _race_countdown(snapshot: TrainingSnapshot, phrases: dict[str, str], units: Units) -> str:
    race = snapshot.race
    if race is None:
        return phrases["no_goal"]
    return phrases["race"].format(
        days=_count(phrases, "day", race.days_to_race),
        weeks=_count(phrases, "week", race.weeks_to_race),
        phase=phrases[str(race.phase)],
    )


def _count(phrases: dict[str, str], noun: str, n: int) -> str:
    """Return `n` with its noun, singular or plural."""
    return phrases[f"n_{noun}" if abs(n) == 1 else f"n_{noun}s"].format(n=n)


def _training_form(snapshot: TrainingSnapshot, phrases: dict[str, str], units: Units) -> str:
    load = snapshot.load
    if load.tsb is None:
        return phrases["form_unknown"]
    verdict = "fresh" if load.tsb > 5 else "tired" if load.tsb < -20 else "neutral"
    since = snapshot.days_since_race
    if verdict != "fresh" and since and since <= RACE_RECOVERY_DAYS:
        verdict = "race_fatigue"
    yesterday = snapshot.today - timedelta(days=1)

    def spoken(value: float | None) -> str:
        return phrases["unknown"] if value is None else str(round(value))

    return phrases["form"].format(
        tsb=spoken(load.tsb),
        estimated=phrases["estimated"] if load.estimated_within(CTL_DAYS, yesterday) else "",
        ctl=spoken(load.ctl),
        atl=spoken(load.atl),
        verdict=phrases[verdict],
    )


def _latest_run(snapshot: TrainingSnapshot, phrases: dict[str, str], units: Units) -> str:
    run = snapshot.latest_run
    if run is None:
        return phrases["no_run"]
    return phrases["latest"].format(
        name=run.name or run.sport_type,
        distance=fmt_distance(run.distance_m, units),
        pace=fmt_pace(run.pace_s_per_km, units),
        hr=phrases["hr"].format(hr=round(run.avg_hr)) if run.avg_hr else "",
    )


class _CoachIntent(intent.IntentHandler):
    """Answers for the household's athlete, or says the coach is not set up."""

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Speak the answer, or the error the coach ran into."""
        phrases = _phrases(intent_obj.language)
        response = intent_obj.create_response()
        response.response_type = intent.IntentResponseType.QUERY_ANSWER
        if (entry := loaded_entry(intent_obj.hass)) is None:
            response.async_set_speech(phrases["no_entry"])
            return response
        try:
            speech = await self._async_answer(intent_obj.hass, entry, phrases)
        except HomeAssistantError:
            # async_coach_call already asked for a new key where that is the cause.
            response.async_set_error(
                intent.IntentResponseErrorCode.FAILED_TO_HANDLE, phrases["coach_failed"]
            )
            return response
        response.async_set_speech(speech)
        return response

    async def _async_answer(
        self, hass: HomeAssistant, entry: CoachDynoConfigEntry, phrases: dict[str, str]
    ) -> str:
        raise NotImplementedError


class SnapshotIntent(_CoachIntent):
    """Answers a question from the training snapshot alone: instant, no network."""

    def __init__(
        self,
        intent_type: str,
        description: str,
        answer: Callable[[TrainingSnapshot, dict[str, str], Units], str],
    ) -> None:
        """Bind the intent to the function that words its answer."""
        self.intent_type = intent_type
        self.description = description
        self._answer = answer

    async def _async_answer(
        self, hass: HomeAssistant, entry: CoachDynoConfigEntry, phrases: dict[str, str]
    ) -> str:
        snapshot = entry.runtime_data.coordinator.data.snapshot
        return self._answer(snapshot, phrases, ha_units(hass))


class BriefingIntent(_CoachIntent):
    """Reads today's briefing (one LLM call a day at most; the offline coach otherwise)."""

    intent_type = INTENT_BRIEFING
    description = "Gives the runner today's training briefing from their running coach"

    async def _async_answer(
        self, hass: HomeAssistant, entry: CoachDynoConfigEntry, phrases: dict[str, str]
    ) -> str:
        return (await async_briefing(hass, entry, "morning")).text


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register the coach's intents."""
    for handler in (
        SnapshotIntent(
            INTENT_WEEKLY_DISTANCE,
            "Tells how far and how long the runner has run this week",
            _weekly_distance,
        ),
        SnapshotIntent(
            INTENT_RACE_COUNTDOWN,
            "Tells how many days and weeks remain until the goal race and the training phase",
            _race_countdown,
        ),
        SnapshotIntent(
            INTENT_TRAINING_FORM,
            "Tells the runner's form (fitness minus fatigue) and whether they are fresh or tired",
            _training_form,
        ),
        SnapshotIntent(
            INTENT_LATEST_RUN,
            "Describes the runner's most recent run: distance, pace and heart rate",
            _latest_run,
        ),
        BriefingIntent(),
    ):
        intent.async_register(hass, handler)
