"""
Files as Strava writes them, implausible records in an import, and one decompression budget.

Strava's exported TCX (and some GPX) files start with whitespace, sometimes a byte order mark, before
`<?xml`: XML forbids that, so a strict parser lost those runs' heart rate. They are read now, while
every declaration that could expand entities is still refused.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
import gzip
import io
import logging
from pathlib import Path
import time
import zipfile

import pytest

from custom_components.coach_dyno.sources.export import (
    ExportPathError,
    ImportLimits,
    ImportResult,
    read_export,
)
from custom_components.coach_dyno.sources.files import (
    ActivityFileError,
    parse_activity_file,
    parse_gpx,
    parse_tcx,
)

START = datetime(2024, 11, 3, 6, 12, 45, tzinfo=UTC)
BOM = b"\xef\xbb\xbf"
# What has been seen before `<?xml` in files of Strava exports, and close relatives.
PREAMBLES = {
    "newline and spaces": b"\n   ",
    "ten spaces": b" " * 10,
    "crlf and tab": b"\r\n\t",
    "bom": BOM,
    "bom then whitespace": BOM + b"\n  ",
    "whitespace then bom": b"  \n" + BOM,
}
SAMPLES = 120
STEP_S = 5


def _hr(index: int) -> int:
    return 128 + index % 20


def strava_tcx(
    start: datetime = START, *, distance_m: float | None = None, sample_hr: bool = True
) -> bytes:
    """Build a TCX activity laid out as Strava's export writes it (indented, namespaced extensions)."""
    moments = [start + timedelta(seconds=i * STEP_S) for i in range(SAMPLES)]
    total_s = (SAMPLES - 1) * STEP_S
    distance = total_s * 3.0 if distance_m is None else distance_m
    points = "".join(
        f"""
     <Trackpoint>
      <Time>{moment:%Y-%m-%dT%H:%M:%SZ}</Time>
      <Position>
       <LatitudeDegrees>{47.0 + i * 0.000135:.7f}</LatitudeDegrees>
       <LongitudeDegrees>8.0</LongitudeDegrees>
      </Position>
      <AltitudeMeters>{410.0 + (i % 12) * 0.5}</AltitudeMeters>
      <DistanceMeters>{i * STEP_S * 3.0:.1f}</DistanceMeters>{_tcx_hr(i) if sample_hr else ""}
      <Extensions>
       <ns3:TPX>
        <ns3:Speed>3.0</ns3:Speed>
       </ns3:TPX>
      </Extensions>
     </Trackpoint>"""
        for i, moment in enumerate(moments)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase
  xsi:schemaLocation="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2 http://www.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd"
  xmlns:ns5="http://www.garmin.com/xmlschemas/ActivityGoals/v1"
  xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2"
  xmlns:ns2="http://www.garmin.com/xmlschemas/UserProfile/v2"
  xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <Activities>
  <Activity Sport="Running">
   <Id>{start:%Y-%m-%dT%H:%M:%SZ}</Id>
   <Lap StartTime="{start:%Y-%m-%dT%H:%M:%SZ}">
    <TotalTimeSeconds>{total_s:.1f}</TotalTimeSeconds>
    <DistanceMeters>{distance}</DistanceMeters>
    <MaximumSpeed>3.4</MaximumSpeed>
    <Calories>120</Calories>
    <AverageHeartRateBpm>
     <Value>137</Value>
    </AverageHeartRateBpm>
    <MaximumHeartRateBpm>
     <Value>147</Value>
    </MaximumHeartRateBpm>
    <Intensity>Active</Intensity>
    <TriggerMethod>Manual</TriggerMethod>
    <Track>{points}
    </Track>
   </Lap>
   <Creator xsi:type="Device_t">
    <Name>Forerunner 255</Name>
   </Creator>
  </Activity>
 </Activities>
</TrainingCenterDatabase>
""".encode()


def _tcx_hr(index: int) -> str:
    return f"""
      <HeartRateBpm>
       <Value>{_hr(index)}</Value>
      </HeartRateBpm>"""


def strava_gpx(start: datetime = START) -> bytes:
    """Build a GPX track laid out as Strava writes it (StravaGPX creator, sport code 9, hr extension)."""
    points = "".join(
        f"""
   <trkpt lat="{47.0 + i * 0.000135:.7f}" lon="8.0000000">
    <ele>{410.0 + (i % 12) * 0.5}</ele>
    <time>{start + timedelta(seconds=i * STEP_S):%Y-%m-%dT%H:%M:%SZ}</time>
    <extensions>
     <gpxtpx:TrackPointExtension>
      <gpxtpx:hr>{_hr(i)}</gpxtpx:hr>
      <gpxtpx:cad>84</gpxtpx:cad>
     </gpxtpx:TrackPointExtension>
    </extensions>
   </trkpt>"""
        for i in range(SAMPLES)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<gpx creator="StravaGPX" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd"
 version="1.1" xmlns="http://www.topografix.com/GPX/1/1"
 xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
 xmlns:gpxx="http://www.garmin.com/xmlschemas/GpxExtensions/v3">
 <metadata>
  <time>{start:%Y-%m-%dT%H:%M:%SZ}</time>
 </metadata>
 <trk>
  <name>Morning Run</name>
  <type>9</type>
  <trkseg>{points}
  </trkseg>
 </trk>
</gpx>
""".encode()


BUILDERS = {"tcx": strava_tcx, "gpx": strava_gpx}


def gz(data: bytes) -> bytes:
    """Gzip as Strava's export does."""
    return gzip.compress(data, mtime=0)


def write_export(folder: Path, rows: list[tuple[int, str, str]]) -> Path:
    """Write activities.csv rows of (id, date, file) in Strava's English layout."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Activity ID", "Activity Date", "Activity Name", "Activity Type", "Filename"])
    writer.writerows(
        [activity_id, date, "Morning Run", "Run", name] for activity_id, date, name in rows
    )
    (folder / "activities.csv").write_text(buffer.getvalue(), encoding="utf-8")
    return folder


def zip_folder(folder: Path, target: Path) -> Path:
    """Zip a folder as Strava sends its export."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return target


def skipped_labels(result: ImportResult) -> str:
    """Return what the import reports as skipped, as text."""
    return " ".join(str(label) for label in result.skipped_files)


# ---------------------------------------------------------------------------------------------------
# Leading whitespace and byte order marks


@pytest.mark.parametrize("kind", BUILDERS)
@pytest.mark.parametrize("preamble", PREAMBLES.values(), ids=PREAMBLES)
def test_strava_files_with_a_preamble_keep_their_heart_rate(kind: str, preamble: bytes) -> None:
    plain = parse_activity_file(kind, BUILDERS[kind]())
    parsed = parse_activity_file(kind, preamble + BUILDERS[kind]())

    assert parsed == plain
    assert parsed.start == START
    assert parsed.streams is not None
    assert parsed.streams.heartrate is not None
    assert len(parsed.streams.heartrate) == SAMPLES
    assert parsed.streams.heartrate[:3] == (128.0, 129.0, 130.0)
    assert parsed.avg_hr == pytest.approx(sum(_hr(i) for i in range(SAMPLES)) / SAMPLES)
    assert parsed.distance_m == pytest.approx((SAMPLES - 1) * STEP_S * 3.0, rel=0.01)


def test_only_a_preamble_is_still_no_file() -> None:
    for kind in BUILDERS:
        with pytest.raises(ActivityFileError):
            parse_activity_file(kind, b"\n   " + BOM)


def test_whitespace_inside_the_document_is_left_alone() -> None:
    """Only what precedes the document is dropped: the names and values inside are untouched."""
    data = b"\n " + strava_gpx().replace(
        b"<name>Morning Run</name>", b"<name>  Morning Run </name>"
    )
    assert parse_gpx(data).name == "Morning Run"  # trimmed by the reader, as before


@pytest.mark.parametrize("kind", BUILDERS)
@pytest.mark.parametrize("archive", [False, True])
def test_a_gzipped_strava_export_keeps_every_runs_heart_rate(
    tmp_path: Path, kind: str, archive: bool
) -> None:
    """The export as downloaded: activities/<id>.<kind>.gz, each file starting with whitespace."""
    folder = tmp_path / "export"
    (folder / "activities").mkdir(parents=True)
    rows = []
    for n, preamble in enumerate(PREAMBLES.values()):
        start = START + timedelta(days=n)
        data = preamble + BUILDERS[kind](start)
        (folder / "activities" / f"{1000 + n}.{kind}.gz").write_bytes(gz(data))
        rows.append(
            (
                1000 + n,
                f"{start:%b} {start.day}, {start:%Y, %I:%M:%S %p}",
                f"activities/{1000 + n}.{kind}.gz",
            )
        )
    write_export(folder, rows)
    source = zip_folder(folder, tmp_path / "export.zip") if archive else folder

    result = read_export(source)

    assert result.skipped_files == ()
    assert [a.id for a in result.activities] == [1000 + n for n in range(len(PREAMBLES))]
    for activity in result.activities:
        assert activity.stream_summary is not None
        assert sum(seconds for _, seconds in activity.stream_summary.hr_seconds) == pytest.approx(
            (SAMPLES - 1) * STEP_S
        )
        assert activity.avg_hr is not None


def test_a_folder_of_gzipped_files_with_a_preamble(tmp_path: Path) -> None:
    (tmp_path / "a.tcx.gz").write_bytes(gz(b"\n   " + strava_tcx()))
    (tmp_path / "b.gpx.gz").write_bytes(gz(BOM + b"\n" + strava_gpx(START + timedelta(days=1))))

    result = read_export(tmp_path)

    assert result.skipped_files == ()
    assert [a.stream_summary is not None for a in result.activities] == [True, True]


# ---------------------------------------------------------------------------------------------------
# The same safety as before, behind a preamble


def _tcx_with(declaration: bytes) -> bytes:
    return strava_tcx().replace(
        b"<TrainingCenterDatabase", declaration + b"<TrainingCenterDatabase", 1
    )


def _gpx_with(declaration: bytes) -> bytes:
    return strava_gpx().replace(b"<gpx ", declaration + b"<gpx ", 1)


HOSTILE = {
    "internal entity": b'<!DOCTYPE x [<!ENTITY name "Morning Run">]>\n',
    "external entity": b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n',
    "external dtd": b'<!DOCTYPE x SYSTEM "http://example.invalid/x.dtd">\n',
    "parameter entity": b'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://example.invalid/p">%p;]>\n',
}


@pytest.mark.parametrize("preamble", [b"", *PREAMBLES.values()])
@pytest.mark.parametrize("declaration", HOSTILE.values(), ids=HOSTILE)
def test_declarations_are_refused_behind_a_preamble(preamble: bytes, declaration: bytes) -> None:
    with pytest.raises(ActivityFileError, match="DOCTYPE"):
        parse_tcx(preamble + _tcx_with(declaration))
    with pytest.raises(ActivityFileError, match="DOCTYPE"):
        parse_gpx(preamble + _gpx_with(declaration))


def test_entity_expansion_behind_a_preamble_is_refused_quickly() -> None:
    laughs = b'<!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
        for n in range(1, 10)
    )
    laughs += b"]>\n"
    began = time.perf_counter()
    for kind, data in (
        ("tcx", b"\n   " + _tcx_with(laughs)),
        ("gpx", BOM + b" " + _gpx_with(laughs)),
    ):
        with pytest.raises(ActivityFileError, match="DOCTYPE"):
            parse_activity_file(kind, data)
    assert time.perf_counter() - began < 1.0


