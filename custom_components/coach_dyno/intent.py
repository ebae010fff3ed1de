"""Intents: voice questions about training; every Assist LLM agent also gets them as tools."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import intent
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import voluptuous as vol

from .coach.formatting import say_date, say_distance, say_duration, say_pace
from .coach.risk import RACE_RECOVERY_DAYS
from .coach.settings import Units, normalize_language
from .const import DOMAIN
from .services import async_briefing, async_switch_briefings
from .training.load import CTL_DAYS
from .training.plan import WorkoutType, load_spike

if TYPE_CHECKING:
    from .coordinator import CoachDynoConfigEntry
    from .training import TrainingSnapshot
    from .training.volume import Volume

# The acute window of the ACWR, and the ratio under which a week is lighter than usual.
ACWR_ACUTE_DAYS: Final = 7
ACWR_LOW: Final = 0.8

INTENT_WEEKLY_DISTANCE: Final = "CoachDynoWeeklyDistance"
INTENT_DISTANCE: Final = "CoachDynoDistance"
INTENT_TRAINING_LOAD: Final = "CoachDynoTrainingLoad"
INTENT_RACE_COUNTDOWN: Final = "CoachDynoRaceCountdown"
INTENT_RACE_PREDICTION: Final = "CoachDynoRacePrediction"
INTENT_TRAINING_FORM: Final = "CoachDynoTrainingForm"
INTENT_LATEST_RUN: Final = "CoachDynoLatestRun"
INTENT_TODAY_SESSION: Final = "CoachDynoTodaySession"
INTENT_TOMORROW_SESSION: Final = "CoachDynoTomorrowSession"
INTENT_BRIEFING: Final = "CoachDynoBriefing"
INTENT_PAUSE_BRIEFINGS: Final = "CoachDynoPauseBriefings"
INTENT_RESUME_BRIEFINGS: Final = "CoachDynoResumeBriefings"
# Each intent's title where Home Assistant lists it as an LLM tool (llm.py).
COACH_INTENTS: Final = {
    INTENT_WEEKLY_DISTANCE: "Weekly running distance",
    INTENT_DISTANCE: "Running distance of a period",
    INTENT_TRAINING_LOAD: "Training load",
    INTENT_RACE_COUNTDOWN: "Race countdown",
    INTENT_RACE_PREDICTION: "Race prediction",
    INTENT_TRAINING_FORM: "Training form",
    INTENT_LATEST_RUN: "Latest run",
    INTENT_TODAY_SESSION: "Today's session",
    INTENT_TOMORROW_SESSION: "Tomorrow's session",
    INTENT_BRIEFING: "Coach briefing",
    INTENT_PAUSE_BRIEFINGS: "Pause briefings",
    INTENT_RESUME_BRIEFINGS: "Resume briefings",
}
# The periods CoachDynoDistance answers for (this week has an intent of its own).
PERIODS: Final = ("last_week", "this_month", "this_year")
SLOT_PERIOD: Final = "period"

# Short spoken answers; the coach's full texts come from the briefing intent.
PHRASES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "no_entry": "Coach Dyno is not set up yet.",
        "this_week": "This week you ran {distance} in {runs}, {time} in total.",
        "last_week": "Last week you ran {distance} in {runs}, {time} in total.",
        "this_month": "This month you have run {distance} in {runs}, {time} in total.",
        "this_year": "This year you have run {distance} in {runs}, {time} in total.",
        "this_week_none": "You have not run yet this week.",
        "last_week_none": "You did not run last week.",
        "this_month_none": "You have not run yet this month.",
        "this_year_none": "You have not run yet this year.",
        "runs": "{count} runs",
        "one_run": "1 run",
        "load": "Your training load over the last 7 days is {trimp}{estimated}.",
        "acwr": " Your acute to chronic workload ratio is {acwr}: {verdict}",
        "acwr_spike": "a spike, so ease off for a few days to stay clear of injury.",
        "acwr_low": "below your usual load, room to build.",
        "acwr_steady": "within your usual range.",
        "no_goal": "No goal race is set.",
        "your_race": "Your race",
        "race": "{race} is on {date}: {days} to go, {weeks}. You are in the {phase} phase.",
        "prediction": "Your predicted time for {race} is {predicted}{goal}. {verdict}",
        "goal": ", against a goal of {goal}",
        "on_track": "You are on track.",
        "off_track": "You are not on track yet; keep building.",
        "no_goal_time": "Set a goal time to know whether you are on track.",
        "no_prediction": (
            "I cannot predict your race time yet: I need a recent run of 3 kilometres or more."
        ),
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
        "latest": "Your last run, {name}, was {distance} in {time}, at {pace}{hr}.",
        "hr": ", average heart rate {hr}",
        "today": "Today",
        "tomorrow": "Tomorrow",
        "session": "{when}: {title}, {distance}{pace}.",
        "at_pace": " at {pace}",
        "rest": "{when} is a rest day.",
        "no_session": "There is no session planned for that day yet.",
        "paused": "Briefings are paused. Say resume briefings to get them again.",
        "resumed": "Briefings are back on.",
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
        "this_week": "Tuần này bạn đã chạy {distance} trong {runs}, tổng cộng {time}.",
        "last_week": "Tuần trước bạn đã chạy {distance} trong {runs}, tổng cộng {time}.",
        "this_month": "Tháng này bạn đã chạy {distance} trong {runs}, tổng cộng {time}.",
        "this_year": "Năm nay bạn đã chạy {distance} trong {runs}, tổng cộng {time}.",
        "this_week_none": "Tuần này bạn chưa chạy buổi nào.",
        "last_week_none": "Tuần trước bạn không chạy buổi nào.",
        "this_month_none": "Tháng này bạn chưa chạy buổi nào.",
        "this_year_none": "Năm nay bạn chưa chạy buổi nào.",
        "runs": "{count} buổi",
        "one_run": "1 buổi",
        "load": "Tải tập luyện 7 ngày qua của bạn là {trimp}{estimated}.",
        "acwr": " Tỷ lệ tải cấp tính trên mãn tính là {acwr}: {verdict}",
        "acwr_spike": "tải tăng đột ngột, hãy tập nhẹ vài ngày để tránh chấn thương.",
        "acwr_low": "thấp hơn mức quen thuộc, bạn còn dư địa để tăng.",
        "acwr_steady": "nằm trong mức quen thuộc của bạn.",
        "no_goal": "Chưa có giải chạy mục tiêu.",
        "your_race": "Giải chạy của bạn",
        "race": "{race} diễn ra vào {date}: còn {days}, {weeks} nữa. Bạn đang ở giai đoạn {phase}.",
        "prediction": "Thời gian dự đoán cho {race} là {predicted}{goal}. {verdict}",
        "goal": ", so với mục tiêu {goal}",
        "on_track": "Bạn đang đúng hướng.",
        "off_track": "Bạn chưa đạt mục tiêu; hãy tiếp tục xây nền.",
        "no_goal_time": "Hãy đặt thời gian mục tiêu để biết bạn có đúng hướng không.",
        "no_prediction": (
            "Tôi chưa dự đoán được thời gian: tôi cần một buổi chạy gần đây từ 3 ki-lô-mét trở lên."
        ),
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
        "latest": "Buổi chạy gần nhất, {name}, dài {distance} trong {time}, tốc độ {pace}{hr}.",
        "hr": ", nhịp tim trung bình {hr}",
        "today": "Hôm nay",
        "tomorrow": "Ngày mai",
        "session": "{when}: {title}, {distance}{pace}.",
        "at_pace": " với tốc độ {pace}",
        "rest": "{when} là ngày nghỉ.",
        "no_session": "Chưa có buổi tập nào được lên kế hoạch cho ngày đó.",
        "paused": "Đã tạm dừng bản tin. Hãy nói tiếp tục bản tin để nhận lại.",
        "resumed": "Đã bật lại bản tin.",
        "coach_failed": "Huấn luyện viên chưa trả lời được lúc này.",
        "base": "nền tảng",
        "build": "tăng tải",
        "peak": "cao điểm",
        "taper": "giảm tải",
        "race_week": "tuần thi đấu",
        "recovery": "hồi phục",
    },
}


def phrases_for(language: str) -> dict[str, str]:
    """Return the spoken phrases of `language` (English when the coach does not speak it)."""
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


@dataclass(frozen=True, slots=True)
class Speech:
    """How to say things to the asker: their language's phrases and Home Assistant's units."""

    language: str
    units: Units

    @property
    def phrases(self) -> dict[str, str]:
        """The phrases of the language (English when the coach does not speak it)."""
        return phrases_for(self.language)

    def t(self, key: str, **values: Any) -> str:
        """Return a phrase with its values."""
        return self.phrases[key].format(**values)

    def distance(self, meters: float) -> str:
        """Say a distance in the asker's units."""
        return say_distance(meters, self.units, self.language)

    def pace(self, s_per_km: float | None) -> str | None:
        """Say a pace in the asker's units."""
        return say_pace(s_per_km, self.units, self.language)

    def duration(self, seconds: float) -> str:
        """Say a duration in hours and minutes."""
        return say_duration(seconds, self.language)

    def count(self, noun: str, n: int) -> str:
        """Return `n` with its noun, singular or plural."""
        return self.t(f"n_{noun}" if abs(n) == 1 else f"n_{noun}s", n=n)


