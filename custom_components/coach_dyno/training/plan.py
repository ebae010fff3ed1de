"""
The week's plan, and the guardrails every plan passes, whoever wrote it.

One planner for both voices: the offline coach puts words around `plan_week`, and a plan from Gemini
goes through `guard`, which corrects what breaks a rule and says which rule. Each rule's source:
- Weekly volume follows the last 28 completed days and grows at most ~10 % a week over the larger of
  last week and that average (the ~10 %/week rule of progression).
- Taper: volume cut by 45 %, intensity kept (Bosquet et al. 2007: a 41-60 % cut over about two
  weeks, without less intensity or frequency); race week keeps a third of the volume plus the race.
- Quality: two sessions a week at most (Daniels' two "Q" days), one for a beginner, none in the first
  two weeks back; per session at most 10 % of the week at threshold pace, 8 % (10 km) at interval
  pace and 5 % (8 km) at repetition pace (Daniels' Running Formula); time at those paces at most
  20 % of the week's running time (Seiler's ~80/20 by time).
- Hard days (quality, long run, race) never follow each other (the hard/easy principle).
- Long run: 30 % of the week (40 % for a beginner), held near the recent long runs rather than
  dropped, growing at most 10 %, never over 150 minutes (Daniels).
- A load spike (ACWR above 1.5) counts only over a chronic load worth the name (Gabbett 2016:
  the ratio misleads on a small base); it, or deep fatigue (TSB below -30), makes a lighter week.
- Comeback after 14+ days off: restart at a share of the former volume (50 % after up to four weeks
  off, 33 % after up to eight, 25 % beyond, after Daniels' return-from-break guidance), then ~10 % a
  week up to it; no quality for the first two weeks back, strides from the second.
- Monotony (Foster 1998): easy days alternate shorter and longer, and a rest day always stays.
- After a race: one easy day per mile raced before quality returns, the first two days off.
- Paces: Daniels' VDOT paces per session type; goal-pace work never faster than 3 % beyond the pace
  today's fitness predicts for the race (the "within reach" margin of `race`).
- The home's conditions (`conditions`): on a "rest" readiness today is a rest day, on "caution" a
  hard session today becomes easy (and the guardrails hold any plan to it); today's paces slow down
  in the heat; key sessions move off busy days to the nearest free easy day that keeps hard/easy
  spacing, or become easy runs when none does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
import math
import re
from typing import TYPE_CHECKING, Final

from .race import ON_TRACK_MARGIN
from .readiness import Readiness, ReadinessState

if TYPE_CHECKING:
    from .conditions import Heat
    from .performance import TrainingPaces
    from .race import RaceOutlook
    from .snapshot import RunSummary, TrainingSnapshot

PLAN_DAYS: Final = 7
STARTER_KM: Final = 10.0
MIN_RUN_KM: Final = 3.0
GROWTH: Final = 1.10
PHASE_FACTOR: Final[dict[str | None, float]] = {
    "base": 1.05,
    "build": 1.08,
    "peak": 1.0,
    None: 1.05,
}
DELOAD_FACTOR: Final = 0.8
TAPER_FACTOR: Final = 0.55
RACE_WEEK_FACTOR: Final = 0.35
RECOVERY_FACTOR: Final = 0.5
ACWR_LIMIT: Final = 1.5
TSB_LIMIT: Final = -30.0
MONOTONY_LIMIT: Final = 2.0
# Below ~2 easy hours a week of heart-rate load the acute:chronic ratio says nothing.
MIN_CHRONIC_TRIMP: Final = 15.0
COMEBACK_GAP_DAYS: Final = 14
COMEBACK_MAX_DAYS: Final = 84
LONG_STEP_KM: Final = 1.6
# Below this weekly volume a runner does strides, not quality sessions.
FIRST_QUALITY_KM: Final = 15.0
LONG_SHARE: Final = 0.30
BEGINNER_LONG_SHARE: Final = 0.40
BEGINNER_KM: Final = 20.0
MAX_LONG_MIN: Final = 150.0
NO_RACE_LONG_KM: Final = 25.0
MAX_LONG_KM: Final = 32.0
HARD_TIME_SHARE: Final = 0.20
# Recovery runs go a little slower than easy pace.
RECOVERY_PACE_FACTOR: Final = 1.05
KM_PER_MILE: Final = 1.609344


class WorkoutType(StrEnum):
    """The kinds of session a plan is made of."""

    REST = "rest"
    RECOVERY = "recovery"
    EASY = "easy"
    LONG = "long"
    MARATHON = "marathon"
    TEMPO = "tempo"
    INTERVALS = "intervals"
    REPETITION = "repetition"
    RACE_PACE = "race_pace"
    RACE = "race"


QUALITY: Final = frozenset(
    {
        WorkoutType.MARATHON,
        WorkoutType.TEMPO,
        WorkoutType.INTERVALS,
        WorkoutType.REPETITION,
        WorkoutType.RACE_PACE,
    }
)
HARD: Final = QUALITY | {WorkoutType.LONG, WorkoutType.RACE}
# Per session: (share of the week, cap in km, repetition length km, jog between km), Daniels.
_WORK: Final[dict[WorkoutType, tuple[float, float, float, float]]] = {
    WorkoutType.TEMPO: (0.10, 10.0, 0.0, 0.0),
    WorkoutType.INTERVALS: (0.08, 10.0, 1.0, 0.4),
    WorkoutType.REPETITION: (0.05, 8.0, 0.2, 0.2),
    WorkoutType.RACE_PACE: (0.12, 12.0, 2.0, 0.4),
    WorkoutType.MARATHON: (0.20, 16.0, 0.0, 0.0),
}
_MIN_WORK_KM: Final = 1.6
TEMPO_BLOCK_KM: Final = 6.0
# Quality sessions by phase, first the one kept when only one fits (None: no goal race).
_PHASE_QUALITY: Final[dict[str | None, tuple[WorkoutType, ...]]] = {
    "base": (WorkoutType.REPETITION,),
    "build": (WorkoutType.INTERVALS, WorkoutType.TEMPO),
    "peak": (WorkoutType.INTERVALS, WorkoutType.RACE_PACE),
    "taper": (WorkoutType.RACE_PACE, WorkoutType.INTERVALS),
    "race_week": (WorkoutType.RACE_PACE,),
    None: (WorkoutType.TEMPO, WorkoutType.INTERVALS),
}
# Weekdays (Monday = 0) with a run, by number of running days; quality Tue/Thu, long run Sunday.
_LAYOUT: Final[dict[int, tuple[int, ...]]] = {
    3: (1, 3, 6),
    4: (1, 3, 5, 6),
    5: (1, 2, 3, 5, 6),
    6: (1, 2, 3, 4, 5, 6),
}
_QUALITY_DAYS: Final = (1, 3)
_LONG_DAY: Final = 6


class Situation(StrEnum):
    """What shapes the week, beyond the phase."""

    STEADY = "steady"
    STARTER = "starter"
    COMEBACK = "comeback"
    DELOAD = "deload"
    TAPER = "taper"
    RACE_WEEK = "race_week"
    RECOVERY = "recovery"


class Rule(StrEnum):
    """The guardrail a plan broke."""

    RACE_DAYS = "race_days"
    TODAY_DONE = "today_done"
    EASY_ONLY = "easy_only"
    QUALITY_COUNT = "quality_count"
    HARD_AFTER_HARD = "hard_after_hard"
    LONG_RUN = "long_run"
    CONTENTS = "contents"
    QUALITY_SHARE = "quality_share"
    VOLUME_HIGH = "volume_high"
    VOLUME_LOW = "volume_low"
    PACE = "pace"
    REST_DAY = "rest_day"


class ChangeReason(StrEnum):
    """Why the home's conditions changed a session."""

    READINESS = "readiness"
    BUSY = "busy"


