"""Riegel, VDOT, race-time inversion and training paces against Daniels' published tables."""

from __future__ import annotations

import math

import pytest

from custom_components.coach_dyno.training import race_time, riegel_time, training_paces, vdot

MILE = 1609.344
HALF = 21097.5
MARATHON = 42195.0


def hms(text: str) -> float:
    """Return seconds from "h:mm:ss" or "mm:ss"."""
    seconds = 0.0
    for part in text.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def test_riegel_formula() -> None:
    # Riegel (1981, "Athletic records and human endurance"): T2 = T1 (D2 / D1)^1.06.
    assert riegel_time(1200, 5000, 10000) == pytest.approx(1200 * 2**1.06)
    assert riegel_time(1200, 5000, 10000) == pytest.approx(hms("41:42"), abs=1)
    assert riegel_time(3000, 10000, HALF, exponent=1.08) == pytest.approx(
        3000 * (HALF / 10000) ** 1.08
    )
    assert riegel_time(1200, 5000, 5000) == pytest.approx(1200)


@pytest.mark.parametrize(
    ("time", "distance", "target", "exponent"),
    [(0, 5000, 10000, 1.06), (1200, -1, 10000, 1.06), (1200, 5000, math.nan, 1.06), (1, 1, 1, 0)],
)
def test_riegel_refuses_impossible_input(
    time: float, distance: float, target: float, exponent: float
) -> None:
    with pytest.raises(ValueError, match="must be a finite number > 0"):
        riegel_time(time, distance, target, exponent)


# Daniels' Running Formula, Table 3.1 (VDOT values), rows 30/40/50 as quoted in r/artc
# "Dissecting Daniels - Part 4: Fitness Benchmarks": mile, 5K, 10K, half marathon, marathon.
DANIELS_TABLE = {
    30: {MILE: "9:11", 5000: "30:40", 10000: "63:46", HALF: "2:21:04", MARATHON: "4:49:17"},
    40: {MILE: "7:07", 5000: "24:08", 10000: "50:03", HALF: "1:50:59", MARATHON: "3:49:45"},
    50: {MILE: "5:50", 5000: "19:57", 10000: "41:21", HALF: "1:31:35", MARATHON: "3:10:49"},
}
TABLE_CASES = [
    (level, distance, hms(text))
    for level, row in DANIELS_TABLE.items()
    for distance, text in row.items()
]


@pytest.mark.parametrize(("level", "distance", "seconds"), TABLE_CASES)
def test_vdot_matches_daniels_table(level: int, distance: float, seconds: float) -> None:
    # The book rounds times to the second and VDOT to the unit; the curves fit it within 0.15.
    assert vdot(distance, seconds) == pytest.approx(level, abs=0.15)


@pytest.mark.parametrize(("level", "distance", "seconds"), TABLE_CASES)
def test_race_time_matches_daniels_table(level: int, distance: float, seconds: float) -> None:
    assert race_time(level, distance) == pytest.approx(seconds, rel=0.004)


def test_race_time_inverts_vdot_to_the_second() -> None:
    for distance in (800.0, 5000.0, HALF, MARATHON, 100000.0):
        for seconds in (distance / 5.5, distance / 4.0, distance / 2.5):
            assert race_time(vdot(distance, seconds), distance) == pytest.approx(seconds, abs=1.0)


@pytest.mark.parametrize(("value", "distance"), [(0, 5000), (-3, 5000), (50, 0), (math.nan, 1)])
def test_race_time_refuses_impossible_input(value: float, distance: float) -> None:
    with pytest.raises(ValueError, match="must be a finite number > 0"):
        race_time(value, distance)


def test_race_time_refuses_superhuman_vdot() -> None:
    with pytest.raises(ValueError, match="range"):
        race_time(1e6, 5000)


def test_vdot_refuses_impossible_input_and_walking() -> None:
    with pytest.raises(ValueError, match="distance_m"):
        vdot(0, 1200)
    with pytest.raises(ValueError, match="time_s"):
        vdot(5000, -1)
    with pytest.raises(ValueError, match="too slow"):
        vdot(1000, 7200)  # a 2-hour kilometre


PER_MILE = 1 / MILE * 1000  # seconds per mile -> seconds per km


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        # VDOT 49, paces read from Daniels' tables (fit360.blogspot.com, 2009): E 8:40/mi,
        # M 7:24/mi, T 4:20/km, I 3:59/km, R 1:29 per 400 m.
        (
            49,
            {
                "easy": hms("8:40") * PER_MILE,
                "marathon": hms("7:24") * PER_MILE,
                "threshold": hms("4:20"),
                "interval": hms("3:59"),
                "repetition": hms("1:29") * 2.5,
            },
        ),
        # VDOT 45 (masterstriathlon.blogspot.com, 2014): E/L 9:16/mi, M 7:57/mi, T 7:27/mi.
        (
            45,
            {
                "easy": hms("9:16") * PER_MILE,
                "marathon": hms("7:57") * PER_MILE,
                "threshold": hms("7:27") * PER_MILE,
            },
        ),
    ],
)
def test_training_paces_match_daniels_tables(level: float, expected: dict[str, float]) -> None:
    paces = training_paces(level)
    for name, seconds in expected.items():
        assert getattr(paces, name) == pytest.approx(seconds, abs=3.0), name


def test_training_paces_are_ordered_and_marathon_is_race_pace() -> None:
    paces = training_paces(55)
    assert paces.easy > paces.marathon > paces.threshold > paces.interval > paces.repetition
    assert paces.marathon == pytest.approx(race_time(55, MARATHON) / 42.195)
    with pytest.raises(ValueError, match="vdot"):
        training_paces(0)
