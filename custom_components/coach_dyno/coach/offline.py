"""
The offline coach: what a good coach says from the numbers alone, in English and Vietnamese.

Deterministic rules over the training snapshot produce the same outputs as Gemini (morning briefing,
weekly report, post-run analysis, 7-day plan, short answers). It speaks when there is no key and is the
last fallback when Gemini cannot answer.

The 7-day plan: the weekly target is the 4-week average distance (15 km for a runner without
any) times a phase factor (base 1.05, build 1.08, peak 1.0, taper
0.65, race week 0.4, recovery 0.5, no goal 1.05), capped at 0.8 of the average when a load spike or
deep fatigue is flagged (then the first day is rest and no hard session comes in the first three
days). Sessions follow the week: Monday and Friday rest, quality on Tuesday and Thursday (chosen by
phase), the long run (30 %, capped by the race distance) on Sunday, easy running in between; fewer
running days below 25 and 12 km a week. A goal race inside the window becomes race day, with rest
the day before and a short shake-out two days before. Paces come from VDOT (see schemas.pace_for).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
import re
from typing import TYPE_CHECKING, Final
import unicodedata

from custom_components.coach_dyno.training.load import CTL_DAYS

from .formatting import fmt_distance, fmt_duration, fmt_pace, pace_of
from .prompt import PastRun
from .risk import RACE_RECOVERY_DAYS, Risk, RiskCode, detect_risks
from .schemas import (
    PLAN_DAYS,
    AnalysisContent,
    PlannedWorkout,
    Workout,
    WorkoutType,
    goal_pace,
    pace_for,
)
from .settings import CoachSettings, Persona

if TYPE_CHECKING:
    from custom_components.coach_dyno.training import RunSummary, TrainingSnapshot

STARTER_WEEKLY_KM: Final = 15.0
DELOAD_FACTOR: Final = 0.8
LONG_SHARE: Final = 0.30
QUALITY_SHARE: Final = 0.17
MIN_RUN_KM: Final = 3.0
MAX_LONG_KM: Final = 32.0
NO_RACE_LONG_KM: Final = 25.0
PHASE_FACTOR: Final = {
    "base": 1.05,
    "build": 1.08,
    "peak": 1.0,
    "taper": 0.65,
    "race_week": 0.4,
    "recovery": 0.5,
    None: 1.05,
}
# Quality sessions on Tuesday and Thursday, by phase (None: no goal race).
QUALITY: Final[dict[str | None, tuple[WorkoutType, WorkoutType]]] = {
    "base": (WorkoutType.EASY, WorkoutType.REPETITION),
    "build": (WorkoutType.INTERVALS, WorkoutType.TEMPO),
    "peak": (WorkoutType.INTERVALS, WorkoutType.RACE_PACE),
    "taper": (WorkoutType.INTERVALS, WorkoutType.RACE_PACE),
    "race_week": (WorkoutType.RACE_PACE, WorkoutType.EASY),
    "recovery": (WorkoutType.RECOVERY, WorkoutType.RECOVERY),
    None: (WorkoutType.TEMPO, WorkoutType.EASY),
}
HARD: Final = frozenset(
    {
        WorkoutType.TEMPO,
        WorkoutType.INTERVALS,
        WorkoutType.REPETITION,
        WorkoutType.RACE_PACE,
        WorkoutType.MARATHON,
        WorkoutType.LONG,
    }
)
# A faster pace at no higher heart rate than similar runs (s/km, bpm).
PACE_GAIN: Final = 3.0
HR_SAME: Final = 2.0

_EN: Final[dict[str, str]] = {
    "title.rest": "Rest day",
    "title.recovery": "Recovery run",
    "title.easy": "Easy run",
    "title.long": "Long run",
    "title.marathon": "Marathon-pace run",
    "title.tempo": "Tempo run",
    "title.intervals": "Intervals",
    "title.repetition": "Short repetitions",
    "title.race_pace": "Goal-pace run",
    "title.race": "Race day",
    "desc.rest": "No running. Sleep, eat well, light mobility.",
    "desc.recovery": "Very relaxed and conversational; shorter is fine if the legs are heavy.",
    "desc.easy": "Conversational effort.",
    "desc.strides": "Easy, then 6 x 20 s strides with full recovery.",
    "desc.long": "Steady and easy; drink and fuel if it runs over 75 minutes.",
    "desc.marathon": "Warm up 2 km, the middle part at marathon pace, cool down.",
    "desc.tempo": "Warm up 2 km, 20-30 min at threshold pace (comfortably hard), cool down.",
    "desc.intervals": "Warm up 2 km, 5 x 1 km at interval pace with 2-3 min jog, cool down.",
    "desc.repetition": "Warm up 2 km, 8 x 200 m fast and relaxed with 200 m jog, cool down.",
    "desc.race_pace": "Warm up 2 km, 3 x 2 km at goal pace with 2 min jog, cool down.",
    "desc.race": "Start controlled, settle into goal pace, finish strong.",
    "phase.base": "base",
    "phase.build": "build",
    "phase.peak": "peak",
    "phase.taper": "taper",
    "phase.race_week": "race week",
    "phase.recovery": "recovery",
    "focus.base": "build the aerobic base with easy volume, strides and a growing long run",
    "focus.build": "threshold and interval sessions join in and the long run grows",
    "focus.peak": "race-specific work at goal pace at the highest volume",
    "focus.taper": "volume drops 30-50 % while short goal-pace work keeps you sharp",
    "focus.race_week": "very little running, a few strides and plenty of rest",
    "focus.recovery": "rest and easy running only",
    "form.very_tired": "very fatigued",
    "form.productive": "productive fatigue: the training is working",
    "form.balanced": "balanced",
    "form.fresh": "fresh",
    "form.very_fresh": "very fresh, fitness may be slipping",
    "form.race_fatigue": "fatigue from your race: recover before training hard again",
    "risk.acwr_high": (
        "Load spike: ACWR {value} (above 1.5). Keep the next days easy to limit injury risk."
    ),
    "risk.monotony_high": ("Monotony {value} (above 2): make easy days easier and add a rest day."),
    "risk.form_very_negative": (
        "Form (TSB) {value} (below -30): you are very fatigued; rest or a recovery run today."
    ),
    "risk.hr_drift": (
        "Heart-rate drift {value} % (above 5 %): heat, too little water or a pace beyond your "
        "aerobic fitness."
    ),
    "greet.supportive": "Good morning!",
    "greet.data_nerd": "Morning numbers.",
    "close.supportive": "Consistency wins: one good day at a time.",
    "form": "Form (TSB) {tsb}: {state}.",
    "form.estimated": "Form (TSB, estimated from pace) {tsb}: {state}.",
    "form.unknown": (
        "Training load unknown: without heart rate or a recent run of 3 km or more I cannot work "
        "out your fitness and form."
    ),
    "unknown": "unknown",
    "metrics": "CTL {ctl}, ATL {atl}, ACWR {acwr}, monotony {monotony}.",
    "today.run": "Today: {title}, {distance} at {pace}.",
    "today.run_nopace": "Today: {title}, {distance}.",
    "today.rest": "Today: rest day.",
    "today.race": "Today is race day: {distance}, goal pace {pace}. Start controlled!",
    "week.so_far": "This week so far: {distance} in {count} run{s} (last week {last}).",
    "race.countdown": "{name} in {days} ({weeks}), {phase} phase: {focus}.",
    "race.default_name": "Your race",
    "race.none": "No goal race set: add one in the options and I will plan toward it.",
    "race.over": "Your race was {days} ago: time to recover.",
    "n.day": "{n} day",
    "n.days": "{n} days",
    "n.week": "{n} week",
    "n.weeks": "{n} weeks",
    "race.prediction": "Predicted {predicted} for {distance}, goal {goal}: {verdict}.",
    "race.prediction_nogoal": "Predicted {predicted} for {distance}.",
    "race.no_prediction": "No prediction yet: I need a recent run of 3 km or more.",
    "verdict.ahead": "ahead of the goal",
    "verdict.within_margin": "within reach",
    "verdict.behind": "behind the goal for now",
    "no_runs": "No runs recorded yet: start with 20-30 minutes of easy running three times a week.",
    "weekly.title": "Weekly report.",
    "weekly.volume": (
        "{which}: {distance} in {count} run{s}, {time} moving ({change} against the 4-week average "
        "of {average})."
    ),
    "weekly.this_week": "This week",
    "weekly.last_week": "Last week",
    "weekly.fitness": "Fitness CTL {ctl} ({ctl_before} four weeks ago), form TSB {tsb}: {state}.",
    "weekly.next": "Next week: about {total}; key sessions: {sessions}.",
    "weekly.next_easy": "Next week: about {total}, all easy.",
    "analysis.run": "{distance} in {time} at {pace}",
    "analysis.hr": ", average heart rate {hr}",
    "analysis.compare": (
        "Against {count} similar run{s} ({pace}{hr}), you were {diff} s/km {direction}{hr_note}."
    ),
    "analysis.faster": "faster",
    "analysis.slower": "slower",
    "analysis.lower_hr": " at a lower heart rate",
    "analysis.higher_hr": " at a higher heart rate",
    "analysis.improving": "A sign of improving fitness.",
    "analysis.tired": "Fatigue, heat or terrain may have cost you.",
    "analysis.no_similar": "No similar past runs to compare with yet.",
    "well.faster": "Faster than similar runs at the same or lower heart rate.",
    "well.steady": "Steady aerobic effort: heart-rate drift only {value} %.",
    "well.longest": "Your longest run of recent weeks.",
    "well.race": "Race completed: well done.",
    "well.easy": "Easy pace kept truly easy.",
    "well.default": "Another run in the bank: consistency builds fitness.",
    "message.went_well": "What went well:",
    "message.risks": "Watch out:",
    "message.next": "Next sessions:",
    "answer.distance": (
        "This week: {week} in {count} run{s}; last week {last}; last 7 days {rolling}; "
        "this month {month}."
    ),
    "answer.paces": (
        "Your paces (VDOT {vdot}): easy {easy}, marathon {marathon}, threshold {threshold}, "
        "interval {interval}, repetition {repetition}."
    ),
    "answer.no_paces": (
        "No VDOT yet: run 3 km or more at a solid effort and I will work out your paces."
    ),
    "answer.last_run": "Last run, {date}: {name}{distance} in {time} at {pace}{hr}.",
    "answer.last_run_none": "No runs recorded yet.",
    "answer.help": (
        "I am the offline coach: ask me about your weekly distance, form, race countdown, "
        "prediction, paces, last run or today's session."
    ),
    "answer.status": "Right now: {week} this week, form (TSB) {tsb}.",
    "hr": ", HR {hr}",
}

_VI: Final[dict[str, str]] = {
    "title.rest": "Ngày nghỉ",
    "title.recovery": "Chạy hồi phục",
    "title.easy": "Chạy nhẹ",
    "title.long": "Chạy dài",
    "title.marathon": "Chạy pace marathon",
    "title.tempo": "Chạy tempo",
    "title.intervals": "Chạy interval",
    "title.repetition": "Chạy lặp ngắn",
    "title.race_pace": "Chạy pace mục tiêu",
    "title.race": "Ngày thi đấu",
    "desc.rest": "Không chạy. Ngủ đủ, ăn uống tốt, giãn cơ nhẹ.",
    "desc.recovery": "Thật thoải mái, vừa chạy vừa nói chuyện được; chân nặng thì chạy ngắn hơn.",
    "desc.easy": "Cường độ nhẹ, vẫn nói chuyện được.",
    "desc.strides": "Chạy nhẹ, sau đó 6 lần tăng tốc 20 giây, nghỉ đủ giữa các lần.",
    "desc.long": "Đều và nhẹ nhàng; uống nước và bổ sung năng lượng nếu chạy quá 75 phút.",
    "desc.marathon": "Khởi động 2 km, đoạn giữa chạy pace marathon, thả lỏng.",
    "desc.tempo": (
        "Khởi động 2 km, 20-30 phút ở pace ngưỡng (hơi vất vả nhưng kiểm soát được), thả lỏng."
    ),
    "desc.intervals": (
        "Khởi động 2 km, 5 x 1 km ở pace interval, chạy chậm 2-3 phút giữa các lần, thả lỏng."
    ),
    "desc.repetition": (
        "Khởi động 2 km, 8 x 200 m nhanh mà thả lỏng, chạy chậm 200 m giữa các lần, thả lỏng."
    ),
    "desc.race_pace": (
        "Khởi động 2 km, 3 x 2 km ở pace mục tiêu, chạy chậm 2 phút giữa các lần, thả lỏng."
    ),
    "desc.race": "Xuất phát có kiểm soát, giữ pace mục tiêu, về đích thật mạnh.",
    "phase.base": "nền tảng",
    "phase.build": "tăng tải",
    "phase.peak": "cao điểm",
    "phase.taper": "giảm tải",
    "phase.race_week": "tuần thi đấu",
    "phase.recovery": "hồi phục",
    "focus.base": "xây nền sức bền: chủ yếu chạy nhẹ, thêm vài lần tăng tốc, chạy dài tăng dần",
    "focus.build": "thêm bài tempo và interval, chạy dài tăng dần",
    "focus.peak": "bài tập sát thi đấu ở pace mục tiêu, khối lượng cao nhất",
    "focus.taper": "giảm 30-50 % khối lượng, giữ vài đoạn ngắn ở pace mục tiêu",
    "focus.race_week": "chạy rất ít, vài lần tăng tốc và nghỉ ngơi nhiều",
    "focus.recovery": "chỉ nghỉ ngơi và chạy nhẹ",
    "form.very_tired": "rất mệt",
    "form.productive": "mệt có lợi: tập luyện đang hiệu quả",
    "form.balanced": "cân bằng",
    "form.fresh": "sung sức",
    "form.very_fresh": "rất sung sức, thể lực có thể đang giảm",
    "form.race_fatigue": "mệt sau giải đấu: hãy hồi phục trước khi tập nặng trở lại",
    "risk.acwr_high": (
        "Tải tăng đột ngột: ACWR {value} (trên 1,5). Giữ vài ngày tới thật nhẹ để giảm nguy cơ "
        "chấn thương."
    ),
    "risk.monotony_high": (
        "Độ đơn điệu {value} (trên 2): hãy chạy các buổi nhẹ thật nhẹ và thêm một ngày nghỉ."
    ),
    "risk.form_very_negative": (
        "Phong độ (TSB) {value} (dưới -30): bạn đang rất mệt; hôm nay nên nghỉ hoặc chạy hồi phục."
    ),
    "risk.hr_drift": (
        "Nhịp tim trôi {value} % (trên 5 %): có thể do trời nóng, thiếu nước hoặc pace vượt quá sức bền "
        "hiếu khí."
    ),
    "greet.supportive": "Chào buổi sáng!",
    "greet.data_nerd": "Số liệu sáng nay.",
    "close.supportive": "Kiên trì là chìa khóa: từng ngày một.",
    "form": "Phong độ (TSB) {tsb}: {state}.",
    "form.estimated": "Phong độ (TSB, ước tính từ pace) {tsb}: {state}.",
    "form.unknown": (
        "Chưa tính được tải tập: không có nhịp tim, cũng chưa có buổi chạy nào từ 3 km trở lên "
        "gần đây, nên tôi chưa đánh giá được thể lực và phong độ của bạn."
    ),
    "unknown": "chưa rõ",
    "metrics": "CTL {ctl}, ATL {atl}, ACWR {acwr}, độ đơn điệu {monotony}.",
    "today.run": "Hôm nay: {title}, {distance} với pace {pace}.",
    "today.run_nopace": "Hôm nay: {title}, {distance}.",
    "today.rest": "Hôm nay: ngày nghỉ.",
    "today.race": "Hôm nay là ngày thi đấu: {distance}, pace mục tiêu {pace}. Xuất phát từ tốn nhé!",
    "week.so_far": "Tuần này: {distance} qua {count} buổi chạy (tuần trước {last}).",
    "race.countdown": "{name} còn {days} ({weeks}), giai đoạn {phase}: {focus}.",
    "race.default_name": "Giải của bạn",
    "race.none": "Chưa đặt giải mục tiêu: hãy thêm trong phần tùy chọn để tôi lập kế hoạch.",
    "race.over": "Giải đã diễn ra {days} trước: giờ là lúc hồi phục.",
    "n.day": "{n} ngày",
    "n.days": "{n} ngày",
    "n.week": "{n} tuần",
    "n.weeks": "{n} tuần",
    "race.prediction": "Dự đoán {predicted} cho {distance}, mục tiêu {goal}: {verdict}.",
    "race.prediction_nogoal": "Dự đoán {predicted} cho {distance}.",
    "race.no_prediction": "Chưa dự đoán được: tôi cần một buổi chạy gần đây từ 3 km trở lên.",
    "verdict.ahead": "nhanh hơn mục tiêu",
    "verdict.within_margin": "trong tầm tay",
    "verdict.behind": "hiện còn chậm hơn mục tiêu",
    "no_runs": "Chưa có buổi chạy nào: hãy bắt đầu với 20-30 phút chạy nhẹ, ba lần mỗi tuần.",
    "weekly.title": "Báo cáo tuần.",
    "weekly.volume": (
        "{which}: {distance} qua {count} buổi, {time} vận động ({change} so với trung bình 4 tuần "
        "là {average})."
    ),
    "weekly.this_week": "Tuần này",
    "weekly.last_week": "Tuần trước",
    "weekly.fitness": "Thể lực CTL {ctl} (bốn tuần trước {ctl_before}), phong độ TSB {tsb}: {state}.",
    "weekly.next": "Tuần tới: khoảng {total}; bài chính: {sessions}.",
    "weekly.next_easy": "Tuần tới: khoảng {total}, toàn bộ chạy nhẹ.",
    "analysis.run": "{distance} trong {time}, pace {pace}",
    "analysis.hr": ", nhịp tim trung bình {hr}",
    "analysis.compare": (
        "So với {count} buổi tương tự ({pace}{hr}), bạn {direction} {diff} giây/km{hr_note}."
    ),
    "analysis.faster": "nhanh hơn",
    "analysis.slower": "chậm hơn",
    "analysis.lower_hr": " với nhịp tim thấp hơn",
    "analysis.higher_hr": " với nhịp tim cao hơn",
    "analysis.improving": "Dấu hiệu thể lực đang tiến bộ.",
    "analysis.tired": "Có thể do mệt, trời nóng hoặc địa hình.",
    "analysis.no_similar": "Chưa có buổi chạy tương tự để so sánh.",
    "well.faster": "Nhanh hơn các buổi tương tự với nhịp tim bằng hoặc thấp hơn.",
    "well.steady": "Sức bền hiếu khí ổn định: nhịp tim chỉ trôi {value} %.",
    "well.longest": "Buổi chạy dài nhất trong những tuần gần đây.",
    "well.race": "Hoàn thành giải: làm tốt lắm.",
    "well.easy": "Giữ đúng pace nhẹ.",
    "well.default": "Thêm một buổi chạy: sự đều đặn tạo nên thể lực.",
    "message.went_well": "Điểm tốt:",
    "message.risks": "Cần chú ý:",
    "message.next": "Các buổi tiếp theo:",
    "answer.distance": (
        "Tuần này: {week} qua {count} buổi; tuần trước {last}; 7 ngày qua {rolling}; "
        "tháng này {month}."
    ),
    "answer.paces": (
        "Pace của bạn (VDOT {vdot}): nhẹ {easy}, marathon {marathon}, ngưỡng {threshold}, "
        "interval {interval}, lặp {repetition}."
    ),
    "answer.no_paces": (
        "Chưa có VDOT: hãy chạy từ 3 km trở lên với nỗ lực tốt, tôi sẽ tính pace cho bạn."
    ),
    "answer.last_run": "Buổi gần nhất, {date}: {name}{distance} trong {time}, pace {pace}{hr}.",
    "answer.last_run_none": "Chưa có buổi chạy nào.",
    "answer.help": (
        "Tôi là huấn luyện viên ngoại tuyến: hãy hỏi tôi về quãng đường tuần này, phong độ, đếm "
        "ngược đến giải, dự đoán thành tích, pace, buổi chạy gần nhất hoặc bài tập hôm nay."
    ),
    "answer.status": "Hiện tại: tuần này {week}, phong độ (TSB) {tsb}.",
    "hr": ", nhịp tim {hr}",
}
_STRINGS: Final = {"en": _EN, "vi": _VI}
_WEEKDAYS: Final = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "vi": ("T2", "T3", "T4", "T5", "T6", "T7", "CN"),
}

# Questions are matched without case or diacritics, by priority (first topic wins).
_TOPICS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    (
        "last_run",
        (
            "last run", "latest run", "previous run", "yesterday", "buoi chay gan nhat",
            "buoi chay truoc", "buoi chay cuoi", "lan chay gan nhat", "hom qua",
        ),
    ),
    (
        "prediction",
        (
            "predict", "prediction", "predicted", "finish time", "on track", "goal time",
            "du doan", "thanh tich", "dung huong", "muc tieu",
        ),
    ),
    (
        "race",
        (
            "race", "countdown", "marathon", "days until", "how long until", "weeks until",
            "giai chay", "giai dau", "cuoc dua", "thi dau", "dem nguoc", "con bao lau",
            "con may ngay", "con may tuan",
        ),
    ),
    (
        "today",
        (
            "today", "workout", "plan", "session", "should i run", "what should i do",
            "hom nay", "bai tap", "ke hoach", "nen chay gi", "tap gi",
        ),
    ),
    ("paces", ("pace", "paces", "speed", "vdot", "zones", "toc do", "nhip do")),
    (
        "form",
        (
            "form", "fitness", "fatigue", "fatigued", "tired", "tsb", "ctl", "atl", "fresh",
            "ready", "recovered", "acwr", "load", "injury", "phong do", "the luc", "met",
            "moi", "san sang", "hoi phuc", "tai tap", "chan thuong",
        ),
    ),
    (
        "distance",
        (
            "how far", "distance", "km", "kilometers", "kilometres", "miles", "mileage",
            "volume", "how much", "this week", "this month", "bao xa", "quang duong",
            "bao nhieu km", "khoi luong", "tuan nay", "thang nay", "so km",
        ),
    ),
)  # fmt: skip


class _Voice:
    """Localised strings and numbers for one language, unit system and persona."""

    def __init__(self, settings: CoachSettings) -> None:
        self.lang = settings.offline_language
        self.units = settings.units
        self.persona = settings.persona
        self._strings = _STRINGS[self.lang]

    def t(self, key: str, **values: object) -> str:
        """Return the string `key`, formatted (`{s}` pluralises English nouns after `count`)."""
        if "count" in values:
            values.setdefault("s", "" if values["count"] == 1 else "s")
        return self._strings[key].format(**values)

    def count(self, noun: str, n: int) -> str:
        """Return `n` with its noun ("day" or "week"), singular or plural as the language wants."""
        return self.t(f"n.{noun}" if abs(n) == 1 else f"n.{noun}s", n=n)

    def num(self, value: float | None, decimals: int = 1, *, signed: bool = False) -> str:
        """Format a number with the language's decimal separator ("unknown" for None)."""
        if value is None:
            return self.t("unknown")
        text = f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"
        return text.replace(".", ",") if self.lang == "vi" else text

    def dist(self, meters: float) -> str:
        """Format a distance in the chosen units."""
        text = fmt_distance(meters, self.units)
        return text.replace(".", ",") if self.lang == "vi" else text

    def pace(self, s_per_km: float | None) -> str:
        """Format a pace in the chosen units."""
        return fmt_pace(s_per_km, self.units)

    def weekday(self, day: date) -> str:
        """Return the short weekday name."""
        return _WEEKDAYS[self.lang][day.weekday()]


