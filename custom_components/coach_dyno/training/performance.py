"""
Race equivalence: Riegel's formula, Daniels-Gilbert VDOT, its inverse and training paces.

VDOT = VO2(v) / F(t), with v in m/min and t in minutes:
- oxygen cost VO2(v) = -4.60 + 0.182258 v + 0.000104 v^2
- sustainable fraction F(t) = 0.8 + 0.1894393 e^(-0.012778 t) + 0.2989558 e^(-0.1932605 t)

Training paces take Daniels' intensities as fractions of VDOT (oxygen uptake) and turn each into a
speed through the oxygen-cost curve, the way his tables are built:
- easy 67 % (inside Daniels' 59-74 % easy band, where his table's single E pace sits)
- marathon: the predicted marathon race pace (Daniels' M pace), about 80 % at 3-4 hours
- threshold 88 %, interval 97.5 % (Daniels' 83-88 % and 95-100 % bands)
- repetition 106 %, about 6 s per 400 m faster than interval pace, as Daniels prescribes.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Final

from ._common import require_positive

RIEGEL_EXPONENT: Final = 1.06
MARATHON_M: Final = 42195.0
EASY_FRACTION: Final = 0.67
THRESHOLD_FRACTION: Final = 0.88
INTERVAL_FRACTION: Final = 0.975
REPETITION_FRACTION: Final = 1.06

_A: Final = 0.000104
_B: Final = 0.182258
_C: Final = -4.60
# Fastest speed the inverse searches (1 km/min): well beyond any human race.
_V_FAST: Final = 1000.0
# Bisection steps: enough for 1e-4 s on any distance, bounded for absurd inputs.
_MAX_STEPS: Final = 200


@dataclass(frozen=True, slots=True)
class TrainingPaces:
    """Daniels' training paces in seconds per kilometre."""

    easy: float
    marathon: float
    threshold: float
    interval: float
    repetition: float


def riegel_time(
    time_s: float, distance_m: float, target_distance_m: float, exponent: float = RIEGEL_EXPONENT
) -> float:
    """Return Riegel's predicted time over `target_distance_m`: T2 = T1 (D2 / D1)^exponent."""
    time = require_positive("time_s", time_s)
    distance = require_positive("distance_m", distance_m)
    target = require_positive("target_distance_m", target_distance_m)
    power = require_positive("exponent", exponent)
    return time * math.pow(target / distance, power)


def _oxygen_cost(speed_m_min: float) -> float:
    """Return the oxygen cost (ml/kg/min) of running at `speed_m_min`."""
    return _C + _B * speed_m_min + _A * speed_m_min * speed_m_min


def _sustainable_fraction(minutes: float) -> float:
    """Return the fraction of VO2max sustainable for a race lasting `minutes`."""
    return (
        0.8 + 0.1894393 * math.exp(-0.012778 * minutes) + 0.2989558 * math.exp(-0.1932605 * minutes)
    )


def _speed_for_oxygen(vo2: float) -> float:
    """Return the speed (m/min) whose oxygen cost is `vo2`: the positive root of the quadratic."""
    return (-_B + math.sqrt(_B * _B + 4.0 * _A * (vo2 - _C))) / (2.0 * _A)


def _vdot(distance: float, time: float) -> float:
    """Return the raw Daniels-Gilbert value (may be <= 0 for walking speeds)."""
    minutes = time / 60.0
    return _oxygen_cost(distance / minutes) / _sustainable_fraction(minutes)


def vdot(distance_m: float, time_s: float) -> float:
    """Return Daniels' VDOT for running `distance_m` in `time_s`."""
    value = _vdot(require_positive("distance_m", distance_m), require_positive("time_s", time_s))
    if value <= 0:
        raise ValueError("pace too slow for the Daniels-Gilbert model (VDOT would be <= 0)")
    return value


def race_time(vdot_value: float, distance_m: float) -> float:
    """Return the time (s) over `distance_m` that scores `vdot_value`: the inverse of `vdot`."""
    target = require_positive("vdot", vdot_value)
    distance = require_positive("distance_m", distance_m)
    # VDOT falls monotonically with time between the fastest speed searched and the speed whose
    # oxygen cost is 0 (where VDOT is 0), so bisection on that bracket always converges.
    fast = distance / _V_FAST * 60.0
    slow = distance / _speed_for_oxygen(0.0) * 60.0
    if not math.isfinite(slow) or _vdot(distance, fast) <= target:
        raise ValueError(f"VDOT {vdot_value!r} is beyond the model's range")
    # Halve the bracket down to 1e-4 s (bounded for absurd inputs).
    steps = min(math.ceil(math.log2((slow - fast) / 1e-4)), _MAX_STEPS)
    for _ in range(max(steps, 0)):
        middle = (fast + slow) / 2.0
        if _vdot(distance, middle) > target:
            fast = middle
        else:
            slow = middle
    return (fast + slow) / 2.0


def _pace_at(vdot_value: float, fraction: float) -> float:
    """Return the pace (s/km) whose oxygen cost is `fraction` of `vdot_value`."""
    return 60000.0 / _speed_for_oxygen(vdot_value * fraction)


def training_paces(vdot_value: float) -> TrainingPaces:
    """Return Daniels' E, M, T, I and R paces (s/km) for `vdot_value`."""
    value = require_positive("vdot", vdot_value)
    return TrainingPaces(
        easy=_pace_at(value, EASY_FRACTION),
        marathon=race_time(value, MARATHON_M) / (MARATHON_M / 1000.0),
        threshold=_pace_at(value, THRESHOLD_FRACTION),
        interval=_pace_at(value, INTERVAL_FRACTION),
        repetition=_pace_at(value, REPETITION_FRACTION),
    )