def _volume(snapshot: TrainingSnapshot, period: str, say: Speech) -> str:
    """Say the distance, runs and time of a period of the volume summary."""
    volume: Volume = getattr(snapshot.volume, period)
    if not volume.count:
        return say.t(f"{period}_none")
    return say.t(
        period,
        distance=say.distance(volume.distance_m),
        runs=say.t("one_run") if volume.count == 1 else say.t("runs", count=volume.count),
        time=say.duration(volume.moving_s),
    )


def _weekly_distance(snapshot: TrainingSnapshot, say: Speech, slots: dict[str, Any]) -> str:
    return _volume(snapshot, "this_week", say)


def _distance(snapshot: TrainingSnapshot, say: Speech, slots: dict[str, Any]) -> str:
    return _volume(snapshot, slots[SLOT_PERIOD]["value"], say)


def _training_load(snapshot: TrainingSnapshot, say: Speech, slots: dict[str, Any]) -> str:
    load = snapshot.load
    if load.trimp_7d is None:
        return say.t("form_unknown")
    estimated = load.estimated_within(ACWR_ACUTE_DAYS, load.window_end)
    text = say.t(
        "load",
        trimp=round(load.trimp_7d),
        estimated=say.t("estimated") if estimated else "",
    )
    if load.acwr is None:
        return text
    verdict = (
        "acwr_spike"
        if load_spike(snapshot)
        else "acwr_low"
        if load.acwr < ACWR_LOW
        else "acwr_steady"
    )
    return text + say.t("acwr", acwr=f"{load.acwr:.1f}", verdict=say.t(verdict))