def _round_half(km: float) -> float:
    """Round to the nearest half kilometre."""
    return round(km * 2) / 2


def _phase(snapshot: TrainingSnapshot) -> str | None:
    """Return the training phase value, or None without a goal race."""
    return None if snapshot.race is None else str(snapshot.race.phase)


def _deload(risks: Sequence[Risk]) -> bool:
    """Tell whether the flags call for an easier week."""
    return any(r.code in (RiskCode.ACWR_HIGH, RiskCode.FORM_VERY_NEGATIVE) for r in risks)


def weekly_target_km(snapshot: TrainingSnapshot) -> float:
    """Return the week's distance target in km (see the module docstring)."""
    average = snapshot.volume.rolling_28d.distance_m / 4000.0
    if average <= 0:
        return STARTER_WEEKLY_KM
    target = average * PHASE_FACTOR[_phase(snapshot)]
    if _deload(detect_risks(snapshot)):
        target = min(target, average * DELOAD_FACTOR)
    return target


def _long_cap(snapshot: TrainingSnapshot) -> float:
    """Return the longest long run the goal calls for."""
    if snapshot.race is None:
        return NO_RACE_LONG_KM
    return min(MAX_LONG_KM, max(16.0, snapshot.race.distance_m / 1000.0 * 1.1))


