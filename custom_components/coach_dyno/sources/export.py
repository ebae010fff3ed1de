"""
Import a Strava bulk export (folder or .zip) or any folder of FIT/GPX/TCX files.

Sync and free of Home Assistant: callers run `read_export` in the executor. The input is hostile until
proven otherwise: paths stay inside the config directory, archives are read in memory without extracting,
every decompression is bounded, and a bad file is skipped and counted instead of failing the import.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
import csv
from dataclasses import dataclass
from datetime import UTC, datetime
import gzip
import io
import logging
import math
import os
from pathlib import Path
import posixpath
import re
from typing import IO, Final
import zipfile
import zlib

from custom_components.coach_dyno.sources.files import (
    ParsedFile,
    file_kind,
    parse_activity_file,
    parse_iso_time,
)
from custom_components.coach_dyno.training import summarize_streams
from custom_components.coach_dyno.training.activity import Activity, StreamSummary

_LOGGER = logging.getLogger(__name__)

REASON_OUTSIDE_CONFIG_DIR: Final = "outside_config_dir"
REASON_NOT_FOUND: Final = "not_found"
REASON_TOO_LARGE: Final = "too_large"
REASON_UNSAFE_ARCHIVE: Final = "unsafe_archive"
REASON_NO_ACTIVITIES: Final = "no_activities"

CSV_NAME: Final = "activities.csv"
_CHUNK_BYTES: Final = 64 * 1024
# Small members may compress absurdly well and still be harmless; ratios only matter above this.
_RATIO_FLOOR_BYTES: Final = 1024 * 1024
_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# "Nov 3, 2024, 6:12:45 AM", Strava's export format (UTC, English month names).
_STRAVA_DATE: Final = re.compile(
    r"^([A-Za-z]{3})[a-z]*\.? (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2})(?: ?([AaPp][Mm]))?$"
)
# Strava's workout_type values that mean a race: 1 for runs, 11 for rides.
_RACE_WORKOUT_TYPES: Final = frozenset({"1", "11", "race"})


class ExportPathError(ValueError):
    """The export cannot be imported; `reason` is a stable code the config flow translates."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        """Keep the reason code next to a readable message."""
        super().__init__(message or reason)
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportLimits:
    """Bounds that keep a hostile or mistaken input from exhausting memory or time."""

    max_total_bytes: int = 2 * 1024**3
    max_file_bytes: int = 100 * 1024**2
    max_files: int = 50_000
    max_ratio: float = 100.0


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import produced: activities, and the files that could not be read (names only)."""

    activities: tuple[Activity, ...]
    skipped: int
    skipped_files: tuple[str, ...]


class _RefusedFileError(Exception):
    """One file refused by the limits; it is skipped, the import goes on."""


# What reading one member can raise: refusals, I/O, damaged compression, encrypted zip members
# (RuntimeError) and compression methods zipfile lacks (NotImplementedError).
_READ_ERRORS: Final = (
    _RefusedFileError,
    OSError,
    EOFError,
    zlib.error,
    zipfile.BadZipFile,
    RuntimeError,
    NotImplementedError,
)


def resolve_import_path(config_dir: Path, user_path: str) -> Path:
    """Resolve what the user typed (relative to the config dir or absolute), refusing to leave it."""
    if not user_path.strip():
        raise ExportPathError(REASON_NOT_FOUND, "no path given")
    try:
        base = config_dir.resolve()
        candidate = Path(user_path.strip())
        if not candidate.is_absolute():
            candidate = base / candidate
        # resolve() follows symlinks and `..`, so the check below is on the real location.
        resolved = candidate.resolve()
        exists = resolved.exists()
    except (OSError, ValueError) as err:  # a NUL byte, a symlink loop, an unreadable parent
        raise ExportPathError(REASON_NOT_FOUND, "the path cannot be resolved") from err
    if not resolved.is_relative_to(base):
        raise ExportPathError(REASON_OUTSIDE_CONFIG_DIR, "the path is outside the config directory")
    if not exists:
        raise ExportPathError(REASON_NOT_FOUND, "nothing exists at that path")
    return resolved