def _race_countdown(snapshot: TrainingSnapshot, say: Speech, slots: dict[str, Any]) -> str:
    race = snapshot.race
    if race is None:
        return say.t("no_goal")
    return say.t(
        "race",
        race=race.name or say.t("your_race"),
        date=say_date(race.race_date, say.language),
        days=say.count("day", race.days_to_race),
        weeks=say.count("week", race.weeks_to_race),
        phase=say.t(str(race.phase)),
    )


def _race_prediction(snapshot: TrainingSnapshot, say: Speech, slots: dict[str, Any]) -> str:
    race = snapshot.race
    if race is None:
        return say.t("no_goal")
    if race.predicted_time_s is None:
        return say.t("no_prediction")
    if race.goal_time_s is None:
        verdict = say.t("no_goal_time")
    else:
        verdict = say.t("on_track" if race.on_track else "off_track")
    return say.t(
        "prediction",
        race=race.name or say.t("your_race").lower(),
        predicted=say.duration(race.predicted_time_s),
        goal="" if race.goal_time_s is None else say.t("goal", goal=say.duration(race.goal_time_s)),
        verdict=verdict,
    )


def _training_form(snapshot: TrainingSnapshot, say: Speech, slots: dict[str, Any]) -> str:
    load = snapshot.load
    if load.tsb is None:
        return say.t("form_unknown")
    verdict = "fresh" if load.tsb > 5 else "tired" if load.tsb < -20 else "neutral"
    since = snapshot.days_since_race
    if verdict != "fresh" and since and since <= RACE_RECOVERY_DAYS:
        verdict = "race_fatigue"
    yesterday = snapshot.today - timedelta(days=1)

    def spoken(value: float | None) -> str:
        return say.t("unknown") if value is None else str(round(value))

    return say.t(
        "form",
        tsb=spoken(load.tsb),
        estimated=say.t("estimated") if load.estimated_within(CTL_DAYS, yesterday) else "",
        ctl=spoken(load.ctl),
        atl=spoken(load.atl),
        verdict=say.t(verdict),
    )