def _running_days(target_km: float) -> tuple[int, ...]:
    """Return the weekdays (Monday = 0) with a run, by weekly volume."""
    if target_km < 12:
        return (1, 3, 6)
    if target_km < 25:
        return (1, 3, 5, 6)
    if target_km < 60:
        return (1, 2, 3, 5, 6)
    return (1, 2, 3, 4, 5, 6)


def _week_kinds(phase: str | None, days: tuple[int, ...]) -> dict[int, WorkoutType]:
    """Return the session type of each weekday."""
    first, second = QUALITY[phase]
    kinds = dict.fromkeys(range(7), WorkoutType.REST)
    for weekday in days:
        kinds[weekday] = WorkoutType.EASY
    kinds[1], kinds[3] = first, second
    kinds[6] = WorkoutType.EASY if phase in ("recovery", "race_week") else WorkoutType.LONG
    return kinds


def _workout(
    voice: _Voice,
    kind: WorkoutType,
    day: date,
    km: float,
    snapshot: TrainingSnapshot,
    *,
    strides: bool = False,
) -> PlannedWorkout:
    """Plan one day, titled and described in the voice's language."""
    if kind is WorkoutType.REST:
        distance = 0.0
    elif kind is WorkoutType.RACE:
        distance = round(km, 1)
    else:
        distance = max(MIN_RUN_KM, _round_half(km))
    return PlannedWorkout(
        date=day,
        type=kind,
        title=voice.t(f"title.{kind.value}"),
        distance_km=distance,
        target_pace_s_per_km=pace_for(kind, snapshot.paces, goal_pace(snapshot)),
        description=voice.t("desc.strides" if strides else f"desc.{kind.value}"),
    )


