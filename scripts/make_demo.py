"""
Generate the bundled demo: a synthetic Strava export of a plausible runner's last two years.

Nobody's data: every number comes from a seeded random model of a runner (resting HR 52, max 188) who
trains four to six times a week towards a sub-1:45 half marathon, with easy runs, long runs, tempo and
interval sessions, a recovery week every fourth week, a short break, and four races. The output is what
Strava's "Download your data" produces, trimmed to what the coach reads: `activities.csv` with Strava's
columns for every run, and `activities/` with the files of the most recent runs in a mix of formats.

Usage: .venv/bin/python scripts/make_demo.py [--end YYYY-MM-DD] [--out DIR]
The same end date always gives the same bytes; the default end is yesterday.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import csv
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import gzip
import io
from itertools import pairwise
import math
from pathlib import Path
import random
import shutil
from xml.sax.saxutils import escape

from garmin_fit_sdk import Decoder, Encoder, Profile, Stream

SEED = 1745
HR_REST = 52.0
HR_MAX = 188.0
WEEKS = 104
FILE_RUNS = 20
OUT = Path(__file__).resolve().parent.parent / "custom_components" / "coach_dyno" / "demo"
ORIGIN = (47.05, 8.31)  # where the synthetic routes start: open country, not anybody's address

# Strava's activities.csv header, in its order (duplicated names included), plus "Workout Type",
# which Coach Dyno reads to know which runs were races.
HEADER = [
    "Activity ID",
    "Activity Date",
    "Activity Name",
    "Activity Type",
    "Activity Description",
    "Elapsed Time",
    "Distance",
    "Max Heart Rate",
    "Relative Effort",
    "Commute",
    "Activity Private Note",
    "Activity Gear",
    "Filename",
    "Athlete Weight",
    "Bike Weight",
    "Elapsed Time",
    "Moving Time",
    "Distance",
    "Max Speed",
    "Average Speed",
    "Elevation Gain",
    "Elevation Loss",
    "Elevation Low",
    "Elevation High",
    "Max Grade",
    "Average Grade",
    "Average Positive Grade",
    "Average Negative Grade",
    "Max Cadence",
    "Average Cadence",
    "Max Heart Rate",
    "Average Heart Rate",
    "Max Watts",
    "Average Watts",
    "Calories",
    "Max Temperature",
    "Average Temperature",
    "Relative Effort",
    "Total Work",
    "Number of Runs",
    "Uphill Time",
    "Downhill Time",
    "Other Time",
    "Perceived Exertion",
    "Type",
    "Start Time",
    "Weighted Average Power",
    "Power Count",
    "Prefer Perceived Exertion",
    "Perceived Relative Effort",
    "Commute",
    "Total Weight Lifted",
    "From Upload",
    "Grade Adjusted Distance",
    "Weather Observation Time",
    "Weather Condition",
    "Weather Temperature",
    "Apparent Temperature",
    "Dewpoint",
    "Humidity",
    "Weather Pressure",
    "Wind Speed",
    "Wind Gust",
    "Wind Bearing",
    "Precipitation Intensity",
    "Sunrise Time",
    "Sunset Time",
    "Moon Phase",
    "Bike",
    "Gear",
    "Precipitation Probability",
    "Precipitation Type",
    "Cloud Cover",
    "Weather Visibility",
    "UV Index",
    "Weather Ozone",
    "Jump Count",
    "Total Grit",
    "Average Flow",
    "Flagged",
    "Average Elapsed Speed",
    "Dirt Distance",
    "Newly Explored Distance",
    "Newly Explored Dirt Distance",
    "Activity Count",
    "Total Steps",
    "Carbon Saved",
    "Pool Length",
    "Training Load",
    "Intensity",
    "Average Grade Adjusted Pace",
    "Timer Time",
    "Total Cycles",
    "Media",
    "Workout Type",
]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of a session run at one pace and one target heart rate."""

    seconds: float
    pace_s_km: float
    hr: float


