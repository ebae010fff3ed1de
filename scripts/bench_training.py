"""
Benchmark of the training engine on a synthetic 10-year daily-running history.

Prints the median time of `compute_snapshot` (budget: well under 25 ms), also when every run has an
HR histogram and when no run has heart rate (every load estimated from pace), how many times faster
it is than a deliberately naive engine that recomputes every day's load from scratch, the memory the
history takes (budget: under 15 MB), and the time to plan a week and to hold a bad plan to the
guardrails (budget: under 2 ms each), and readiness from 90 days of wellness with a week planned
around it (readiness, heat, two busy days; same budget). `bench()` returns
the same figures for `scripts/bench`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
import importlib.util
import math
from pathlib import Path
import random
import statistics
import sys
import time
import tracemalloc
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

TRAINING_DIR = (
    Path(__file__).resolve().parent.parent / "custom_components" / "coach_dyno" / "training"
)


def _load_training() -> ModuleType:
    """
    Import the training package on its own, without the integration (and Home Assistant).

    The package only uses relative imports, so it loads under a private name and the integration's
    `__init__` never runs: the bench measures the engine, not Home Assistant's import time.
    """
    name = "_coach_dyno_training_bench"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, TRAINING_DIR / "__init__.py", submodule_search_locations=[str(TRAINING_DIR)]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the training package from {TRAINING_DIR}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


training: Any = _load_training()
planner: Any = importlib.import_module("_coach_dyno_training_bench.plan")
home: Any = importlib.import_module("_coach_dyno_training_bench.conditions")
readiness: Any = importlib.import_module("_coach_dyno_training_bench.readiness")
wellness: Any = importlib.import_module("_coach_dyno_training_bench.wellness")

YEARS = 10
REPEATS = 15
NAIVE_DAYS = 90
SNAPSHOT_BUDGET_MS = 25.0
MEMORY_BUDGET_MB = 15.0
PLAN_BUDGET_MS = 2.0
PLANS_PER_SAMPLE = 100
TODAY = date(2026, 11, 15)


def synthetic_history(years: int = YEARS, seed: int = 7) -> list[Any]:
    """Return one run a day for `years` years (summary data, a race every ~6 weeks)."""
    rng = random.Random(seed)
    first = TODAY - timedelta(days=365 * years - 1)
    history: list[Any] = []
    for offset in range(365 * years):
        day = first + timedelta(days=offset)
        distance = rng.uniform(5000.0, 21000.0)
        pace = rng.uniform(270.0, 360.0)
        history.append(
            training.Activity(
                id=10_000_000 + offset,
                start=datetime(day.year, day.month, day.day, 6, 30, tzinfo=UTC),
                sport_type="Run",
                name=f"Morning Run {offset}",
                distance_m=distance,
                moving_s=distance / 1000.0 * pace,
                elapsed_s=distance / 1000.0 * pace + 60.0,
                elevation_gain_m=rng.uniform(0.0, 150.0),
                avg_hr=rng.uniform(130.0, 170.0),
                max_hr=185.0,
                race=offset % 42 == 0,
            )
        )
    return history


def naive_engine(activities: list[Any], profile: Any, today: date, days: int = NAIVE_DAYS) -> float:
    """
    Recompute everything from scratch for each of the last 90 days, as a first draft would.

    For every chart day: re-date and re-score every activity, rebuild CTL/ATL from the first day,
    and rescan the history for that day's week volume. Returns a checksum so nothing is skipped.
    """
    zone = training.resolve_time_zone(profile.time_zone)
    first = min(a.start.astimezone(zone).date() for a in activities)
    checksum = 0.0
    for back in range(days):
        end = today - timedelta(days=back)
        loads: dict[date, float] = {}
        for activity in activities:
            day = activity.start.astimezone(zone).date()
            if day <= end:
                loads[day] = loads.get(day, 0.0) + (
                    training.activity_trimp(activity, profile) or 0.0
                )
        ctl = atl = 0.0
        day = first
        while day <= end:
            load = loads.get(day, 0.0)
            ctl = ctl * math.exp(-1 / 42) + load * (1 - math.exp(-1 / 42))
            atl = atl * math.exp(-1 / 7) + load * (1 - math.exp(-1 / 7))
            day += timedelta(days=1)
        monday = end - timedelta(days=end.weekday())
        week_m = sum(
            a.distance_m for a in activities if monday <= a.start.astimezone(zone).date() <= end
        )
        checksum += ctl - atl + week_m
    return checksum


def _with_histogram(activity: Any) -> Any:
    """Return the run with a plausible HR histogram: about 40 bpm bins around its average HR."""
    center = round(activity.avg_hr)
    minutes = activity.moving_s / 60.0
    bins = [(bpm, minutes * 60.0 / 41) for bpm in range(center - 20, center + 21)]
    return replace(activity, stream_summary=training.StreamSummary(hr_seconds=bins))


def _median_ms(function: Callable[[], object], repeats: int) -> float:
    """Return the median wall time of `function()` in milliseconds."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(samples)


