"""
Readiness to train today, from the runner's own HRV, resting HR and sleep.

- HRV (Plews et al. 2012, 2013; the HRV4Training method): the 7-day rolling mean of ln rMSSD is
  compared with the runner's normal range, the 60-day mean of ln rMSSD plus or minus the smallest
  worthwhile change (half a standard deviation of the 60 days). Below the range: the body has not
  absorbed the recent load. Above it is no warning (saturation aside, it is usually recovery).
- Resting HR: the 7-day mean against the 60-day mean; above it by half a standard deviation, and by
  3 bpm at least (a wrist sensor's night-to-night noise), it is raised.
- Sleep: last night against the 7 hours adults need (Watson et al. 2015, the AASM/SRS consensus);
  under 6 hours is short. A sleep score under 60 of 100 (the "poor" band of the watches) is poor.

One signal off means caution (no hard session today), two or more mean rest. A signal is judged only
with enough days: 3 in the last 7 and 14 in the 60-day baseline; without any signal to judge,
readiness is unknown ("not enough data").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
import math
from statistics import fmean, median
from typing import Final

from .wellness import WellnessDay

WINDOW_DAYS: Final = 7
BASELINE_DAYS: Final = 60
MIN_WINDOW_VALUES: Final = 3
MIN_BASELINE_VALUES: Final = 14
SWC_SD: Final = 0.5
RHR_MIN_RISE: Final = 3.0
SLEEP_NEED_H: Final = 7.0
SLEEP_SHORT_H: Final = 6.0
SLEEP_SCORE_POOR: Final = 60.0


class ReadinessState(StrEnum):
    """How ready the runner is for today's session."""

    READY = "ready"
    CAUTION = "caution"
    REST = "rest"


class Reason(StrEnum):
    """Why readiness is what it is."""

    HRV_LOW = "hrv_low"
    RHR_HIGH = "rhr_high"
    SLEEP_SHORT = "sleep_short"
    SLEEP_POOR = "sleep_poor"
    NOT_ENOUGH_DATA = "not_enough_data"


@dataclass(frozen=True, slots=True)
class Readiness:
    """Today's readiness, its reasons and the numbers behind them (None: not measured)."""

    state: ReadinessState | None
    reasons: tuple[Reason, ...] = ()
    hrv_7d: float | None = None  # ms, the geometric mean of the last 7 days
    hrv_baseline: float | None = None  # ms, over 60 days
    hrv_range: tuple[float, float] | None = None  # ms, the normal range
    hrv_days_below: int = 0  # consecutive days the 7-day mean stayed below the range
    rhr_7d: float | None = None
    rhr_baseline: float | None = None
    sleep_hours: float | None = None
    sleep_score: float | None = None


NO_READINESS: Final = Readiness(None)


def _recent(days: dict[date, WellnessDay], field: str, today: date) -> list[float | None]:
    """Return `field` of the days before and up to `today`, newest first (None: not measured)."""
    values: list[float | None] = []
    for back in range(BASELINE_DAYS):
        record = days.get(today - timedelta(days=back))
        value = None if record is None else getattr(record, field)
        values.append(None if value is None else float(value))
    return values


def _spread(values: list[float], mean: float) -> float:
    """Return the population standard deviation (statistics.pstdev is exact, and slow)."""
    return math.sqrt(fmean([(value - mean) ** 2 for value in values]))


def _measured(values: list[float | None], start: int, days: int) -> list[float]:
    """Return the measured values of `days` days from `start` (days back from today)."""
    return [value for value in values[start : start + days] if value is not None]


