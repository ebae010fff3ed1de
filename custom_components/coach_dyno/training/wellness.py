"""
One night and morning of a runner's wellness: what readiness is computed from.

Filled from Home Assistant sensors or from a source that records wellness (intervals.icu); the training
engine only sees these plain records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class WellnessDay:
    """What was measured on the morning of `day`; None when it was not measured."""

    day: date
    resting_hr: float | None = None  # beats per minute
    hrv_rmssd: float | None = None  # milliseconds
    sleep_seconds: float | None = None  # the night before `day`
    sleep_score: float | None = None  # 0-100
