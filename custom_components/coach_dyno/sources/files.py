"""
Readers for single activity files (FIT, GPX, TCX): bytes in, a summary and its streams out.

Sync and free of Home Assistant: the importer runs them in the executor. Every reader raises
`ActivityFileError` for anything it cannot make sense of, so a bad file is skipped, never fatal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
import math
import re
from typing import Any, Final, NamedTuple
from xml.parsers import expat

from garmin_fit_sdk import Decoder, Stream
import gpxpy
import gpxpy.gpx

from custom_components.coach_dyno.training.activity import Streams
from custom_components.coach_dyno.training.bounds import HR_RANGE_BPM

FILE_KINDS: Final = ("fit", "gpx", "tcx")

# Below this speed a stretch between two samples counts as standing still (a walk is ~1.2 m/s).
_MOVING_SPEED_MS: Final = 0.5
# Altitude must move this far before a climb counts: barometers and GPS jitter by a metre or two.
_ELEVATION_HYSTERESIS_M: Final = 2.0
# Heart rates outside this range are sensor dropouts or spikes, not physiology.
_HR_RANGE: Final = HR_RANGE_BPM
# What Strava writes before `<?xml` in the TCX and GPX files of its exports: whitespace (spaces and
# newlines) and sometimes a UTF-8 byte order mark. XML allows nothing before its declaration.
_XML_PREAMBLE: Final = re.compile(rb"(?:[ \t\r\n]|\xef\xbb\xbf)*")

# Sport names as files spell them (FIT enums, TCX Sport attributes, GPX <type>, including the numeric
# codes Strava writes into its GPX files) mapped to Strava's sport_type.
_SPORTS: Final[dict[str, str]] = {
    "running": "Run",
    "run": "Run",
    "9": "Run",
    "street_running": "Run",
    "track_running": "Run",
    "trail_running": "TrailRun",
    "trail_run": "TrailRun",
    "trailrun": "TrailRun",
    "virtual_run": "VirtualRun",
    "virtualrun": "VirtualRun",
    "cycling": "Ride",
    "biking": "Ride",
    "ride": "Ride",
    "1": "Ride",
    "walking": "Walk",
    "walk": "Walk",
    "10": "Walk",
    "hiking": "Hike",
    "hike": "Hike",
    "4": "Hike",
    "swimming": "Swim",
    "swim": "Swim",
}
# Values that say nothing about the sport: the activity then defaults to a run.
_NO_SPORT: Final = frozenset({"", "generic", "all", "unknown"})


class ActivityFileError(ValueError):
    """A file that is not a readable activity."""


class _Sample(NamedTuple):
    """One recorded instant; channels the device did not record are None."""

    time: datetime
    hr: float | None
    distance_m: float | None
    altitude_m: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedFile:
    """What one activity file says: its summary, and its streams when it has samples."""

    start: datetime
    sport_type: str | None  # None when the file does not say
    name: str
    distance_m: float
    moving_s: float
    elapsed_s: float
    elevation_gain_m: float
    avg_hr: float | None
    max_hr: float | None
    trainer: bool
    streams: Streams | None


def file_kind(name: str) -> tuple[str, bool] | None:
    """Return (kind, gzipped) for an activity file name, or None for any other file."""
    lowered = name.lower()
    gzipped = lowered.endswith(".gz")
    if gzipped:
        lowered = lowered[:-3]
    for kind in FILE_KINDS:
        if lowered.endswith(f".{kind}"):
            return kind, gzipped
    return None


def parse_activity_file(kind: str, data: bytes) -> ParsedFile:
    """Parse the (already decompressed) bytes of a FIT, GPX or TCX file."""
    parsers: dict[str, Callable[[bytes], ParsedFile]] = {
        "fit": parse_fit,
        "gpx": parse_gpx,
        "tcx": parse_tcx,
    }
    if kind not in parsers:
        raise ActivityFileError(f"unknown activity file kind {kind!r}")
    return parsers[kind](data)


def map_sport(value: object) -> str | None:
    """Map a file's sport name to Strava's sport_type; None when the file does not say."""
    if not isinstance(value, str | int):
        return None
    key = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    if key in _NO_SPORT:
        return None
    # A sport the file names but Strava's running types do not cover is still not a run.
    return _SPORTS.get(key, "Workout")


# ---------------------------------------------------------------------------------------------------
# FIT (Garmin's SDK)


def parse_fit(data: bytes) -> ParsedFile:
    """Parse a FIT activity with Garmin's FIT SDK."""
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    if not decoder.is_fit():
        raise ActivityFileError("not a FIT file")
    messages, errors = decoder.read()
    if errors:
        raise ActivityFileError(f"FIT file is damaged: {errors[0]}")

    samples = [
        _Sample(
            time=timestamp,
            hr=_number(record.get("heart_rate")),
            distance_m=_number(record.get("distance")),
            altitude_m=_number(record.get("enhanced_altitude", record.get("altitude"))),
        )
        for record in messages.get("record_mesgs", [])
        if isinstance(timestamp := record.get("timestamp"), datetime)
    ]
    sessions: list[Any] = list(messages.get("session_mesgs", []))
    session = sessions[0] if sessions else {}

    def total(key: str) -> float | None:
        """Sum a session field over every session (multisport files have several)."""
        values = [value for s in sessions if (value := _number(s.get(key))) is not None]
        return sum(values) if values else None

    session_start = session.get("start_time")
    start = session_start if isinstance(session_start, datetime) else None
    sub_sport = str(session.get("sub_sport", "")).lower()
    sport = map_sport(session.get("sport"))
    if sport == "Run" and sub_sport == "trail":
        sport = "TrailRun"
    elif sport == "Run" and sub_sport == "virtual_activity":
        sport = "VirtualRun"
    elif sport == "Ride" and sub_sport == "virtual_activity":
        sport = "VirtualRide"
    max_hrs = [v for s in sessions if (v := _number(s.get("max_heart_rate"))) is not None]
    return _assemble(
        samples,
        start=start,
        sport_type=sport,
        name="",
        distance_m=total("total_distance"),
        moving_s=total("total_timer_time"),
        elapsed_s=total("total_elapsed_time"),
        elevation_gain_m=total("total_ascent"),
        avg_hr=_number(session.get("avg_heart_rate")),
        max_hr=max(max_hrs) if max_hrs else None,
        trainer=sub_sport in {"treadmill", "indoor_cycling", "virtual_activity", "indoor_running"},
    )


