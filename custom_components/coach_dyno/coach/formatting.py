"""Numbers as a runner reads them: distances, paces and durations in the chosen units."""

from __future__ import annotations

import math
from typing import Final

from .settings import Units

METERS_PER_MILE: Final = 1609.344


def distance_value(meters: float, units: Units) -> float:
    """Convert meters to kilometres or miles."""
    return meters / (METERS_PER_MILE if units is Units.IMPERIAL else 1000.0)


def distance_unit(units: Units) -> str:
    """Return the distance unit symbol."""
    return "mi" if units is Units.IMPERIAL else "km"


def fmt_distance(meters: float, units: Units, decimals: int = 1) -> str:
    """Format a distance such as "8.1 km" or "5.0 mi"."""
    return f"{distance_value(meters, units):.{decimals}f} {distance_unit(units)}"


def fmt_pace(s_per_km: float | None, units: Units) -> str:
    """Format a pace such as "5:45/km" or "9:15/mi"; "-" when unknown."""
    if s_per_km is None or not math.isfinite(s_per_km) or s_per_km <= 0:
        return "-"
    seconds = s_per_km * METERS_PER_MILE / 1000.0 if units is Units.IMPERIAL else s_per_km
    total = round(seconds)
    return f"{total // 60}:{total % 60:02d}/{distance_unit(units)}"


def fmt_duration(seconds: float) -> str:
    """Format a duration such as "47:32" or "1:45:00"."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def pace_of(distance_m: float, moving_s: float) -> float | None:
    """Return seconds per kilometre, or None without distance or time."""
    if distance_m <= 0 or moving_s <= 0:
        return None
    return moving_s / (distance_m / 1000.0)


def count_noun(count: int, noun: str, plural: str | None = None) -> str:
    """Return an English count with its noun, such as "1 day" or "3 days"."""
    return f"{count} {noun if abs(count) == 1 else plural or noun + 's'}"