def _latest_run(snapshot: TrainingSnapshot, say: Speech, slots: dict[str, Any]) -> str:
    run = snapshot.latest_run
    if run is None:
        return say.t("no_run")
    return say.t(
        "latest",
        name=run.name or run.sport_type,
        distance=say.distance(run.distance_m),
        time=say.duration(run.moving_s),
        pace=say.pace(run.pace_s_per_km) or say.t("unknown"),
        hr=say.t("hr", hr=round(run.avg_hr)) if run.avg_hr else "",
    )


class _CoachIntent(intent.IntentHandler):
    """Answers for the household's athlete, or says the coach is not set up."""

    response_type = intent.IntentResponseType.QUERY_ANSWER

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Speak the answer, or the error the coach ran into."""
        # Models and sentences hand slots over as they were said: check them here.
        intent_obj.slots = self.async_validate_slots(intent_obj.slots)
        say = Speech(normalize_language(intent_obj.language), ha_units(intent_obj.hass))
        response = intent_obj.create_response()
        response.response_type = self.response_type
        if (entry := loaded_entry(intent_obj.hass)) is None:
            response.async_set_speech(say.t("no_entry"))
            return response
        try:
            speech = await self._async_answer(intent_obj, entry, say)
        except HomeAssistantError:
            # async_coach_call already asked for a new key where that is the cause.
            response.async_set_error(
                intent.IntentResponseErrorCode.FAILED_TO_HANDLE, say.t("coach_failed")
            )
            return response
        response.async_set_speech(speech)
        return response

    async def _async_answer(
        self, intent_obj: intent.Intent, entry: CoachDynoConfigEntry, say: Speech
    ) -> str:
        raise NotImplementedError


class SnapshotIntent(_CoachIntent):
    """Answers a question from the training snapshot alone: instant, no network."""

    def __init__(
        self,
        intent_type: str,
        description: str,
        answer: Callable[[TrainingSnapshot, Speech, dict[str, Any]], str],
        slot_schema: dict[Any, Any] | None = None,
    ) -> None:
        """Bind the intent to the function that words its answer."""
        self.intent_type = intent_type
        self.description = description
        self._slots = slot_schema
        self._answer = answer

    @property
    def slot_schema(self) -> dict[Any, Any] | None:
        """The slots the intent takes (the period of a distance)."""
        return self._slots

    async def _async_answer(
        self, intent_obj: intent.Intent, entry: CoachDynoConfigEntry, say: Speech
    ) -> str:
        snapshot = entry.runtime_data.coordinator.data.snapshot
        return self._answer(snapshot, say, intent_obj.slots)


class SessionIntent(_CoachIntent):
    """Says the session of today or tomorrow in the latest plan (the briefing's, else the offline coach's)."""

    def __init__(self, intent_type: str, description: str, days_ahead: int) -> None:
        """Bind the intent to a day: 0 today, 1 tomorrow."""
        self.intent_type = intent_type
        self.description = description
        self._days_ahead = days_ahead

    async def _async_answer(
        self, intent_obj: intent.Intent, entry: CoachDynoConfigEntry, say: Speech
    ) -> str:
        runtime = entry.runtime_data
        snapshot = runtime.coordinator.data.snapshot
        day = snapshot.today + timedelta(days=self._days_ahead)
        plan = runtime.coach.todays_briefing(snapshot).plan
        workout = next((workout for workout in plan if workout.date == day), None)
        if workout is None:
            return say.t("no_session")
        when = say.t("today" if self._days_ahead == 0 else "tomorrow")
        if workout.type is WorkoutType.REST:
            return say.t("rest", when=when)
        pace = say.pace(workout.target_pace_s_per_km)
        return say.t(
            "session",
            when=when,
            title=workout.title,
            distance=say.distance(workout.distance_km * 1000),
            pace=say.t("at_pace", pace=pace) if pace else "",
        )


class BriefingIntent(_CoachIntent):
    """Reads today's briefing (one LLM call a day at most; the offline coach otherwise)."""

    intent_type = INTENT_BRIEFING
    description = "Gives the runner today's training briefing from their running coach"

    async def _async_answer(
        self, intent_obj: intent.Intent, entry: CoachDynoConfigEntry, say: Speech
    ) -> str:
        return (await async_briefing(intent_obj.hass, entry, "morning")).text