def plan_week(
    snapshot: TrainingSnapshot, start: date, settings: CoachSettings
) -> tuple[PlannedWorkout, ...]:
    """Plan seven days of sessions from `start`."""
    voice = _Voice(settings)
    phase = _phase(snapshot)
    target = weekly_target_km(snapshot)
    kinds = _week_kinds(phase, _running_days(target))
    has_long = WorkoutType.LONG in kinds.values()
    long_km = min(target * LONG_SHARE, _long_cap(snapshot)) if has_long else 0.0
    hard = sum(1 for k in kinds.values() if k in HARD and k is not WorkoutType.LONG)
    quality_km = target * QUALITY_SHARE
    easy_days = sum(1 for k in kinds.values() if k not in HARD and k is not WorkoutType.REST)
    easy_km = (target - long_km - hard * quality_km) / max(1, easy_days)
    deload = _deload(detect_risks(snapshot))
    race = snapshot.race
    plan: list[PlannedWorkout] = []
    for offset in range(PLAN_DAYS):
        day = start + timedelta(days=offset)
        kind = kinds[day.weekday()]
        km = long_km if kind is WorkoutType.LONG else quality_km if kind in HARD else easy_km
        strides = phase == "base" and day.weekday() == 1
        if deload and offset == 0:
            kind, strides = WorkoutType.REST, False
        elif deload and offset < 3 and kind in HARD:
            kind, strides = WorkoutType.EASY, False
            km = easy_km
        if race is not None and 0 <= (race.race_date - day).days <= 2:
            gap = (race.race_date - day).days
            if gap == 0:
                kind, km, strides = WorkoutType.RACE, race.distance_m / 1000.0, False
            elif gap == 1:
                kind, strides = WorkoutType.REST, False
            else:
                kind, km, strides = WorkoutType.EASY, MIN_RUN_KM, True
        elif race is not None and start <= race.race_date < day:
            # After a race inside the window: two days off, then only short recovery runs.
            after = (day - race.race_date).days
            if after <= 2 or kind is WorkoutType.REST:
                kind = WorkoutType.REST
            else:
                kind, km = WorkoutType.RECOVERY, easy_km
            strides = False
        plan.append(_workout(voice, kind, day, km, snapshot, strides=strides))
    return tuple(plan)


