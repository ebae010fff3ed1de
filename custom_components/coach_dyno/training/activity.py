"""The activity and athlete models the training engine works on."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
import math
from typing import Any, Self, cast

RUN_SPORT_TYPES: frozenset[str] = frozenset({"Run", "TrailRun", "VirtualRun"})


class Sex(StrEnum):
    """Sex as Banister's TRIMP weighting needs it."""

    MALE = "male"
    FEMALE = "female"


def _optional_float(value: Any) -> float | None:
    """Return `value` as a float, keeping None (persisted JSON may hold ints)."""
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Streams:
    """Per-sample recordings of one activity, aligned on `time_s` (seconds from start)."""

    time_s: tuple[float, ...]
    heartrate: tuple[float, ...] | None = None
    distance_m: tuple[float, ...] | None = None
    altitude_m: tuple[float, ...] | None = None


class HrHistogram:
    """
    Seconds spent at each whole heart rate, packed into two arrays.

    Ten years of runs with streams hold tens of thousands of bins; as tuples of an int and a float
    they cost over 100 bytes a bin, packed they cost 10. It iterates as sorted `(bpm, seconds)` pairs.
    """

    __slots__ = ("_bpm", "_memo", "_seconds")

    def __init__(self, pairs: Iterable[tuple[int, float]] = ()) -> None:
        """Pack `pairs`; bins of the same bpm are merged; negative or non-finite entries refused."""
        merged: dict[int, float] = {}
        for bpm, seconds in pairs:
            if not (math.isfinite(bpm) and math.isfinite(seconds)) or bpm < 0 or seconds < 0:
                raise ValueError(f"histogram bins must be finite and >= 0, got {(bpm, seconds)!r}")
            merged[int(bpm)] = merged.get(int(bpm), 0.0) + float(seconds)
        ordered = sorted(merged.items())
        self._bpm = array("H", [bpm for bpm, _ in ordered])
        self._seconds = array("d", [seconds for _, seconds in ordered])
        # (key, minutes): one attribute, so a snapshot computed in a worker thread and one on the
        # event loop never see a key paired with the other's value.
        self._memo: tuple[Hashable, float] | None = None

    def __iter__(self) -> Iterator[tuple[int, float]]:
        """Yield `(bpm, seconds)` pairs in bpm order."""
        return zip(self._bpm, self._seconds, strict=True)

    def __len__(self) -> int:
        """Return the number of bins."""
        return len(self._bpm)

    def __eq__(self, other: object) -> bool:
        """Compare bins with another histogram or a sequence of pairs."""
        if isinstance(other, HrHistogram):
            return self._bpm == other._bpm and self._seconds == other._seconds
        if isinstance(other, (tuple, list)):
            return tuple(self) == tuple(tuple(pair) for pair in other)
        return NotImplemented

    def __hash__(self) -> int:
        """Hash like the tuple of pairs it equals."""
        return hash(tuple(self))

    def __repr__(self) -> str:
        """Show the pairs."""
        return f"HrHistogram({tuple(self)!r})"

    def weighted_minutes(self, key: Hashable, weight: Callable[[int], float]) -> float:
        """
        Return the sum of minutes x `weight(bpm)`, remembered for the last `key`.

        The coordinator recomputes the same history with the same athlete over and over, so each
        histogram keeps its last answer: the weights (an exponential per bin) are paid once.
        """
        memo = self._memo
        if memo is not None and memo[0] == key:
            return memo[1]
        minutes = sum(seconds * weight(bpm) for bpm, seconds in self) / 60.0
        self._memo = (key, minutes)
        return minutes