def test_utf16_with_a_preamble_and_a_doctype_is_refused() -> None:
    """UTF-16 hides the declaration from the byte check: the TCX parser refuses it by itself."""
    text = (
        '\n  <?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x [<!ENTITY e "e">]>'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">'
        "<Activities/></TrainingCenterDatabase>"
    )
    with pytest.raises(ActivityFileError):
        parse_tcx(text.encode("utf-16"))
    with pytest.raises(ActivityFileError):
        parse_tcx(text.lstrip().encode("utf-16"))


def test_undeclared_entities_are_not_resolved() -> None:
    data = b"\n " + strava_tcx().replace(b"<Id>", b"<Id>&xxe;", 1)
    with pytest.raises(ActivityFileError, match="cannot be read"):
        parse_tcx(data)


# ---------------------------------------------------------------------------------------------------
# Implausible records are skipped and reported, the rest imported


def test_an_implausible_file_is_skipped_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "fine.tcx").write_bytes(strava_tcx())
    (tmp_path / "far.tcx").write_bytes(strava_tcx(START + timedelta(days=1), distance_m=1e308))
    (tmp_path / "epoch.gpx").write_bytes(strava_gpx(datetime(1970, 1, 1, tzinfo=UTC)))
    (tmp_path / "future.gpx").write_bytes(strava_gpx(datetime(2999, 1, 1, tzinfo=UTC)))

    with caplog.at_level(logging.DEBUG, "custom_components.coach_dyno.sources.export"):
        result = read_export(tmp_path)

    assert [a.start for a in result.activities] == [START]
    assert sorted(result.skipped_files) == ["epoch.gpx", "far.tcx", "future.gpx"]
    assert "Skipped far.tcx: distance 1e+308 m is not within" in caplog.text
    assert "Skipped epoch.gpx: start 1970-01-01" in caplog.text