def form_state(tsb: float) -> str:
    """Return the string key of how the form (TSB) reads."""
    if tsb < -30:
        return "form.very_tired"
    if tsb < -10:
        return "form.productive"
    if tsb <= 5:
        return "form.balanced"
    if tsb <= 15:
        return "form.fresh"
    return "form.very_fresh"


def risk_messages(risks: Sequence[Risk], settings: CoachSettings) -> tuple[str, ...]:
    """Phrase each flag as a sentence in the coach's language."""
    voice = _Voice(settings)
    messages = []
    for risk in risks:
        decimals = 2 if risk.code is RiskCode.ACWR_HIGH else 1
        if risk.code is RiskCode.FORM_VERY_NEGATIVE:
            decimals = 0
        messages.append(voice.t(f"risk.{risk.code.value}", value=voice.num(risk.value, decimals)))
    return tuple(messages)


def _race_sentences(snapshot: TrainingSnapshot, voice: _Voice, *, countdown: bool) -> list[str]:
    """Return the race countdown and the prediction."""
    race = snapshot.race
    if race is None:
        return [voice.t("race.none")] if countdown else []
    if race.days_to_race < 0:
        return [voice.t("race.over", days=voice.count("day", -race.days_to_race))]
    sentences = []
    phase = str(race.phase)
    if countdown:
        sentences.append(
            voice.t(
                "race.countdown",
                name=race.name or voice.t("race.default_name"),
                days=voice.count("day", race.days_to_race),
                weeks=voice.count("week", race.weeks_to_race),
                phase=voice.t(f"phase.{phase}"),
                focus=voice.t(f"focus.{phase}"),
            )
        )
    sentences.append(_prediction(snapshot, voice))
    return sentences