@dataclass(slots=True)
class Run:
    """One planned run and, once simulated, its summary (and samples for the recent ones)."""

    start: datetime
    kind: str
    name: str
    segments: list[Segment]
    hilliness: float  # metres of climb per km
    race: bool = False
    activity_id: int = 0
    distance_m: float = 0.0
    moving_s: float = 0.0
    elapsed_s: float = 0.0
    gain_m: float = 0.0
    alt_low: float = 0.0
    alt_high: float = 0.0
    avg_hr: float = 0.0
    max_hr: float = 0.0
    samples: list[tuple[float, float, float, float, float, float]] = field(default_factory=list)
    filename: str = ""


def threshold_pace(day_index: int, total_days: int) -> float:
    """Lactate-threshold pace in s/km: 5:25 two years ago, near 4:53 now, fastest gains early."""
    progress: float = (day_index / total_days) ** 0.75
    return 325.0 - 32.0 * progress


def plan(end: date, rng: random.Random) -> list[Run]:
    """Lay out two years of training, week by week."""
    first_monday = end - timedelta(days=end.weekday()) - timedelta(weeks=WEEKS - 1)
    total_days = (end - first_monday).days
    races = {
        WEEKS - 74: ("10k", "Lakeside 10K"),
        WEEKS - 44: ("half", "Riverside Half Marathon"),
        WEEKS - 17: ("10k", "Autumn City 10K"),
        WEEKS - 4: ("10k", "Harbour 10K"),  # a tune-up, so the goal-race prediction is fresh
    }
    break_weeks = {WEEKS - 58, WEEKS - 57}  # a fortnight off: holidays, a cold
    runs: list[Run] = []
    for week in range(WEEKS):
        monday = first_monday + timedelta(weeks=week)
        threshold = threshold_pace((monday - first_monday).days, total_days)
        build = min(1.0, 0.55 + 0.45 * week / 60)  # long runs and volume grow over the first year
        race = races.get(week)
        after_race = races.get(week - 1)
        if week in break_weeks:
            days = [5] if week == WEEKS - 57 else []
            volume = 0.6
        elif race is not None:
            days, volume = [1, 3, 6], 0.7  # taper: fewer, shorter runs, then the race on Sunday
        elif after_race is not None or week % 4 == 3:
            days, volume = [1, 3, 5, 6], 0.7  # recovery week
        else:
            count = rng.choice((4, 5, 5, 5, 6))
            days = {4: [1, 3, 5, 6], 5: [1, 2, 3, 5, 6], 6: [0, 1, 2, 3, 5, 6]}[count]
            volume = 1.0
        quality_turn = week % 2
        for day in days:
            when = monday + timedelta(days=day)
            if when > end:
                continue
            if race is not None and day == 6:
                runs.append(race_run(when, race, threshold, rng))
            elif day == 6:
                runs.append(long_run(when, threshold, build * volume, rng))
            elif day == 1 and volume == 1.0:
                session = intervals if quality_turn == 0 else tempo
                runs.append(session(when, threshold, build, rng))
            elif day == 3 and volume == 1.0 and len(days) >= 5:
                runs.append(
                    tempo(when, threshold, build, rng)
                    if quality_turn == 0
                    else easy_run(when, threshold, volume, rng)
                )
            else:
                runs.append(easy_run(when, threshold, volume, rng))
    return runs


def start_time(day: date, rng: random.Random, weekend: bool) -> datetime:
    """Pick an early-morning start in UTC: before work on weekdays, a little later at weekends."""
    minutes = rng.randint(7 * 60, 8 * 60 + 30) if weekend else rng.randint(5 * 60 + 30, 6 * 60 + 40)
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        minutes=minutes, seconds=rng.randint(0, 59)
    )


def easy_hr(rng: random.Random) -> float:
    """Heart rate of an easy run: about 72-77 % of max."""
    return rng.uniform(137.0, 145.0)