# ---------------------------------------------------------------------------------------------------
# GPX (gpxpy)


def parse_gpx(data: bytes) -> ParsedFile:
    """Parse a GPX track with gpxpy; heart rate comes from Garmin's TrackPointExtension."""
    # gpxpy only reads UTF-8, where a byte search for the declarations is exact.
    _refuse_declarations(data)
    try:
        text = _strip_preamble(data).decode("utf-8")
    except UnicodeDecodeError as err:
        raise ActivityFileError("GPX file is not UTF-8") from err
    try:
        gpx = gpxpy.parse(text)
    except (gpxpy.gpx.GPXException, ValueError, IndexError) as err:
        raise ActivityFileError(f"GPX file cannot be read: {err}") from err

    samples: list[_Sample] = []
    travelled = 0.0
    for track in gpx.tracks:
        for segment in track.segments:
            previous: gpxpy.gpx.GPXTrackPoint | None = None
            for point in segment.points:
                if point.time is None:
                    continue
                # No distance is credited across a segment break: the device was paused there.
                if previous is not None:
                    travelled += point.distance_2d(previous) or 0.0
                previous = point
                samples.append(
                    _Sample(
                        time=point.time,
                        hr=_extension_hr(point.extensions),
                        distance_m=travelled,
                        altitude_m=_number(point.elevation),
                    )
                )
    first_track = gpx.tracks[0] if gpx.tracks else None
    return _assemble(
        samples,
        start=None,
        sport_type=map_sport(first_track.type) if first_track else None,
        name=(first_track.name if first_track else None) or gpx.name or "",
    )


def _extension_hr(extensions: Sequence[Any]) -> float | None:
    """Find `hr` inside a point's extensions, whatever namespace prefix the writer chose."""
    for extension in extensions:
        for element in extension.iter():
            if str(element.tag).rpartition("}")[2] == "hr":
                return _number_text(element.text)
    return None


# ---------------------------------------------------------------------------------------------------
# TCX (expat, hardened)


