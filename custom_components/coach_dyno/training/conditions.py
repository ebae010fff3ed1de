"""
What the home knows about today and the week: readiness, the heat at run time, the busy days.

Heat follows the temperature + dew point rule running coaches use (attributed to Mark Hadley): add
the air temperature and the dew point in degrees Fahrenheit; up to 100 nothing changes, then the
pace slows by 0-0.5 % (to 110), 0.5-1 % (120), 1-2 % (130), 2-3 % (140), 3-4.5 % (150), 4.5-6 %
(160), 6-8 % (170) and 8-10 % (180); beyond 180 hard running is not advised (10 % here). The
percentage is read off those bands linearly. A forecast without a dew point gets one from its humidity (the
Magnus formula, Alduchov and Eskridge 1996 coefficients).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
import math
from statistics import median
from typing import Final

from .readiness import NO_READINESS, Readiness

# (temperature + dew point in °F, slowdown in %), the upper ends of the rule's bands.
_HEAT_BANDS: Final = (
    (100.0, 0.0),
    (110.0, 0.5),
    (120.0, 1.0),
    (130.0, 2.0),
    (140.0, 3.0),
    (150.0, 4.5),
    (160.0, 6.0),
    (170.0, 8.0),
    (180.0, 10.0),
)
DEFAULT_RUN_TIME: Final = time(7)
_MAGNUS_A: Final = 17.625
_MAGNUS_B: Final = 243.04


def _fahrenheit(celsius: float) -> float:
    return celsius * 9 / 5 + 32


def heat_slowdown_pct(temperature_c: float, dew_point_c: float) -> float:
    """Return how much slower (in %) the same effort runs in this heat and humidity."""
    total = _fahrenheit(temperature_c) + _fahrenheit(dew_point_c)
    low_f, low_pct = _HEAT_BANDS[0]
    if total <= low_f:
        return 0.0
    for high_f, high_pct in _HEAT_BANDS[1:]:
        if total <= high_f:
            return low_pct + (high_pct - low_pct) * (total - low_f) / (high_f - low_f)
        low_f, low_pct = high_f, high_pct
    return low_pct


def dew_point_c(temperature_c: float, humidity_pct: float) -> float:
    """Return the dew point of air at `temperature_c` and `humidity_pct` relative humidity."""
    gamma = math.log(max(humidity_pct, 1.0) / 100) + _MAGNUS_A * temperature_c / (
        _MAGNUS_B + temperature_c
    )
    return _MAGNUS_B * gamma / (_MAGNUS_A - gamma)


@dataclass(frozen=True, slots=True)
class Heat:
    """The forecast for the usual run time, and how much it slows the paces (whole %)."""

    at: datetime
    temperature_c: float
    dew_point_c: float
    slowdown_pct: float

    @classmethod
    def forecast(cls, at: datetime, temperature_c: float, dew_point: float) -> Heat:
        """Return the heat of a forecast hour, rounded as the briefing says it."""
        return cls(
            at,
            round(temperature_c),
            round(dew_point),
            round(heat_slowdown_pct(temperature_c, dew_point)),
        )

    @property
    def day(self) -> date:
        """The day the forecast is for."""
        return self.at.date()


@dataclass(frozen=True, slots=True)
class Conditions:
    """What the planner takes from the home besides the history."""

    readiness: Readiness = NO_READINESS
    heat: Heat | None = None
    busy_days: frozenset[date] = field(default_factory=frozenset)


NO_CONDITIONS: Final = Conditions()


def usual_run_time(starts: Iterable[datetime]) -> time:
    """Return the whole hour the runner usually starts at (local starts), 07:00 without runs."""
    hours = [start.hour + start.minute / 60 for start in starts]
    return time(round(median(hours)) % 24) if hours else DEFAULT_RUN_TIME
