"""Runners off and on the textbook path: synthetic histories a coach would recognise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from custom_components.coach_dyno.training import (
    Activity,
    AthleteProfile,
    GoalRace,
    TrainingSnapshot,
    compute_snapshot,
)

TODAY = date(2026, 11, 3)  # a Tuesday
HALF_M = 21097.5


def runs(
    first: date,
    days: int,
    km_of: Callable[[date], float],
    *,
    pace: float = 330.0,
    hr: float | None = 148.0,
    start_id: int = 1,
) -> list[Activity]:
    """Return one run a day from `first` for `days` days, `km_of(day)` km long (0: no run)."""
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        km = km_of(day)
        if km <= 0:
            continue
        out.append(
            Activity(
                id=start_id + offset,
                start=datetime.combine(day, time(6, 30), tzinfo=UTC),
                sport_type="Run",
                distance_m=km * 1000,
                moving_s=km * pace,
                avg_hr=hr,
                max_hr=None if hr is None else hr + 20,
            )
        )
    return out


def weekly(
    km_per_week: float, *, runs_per_week: int = 5, long_share: float = 0.3
) -> Callable[[date], float]:
    """Return a week's pattern: a long run on Sunday, the rest spread over the other run days."""
    days = {3: (1, 3, 6), 4: (1, 3, 5, 6), 5: (1, 2, 3, 5, 6), 6: (1, 2, 3, 4, 5, 6)}
    run_days = days.get(runs_per_week, tuple(range(7)))
    long_km = km_per_week * long_share if 6 in run_days else 0.0
    others = (km_per_week - long_km) / (len(run_days) - (1 if long_km else 0))

    def km_of(day: date) -> float:
        if day.weekday() not in run_days:
            return 0.0
        return long_km if day.weekday() == 6 and long_km else others

    return km_of


def profile(
    *, race_day: date | None = None, goal_s: float | None = 105 * 60.0, km: float = 21.0975
) -> AthleteProfile:
    """Return a profile, with a goal race on `race_day` when given."""
    goal = None
    if race_day is not None:
        goal = GoalRace(
            race_date=race_day, distance_m=km * 1000, goal_time_s=goal_s, name="City Half"
        )
    return AthleteProfile(hr_rest=50, hr_max=190, goal=goal)


@dataclass(frozen=True)
class Scenario:
    """A named runner: their snapshot as of the morning of `today`."""

    name: str
    snapshot: TrainingSnapshot


def _snap(
    activities: list[Activity], prof: AthleteProfile, today: date = TODAY
) -> TrainingSnapshot:
    return compute_snapshot(activities, prof, today)


def steady_base() -> TrainingSnapshot:
    """Forty-five km a week for a year, a half marathon 19 weeks away (base phase)."""
    first = TODAY - timedelta(days=364)
    return _snap(runs(first, 364, weekly(45)), profile(race_day=TODAY + timedelta(weeks=19)))


def spike() -> TrainingSnapshot:
    """Twenty-five km weeks, then a 60 km week just ended: the acute load jumps."""
    first = TODAY - timedelta(days=70)
    base = runs(first, 63, weekly(25))
    jump = runs(TODAY - timedelta(days=7), 7, lambda _: 60 / 7, start_id=1000)
    return _snap(base + jump, profile(race_day=TODAY + timedelta(weeks=12)))


def deep_fatigue() -> TrainingSnapshot:
    """Fifty km weeks, then ten days of 18 km a day: form far below -30."""
    first = TODAY - timedelta(days=90)
    base = runs(first, 80, weekly(50))
    block = runs(TODAY - timedelta(days=10), 10, lambda _: 18.0, hr=160, start_id=1000)
    return _snap(base + block, profile(race_day=TODAY + timedelta(weeks=12)))


def taper() -> TrainingSnapshot:
    """Fifty km weeks with 18 km long runs; the half marathon in ten days."""
    first = TODAY - timedelta(days=120)
    return _snap(
        runs(first, 120, weekly(50, long_share=0.36)), profile(race_day=TODAY + timedelta(days=10))
    )


def race_week() -> TrainingSnapshot:
    """Fifty km weeks; the half marathon in three days."""
    first = TODAY - timedelta(days=120)
    return _snap(runs(first, 120, weekly(50)), profile(race_day=TODAY + timedelta(days=3)))


def day_after_race() -> TrainingSnapshot:
    """Fifty km weeks, a taper, and yesterday's half marathon."""
    race_day = TODAY - timedelta(days=1)
    first = TODAY - timedelta(days=120)
    history = runs(first, 110, weekly(50))
    race = Activity(
        id=5000,
        start=datetime.combine(race_day, time(7), tzinfo=UTC),
        sport_type="Run",
        distance_m=HALF_M,
        moving_s=HALF_M / 1000 * 290,
        avg_hr=172,
        race=True,
    )
    return _snap([*history, race], profile(race_day=race_day))


def comeback(today: date = TODAY, extra: list[Activity] | None = None) -> TrainingSnapshot:
    """Return eight weeks at 40 km, a month off, then a first 5 km jog yesterday."""
    stop = TODAY - timedelta(days=33)
    history = runs(stop - timedelta(days=56), 56, weekly(40))
    jog = runs(TODAY - timedelta(days=1), 1, lambda _: 5.0, pace=360, start_id=9000)
    return _snap([*history, *jog, *(extra or [])], profile(), today)


def no_heart_rate() -> TrainingSnapshot:
    """Return the steady runner, with a watch that records no heart rate."""
    first = TODAY - timedelta(days=364)
    return _snap(
        runs(first, 364, weekly(45), hr=None), profile(race_day=TODAY + timedelta(weeks=19))
    )


def beginner() -> TrainingSnapshot:
    """About 10 km a week in three runs, no goal race."""
    first = TODAY - timedelta(days=56)
    return _snap(runs(first, 56, weekly(10, runs_per_week=3, long_share=0.4), pace=420), profile())


def unrealistic_goal() -> TrainingSnapshot:
    """Return a 6:00/km runner aiming at a 1:30 half marathon in 12 weeks."""
    first = TODAY - timedelta(days=120)
    history = runs(first, 120, weekly(30), pace=360)
    return _snap(history, profile(race_day=TODAY + timedelta(weeks=12), goal_s=90 * 60.0))


def same_run_every_day() -> TrainingSnapshot:
    """Ten km every single day for eight weeks, no goal."""
    first = TODAY - timedelta(days=56)
    return _snap(runs(first, 56, lambda _: 10.0), profile())


def high_volume() -> TrainingSnapshot:
    """Return a hundred km a week in six runs, a marathon in ten weeks."""
    first = TODAY - timedelta(days=120)
    return _snap(
        runs(first, 120, weekly(100, runs_per_week=6, long_share=0.3), pace=290),
        profile(race_day=TODAY + timedelta(weeks=10), goal_s=3 * 3600.0, km=42.195),
    )


SCENARIOS: dict[str, Callable[[], TrainingSnapshot]] = {
    "steady_base": steady_base,
    "spike": spike,
    "deep_fatigue": deep_fatigue,
    "taper": taper,
    "race_week": race_week,
    "day_after_race": day_after_race,
    "comeback": comeback,
    "no_heart_rate": no_heart_rate,
    "beginner": beginner,
    "unrealistic_goal": unrealistic_goal,
    "same_run_every_day": same_run_every_day,
    "high_volume": high_volume,
}