class BriefingsSwitchIntent(_CoachIntent):
    """Pauses or resumes the scheduled briefings (the athlete's briefings switch)."""

    response_type = intent.IntentResponseType.ACTION_DONE

    def __init__(self, intent_type: str, description: str, *, turn_on: bool) -> None:
        """Bind the intent to turning the switch on or off."""
        self.intent_type = intent_type
        self.description = description
        self._turn_on = turn_on

    async def _async_answer(
        self, intent_obj: intent.Intent, entry: CoachDynoConfigEntry, say: Speech
    ) -> str:
        await async_switch_briefings(
            intent_obj.hass, entry, on=self._turn_on, context=intent_obj.context
        )
        return say.t("resumed" if self._turn_on else "paused")


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register the coach's intents."""
    for handler in (
        SnapshotIntent(
            INTENT_WEEKLY_DISTANCE,
            "Tells how far, how many runs and how long the runner has run this week",
            _weekly_distance,
        ),
        SnapshotIntent(
            INTENT_DISTANCE,
            "Tells how far, how many runs and how long the runner ran last week, this month or "
            "this year",
            _distance,
            {vol.Required(SLOT_PERIOD): vol.In(PERIODS)},
        ),
        SnapshotIntent(
            INTENT_TRAINING_LOAD,
            "Tells the runner's training load over the last 7 days and the acute:chronic ratio",
            _training_load,
        ),
        SnapshotIntent(
            INTENT_RACE_COUNTDOWN,
            "Tells the goal race's date, how many days and weeks remain, and the training phase",
            _race_countdown,
        ),
        SnapshotIntent(
            INTENT_RACE_PREDICTION,
            "Tells the predicted goal-race time and whether the runner is on track for the goal",
            _race_prediction,
        ),
        SnapshotIntent(
            INTENT_TRAINING_FORM,
            "Tells the runner's form (fitness minus fatigue) and whether they are fresh or tired",
            _training_form,
        ),
        SnapshotIntent(
            INTENT_LATEST_RUN,
            "Describes the runner's most recent run: distance, time, pace and heart rate",
            _latest_run,
        ),
        SessionIntent(INTENT_TODAY_SESSION, "Tells the runner's planned session for today", 0),
        SessionIntent(
            INTENT_TOMORROW_SESSION, "Tells the runner's planned session for tomorrow", 1
        ),
        BriefingIntent(),
        BriefingsSwitchIntent(
            INTENT_PAUSE_BRIEFINGS, "Pauses the coach's scheduled briefings", turn_on=False
        ),
        BriefingsSwitchIntent(
            INTENT_RESUME_BRIEFINGS, "Resumes the coach's scheduled briefings", turn_on=True
        ),
    ):
        intent.async_register(hass, handler)
