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
from statistics import fmean, median, pstdev
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


def _series(days: dict[date, WellnessDay], field: str, first: date, last: date) -> list[float]:
    """Return the measured values of `field` from `first` to `last`, both included."""
    values = []
    day = first
    while day <= last:
        record = days.get(day)
        if record is not None and (value := getattr(record, field)) is not None:
            values.append(float(value))
        day += timedelta(days=1)
    return values


def _hrv(days: dict[date, WellnessDay], today: date) -> Readiness | None:
    """Judge HRV; None when there are not enough days for it."""
    first = today - timedelta(days=BASELINE_DAYS - 1)
    baseline = [math.log(v) for v in _series(days, "hrv_rmssd", first, today) if v > 0]
    if len(baseline) < MIN_BASELINE_VALUES:
        return None
    mean, swc = fmean(baseline), SWC_SD * pstdev(baseline)
    low = mean - swc

    def rolling(end: date) -> float | None:
        start = end - timedelta(days=WINDOW_DAYS - 1)
        window = [math.log(v) for v in _series(days, "hrv_rmssd", start, end) if v > 0]
        return fmean(window) if len(window) >= MIN_WINDOW_VALUES else None

    current = rolling(today)
    if current is None:
        return None
    below = 0
    while below < WINDOW_DAYS and (value := rolling(today - timedelta(days=below))) is not None:
        if value >= low:
            break
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
    baseline = _series(days, "resting_hr", today - timedelta(days=BASELINE_DAYS - 1), today)
    window = _series(days, "resting_hr", today - timedelta(days=WINDOW_DAYS - 1), today)
    if len(baseline) < MIN_BASELINE_VALUES or len(window) < MIN_WINDOW_VALUES:
        return None
    mean, current = fmean(baseline), fmean(window)
    raised = current > mean + max(RHR_MIN_RISE, SWC_SD * pstdev(baseline))
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