def easy_run(day: date, threshold: float, volume: float, rng: random.Random) -> Run:
    """Plan an easy run of 6-10 km."""
    km = rng.uniform(6.0, 10.0) * (0.85 if volume < 1 else 1.0)
    pace = threshold * rng.uniform(1.19, 1.26)
    return Run(
        start=start_time(day, rng, day.weekday() >= 5),
        kind="easy",
        name=rng.choice(("Morning Run", "Morning Run", "Easy Run", "Recovery Run")),
        segments=[Segment(km * pace, pace, easy_hr(rng))],
        hilliness=rng.uniform(3.0, 9.0),
    )


def long_run(day: date, threshold: float, scale: float, rng: random.Random) -> Run:
    """Plan the Sunday long run, 12-21 km as the months go by, with a steady heart-rate drift."""
    km = max(10.0, min(21.0, rng.uniform(17.0, 21.5) * scale))
    pace = threshold * rng.uniform(1.16, 1.21)
    half = km * pace / 2
    hr = rng.uniform(140.0, 145.0)
    return Run(
        start=start_time(day, rng, True),
        kind="long",
        name="Long Run",
        segments=[Segment(half, pace, hr), Segment(half, pace * 1.01, hr + rng.uniform(4.0, 7.0))],
        hilliness=rng.uniform(5.0, 11.0),
    )


def warmup(threshold: float, rng: random.Random) -> Segment:
    """Two kilometres easy before (or after) a session."""
    pace = threshold * 1.24
    return Segment(2.0 * pace, pace, easy_hr(rng) - 4)


def intervals(day: date, threshold: float, build: float, rng: random.Random) -> Run:
    """Reps at 5-10K pace with jogged recoveries."""
    reps, metres = rng.choice(((6, 800), (5, 1000), (8, 400), (4, 1200)))
    fast = threshold * 0.93
    jog = threshold * 1.38
    segments = [warmup(threshold, rng)]
    for rep in range(reps):
        segments.append(Segment(metres / 1000 * fast, fast, min(HR_MAX - 4, 172.0 + rep * 1.5)))
        segments.append(Segment(90.0, jog, 128.0))
    segments.append(warmup(threshold, rng))
    label = f"{metres} m" if metres < 1000 else f"{metres / 1000:g} km"
    return Run(
        start=start_time(day, rng, False),
        kind="intervals",
        name=f"Intervals {reps}x{label}",
        segments=segments,
        hilliness=rng.uniform(2.0, 5.0),
    )


def tempo(day: date, threshold: float, build: float, rng: random.Random) -> Run:
    """Threshold work: continuous or in blocks, 5-8 km of it."""
    blocks, km = rng.choice(((1, 5.0 + 3.0 * build), (3, 2.0), (2, 3.0)))
    pace = threshold * rng.uniform(1.0, 1.03)
    segments = [warmup(threshold, rng)]
    for block in range(blocks):
        segments.append(Segment(km * pace, pace, rng.uniform(162.0, 167.0)))
        if block < blocks - 1:
            segments.append(Segment(120.0, threshold * 1.35, 132.0))
    segments.append(warmup(threshold, rng))
    name = f"Tempo {km:.0f} km" if blocks == 1 else f"Tempo {blocks}x{km:.0f} km"
    return Run(
        start=start_time(day, rng, False),
        kind="tempo",
        name=name,
        segments=segments,
        hilliness=rng.uniform(2.0, 6.0),
    )


def race_run(day: date, race: tuple[str, str], threshold: float, rng: random.Random) -> Run:
    """Plan a race: 10 km just under threshold pace, the half marathon a little slower."""
    kind, name = race
    km, factor, hr = (10.0, 0.985, 174.0) if kind == "10k" else (21.0975, 1.03, 168.0)
    pace = threshold * factor * rng.uniform(0.995, 1.005)
    third = km * pace / 3
    return Run(
        start=datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC),
        kind="race",
        name=name,
        segments=[
            Segment(third, pace, hr),
            Segment(third, pace, hr + 3),
            Segment(third, pace * 0.99, hr + 6),
        ],
        hilliness=rng.uniform(2.0, 5.0),
        race=True,
    )


