"""
Training load of one activity: heart-rate TRIMP, or an estimate from pace for runs without HR.

Banister's exponential TRIMP and Edwards' zone TRIMP come from heart rate.

Banister: minutes x HRr x A x e^(B x HRr), HRr = (HR - rest) / (max - rest), with A = 0.64, B = 1.92
for men and A = 0.86, B = 1.67 for women. HRr is held to [0, 1]: nothing counts below rest, and a
reading above the athlete's maximum (a strap spike or an outdated profile) counts as the maximum, so
one glitch cannot dominate the exponential.

Edwards: minutes in each zone of %HRmax (50, 60, 70, 80, 90 %) weighted 1..5; below 50 % counts 0 and
above 100 % counts 5.

Stream rules, shared through `counted_intervals` by the per-sample and histogram forms (so both give
the same number) and by the efficiency metrics of `streams` (which keep the unrounded heart rate):
- sample i holds its heart rate until sample i + 1 (the last sample adds nothing);
- heart rates are rounded to whole bpm (every source records whole bpm anyway);
- an interval longer than `MAX_SAMPLE_GAP_S` is a pause (auto-pause, lost signal) and counts nothing;
- a non-finite heart rate is a dropout and its interval counts nothing.

Pace estimate (`PaceModel`), for a run recorded without heart rate: running TSS (rTSS, Coggan's
TSS applied to pace) = hours x IF^2 x 100, IF = threshold pace / the run's pace, with Daniels' T
pace of the runner's VDOT as threshold pace (Daniels' Running Formula). The average moving pace
stands in for the normalised graded pace (no streams): hills and intervals read a little easy. The
rTSS becomes TRIMP by a factor: the runner's own TRIMP / rTSS over recent runs that have both
(`CALIBRATION_RUNS` or more), else the hrTSS convention that an hour at threshold scores 100, i.e.
TRIMP of one hour at the threshold heart rate / 100 (the profile's LTHR, or 90 % of HRmax, the
middle of Daniels' 88-92 % band for T pace).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
import math
from typing import Final

from ._common import require_heart_rates, require_non_negative, require_positive
from .activity import Activity, AthleteProfile, HrHistogram, Sex

MAX_SAMPLE_GAP_S: Final = 60.0
BANISTER_COEFFICIENTS: Final[dict[Sex, tuple[float, float]]] = {
    Sex.MALE: (0.64, 1.92),
    Sex.FEMALE: (0.86, 1.67),
}
THRESHOLD_HR_FRACTION: Final = 0.90
CALIBRATION_RUNS: Final = 5
# (lower bound as a fraction of HRmax, weight), highest first.
EDWARDS_ZONES: Final = ((0.9, 5), (0.8, 4), (0.7, 3), (0.6, 2), (0.5, 1))


def _coefficients(sex: Sex | str) -> tuple[float, float]:
    """Return Banister's (A, B) for `sex`, refusing anything but male or female."""
    try:
        return BANISTER_COEFFICIENTS[Sex(sex)]
    except ValueError as err:
        raise ValueError(f"sex must be 'male' or 'female', got {sex!r}") from err


def _edwards_weight(hr: float, peak: float) -> int:
    """Return Edwards' zone weight (0..5) for `hr`."""
    fraction = hr / peak
    for lower, weight in EDWARDS_ZONES:
        if fraction >= lower:
            return weight
    return 0


def _bpm(hr: float) -> int:
    """Round a heart rate half up to whole bpm."""
    return math.floor(hr + 0.5)


def counted_intervals(
    time_s: Sequence[float], hr: Sequence[float]
) -> Iterator[tuple[int, float, float]]:
    """Yield (sample index, seconds, heart rate) of every interval that counts (the stream rules)."""
    if len(time_s) != len(hr):
        raise ValueError(f"time_s has {len(time_s)} samples but hr has {len(hr)}")
    previous: float | None = None
    for index, moment in enumerate(time_s):
        if not math.isfinite(moment) or (previous is not None and moment < previous):
            raise ValueError(f"time_s must be finite and non-decreasing (sample {index})")
        previous = moment
    for index in range(len(time_s) - 1):
        beat = hr[index]
        if not math.isfinite(beat):
            continue
        if beat < 0:
            raise ValueError(f"heart rate must be >= 0, got {beat!r} (sample {index})")
        step = time_s[index + 1] - time_s[index]
        if 0 < step <= MAX_SAMPLE_GAP_S:
            yield index, step, beat