def _prediction(snapshot: TrainingSnapshot, voice: _Voice) -> str:
    """Return the predicted race time against the goal."""
    race = snapshot.race
    if race is None or race.predicted_time_s is None:
        return voice.t("race.no_prediction")
    values = {
        "predicted": fmt_duration(race.predicted_time_s),
        "distance": voice.dist(race.distance_m),
    }
    if race.goal_time_s is None or race.on_track is None:
        return voice.t("race.prediction_nogoal", **values)
    verdict_key = f"verdict.{race.reason}" if race.reason in ("ahead", "within_margin") else ""
    verdict = voice.t(verdict_key or "verdict.behind")
    return voice.t(
        "race.prediction", goal=fmt_duration(race.goal_time_s), verdict=verdict, **values
    )


def _today_sentence(workout: PlannedWorkout, voice: _Voice) -> str:
    """Say what today holds."""
    if workout.type is WorkoutType.REST:
        return voice.t("today.rest")
    distance = voice.dist(workout.distance_km * 1000)
    if workout.type is WorkoutType.RACE:
        return voice.t(
            "today.race", distance=distance, pace=voice.pace(workout.target_pace_s_per_km)
        )
    if workout.target_pace_s_per_km is None:
        return voice.t("today.run_nopace", title=workout.title, distance=distance)
    return voice.t(
        "today.run",
        title=workout.title,
        distance=distance,
        pace=voice.pace(workout.target_pace_s_per_km),
    )


def _form_key(snapshot: TrainingSnapshot, tsb: float) -> str:
    """Return how the form reads; fatigue in the week after a race is the race's, not training's."""
    key = form_state(tsb)
    since = snapshot.days_since_race
    if key in ("form.productive", "form.very_tired") and since and since <= RACE_RECOVERY_DAYS:
        return "form.race_fatigue"
    return key


def _form_sentences(snapshot: TrainingSnapshot, voice: _Voice) -> list[str]:
    """Describe the form (or say it is unknown), and the metrics when the persona loves numbers."""
    load = snapshot.load
    if load.tsb is None:
        return [voice.t("form.unknown")]
    estimated = load.estimated_within(CTL_DAYS, snapshot.today - timedelta(days=1))
    sentences = [
        voice.t(
            "form.estimated" if estimated else "form",
            tsb=voice.num(load.tsb, 0, signed=True),
            state=voice.t(_form_key(snapshot, load.tsb)),
        )
    ]
    if voice.persona is Persona.DATA_NERD:
        sentences.append(
            voice.t(
                "metrics",
                ctl=voice.num(load.ctl, 0),
                atl=voice.num(load.atl, 0),
                acwr=voice.num(load.acwr, 2),
                monotony=voice.num(load.monotony, 1),
            )
        )
    return sentences