def summarise(run: Run, rng: random.Random) -> None:
    """Fill a run's summary from its plan, without samples (older runs: only a CSV row)."""
    run.moving_s = sum(s.seconds for s in run.segments)
    run.distance_m = sum(s.seconds / s.pace_s_km * 1000 for s in run.segments)
    stops = 0.0 if run.race else rng.uniform(0.0, 150.0)
    run.elapsed_s = run.moving_s + stops
    run.gain_m = run.hilliness * run.distance_m / 1000 * rng.uniform(0.9, 1.1)
    run.alt_low = 410.0 + rng.uniform(-5, 5)
    run.alt_high = run.alt_low + min(run.gain_m, 25.0 + run.gain_m / 4)
    weights = [s.seconds for s in run.segments]
    run.avg_hr = sum(s.hr * w for s, w in zip(run.segments, weights, strict=True)) / sum(weights)
    run.avg_hr = min(run.avg_hr, HR_MAX - 8) + rng.uniform(-1.0, 1.0)
    run.max_hr = min(HR_MAX - 1, max(s.hr for s in run.segments) + rng.uniform(4.0, 9.0))


def simulate(run: Run, step_s: float, rng: random.Random) -> None:
    """Record a run sample by sample: time, HR, distance, altitude, latitude, longitude."""
    hr = 92.0
    distance = 0.0
    t = 0.0
    heading = rng.uniform(0, 2 * math.pi)
    lat, lon = ORIGIN[0] + rng.uniform(-0.01, 0.01), ORIGIN[1] + rng.uniform(-0.01, 0.01)
    wave = rng.uniform(600.0, 1400.0)  # metres between hilltops
    amplitude = run.hilliness * wave / 2000  # so that the climb per km matches the plan
    base = 410.0
    samples: list[tuple[float, float, float, float, float, float]] = []
    for segment in run.segments:
        end = t + segment.seconds
        while t < end - 1e-6:
            altitude = base + amplitude * math.sin(2 * math.pi * distance / wave)
            # Heart rate follows the effort with a lag, and is noisy like an optical or strap sensor.
            hr += (segment.hr - hr) * (1 - math.exp(-step_s / 28.0)) + rng.gauss(0, 0.9)
            samples.append((t, round(hr), distance, altitude, lat, lon))
            dt = min(step_s, end - t)
            speed = 1000 / segment.pace_s_km * rng.uniform(0.96, 1.04)
            moved = speed * dt
            heading += rng.gauss(0, 0.08)
            lat += moved * math.cos(heading) / 111_320
            lon += moved * math.sin(heading) / (111_320 * math.cos(math.radians(lat)))
            distance += moved
            t += dt
    altitude = base + amplitude * math.sin(2 * math.pi * distance / wave)
    samples.append((t, round(hr), distance, altitude, lat, lon))
    run.samples = samples
    run.moving_s = run.elapsed_s = t
    run.distance_m = distance
    beats = [s[1] for s in samples]
    run.avg_hr = sum(beats) / len(beats)
    run.max_hr = max(beats)
    altitudes = [s[3] for s in samples]
    run.gain_m = sum(max(0.0, b - a) for a, b in pairwise(altitudes))
    run.alt_low, run.alt_high = min(altitudes), max(altitudes)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as GPX and TCX writers do."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_gpx(run: Run) -> bytes:
    """Write a GPX file like Strava's own export: track points with ele, time and Garmin's hr extension."""
    out = io.StringIO()
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx creator="StravaGPX" version="1.1" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
        f" <metadata><time>{iso(run.start)}</time></metadata>\n"
        f" <trk><name>{escape(run.name)}</name><type>running</type><trkseg>\n"
    )
    for t, hr, _distance, altitude, lat, lon in run.samples:
        out.write(
            f'  <trkpt lat="{lat:.6f}" lon="{lon:.6f}"><ele>{altitude:.1f}</ele>'
            f"<time>{iso(run.start + timedelta(seconds=t))}</time><extensions>"
            f"<gpxtpx:TrackPointExtension><gpxtpx:hr>{hr:.0f}</gpxtpx:hr>"
            "</gpxtpx:TrackPointExtension></extensions></trkpt>\n"
        )
    out.write(" </trkseg></trk>\n</gpx>\n")
    return out.getvalue().encode()


