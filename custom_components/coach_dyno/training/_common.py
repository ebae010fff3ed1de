"""Small helpers shared by the training modules: argument checks and local calendar days."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
import math
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def require_non_negative(name: str, value: float) -> float:
    """Return `value` as a float, or raise ValueError when it is NaN, infinite or negative."""
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def require_positive(name: str, value: float) -> float:
    """Return `value` as a float, or raise ValueError unless it is finite and > 0."""
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return number


def require_heart_rates(hr_rest: float, hr_max: float) -> tuple[float, float]:
    """Return the resting and maximum heart rates, or raise ValueError when max <= rest."""
    rest = require_non_negative("hr_rest", hr_rest)
    peak = require_positive("hr_max", hr_max)
    if peak <= rest:
        raise ValueError(f"hr_max ({hr_max!r}) must be greater than hr_rest ({hr_rest!r})")
    return rest, peak


@cache
def resolve_time_zone(name: str) -> ZoneInfo:
    """
    Return the IANA time zone `name`, kept for the life of the process.

    The first lookup reads the tz database from disk: call this once outside an event loop (an
    executor job) so later calls from the loop only hit the cache.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {name!r}") from err


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """Return the calendar day of an aware `moment` in `zone` (DST-safe through zoneinfo)."""
    return moment.astimezone(zone).date()