@dataclass(frozen=True, slots=True)
class Change:
    """A session the home's conditions changed: eased today, or moved off a busy day."""

    day: date
    reason: ChangeReason
    before: WorkoutType
    after: WorkoutType
    moved_to: date | None = None


@dataclass(frozen=True, slots=True)
class Structure:
    """A quality session's contents: warm-up, repetitions with jogs between, cool-down (km)."""

    warmup_km: float
    reps: int
    rep_km: float
    jog_km: float
    cooldown_km: float

    @property
    def work_km(self) -> float:
        """The distance at the session's pace."""
        return self.reps * self.rep_km

    @property
    def distance_km(self) -> float:
        """The whole session."""
        return self.warmup_km + self.work_km + (self.reps - 1) * self.jog_km + self.cooldown_km


@dataclass(frozen=True, slots=True)
class Session:
    """One day of a plan."""

    day: date
    kind: WorkoutType
    distance_km: float
    pace_s_per_km: float | None = None
    structure: Structure | None = None
    strides: bool = False
    done: bool = False


@dataclass(frozen=True, slots=True)
class WeekPlan:
    """Seven days from `start`, with the limits the guardrails hold any plan to."""

    start: date
    sessions: tuple[Session, ...]
    situation: Situation
    phase: str | None
    target_km: float
    band_km: tuple[float, float]
    long_limit_km: float
    max_quality: int
    easy_only: frozenset[date]
    before_start_hard: bool
    race_pace_s_per_km: float | None
    goal_beyond_fitness: bool
    paces: TrainingPaces | None
    changes: tuple[Change, ...] = ()
    heat: Heat | None = None

    @property
    def total_km(self) -> float:
        """The week's running distance, race included."""
        return sum(session.distance_km for session in self.sessions)

    @property
    def training_km(self) -> float:
        """The week's running distance besides a race."""
        return sum(s.distance_km for s in self.sessions if s.kind is not WorkoutType.RACE)


@dataclass(frozen=True, slots=True)
class Correction:
    """What a guardrail changed on a day (day None: the whole week)."""

    day: date | None
    rule: Rule
    before: WorkoutType = WorkoutType.REST
    after: WorkoutType = WorkoutType.REST
    before_km: float = 0.0
    after_km: float = 0.0


@dataclass(frozen=True, slots=True)
class Guarded:
    """A plan after the guardrails: its sessions, what changed, and the days to describe anew."""

    sessions: tuple[Session, ...]
    corrections: tuple[Correction, ...]
    rewritten: frozenset[date]


def _round_half(km: float) -> float:
    """Round to the nearest half kilometre."""
    return round(km * 2) / 2


def chronic_load(snapshot: TrainingSnapshot) -> float:
    """Return the mean daily load of the 28 completed days before today."""
    days = snapshot.load.daily[-29:-1]
    return sum(day.trimp for day in days) / 28 if days else 0.0