def test_a_files_own_heart_rate_of_zero_means_no_strap() -> None:
    """A summary HR outside the range is a missing strap: the run is kept, without heart rate."""
    no_samples = b"\n  " + strava_tcx(sample_hr=False)
    zero = no_samples.replace(b"<Value>137</Value>", b"<Value>0</Value>").replace(
        b"<Value>147</Value>", b"<Value>0</Value>"
    )
    parsed = parse_tcx(zero)
    assert parsed.avg_hr is None
    assert parsed.max_hr is None
    assert parse_tcx(no_samples).avg_hr == 137.0


CSV_HEADER = [
    "Activity ID",
    "Activity Date",
    "Activity Name",
    "Activity Type",
    "Elapsed Time",
    "Distance",
    "Max Heart Rate",
    "Filename",
]


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (
            ["102", "Nov 4, 9999, 6:00:00 AM", "Far future", "Run", "3000", "10", "", ""],
            "start 9999",
        ),
        (["102", "Nov 4, 1965, 6:00:00 AM", "Before", "Run", "3000", "10", "", ""], "start 1965"),
        (["102", "Nov 4, 2024, 6:00:00 AM", "Far", "Run", "3000", "1e305", "", ""], "distance"),
        (["102", "Nov 4, 2024, 6:00:00 AM", "Long", "Run", "900000", "10", "", ""], "elapsed"),
        (["102", "Nov 4, 2024, 6:00:00 AM", "Spike", "Run", "3000", "10", "400", ""], "max heart"),
    ],
)
def test_an_implausible_csv_row_is_skipped_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, row: list[str], words: str
) -> None:
    rows = [["101", "Nov 3, 2024, 6:12:45 AM", "Fine", "Run", "3000", "10", "170", ""], row]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([CSV_HEADER, *rows])
    (tmp_path / "activities.csv").write_text(buffer.getvalue(), encoding="utf-8")

    with caplog.at_level(logging.DEBUG, "custom_components.coach_dyno.sources.export"):
        result = read_export(tmp_path)

    assert [a.id for a in result.activities] == [101]
    assert result.skipped == 1
    assert "activities.csv" in skipped_labels(result)
    assert words in caplog.text


