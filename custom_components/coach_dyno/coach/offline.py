"""
The offline coach: what a good coach says from the numbers alone, in English and Vietnamese.

Deterministic rules over the training snapshot produce the same outputs as Gemini (morning briefing,
weekly report, post-run analysis, 7-day plan, short answers). It speaks when there is no key and is the
last fallback when Gemini cannot answer.

The 7-day plan comes from the training engine's planner (`training.plan`); this module only writes
its words. A plan from Gemini passes the planner's guardrails, and the corrections are told here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
import re
from typing import TYPE_CHECKING, Final
import unicodedata

from custom_components.coach_dyno.training.load import CTL_DAYS
from custom_components.coach_dyno.training.plan import (
    HARD,
    ChangeReason,
    Correction,
    Guarded,
    Rule,
    Session,
    Situation,
    WeekPlan,
    WorkoutType,
    guard,
    plan_week as planned_week,
)
from custom_components.coach_dyno.training.readiness import Readiness, Reason

from .formatting import fmt_distance, fmt_duration, fmt_pace, pace_of
from .prompt import PastRun
from .risk import RACE_RECOVERY_DAYS, Risk, RiskCode, detect_risks
from .schemas import AnalysisContent, PlannedWorkout, Workout
from .settings import CoachSettings, Persona, Units

if TYPE_CHECKING:
    from custom_components.coach_dyno.training import RunSummary, TrainingSnapshot

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
    "desc.marathon": "Warm up {warmup}, {work} at marathon pace, cool down {cooldown}.",
    "desc.tempo": (
        "Warm up {warmup}, {work} at threshold pace (comfortably hard), cool down {cooldown}."
    ),
    "desc.intervals": (
        "Warm up {warmup}, {reps} x {rep} at interval pace with {jog} jog, cool down {cooldown}."
    ),
    "desc.repetition": (
        "Warm up {warmup}, {reps} x {rep} fast and relaxed with {jog} jog, cool down {cooldown}."
    ),
    "desc.race_pace": (
        "Warm up {warmup}, {reps} x {rep} at goal pace with {jog} jog, cool down {cooldown}."
    ),
    "desc.race_pace_supported": (
        "Warm up {warmup}, {reps} x {rep} at {pace}, the race pace your fitness supports today, "
        "with {jog} jog, cool down {cooldown}."
    ),
    "desc.done": "Already run today: {distance}. Nothing more today; recover well.",
    "title.done": "Done: {title}",
    "rule.race_days": "the days around the race are fixed",
    "rule.today_done": "today's run is already done",
    "rule.easy_only": "these days are for recovery",
    "rule.quality_count": "too many hard sessions for this week",
    "rule.hard_after_hard": "a hard day never follows a hard day",
    "rule.long_run": "no run goes beyond the long run your recent weeks support",
    "rule.rest_day": "every week keeps a rest day",
    "rule.contents": "the session's contents did not fit its distance",
    "rule.quality_share": "hard running stays within about 20 % of the week's time",
    "rule.volume_high": "the week stays within about 10 % of your recent volume",
    "rule.volume_low": "the week was far below your recent volume",
    "rule.pace": "goal-pace work runs at the pace your fitness supports",
    "correction.day": "{day}: {before} became {after} ({why}).",
    "correction.pace": "{day}: {before} at a pace you can hold ({why}).",
    "correction.week": "The {before} week became the planner's {after} ({why}).",
    "message.adjusted": "Plan adjusted:",
    "situation.starter": "A gentle start: about {target} this week in easy runs.",
    "situation.comeback": (
        "Welcome back after {days} days off: about {target} this week, easy running, growing "
        "about 10 % a week back to your former volume."
    ),
    "situation.deload": (
        "A lighter week, about {target}, to absorb the recent load; no hard session in the next "
        "three days."
    ),
    "situation.taper": "Taper: about {target} this week; short sharp sessions keep you ready.",
    "situation.race_week": "Race week: about {target} of running besides the race.",
    "situation.recovery": "Recovery after the race: about {target}, easy running only.",
    "situation.steady": "A steady week of about {target}, most of it easy.",
    "goal.beyond": (
        "Your goal needs {goal}; today's fitness supports about {pace}, so goal-pace sessions run "
        "at {pace} for now and follow your fitness as it grows."
    ),
    "greet.done.supportive": "Nice work today!",
    "greet.done.data_nerd": "Today's numbers.",
    "today.done": "Today's run is in: {distance}.",
    "tomorrow.run": "Tomorrow: {title}, {distance} at {pace}.",
    "tomorrow.run_nopace": "Tomorrow: {title}, {distance}.",
    "tomorrow.rest": "Tomorrow: rest day.",
    "tomorrow.race": "Tomorrow is race day: {distance}, goal pace {pace}.",
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
    "message.plan": "Your next 7 days:",
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
    "today.eased": "Today: {after} instead of {before}: {why}.",
    "readiness.easy": "Keep today easy: {why}.",
    "why.hrv_low": "your HRV is below your normal range ({days})",
    "why.rhr_high": "your resting heart rate is {value} bpm above normal",
    "why.sleep_short": "you slept {hours} h last night",
    "why.sleep_poor": "your sleep score was {score}",
    "heat": "Warm: {temperature}, dew point {dew_point} at {time} - run by effort, about {pct} % slower.",
    "busy.moved": "{day} is busy: {session} moves to {to}.",
    "busy.eased": "{day} is busy: {session} becomes an easy run.",
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
    "desc.marathon": "Khởi động {warmup}, {work} ở pace marathon, thả lỏng {cooldown}.",
    "desc.tempo": (
        "Khởi động {warmup}, {work} ở pace ngưỡng (hơi vất vả nhưng kiểm soát được), "
        "thả lỏng {cooldown}."
    ),
    "desc.intervals": (
        "Khởi động {warmup}, {reps} x {rep} ở pace interval, chạy chậm {jog} giữa các lần, "
        "thả lỏng {cooldown}."
    ),
    "desc.repetition": (
        "Khởi động {warmup}, {reps} x {rep} nhanh mà thả lỏng, chạy chậm {jog} giữa các lần, "
        "thả lỏng {cooldown}."
    ),
    "desc.race_pace": (
        "Khởi động {warmup}, {reps} x {rep} ở pace mục tiêu, chạy chậm {jog} giữa các lần, "
        "thả lỏng {cooldown}."
    ),
    "desc.race_pace_supported": (
        "Khởi động {warmup}, {reps} x {rep} ở {pace}, pace thi đấu mà thể lực hôm nay cho phép, "
        "chạy chậm {jog} giữa các lần, thả lỏng {cooldown}."
    ),
    "desc.done": "Hôm nay đã chạy: {distance}. Hôm nay không tập thêm; hãy hồi phục tốt.",
    "title.done": "Đã xong: {title}",
    "rule.race_days": "các ngày quanh giải đã cố định",
    "rule.today_done": "buổi chạy hôm nay đã xong",
    "rule.easy_only": "những ngày này dành cho hồi phục",
    "rule.quality_count": "quá nhiều buổi nặng cho tuần này",
    "rule.hard_after_hard": "không bao giờ tập nặng hai ngày liền",
    "rule.long_run": "không buổi nào dài hơn buổi chạy dài mà các tuần gần đây cho phép",
    "rule.rest_day": "tuần nào cũng giữ một ngày nghỉ",
    "rule.contents": "nội dung buổi tập không khớp với quãng đường",
    "rule.quality_share": "phần chạy nặng giữ trong khoảng 20 % thời gian của tuần",
    "rule.volume_high": "khối lượng tuần giữ trong khoảng 10 % so với gần đây",
    "rule.volume_low": "khối lượng tuần thấp hơn nhiều so với gần đây",
    "rule.pace": "bài pace mục tiêu chạy ở pace mà thể lực cho phép",
    "correction.day": "{day}: {before} thành {after} ({why}).",
    "correction.pace": "{day}: {before} ở pace bạn giữ được ({why}).",
    "correction.week": "Tuần {before} được thay bằng tuần {after} của kế hoạch ({why}).",
    "message.adjusted": "Kế hoạch đã điều chỉnh:",
    "situation.starter": "Khởi đầu nhẹ nhàng: khoảng {target} tuần này, toàn chạy nhẹ.",
    "situation.comeback": (
        "Chào mừng bạn trở lại sau {days} ngày nghỉ: tuần này khoảng {target}, chạy nhẹ, "
        "tăng khoảng 10 % mỗi tuần cho đến khối lượng cũ."
    ),
    "situation.deload": (
        "Một tuần nhẹ hơn, khoảng {target}, để cơ thể hấp thụ tải gần đây; ba ngày tới không "
        "có buổi nặng."
    ),
    "situation.taper": "Giảm tải: khoảng {target} tuần này; vài bài ngắn giữ độ sắc bén.",
    "situation.race_week": "Tuần thi đấu: khoảng {target} ngoài cự ly thi đấu.",
    "situation.recovery": "Hồi phục sau giải: khoảng {target}, chỉ chạy nhẹ.",
    "situation.steady": "Một tuần đều đặn khoảng {target}, phần lớn chạy nhẹ.",
    "goal.beyond": (
        "Mục tiêu cần pace {goal}; thể lực hôm nay cho phép khoảng {pace}, nên các bài pace mục "
        "tiêu tạm chạy ở {pace} và sẽ nhanh dần theo thể lực."
    ),
    "greet.done.supportive": "Hôm nay tập tốt lắm!",
    "greet.done.data_nerd": "Số liệu hôm nay.",
    "today.done": "Buổi chạy hôm nay đã xong: {distance}.",
    "tomorrow.run": "Ngày mai: {title}, {distance} với pace {pace}.",
    "tomorrow.run_nopace": "Ngày mai: {title}, {distance}.",
    "tomorrow.rest": "Ngày mai: ngày nghỉ.",
    "tomorrow.race": "Ngày mai là ngày thi đấu: {distance}, pace mục tiêu {pace}.",
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
    "message.plan": "7 ngày tới của bạn:",
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
    "today.eased": "Hôm nay: {after} thay cho {before}: {why}.",
    "readiness.easy": "Hôm nay nên chạy nhẹ: {why}.",
    "why.hrv_low": "HRV của bạn thấp hơn mức bình thường ({days})",
    "why.rhr_high": "nhịp tim nghỉ cao hơn bình thường {value} bpm",
    "why.sleep_short": "đêm qua bạn chỉ ngủ {hours} giờ",
    "why.sleep_poor": "điểm giấc ngủ đêm qua là {score}",
    "heat": (
        "Trời nóng: {temperature}, điểm sương {dew_point} lúc {time} - hãy chạy theo cảm giác, "
        "chậm hơn khoảng {pct} %."
    ),
    "busy.moved": "{day} bạn bận: {session} dời sang {to}.",
    "busy.eased": "{day} bạn bận: {session} đổi thành chạy nhẹ.",
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
    ("tomorrow", ("tomorrow", "ngay mai")),
    ("why", ("why", "how come", "reason", "tai sao", "vi sao", "sao lai", "ly do")),
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

    def temperature(self, celsius: float) -> str:
        """Format a temperature: °C with kilometres, °F with miles."""
        if self.units is Units.IMPERIAL:
            return f"{celsius * 9 / 5 + 32:.0f} °F"
        return f"{celsius:.0f} °C"


def _rep(km: float, voice: _Voice) -> str:
    """Format a repetition: metres below 1 km (the track habit in any unit system), else the unit."""
    return f"{km * 1000:.0f} m" if km < 1.0 else voice.dist(km * 1000)


def _description(session: Session, plan: WeekPlan, voice: _Voice) -> str:
    """Describe a session so that its contents add up to its distance."""
    kind = session.kind
    if session.done:
        return voice.t("desc.done", distance=voice.dist(session.distance_km * 1000))
    shape = session.structure
    if shape is None or kind not in _STRUCTURED:
        if session.strides:
            return voice.t("desc.strides")
        return voice.t(f"desc.{kind.value}")
    key = f"desc.{kind.value}"
    if kind is WorkoutType.RACE_PACE and plan.goal_beyond_fitness:
        key = "desc.race_pace_supported"
    return voice.t(
        key,
        warmup=voice.dist(shape.warmup_km * 1000),
        cooldown=voice.dist(shape.cooldown_km * 1000),
        reps=shape.reps,
        rep=_rep(shape.rep_km, voice),
        jog=_rep(shape.jog_km, voice),
        work=voice.dist(shape.work_km * 1000),
        pace=voice.pace(session.pace_s_per_km),
    )


_STRUCTURED: Final = frozenset(
    {
        WorkoutType.TEMPO,
        WorkoutType.INTERVALS,
        WorkoutType.REPETITION,
        WorkoutType.RACE_PACE,
        WorkoutType.MARATHON,
    }
)


def _title(session: Session, voice: _Voice) -> str:
    """Title a session; a session already run says so."""
    title = voice.t(f"title.{session.kind.value}")
    return voice.t("title.done", title=title) if session.done else title


def workouts(plan: WeekPlan, settings: CoachSettings) -> tuple[PlannedWorkout, ...]:
    """Put words around the planner's week."""
    voice = _Voice(settings)
    return tuple(
        PlannedWorkout(
            date=session.day,
            type=session.kind,
            title=_title(session, voice),
            distance_km=session.distance_km,
            target_pace_s_per_km=session.pace_s_per_km,
            description=_description(session, plan, voice),
        )
        for session in plan.sessions
    )