def load_spike(snapshot: TrainingSnapshot) -> bool:
    """Tell whether the ACWR shows a spike over a chronic load big enough to judge by."""
    value = snapshot.load.acwr
    return value is not None and value > ACWR_LIMIT and chronic_load(snapshot) >= MIN_CHRONIC_TRIMP


def race_pace(snapshot: TrainingSnapshot) -> float | None:
    """Return the pace of goal-pace work: the goal, unless fitness does not support it yet."""
    race = snapshot.race
    if race is None or race.goal_pace_s_per_km is None:
        return None
    if race.predicted_time_s is None:
        return race.goal_pace_s_per_km
    supported = race.predicted_time_s / (race.distance_m / 1000.0) * (1.0 - ON_TRACK_MARGIN)
    return max(race.goal_pace_s_per_km, supported)


def session_pace(
    kind: WorkoutType, paces: TrainingPaces | None, race_pace_s_per_km: float | None
) -> float | None:
    """Return the target pace (s/km) a session type calls for, from VDOT paces and race pace."""
    if kind is WorkoutType.REST:
        return None
    if kind in (WorkoutType.RACE_PACE, WorkoutType.RACE) and race_pace_s_per_km is not None:
        return round(race_pace_s_per_km, 1)
    if paces is None:
        return None
    by_type = {
        WorkoutType.RECOVERY: paces.easy * RECOVERY_PACE_FACTOR,
        WorkoutType.EASY: paces.easy,
        WorkoutType.LONG: paces.easy,
        WorkoutType.MARATHON: paces.marathon,
        WorkoutType.TEMPO: paces.threshold,
        WorkoutType.INTERVALS: paces.interval,
        WorkoutType.REPETITION: paces.repetition,
    }
    pace = by_type.get(kind)
    return None if pace is None else round(pace, 1)


def heat_paced(day: date, pace: float | None, heat: Heat | None) -> float | None:
    """Return the pace of a session on `day`, slowed by the heat forecast for that day."""
    if pace is None or heat is None or heat.day != day or not heat.slowdown_pct:
        return pace
    return round(pace * (1 + heat.slowdown_pct / 100), 1)


def structure_for(kind: WorkoutType, week_km: float, room_km: float | None = None) -> Structure:
    """
    Return a quality session's contents for a week of `week_km`, fitted into `room_km` if given.

    The work is Daniels' share of the week within its cap; warm-up and cool-down are 2 km each from
    4 km of work (or a 10 km session), 1.5 km from 2 km (or 7 km), else 1 km, and grow to fill a
    longer session (3 km each at most). Repetitions shorten when little work fits.
    """
    share, cap, rep, jog = _WORK[kind]
    work = max(_MIN_WORK_KM, min(week_km * share, cap))
    if room_km is None:
        ends = 2.0 if work >= 4 else 1.5 if work >= 2 else 1.0
        space = math.inf
    else:
        ends = 2.0 if room_km >= 10 else 1.5 if room_km >= 7 else 1.0
        space = max(0.4, room_km - 2 * ends)
        work = min(work, space)
    if kind is WorkoutType.TEMPO and work > TEMPO_BLOCK_KM:
        # Beyond a 20-30 minute tempo, Daniels splits threshold work into cruise intervals.
        rep, jog = 2.0, 0.4
    if rep == 0.0:
        shape = Structure(ends, 1, max(0.5, math.floor(work * 2) / 2), 0.0, ends)
    else:
        if work < 2 * rep and kind is not WorkoutType.REPETITION:
            rep, jog = (0.4, 0.2) if kind is WorkoutType.INTERVALS else (1.0, 0.4)
        reps = int(work / rep + 1e-9)
        if room_km is not None:
            reps = min(reps, int((space + jog) / (rep + jog) + 1e-9))
        shape = Structure(ends, max(1, reps), rep, jog, ends)
    if room_km is not None and shape.distance_km < room_km:
        extra = min(2 * (3.0 - ends), room_km - shape.distance_km) / 2
        shape = replace(shape, warmup_km=ends + extra, cooldown_km=ends + extra)
    return shape


def _run_kind(
    run: RunSummary, paces: TrainingPaces | None, long_km: float, typical: float | None
) -> WorkoutType:
    """
    Classify a run already done: a race, a fast run, a long run or an easy one.

    A run is fast near threshold pace or quicker, and clearly quicker than the runner's usual
    pace (VDOT comes from the same runs, so the usual pace alone would read as threshold).
    """
    km = run.distance_m / 1000.0
    if run.race:
        return WorkoutType.RACE
    pace = run.pace_s_per_km
    if (
        paces is not None
        and pace is not None
        and typical is not None
        and km >= MIN_RUN_KM
        and pace <= paces.threshold * 1.02
        and pace <= typical * 0.95
    ):
        return WorkoutType.TEMPO
    if km >= max(12.0, 0.8 * long_km):
        return WorkoutType.LONG
    return WorkoutType.EASY