def read_export(path: Path, *, limits: ImportLimits = ImportLimits()) -> ImportResult:
    """Read a Strava export (folder, .zip or its activities.csv) or a folder of activity files."""
    if not path.exists():
        raise ExportPathError(REASON_NOT_FOUND, "nothing exists at that path")
    if path.is_file() and path.name.lower() == CSV_NAME:
        path = path.parent
    with _open_source(path, limits) as source:
        importer = _Importer(source, limits)
        activities = importer.run()
    if not activities:
        raise ExportPathError(REASON_NO_ACTIVITIES, "no activities found")
    return ImportResult(
        activities=tuple(sorted(activities, key=lambda a: (a.start, a.id))),
        skipped=len(importer.skipped),
        skipped_files=tuple(importer.skipped),
    )


# ---------------------------------------------------------------------------------------------------
# Sources: a folder or a zip, seen as relative POSIX names of the members that matter


class _Source(ABC):
    """Members that matter (activity files and activities.csv) by relative name, with their size."""

    def __init__(self) -> None:
        """Start empty; subclasses fill `sizes`."""
        self.sizes: dict[str, int] = {}
        self.unreadable: list[str] = []

    @abstractmethod
    def open(self, name: str) -> IO[bytes]:
        """Open a member for reading."""

    def read(self, name: str, limit: int) -> bytes:
        """Read a member, refusing it when it is, or turns out to be, larger than `limit`."""
        if self.sizes[name] > limit:
            raise _RefusedFileError("file larger than the limit")
        with self.open(name) as stream:
            return _read_bounded(stream, limit)


class _FolderSource(_Source):
    """A folder searched recursively, without following links out of it."""

    def __init__(self, root: Path, limits: ImportLimits, only: str | None = None) -> None:
        """List the folder's relevant files (or the single file `only`)."""
        super().__init__()
        self.root = root.resolve()
        names = [only] if only is not None else self._walk(limits)
        for name in names:
            full = self.root / name
            try:
                # A link may point anywhere: it counts only when its target is inside the folder.
                escapes = full.is_symlink() and not full.resolve().is_relative_to(self.root)
                size = None if escapes else full.stat().st_size
            except OSError:  # a dangling link, no permission
                size = None
            if size is None:
                self.unreadable.append(name)
            else:
                self.sizes[name] = size

    def _walk(self, limits: ImportLimits) -> list[str]:
        found: list[str] = []
        for directory, subdirs, files in os.walk(self.root):
            subdirs.sort()
            for file_name in sorted(files):
                if file_kind(file_name) is None and file_name.lower() != CSV_NAME:
                    continue
                found.append(Path(directory, file_name).relative_to(self.root).as_posix())
                if len(found) > limits.max_files:
                    raise ExportPathError(REASON_TOO_LARGE, "too many files")
        return found

    def open(self, name: str) -> IO[bytes]:
        """Open a file of the folder."""
        return (self.root / name).open("rb")


class _ZipSource(_Source):
    """A .zip read member by member in memory; nothing is ever extracted to disk."""

    def __init__(self, archive: zipfile.ZipFile, limits: ImportLimits) -> None:
        """Check every member name and size before anything is decompressed."""
        super().__init__()
        self.archive = archive
        self.infos: dict[str, zipfile.ZipInfo] = {}
        members = archive.infolist()
        if len(members) > limits.max_files:
            raise ExportPathError(REASON_TOO_LARGE, "too many files in the archive")
        for info in members:
            name = info.filename.replace("\\", "/")
            parts = name.split("/")
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                raise ExportPathError(REASON_UNSAFE_ARCHIVE, "a member escapes the archive")
            if info.is_dir() or (file_kind(name) is None and parts[-1].lower() != CSV_NAME):
                continue
            if (
                info.file_size > _RATIO_FLOOR_BYTES
                and info.file_size > info.compress_size * limits.max_ratio
            ):
                raise ExportPathError(REASON_UNSAFE_ARCHIVE, "a member is a compression bomb")
            self.infos[name] = info
            self.sizes[name] = info.file_size

    def open(self, name: str) -> IO[bytes]:
        """Open a member of the archive."""
        return self.archive.open(self.infos[name])


