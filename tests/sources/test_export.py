"""Tests for the export importer: Strava bulk exports, folders of FIT/GPX/TCX files, and the demo."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
import csv
from datetime import UTC, date, datetime, timedelta
import gzip
import importlib.util
import io
from pathlib import Path
import sys
import time
from types import ModuleType
from typing import Any
import zipfile

from garmin_fit_sdk import Encoder, Profile
import pytest

from custom_components.coach_dyno.sources.export import (
    ExportPathError,
    ImportLimits,
    file_activity_id,
    parse_strava_date,
    read_export,
    resolve_import_path,
)
from custom_components.coach_dyno.sources.files import (
    ActivityFileError,
    file_kind,
    map_sport,
    parse_activity_file,
    parse_fit,
    parse_gpx,
    parse_tcx,
)

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "custom_components" / "coach_dyno" / "demo"
START = datetime(2024, 11, 3, 6, 12, 45, tzinfo=UTC)

# A Strava activities.csv header trimmed to the columns the importer reads, keeping Strava's order and
# its duplicated names: the first Distance is in km, the second in metres; Max Heart Rate twice.
CSV_HEADER = [
    "Activity ID",
    "Activity Date",
    "Activity Name",
    "Activity Type",
    "Elapsed Time",
    "Distance",
    "Max Heart Rate",
    "Filename",
    "Elapsed Time",
    "Moving Time",
    "Distance",
    "Elevation Gain",
    "Max Heart Rate",
    "Average Heart Rate",
    "Workout Type",
]


# ---------------------------------------------------------------------------------------------------
# Builders of small activity files


def _hr_at(index: int) -> int:
    """Return a heart rate that rises then settles, so averages are not trivially constant."""
    return 120 + min(index, 30)


def gpx_bytes(
    start: datetime = START,
    points: int = 60,
    step_s: int = 5,
    *,
    hr: bool = True,
    sport: str | None = "running",
    name: str = "Morning Run",
) -> bytes:
    """Build a GPX track heading north ~3 m/s, with Garmin's hr extension."""
    rows = []
    for i in range(points):
        moment = (start + timedelta(seconds=i * step_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lat = 47.0 + i * step_s * 3.0 / 111_195
        extension = (
            "<extensions><gpxtpx:TrackPointExtension>"
            f"<gpxtpx:hr>{_hr_at(i)}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions>"
            if hr
            else ""
        )
        rows.append(
            f'<trkpt lat="{lat:.7f}" lon="8.0"><ele>{400 + i % 10}</ele>'
            f"<time>{moment}</time>{extension}</trkpt>"
        )
    sport_tag = f"<type>{sport}</type>" if sport is not None else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><name>{name}</name>{sport_tag}<trkseg>{''.join(rows)}</trkseg></trk></gpx>"
    ).encode()


def tcx_bytes(
    start: datetime = START,
    points: int = 60,
    step_s: int = 5,
    *,
    sport: str = "Running",
    hr: bool = True,
    lap: str = "",
) -> bytes:
    """Build a TCX activity at 3 m/s with altitude and heart rate per trackpoint."""
    rows = []
    for i in range(points):
        moment = (start + timedelta(seconds=i * step_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
        beat = f"<HeartRateBpm><Value>{_hr_at(i)}</Value></HeartRateBpm>" if hr else ""
        rows.append(
            f"<Trackpoint><Time>{moment}</Time><AltitudeMeters>{400 + i % 10}</AltitudeMeters>"
            f"<DistanceMeters>{i * step_s * 3.0}</DistanceMeters>{beat}</Trackpoint>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">'
        f'<Activities><Activity Sport="{sport}"><Id>{start.strftime("%Y-%m-%dT%H:%M:%SZ")}</Id>'
        f"<Lap>{lap}<Track>{''.join(rows)}</Track></Lap></Activity></Activities>"
        "</TrainingCenterDatabase>"
    ).encode()


def fit_bytes(
    start: datetime = START,
    points: int = 60,
    step_s: int = 5,
    *,
    sport: str = "running",
    sub_sport: str = "generic",
    session: bool = True,
    records: bool = True,
) -> bytes:
    """Build a FIT activity with Garmin's encoder."""
    mesg = Profile["mesg_num"]
    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": mesg["FILE_ID"],
            "type": "activity",
            "manufacturer": "development",
            "product": 1,
            "time_created": start,
        }
    )
    for i in range(points if records else 0):
        encoder.write_mesg(
            {
                "mesg_num": mesg["RECORD"],
                "timestamp": start + timedelta(seconds=i * step_s),
                "heart_rate": _hr_at(i),
                "distance": i * step_s * 3.0,
                "enhanced_altitude": 400.0 + i % 10,
            }
        )
    if session:
        elapsed = (points - 1) * step_s
        encoder.write_mesg(
            {
                "mesg_num": mesg["SESSION"],
                "timestamp": start + timedelta(seconds=elapsed),
                "start_time": start,
                "sport": sport,
                "sub_sport": sub_sport,
                "total_elapsed_time": float(elapsed),
                "total_timer_time": float(elapsed - 10),
                "total_distance": elapsed * 3.0,
                "total_ascent": 42,
                "avg_heart_rate": 141,
                "max_heart_rate": 150,
            }
        )
    data: bytes = encoder.close()
    return data


def gz(data: bytes) -> bytes:
    """Gzip like Strava's export does."""
    return gzip.compress(data, mtime=0)


def write_csv(
    folder: Path, rows: Sequence[Sequence[object]], header: Sequence[str] = CSV_HEADER
) -> None:
    """Write an activities.csv into `folder`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    (folder / "activities.csv").write_text(buffer.getvalue(), encoding="utf-8")


def csv_row(
    activity_id: int,
    *,
    date_text: str = "Nov 3, 2024, 6:12:45 AM",
    name: str = "Morning Run",
    sport: str = "Run",
    filename: str = "",
    workout_type: str = "",
) -> list[object]:
    """Build a row in CSV_HEADER's layout: 10.02 km written as km first and as metres later."""
    return [
        activity_id,
        date_text,
        name,
        sport,
        3000,
        "10.02",
        "171.0",
        filename,
        "3000.0",
        "2950.0",
        "10020.4",
        "55.5",
        "172.0",
        "148.3",
        workout_type,
    ]


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    """Zip a folder the way Strava sends its export (optionally under a top folder)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return target


def make_strava_export(folder: Path) -> Path:
    """Write a small Strava export: three rows, one of them with a GPX file, one with a missing file."""
    (folder / "activities").mkdir(parents=True)
    (folder / "activities" / "101.gpx.gz").write_bytes(gz(gpx_bytes()))
    write_csv(
        folder,
        [
            csv_row(101, filename="activities/101.gpx.gz"),
            csv_row(
                102,
                date_text="Nov 10, 2024, 6:05:00 PM",
                name="City 10K",
                sport="Trail Run",
                workout_type="1",
            ),
            csv_row(103, date_text="Nov 12, 2024, 12:30:00 AM", filename="activities/gone.fit.gz"),
        ],
    )
    return folder


def load_make_demo(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import scripts/make_demo.py (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_demo", REPO / "scripts" / "make_demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up in sys.modules while the class is being built.
    monkeypatch.setitem(sys.modules, "make_demo", module)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------------
# The bundled demo


def test_demo_imports_every_row_with_nothing_skipped() -> None:
    with (DEMO / "activities.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    files = sorted(path.name for path in (DEMO / "activities").iterdir())

    result = read_export(DEMO)

    assert result.skipped == 0
    assert result.skipped_files == ()
    assert len(result.activities) == len(rows)
    assert sorted(a.id for a in result.activities) == sorted(int(r["Activity ID"]) for r in rows)
    with_streams = [a for a in result.activities if a.stream_summary is not None]
    assert len(with_streams) == len(files)
    assert 15 <= len(files) <= 25
    assert {name.split(".", 1)[1] for name in files} == {"fit.gz", "gpx.gz", "tcx.gz"}
    # The files belong to the most recent runs.
    newest = sorted(result.activities, key=lambda a: a.start)[-len(files) :]
    assert all(a.stream_summary is not None for a in newest)


def test_demo_looks_like_the_runner_it_describes() -> None:
    activities = read_export(DEMO).activities
    starts = [a.start for a in activities]
    assert 690 <= (max(starts) - min(starts)).days <= 735
    assert all(a.sport_type == "Run" for a in activities)
    assert all(52 < (a.avg_hr or 0) < (a.max_hr or 0) <= 188 for a in activities)
    per_week = Counter(a.start.isocalendar()[:2] for a in activities)
    assert max(per_week.values()) <= 6
    typical = sorted(per_week.values())[len(per_week) // 2]
    assert 4 <= typical <= 6

    races = [a for a in activities if a.race]
    race_km = sorted(round(a.distance_m / 1000) for a in races)
    assert 10 in race_km
    assert 21 in race_km
    half = next(a for a in races if round(a.distance_m / 1000) == 21)
    # Close to, not yet under, the 1:45 the runner is aiming at.
    assert 100 * 60 < half.moving_s < 125 * 60
    easy = [a for a in activities if a.name in {"Easy Run", "Morning Run", "Recovery Run"}]
    easy_pace = sorted(a.moving_s / a.distance_m * 1000 for a in easy)[len(easy) // 2]
    assert 5 * 60 + 20 < easy_pace < 6 * 60 + 45

    size = sum(path.stat().st_size for path in DEMO.rglob("*") if path.is_file())
    assert size < 600 * 1024


def test_demo_script_is_deterministic_and_importable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_demo = load_make_demo(monkeypatch)
    end = date(2025, 3, 9)
    make_demo.build(end, tmp_path / "a")
    make_demo.build(end, tmp_path / "b")

    first = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*.*")}
    second = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*.*")}
    assert first == second
    result = read_export(tmp_path / "a")
    assert result.skipped == 0
    assert max(a.start for a in result.activities).date() <= end
    assert (end - max(a.start for a in result.activities).date()).days < 7


# ---------------------------------------------------------------------------------------------------
# Each format


FORMAT_BUILDERS: dict[str, Callable[[], bytes]] = {
    "run.fit": fit_bytes,
    "run.gpx": gpx_bytes,
    "run.tcx": tcx_bytes,
    "run.fit.gz": lambda: gz(fit_bytes()),
    "run.gpx.gz": lambda: gz(gpx_bytes()),
    "run.tcx.gz": lambda: gz(tcx_bytes()),
}


@pytest.mark.parametrize("name", sorted(FORMAT_BUILDERS))
def test_each_format_is_read_with_heart_rate(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(FORMAT_BUILDERS[name]())

    result = read_export(tmp_path)

    assert result.skipped == 0
    (activity,) = result.activities
    assert activity.id == -int(START.timestamp())
    assert activity.start == START
    assert activity.sport_type == "Run"
    # 59 intervals of 5 s at 3 m/s.
    assert activity.elapsed_s == pytest.approx(295)
    assert activity.distance_m == pytest.approx(885, rel=0.01)
    assert activity.max_hr == 150
    summary = activity.stream_summary
    assert summary is not None
    assert sum(seconds for _, seconds in summary.hr_seconds) == pytest.approx(295)
    assert {bpm for bpm, _ in summary.hr_seconds} <= set(range(120, 151))
    assert summary.efficiency_factor is not None


def test_fit_prefers_its_session_totals() -> None:
    parsed = parse_fit(fit_bytes())
    assert parsed.moving_s == 285  # total_timer_time, not the sample span
    assert parsed.elevation_gain_m == 42
    assert parsed.avg_hr == 141


def test_file_totals_are_derived_from_samples_when_missing() -> None:
    parsed = parse_fit(fit_bytes(session=False))
    assert parsed.moving_s == pytest.approx(295)
    assert parsed.avg_hr == pytest.approx(sum(_hr_at(i) for i in range(60)) / 60)
    # Altitude saws 400..409 and back: each whole 9 m climb counts once the rise is confirmed.
    assert parsed.elevation_gain_m == pytest.approx(9 * 6)
    assert parsed.sport_type is None


def test_fit_sub_sports_and_sessions_without_records() -> None:
    assert parse_fit(fit_bytes(sub_sport="trail")).sport_type == "TrailRun"
    treadmill = parse_fit(fit_bytes(sub_sport="treadmill"))
    assert (treadmill.sport_type, treadmill.trainer) == ("Run", True)
    assert parse_fit(fit_bytes(sub_sport="virtual_activity")).sport_type == "VirtualRun"
    assert parse_fit(fit_bytes(sport="cycling", sub_sport="virtual_activity")).sport_type == (
        "VirtualRide"
    )
    assert parse_fit(fit_bytes(sport="cycling")).sport_type == "Ride"

    summary_only = parse_fit(fit_bytes(records=False))
    assert summary_only.streams is None
    assert summary_only.start == START
    assert summary_only.distance_m == pytest.approx(885)


def test_fit_without_records_or_session_is_refused() -> None:
    with pytest.raises(ActivityFileError, match="no timestamped samples"):
        parse_fit(fit_bytes(records=False, session=False))


def test_fit_with_a_damaged_body_is_refused() -> None:
    data = bytearray(fit_bytes())
    data[40] ^= 0xFF  # the CRC no longer matches
    with pytest.raises(ActivityFileError, match="damaged"):
        parse_fit(bytes(data))


def test_gpx_sport_name_and_missing_heart_rate() -> None:
    plain = parse_gpx(gpx_bytes(hr=False, sport="9", name="Tempo"))
    assert plain.sport_type == "Run"
    assert plain.name == "Tempo"
    assert plain.avg_hr is None
    assert plain.streams is not None
    assert plain.streams.heartrate is None
    assert parse_gpx(gpx_bytes(sport="cycling")).sport_type == "Ride"
    assert parse_gpx(gpx_bytes(sport=None)).sport_type is None
    assert parse_gpx(gpx_bytes(sport="kitesurfing")).sport_type == "Workout"


def test_gpx_without_tracks_is_refused() -> None:
    empty = (
        b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"></gpx>'
    )
    with pytest.raises(ActivityFileError):
        parse_gpx(empty)


def test_gpx_segments_do_not_bridge_pauses() -> None:
    one = gpx_bytes(points=10)
    text = one.decode()
    # Two segments 600 s apart, the second starting 10 km further north: that jump is not a run.
    resumed = (START + timedelta(seconds=600)).strftime("%Y-%m-%dT%H:%M:%SZ")
    finished = (START + timedelta(seconds=610)).strftime("%Y-%m-%dT%H:%M:%SZ")
    extra = (
        f'<trkseg><trkpt lat="47.1" lon="8.0"><time>{resumed}</time></trkpt>'
        f'<trkpt lat="47.1001" lon="8.0"><time>{finished}</time></trkpt></trkseg>'
    )
    parsed = parse_gpx(text.replace("</trkseg>", "</trkseg>" + extra, 1).encode())
    assert parsed.distance_m == pytest.approx(135 + 11.1, rel=0.02)
    assert parsed.elapsed_s == pytest.approx(610)


def test_tcx_sports_lap_fallbacks_and_bad_points() -> None:
    assert parse_tcx(tcx_bytes(sport="Biking")).sport_type == "Ride"
    assert parse_tcx(tcx_bytes(sport="Other")).sport_type == "Workout"

    lap = (
        "<TotalTimeSeconds>280</TotalTimeSeconds><DistanceMeters>900</DistanceMeters>"
        "<AverageHeartRateBpm><Value>139</Value></AverageHeartRateBpm>"
        "<MaximumHeartRateBpm><Value>155</Value></MaximumHeartRateBpm>"
    )
    no_hr = parse_tcx(tcx_bytes(hr=False, lap=lap))
    assert (no_hr.moving_s, no_hr.distance_m, no_hr.avg_hr, no_hr.max_hr) == (280, 900, 139, 155)

    # Heart rate measured per point wins over the lap's own figures.
    with_hr = parse_tcx(tcx_bytes(lap=lap))
    assert with_hr.max_hr == 150

    broken = tcx_bytes().replace(b"<Time>2024-11-03T06:12:50Z</Time>", b"<Time>soon</Time>")
    broken = broken.replace(b"<Id>2024-11-03T06:12:45Z</Id>", b"<Id>yesterday</Id>")
    parsed = parse_tcx(broken)
    assert parsed.start == START
    assert parsed.streams is not None
    assert len(parsed.streams.time_s) == 59


def test_sparse_xml_files_are_still_read() -> None:
    # No Id, no distance, no altitude, a point without time and a heart rate that is not a number.
    tcx = (
        b'<TrainingCenterDatabase><Activities><Activity Sport="Running"><Lap><Track>'
        b"<Trackpoint><Time>2024-11-03T07:12:45+01:00</Time>"
        b"<HeartRateBpm><Value>abc</Value></HeartRateBpm></Trackpoint>"
        b"<Trackpoint><HeartRateBpm><Value>130</Value></HeartRateBpm></Trackpoint>"
        b"<Trackpoint><Time>2024-11-03T07:13:45+01:00</Time>"
        b"<HeartRateBpm><Value>140</Value></HeartRateBpm></Trackpoint>"
        b"</Track></Lap></Activity></Activities></TrainingCenterDatabase>"
    )
    parsed = parse_tcx(tcx)
    assert parsed.start == START
    assert (parsed.distance_m, parsed.elevation_gain_m) == (0.0, 0.0)
    assert parsed.moving_s == parsed.elapsed_s == 60.0  # nothing says it stood still
    assert parsed.streams is not None
    assert parsed.streams.heartrate == (140.0, 140.0)

    # Naive GPX times are UTC; a point without time is dropped; extensions without hr are fine.
    gpx = gpx_bytes(points=3).replace(b"Z</time>", b"</time>")
    gpx = gpx.replace(b"<gpxtpx:hr>121</gpxtpx:hr>", b"<gpxtpx:cad>80</gpxtpx:cad>")
    gpx = gpx.replace(b"<time>2024-11-03T06:12:55</time>", b"")
    parsed_gpx = parse_gpx(gpx)
    assert parsed_gpx.start == START
    assert parsed_gpx.streams is not None
    assert parsed_gpx.streams.time_s == (0.0, 5.0)
    assert parsed_gpx.streams.heartrate == (120.0, 120.0)


def test_streams_are_aligned_and_cleaned() -> None:
    data = tcx_bytes(points=6)
    # A dropout (0 bpm) and a point out of order: the first is carried over, the second dropped.
    data = data.replace(b"<Value>122</Value>", b"<Value>0</Value>")
    data = data.replace(b"06:13:00Z", b"06:12:40Z")
    parsed = parse_tcx(data)
    streams = parsed.streams
    assert streams is not None
    assert streams.time_s == (0.0, 5.0, 10.0, 20.0, 25.0)
    assert streams.heartrate == (120.0, 121.0, 121.0, 124.0, 125.0)
    assert streams.distance_m is not None
    assert len(streams.distance_m) == len(streams.altitude_m or ()) == 5


def test_file_kinds_and_sport_names() -> None:
    assert file_kind("A/B/123.FIT.GZ") == ("fit", True)
    assert file_kind("run.tcx") == ("tcx", False)
    assert file_kind("photo.jpg") is None
    assert file_kind("notes.gz") is None
    assert map_sport("Trail Running") == "TrailRun"
    assert map_sport(9) == "Run"
    assert map_sport("generic") is None
    assert map_sport(None) is None
    with pytest.raises(ActivityFileError, match="unknown activity file kind"):
        parse_activity_file("kml", b"")


# ---------------------------------------------------------------------------------------------------
# Strava exports: activities.csv merged with files


def test_strava_rows_merge_with_their_files(tmp_path: Path) -> None:
    make_strava_export(tmp_path)

    result = read_export(tmp_path)

    assert result.skipped == 0
    by_id = {a.id: a for a in result.activities}
    assert sorted(by_id) == [101, 102, 103]
    with_file = by_id[101]
    assert with_file.start == datetime(2024, 11, 3, 6, 12, 45, tzinfo=UTC)
    assert with_file.name == "Morning Run"
    # The metre column, not the km one, and Strava's numbers rather than the file's.
    assert with_file.distance_m == pytest.approx(10020.4)
    assert (with_file.elapsed_s, with_file.moving_s) == (3000, 2950)
    assert with_file.elevation_gain_m == pytest.approx(55.5)
    assert (with_file.avg_hr, with_file.max_hr) == (148.3, 172.0)
    assert with_file.stream_summary is not None
    assert not with_file.race

    race = by_id[102]
    assert race.start == datetime(2024, 11, 10, 18, 5, tzinfo=UTC)
    assert (race.sport_type, race.race, race.name) == ("TrailRun", True, "City 10K")
    assert race.stream_summary is None
    # A row whose file is missing from the export still counts, from the row alone.
    assert by_id[103].start == datetime(2024, 11, 12, 0, 30, tzinfo=UTC)
    assert by_id[103].stream_summary is None


def test_strava_rows_fall_back_on_the_file_and_on_single_columns(tmp_path: Path) -> None:
    (tmp_path / "activities").mkdir()
    (tmp_path / "activities" / "7.fit").write_bytes(fit_bytes())
    header = [
        "Activity ID",
        "Activity Date",
        "Activity Name",
        "Activity Type",
        "Distance",
        "Filename",
    ]
    write_csv(
        tmp_path,
        [
            [7, "2024-11-03 06:12:45", "Imported", "Race", "", "activities/7.fit"],
            [8, "2024-11-04T07:00:00+01:00", "Manual", "", "5,5", ""],
            [9, "2024-11-05 07:00:00", "Unknown distance", "Walk", "about 5", ""],
        ],
        header,
    )

    by_id = {a.id: a for a in read_export(tmp_path).activities}

    from_file = by_id[7]
    assert (from_file.sport_type, from_file.race) == ("Run", True)
    assert from_file.distance_m == pytest.approx(885)  # the row left it empty
    assert from_file.moving_s == 285
    assert from_file.avg_hr == 141
    assert from_file.stream_summary is not None
    manual = by_id[8]
    assert manual.start == datetime(2024, 11, 4, 6, 0, tzinfo=UTC)
    assert manual.distance_m == pytest.approx(5500)  # a lone Distance column is in km
    assert manual.sport_type == "Run"
    assert (by_id[9].sport_type, by_id[9].distance_m) == ("Walk", 0.0)


def test_bad_csv_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    write_csv(
        tmp_path,
        [
            csv_row(1),
            csv_row(2, date_text="someday"),
            ["not-a-number", "Nov 3, 2024, 6:12:45 AM"],
            csv_row(-4),
            [],
            csv_row(1, name="duplicate"),
            csv_row(5, date_text="Foo 3, 2024, 6:12:45 AM"),
        ],
    )
    (tmp_path / "activities.csv").write_text(
        (tmp_path / "activities.csv").read_text() + '6,"Nov 3, 2024, 6:12:45 AM",Bad,Run,-5\n'
    )

    result = read_export(tmp_path)

    assert [a.id for a in result.activities] == [1]
    assert result.activities[0].name == "Morning Run"
    assert result.skipped == 5
    assert result.skipped_files == (
        "activities.csv:3",
        "activities.csv:4",
        "activities.csv:5",
        "activities.csv:8",
        "activities.csv:9",
    )


def test_a_csv_with_only_a_header_has_no_activities(tmp_path: Path) -> None:
    write_csv(tmp_path, [])
    with pytest.raises(ExportPathError) as err:
        read_export(tmp_path)
    assert err.value.reason == "no_activities"
    (tmp_path / "activities.csv").write_text("")
    with pytest.raises(ExportPathError):
        read_export(tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nov 3, 2024, 6:12:45 AM", datetime(2024, 11, 3, 6, 12, 45, tzinfo=UTC)),
        ("Nov 3, 2024, 12:05:00 AM", datetime(2024, 11, 3, 0, 5, tzinfo=UTC)),
        ("Nov 3, 2024, 12:05:00 PM", datetime(2024, 11, 3, 12, 5, tzinfo=UTC)),
        ("Sept 30, 2024, 11:59:59 PM", datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC)),
        ("Nov 3, 2024, 18:12:45", datetime(2024, 11, 3, 18, 12, 45, tzinfo=UTC)),
        ("2024-11-03T07:12:45+01:00", datetime(2024, 11, 3, 6, 12, 45, tzinfo=UTC)),
    ],
)
def test_strava_dates_are_utc(text: str, expected: datetime) -> None:
    assert parse_strava_date(text) == expected


@pytest.mark.parametrize("text", ["Foo 3, 2024, 6:12:45 AM", "Nov 3, 2024, 13:00:00 PM", "later"])
def test_impossible_strava_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is the standard library's
        parse_strava_date(text)


# ---------------------------------------------------------------------------------------------------
# Folders of files


def test_a_folder_of_files_becomes_activities_with_stable_ids(tmp_path: Path) -> None:
    watch = tmp_path / "watch" / "2024"
    watch.mkdir(parents=True)
    (watch / "a.fit").write_bytes(fit_bytes())
    (watch / "b.gpx.gz").write_bytes(gz(gpx_bytes(START + timedelta(days=1))))
    (watch / "c.tcx").write_bytes(tcx_bytes(START + timedelta(days=2), sport="Biking"))
    (watch / "notes.txt").write_text("not an activity")
    # The same run again in another format: one activity, not two.
    (watch / "d.gpx").write_bytes(gpx_bytes(name=""))

    first = read_export(tmp_path)
    second = read_export(tmp_path)

    assert first == second
    ids = [a.id for a in first.activities]
    expected = [START, START + timedelta(days=1), START + timedelta(days=2)]
    assert ids == [-int(moment.timestamp()) for moment in expected]
    assert all(activity_id < 0 for activity_id in ids)
    assert [a.sport_type for a in first.activities] == ["Run", "Run", "Ride"]
    assert [a.name for a in first.activities] == ["a", "Morning Run", "c"]
    assert first.skipped == 0


def test_file_ids_never_collide_with_strava() -> None:
    assert file_activity_id(START) == -1730614365
    assert file_activity_id(datetime(1970, 1, 1, tzinfo=UTC)) == -1


def test_importing_a_strava_export_twice_gives_the_same_ids(tmp_path: Path) -> None:
    make_strava_export(tmp_path / "export")
    zipped = zip_folder(tmp_path / "export", tmp_path / "export.zip")
    first = read_export(tmp_path / "export")
    assert read_export(tmp_path / "export") == first
    assert [a.id for a in read_export(zipped).activities] == [a.id for a in first.activities]


def test_a_single_file_or_the_csv_itself_can_be_given(tmp_path: Path) -> None:
    (tmp_path / "one.fit").write_bytes(fit_bytes())
    assert len(read_export(tmp_path / "one.fit").activities) == 1
    make_strava_export(tmp_path / "export")
    assert len(read_export(tmp_path / "export" / "activities.csv").activities) == 3


def test_corrupt_files_are_skipped_and_counted(tmp_path: Path) -> None:
    (tmp_path / "good.fit").write_bytes(fit_bytes())
    (tmp_path / "garbage.fit").write_bytes(b"\x0e\x10garbage that is not a FIT file")
    (tmp_path / "cut.gpx").write_bytes(gpx_bytes()[:300])
    (tmp_path / "latin.gpx").write_bytes(b"<gpx>\xff\xfe</gpx>")
    (tmp_path / "bad.tcx.gz").write_bytes(b"not gzip at all")
    (tmp_path / "broken.tcx").write_bytes(b"<TrainingCenterDatabase><Activities>")
    (tmp_path / "empty.gpx").write_bytes(gpx_bytes(points=0))

    result = read_export(tmp_path)

    assert len(result.activities) == 1
    assert result.skipped == 6
    assert sorted(result.skipped_files) == [
        "bad.tcx.gz",
        "broken.tcx",
        "cut.gpx",
        "empty.gpx",
        "garbage.fit",
        "latin.gpx",
    ]


def test_a_corrupt_file_in_a_strava_export_keeps_its_row(tmp_path: Path) -> None:
    (tmp_path / "activities").mkdir()
    (tmp_path / "activities" / "1.fit.gz").write_bytes(gz(b"\x0e\x10nonsense"))
    write_csv(tmp_path, [csv_row(1, filename="activities/1.fit.gz")])

    result = read_export(tmp_path)

    assert [a.id for a in result.activities] == [1]
    assert result.activities[0].stream_summary is None
    assert result.skipped_files == ("1.fit.gz",)


def test_only_bad_or_unknown_files_means_no_activities(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ExportPathError) as err:
        read_export(tmp_path)
    assert err.value.reason == "no_activities"
    (tmp_path / "bad.fit").write_bytes(b"junk")
    with pytest.raises(ExportPathError) as err:
        read_export(tmp_path)
    assert err.value.reason == "no_activities"


@pytest.mark.parametrize(
    ("name", "content"),
    [("notes.txt", b"hello"), ("export.zip", b"PK but not really a zip")],
)
def test_unreadable_inputs_have_no_activities(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ExportPathError) as err:
        read_export(tmp_path / name)
    assert err.value.reason == "no_activities"


def test_a_missing_path_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(ExportPathError) as err:
        read_export(tmp_path / "nowhere")
    assert err.value.reason == "not_found"


# ---------------------------------------------------------------------------------------------------
# Zip archives


def test_zip_import_matches_the_folder(tmp_path: Path) -> None:
    make_strava_export(tmp_path / "export")
    (tmp_path / "export" / "media").mkdir()
    (tmp_path / "export" / "media" / "photo.jpg").write_bytes(b"\xff\xd8 not read")
    folder = read_export(tmp_path / "export")

    plain = read_export(zip_folder(tmp_path / "export", tmp_path / "export.zip"))
    nested = read_export(zip_folder(tmp_path / "export", tmp_path / "nested.zip", "export_1/"))

    assert plain == folder
    assert nested == folder
    assert sum(a.stream_summary is not None for a in plain.activities) == 1


def test_zip_of_plain_files(tmp_path: Path) -> None:
    target = tmp_path / "watch.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("runs/", b"")
        archive.writestr("runs/a.fit", fit_bytes())
        archive.writestr("runs/b.tcx.gz", gz(tcx_bytes(START + timedelta(hours=5))))
    result = read_export(target)
    assert [a.id for a in result.activities] == [
        -int(START.timestamp()),
        -int((START + timedelta(hours=5)).timestamp()),
    ]


@pytest.mark.parametrize(
    "member",
    [
        "../evil.gpx",
        "/etc/evil.gpx",
        "activities/../../evil.gpx",
        "C:/evil.gpx",
        "..\\evil.gpx",
        "../notes.txt",
    ],
)
def test_zip_members_escaping_the_folder_are_refused(tmp_path: Path, member: str) -> None:
    target = tmp_path / "export.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("run.gpx", gpx_bytes())
        archive.writestr(zipfile.ZipInfo(member), gpx_bytes())
    with pytest.raises(ExportPathError) as err:
        read_export(target)
    assert err.value.reason == "unsafe_archive"


def test_zip_bombs_are_refused_before_decompressing(tmp_path: Path) -> None:
    target = tmp_path / "bomb.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("activities/bomb.gpx", b"\0" * (4 * 1024 * 1024))
    assert target.stat().st_size < 20_000
    with pytest.raises(ExportPathError) as err:
        read_export(target)
    assert err.value.reason == "unsafe_archive"


def test_gzip_bombs_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.fit").write_bytes(fit_bytes())
    (tmp_path / "bomb.gpx.gz").write_bytes(gzip.compress(b"\0" * (8 * 1024 * 1024)))

    result = read_export(tmp_path)

    assert len(result.activities) == 1
    assert result.skipped_files == ("bomb.gpx.gz",)


def test_oversized_files_are_refused(tmp_path: Path) -> None:
    big = gpx_bytes(points=400)
    small = fit_bytes()
    limit = max(len(small), len(gz(big))) + 10
    assert len(big) > limit
    limits = ImportLimits(max_file_bytes=limit)
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "big.gpx").write_bytes(big)
    (tmp_path / "export" / "big2.gpx.gz").write_bytes(gz(big))  # small packed, too big unpacked
    (tmp_path / "export" / "small.fit").write_bytes(small)
    target = zip_folder(tmp_path / "export", tmp_path / "export.zip")

    for source in (tmp_path / "export", target):
        result = read_export(source, limits=limits)
        assert len(result.activities) == 1
        assert sorted(result.skipped_files) == ["big.gpx", "big2.gpx.gz"]


def test_an_oversized_csv_refuses_the_export(tmp_path: Path) -> None:
    make_strava_export(tmp_path)
    with pytest.raises(ExportPathError) as err:
        read_export(tmp_path, limits=ImportLimits(max_file_bytes=100))
    assert err.value.reason == "too_large"


def test_total_size_and_file_count_limits(tmp_path: Path) -> None:
    (tmp_path / "a.gpx").write_bytes(gpx_bytes())
    (tmp_path / "b.gpx.gz").write_bytes(gz(gpx_bytes(START + timedelta(days=1))))
    target = zip_folder(tmp_path, tmp_path.parent / f"{tmp_path.name}.zip")
    packed = len(gpx_bytes()) + len(gz(gpx_bytes()))

    for source in (tmp_path, target):
        for limits in (
            ImportLimits(max_total_bytes=1000),  # refused on the sizes found before reading
            ImportLimits(max_total_bytes=packed + 10),  # refused once the .gz is unpacked
            ImportLimits(max_files=1),
        ):
            with pytest.raises(ExportPathError) as err:
                read_export(source, limits=limits)
            assert err.value.reason == "too_large"
        assert len(read_export(source).activities) == 2


# ---------------------------------------------------------------------------------------------------
# Hostile XML


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'
        for n in range(1, 10)
    )
    + "]>\n"
    '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">'
    '<Activities><Activity Sport="Running"><Id>&lol9;</Id></Activity></Activities>'
    "</TrainingCenterDatabase>"
)


def test_tcx_entity_expansion_is_refused_quickly(tmp_path: Path) -> None:
    (tmp_path / "good.tcx").write_bytes(tcx_bytes())
    (tmp_path / "laughs.tcx").write_text(BILLION_LAUGHS, encoding="utf-8")
    # UTF-16 hides the declaration from a byte search: the parser must refuse it itself.
    (tmp_path / "laughs16.tcx").write_bytes(
        BILLION_LAUGHS.replace('"1.0"?', '"1.0" encoding="UTF-16"?').encode("utf-16")
    )

    began = time.perf_counter()
    result = read_export(tmp_path)

    assert time.perf_counter() - began < 2.0
    assert len(result.activities) == 1
    assert sorted(result.skipped_files) == ["laughs.tcx", "laughs16.tcx"]
    with pytest.raises(ActivityFileError, match="DOCTYPE"):
        parse_tcx(BILLION_LAUGHS.encode())


def test_gpx_with_a_doctype_is_refused() -> None:
    hostile = gpx_bytes().replace(b"<gpx ", b'<!DOCTYPE gpx [<!ENTITY x "y">]><gpx ', 1)
    with pytest.raises(ActivityFileError, match="DOCTYPE"):
        parse_gpx(hostile)


# ---------------------------------------------------------------------------------------------------
# Paths


def test_paths_inside_the_config_dir_resolve(tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "exports" / "strava").mkdir(parents=True)
    expected = (config / "exports" / "strava").resolve()
    assert resolve_import_path(config, "exports/strava") == expected
    assert resolve_import_path(config, f"  {config}/exports/strava  ") == expected
    assert resolve_import_path(config, "exports/../exports/strava") == expected


@pytest.mark.parametrize(
    "user_path", ["..", "../elsewhere", "/etc", "exports/../../elsewhere", "out"]
)
def test_paths_outside_the_config_dir_are_refused(tmp_path: Path, user_path: str) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (config / "out").symlink_to(tmp_path / "elsewhere")  # a link does not open a way out
    with pytest.raises(ExportPathError) as err:
        resolve_import_path(config, user_path)
    assert err.value.reason == "outside_config_dir"


@pytest.mark.parametrize("user_path", ["", "   ", "missing/export.zip"])
def test_missing_paths_are_not_found(tmp_path: Path, user_path: str) -> None:
    with pytest.raises(ExportPathError) as err:
        resolve_import_path(tmp_path, user_path)
    assert err.value.reason == "not_found"


def test_links_out_of_an_export_folder_are_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.gpx").write_bytes(gpx_bytes(START + timedelta(days=3)))
    export = tmp_path / "export"
    (export / "sub").mkdir(parents=True)
    (export / "run.fit").write_bytes(fit_bytes())
    (export / "sub" / "later.gpx").write_bytes(gpx_bytes(START + timedelta(days=1)))
    (export / "linked.gpx").symlink_to(outside / "secret.gpx")
    (export / "alias.gpx").symlink_to(export / "sub" / "later.gpx")  # stays inside: allowed
    (export / "linked_dir").symlink_to(outside, target_is_directory=True)  # never entered

    result = read_export(export)

    assert [a.start for a in result.activities] == [START, START + timedelta(days=1)]
    assert result.skipped_files == ("linked.gpx",)


def test_dangling_links_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "run.fit").write_bytes(fit_bytes())
    (tmp_path / "gone.gpx").symlink_to(tmp_path / "deleted.gpx")

    result = read_export(tmp_path)

    assert len(result.activities) == 1
    assert result.skipped_files == ("gone.gpx",)


def test_a_damaged_csv_in_a_zip_refuses_the_export(tmp_path: Path) -> None:
    target = tmp_path / "export.zip"
    (tmp_path / "export").mkdir()
    write_csv(tmp_path / "export", [csv_row(n) for n in range(1, 200)])
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(tmp_path / "export" / "activities.csv", "activities.csv")
    assert len(read_export(target).activities) == 199
    data = bytearray(target.read_bytes())
    data[30 + len("activities.csv") + 4] ^= 0xFF  # inside the deflated stream
    target.write_bytes(bytes(data))

    with pytest.raises(ExportPathError) as err:
        read_export(target)
    assert err.value.reason == "no_activities"
    assert err.value.__cause__ is not None


def test_a_csv_field_over_the_size_limit_skips_its_row(tmp_path: Path) -> None:
    write_csv(tmp_path, [csv_row(1), csv_row(2, name="x" * 200_000), csv_row(3)])

    result = read_export(tmp_path)

    assert [a.id for a in result.activities] == [1, 3]
    assert result.skipped_files == ("activities.csv:3",)


def test_paths_that_cannot_be_resolved_are_not_found(tmp_path: Path) -> None:
    with pytest.raises(ExportPathError) as err:
        resolve_import_path(tmp_path, "bad\0name")
    assert err.value.reason == "not_found"


def test_error_reason_is_kept() -> None:
    error = ExportPathError("too_large")
    assert error.reason == "too_large"
    assert str(error) == "too_large"
    detailed: Any = ExportPathError("not_found", "nothing here")
    assert (detailed.reason, str(detailed)) == ("not_found", "nothing here")
