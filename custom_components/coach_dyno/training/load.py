"""
Load over days: fitness/fatigue/form (PMC), acute:chronic ratio, Foster's monotony and strain.

Every function takes daily loads oldest first, one entry per calendar day, the last entry being the
day of interest; days before the first entry count as rest (load 0). So a history shorter than a
window is padded with rest days rather than refused: a new athlete with two weeks of data gets a high
ACWR, which is what those two weeks say.

- PMC: CTL_d = CTL_{d-1} e^(-1/42) + load_d (1 - e^(-1/42)); ATL likewise with 7 days; CTL and ATL
  include that day's load; TSB (form) is the previous day's CTL - ATL, the form one wakes up with.
- ACWR: mean of the last 7 days / mean of the last 28 days (coupled); None without chronic load.
- Monotony: mean / population SD of the last 7 days, capped at 10 (the value used when SD is 0 and
  the mean is positive). A week without any load is not monotonous training: it scores 0.
- Strain: the last 7 days' total x monotony.

Which day is "the day of interest" is the caller's choice: the snapshot ends the ACWR and monotony
windows on the last completed day (yesterday, or today once it has an activity), so the morning
before a run does not count the day ahead as rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
import math
from typing import Final
from zoneinfo import ZoneInfo

from ._common import local_day, require_non_negative, resolve_time_zone
from .activity import Activity, AthleteProfile
from .trimp import BanisterModel

CTL_DAYS: Final = 42
ATL_DAYS: Final = 7
ACUTE_DAYS: Final = 7
CHRONIC_DAYS: Final = 28
MONOTONY_DAYS: Final = 7
MONOTONY_CAP: Final = 10.0
# What is left of yesterday's CTL and ATL after one day.
_CTL_KEEP: Final = math.exp(-1.0 / CTL_DAYS)
_ATL_KEEP: Final = math.exp(-1.0 / ATL_DAYS)


@dataclass(frozen=True, slots=True)
class PmcDay:
    """One day of the performance management chart."""

    load: float
    ctl: float
    atl: float
    tsb: float


def pmc(daily_loads: Iterable[float], ctl0: float = 0.0, atl0: float = 0.0) -> list[PmcDay]:
    """Return fitness (CTL), fatigue (ATL) and form (TSB) for each day of `daily_loads`."""
    ctl = require_non_negative("ctl0", ctl0)
    atl = require_non_negative("atl0", atl0)
    days: list[PmcDay] = []
    for load in daily_loads:
        value = require_non_negative("daily load", load)
        tsb = ctl - atl
        ctl = ctl * _CTL_KEEP + value * (1.0 - _CTL_KEEP)
        atl = atl * _ATL_KEEP + value * (1.0 - _ATL_KEEP)
        days.append(PmcDay(load=value, ctl=ctl, atl=atl, tsb=tsb))
    return days


def pmc_state(
    daily_loads: Iterable[float], ctl0: float = 0.0, atl0: float = 0.0
) -> tuple[float, float]:
    """Return (CTL, ATL) after the last day of `daily_loads`: `pmc` without the daily records."""
    loads = [require_non_negative("daily load", load) for load in daily_loads]
    return advance_pmc(
        loads, require_non_negative("ctl0", ctl0), require_non_negative("atl0", atl0)
    )


def advance_pmc(loads: Iterable[float], ctl: float, atl: float) -> tuple[float, float]:
    """Return (CTL, ATL) after `loads`, trusting them to be checked already (the fast path)."""
    # Locals, not module lookups: this loop runs once per day of a ten-year history.
    ctl_keep, atl_keep = _CTL_KEEP, _ATL_KEEP
    ctl_gain, atl_gain = 1.0 - ctl_keep, 1.0 - atl_keep
    for load in loads:
        ctl = ctl * ctl_keep + load * ctl_gain
        atl = atl * atl_keep + load * atl_gain
    return ctl, atl


def _window(daily_loads: Sequence[float], days: int) -> list[float]:
    """Return the last `days` loads, checked, padded at the front with rest days."""
    recent = [require_non_negative("daily load", load) for load in daily_loads[-days:]]
    return [0.0] * (days - len(recent)) + recent


def acwr(daily_loads: Sequence[float]) -> float | None:
    """Return the acute:chronic workload ratio (7 vs 28 days), None without chronic load."""
    window = _window(daily_loads, CHRONIC_DAYS)
    chronic = sum(window) / CHRONIC_DAYS
    if chronic == 0:
        return None
    return sum(window[-ACUTE_DAYS:]) / ACUTE_DAYS / chronic


def monotony(daily_loads: Sequence[float]) -> float | None:
    """Return Foster's monotony of the last 7 days; None for an empty history."""
    if not daily_loads:
        return None
    window = _window(daily_loads, MONOTONY_DAYS)
    mean = sum(window) / MONOTONY_DAYS
    if mean == 0:
        return 0.0
    sd = math.sqrt(sum((load - mean) ** 2 for load in window) / MONOTONY_DAYS)
    # Near-constant loads make mean/SD explode; the cap keeps it continuous with SD = 0.
    return MONOTONY_CAP if sd == 0 else min(mean / sd, MONOTONY_CAP)


def strain(daily_loads: Sequence[float]) -> float | None:
    """Return Foster's strain (weekly load x monotony); None for an empty history."""
    value = monotony(daily_loads)
    if value is None:
        return None
    return sum(_window(daily_loads, MONOTONY_DAYS)) * value


def loads_by_day(
    activities: Iterable[Activity], profile: AthleteProfile, zone: ZoneInfo | None = None
) -> dict[date, float]:
    """
    Return the total Banister TRIMP per local calendar day (activities without HR add 0).

    Heart rate only: `compute_snapshot` adds the pace estimates of runs without it and tells a
    day without load from a day whose load is unknown.
    """
    zone = zone or resolve_time_zone(profile.time_zone)
    model = BanisterModel.for_profile(profile)
    totals: dict[date, float] = {}
    for activity in activities:
        trimp = model.activity(activity)
        if trimp is not None:
            day = local_day(activity.start, zone)
            totals[day] = totals.get(day, 0.0) + trimp
    return totals


def daily_loads(
    activities: Iterable[Activity], profile: AthleteProfile, first_day: date, last_day: date
) -> list[float]:
    """Return one TRIMP total per local day from `first_day` to `last_day`, both included."""
    if last_day < first_day:
        raise ValueError("last_day must not be before first_day")
    totals = loads_by_day(activities, profile)
    span = (last_day - first_day).days + 1
    return [totals.get(first_day + timedelta(days=offset), 0.0) for offset in range(span)]