@dataclass(frozen=True, slots=True)
class StreamSummary:
    """
    What the engine keeps of the streams: small, persistable, enough for every metric.

    `hr_seconds` is the time spent at each whole heart rate, which is all that per-sample Banister and
    Edwards TRIMP need; efficiency factor and aerobic decoupling do not depend on the athlete profile, so
    they are computed once when the streams arrive.
    """

    hr_seconds: HrHistogram = field(default_factory=HrHistogram)
    efficiency_factor: float | None = None
    decoupling_pct: float | None = None

    def __post_init__(self) -> None:
        """Pack a histogram given as plain `(bpm, seconds)` pairs."""
        given: object = self.hr_seconds
        if not isinstance(given, HrHistogram):
            pairs = cast("Iterable[tuple[int, float]]", given)
            object.__setattr__(self, "hr_seconds", HrHistogram(pairs))


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity:
    """One recorded activity, from Strava's API, a Strava export or a FIT/GPX/TCX file."""

    id: int
    start: datetime  # timezone-aware
    sport_type: str
    name: str = ""
    distance_m: float = 0.0
    moving_s: float = 0.0
    elapsed_s: float = 0.0
    elevation_gain_m: float = 0.0
    avg_hr: float | None = None
    max_hr: float | None = None
    manual: bool = False
    trainer: bool = False
    race: bool = False
    streams: Streams | None = field(default=None, compare=False, repr=False)
    stream_summary: StreamSummary | None = None

    def __post_init__(self) -> None:
        """Refuse what cannot be an activity; missing values are None or 0, never NaN."""
        if self.start.tzinfo is None:
            raise ValueError("Activity.start must be timezone-aware")
        for name in ("distance_m", "moving_s", "elapsed_s", "elevation_gain_m"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"Activity.{name} must be a finite number >= 0, got {value!r}")
        for name in ("avg_hr", "max_hr"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value < 0):
                raise ValueError(
                    f"Activity.{name} must be None or a finite number >= 0, got {value!r}"
                )

    @property
    def is_run(self) -> bool:
        """Whether this counts as running for the default volume and race metrics."""
        return self.sport_type in RUN_SPORT_TYPES

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict for persistence (streams are reduced to their summary)."""
        data: dict[str, Any] = {
            "id": self.id,
            "start": self.start.isoformat(),
            "sport_type": self.sport_type,
            "name": self.name,
            "distance_m": self.distance_m,
            "moving_s": self.moving_s,
            "elapsed_s": self.elapsed_s,
            "elevation_gain_m": self.elevation_gain_m,
            "avg_hr": self.avg_hr,
            "max_hr": self.max_hr,
            "manual": self.manual,
            "trainer": self.trainer,
            "race": self.race,
        }
        if self.stream_summary is not None:
            data["stream_summary"] = {
                "hr_seconds": [list(pair) for pair in self.stream_summary.hr_seconds],
                "efficiency_factor": self.stream_summary.efficiency_factor,
                "decoupling_pct": self.stream_summary.decoupling_pct,
            }
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild an activity from `as_dict` output."""
        summary = data.get("stream_summary")
        return cls(
            id=int(data["id"]),
            start=datetime.fromisoformat(data["start"]),
            sport_type=str(data["sport_type"]),
            name=str(data.get("name", "")),
            distance_m=float(data.get("distance_m", 0.0)),
            moving_s=float(data.get("moving_s", 0.0)),
            elapsed_s=float(data.get("elapsed_s", 0.0)),
            elevation_gain_m=float(data.get("elevation_gain_m", 0.0)),
            avg_hr=_optional_float(data.get("avg_hr")),
            max_hr=_optional_float(data.get("max_hr")),
            manual=bool(data.get("manual", False)),
            trainer=bool(data.get("trainer", False)),
            race=bool(data.get("race", False)),
            stream_summary=None
            if summary is None
            else StreamSummary(
                hr_seconds=HrHistogram(
                    (int(bpm), float(sec)) for bpm, sec in summary["hr_seconds"]
                ),
                efficiency_factor=summary.get("efficiency_factor"),
                decoupling_pct=summary.get("decoupling_pct"),
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class GoalRace:
    """The race the athlete trains for."""

    race_date: date
    distance_m: float
    goal_time_s: float | None = None
    name: str = ""

    def __post_init__(self) -> None:
        """Refuse impossible goals."""
        if not math.isfinite(self.distance_m) or self.distance_m <= 0:
            raise ValueError("GoalRace.distance_m must be positive")
        if self.goal_time_s is not None and (
            not math.isfinite(self.goal_time_s) or self.goal_time_s <= 0
        ):
            raise ValueError("GoalRace.goal_time_s must be positive")


@dataclass(frozen=True, slots=True, kw_only=True)
class AthleteProfile:
    """What the engine needs to know about the athlete."""

    hr_rest: float = 60.0
    hr_max: float = 190.0
    sex: Sex = Sex.MALE
    lthr: float | None = None
    time_zone: str = "UTC"
    goal: GoalRace | None = None
    sport_types: frozenset[str] = RUN_SPORT_TYPES

    def __post_init__(self) -> None:
        """Refuse heart rates that make every formula meaningless."""
        if not (math.isfinite(self.hr_rest) and math.isfinite(self.hr_max)):
            raise ValueError("heart rates must be finite")
        if self.hr_rest <= 0 or self.hr_max <= self.hr_rest:
            raise ValueError("hr_max must be greater than hr_rest, and both positive")