def morning_briefing(
    snapshot: TrainingSnapshot, plan: Sequence[PlannedWorkout], settings: CoachSettings
) -> str:
    """Write the morning briefing: form, today's session, the week so far, the race, the flags."""
    voice = _Voice(settings)
    sentences: list[str] = []
    if voice.persona is not Persona.DIRECT:
        sentences.append(voice.t(f"greet.{voice.persona.value}"))
    if snapshot.activity_count == 0:
        return " ".join([*sentences, voice.t("no_runs")])
    sentences += _form_sentences(snapshot, voice)
    today = next((w for w in plan if w.date == snapshot.today), None)
    if today is not None:
        sentences.append(_today_sentence(today, voice))
    volume = snapshot.volume
    sentences.append(
        voice.t(
            "week.so_far",
            distance=voice.dist(volume.this_week.distance_m),
            count=volume.this_week.count,
            last=voice.dist(volume.last_week.distance_m),
        )
    )
    sentences += _race_sentences(snapshot, voice, countdown=True)
    sentences += risk_messages(detect_risks(snapshot), settings)
    if voice.persona is Persona.SUPPORTIVE:
        sentences.append(voice.t("close.supportive"))
    return " ".join(sentences)


def weekly_report(
    snapshot: TrainingSnapshot, plan: Sequence[PlannedWorkout], settings: CoachSettings
) -> str:
    """Write the weekly report: the week against the 4-week average, fitness, race, next week."""
    voice = _Voice(settings)
    volume = snapshot.volume
    load = snapshot.load
    # On the weekend the current week is (nearly) done; earlier in the week report the last one.
    done = snapshot.today.weekday() >= 5
    week = volume.this_week if done else volume.last_week
    average = volume.rolling_28d.distance_m / 4
    change = 0.0 if average <= 0 else (week.distance_m - average) / average * 100
    sentences = [
        voice.t("weekly.title"),
        voice.t(
            "weekly.volume",
            which=voice.t("weekly.this_week" if done else "weekly.last_week"),
            distance=voice.dist(week.distance_m),
            count=week.count,
            time=fmt_duration(week.moving_s),
            change=f"{voice.num(change, 0, signed=True)} %",
            average=voice.dist(average),
        ),
    ]
    before = load.daily[-29].ctl if len(load.daily) >= 29 else None
    if load.ctl is None or load.tsb is None:
        sentences.append(voice.t("form.unknown"))
    else:
        sentences.append(
            voice.t(
                "weekly.fitness",
                ctl=voice.num(load.ctl, 0),
                ctl_before="-" if before is None else voice.num(before, 0),
                tsb=voice.num(load.tsb, 0, signed=True),
                state=voice.t(_form_key(snapshot, load.tsb)),
            )
        )
    sentences += _race_sentences(snapshot, voice, countdown=True)
    total = voice.dist(sum(w.distance_km for w in plan) * 1000)
    key = [w for w in plan if w.type in HARD or w.type is WorkoutType.RACE]
    if key:
        sessions = ", ".join(
            f"{voice.weekday(w.date)} {w.title.lower()} {voice.dist(w.distance_km * 1000)}"
            for w in key
        )
        sentences.append(voice.t("weekly.next", total=total, sessions=sessions))
    else:
        sentences.append(voice.t("weekly.next_easy", total=total))
    sentences += risk_messages(detect_risks(snapshot), settings)
    return " ".join(sentences)


def _similar_averages(similar: Sequence[PastRun]) -> tuple[float | None, float | None, int]:
    """Average the pace and heart rate of the similar runs; count the runs with a pace."""
    paces = [p for r in similar if (p := pace_of(r.distance_m, r.moving_s)) is not None]
    rates = [r.avg_hr for r in similar if r.avg_hr]
    pace = sum(paces) / len(paces) if paces else None
    rate = sum(rates) / len(rates) if rates else None
    return pace, rate, len(paces)


def analyze_run(
    snapshot: TrainingSnapshot,
    run: RunSummary,
    similar: Sequence[PastRun],
    settings: CoachSettings,
) -> AnalysisContent:
    """Analyse one run: summary, what went well, the flags and the next sessions."""
    voice = _Voice(settings)
    pace = run.pace_s_per_km
    summary = voice.t(
        "analysis.run",
        distance=voice.dist(run.distance_m),
        time=fmt_duration(run.moving_s),
        pace=voice.pace(pace),
    )
    if run.avg_hr:
        summary += voice.t("analysis.hr", hr=f"{run.avg_hr:.0f}")
    sentences = [summary + "."]
    went_well: list[str] = []
    past_pace, past_hr, count = _similar_averages(similar)
    if pace is not None and past_pace is not None:
        diff = past_pace - pace  # > 0: faster than before
        hr_delta = None if past_hr is None or not run.avg_hr else run.avg_hr - past_hr
        hr_note = ""
        if hr_delta is not None and hr_delta <= -HR_SAME:
            hr_note = voice.t("analysis.lower_hr")
        elif hr_delta is not None and hr_delta >= HR_SAME:
            hr_note = voice.t("analysis.higher_hr")
        sentences.append(
            voice.t(
                "analysis.compare",
                count=count,
                pace=voice.pace(past_pace),
                hr="" if past_hr is None else voice.t("hr", hr=f"{past_hr:.0f}"),
                diff=f"{abs(diff):.0f}",
                direction=voice.t("analysis.faster" if diff >= 0 else "analysis.slower"),
                hr_note=hr_note,
            )
        )
        not_harder = hr_delta is None or hr_delta < HR_SAME
        if diff >= PACE_GAIN and not_harder:
            sentences.append(voice.t("analysis.improving"))
            went_well.append(voice.t("well.faster"))
        elif diff <= -PACE_GAIN and hr_delta is not None and hr_delta >= HR_SAME:
            sentences.append(voice.t("analysis.tired"))
    else:
        sentences.append(voice.t("analysis.no_similar"))
    if run.race:
        went_well.append(voice.t("well.race"))
    if run.decoupling_pct is not None and run.decoupling_pct <= 5.0:
        went_well.append(voice.t("well.steady", value=voice.num(run.decoupling_pct)))
    others = [r.distance_m for r in snapshot.recent_runs if r.id != run.id]
    if others and run.distance_m >= 5000 and run.distance_m > max(others):
        went_well.append(voice.t("well.longest"))
    easy = snapshot.paces.easy if snapshot.paces is not None else None
    if not run.race and pace is not None and easy is not None and pace >= easy * 0.97:
        went_well.append(voice.t("well.easy"))
    if not went_well:
        went_well.append(voice.t("well.default"))
    upcoming = plan_week(snapshot, snapshot.today + timedelta(days=1), settings)
    sessions = tuple(
        Workout(
            type=w.type,
            title=w.title,
            distance_km=w.distance_km,
            target_pace_s_per_km=w.target_pace_s_per_km,
            description=w.description,
        )
        for w in upcoming
        if w.type is not WorkoutType.REST
    )[:3]
    return AnalysisContent(
        summary=" ".join(sentences),
        went_well=tuple(went_well[:3]),
        risk_flags=risk_messages(detect_risks(snapshot, run), settings),
        next_sessions=sessions,
    )