def plan_week(
    snapshot: TrainingSnapshot, start: date, settings: CoachSettings
) -> tuple[PlannedWorkout, ...]:
    """Plan seven days of sessions from `start`, in the coach's words."""
    return workouts(planned_week(snapshot, start), settings)


def guarded_workouts(
    guarded: Guarded,
    proposed: Sequence[PlannedWorkout],
    plan: WeekPlan,
    settings: CoachSettings,
) -> tuple[PlannedWorkout, ...]:
    """
    Return a guarded plan in words.

    A day the guardrails rewrote gets the planner's words; the others keep their own, with the
    corrected distance and pace.
    """
    voice = _Voice(settings)
    own = {workout.date: workout for workout in proposed}
    result = []
    for session in guarded.sessions:
        words = own[session.day]
        if session.day in guarded.rewritten:
            title, description = _title(session, voice), _description(session, plan, voice)
        else:
            title, description = words.title, words.description
        result.append(
            PlannedWorkout(
                date=session.day,
                type=session.kind,
                title=title,
                distance_km=session.distance_km,
                target_pace_s_per_km=session.pace_s_per_km,
                description=description,
            )
        )
    return tuple(result)


def correction_messages(
    corrections: Sequence[Correction], settings: CoachSettings
) -> tuple[str, ...]:
    """Say what the guardrails changed in a plan, and why, one sentence per change."""
    voice = _Voice(settings)
    messages = []
    for correction in corrections:
        why = voice.t(f"rule.{correction.rule.value}")
        if correction.day is None:
            messages.append(
                voice.t(
                    "correction.week",
                    before=voice.dist(correction.before_km * 1000),
                    after=voice.dist(correction.after_km * 1000),
                    why=why,
                )
            )
            continue
        before = _kind_text(correction.before, correction.before_km, voice)
        after = _kind_text(correction.after, correction.after_km, voice)
        key = "correction.pace" if correction.rule is Rule.PACE else "correction.day"
        messages.append(
            voice.t(key, day=voice.weekday(correction.day), before=before, after=after, why=why)
        )
    return tuple(messages)


