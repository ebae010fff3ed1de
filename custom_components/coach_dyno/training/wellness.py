"""
One night and morning of a runner's wellness: what readiness is computed from.

Filled from Home Assistant sensors or from a source that records wellness (intervals.icu); the training
engine only sees these plain records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class WellnessDay:
    """What was measured on the morning of `day`; None when it was not measured."""

    day: date
    resting_hr: float | None = None  # beats per minute
    hrv_rmssd: float | None = None  # milliseconds
    sleep_seconds: float | None = None  # the night before `day`
    sleep_score: float | None = None  # 0-100


# Outside these a value is a sensor fault or a wrong unit, not a night: resting HR (elite endurance
# athletes rest near 30 bpm), rMSSD in ms, sleep in seconds (16 h), a score out of 100.
RANGES: Final[dict[str, tuple[float, float]]] = {
    "resting_hr": (25.0, 120.0),
    "hrv_rmssd": (5.0, 300.0),
    "sleep_seconds": (0.0, 16 * 3600.0),
    "sleep_score": (0.0, 100.0),
}
KEEP_DAYS: Final = 90


def plausible(record: WellnessDay) -> WellnessDay:
    """Return `record` without the values outside `RANGES` (or not finite)."""
    values: dict[str, Any] = {}
    for name, (low, high) in RANGES.items():
        value = getattr(record, name)
        values[name] = value if value is not None and low <= value <= high else None
    return replace(record, **values)


def merged(
    known: Mapping[date, WellnessDay], incoming: Iterable[WellnessDay], today: date
) -> tuple[dict[date, WellnessDay], int]:
    """
    Return the days of `known` with `incoming` merged in, and how many days changed.

    A value measured replaces the stored one, a missing one keeps it; implausible values are left
    out; only the `KEEP_DAYS` days up to `today` are kept.
    """
    first = today - timedelta(days=KEEP_DAYS - 1)
    days = {day: record for day, record in known.items() if first <= day <= today}
    changed = 0
    for arrived in incoming:
        if not first <= arrived.day <= today:
            continue
        record = plausible(arrived)
        stored = days.get(record.day, WellnessDay(record.day))
        update = {
            name: getattr(record, name) for name in RANGES if getattr(record, name) is not None
        }
        result = replace(stored, **update)
        if result != stored:
            days[record.day] = result
            changed += 1
    return dict(sorted(days.items())), changed