# ---------------------------------------------------------------------------------------------------
# One decompression budget per import

PADDING = (
    900_000  # each member decompresses to a little under 1 MB; trailing whitespace is valid XML
)
MEMBERS = 4


def padded_gpx(n: int) -> bytes:
    return strava_gpx(START + timedelta(days=n)) + b" " * PADDING


def gzip_zip(target: Path, count: int = MEMBERS) -> Path:
    """Zip gzipped GPX files, each small packed and under every per-file limit unpacked."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(count):
            archive.writestr(f"activities/{n}.gpx.gz", gz(padded_gpx(n)))
    return target


def test_gzip_members_of_a_zip_share_one_budget(tmp_path: Path) -> None:
    archive = gzip_zip(tmp_path / "export.zip")
    unpacked = len(padded_gpx(0))
    with zipfile.ZipFile(archive) as opened:
        listed = sum(info.file_size for info in opened.infolist())
    budget = 3 * unpacked + unpacked // 2  # three members fit, four do not
    limits = ImportLimits(max_total_bytes=budget)
    # Nothing else would stop it: the listed sizes and each member are far under every limit.
    assert listed < budget // 50
    assert unpacked < limits.max_file_bytes
    assert MEMBERS * unpacked > budget

    with pytest.raises(ExportPathError) as err:
        read_export(archive, limits=limits)

    assert err.value.reason == "too_large"
    assert "decompresses to more than" in str(err.value)
    assert f"{budget:,}" in str(err.value)
    # Each one alone, and all of them under a larger budget, import.
    single = gzip_zip(tmp_path / "single.zip", count=1)
    assert len(read_export(single, limits=limits).activities) == 1
    roomy = ImportLimits(max_total_bytes=MEMBERS * unpacked * 2)
    assert len(read_export(archive, limits=roomy).activities) == MEMBERS


def test_the_budget_counts_a_folder_of_gzip_files_too(tmp_path: Path) -> None:
    for n in range(MEMBERS):
        (tmp_path / f"{n}.gpx.gz").write_bytes(gz(padded_gpx(n)))
    unpacked = len(padded_gpx(0))

    with pytest.raises(ExportPathError) as err:
        read_export(tmp_path, limits=ImportLimits(max_total_bytes=3 * unpacked))

    assert err.value.reason == "too_large"
    assert (
        len(read_export(tmp_path, limits=ImportLimits(max_total_bytes=5 * unpacked)).activities)
        == 4
    )


def test_the_budget_stops_a_single_member_mid_stream(tmp_path: Path) -> None:
    """One member that alone outgrows the whole budget refuses the import, not just itself."""
    target = tmp_path / "one.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("activities/big.gpx.gz", gz(padded_gpx(0)))
    with pytest.raises(ExportPathError) as err:
        read_export(target, limits=ImportLimits(max_total_bytes=PADDING // 2))
    assert err.value.reason == "too_large"
    assert "decompresses to more than" in str(err.value)


def test_a_strava_export_counts_its_csv_and_its_files(tmp_path: Path) -> None:
    (tmp_path / "activities").mkdir()
    rows = []
    for n in range(MEMBERS):
        (tmp_path / "activities" / f"{n}.gpx.gz").write_bytes(gz(padded_gpx(n)))
        rows.append((500 + n, f"Nov {3 + n}, 2024, 6:12:45 AM", f"activities/{n}.gpx.gz"))
    write_export(tmp_path, rows)
    unpacked = len(padded_gpx(0))

    with pytest.raises(ExportPathError) as err:
        read_export(tmp_path, limits=ImportLimits(max_total_bytes=2 * unpacked))

    assert err.value.reason == "too_large"


def test_refused_gzip_bombs_count_against_the_budget(tmp_path: Path) -> None:
    """
    Bombs each refused by their own limit were skipped without counting what they decompressed.

    Each one is stopped a little past its own limit and skipped, as before; but a thousand of them
    inside one zip decompressed a thousand times that limit, bounded by nothing. Now all of it
    counts, and the import stops once the total passes the budget.
    """
    limits = ImportLimits(max_total_bytes=1024**2, max_file_bytes=200 * 1024)
    bomb = gz(b"\0" * (300 * 1024))
    target = tmp_path / "bombs.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("activities/good.gpx", strava_gpx())
        for n in range(8):
            archive.writestr(f"activities/bomb{n}.gpx.gz", bomb)

    with pytest.raises(ExportPathError) as err:
        read_export(target, limits=limits)
    assert err.value.reason == "too_large"

    # One of them alone is only skipped.
    single = tmp_path / "one_bomb.zip"
    with zipfile.ZipFile(single, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("activities/good.gpx", strava_gpx())
        archive.writestr("activities/bomb.gpx.gz", bomb)
    result = read_export(single, limits=limits)
    assert len(result.activities) == 1
    assert result.skipped_files == ("bomb.gpx.gz",)