def _intervals(time_s: Sequence[float], hr: Sequence[float]) -> Iterator[tuple[float, int]]:
    """Yield (seconds, whole bpm) for every interval that counts."""
    for _, step, beat in counted_intervals(time_s, hr):
        yield step, _bpm(beat)


def hr_histogram(time_s: Sequence[float], hr: Sequence[float]) -> HrHistogram:
    """Return the seconds spent at each whole bpm, sorted by bpm (the stream rules above)."""
    return HrHistogram((bpm, step) for step, bpm in _intervals(time_s, hr))


def _checked_histogram(hr_seconds: Iterable[tuple[int, float]]) -> Iterator[tuple[int, float]]:
    """Yield the histogram's pairs after refusing negative or non-finite entries."""
    for bpm, seconds in hr_seconds:
        yield int(require_non_negative("bpm", bpm)), require_non_negative("seconds", seconds)


def banister_trimp(
    duration_s: float,
    avg_hr: float,
    hr_rest: float,
    hr_max: float,
    sex: Sex | str = Sex.MALE,
) -> float:
    """Return Banister's TRIMP from a session's duration and average heart rate."""
    duration = require_non_negative("duration_s", duration_s)
    beat = require_non_negative("avg_hr", avg_hr)
    return duration / 60.0 * BanisterModel(hr_rest, hr_max, sex).per_minute(beat)


def banister_trimp_stream(
    time_s: Sequence[float],
    hr: Sequence[float],
    hr_rest: float,
    hr_max: float,
    sex: Sex | str = Sex.MALE,
) -> float:
    """Return Banister's TRIMP integrated sample by sample over a heart-rate stream."""
    model = BanisterModel(hr_rest, hr_max, sex)
    total = 0.0
    for step, bpm in _intervals(time_s, hr):
        total += step * model.per_minute(bpm)
    return total / 60.0


def banister_trimp_histogram(
    hr_seconds: Iterable[tuple[int, float]],
    hr_rest: float,
    hr_max: float,
    sex: Sex | str = Sex.MALE,
) -> float:
    """Return Banister's TRIMP from the time spent at each bpm (equal to the stream form)."""
    model = BanisterModel(hr_rest, hr_max, sex)
    total = 0.0
    for bpm, seconds in _checked_histogram(hr_seconds):
        total += seconds * model.per_minute(bpm)
    return total / 60.0


def edwards_trimp(time_s: Sequence[float], hr: Sequence[float], hr_max: float) -> float:
    """Return Edwards' TRIMP (zone-weighted minutes) over a heart-rate stream."""
    peak = require_positive("hr_max", hr_max)
    total = 0.0
    for step, bpm in _intervals(time_s, hr):
        total += step * _edwards_weight(bpm, peak)
    return total / 60.0


def edwards_trimp_histogram(hr_seconds: Iterable[tuple[int, float]], hr_max: float) -> float:
    """Return Edwards' TRIMP from the time spent at each bpm."""
    peak = require_positive("hr_max", hr_max)
    total = 0.0
    for bpm, seconds in _checked_histogram(hr_seconds):
        total += seconds * _edwards_weight(bpm, peak)
    return total / 60.0