class _TcxReader:
    """A streaming TCX reader that keeps only the fields the coach uses."""

    def __init__(self) -> None:
        """Start with nothing read."""
        self.stack: list[str] = []
        self.text: list[str] = []
        self.sport: str | None = None
        self.activity_id: str | None = None
        self.samples: list[_Sample] = []
        self.lap_time_s = 0.0
        self.lap_distance_m = 0.0
        self.lap_hr_weighted = 0.0
        self.lap_hr_time_s = 0.0
        self.lap_max_hr: float | None = None
        self._point: dict[str, str] = {}
        self._lap: dict[str, str] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        """Open an element."""
        local = name.rpartition(" ")[2]
        self.stack.append(local)
        self.text = []
        if local == "Activity" and self.sport is None:
            self.sport = attrs.get("Sport")
        elif local == "Trackpoint":
            self._point = {}
        elif local == "Lap":
            self._lap = {}

    def characters(self, data: str) -> None:
        """Collect text."""
        self.text.append(data)

    def end(self, name: str) -> None:
        """Close an element and keep its text where it belongs."""
        local = self.stack.pop()
        text = "".join(self.text).strip()
        self.text = []
        parent = self.stack[-1] if self.stack else ""
        owner = self.stack[-2] if len(self.stack) > 1 else ""
        if local == "Trackpoint":
            self._close_point()
        elif local == "Lap":
            self._close_lap()
        elif local == "Value" and owner == "Trackpoint":
            self._point["hr"] = text
        elif local == "Value" and owner == "Lap":
            self._lap[parent] = text
        elif text and parent == "Trackpoint":
            self._point[local] = text
        elif text and parent == "Lap":
            self._lap[local] = text
        elif local == "Id" and parent == "Activity" and self.activity_id is None:
            self.activity_id = text

    def _close_point(self) -> None:
        try:
            time = parse_iso_time(self._point.get("Time", ""))
        except ValueError:
            return  # a point without a usable time cannot be placed on the timeline
        self.samples.append(
            _Sample(
                time=time,
                hr=_number_text(self._point.get("hr")),
                distance_m=_number_text(self._point.get("DistanceMeters")),
                altitude_m=_number_text(self._point.get("AltitudeMeters")),
            )
        )

    def _close_lap(self) -> None:
        seconds = _number_text(self._lap.get("TotalTimeSeconds")) or 0.0
        self.lap_time_s += seconds
        self.lap_distance_m += _number_text(self._lap.get("DistanceMeters")) or 0.0
        if (avg := _number_text(self._lap.get("AverageHeartRateBpm"))) is not None:
            self.lap_hr_weighted += avg * seconds
            self.lap_hr_time_s += seconds
        if (peak := _number_text(self._lap.get("MaximumHeartRateBpm"))) is not None:
            self.lap_max_hr = peak if self.lap_max_hr is None else max(self.lap_max_hr, peak)


def _refuse_doctype(*_args: object) -> None:
    """Abort on a DOCTYPE or entity declaration: activity files never need one."""
    raise ActivityFileError("XML declarations (DOCTYPE/ENTITY) are refused")


def _refuse_declarations(data: bytes) -> None:
    """Refuse DOCTYPE and ENTITY declarations before any parser sees them (entity expansion)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        _refuse_doctype()


def _strip_preamble(data: bytes) -> bytes:
    """
    Drop the whitespace and UTF-8 byte order marks before the document, in any order.

    Only bytes that carry nothing are dropped, and only at the very start: the declaration checks
    and the parser's own refusals see the same document either way.
    """
    match = _XML_PREAMBLE.match(data)
    return data[match.end() :] if match else data


def parse_tcx(data: bytes) -> ParsedFile:
    """Parse a TCX activity with the standard library's expat, refusing any DTD."""
    _refuse_declarations(data)
    reader = _TcxReader()
    parser = expat.ParserCreate(namespace_separator=" ")
    # The byte check above misses other encodings (UTF-16): the parser refuses them again.
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.characters
    try:
        parser.Parse(_strip_preamble(data), True)
    except expat.ExpatError as err:
        raise ActivityFileError(f"TCX file cannot be read: {err}") from err

    start: datetime | None = None
    if reader.activity_id:
        try:
            start = parse_iso_time(reader.activity_id)
        except ValueError:
            start = None
    lap_avg_hr = reader.lap_hr_weighted / reader.lap_hr_time_s if reader.lap_hr_time_s > 0 else None
    return _assemble(
        reader.samples,
        start=start,
        sport_type=None if reader.sport is None else map_sport(reader.sport),
        name="",
        distance_m=reader.lap_distance_m or None,
        moving_s=reader.lap_time_s or None,
        avg_hr=lap_avg_hr,
        max_hr=reader.lap_max_hr,
        prefer_samples_for_hr=True,
    )


# ---------------------------------------------------------------------------------------------------
# Shared: streams and summaries from samples


def _assemble(
    samples: list[_Sample],
    *,
    start: datetime | None,
    sport_type: str | None,
    name: str,
    distance_m: float | None = None,
    moving_s: float | None = None,
    elapsed_s: float | None = None,
    elevation_gain_m: float | None = None,
    avg_hr: float | None = None,
    max_hr: float | None = None,
    trainer: bool = False,
    prefer_samples_for_hr: bool = False,
) -> ParsedFile:
    """Build the summary: the file's own totals win, the samples fill what it left out."""
    streams = build_streams(samples)
    if start is None:
        if not samples:
            raise ActivityFileError("no timestamped samples and no start time")
        start = samples[0].time
    start = _as_utc(start)

    derived = _derive(streams)
    hr_avg, hr_max = derived.avg_hr, derived.max_hr
    # A file's own heart rate outside the range means no strap (some write 0), as for samples.
    avg_hr, max_hr = _heart_rate(avg_hr), _heart_rate(max_hr)
    if not prefer_samples_for_hr or hr_avg is None:
        hr_avg = avg_hr if avg_hr is not None else hr_avg
        hr_max = max_hr if max_hr is not None else hr_max
    return ParsedFile(
        start=start,
        sport_type=sport_type,
        name=name.strip(),
        distance_m=_first(distance_m, derived.distance_m),
        moving_s=_first(moving_s, derived.moving_s),
        elapsed_s=_first(elapsed_s, derived.elapsed_s),
        elevation_gain_m=_first(elevation_gain_m, derived.elevation_gain_m),
        avg_hr=hr_avg,
        max_hr=hr_max,
        trainer=trainer,
        streams=streams,
    )