def bench(
    years: int = YEARS, repeats: int = REPEATS, naive_days: int = NAIVE_DAYS
) -> dict[str, float]:
    """Run the benchmark and return its figures (milliseconds, ratio, megabytes)."""
    profile = training.AthleteProfile(
        hr_rest=50.0,
        hr_max=190.0,
        time_zone="Europe/Berlin",
        goal=training.GoalRace(
            race_date=TODAY + timedelta(days=60), distance_m=21097.5, goal_time_s=6300.0
        ),
    )
    training.resolve_time_zone(profile.time_zone)

    tracemalloc.start()
    history = synthetic_history(years)
    memory_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()

    training.compute_snapshot(history, profile, TODAY)  # warm caches before timing
    snapshot_ms = _median_ms(lambda: training.compute_snapshot(history, profile, TODAY), repeats)

    naive_ms = _median_ms(lambda: naive_engine(history, profile, TODAY, naive_days), 3)

    # Years of push or a full export give every run an HR histogram: the first snapshot (after a
    # start or a new profile) weighs every bin, later ones reuse each histogram's answer.
    with_streams = [_with_histogram(activity) for activity in history]
    started = time.perf_counter()
    training.compute_snapshot(with_streams, profile, TODAY)
    streams_first_ms = (time.perf_counter() - started) * 1000.0
    streams_ms = _median_ms(
        lambda: training.compute_snapshot(with_streams, profile, TODAY), repeats
    )
    # A watch without a strap: every run's load is estimated from its pace.
    no_hr = [replace(activity, avg_hr=None, max_hr=None) for activity in history]
    no_hr_ms = _median_ms(lambda: training.compute_snapshot(no_hr, profile, TODAY), repeats)
    snapshot = training.compute_snapshot(history, profile, TODAY)
    week = planner.plan_week(snapshot, TODAY)
    bad = [
        planner.Session(s.day, planner.WorkoutType.INTERVALS, 15.0, 180.0) for s in week.sessions
    ]

    def plan_weeks() -> None:
        for _ in range(PLANS_PER_SAMPLE):
            planner.plan_week(snapshot, TODAY)

    # Ninety mornings of every wellness reading: what the coordinator judges on each update.
    mornings = [
        wellness.WellnessDay(
            TODAY - timedelta(days=back), 50.0 + back % 3, 60.0 + back % 7, 27000.0, 80.0
        )
        for back in range(wellness.KEEP_DAYS)
    ]

    def home_weeks() -> None:
        for _ in range(PLANS_PER_SAMPLE):
            conditions = home.Conditions(
                readiness.assess_readiness(mornings, TODAY),
                home.Heat.forecast(datetime.combine(TODAY, home.DEFAULT_RUN_TIME), 27.0, 22.0),
                frozenset({TODAY + timedelta(days=2), TODAY + timedelta(days=6)}),
            )
            planner.plan_week(replace(snapshot, conditions=conditions), TODAY)

    def guard_weeks() -> None:
        for _ in range(PLANS_PER_SAMPLE):
            planner.guard(bad, week)

    return {
        "activities": float(len(history)),
        "plan_week_ms": _median_ms(plan_weeks, repeats) / PLANS_PER_SAMPLE,
        "guard_week_ms": _median_ms(guard_weeks, repeats) / PLANS_PER_SAMPLE,
        "home_week_ms": _median_ms(home_weeks, repeats) / PLANS_PER_SAMPLE,
        "snapshot_ms": snapshot_ms,
        "streams_first_ms": streams_first_ms,
        "streams_ms": streams_ms,
        "no_hr_ms": no_hr_ms,
        "naive_ms": naive_ms,
        "speedup_vs_naive": naive_ms / snapshot_ms,
        "history_mb": memory_mb,
    }


def main() -> None:
    """Print the benchmark with its budgets."""
    figures = bench()
    print(f"training: {int(figures['activities'])} activities over {YEARS} years")
    print(
        f"  compute_snapshot median {figures['snapshot_ms']:.2f} ms"
        f" (budget < {SNAPSHOT_BUDGET_MS:.0f} ms)"
    )
    print(
        f"  same, every run with an HR histogram {figures['streams_ms']:.2f} ms"
        f" (first {figures['streams_first_ms']:.1f} ms)"
    )
    print(f"  same, no heart rate at all (load from pace) {figures['no_hr_ms']:.2f} ms")
    print(
        f"  naive per-day recompute {figures['naive_ms']:.0f} ms:"
        f" compute_snapshot is {figures['speedup_vs_naive']:.0f}x faster"
    )
    print(f"  history memory {figures['history_mb']:.2f} MB (budget < {MEMORY_BUDGET_MB:.0f} MB)")
    print(
        f"  a week planned {figures['plan_week_ms']:.3f} ms, a bad week guarded"
        f" {figures['guard_week_ms']:.3f} ms (budget < {PLAN_BUDGET_MS:.0f} ms)"
    )
    print(
        f"  readiness from 90 days and a week planned around the home"
        f" {figures['home_week_ms']:.3f} ms (budget < {PLAN_BUDGET_MS:.0f} ms)"
    )


if __name__ == "__main__":
    main()
