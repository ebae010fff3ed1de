"""The offline coach: risk flags, the 7-day plan, briefings, analyses and answers in en and vi."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.coach_dyno.coach import CoachSettings, Persona, RiskCode, Units, WorkoutType
from custom_components.coach_dyno.coach.formatting import fmt_pace
from custom_components.coach_dyno.coach.offline import (
    analyze_run,
    answer,
    correction_messages,
    form_state,
    guarded_workouts,
    morning_briefing,
    plan_week,
    question_topic,
    risk_messages,
    weekly_report,
    with_adjustments,
)
from custom_components.coach_dyno.coach.risk import detect_risks
from custom_components.coach_dyno.coach.schemas import PlannedWorkout
from custom_components.coach_dyno.training import (
    Activity,
    TrainingPhase,
    TrainingSnapshot,
    compute_snapshot,
)
from custom_components.coach_dyno.training.plan import (
    HARD,
    Session,
    described_km,
    guard,
    plan_week as planned_week,
    race_pace,
)
from tests.coach.history import RACE_DAY, TODAY, history, profile, snapshot, with_load
from tests.training import scenarios
from tests.training.scenarios import comeback, unrealistic_goal

EN = CoachSettings()
VI = CoachSettings(language="vi")


def _past(pace: float, hr: float | None, km: float = 8.0) -> Activity:
    """Return a past run at `pace` s/km and average heart rate `hr`."""
    return Activity(
        id=int(pace * 10),
        start=datetime(2026, 9, 1, 7, tzinfo=UTC),
        sport_type="Run",
        distance_m=km * 1000,
        moving_s=km * pace,
        avg_hr=hr,
    )


# --- risk flags -----------------------------------------------------------------------------


def test_flags_fire_strictly_beyond_their_limits(year_snapshot: TrainingSnapshot) -> None:
    calm = with_load(year_snapshot, acwr=1.5, monotony=2.0, tsb=-30.0)
    run = replace(year_snapshot.recent_runs[0], decoupling_pct=5.0)
    assert detect_risks(calm, run) == ()
    hot = with_load(year_snapshot, acwr=1.51, monotony=2.01, tsb=-30.1)
    drifting = replace(run, decoupling_pct=5.1)
    codes = [risk.code for risk in detect_risks(hot, drifting)]
    assert codes == [
        RiskCode.ACWR_HIGH,
        RiskCode.MONOTONY_HIGH,
        RiskCode.FORM_VERY_NEGATIVE,
        RiskCode.HR_DRIFT,
    ]
    assert detect_risks(with_load(year_snapshot, acwr=None, monotony=None)) == ()


def test_drift_of_the_latest_run_counts_only_while_recent(year_snapshot: TrainingSnapshot) -> None:
    latest = year_snapshot.latest_run
    assert latest is not None
    drifting = replace(latest, decoupling_pct=8.0)
    recent = replace(
        year_snapshot, latest_run=replace(drifting, start=datetime(2026, 11, 2, 7, tzinfo=UTC))
    )
    stale = replace(
        year_snapshot, latest_run=replace(drifting, start=datetime(2026, 10, 20, 7, tzinfo=UTC))
    )
    assert [r.code for r in detect_risks(recent)] == [RiskCode.HR_DRIFT]
    assert detect_risks(stale) == ()


def test_risk_messages_in_both_languages(year_snapshot: TrainingSnapshot) -> None:
    risks = detect_risks(with_load(year_snapshot, acwr=1.62, tsb=-34.6))
    assert risk_messages(risks, EN) == (
        "Load spike: ACWR 1.62 (above 1.5). Keep the next days easy to limit injury risk.",
        "Form (TSB) -35 (below -30): you are very fatigued; rest or a recovery run today.",
    )
    vietnamese = risk_messages(risks, VI)
    assert vietnamese[0].startswith("Tải tăng đột ngột: ACWR 1,62")
    assert "rất mệt" in vietnamese[1]


@pytest.mark.parametrize(
    ("tsb", "key"),
    [
        (-31, "form.very_tired"),
        (-30, "form.productive"),
        (-11, "form.productive"),
        (-10, "form.balanced"),
        (5, "form.balanced"),
        (6, "form.fresh"),
        (15, "form.fresh"),
        (16, "form.very_fresh"),
    ],
)
def test_form_reading(tsb: float, key: str) -> None:
    assert form_state(tsb) == key


# --- the 7-day plan -------------------------------------------------------------------------


def test_plan_in_the_coachs_words(year_snapshot: TrainingSnapshot) -> None:
    plan = plan_week(year_snapshot, TODAY, EN)
    week = planned_week(year_snapshot, TODAY)
    assert [day.date for day in plan] == [TODAY + timedelta(days=i) for i in range(7)]
    assert [(day.type, day.distance_km) for day in plan] == [
        (s.kind, s.distance_km) for s in week.sessions
    ]
    by_weekday = {day.date.weekday(): day for day in plan}
    assert by_weekday[0].type is WorkoutType.REST
    assert by_weekday[6].type is WorkoutType.LONG
    # Base phase: short repetitions on Tuesday, spelled out so that they add up to the session.
    reps = by_weekday[1]
    assert reps.type is WorkoutType.REPETITION
    shape = week.sessions[0].structure
    assert shape is not None
    assert reps.description == (
        f"Warm up {shape.warmup_km:.1f} km, {shape.reps} x 200 m fast and relaxed with 200 m jog, "
        f"cool down {shape.cooldown_km:.1f} km."
    )
    assert described_km(reps.description) <= reps.distance_km + 0.01
    paces = year_snapshot.paces
    assert paces is not None
    assert reps.target_pace_s_per_km == round(paces.repetition, 1)
    assert by_weekday[6].target_pace_s_per_km == round(paces.easy, 1)
    assert by_weekday[0].target_pace_s_per_km is None


def test_plan_in_vietnamese(year_snapshot: TrainingSnapshot) -> None:
    plan = plan_week(year_snapshot, TODAY, VI)
    titles = {day.type: day.title for day in plan}
    assert titles[WorkoutType.REST] == "Ngày nghỉ"
    assert titles[WorkoutType.LONG] == "Chạy dài"
    reps = next(day for day in plan if day.type is WorkoutType.REPETITION)
    assert reps.description.startswith("Khởi động 1,5 km, ")
    assert " x 200 m nhanh mà thả lỏng" in reps.description


def test_race_week_plan() -> None:
    today = RACE_DAY - timedelta(days=3)
    snap = compute_snapshot(history(200, end=today), profile(), today)
    assert snap.race is not None
    assert snap.race.phase is TrainingPhase.RACE_WEEK
    plan = {day.date: day for day in plan_week(snap, today, EN)}
    race = plan[RACE_DAY]
    assert (race.type, race.distance_km, race.title) == (WorkoutType.RACE, 21.1, "Race day")
    assert plan[RACE_DAY - timedelta(days=1)].type is WorkoutType.REST
    shakeout = plan[RACE_DAY - timedelta(days=2)]
    assert (shakeout.type, shakeout.distance_km) == (WorkoutType.EASY, 3.0)
    assert "strides" in shakeout.description
    text = morning_briefing(snap, tuple(plan.values()), EN)
    assert "City Half in 3 days (0 weeks), race week phase" in text


def test_race_day_briefing() -> None:
    snap = compute_snapshot(history(200, end=RACE_DAY - timedelta(days=1)), profile(), RACE_DAY)
    text = morning_briefing(snap, plan_week(snap, RACE_DAY, EN), EN)
    pace = race_pace(snap)
    assert pace is not None
    assert f"Today is race day: 21.1 km, goal pace {fmt_pace(pace, Units.METRIC)}." in text


def test_after_the_race_only_easy_running() -> None:
    today = RACE_DAY + timedelta(days=10)
    snap = compute_snapshot(history(300, end=today), profile(), today)
    plan = plan_week(snap, today, EN)
    assert not [day for day in plan if day.type in HARD]
    text = morning_briefing(snap, plan, EN)
    assert "Your race was 10 days ago: time to recover." in text


def test_a_comeback_is_explained() -> None:
    snap = comeback()
    plan = plan_week(snap, snap.today, EN)
    text = morning_briefing(snap, plan, EN)
    assert "Welcome back after 32 days off: about 13.5 km this week, easy running" in text
    assert "Load spike" not in text
    vietnamese = morning_briefing(snap, plan_week(snap, snap.today, VI), VI)
    assert "Chào mừng bạn trở lại sau 32 ngày nghỉ" in vietnamese


def test_an_unrealistic_goal_is_said_honestly() -> None:
    snap = unrealistic_goal()
    pace = race_pace(snap)
    assert pace is not None
    text = morning_briefing(snap, plan_week(snap, snap.today, EN), EN)
    assert (
        f"Your goal needs 4:16/km; today's fitness supports about {fmt_pace(pace, Units.METRIC)}"
        in text
    )
    assert "Mục tiêu cần pace 4:16/km" in morning_briefing(
        snap, plan_week(snap, snap.today, VI), VI
    )


def test_guardrail_corrections_in_both_languages() -> None:
    snap = scenarios.taper()
    week = planned_week(snap, snap.today)
    proposed = tuple(
        PlannedWorkout(
            date=s.day,
            type=WorkoutType.INTERVALS,
            title="Hard intervals",
            distance_km=15.0,
            target_pace_s_per_km=180.0,
            description="Warm up 2 km, 10 x 1 km, cool down 2 km",
        )
        for s in week.sessions
    )
    guarded = guard(
        [Session(w.date, w.type, w.distance_km, w.target_pace_s_per_km) for w in proposed],
        week,
        {w.date: w.description for w in proposed},
    )
    plan = guarded_workouts(guarded, proposed, week, EN)
    assert described_km(plan[0].description) <= plan[0].distance_km + 0.5
    messages = correction_messages(guarded.corrections, EN)
    assert "Wed: intervals 15.0 km became rest day (every week keeps a rest day)." in messages
    assert any(
        "(a hard day never follows a hard day)" in m or "too many hard" in m for m in messages
    )
    vietnamese = correction_messages(guarded.corrections, VI)
    assert (
        "T4: chạy interval 15,0 km thành ngày nghỉ (tuần nào cũng giữ một ngày nghỉ)." in vietnamese
    )
    text = with_adjustments("Gemini's text.", messages, EN)
    assert text.startswith("Gemini's text.\n\nPlan adjusted: ")


# --- briefings ------------------------------------------------------------------------------


def test_morning_briefing_by_persona(year_snapshot: TrainingSnapshot) -> None:
    plan = plan_week(year_snapshot, TODAY, EN)
    supportive = morning_briefing(year_snapshot, plan, EN)
    direct = morning_briefing(year_snapshot, plan, CoachSettings(persona=Persona.DIRECT))
    nerd = morning_briefing(year_snapshot, plan, CoachSettings(persona=Persona.DATA_NERD))
    assert supportive.startswith("Good morning!")
    assert supportive.endswith("Consistency wins: one good day at a time.")
    assert direct.startswith("Form (TSB)")
    assert "CTL " in nerd
    assert "ACWR " in nerd
    assert "CTL " not in supportive
    today = plan[0]
    assert f"Today: {today.title}, {today.distance_km:.1f} km at " in supportive
    assert "City Half in 133 days (19 weeks), base phase" in supportive
    assert "Predicted 1:5" in supportive
    assert "goal 1:45:00: behind the goal for now." in supportive


def test_morning_briefing_flags_and_rest(year_snapshot: TrainingSnapshot) -> None:
    tired = with_load(year_snapshot, tsb=-36.0)
    text = morning_briefing(tired, plan_week(tired, TODAY, EN), EN)
    assert "Today: rest day." in text
    assert "very fatigued; rest or a recovery run today" in text


def test_morning_briefing_without_runs_or_goal() -> None:
    empty = compute_snapshot([], profile(goal=False), TODAY)
    text = morning_briefing(empty, plan_week(empty, TODAY, VI), VI)
    assert text.startswith("Chào buổi sáng! Chưa có buổi chạy nào")
    no_goal = snapshot(200, goal=False)
    assert "No goal race set" in morning_briefing(no_goal, plan_week(no_goal, TODAY, EN), EN)


def test_morning_briefing_in_vietnamese_and_imperial(year_snapshot: TrainingSnapshot) -> None:
    settings = CoachSettings(language="vi", units=Units.IMPERIAL)
    text = morning_briefing(year_snapshot, plan_week(year_snapshot, TODAY, settings), settings)
    assert text.startswith("Chào buổi sáng! Phong độ (TSB)")
    assert " mi " in text
    assert "/mi" in text
    assert "giai đoạn nền tảng" in text


def test_weekly_report(year_snapshot: TrainingSnapshot) -> None:
    plan = plan_week(year_snapshot, TODAY + timedelta(days=1), EN)
    text = weekly_report(year_snapshot, plan, EN)
    last = year_snapshot.volume.last_week
    assert text.startswith(
        f"Weekly report. Last week: {last.distance_m / 1000:.1f} km in {last.count} runs"
    )
    assert "against the 4-week average of" in text
    assert "four weeks ago" in text
    assert "key sessions: Sun long run " in text
    assert ", Tue short repetitions " in text
    sunday = compute_snapshot(
        history(365, end=TODAY + timedelta(days=5)), profile(), TODAY + timedelta(days=5)
    )
    assert weekly_report(sunday, plan, EN).startswith("Weekly report. This week:")


def test_weekly_report_of_an_easy_week_in_vietnamese() -> None:
    today = RACE_DAY + timedelta(days=10)
    snap = compute_snapshot(history(300, end=today), profile(), today)
    plan = plan_week(snap, today + timedelta(days=1), VI)
    text = weekly_report(snap, plan, VI)
    assert text.startswith("Báo cáo tuần. Tuần trước:")
    assert "toàn bộ chạy nhẹ" in text


def test_weekly_report_without_history() -> None:
    empty = compute_snapshot([], profile(goal=False), TODAY)
    text = weekly_report(empty, plan_week(empty, TODAY, EN), EN)
    assert "0 runs, 0:00 moving (+0 % against the 4-week average of 0.0 km)" in text
    assert "No goal race set" in text


# --- analysis -------------------------------------------------------------------------------


def test_analysis_of_a_faster_run_at_lower_heart_rate(year_snapshot: TrainingSnapshot) -> None:
    run = replace(
        year_snapshot.recent_runs[0],
        pace_s_per_km=330.0,
        avg_hr=140.0,
        decoupling_pct=2.4,
        race=False,
    )
    content = analyze_run(
        year_snapshot, run, [_past(340, 146), _past(344, 150), _past(336, None)], EN
    )
    assert (
        "Against 3 similar runs (5:40/km, HR 148), you were 10 s/km faster at a lower heart rate."
        in (content.summary)
    )
    assert "A sign of improving fitness." in content.summary
    assert content.went_well[:2] == (
        "Faster than similar runs at the same or lower heart rate.",
        "Steady aerobic effort: heart-rate drift only 2.4 %.",
    )
    assert content.risk_flags == ()
    assert 0 < len(content.next_sessions) <= 3
    assert all(session.type is not WorkoutType.REST for session in content.next_sessions)


def test_analysis_of_a_hard_day(year_snapshot: TrainingSnapshot) -> None:
    run = replace(
        year_snapshot.recent_runs[0], pace_s_per_km=350.0, avg_hr=160.0, decoupling_pct=7.2
    )
    content = analyze_run(year_snapshot, run, [_past(340, 150)], VI)
    assert "bạn chậm hơn 10 giây/km với nhịp tim cao hơn" in content.summary
    assert "Có thể do mệt, trời nóng hoặc địa hình." in content.summary
    assert content.risk_flags == (
        "Nhịp tim trôi 7,2 % (trên 5 %): có thể do trời nóng, thiếu nước hoặc pace vượt quá sức bền hiếu khí.",
    )


def test_analysis_highlights(year_snapshot: TrainingSnapshot) -> None:
    paces = year_snapshot.paces
    assert paces is not None
    longest = replace(
        year_snapshot.recent_runs[0],
        distance_m=30000.0,
        pace_s_per_km=paces.easy + 10,
        decoupling_pct=None,
        race=True,
        avg_hr=None,
    )
    content = analyze_run(year_snapshot, longest, [], EN)
    assert content.summary.endswith("No similar past runs to compare with yet.")
    assert content.went_well == ("Race completed: well done.", "Your longest run of recent weeks.")
    easy = replace(longest, race=False, distance_m=6000.0)
    assert analyze_run(year_snapshot, easy, [], EN).went_well == ("Easy pace kept truly easy.",)
    plain = replace(easy, pace_s_per_km=paces.threshold)
    assert analyze_run(year_snapshot, plain, [], EN).went_well == (
        "Another run in the bank: consistency builds fitness.",
    )


# --- answers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("How far did I run this week?", "distance"),
        ("how many miles this month", "distance"),
        ("How is my form?", "form"),
        ("Am I tired?", "form"),
        ("When is my race?", "race"),
        ("Am I on track for my goal time?", "prediction"),
        ("What are my paces?", "paces"),
        ("What was my last run like?", "last_run"),
        ("What should I run today?", "today"),
        ("What should I run tomorrow?", "tomorrow"),
        ("Why so easy?", "why"),
        ("Tell me a joke", None),
        ("Tuần này tôi chạy bao xa?", "distance"),
        ("Tuan nay toi chay bao xa", "distance"),
        ("Phong độ của tôi thế nào?", "form"),
        ("Còn bao lâu đến giải chạy?", "race"),
        ("Dự đoán thành tích của tôi", "prediction"),
        ("Buổi chạy gần nhất của tôi?", "last_run"),
        ("Hôm nay tôi nên chạy gì?", "today"),
        ("Ngày mai tôi chạy gì?", "tomorrow"),
        ("Tại sao vậy?", "why"),
        ("Tốc độ của tôi?", "paces"),
        ("Giải thích giúp tôi", None),
    ],
)
def test_question_topics(question: str, topic: str | None) -> None:
    assert question_topic(question) == topic


def test_answers_from_the_numbers(year_snapshot: TrainingSnapshot) -> None:
    volume = year_snapshot.volume
    assert answer(year_snapshot, "How far did I run this week?", EN) == (
        f"This week: {volume.this_week.distance_m / 1000:.1f} km in {volume.this_week.count} runs; "
        f"last week {volume.last_week.distance_m / 1000:.1f} km; "
        f"last 7 days {volume.rolling_7d.distance_m / 1000:.1f} km; "
        f"this month {volume.this_month.distance_m / 1000:.1f} km."
    )
    tsb = f"{year_snapshot.load.tsb:+.0f}"
    assert answer(year_snapshot, "How is my form?", EN).startswith(f"Form (TSB) {tsb}: ")
    assert answer(year_snapshot, "When is my race?", EN).startswith("City Half in 133 days")
    assert answer(year_snapshot, "Am I on track?", EN).startswith("Predicted 1:5")
    assert answer(year_snapshot, "What are my paces?", EN).startswith("Your paces (VDOT ")
    latest = year_snapshot.latest_run
    assert latest is not None
    assert answer(year_snapshot, "my last run?", EN).startswith(
        f"Last run, {latest.start.date().isoformat()}: {latest.name}, "
        f"{latest.distance_m / 1000:.1f} km in "
    )
    unnamed = replace(year_snapshot, latest_run=replace(latest, name="", avg_hr=None))
    assert answer(unnamed, "my last run?", EN).startswith(
        f"Last run, {latest.start.date().isoformat()}: {latest.distance_m / 1000:.1f} km"
    )
    assert "HR" not in answer(unnamed, "my last run?", EN)
    today = plan_week(year_snapshot, TODAY, EN)[0]
    assert answer(year_snapshot, "What should I do today?", EN).endswith(today.description)
    fallback = answer(year_snapshot, "Tell me a joke", EN)
    assert fallback.startswith("I am the offline coach")
    assert "Right now: " in fallback


def test_answers_in_vietnamese_and_miles(year_snapshot: TrainingSnapshot) -> None:
    settings = CoachSettings(language="vi", units=Units.IMPERIAL)
    assert answer(year_snapshot, "Tuần này tôi chạy bao xa?", settings).startswith("Tuần này: ")
    assert " mi" in answer(year_snapshot, "Tuần này tôi chạy bao xa?", settings)
    assert answer(year_snapshot, "Còn bao lâu đến giải chạy?", settings).startswith(
        "City Half còn 133 ngày"
    )
    assert answer(year_snapshot, "xyz", settings).startswith("Tôi là huấn luyện viên ngoại tuyến")


def test_answers_without_data() -> None:
    empty = compute_snapshot([], profile(goal=False), TODAY)
    assert answer(empty, "When is my race?", EN).startswith("No goal race set")
    assert answer(empty, "Predict my time", EN).startswith("No goal race set")
    assert answer(empty, "What are my paces?", EN).startswith("No VDOT yet")
    assert answer(empty, "What was my last run?", EN) == "No runs recorded yet."
    unpredicted = compute_snapshot([], profile(), TODAY)
    assert answer(unpredicted, "Am I on track?", EN) == (
        "No prediction yet: I need a recent run of 3 km or more."
    )


def test_prediction_without_goal_time(year_snapshot: TrainingSnapshot) -> None:
    race = year_snapshot.race
    assert race is not None
    untimed = replace(year_snapshot, race=replace(race, goal_time_s=None, on_track=None))
    assert answer(untimed, "predict", EN).startswith("Predicted 1:5")
    assert "goal" not in answer(untimed, "predict", EN)
    ahead = replace(year_snapshot, race=replace(race, on_track=True, reason="ahead"))
    assert answer(ahead, "predict", EN).endswith("ahead of the goal.")


def test_briefing_without_vdot_or_today_in_the_plan(year_snapshot: TrainingSnapshot) -> None:
    unpaced = replace(year_snapshot, paces=None, vdot=None)
    plan = plan_week(unpaced, TODAY, CoachSettings(persona=Persona.DIRECT))
    text = morning_briefing(unpaced, plan, CoachSettings(persona=Persona.DIRECT))
    assert f"Today: {plan[0].title}, {plan[0].distance_km:.1f} km." in text
    later = plan_week(year_snapshot, TODAY + timedelta(days=1), EN)
    assert "Today:" not in morning_briefing(year_snapshot, later, EN)


def test_analysis_of_a_run_like_the_others(year_snapshot: TrainingSnapshot) -> None:
    run = replace(year_snapshot.recent_runs[0], pace_s_per_km=340.0, avg_hr=150.0)
    content = analyze_run(year_snapshot, run, [_past(341, 150.5)], EN)
    assert "you were 1 s/km faster." in content.summary
    assert "fitness" not in content.summary
    assert "Fatigue" not in content.summary


def _done_today() -> TrainingSnapshot:
    """Return the steady runner at 18:35, after a 20 km run this morning."""
    base = scenarios.runs(TODAY - timedelta(days=120), 120, scenarios.weekly(45))
    morning = scenarios.runs(TODAY, 1, lambda _: 20.0, start_id=7000)
    return compute_snapshot(base + morning, scenarios.profile(), TODAY)


def test_the_briefing_knows_todays_run_is_done() -> None:
    snap = _done_today()
    plan = plan_week(snap, TODAY, EN)
    assert plan[0].title.startswith("Done: ")
    text = morning_briefing(snap, plan, EN)
    assert text.startswith("Nice work today!")
    assert "Good morning" not in text
    assert "Today's run is in: 20.0 km. Tomorrow: " in text
    assert "Today: " not in text
    vietnamese = morning_briefing(snap, plan_week(snap, TODAY, VI), VI)
    assert vietnamese.startswith("Hôm nay tập tốt lắm!")
    assert "Buổi chạy hôm nay đã xong: 20,0 km. Ngày mai: " in vietnamese


def test_tomorrow_answers_tomorrow_and_follow_ups_keep_the_topic(
    year_snapshot: TrainingSnapshot,
) -> None:
    plan = plan_week(year_snapshot, TODAY, EN)
    tomorrow = answer(year_snapshot, "What should I run tomorrow?", EN)
    assert tomorrow.startswith("Tomorrow: ")
    assert tomorrow.endswith(plan[1].description)
    today = answer(year_snapshot, "What should I do today?", EN)
    assert today.startswith("Today: ")
    assert "Tomorrow" not in today
    # "And then?" carries no topic of its own: it continues the conversation's latest one.
    follow_up = answer(year_snapshot, "And then?", EN, ["What should I run tomorrow?"])
    assert follow_up == tomorrow
    why = answer(year_snapshot, "Why?", EN, ["What should I run tomorrow?"])
    assert why.startswith("A steady week of about ")
    assert answer(year_snapshot, "xyz", EN, ["Tell me a joke"]).startswith("I am the offline coach")
    done = _done_today()
    assert answer(done, "What should I run today?", EN).startswith(
        "Today's run is in: 20.0 km. Tomorrow: "
    )
    assert answer(done, "Ngày mai chạy gì?", VI).startswith("Ngày mai: ")


def test_goal_pace_sessions_say_the_pace_fitness_supports() -> None:
    snap = unrealistic_goal()
    race = snap.race
    assert race is not None
    peak_day = race.race_date - timedelta(days=29)
    peak = compute_snapshot(
        scenarios.runs(peak_day - timedelta(days=120), 120, scenarios.weekly(30), pace=360),
        scenarios.profile(race_day=race.race_date, goal_s=90 * 60.0),
        peak_day,
    )
    plan = plan_week(peak, peak_day, EN)
    session = next(w for w in plan if w.type is WorkoutType.RACE_PACE)
    pace = fmt_pace(session.target_pace_s_per_km, Units.METRIC)
    assert f" at {pace}, the race pace your fitness supports today, with " in session.description


def test_a_replaced_week_is_said_in_one_sentence() -> None:
    snap = scenarios.steady_base()
    week = planned_week(snap, snap.today)
    tiny = [Session(s.day, s.kind, 1.0 if s.distance_km else 0.0) for s in week.sessions]
    guarded = guard(tiny, week)
    (message,) = correction_messages(guarded.corrections, EN)
    assert message == (
        f"The {sum(s.distance_km for s in tiny):.1f} km week became the planner's "
        f"{week.total_km:.1f} km (the week was far below your recent volume)."
    )
    (vietnamese,) = correction_messages(guarded.corrections, VI)
    assert vietnamese.startswith("Tuần 5,0 km được thay bằng tuần 47,2 km của kế hoạch")


# --- load without heart rate, race fatigue, counts ----------------------------------------------


def _without_heart_rate(runs: list[Activity], **changes: float) -> list[Activity]:
    return [replace(run, avg_hr=None, stream_summary=None, **changes) for run in runs]


def test_briefing_says_the_load_is_unknown_not_balanced() -> None:
    # A beginner without a strap: short runs, no heart rate, no VDOT.
    runs = _without_heart_rate(history(60), distance_m=2000.0, moving_s=840.0)
    snap = compute_snapshot(runs, profile(), TODAY)
    nerd = CoachSettings(persona=Persona.DATA_NERD)
    text = morning_briefing(snap, plan_week(snap, TODAY, nerd), nerd)
    assert "Training load unknown: without heart rate or a recent run of 3 km or more" in text
    assert "Form (TSB)" not in text
    assert "balanced" not in text
    assert "CTL " not in text
    vi = morning_briefing(snap, plan_week(snap, TODAY, VI), VI)
    assert "Chưa tính được tải tập" in vi
    assert answer(snap, "How is my form?", EN).startswith("Training load unknown")
    assert "form (TSB) unknown" in answer(snap, "xyz", EN)
    assert "phong độ (TSB) chưa rõ" in answer(snap, "xyz", VI)
    weekly = weekly_report(snap, plan_week(snap, TODAY + timedelta(days=1), EN), EN)
    assert "Training load unknown" in weekly
    assert "Fitness CTL" not in weekly


def test_briefing_says_the_form_is_estimated_from_pace() -> None:
    snap = compute_snapshot(_without_heart_rate(history(120)), profile(), TODAY)
    assert snap.load.tsb is not None
    text = morning_briefing(snap, plan_week(snap, TODAY, EN), EN)
    assert f"Form (TSB, estimated from pace) {snap.load.tsb:+.0f}: " in text
    vi = morning_briefing(snap, plan_week(snap, TODAY, VI), VI)
    assert "Phong độ (TSB, ước tính từ pace)" in vi


def test_fatigue_after_a_race_is_the_races() -> None:
    day_after = RACE_DAY + timedelta(days=1)
    runs = history(200, end=RACE_DAY)
    race = Activity(
        id=999,
        start=datetime.combine(RACE_DAY, datetime.min.time(), tzinfo=UTC),
        sport_type="Run",
        distance_m=21097.5,
        moving_s=6200.0,
        elapsed_s=6250.0,
        avg_hr=176.0,
        race=True,
    )
    snap = compute_snapshot([*runs, race], profile(), day_after)
    tired = with_load(snap, tsb=-15.0)
    assert tired.days_since_race == 1
    text = morning_briefing(tired, plan_week(tired, day_after, EN), EN)
    assert "Form (TSB) -15: fatigue from your race: recover before training hard again." in text
    assert "productive" not in text
    assert "Your race was 1 day ago: time to recover." in text
    vi = morning_briefing(tired, plan_week(tired, day_after, VI), VI)
    assert "mệt sau giải đấu" in vi
    assert "Giải đã diễn ra 1 ngày trước" in vi
    # A week and more later, negative form is training again.
    later = with_load(replace(tired, days_since_race=8), tsb=-15.0)
    assert "productive fatigue" in morning_briefing(later, plan_week(later, day_after, EN), EN)


def test_counts_read_naturally() -> None:
    today = RACE_DAY - timedelta(days=1)
    snap = compute_snapshot(history(200, end=today), profile(), today)
    text = morning_briefing(snap, plan_week(snap, today, EN), EN)
    assert "City Half in 1 day (0 weeks)" in text
    week_out = RACE_DAY - timedelta(days=7)
    snap = compute_snapshot(history(200, end=week_out), profile(), week_out)
    assert "City Half in 7 days (1 week)" in morning_briefing(
        snap, plan_week(snap, week_out, EN), EN
    )