def write_tcx(run: Run) -> bytes:
    """Write a TCX file as Garmin Connect does: one lap with totals, then the track."""
    out = io.StringIO()
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">\n'
        ' <Activities><Activity Sport="Running">\n'
        f"  <Id>{iso(run.start)}</Id>\n"
        f'  <Lap StartTime="{iso(run.start)}"><TotalTimeSeconds>{run.moving_s:.1f}</TotalTimeSeconds>'
        f"<DistanceMeters>{run.distance_m:.1f}</DistanceMeters>"
        f"<AverageHeartRateBpm><Value>{run.avg_hr:.0f}</Value></AverageHeartRateBpm>"
        f"<MaximumHeartRateBpm><Value>{run.max_hr:.0f}</Value></MaximumHeartRateBpm>"
        "<Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod><Track>\n"
    )
    for t, hr, distance, altitude, _lat, _lon in run.samples:
        out.write(
            f"   <Trackpoint><Time>{iso(run.start + timedelta(seconds=t))}</Time>"
            f"<AltitudeMeters>{altitude:.1f}</AltitudeMeters>"
            f"<DistanceMeters>{distance:.1f}</DistanceMeters>"
            f"<HeartRateBpm><Value>{hr:.0f}</Value></HeartRateBpm></Trackpoint>\n"
        )
    out.write("  </Track></Lap>\n </Activity></Activities>\n</TrainingCenterDatabase>\n")
    return out.getvalue().encode()


def write_fit(run: Run) -> bytes:
    """Write a FIT activity with Garmin's SDK encoder, and decode it again to prove it reads."""
    mesg = Profile["mesg_num"]
    end = run.start + timedelta(seconds=run.elapsed_s)
    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": mesg["FILE_ID"],
            "type": "activity",
            "manufacturer": "development",
            "product": 1,
            "serial_number": 1745,
            "time_created": run.start,
        }
    )
    encoder.write_mesg(
        {"mesg_num": mesg["EVENT"], "timestamp": run.start, "event": "timer", "event_type": "start"}
    )
    for t, hr, distance, altitude, _lat, _lon in run.samples:
        encoder.write_mesg(
            {
                "mesg_num": mesg["RECORD"],
                "timestamp": run.start + timedelta(seconds=t),
                "heart_rate": int(hr),
                "distance": distance,
                "enhanced_altitude": altitude,
            }
        )
    encoder.write_mesg(
        {"mesg_num": mesg["EVENT"], "timestamp": end, "event": "timer", "event_type": "stop_all"}
    )
    totals = {
        "timestamp": end,
        "start_time": run.start,
        "total_elapsed_time": run.elapsed_s,
        "total_timer_time": run.moving_s,
        "total_distance": run.distance_m,
        "avg_heart_rate": round(run.avg_hr),
        "max_heart_rate": round(run.max_hr),
        "total_ascent": round(run.gain_m),
        "sport": "running",
        "sub_sport": "generic",
    }
    encoder.write_mesg({"mesg_num": mesg["LAP"], **totals, "event": "lap", "event_type": "stop"})
    encoder.write_mesg(
        {"mesg_num": mesg["SESSION"], **totals, "event": "session", "event_type": "stop"}
    )
    encoder.write_mesg(
        {
            "mesg_num": mesg["ACTIVITY"],
            "timestamp": end,
            "total_timer_time": run.moving_s,
            "num_sessions": 1,
            "type": "manual",
            "event": "activity",
            "event_type": "stop",
        }
    )
    data: bytes = encoder.close()
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    messages, errors = decoder.read()
    if errors or len(messages.get("record_mesgs", [])) != len(run.samples):
        raise SystemExit(f"the FIT file for {run.name} does not decode: {errors}")
    return data