class BanisterModel:
    """Banister's per-minute weighting for one athlete, checked once and reused for many runs."""

    __slots__ = ("_key", "_per_bpm", "a", "b", "peak", "rest")

    def __init__(self, hr_rest: float, hr_max: float, sex: Sex | str = Sex.MALE) -> None:
        """Check the athlete's heart rates and pick the coefficients for `sex`."""
        self.rest, self.peak = require_heart_rates(hr_rest, hr_max)
        self.a, self.b = _coefficients(sex)
        # What a histogram's remembered TRIMP depends on (see HrHistogram.weighted_minutes).
        self._key = (self.rest, self.peak, self.a, self.b)
        # Histograms repeat the same few dozen bpm values: one exponential per bpm, not per bin.
        self._per_bpm: dict[int, float] = {}

    @classmethod
    def for_profile(cls, profile: AthleteProfile) -> BanisterModel:
        """Return the model of an athlete profile."""
        return cls(profile.hr_rest, profile.hr_max, profile.sex)

    def per_minute(self, hr: float) -> float:
        """Return the TRIMP of one minute at `hr`."""
        hrr = min(max((hr - self.rest) / (self.peak - self.rest), 0.0), 1.0)
        return hrr * self.a * math.exp(self.b * hrr)

    def _bpm_weight(self, bpm: int) -> float:
        """Return the TRIMP of one minute at a whole `bpm`, computed once per model."""
        weight = self._per_bpm.get(bpm)
        if weight is None:
            weight = self._per_bpm[bpm] = self.per_minute(bpm)
        return weight

    def activity(self, activity: Activity) -> float | None:
        """Return an activity's TRIMP (see `activity_trimp`)."""
        summary = activity.stream_summary
        if summary is not None and summary.hr_seconds:
            return summary.hr_seconds.weighted_minutes(self._key, self._bpm_weight)
        streams = activity.streams
        if streams is not None and streams.heartrate:
            histogram = hr_histogram(streams.time_s, streams.heartrate)
            if histogram:
                return histogram.weighted_minutes(self._key, self._bpm_weight)
        duration = activity.moving_s or activity.elapsed_s
        if not activity.avg_hr or not duration:
            return None
        # `per_minute` inlined: Activity has already refused negative or NaN durations and heart
        # rates, and this line runs once per activity of a ten-year history.
        hrr = min(max((activity.avg_hr - self.rest) / (self.peak - self.rest), 0.0), 1.0)
        return duration / 60.0 * hrr * self.a * math.exp(self.b * hrr)


def activity_trimp(activity: Activity, profile: AthleteProfile) -> float | None:
    """
    Return an activity's Banister TRIMP, or None when it has no heart rate or no duration.

    The heart-rate histogram (or the raw stream) wins over the average: it sees intervals that an
    average flattens. Without either, the average heart rate over the moving time is used.
    """
    return BanisterModel.for_profile(profile).activity(activity)


def running_tss(duration_s: float, distance_m: float, threshold_s_per_km: float) -> float:
    """Return running TSS: hours x IF^2 x 100, IF = threshold pace / the run's average pace."""
    duration = require_positive("duration_s", duration_s)
    distance = require_positive("distance_m", distance_m)
    threshold = require_positive("threshold_s_per_km", threshold_s_per_km)
    intensity = threshold / (duration / (distance / 1000.0))
    return duration / 3600.0 * intensity * intensity * 100.0


class PaceModel:
    """The load of a run without heart rate, from its pace, in Banister TRIMP units (estimated)."""

    __slots__ = ("threshold", "trimp_per_tss")

    def __init__(self, threshold_s_per_km: float, trimp_per_tss: float) -> None:
        """Keep the threshold pace and the TRIMP one rTSS point is worth."""
        self.threshold = require_positive("threshold_s_per_km", threshold_s_per_km)
        self.trimp_per_tss = require_non_negative("trimp_per_tss", trimp_per_tss)

    @classmethod
    def calibrated(
        cls,
        threshold_s_per_km: float,
        profile: AthleteProfile,
        measured: Iterable[tuple[Activity, float]],
    ) -> PaceModel:
        """Return the model scaled by the runner's runs with both a TRIMP and a pace, if enough."""
        default = cls(threshold_s_per_km, 1.0)
        trimp_total = tss_total = 0.0
        count = 0
        for activity, trimp in measured:
            tss = default.activity(activity)
            if tss:
                trimp_total += trimp
                tss_total += tss
                count += 1
        if count >= CALIBRATION_RUNS and trimp_total > 0:
            return cls(threshold_s_per_km, trimp_total / tss_total)
        threshold_hr = profile.lthr or THRESHOLD_HR_FRACTION * profile.hr_max
        hour = 60.0 * BanisterModel.for_profile(profile).per_minute(threshold_hr)
        return cls(threshold_s_per_km, hour / 100.0)

    def activity(self, activity: Activity) -> float | None:
        """Return a run's estimated TRIMP, or None without a distance and a duration."""
        duration = activity.moving_s or activity.elapsed_s
        if not duration or not activity.distance_m:
            return None
        # `running_tss` inlined: Activity has already refused negative or NaN values, and this line
        # runs once per run of a decade without heart rate.
        intensity = self.threshold * activity.distance_m / 1000.0 / duration
        return duration / 36.0 * intensity * intensity * self.trimp_per_tss