def _hrv(days: dict[date, WellnessDay], today: date) -> Readiness | None:
    """Judge HRV; None when there are not enough days for it."""
    ln = [None if v is None or v <= 0 else math.log(v) for v in _recent(days, "hrv_rmssd", today)]
    baseline = _measured(ln, 0, BASELINE_DAYS)
    if len(baseline) < MIN_BASELINE_VALUES:
        return None
    mean = fmean(baseline)
    swc = SWC_SD * _spread(baseline, mean)
    low = mean - swc

    def rolling(back: int) -> float | None:
        window = _measured(ln, back, WINDOW_DAYS)
        return fmean(window) if len(window) >= MIN_WINDOW_VALUES else None

    current = rolling(0)
    if current is None:
        return None
    below = 0
    while below < WINDOW_DAYS and (value := rolling(below)) is not None and value < low:
        below += 1
    return Readiness(
        None,
        (Reason.HRV_LOW,) if current < low else (),
        hrv_7d=math.exp(current),
        hrv_baseline=math.exp(mean),
        hrv_range=(math.exp(low), math.exp(mean + swc)),
        hrv_days_below=below,
    )


def _resting_hr(days: dict[date, WellnessDay], today: date) -> Readiness | None:
    """Judge resting HR; None when there are not enough days for it."""
    values = _recent(days, "resting_hr", today)
    baseline = _measured(values, 0, BASELINE_DAYS)
    window = _measured(values, 0, WINDOW_DAYS)
    if len(baseline) < MIN_BASELINE_VALUES or len(window) < MIN_WINDOW_VALUES:
        return None
    mean, current = fmean(baseline), fmean(window)
    raised = current > mean + max(RHR_MIN_RISE, SWC_SD * _spread(baseline, mean))
    return Readiness(None, (Reason.RHR_HIGH,) if raised else (), rhr_7d=current, rhr_baseline=mean)


def assess_readiness(wellness: Iterable[WellnessDay], today: date) -> Readiness:
    """Return today's readiness from the wellness records (see the module docstring)."""
    days = {record.day: record for record in wellness if record.day <= today}
    if not days:
        return NO_READINESS
    hrv = _hrv(days, today)
    rhr = _resting_hr(days, today)
    night = days.get(today)
    sleep_s = None if night is None else night.sleep_seconds
    score = None if night is None else night.sleep_score
    sleep: list[Reason] = []
    if sleep_s is not None and sleep_s / 3600 < SLEEP_SHORT_H:
        sleep.append(Reason.SLEEP_SHORT)
    if score is not None and score < SLEEP_SCORE_POOR:
        sleep.append(Reason.SLEEP_POOR)
    judged = [signal.reasons for signal in (hrv, rhr) if signal is not None]
    if sleep_s is not None or score is not None:
        judged.append(tuple(sleep))
    state: ReadinessState | None = None
    reasons: tuple[Reason, ...] = (Reason.NOT_ENOUGH_DATA,)
    if judged:
        reasons = tuple(reason for signal in judged for reason in signal)
        off = sum(1 for signal in judged if signal)
        state = (
            ReadinessState.READY
            if off == 0
            else ReadinessState.CAUTION
            if off == 1
            else ReadinessState.REST
        )
    return Readiness(
        state,
        reasons,
        hrv_7d=None if hrv is None else hrv.hrv_7d,
        hrv_baseline=None if hrv is None else hrv.hrv_baseline,
        hrv_range=None if hrv is None else hrv.hrv_range,
        hrv_days_below=0 if hrv is None else hrv.hrv_days_below,
        rhr_7d=None if rhr is None else rhr.rhr_7d,
        rhr_baseline=None if rhr is None else rhr.rhr_baseline,
        sleep_hours=None if sleep_s is None else sleep_s / 3600,
        sleep_score=score,
    )


def median_resting_hr(wellness: Iterable[WellnessDay], today: date) -> float | None:
    """Return the median resting HR of the last 7 recorded days up to `today` (None without any)."""
    recorded = sorted(
        (record for record in wellness if record.day <= today and record.resting_hr is not None),
        key=lambda record: record.day,
    )[-WINDOW_DAYS:]
    return median(float(r.resting_hr) for r in recorded if r.resting_hr) if recorded else None
