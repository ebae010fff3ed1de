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

from .activity import Activity, HrHistogram, Streams, StreamSummary
from .trimp import MAX_SAMPLE_GAP_S, hr_histogram

MIN_DECOUPLING_S: Final = 20 * 60.0


def _segments(
    time_s: Sequence[float], distance_m: Sequence[float], hr: Sequence[float]
) -> list[tuple[float, float, float]]:
    """Return (seconds, metres, heart beats) per usable interval, after checking the stream."""
    if not len(time_s) == len(distance_m) == len(hr):
        raise ValueError("time, distance and heart-rate streams must have the same length")
    segments: list[tuple[float, float, float]] = []
    for index in range(len(time_s) - 1):
        step = time_s[index + 1] - time_s[index]
        if not math.isfinite(step) or step < 0:
            raise ValueError(f"time_s must be finite and non-decreasing (sample {index + 1})")
        beat = hr[index]
        if beat < 0:
            raise ValueError(f"heart rate must be >= 0, got {beat!r} (sample {index})")
        start, end = distance_m[index], distance_m[index + 1]
        usable = 0 < step <= MAX_SAMPLE_GAP_S and beat > 0
        if usable and math.isfinite(beat) and math.isfinite(start) and math.isfinite(end):
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
    segments = _segments(time_s, distance_m, hr)
    return _ef(sum(s[1] for s in segments), sum(s[2] for s in segments))


def aerobic_decoupling(
    time_s: Sequence[float], distance_m: Sequence[float], hr: Sequence[float]
) -> float | None:
    """Return aerobic decoupling in %, or None when the usable recording is too short."""
    segments = _segments(time_s, distance_m, hr)
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
    histogram = HrHistogram(hr_histogram(streams.time_s, hr))
    distance = streams.distance_m
    if distance is None:
        return StreamSummary(hr_seconds=histogram)
    return StreamSummary(
        hr_seconds=histogram,
        efficiency_factor=efficiency_factor(streams.time_s, distance, hr),
        decoupling_pct=aerobic_decoupling(streams.time_s, distance, hr),
    )


def activity_efficiency_factor(activity: Activity) -> float | None:
    """Return an activity's EF: from its streams when summarised, else from its averages."""
    summary = activity.stream_summary
    if summary is not None and summary.efficiency_factor is not None:
        return summary.efficiency_factor
    if not activity.avg_hr or not activity.moving_s or not activity.distance_m:
        return None
    return activity.distance_m / (activity.moving_s / 60.0) / activity.avg_hr