def _day_kind(snapshot: TrainingSnapshot, day: date) -> WorkoutType | None:
    """Return the hardest kind of the runs done on `day`, None without a run."""
    paces = sorted(run.pace_s_per_km for run in snapshot.recent_runs if run.pace_s_per_km)
    typical = paces[len(paces) // 2] if paces else None
    kinds = [
        _run_kind(run, snapshot.paces, snapshot.recent.recent_long_km, typical)
        for run in snapshot.recent_runs
        if run.start.date() == day
    ]
    if not kinds:
        return None
    return next((kind for kind in kinds if kind in HARD), kinds[0])


@dataclass(frozen=True, slots=True)
class _Week:
    """The week's shape before sessions get their days."""

    situation: Situation
    target_km: float
    days: int
    max_quality: int
    beginner: bool
    strides: bool


def _comeback_target(snapshot: TrainingSnapshot) -> float | None:
    """Return the comeback week's volume, None when this is no comeback."""
    recent = snapshot.recent
    back = recent.gap_ended_days_ago
    if recent.gap_days < COMEBACK_GAP_DAYS or recent.before_gap_km <= 0:
        return None
    former = recent.before_gap_km
    if back is not None and (back >= COMEBACK_MAX_DAYS or recent.weeks_km[0] >= 0.9 * former):
        return None
    share = 0.5 if recent.gap_days <= 28 else 0.33 if recent.gap_days <= 56 else 0.25
    restart = max(STARTER_KM, former * share)
    return min(former, max(restart, recent.weeks_km[0] * GROWTH))


def _shape(snapshot: TrainingSnapshot) -> _Week:
    """Decide the situation, the volume, the running days and how much quality fits."""
    recent = snapshot.recent
    race = snapshot.race
    phase = None if race is None else str(race.phase)
    chronic = recent.chronic_km
    beginner = chronic < BEGINNER_KM or 0 < recent.runs_per_week <= 3
    comeback = _comeback_target(snapshot)
    quality = 0 if phase == "base" and beginner else 1 if beginner or phase == "base" else 2
    if chronic < FIRST_QUALITY_KM:
        quality = 0
    if race is not None and phase == "recovery" and -race.days_to_race <= _recovery_days(snapshot):
        situation, target, quality = Situation.RECOVERY, chronic * RECOVERY_FACTOR, 0
    elif phase == "race_week":
        situation, target, quality = Situation.RACE_WEEK, chronic * RACE_WEEK_FACTOR, 1
    elif phase == "taper":
        situation, target = Situation.TAPER, chronic * TAPER_FACTOR
    elif comeback is not None:
        back = recent.gap_ended_days_ago
        situation, target = Situation.COMEBACK, comeback
        quality = 0 if back is None or back < 14 else min(quality, 1)
    elif chronic < 1.0:
        situation, target, quality = Situation.STARTER, STARTER_KM, 0
    elif load_spike(snapshot) or ((tsb := snapshot.load.tsb) is not None and tsb < TSB_LIMIT):
        # Lighter than the weeks before the jump, not than the jump itself.
        before = sum(recent.weeks_km[1:5]) / 4
        target = DELOAD_FACTOR * min(chronic, before)
        situation, quality = Situation.DELOAD, min(quality, 1)
    else:
        factor = PHASE_FACTOR.get(phase if phase != "recovery" else None, 1.0)
        last = recent.weeks_km[0]
        # A week above the average counts half: growth goes on without chasing a big week.
        base = (chronic + last) / 2 if last > chronic else chronic
        growth_cap = GROWTH * max(last, chronic)
        situation, target = Situation.STEADY, min(base * factor, growth_cap)
    by_volume = 3 if target < 15 else 4 if target < 30 else 5 if target < 50 else 6
    habit = round(recent.runs_per_week)
    days = (
        min(by_volume, max(3, habit))
        if habit and situation is not Situation.COMEBACK
        else by_volume
    )
    if beginner and 0 < recent.runs_per_week <= 3:
        days = 3
    back = recent.gap_ended_days_ago
    strides = situation is not Situation.STARTER and not (
        situation is Situation.COMEBACK and (back is None or back < 7)
    )
    return _Week(situation, max(target, MIN_RUN_KM), days, quality, beginner, strides)


def _recovery_days(snapshot: TrainingSnapshot) -> int:
    """Return the easy days after the goal race: one per mile raced."""
    race = snapshot.race
    return 0 if race is None else round(race.distance_m / 1000.0 / KM_PER_MILE)


def _long_km(snapshot: TrainingSnapshot, week: _Week) -> float:
    """Return the long run: a share of the week, near the recent long runs, within the caps."""
    recent_long = snapshot.recent.recent_long_km
    share = BEGINNER_LONG_SHARE if week.beginner else LONG_SHARE
    km = week.target_km * share
    if recent_long > 0 and week.situation is Situation.STEADY:
        # Held near the recent long runs; it grows by 10 % or a mile, whichever is more.
        km = max(km, min(recent_long, week.target_km * 0.5))
        km = min(km, max(recent_long * GROWTH, recent_long + LONG_STEP_KM))
    elif recent_long > 0 and week.situation in (Situation.DELOAD, Situation.TAPER):
        km = max(km, min(recent_long * 0.7, week.target_km * 0.45))
    return min(km, _long_cap(snapshot))


def _long_cap(snapshot: TrainingSnapshot) -> float:
    """Return the longest long run the goal and Daniels' 150 minutes allow."""
    race = snapshot.race
    cap = NO_RACE_LONG_KM
    if race is not None and race.days_to_race >= 0:
        cap = min(MAX_LONG_KM, max(16.0, race.distance_m / 1000.0 * 1.1))
    if snapshot.paces is not None:
        cap = min(cap, MAX_LONG_MIN * 60.0 / snapshot.paces.easy)
    return cap


def _kinds(
    snapshot: TrainingSnapshot, week: _Week, start: date
) -> tuple[dict[date, WorkoutType], set[date], set[date]]:
    """Place the week's kinds on days; return them, the easy-only days and the strides days."""
    race = snapshot.race
    phase = None if race is None else str(race.phase)
    if phase == "recovery":
        phase = None
    layout = _LAYOUT[week.days]
    quality = list(_PHASE_QUALITY.get(phase, _PHASE_QUALITY[None])[: week.max_quality])
    days = [start + timedelta(days=offset) for offset in range(PLAN_DAYS)]
    kinds: dict[date, WorkoutType] = {}
    strides: set[date] = set()
    long_run = week.situation not in (Situation.RACE_WEEK, Situation.RECOVERY)
    for day in days:
        weekday = day.weekday()
        kind = WorkoutType.REST if weekday not in layout else WorkoutType.EASY
        if kind is WorkoutType.EASY and weekday == _LONG_DAY and long_run:
            kind = WorkoutType.LONG
        elif kind is WorkoutType.EASY and weekday in _QUALITY_DAYS:
            slot = _QUALITY_DAYS.index(weekday)
            if slot < len(quality):
                kind = quality[slot]
            elif weekday == _QUALITY_DAYS[0] and week.strides:
                strides.add(day)
        kinds[day] = kind
    easy_only: set[date] = set()
    if week.situation is Situation.DELOAD:
        easy_only |= set(days[:3])
        if kinds[days[0]] is not WorkoutType.REST:
            kinds[days[0]] = WorkoutType.REST
    if race is not None:
        _place_race(kinds, easy_only, strides, race=race, after=_recovery_days(snapshot), days=days)
    return kinds, easy_only, strides


def _place_race(
    kinds: dict[date, WorkoutType],
    easy_only: set[date],
    strides: set[date],
    *,
    race: RaceOutlook,
    after: int,
    days: list[date],
) -> None:
    """Put the race in the week: shake-out, a day off, race day; after it, rest then recovery."""
    race_day = race.race_date
    for day in days:
        gap = (race_day - day).days
        if gap == 0:
            kinds[day] = WorkoutType.RACE
        elif gap == 1:
            kinds[day] = WorkoutType.REST
        elif gap == 2:
            kinds[day] = WorkoutType.EASY
            strides.add(day)
        elif 0 > gap >= -2:
            kinds[day] = WorkoutType.REST
            easy_only.add(day)
        elif 0 > gap >= -after:
            easy_only.add(day)
            if kinds[day] is not WorkoutType.REST:
                kinds[day] = WorkoutType.RECOVERY
    for day in easy_only:
        if kinds[day] in HARD and kinds[day] is not WorkoutType.RACE:
            kinds[day] = WorkoutType.EASY


def _space(
    kinds: dict[date, WorkoutType], before_hard: bool, fixed: set[date]
) -> dict[date, WorkoutType]:
    """Turn a hard day that follows a hard day into an easy one (a race is never moved)."""
    previous_hard = before_hard
    for day in sorted(kinds):
        kind = kinds[day]
        if kind in HARD and previous_hard and kind is not WorkoutType.RACE and day not in fixed:
            kinds[day] = WorkoutType.EASY
            kind = WorkoutType.EASY
        previous_hard = kind in HARD
    return kinds


def plan_week(snapshot: TrainingSnapshot, start: date) -> WeekPlan:
    """Plan the seven days from `start` (see the module docstring for the rules)."""
    week = _shape(snapshot)
    kinds, easy_only, strides = _kinds(snapshot, week, start)
    done: dict[date, WorkoutType] = {}
    if start == snapshot.today and snapshot.recent.today_runs:
        done_kind = _day_kind(snapshot, start) or WorkoutType.EASY
        done[start] = done_kind
        kinds[start] = done_kind
        strides.discard(start)
    before = _day_kind(snapshot, start - timedelta(days=1))
    before_hard = before is not None and before in HARD
    conditions = snapshot.conditions
    changes: list[Change] = []
    if start == snapshot.today and start not in done:
        changes += _ease_today(kinds, easy_only, start, conditions.readiness)
    changes += _clear_busy(
        kinds, conditions.busy_days, set(done) | easy_only | strides, before_hard=before_hard
    )
    kinds = _space(kinds, before_hard, set(done))
    long_km = _round_half(_long_km(snapshot, week))
    pace = race_pace(snapshot)
    sessions: dict[date, Session] = {}
    for day, kind in kinds.items():
        if day in done:
            sessions[day] = Session(
                day, kind, round(snapshot.recent.today_km, 1), None, None, False, True
            )
        elif kind is WorkoutType.RACE and snapshot.race is not None:
            sessions[day] = Session(day, kind, round(snapshot.race.distance_m / 1000.0, 1))
        elif kind in QUALITY:
            shape = structure_for(kind, week.target_km)
            sessions[day] = Session(day, kind, round(shape.distance_km, 1), structure=shape)
        elif kind is WorkoutType.LONG:
            sessions[day] = Session(day, kind, long_km)
    _fill_easy(sessions, kinds, week, strides=strides, long_km=long_km, done=done)
    heat = conditions.heat
    final = tuple(
        replace(
            s, pace_s_per_km=heat_paced(s.day, session_pace(s.kind, snapshot.paces, pace), heat)
        )
        if not s.done
        else s
        for s in sorted(sessions.values(), key=lambda s: s.day)
    )
    low = (
        0.4 if week.situation in (Situation.TAPER, Situation.RACE_WEEK, Situation.RECOVERY) else 0.6
    )
    return WeekPlan(
        start=start,
        sessions=final,
        situation=week.situation,
        phase=None if snapshot.race is None else str(snapshot.race.phase),
        target_km=round(week.target_km, 1),
        band_km=(round(week.target_km * low, 1), round(week.target_km * GROWTH, 1)),
        long_limit_km=max(
            [MIN_RUN_KM, long_km]
            + [s.distance_km for s in final if s.kind is not WorkoutType.RACE and not s.done]
        ),
        max_quality=week.max_quality,
        easy_only=frozenset(easy_only),
        before_start_hard=before_hard,
        race_pace_s_per_km=pace,
        goal_beyond_fitness=goal_beyond_fitness(snapshot, pace),
        paces=snapshot.paces,
        changes=tuple(changes),
        heat=heat,
    )


def _ease_today(
    kinds: dict[date, WorkoutType], easy_only: set[date], today: date, readiness: Readiness
) -> list[Change]:
    """Make today a rest day (readiness "rest") or an easy one ("caution"); a race stays."""
    before = kinds[today]
    if readiness.state not in (ReadinessState.CAUTION, ReadinessState.REST):
        return []
    if before is WorkoutType.RACE:
        return []
    easy_only.add(today)
    if readiness.state is ReadinessState.REST:
        after = WorkoutType.REST
    else:
        after = WorkoutType.EASY if before in HARD else before
    if after is before:
        return []
    kinds[today] = after
    return [Change(today, ChangeReason.READINESS, before, after)]


def _clear_busy(
    kinds: dict[date, WorkoutType],
    busy: frozenset[date],
    fixed: set[date],
    *,
    before_hard: bool,
) -> list[Change]:
    """
    Move key sessions off busy days to the nearest free easy day that keeps hard/easy spacing.

    The later of two equally near days wins; with no such day the session becomes an easy run.
    """
    changes: list[Change] = []
    days = sorted(kinds)

    def hard(day: date) -> bool:
        if day < days[0]:
            return before_hard
        return kinds.get(day, WorkoutType.REST) in HARD

    for day in days:
        kind = kinds[day]
        if day not in busy or kind not in HARD or kind is WorkoutType.RACE or day in fixed:
            continue
        kinds[day] = WorkoutType.EASY
        free = [
            other
            for other in days
            if other not in busy
            and other not in fixed
            and kinds[other] is WorkoutType.EASY
            and not hard(other - timedelta(days=1))
            and not hard(other + timedelta(days=1))
        ]
        target = min(free, key=lambda other: (abs((other - day).days), other < day), default=None)
        if target is not None:
            kinds[target] = kind
        changes.append(
            Change(day, ChangeReason.BUSY, kind, kind if target else WorkoutType.EASY, target)
        )
    return changes


def goal_beyond_fitness(snapshot: TrainingSnapshot, pace: float | None) -> bool:
    """Tell whether goal-pace work runs slower than the goal, because fitness is not there yet."""
    race = snapshot.race
    goal = None if race is None else race.goal_pace_s_per_km
    return pace is not None and goal is not None and pace > goal + 0.05


def _fill_easy(
    sessions: dict[date, Session],
    kinds: dict[date, WorkoutType],
    week: _Week,
    *,
    strides: set[date],
    long_km: float,
    done: dict[date, WorkoutType],
) -> None:
    """Share the rest of the week's volume over the easy days, shorter and longer in turn."""
    counted = sum(s.distance_km for s in sessions.values() if s.kind is not WorkoutType.RACE)
    easy = [
        day for day in sorted(kinds) if day not in sessions and kinds[day] is not WorkoutType.REST
    ]
    left = max(0.0, week.target_km - counted)
    while len(easy) > 1 and left / len(easy) < MIN_RUN_KM:
        # Too little volume for every easy day: drop one (not a shake-out before a race).
        dropped = next((day for day in easy if day not in strides), easy[-1])
        easy.remove(dropped)
        kinds[dropped] = WorkoutType.REST
    weights = [1.15 if index % 2 else 0.85 for index in range(len(easy))]
    if len(easy) % 2:
        weights[-1] = 1.0
    total = sum(weights) or 1.0
    # An easy day stays shorter than the long run, unless the week is too big for that.
    ceiling = max(long_km, week.target_km * 0.2, MIN_RUN_KM)
    for day, weight in zip(easy, weights, strict=True):
        kind = kinds[day]
        km = left * weight / total
        if day in strides and kind is WorkoutType.EASY and week.situation is Situation.RACE_WEEK:
            km = MIN_RUN_KM
        km = max(MIN_RUN_KM, _round_half(min(km, ceiling)))
        if kind is WorkoutType.RECOVERY:
            km = min(km, 5.0)
        sessions[day] = Session(day, kind, km, strides=day in strides)
    for day, kind in kinds.items():
        if kind is WorkoutType.REST and day not in done:
            sessions[day] = Session(day, WorkoutType.REST, 0.0)


# --- guardrails -------------------------------------------------------------------------------

_REPS: Final = re.compile(r"(\d+)\s*[x\u00d7]\s*(\d+(?:[.,]\d+)?)\s*(km|m|mi)\b", re.IGNORECASE)
_AMOUNT: Final = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*(km|mi)\b", re.IGNORECASE)
_SCALE: Final = {"km": 1.0, "m": 0.001, "mi": KM_PER_MILE}
MIN_JOG_KM: Final = 0.2


def described_km(text: str) -> float:
    """
    Return the least distance a description spells out, in km, in any language.

    Repetitions ("5 x 1 km", "8x400m") with at least 200 m of jog between them, other distances
    ("warm up 2 km") and, around repetitions, at least 1 km of warm-up and 1 km of cool-down.
    """
    reps = 0.0
    for count, size, unit in _REPS.findall(text):
        value = float(size.replace(",", ".")) * _SCALE[unit.lower()]
        reps += int(count) * value + (int(count) - 1) * MIN_JOG_KM
    others = sum(
        float(size.replace(",", ".")) * _SCALE[unit.lower()]
        for size, unit in _AMOUNT.findall(_REPS.sub(" ", text))
    )
    return reps + (max(others, 2.0) if reps else others)


def _easy_from(session: Session, plan: WeekPlan, kind: WorkoutType = WorkoutType.EASY) -> Session:
    """Return an easy run in place of `session`, no longer than an easy day of the plan."""
    easy = [
        s.distance_km for s in plan.sessions if s.kind in (WorkoutType.EASY, WorkoutType.RECOVERY)
    ]
    longest = max(easy, default=max(MIN_RUN_KM, plan.target_km / 4))
    return Session(session.day, kind, min(max(session.distance_km, MIN_RUN_KM), longest))


def _pace(session: Session, plan: WeekPlan, default: float) -> float:
    """Return the pace a session will be run at, `default` when no pace is known."""
    pace = session_pace(session.kind, plan.paces, plan.race_pace_s_per_km)
    return pace or session.pace_s_per_km or default


def _hard_minutes(session: Session, plan: WeekPlan) -> float:
    """Return the minutes at quality pace of a session (its work, not its warm-up)."""
    if session.structure is None or session.kind not in QUALITY or session.done:
        return 0.0
    return session.structure.work_km * _pace(session, plan, 300.0) / 60.0


def _minutes(session: Session, plan: WeekPlan) -> float:
    """Return a session's running minutes."""
    return session.distance_km * _pace(session, plan, 360.0) / 60.0


class _Guard:
    """One pass of the rules over a proposed week, noting each change."""

    def __init__(self, proposed: Sequence[Session], plan: WeekPlan) -> None:
        self.plan = plan
        self.base = {session.day: session for session in plan.sessions}
        self.days = {session.day: session for session in proposed}
        self.corrections: list[Correction] = []
        self.rewritten: set[date] = set()

    def change(self, rule: Rule, after: Session, *, words: bool = True) -> None:
        """Replace a day, noting the rule (and that its words must be written anew)."""
        before = self.days[after.day]
        self.corrections.append(
            Correction(
                after.day, rule, before.kind, after.kind, before.distance_km, after.distance_km
            )
        )
        self.days[after.day] = after
        if words:
            self.rewritten.add(after.day)

    def fixed_days(self) -> None:
        """Race days, days done and easy-only days are the planner's."""
        for day, base in self.base.items():
            proposed = self.days[day]
            if base.done:
                if not proposed.done:
                    self.change(Rule.TODAY_DONE, base)
            elif base.kind is WorkoutType.RACE or proposed.kind is WorkoutType.RACE:
                if (
                    proposed.kind is not base.kind
                    or abs(proposed.distance_km - base.distance_km) > 0.1
                ):
                    self.change(Rule.RACE_DAYS, base)
            elif day in self.plan.easy_only and base.kind is WorkoutType.REST:
                if proposed.kind is not WorkoutType.REST:
                    self.change(Rule.EASY_ONLY, base)
            elif day in self.plan.easy_only and proposed.kind in HARD:
                self.change(
                    Rule.EASY_ONLY,
                    _easy_from(
                        proposed,
                        self.plan,
                        base.kind if base.kind is WorkoutType.RECOVERY else WorkoutType.EASY,
                    ),
                )
            elif self._near_race(day) and proposed.kind is not base.kind:
                self.change(Rule.RACE_DAYS, base)

    def _near_race(self, day: date) -> bool:
        """Tell whether `day` is one of the two days before a race of this week."""
        return any(
            s.kind is WorkoutType.RACE and 0 < (s.day - day).days <= 2 for s in self.base.values()
        )

    def quality(self) -> None:
        """At most the plan's number of quality sessions; no hard day after a hard day."""
        count = 0
        previous_hard = self.plan.before_start_hard
        for day in sorted(self.days):
            session = self.days[day]
            if session.kind in QUALITY and not session.done:
                count += 1
                if count > self.plan.max_quality:
                    self.change(Rule.QUALITY_COUNT, _easy_from(session, self.plan))
                    session = self.days[day]
            if (
                session.kind in HARD
                and previous_hard
                and not session.done
                and session.kind is not WorkoutType.RACE
            ):
                self.change(Rule.HARD_AFTER_HARD, _easy_from(session, self.plan))
                session = self.days[day]
            previous_hard = session.kind in HARD

    def distances(self, descriptions: dict[date, str]) -> None:
        """No run beyond the long-run limit; quality sessions with contents that fit them."""
        limit = self.plan.long_limit_km
        for day in sorted(self.days):
            session = self.days[day]
            if session.done or session.kind in (WorkoutType.REST, WorkoutType.RACE):
                continue
            if session.kind is WorkoutType.LONG and self.plan.situation in (
                Situation.RACE_WEEK,
                Situation.RECOVERY,
            ):
                self.change(Rule.LONG_RUN, _easy_from(session, self.plan))
            elif session.kind in QUALITY:
                room = min(session.distance_km, limit)
                fitted = structure_for(session.kind, self.plan.target_km, room)
                fitted_km = round(fitted.distance_km, 1)
                spelled = described_km(descriptions.get(day, ""))
                if session.distance_km > fitted_km + 0.5 or spelled > session.distance_km + 0.5:
                    after = replace(session, distance_km=fitted_km, structure=fitted)
                    self.change(Rule.CONTENTS, after)
                else:
                    self.days[day] = replace(session, structure=fitted)
            elif session.distance_km > limit + 0.5:
                self.change(Rule.LONG_RUN, replace(session, distance_km=limit), words=False)

    def rest(self) -> None:
        """Keep a rest day in the week when the planner's has one (Foster: monotony)."""
        if any(s.kind is WorkoutType.REST for s in self.days.values()):
            return
        day = next((s.day for s in self.plan.sessions if s.kind is WorkoutType.REST), None)
        if day is not None:
            self.change(Rule.REST_DAY, self.base[day])

    def share(self) -> None:
        """Time at quality pace within Seiler's ~20 % of the week's running time."""
        while True:
            sessions = list(self.days.values())
            total = sum(_minutes(s, self.plan) for s in sessions)
            hard = sum(_hard_minutes(s, self.plan) for s in sessions)
            if total <= 0 or hard <= HARD_TIME_SHARE * total:
                return
            last = max(
                (s for s in sessions if s.kind in QUALITY and not s.done), key=lambda s: s.day
            )
            self.change(Rule.QUALITY_SHARE, _easy_from(last, self.plan))

    def volume(self) -> bool:
        """Keep the week inside the safe band; False when it is too small to keep."""
        low, high = self.plan.band_km
        counted = [s for s in self.days.values() if s.kind is not WorkoutType.RACE]
        total = sum(s.distance_km for s in counted)
        if total < low:
            return False
        if total > high:
            movable = [
                s
                for s in counted
                if s.kind in (WorkoutType.EASY, WorkoutType.LONG, WorkoutType.RECOVERY)
                and not s.done
            ]
            fixed = total - sum(s.distance_km for s in movable)
            scale = max(0.0, (self.plan.target_km - fixed)) / max(1e-9, total - fixed)
            if fixed + MIN_RUN_KM * len(movable) > high:
                return False  # too many runs for the volume: the planner's week instead
            for session in movable:
                km = max(MIN_RUN_KM, _round_half(session.distance_km * scale))
                if km < session.distance_km:
                    self.change(Rule.VOLUME_HIGH, replace(session, distance_km=km), words=False)
        return True


def guard(
    proposed: Sequence[Session], plan: WeekPlan, descriptions: dict[date, str] | None = None
) -> Guarded:
    """
    Hold a proposed week (one session per day of `plan`) to the planner's rules.

    Days that break a rule are corrected (a hard day made easy, a distance cut) or taken from the
    planner; a week outside the volume band is replaced by the planner's. Paces always come from
    the VDOT paces and the supported race pace.
    """
    if sorted(s.day for s in proposed) != [s.day for s in plan.sessions]:
        raise ValueError("the proposed week does not cover the plan's days")
    checker = _Guard(proposed, plan)
    checker.fixed_days()
    checker.rest()
    checker.quality()
    checker.distances(descriptions or {})
    checker.share()
    if not checker.volume():
        return Guarded(
            plan.sessions,
            (
                Correction(
                    None,
                    Rule.VOLUME_LOW,
                    before_km=sum(s.distance_km for s in proposed),
                    after_km=plan.total_km,
                ),
            ),
            frozenset(s.day for s in plan.sessions),
        )
    sessions = []
    for day in sorted(checker.days):
        session = checker.days[day]
        if session.done:
            sessions.append(session)
            continue
        pace = heat_paced(
            day, session_pace(session.kind, plan.paces, plan.race_pace_s_per_km), plan.heat
        )
        if pace is None and plan.paces is None and session.kind is not WorkoutType.REST:
            pace = session.pace_s_per_km
        if (
            session.kind in (WorkoutType.RACE_PACE, WorkoutType.RACE)
            and session.pace_s_per_km is not None
            and pace is not None
            and session.pace_s_per_km < pace - 2.0
        ):
            checker.corrections.append(
                Correction(
                    day,
                    Rule.PACE,
                    session.kind,
                    session.kind,
                    session.distance_km,
                    session.distance_km,
                )
            )
        sessions.append(replace(session, pace_s_per_km=pace))
    return Guarded(tuple(sessions), _by_day(checker.corrections), frozenset(checker.rewritten))


def _by_day(corrections: Sequence[Correction]) -> tuple[Correction, ...]:
    """Merge a day's corrections into one, from the proposal to the result, under the first rule."""
    merged: dict[date | None, Correction] = {}
    for correction in corrections:
        first = merged.get(correction.day)
        if first is None:
            merged[correction.day] = correction
        else:
            merged[correction.day] = replace(
                first, after=correction.after, after_km=correction.after_km
            )
    return tuple(sorted(merged.values(), key=lambda c: c.day or date.min))