def with_adjustments(text: str, adjustments: Sequence[str], settings: CoachSettings) -> str:
    """Append what the guardrails changed to a text that may speak of the plan as it was."""
    voice = _Voice(settings)
    return "\n\n".join([text, " ".join([voice.t("message.adjusted"), *adjustments])])


def _kind_text(kind: WorkoutType, km: float, voice: _Voice) -> str:
    """Name a session with its distance, in lower case."""
    title = voice.t(f"title.{kind.value}").lower()
    return title if kind is WorkoutType.REST else f"{title} {voice.dist(km * 1000)}"


def _situation_sentence(plan: WeekPlan, snapshot: TrainingSnapshot, voice: _Voice) -> str | None:
    """Explain what shapes the week, when it is not a steady one."""
    if plan.situation is Situation.STEADY:
        return None
    return voice.t(
        f"situation.{plan.situation.value}",
        target=voice.dist(plan.training_km * 1000),
        days=snapshot.recent.gap_days,
    )


def _goal_sentence(plan: WeekPlan, snapshot: TrainingSnapshot, voice: _Voice) -> str | None:
    """Say honestly when the goal is beyond today's fitness, and what goal-pace work runs at."""
    race = snapshot.race
    if not plan.goal_beyond_fitness or race is None or race.goal_pace_s_per_km is None:
        return None
    return voice.t(
        "goal.beyond",
        goal=voice.pace(race.goal_pace_s_per_km),
        pace=voice.pace(plan.race_pace_s_per_km),
    )


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


