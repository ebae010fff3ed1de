"""
The recent training a planner builds on, over completed days only.

Eight 7-day blocks end yesterday (today is still being run, so it does not count as a rest day):
their distance, longest run and number of runs. Today's runs are kept apart, so a plan knows
whether today's session is already done. The longest run-free gap of the last eight weeks, with
the weekly volume of the four weeks before it, tells a comeback from a steady week.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Final

from .activity import Activity

BLOCKS: Final = 8
BLOCK_DAYS: Final = 7
# Gaps that ended up to four weeks before the blocks still shape a comeback.
GAP_LOOKBACK_DAYS: Final = 28


@dataclass(frozen=True, slots=True)
class RecentTraining:
    """Recent running, newest block first; distances in km."""

    weeks_km: tuple[float, ...] = (0.0,) * BLOCKS
    weeks_long_km: tuple[float, ...] = (0.0,) * BLOCKS
    weeks_runs: tuple[int, ...] = (0,) * BLOCKS
    today_km: float = 0.0
    today_runs: int = 0
    gap_days: int = 0
    gap_ended_days_ago: int | None = None
    before_gap_km: float = 0.0

    @property
    def chronic_km(self) -> float:
        """The weekly average of the last four completed blocks (28 days)."""
        return sum(self.weeks_km[:4]) / 4

    @property
    def runs_per_week(self) -> float:
        """The runs a week over the last four completed blocks."""
        return sum(self.weeks_runs[:4]) / 4

    @property
    def recent_long_km(self) -> float:
        """The longest run of the last two completed blocks (14 days)."""
        return max(self.weeks_long_km[:2])


NO_RECENT_TRAINING: Final = RecentTraining()


def recent_training(dated_runs: Sequence[tuple[date, Activity]], today: date) -> RecentTraining:
    """Return the recent training from runs dated in the athlete's zone, oldest first."""
    weeks_km = [0.0] * BLOCKS
    weeks_long = [0.0] * BLOCKS
    weeks_runs = [0] * BLOCKS
    today_km = 0.0
    today_runs = 0
    first = today - timedelta(days=BLOCKS * BLOCK_DAYS)
    # Only the last weeks matter, and the runs are in date order: walk back from the newest.
    run_days: list[date] = []
    for day, activity in reversed(dated_runs):
        if day < first - timedelta(days=GAP_LOOKBACK_DAYS):
            break
        if day > today:
            continue
        km = activity.distance_m / 1000.0
        if day == today:
            today_km += km
            today_runs += 1
            continue
        run_days.append(day)
        if day < first:
            continue
        block = ((today - timedelta(days=1)) - day).days // BLOCK_DAYS
        weeks_km[block] += km
        weeks_runs[block] += 1
        weeks_long[block] = max(weeks_long[block], km)
    if today_runs:
        run_days.append(today)
    gap, ended, before = _longest_gap(dated_runs, run_days, today, first)
    return RecentTraining(
        weeks_km=tuple(weeks_km),
        weeks_long_km=tuple(weeks_long),
        weeks_runs=tuple(weeks_runs),
        today_km=today_km,
        today_runs=today_runs,
        gap_days=gap,
        gap_ended_days_ago=ended,
        before_gap_km=before,
    )


def _longest_gap(
    dated_runs: Sequence[tuple[date, Activity]],
    run_days: Sequence[date],
    today: date,
    first: date,
) -> tuple[int, int | None, float]:
    """
    Return the longest run-free gap ending in the last weeks, with its end and the volume before.

    Its end is how many days ago the first run after it was (None while the gap goes on); the
    volume is the weekly average of the four weeks before it.
    """
    days = sorted(set(run_days))
    if not days:
        # Nothing lately: the gap runs from the last run ever (if any) to today.
        last = next((day for day, _ in reversed(dated_runs) if day < today), None)
        if last is None:
            return 0, None, 0.0
        days = [last]
    gap, back, last_before = 0, None, days[0]
    for previous, day in pairwise(days):
        length = (day - previous).days - 1
        if day > first - timedelta(days=GAP_LOOKBACK_DAYS) and length > gap:
            gap, back, last_before = length, (today - day).days, previous
    ongoing = (today - days[-1]).days - 1
    if ongoing > gap:
        gap, back, last_before = ongoing, None, days[-1]
    start = last_before - timedelta(days=27)
    low = bisect_left(dated_runs, start, key=_day)
    high = bisect_right(dated_runs, last_before, key=_day)
    before = sum(activity.distance_m / 1000.0 for _, activity in dated_runs[low:high])
    return gap, back, before / 4


def _day(entry: tuple[date, Activity]) -> date:
    """Return a dated run's day."""
    return entry[0]