def analysis_message(content: AnalysisContent, settings: CoachSettings) -> str:
    """Write an analysis as one message to send (Telegram, notifications), whoever wrote it."""
    voice = _Voice(settings)
    blocks = [content.summary]
    for heading, lines in (
        ("message.went_well", content.went_well),
        ("message.risks", content.risk_flags),
    ):
        if lines:
            blocks.append("\n".join([voice.t(heading), *(f"- {line}" for line in lines)]))
    if content.next_sessions:
        sessions = []
        for session in content.next_sessions:
            line = f"- {session.title}"
            if session.distance_km > 0:
                line += f": {voice.dist(session.distance_km * 1000)}"
                if session.target_pace_s_per_km:
                    line += f" @ {voice.pace(session.target_pace_s_per_km)}"
            sessions.append(line)
        blocks.append("\n".join([voice.t("message.next"), *sessions]))
    return "\n\n".join(blocks)


def _normalize(text: str) -> str:
    """Lower the case and drop diacritics (đ becomes d), for keyword matching."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def question_topic(question: str) -> str | None:
    """Return the topic a question is about, or None when no rule recognises it."""
    text = _normalize(question)
    for topic, keywords in _TOPICS:
        if any(re.search(rf"\b{re.escape(word)}\b", text) for word in keywords):
            return topic
    return None


def answer(snapshot: TrainingSnapshot, question: str, settings: CoachSettings) -> str:
    """Answer briefly from the numbers, for the questions the rules recognise."""
    voice = _Voice(settings)
    topic = question_topic(question)
    volume = snapshot.volume
    if topic == "distance":
        return voice.t(
            "answer.distance",
            week=voice.dist(volume.this_week.distance_m),
            count=volume.this_week.count,
            last=voice.dist(volume.last_week.distance_m),
            rolling=voice.dist(volume.rolling_7d.distance_m),
            month=voice.dist(volume.this_month.distance_m),
        )
    if topic == "form":
        return " ".join(
            [*_form_sentences(snapshot, voice), *risk_messages(detect_risks(snapshot), settings)]
        )
    if topic == "race":
        return " ".join(_race_sentences(snapshot, voice, countdown=True))
    if topic == "prediction":
        if snapshot.race is None:
            return voice.t("race.none")
        return " ".join(_race_sentences(snapshot, voice, countdown=False))
    if topic == "paces":
        return _paces_answer(snapshot, voice)
    if topic == "last_run":
        return _last_run_answer(snapshot, voice)
    if topic == "today":
        workout = plan_week(snapshot, snapshot.today, settings)[0]
        return f"{_today_sentence(workout, voice)} {workout.description}"
    return " ".join(
        [
            voice.t("answer.help"),
            voice.t(
                "answer.status",
                week=voice.dist(volume.this_week.distance_m),
                tsb=voice.num(snapshot.load.tsb, 0, signed=True),
            ),
        ]
    )


def _paces_answer(snapshot: TrainingSnapshot, voice: _Voice) -> str:
    """Give the VDOT training paces."""
    paces = snapshot.paces
    if paces is None or snapshot.vdot is None:
        return voice.t("answer.no_paces")
    return voice.t(
        "answer.paces",
        vdot=voice.num(snapshot.vdot),
        easy=voice.pace(paces.easy),
        marathon=voice.pace(paces.marathon),
        threshold=voice.pace(paces.threshold),
        interval=voice.pace(paces.interval),
        repetition=voice.pace(paces.repetition),
    )


def _last_run_answer(snapshot: TrainingSnapshot, voice: _Voice) -> str:
    """Describe the latest run in one sentence."""
    run = snapshot.latest_run
    if run is None:
        return voice.t("answer.last_run_none")
    return voice.t(
        "answer.last_run",
        date=run.start.date().isoformat(),
        name=f"{run.name}, " if run.name else "",
        distance=voice.dist(run.distance_m),
        time=fmt_duration(run.moving_s),
        pace=voice.pace(run.pace_s_per_km),
        hr="" if not run.avg_hr else voice.t("hr", hr=f"{run.avg_hr:.0f}"),
    )