def _day_sentence(workout: PlannedWorkout, voice: _Voice, when: str = "today") -> str:
    """Say what a day holds (`when`: "today" or "tomorrow")."""
    if workout.type is WorkoutType.REST:
        return voice.t(f"{when}.rest")
    distance = voice.dist(workout.distance_km * 1000)
    if workout.type is WorkoutType.RACE:
        return voice.t(
            f"{when}.race", distance=distance, pace=voice.pace(workout.target_pace_s_per_km)
        )
    if workout.target_pace_s_per_km is None:
        return voice.t(f"{when}.run_nopace", title=workout.title, distance=distance)
    return voice.t(
        f"{when}.run",
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


def _why(readiness: Readiness, voice: _Voice) -> str:
    """Say what readiness found, reason by reason."""
    values = {
        Reason.HRV_LOW: {"days": voice.count("day", max(1, readiness.hrv_days_below))},
        Reason.RHR_HIGH: {
            "value": voice.num((readiness.rhr_7d or 0) - (readiness.rhr_baseline or 0), 0)
        },
        Reason.SLEEP_SHORT: {"hours": voice.num(readiness.sleep_hours)},
        Reason.SLEEP_POOR: {"score": voice.num(readiness.sleep_score, 0)},
    }
    # A judged readiness has only these reasons ("not enough data" comes without a state).
    return "; ".join(voice.t(f"why.{r.value}", **values[r]) for r in readiness.reasons)


def _today_sentences(
    workout: PlannedWorkout, week: WeekPlan, snapshot: TrainingSnapshot, voice: _Voice
) -> list[str]:
    """Say what today holds, and why when the runner's readiness changed it."""
    readiness = snapshot.conditions.readiness
    eased = next((c for c in week.changes if c.reason is ChangeReason.READINESS), None)
    if eased is not None:
        return [
            voice.t(
                "today.eased",
                after=_kind_text(eased.after, workout.distance_km, voice),
                before=voice.t(f"title.{eased.before.value}").lower(),
                why=_why(readiness, voice),
            )
        ]
    sentences = [_day_sentence(workout, voice)]
    if readiness.state is not None and readiness.reasons and workout.type is not WorkoutType.RACE:
        sentences.append(voice.t("readiness.easy", why=_why(readiness, voice)))
    return sentences


def _home_sentences(week: WeekPlan, snapshot: TrainingSnapshot, voice: _Voice) -> list[str]:
    """Say what the heat and the busy days change in the plan."""
    sentences = []
    heat = week.heat
    if (
        heat is not None
        and heat.slowdown_pct >= 1
        and heat.day == snapshot.today == week.start
        and not snapshot.recent.today_runs
    ):
        sentences.append(
            voice.t(
                "heat",
                temperature=voice.temperature(heat.temperature_c),
                dew_point=voice.temperature(heat.dew_point_c),
                time=f"{heat.at:%H:%M}",
                pct=voice.num(heat.slowdown_pct, 0),
            )
        )
    for change in week.changes:
        if change.reason is not ChangeReason.BUSY:
            continue
        session = voice.t(f"title.{change.before.value}").lower()
        day = voice.weekday(change.day)
        if change.moved_to is None:
            sentences.append(voice.t("busy.eased", day=day, session=session))
        else:
            to = voice.weekday(change.moved_to)
            sentences.append(voice.t("busy.moved", day=day, session=session, to=to))
    return sentences


def morning_briefing(
    snapshot: TrainingSnapshot, plan: Sequence[PlannedWorkout], settings: CoachSettings
) -> str:
    """
    Write the morning briefing: form, today's session, the week so far, the race, the flags.

    Once today's run is in, it says so and gives tomorrow's session instead; what shapes the week
    (a comeback, a lighter week, a taper) and an honest word on an out-of-reach goal come too.
    """
    voice = _Voice(settings)
    done = snapshot.recent.today_runs > 0
    sentences: list[str] = []
    if voice.persona is not Persona.DIRECT:
        greeting = f"greet.done.{voice.persona.value}" if done else f"greet.{voice.persona.value}"
        sentences.append(voice.t(greeting))
    if snapshot.activity_count == 0:
        return " ".join([*sentences, voice.t("no_runs")])
    sentences += _form_sentences(snapshot, voice)
    by_day = {workout.date: workout for workout in plan}
    week = planned_week(snapshot, snapshot.today)
    if done:
        sentences.append(
            voice.t("today.done", distance=voice.dist(snapshot.recent.today_km * 1000))
        )
        tomorrow = snapshot.today + timedelta(days=1)
        sentences += [_day_sentence(w, voice, "tomorrow") for w in plan if w.date == tomorrow]
    elif (today := by_day.get(snapshot.today)) is not None:
        sentences += _today_sentences(today, week, snapshot, voice)
    sentences += _home_sentences(week, snapshot, voice)
    volume = snapshot.volume
    sentences.append(
        voice.t(
            "week.so_far",
            distance=voice.dist(volume.this_week.distance_m),
            count=volume.this_week.count,
            last=voice.dist(volume.last_week.distance_m),
        )
    )
    if (situation := _situation_sentence(week, snapshot, voice)) is not None:
        sentences.append(situation)
    sentences += _race_sentences(snapshot, voice, countdown=True)
    if (goal := _goal_sentence(week, snapshot, voice)) is not None:
        sentences.append(goal)
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
    week_plan = planned_week(snapshot, snapshot.today + timedelta(days=1))
    if (goal := _goal_sentence(week_plan, snapshot, voice)) is not None:
        sentences.append(goal)
    if (situation := _situation_sentence(week_plan, snapshot, voice)) is not None:
        sentences.append(situation)
    sentences += _home_sentences(week_plan, snapshot, voice)
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


def guarded_analysis(
    snapshot: TrainingSnapshot, content: AnalysisContent, settings: CoachSettings
) -> tuple[AnalysisContent, tuple[str, ...]]:
    """
    Hold an analysis's next sessions to the planner's rules; return it and what changed.

    The sessions take the next running days of the planner's week from tomorrow, and that week goes
    through the guardrails: a session that breaks a rule is corrected, in the planner's words.
    """
    week = planned_week(snapshot, snapshot.today + timedelta(days=1))
    slots = [s.day for s in week.sessions if s.kind is not WorkoutType.REST]
    wanted = list(zip(slots, content.next_sessions, strict=False))
    proposed = {session.day: session for session in week.sessions}
    for day, workout in wanted:
        proposed[day] = Session(
            day, workout.type, workout.distance_km, workout.target_pace_s_per_km
        )
    guarded = guard(
        [proposed[day] for day in sorted(proposed)],
        week,
        {day: workout.description for day, workout in wanted},
    )
    voice = _Voice(settings)
    by_day = {session.day: session for session in guarded.sessions}
    sessions = []
    for day, workout in wanted:
        session = by_day[day]
        rewritten = day in guarded.rewritten
        if session.kind is WorkoutType.REST:
            continue
        sessions.append(
            Workout(
                type=session.kind,
                title=_title(session, voice) if rewritten else workout.title,
                distance_km=session.distance_km,
                target_pace_s_per_km=session.pace_s_per_km,
                description=_description(session, week, voice)
                if rewritten
                else workout.description,
            )
        )
    days = {day for day, _ in wanted} | {None}
    changes = [c for c in guarded.corrections if c.day in days]
    return replace(content, next_sessions=tuple(sessions)), correction_messages(changes, settings)


def analysis_message(
    content: AnalysisContent, settings: CoachSettings, adjustments: Sequence[str] = ()
) -> str:
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
        sessions = [f"- {_workout_line(session, voice)}" for session in content.next_sessions]
        blocks.append("\n".join([voice.t("message.next"), *sessions]))
    if adjustments:
        blocks.append(
            "\n".join([voice.t("message.adjusted"), *(f"- {line}" for line in adjustments)])
        )
    return "\n\n".join(blocks)


def _workout_line(workout: Workout, voice: _Voice) -> str:
    """Say a session in one line: "Tempo run: 10.0 km @ 4:50/km"."""
    line = workout.title
    if workout.distance_km > 0:
        line += f": {voice.dist(workout.distance_km * 1000)}"
        if workout.target_pace_s_per_km:
            line += f" @ {voice.pace(workout.target_pace_s_per_km)}"
    return line


def plan_message(plan: Sequence[PlannedWorkout], settings: CoachSettings) -> str:
    """Write a plan as one message to send: a line a day, with what the session holds."""
    voice = _Voice(settings)
    days = [
        f"- {voice.weekday(workout.date)} {_workout_line(workout, voice)}. {workout.description}"
        for workout in plan
    ]
    return "\n".join([voice.t("message.plan"), *days])


def race_report(snapshot: TrainingSnapshot, settings: CoachSettings) -> str:
    """Say the race countdown and the prediction against the goal."""
    return " ".join(_race_sentences(snapshot, _Voice(settings), countdown=True))


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


def answer(
    snapshot: TrainingSnapshot,
    question: str,
    settings: CoachSettings,
    earlier: Sequence[str] = (),
) -> str:
    """
    Answer briefly from the numbers, for the questions the rules recognise.

    A follow-up the rules do not recognise ("and then?") continues the topic of the latest
    `earlier` question (oldest first) that had one.
    """
    voice = _Voice(settings)
    topic = question_topic(question)
    if topic is None:
        topic = next((found for past in reversed(earlier) if (found := question_topic(past))), None)
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
    if topic in ("today", "tomorrow", "why"):
        return _plan_answer(snapshot, topic, settings)
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


def _plan_answer(snapshot: TrainingSnapshot, topic: str, settings: CoachSettings) -> str:
    """Say today's or tomorrow's session, or why the week looks the way it does."""
    voice = _Voice(settings)
    week = planned_week(snapshot, snapshot.today)
    if topic == "why":
        reasons = [
            _situation_sentence(week, snapshot, voice)
            or voice.t("situation.steady", target=voice.dist(week.training_km * 1000)),
            _goal_sentence(week, snapshot, voice),
            *risk_messages(detect_risks(snapshot), settings),
        ]
        return " ".join(reason for reason in reasons if reason)
    plan = workouts(week, settings)
    today = plan[0]
    if topic == "today" and not week.sessions[0].done:
        return f"{_day_sentence(today, voice)} {today.description}"
    tomorrow = plan[1]
    sentences = [_day_sentence(tomorrow, voice, "tomorrow"), tomorrow.description]
    if topic == "today":  # today's run is already in
        distance = voice.dist(snapshot.recent.today_km * 1000)
        sentences.insert(0, voice.t("today.done", distance=distance))
    return " ".join(sentences)


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