@contextmanager
def _open_source(path: Path, limits: ImportLimits) -> Iterator[_Source]:
    """Open a folder, a .zip or a single activity file as a source."""
    if path.is_dir():
        yield _FolderSource(path, limits)
        return
    if path.suffix.lower() == ".zip":
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as err:
            raise ExportPathError(REASON_NO_ACTIVITIES, "the archive cannot be read") from err
        with archive:
            yield _ZipSource(archive, limits)
        return
    if file_kind(path.name) is None:
        raise ExportPathError(REASON_NO_ACTIVITIES, "not an export, an archive or an activity file")
    yield _FolderSource(path.parent, limits, only=path.name)


def _read_bounded(stream: IO[bytes] | gzip.GzipFile, limit: int) -> bytes:
    """Read in chunks and stop as soon as more than `limit` bytes come out."""
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(_CHUNK_BYTES):
        total += len(chunk)
        if total > limit:
            raise _RefusedFileError("file larger than the limit")
        chunks.append(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------------------------------------------
# The import itself


class _Importer:
    """Reads one source, keeping count of what it had to skip."""

    def __init__(self, source: _Source, limits: ImportLimits) -> None:
        """Check the source against the limits before reading anything."""
        self.source = source
        self.limits = limits
        self.skipped: list[str] = []
        self.used_bytes = 0
        # The file count was checked while listing; the sizes can only be checked once listed.
        if sum(source.sizes.values()) > limits.max_total_bytes:
            raise ExportPathError(REASON_TOO_LARGE, "the export is larger than the limit")
        for name in source.unreadable:
            self._skip(name, "unreadable, or a link out of the folder")

    def run(self) -> list[Activity]:
        """Import from activities.csv when the source has one, else from every activity file."""
        csv_names = [n for n in self.source.sizes if posixpath.basename(n).lower() == CSV_NAME]
        if csv_names:
            # The shallowest one is the export's own index (a re-zipped export adds a top folder).
            return self._read_strava(min(csv_names, key=lambda n: (n.count("/"), n)))
        return self._read_files(sorted(n for n in self.source.sizes if file_kind(n) is not None))

    def _skip(self, name: str, why: object) -> None:
        label = posixpath.basename(name)
        _LOGGER.debug("Skipped %s: %s", label, why)
        self.skipped.append(label)

    def _spend(self, size: int) -> None:
        self.used_bytes += size
        if self.used_bytes > self.limits.max_total_bytes:
            raise ExportPathError(REASON_TOO_LARGE, "the export is larger than the limit")

    def _load(self, name: str) -> ParsedFile | None:
        """Read, decompress and parse one activity file; None (and counted) when it is bad."""
        # Callers pass activity files only; an unknown kind would be refused by the parser anyway.
        file_type, gzipped = file_kind(name) or ("", False)
        try:
            data = self.source.read(name, self.limits.max_file_bytes)
            if gzipped:
                data = self._gunzip(data)
        except _READ_ERRORS as err:
            self._skip(name, err)
            return None
        self._spend(len(data))
        try:
            return parse_activity_file(file_type, data)
        except Exception as err:  # noqa: BLE001 - third-party parsers raise anything on bad input
            self._skip(name, err)
            return None

    def _gunzip(self, raw: bytes) -> bytes:
        """Decompress a gzip member in bounded chunks, refusing size and ratio bombs."""
        ratio_bound = max(int(len(raw) * self.limits.max_ratio), _RATIO_FLOOR_BYTES)
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            return _read_bounded(stream, min(self.limits.max_file_bytes, ratio_bound))

    def _read_files(self, names: Sequence[str]) -> list[Activity]:
        """Turn each activity file into an activity with an id derived from its start time."""
        activities: dict[int, Activity] = {}
        for name in names:
            parsed = self._load(name)
            if parsed is None:
                continue
            activity_id = file_activity_id(parsed.start)
            if activity_id in activities:
                continue  # the same recording twice (say .fit and .gpx): keep the first
            # The readers guarantee finite, non-negative totals and an aware start.
            activities[activity_id] = Activity(
                id=activity_id,
                start=parsed.start,
                sport_type=parsed.sport_type or "Run",
                name=parsed.name or _stem(name),
                distance_m=parsed.distance_m,
                moving_s=parsed.moving_s,
                elapsed_s=parsed.elapsed_s,
                elevation_gain_m=parsed.elevation_gain_m,
                avg_hr=parsed.avg_hr,
                max_hr=parsed.max_hr,
                trainer=parsed.trainer,
                stream_summary=_stream_summary(parsed),
            )
        return list(activities.values())

    def _read_strava(self, csv_name: str) -> list[Activity]:
        """Read activities.csv and merge each row with the file its Filename column names."""
        # Without its index the export means nothing: a CSV that cannot be read refuses it whole.
        try:
            raw = self.source.read(csv_name, self.limits.max_file_bytes)
        except _RefusedFileError as err:
            raise ExportPathError(
                REASON_TOO_LARGE, "activities.csv is larger than the limit"
            ) from err
        except _READ_ERRORS as err:
            raise ExportPathError(REASON_NO_ACTIVITIES, "activities.csv cannot be read") from err
        self._spend(len(raw))
        rows = csv.reader(io.StringIO(raw.decode("utf-8-sig", errors="replace")))
        header = next(rows, None)
        if header is None:
            return []
        columns = _Columns(header)
        base = posixpath.dirname(csv_name)
        activities: dict[int, Activity] = {}
        line = 1
        while True:
            line += 1
            try:
                row = next(rows)
                if not any(cell.strip() for cell in row):
                    continue
                record = _parse_row(columns, row)
            except StopIteration:
                break
            except (ValueError, csv.Error) as err:  # csv.Error: a field over the size limit
                self._skip(f"{CSV_NAME}:{line}", err)
                continue
            if record.id in activities:
                continue
            parsed = None
            if record.filename:
                member = posixpath.normpath(posixpath.join(base, record.filename))
                # A row whose file is missing still makes its activity from the row alone.
                if member in self.source.sizes:
                    parsed = self._load(member)
            try:
                activities[record.id] = _merge(record, parsed)
            except ValueError as err:
                self._skip(f"{CSV_NAME}:{line}", err)
        return list(activities.values())


def file_activity_id(start: datetime) -> int:
    """
    Return the id of an activity known only from a file: minus its start in epoch seconds.

    Strava ids are positive, so these never collide with them, and the same recording imported
    again (or from another format) gets the same id, which is what deduplication downstream keys on.
    """
    return -max(1, int(start.timestamp()))


def _stem(name: str) -> str:
    """Return a file's name without folders and activity extensions."""
    base = posixpath.basename(name)
    for suffix in (".gz", ".fit", ".gpx", ".tcx"):
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
    return base


def _stream_summary(parsed: ParsedFile | None) -> StreamSummary | None:
    """Summarise the file's streams when it recorded heart rate; raw streams are not kept."""
    if parsed is None or parsed.streams is None or parsed.streams.heartrate is None:
        return None
    return summarize_streams(parsed.streams)


# ---------------------------------------------------------------------------------------------------
# activities.csv


class _Columns:
    """Column positions by header name; Strava repeats some names, so each maps to all positions."""

    def __init__(self, header: Sequence[str]) -> None:
        """Index the header."""
        self.positions: dict[str, list[int]] = {}
        for index, title in enumerate(header):
            self.positions.setdefault(title.strip().lower(), []).append(index)

    def count(self, name: str) -> int:
        """How many columns carry this name."""
        return len(self.positions.get(name.lower(), []))

    def get(self, row: Sequence[str], name: str, *, last: bool = False) -> str:
        """Return the first non-empty value among the name's columns (from the end when `last`)."""
        positions = self.positions.get(name.lower(), [])
        for index in reversed(positions) if last else positions:
            if index < len(row) and (value := row[index].strip()):
                return value
        return ""

    def number(self, row: Sequence[str], name: str, *, last: bool = False) -> float | None:
        """Return a column as a number, None when empty or not a number."""
        return _csv_number(self.get(row, name, last=last))


@dataclass(frozen=True, slots=True)
class _Row:
    """One activities.csv row, in the units the Activity model uses."""

    id: int
    start: datetime
    name: str
    sport_type: str
    race: bool
    distance_m: float | None
    moving_s: float | None
    elapsed_s: float | None
    elevation_gain_m: float | None
    avg_hr: float | None
    max_hr: float | None
    filename: str


def _parse_row(columns: _Columns, row: Sequence[str]) -> _Row:
    """Read one row; ValueError when it has no usable id or date."""
    activity_id = int(columns.get(row, "Activity ID"))
    if activity_id <= 0:
        raise ValueError("Activity ID must be positive")
    activity_type = columns.get(row, "Activity Type")
    sport_type = re.sub(r"[\s\-]", "", activity_type) or "Run"
    race = columns.get(row, "Workout Type").lower() in _RACE_WORKOUT_TYPES
    if sport_type.lower() == "race":
        sport_type, race = "Run", True
    # Strava writes Distance twice: first in km (m for swims), later in metres. The metre column is
    # the unambiguous one; the first is the fallback for exports that only kept one.
    if columns.count("Distance") > 1:
        distance_m = columns.number(row, "Distance", last=True)
    else:
        distance_km = columns.number(row, "Distance")
        distance_m = None if distance_km is None else distance_km * 1000
    return _Row(
        id=activity_id,
        start=parse_strava_date(columns.get(row, "Activity Date")),
        name=columns.get(row, "Activity Name"),
        sport_type=sport_type,
        race=race,
        distance_m=distance_m,
        moving_s=columns.number(row, "Moving Time"),
        elapsed_s=columns.number(row, "Elapsed Time"),
        elevation_gain_m=columns.number(row, "Elevation Gain"),
        avg_hr=columns.number(row, "Average Heart Rate"),
        # The later Max Heart Rate column is the one newer exports fill; the first is older ones'.
        max_hr=columns.number(row, "Max Heart Rate", last=True),
        filename=columns.get(row, "Filename"),
    )


def _merge(row: _Row, parsed: ParsedFile | None) -> Activity:
    """Build the activity: Strava's numbers from the row win, the file fills the gaps."""

    def pick(value: float | None, field: str) -> float | None:
        """Return the row's value, else the file's."""
        if value is not None or parsed is None:
            return value
        fallback: float | None = getattr(parsed, field)
        return fallback

    return Activity(
        id=row.id,
        start=row.start,
        sport_type=row.sport_type,
        name=row.name,
        distance_m=pick(row.distance_m, "distance_m") or 0.0,
        moving_s=pick(row.moving_s, "moving_s") or 0.0,
        elapsed_s=pick(row.elapsed_s, "elapsed_s") or 0.0,
        elevation_gain_m=pick(row.elevation_gain_m, "elevation_gain_m") or 0.0,
        avg_hr=pick(row.avg_hr, "avg_hr"),
        max_hr=pick(row.max_hr, "max_hr"),
        trainer=parsed.trainer if parsed else False,
        race=row.race,
        stream_summary=_stream_summary(parsed),
    )


def parse_strava_date(text: str) -> datetime:
    """Parse Strava's export date ("Nov 3, 2024, 6:12:45 AM", UTC); ISO 8601 is accepted too."""
    match = _STRAVA_DATE.match(text.strip())
    if match is None:
        return parse_iso_time(text)
    month_name, day, year, hour, minute, second, meridiem = match.groups()
    month = _MONTHS.get(month_name.lower())
    if month is None:
        raise ValueError(f"unknown month {month_name!r}")
    hour_24 = int(hour)
    if meridiem is not None:
        if not 1 <= hour_24 <= 12:
            raise ValueError(f"bad 12-hour clock hour {hour_24}")
        hour_24 = hour_24 % 12 + (12 if meridiem.lower() == "pm" else 0)
    return datetime(int(year), month, int(day), hour_24, int(minute), int(second), tzinfo=UTC)


def _csv_number(text: str) -> float | None:
    """Parse a CSV number; a lone decimal comma (some locales) is accepted."""
    if not text:
        return None
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