def strava_date(moment: datetime) -> str:
    """Strava's export date: 'Nov 3, 2024, 6:12:45 AM' (UTC, English, no leading zeros)."""
    hour = moment.hour % 12 or 12
    meridiem = "AM" if moment.hour < 12 else "PM"
    return (
        f"{MONTHS[moment.month - 1]} {moment.day}, {moment.year}, "
        f"{hour}:{moment.minute:02d}:{moment.second:02d} {meridiem}"
    )


def csv_row(run: Run) -> list[str]:
    """One activities.csv row in Strava's layout: the first Distance in km, the second in metres."""
    row = dict.fromkeys(range(len(HEADER)), "")

    def put(name: str, value: str, occurrence: int = 0) -> None:
        positions = [i for i, title in enumerate(HEADER) if title == name]
        row[positions[occurrence]] = value

    speed = run.distance_m / run.moving_s
    put("Activity ID", str(run.activity_id))
    put("Activity Date", strava_date(run.start))
    put("Activity Name", run.name)
    put("Activity Type", "Run")
    put("Elapsed Time", str(round(run.elapsed_s)))
    put("Distance", f"{run.distance_m / 1000:.2f}")
    put("Max Heart Rate", f"{run.max_hr:.1f}")
    put("Commute", "false")
    put("Activity Gear", "Demo trainers")
    put("Filename", run.filename)
    put("Elapsed Time", f"{run.elapsed_s:.1f}", 1)
    put("Moving Time", f"{run.moving_s:.1f}")
    put("Distance", f"{run.distance_m:.1f}", 1)
    put("Max Speed", f"{speed * 1.25:.3f}")
    put("Average Speed", f"{speed:.3f}")
    put("Elevation Gain", f"{run.gain_m:.1f}")
    put("Elevation Loss", f"{run.gain_m:.1f}")
    put("Elevation Low", f"{run.alt_low:.1f}")
    put("Elevation High", f"{run.alt_high:.1f}")
    put("Max Heart Rate", f"{run.max_hr:.1f}", 1)
    put("Average Heart Rate", f"{run.avg_hr:.1f}")
    put("Calories", f"{run.distance_m / 1000 * 68:.0f}")
    put("Commute", "0.0", 1)
    put("From Upload", "1.0")
    put("Average Elapsed Speed", f"{run.distance_m / run.elapsed_s:.3f}")
    put("Timer Time", f"{run.moving_s:.1f}")
    put("Workout Type", "1" if run.race else "0")
    return [row[index] for index in range(len(HEADER))]


def build(end: date, out: Path) -> None:
    """Generate the whole demo export into `out`, replacing what was there."""
    rng = random.Random(SEED)
    runs = plan(end, rng)
    activity_id = 10_400_000_000
    for run in runs:
        activity_id += rng.randint(20_000_000, 40_000_000)
        run.activity_id = activity_id
        summarise(run, rng)

    writers: tuple[tuple[str, float, Callable[[Run], bytes]], ...] = (
        ("fit", 5.0, write_fit),
        ("gpx", 10.0, write_gpx),
        ("tcx", 8.0, write_tcx),
    )
    if out.exists():
        shutil.rmtree(out)
    (out / "activities").mkdir(parents=True)
    for index, run in enumerate(runs[-FILE_RUNS:]):
        kind, step, writer = writers[index % len(writers)]
        simulate(run, step, rng)
        run.filename = f"activities/{run.activity_id}.{kind}.gz"
        # mtime=0 keeps the bytes identical from one generation to the next.
        (out / run.filename).write_bytes(gzip.compress(writer(run), 9, mtime=0))

    with (out / "activities.csv").open("w", newline="", encoding="utf-8") as handle:
        writer_csv = csv.writer(handle, lineterminator="\n")
        writer_csv.writerow(HEADER)
        for run in runs:
            writer_csv.writerow(csv_row(run))

    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    print(f"{len(runs)} runs, {FILE_RUNS} with files, {size / 1024:.0f} KiB in {out}")


def main() -> None:
    """Parse the command line and build the demo."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument(
        "--end", type=date.fromisoformat, default=datetime.now(UTC).date() - timedelta(days=1)
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    build(args.end, args.out)


if __name__ == "__main__":
    main()
