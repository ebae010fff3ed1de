"""
Injury and overload flags a coach raises from the numbers alone.

Thresholds (each flag fires strictly above or below its limit):
- ACWR above 1.5: the last 7 days' load is a spike against the last 28 days (injury risk rises),
  counted only over a chronic load big enough to judge by (see `training.plan.load_spike`).
- Foster monotony above 2.0: every day is as hard as the others; too little variation.
- Form (TSB = CTL - ATL) below -30: very negative, deep fatigue, overreaching rather than training.
- Aerobic decoupling above 5 %: heart rate drifted against pace in the second half of a run.
A run's drift counts for a briefing only while the run is recent (two days), a stale one says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from custom_components.coach_dyno.training.plan import ACWR_LIMIT, load_spike

if TYPE_CHECKING:
    from custom_components.coach_dyno.training import RunSummary, TrainingSnapshot

MONOTONY_LIMIT: Final = 2.0
TSB_LIMIT: Final = -30.0
DECOUPLING_LIMIT_PCT: Final = 5.0
RECENT_RUN: Final = timedelta(days=2)
# Negative form within a week after a race is the race's fatigue, not productive training.
RACE_RECOVERY_DAYS: Final = 7


class RiskCode(StrEnum):
    """What kind of risk a flag is about."""

    ACWR_HIGH = "acwr_high"
    MONOTONY_HIGH = "monotony_high"
    FORM_VERY_NEGATIVE = "form_very_negative"
    HR_DRIFT = "hr_drift"


@dataclass(frozen=True, slots=True)
class Risk:
    """One raised flag: its code, the measured value and the limit it crossed."""

    code: RiskCode
    value: float
    limit: float


def detect_risks(snapshot: TrainingSnapshot, run: RunSummary | None = None) -> tuple[Risk, ...]:
    """Return the flags the snapshot raises, plus HR drift of `run` (or of a recent latest run)."""
    risks: list[Risk] = []
    load = snapshot.load
    if load.acwr is not None and load_spike(snapshot):
        risks.append(Risk(RiskCode.ACWR_HIGH, load.acwr, ACWR_LIMIT))
    if load.monotony is not None and load.monotony > MONOTONY_LIMIT:
        risks.append(Risk(RiskCode.MONOTONY_HIGH, load.monotony, MONOTONY_LIMIT))
    if load.tsb is not None and load.tsb < TSB_LIMIT:
        risks.append(Risk(RiskCode.FORM_VERY_NEGATIVE, load.tsb, TSB_LIMIT))
    if run is None:
        latest = snapshot.latest_run
        if latest is not None and latest.start.date() >= snapshot.today - RECENT_RUN:
            run = latest
    if (
        run is not None
        and run.decoupling_pct is not None
        and run.decoupling_pct > DECOUPLING_LIMIT_PCT
    ):
        risks.append(Risk(RiskCode.HR_DRIFT, run.decoupling_pct, DECOUPLING_LIMIT_PCT))
    return tuple(risks)