class _Derived(NamedTuple):
    """Totals computed from the streams."""

    distance_m: float
    moving_s: float
    elapsed_s: float
    elevation_gain_m: float
    avg_hr: float | None
    max_hr: float | None


def _derive(streams: Streams | None) -> _Derived:
    """Compute totals from streams, for files that do not carry their own."""
    if streams is None:
        return _Derived(0.0, 0.0, 0.0, 0.0, None, None)
    time_s = streams.time_s
    elapsed = time_s[-1] - time_s[0]
    distance = 0.0
    moving = elapsed
    if streams.distance_m is not None:
        dist = streams.distance_m
        distance = max(0.0, dist[-1])
        moving = 0.0
        for i in range(1, len(time_s)):
            dt = time_s[i] - time_s[i - 1]
            if dt > 0 and (dist[i] - dist[i - 1]) / dt >= _MOVING_SPEED_MS:
                moving += dt
    gain = 0.0
    if streams.altitude_m is not None:
        # Hysteresis: a climb counts once it rises a band above the last low point, and then
        # every metre of it counts until the road drops a band below the top.
        reference = streams.altitude_m[0]
        climbing = False
        for altitude in streams.altitude_m[1:]:
            rise = altitude - reference
            if rise > 0 and (climbing or rise >= _ELEVATION_HYSTERESIS_M):
                gain += rise
                reference = altitude
                climbing = True
            elif rise < 0 and (not climbing or -rise >= _ELEVATION_HYSTERESIS_M):
                reference = altitude
                climbing = False
    avg_hr = max_hr = None
    if streams.heartrate is not None:
        avg_hr = sum(streams.heartrate) / len(streams.heartrate)
        max_hr = max(streams.heartrate)
    return _Derived(distance, moving, elapsed, gain, avg_hr, max_hr)


def build_streams(samples: Sequence[_Sample]) -> Streams | None:
    """Align samples into streams: time strictly increasing, gaps in a channel carried forward."""
    kept: list[_Sample] = []
    for sample in samples:
        # GPX and TCX times may be naive or in any zone: compare instants, in UTC.
        moment = _as_utc(sample.time)
        if not kept or moment > kept[-1].time:
            kept.append(sample._replace(time=moment))
    if len(kept) < 2:
        return None
    origin = kept[0].time
    return Streams(
        time_s=tuple((s.time - origin).total_seconds() for s in kept),
        heartrate=_fill([_heart_rate(s.hr) for s in kept]),
        distance_m=_fill([s.distance_m for s in kept]),
        altitude_m=_fill([s.altitude_m for s in kept]),
    )


def _heart_rate(value: float | None) -> float | None:
    """Return a heart rate within the physiological range, None for anything else."""
    low, high = _HR_RANGE
    return value if value is not None and low <= value <= high else None


def _fill(values: list[float | None]) -> tuple[float, ...] | None:
    """Carry the last known value over gaps (and the first one back over a leading gap)."""
    known = [value for value in values if value is not None]
    if not known:
        return None
    last = known[0]
    filled: list[float] = []
    for value in values:
        if value is not None:
            last = value
        filled.append(last)
    return tuple(filled)


def _first(value: float | None, fallback: float) -> float:
    """Return the file's own total when it has a usable one, else the derived value."""
    if value is None or not math.isfinite(value) or value < 0:
        return fallback
    return value


def _number(value: object) -> float | None:
    """Return a finite float, or None for anything else (FIT writes None for invalid values)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _number_text(text: str | None) -> float | None:
    """Parse a number written in an XML element, None when it is missing or not a number."""
    if not text:
        return None
    try:
        return _number(float(text.strip()))
    except ValueError:
        return None


def parse_iso_time(text: str) -> datetime:
    """Parse an ISO 8601 timestamp as activity files and exports write it; naive times are UTC."""
    return _as_utc(datetime.fromisoformat(text.strip()))


def _as_utc(moment: datetime) -> datetime:
    """Return the same instant in UTC (a naive time is taken as UTC, as FIT and GPX define it)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
