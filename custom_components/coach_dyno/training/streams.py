"""
What the engine keeps of an activity's streams: HR histogram, efficiency factor, decoupling.

Efficiency factor (EF) is speed in metres per minute divided by heart rate: a rising EF at the same
effort means aerobic fitness is improving. Aerobic decoupling (Pa:HR) compares the EF of the first
and second half of the run by time: (EF1 - EF2) / EF1 x 100; under about 5 % the run was aerobically
steady. Both use the stream rules of `trimp` (pauses and heart-rate dropouts count nothing), and
decoupling needs at least `MIN_DECOUPLING_S` of usable recording to mean anything.
"""

from __future__ import annotations

from collections.abc import Sequence
import math
from typing import Final

from .activity import Activity, Streams, StreamSummary
from .trimp import counted_intervals, hr_histogram

MIN_DECOUPLING_S: Final = 20 * 60.0

type _Segment = tuple[float, float, float]


def _segments(
    time_s: Sequence[float], distance_m: Sequence[float], hr: Sequence[float]
) -> list[_Segment]:
    """Return (seconds, metres, heart beats) per usable interval, after checking the stream."""
    if not len(time_s) == len(distance_m) == len(hr):
        raise ValueError("time, distance and heart-rate streams must have the same length")
    segments: list[_Segment] = []
    for index, step, beat in counted_intervals(time_s, hr):
        start, end = distance_m[index], distance_m[index + 1]
        # A heart rate of 0 is a strap dropout: its metres would count without any beats.
        if beat > 0 and math.isfinite(start) and math.isfinite(end):
            # A GPS reset can make the cumulative distance step back: that interval adds no metres.
            segments.append((step, max(end - start, 0.0), beat * step))
    return segments


def _ef(metres: float, beats: float) -> float | None:
    """Return EF (m/min per bpm) from metres covered and heart beats x seconds."""
    return 60.0 * metres / beats if beats > 0 and metres > 0 else None


def efficiency_factor(
    time_s: Sequence[float], distance_m: Sequence[float], hr: Sequence[float]
) -> float | None:
    """Return the efficiency factor of a stream, or None without usable samples."""
    return _segments_ef(_segments(time_s, distance_m, hr))


def aerobic_decoupling(
    time_s: Sequence[float], distance_m: Sequence[float], hr: Sequence[float]
) -> float | None:
    """Return aerobic decoupling in %, or None when the usable recording is too short."""
    return _segments_decoupling(_segments(time_s, distance_m, hr))


def _segments_ef(segments: list[_Segment]) -> float | None:
    """Return the EF of checked segments."""
    return _ef(sum(s[1] for s in segments), sum(s[2] for s in segments))


def _segments_decoupling(segments: list[_Segment]) -> float | None:
    """Return the aerobic decoupling of checked segments."""
    total = sum(s[0] for s in segments)
    if total < MIN_DECOUPLING_S:
        return None
    half = total / 2.0
    elapsed = 0.0
    first = [0.0, 0.0]
    second = [0.0, 0.0]
    for seconds, metres, beats in segments:
        # The interval that straddles the midpoint is shared in proportion to its time.
        share = min(max((half - elapsed) / seconds, 0.0), 1.0)
        first[0] += metres * share
        first[1] += beats * share
        second[0] += metres * (1.0 - share)
        second[1] += beats * (1.0 - share)
        elapsed += seconds
    ef_first = _ef(first[0], first[1])
    ef_second = _ef(second[0], second[1])
    if ef_first is None or ef_second is None:
        return None
    return (ef_first - ef_second) / ef_first * 100.0


def summarize_streams(streams: Streams) -> StreamSummary:
    """Reduce streams to what every metric needs: HR histogram, EF and aerobic decoupling."""
    hr = streams.heartrate
    if hr is None:
        return StreamSummary()
    histogram = hr_histogram(streams.time_s, hr)
    distance = streams.distance_m
    if distance is None:
        return StreamSummary(hr_seconds=histogram)
    segments = _segments(streams.time_s, distance, hr)
    return StreamSummary(
        hr_seconds=histogram,
        efficiency_factor=_segments_ef(segments),
        decoupling_pct=_segments_decoupling(segments),
    )


def activity_efficiency_factor(activity: Activity) -> float | None:
    """Return an activity's EF: from its streams when summarised, else from its averages."""
    summary = activity.stream_summary
    if summary is not None and summary.efficiency_factor is not None:
        return summary.efficiency_factor
    if not activity.avg_hr or not activity.moving_s or not activity.distance_m:
        return None
    return activity.distance_m / (activity.moving_s / 60.0) / activity.avg_hr
