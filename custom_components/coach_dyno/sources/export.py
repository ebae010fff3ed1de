"""
Import a Strava bulk export (folder or .zip) or any folder of FIT/GPX/TCX files.

Sync and free of Home Assistant: callers run `read_export` in the executor. The input is hostile until
proven otherwise: paths stay inside the config directory, archives are read in memory without extracting,
every decompression is bounded, and a bad file is skipped and counted instead of failing the import.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import codecs
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
import csv
from dataclasses import dataclass
from datetime import datetime
import gzip
import io
import logging
import os
from pathlib import Path
import posixpath
import re
from typing import IO, Final, NamedTuple
import unicodedata
import zipfile
import zlib

from custom_components.coach_dyno.sources.export_languages import (
    DMY,
    MDY,
    Field,
    fold,
    infer_decimal,
    map_header,
    normalize_title,
    numeric_date_order,
    parse_date,
    parse_number,
    sport_type,
)
from custom_components.coach_dyno.sources.files import (
    ParsedFile,
    file_kind,
    parse_activity_file,
)
from custom_components.coach_dyno.training import bounds, summarize_streams
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
# Strava's workout_type values that mean a race: 1 for runs, 11 for rides.
_RACE_WORKOUT_TYPES: Final = frozenset({1, 11})
# Rows read before the first activity is built, to find columns by their content.
_SAMPLE_ROWS: Final = 200
_DELIMITERS: Final = (",", ";", "\t", "|")
_ACTIVITY_FILE: Final = re.compile(r"(?i)(?:^|/)[^/]+\.(?:fit|gpx|tcx)(?:\.gz)?$")


class ExportPathError(ValueError):
    """The export cannot be imported; `reason` is a stable code the config flow translates."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        """Keep the reason code next to a readable message."""
        super().__init__(message or reason)
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportLimits:
    """Bounds that keep a hostile or mistaken input from exhausting memory or time."""

    # What one import may list, and what all its reads and decompressions together may produce.
    max_total_bytes: int = 2 * 1024**3
    max_file_bytes: int = 100 * 1024**2
    max_files: int = 50_000
    max_ratio: float = 100.0


class SkippedRow(NamedTuple):
    """An activities.csv row that could not be read: the line it starts on, and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    """
    What an import produced: activities, and what could not be read.

    `skipped` counts `skipped_files`: the names of unreadable files, and "activities.csv:LINE" for
    each unreadable row, which `skipped_rows` also gives as (line, reason).
    """

    activities: tuple[Activity, ...]
    skipped: int
    skipped_files: tuple[str, ...]
    skipped_rows: tuple[SkippedRow, ...] = ()


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


def read_export(
    path: Path, *, limits: ImportLimits = ImportLimits(), now: datetime | None = None
) -> ImportResult:
    """
    Read a Strava export (folder, .zip or its activities.csv) or a folder of activity files.

    Activities outside the plausible ranges of `bounds` are skipped; starts are checked against
    `now` (default: the clock).
    """
    if not path.exists():
        raise ExportPathError(REASON_NOT_FOUND, "nothing exists at that path")
    if path.is_file() and path.name.lower() == CSV_NAME:
        path = path.parent
    with _open_source(path, limits) as source:
        importer = _Importer(source, limits, now=now)
        activities = importer.run()
    if not activities:
        raise ExportPathError(REASON_NO_ACTIVITIES, "no activities found")
    return ImportResult(
        activities=tuple(sorted(activities, key=lambda a: (a.start, a.id))),
        skipped=len(importer.skipped),
        skipped_files=tuple(importer.skipped),
        skipped_rows=tuple(importer.skipped_rows),
    )


# ---------------------------------------------------------------------------------------------------
# Sources: a folder or a zip, seen as relative POSIX names of the members that matter


class _Source(ABC):
    """Members that matter (activity files and activities.csv) by relative name, with their size."""

    def __init__(self, limits: ImportLimits) -> None:
        """Start empty; subclasses fill `sizes`. Every read of this import draws on one budget."""
        self.sizes: dict[str, int] = {}
        self.unreadable: list[str] = []
        self.budget = _DecompressionBudget(limits.max_total_bytes)

    @abstractmethod
    def open(self, name: str) -> IO[bytes]:
        """Open a member for reading."""

    def read(self, name: str, limit: int) -> bytes:
        """Read a member, refusing it when it is, or turns out to be, larger than `limit`."""
        if self.sizes[name] > limit:
            raise _RefusedFileError("file larger than the limit")
        with self.open(name) as stream:
            return _read_bounded(stream, limit, self.budget)


class _FolderSource(_Source):
    """A folder searched recursively, without following links out of it."""

    def __init__(self, root: Path, limits: ImportLimits, only: str | None = None) -> None:
        """List the folder's relevant files (or the single file `only`)."""
        super().__init__(limits)
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
        super().__init__(limits)
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


class _DecompressionBudget:
    """
    The bytes one import may read and decompress in all, zip members and gzip files inside alike.

    Each file has its own limits too, but a thousand files just under them would still add up: this
    running total stops the whole import, mid-file, once they do.
    """

    def __init__(self, limit: int) -> None:
        """Start with nothing spent."""
        self.limit = limit
        self.spent = 0

    def spend(self, size: int) -> None:
        """Count `size` more bytes; refuse the import once the total passes the limit."""
        self.spent += size
        if self.spent > self.limit:
            raise ExportPathError(
                REASON_TOO_LARGE,
                f"the export decompresses to more than {self.limit:,} bytes, the limit of one import",
            )


def _read_bounded(
    stream: IO[bytes] | gzip.GzipFile, limit: int, budget: _DecompressionBudget
) -> bytes:
    """Read in chunks, each counted against `budget`; refuse the file past `limit` bytes."""
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(_CHUNK_BYTES):
        budget.spend(len(chunk))
        total += len(chunk)
        if total > limit:
            raise _RefusedFileError("file larger than the limit")
        chunks.append(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------------------------------------------
# The import itself


class _Importer:
    """Reads one source, keeping count of what it had to skip."""

    def __init__(
        self, source: _Source, limits: ImportLimits, *, now: datetime | None = None
    ) -> None:
        """Check the source against the limits before reading anything."""
        self.source = source
        self.limits = limits
        self.now = now  # what the activities' starts are checked against (None: the clock)
        self.skipped: list[str] = []
        self.skipped_rows: list[SkippedRow] = []
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

    def _skip_row(self, line: int, why: object) -> None:
        """Report an activities.csv row by the line it starts on; the import goes on."""
        self._skip(f"{CSV_NAME}:{line}", why)
        self.skipped_rows.append(SkippedRow(line, str(why) or type(why).__name__))

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
        try:
            return parse_activity_file(file_type, data)
        except Exception as err:  # noqa: BLE001 - third-party parsers raise anything on bad input
            self._skip(name, err)
            return None

    def _gunzip(self, raw: bytes) -> bytes:
        """Decompress a gzip member in bounded chunks, refusing size and ratio bombs."""
        ratio_bound = max(int(len(raw) * self.limits.max_ratio), _RATIO_FLOOR_BYTES)
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            limit = min(self.limits.max_file_bytes, ratio_bound)
            return _read_bounded(stream, limit, self.source.budget)

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
            activity = Activity(
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
            if (problem := bounds.problem(activity, now=self.now)) is not None:
                self._skip(name, problem)
                continue
            activities[activity_id] = activity
        return list(activities.values())

    def _read_strava(self, csv_name: str) -> list[Activity]:
        """Read activities.csv and merge each row with the file its filename column names."""
        # Without its index the export means nothing: a CSV that cannot be read refuses it whole.
        try:
            raw = self.source.read(csv_name, self.limits.max_file_bytes)
        except _RefusedFileError as err:
            raise ExportPathError(
                REASON_TOO_LARGE, "activities.csv is larger than the limit"
            ) from err
        except _READ_ERRORS as err:
            raise ExportPathError(REASON_NO_ACTIVITIES, "activities.csv cannot be read") from err
        text = decode_csv(raw)
        delimiter = _delimiter(text)
        header, sample = _sample(text, delimiter)
        if header is None:
            return []
        columns = _Columns(header, sample)
        base = posixpath.dirname(csv_name)
        activities: dict[int, Activity] = {}
        for line, row in self._rows(text, delimiter):
            try:
                record = _parse_row(columns, row)
            except _ROW_ERRORS as err:
                self._skip_row(line, err)
                continue
            if record.id in activities:
                _LOGGER.debug("Line %s repeats activity %s", line, record.id)
                continue
            parsed = None
            if record.filename:
                member = posixpath.normpath(posixpath.join(base, record.filename))
                # A row whose file is missing still makes its activity from the row alone.
                if member in self.source.sizes:
                    parsed = self._load(member)
            try:
                # bounds.check raises a ValueError too: an implausible row is skipped like a bad one.
                activities[record.id] = bounds.check(_merge(record, parsed), now=self.now)
            except ValueError as err:
                self._skip_row(line, err)
        return list(activities.values())

    def _rows(self, text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
        """Yield each non-empty data row with the line it starts on; unreadable rows are reported."""
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        end = 0
        header_seen = False
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as err:  # a field over the size limit
                end = reader.line_num
                self._skip_row(start, err)
                continue
            end = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header_seen:
                yield start, row
            header_seen = True


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
#
# Strava writes it in the account's language (export_languages.py), and people re-save it with a
# spreadsheet: UTF-16 and tabs from Excel's "Unicode Text", the Windows code page and semicolons from
# its plain "CSV" in many locales, numbers and dates rewritten the local way. Columns are found by
# meaning (a title of a known language), else by the export's structure: ids first, then the date,
# name and type; the columns Strava writes twice (elapsed time, distance, max heart rate) mark where
# moving time, elevation gain and average heart rate are.

# What reading one row can raise; such a row is reported by its line and the import goes on.
_ROW_ERRORS: Final = (ValueError, OverflowError, ArithmeticError, IndexError)

# A byte order mark names the encoding; UTF-32 first, as its little-endian mark starts like UTF-16's.
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_csv(raw: bytes) -> str:
    """
    Decode activities.csv whatever saved it.

    UTF-8 with or without a byte order mark; UTF-16 or UTF-32 with one, or UTF-16 without one (Excel's
    "Unicode Text" writes UTF-16 LE with a mark); else the Windows code page 1252, else Latin-1.
    ExportPathError (no_activities) names the problem when the bytes are not text.
    """
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            body = raw[len(bom) :]
            if codec == "utf-8":  # the mark says UTF-8: a damaged byte only spoils its own field
                return _checked_text(body.decode(codec, errors="replace"))
            return _checked_text(_strict(body, codec))
    if (utf16 := _utf16_without_bom(raw)) is not None:
        return _checked_text(_strict(raw, utf16))
    try:
        return _checked_text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    mostly = raw.decode("utf-8", errors="replace")
    if sum(1 for char in mostly if "\x7f" < char != "\ufffd") > 5 * mostly.count("\ufffd"):
        return _checked_text(mostly)  # UTF-8 with a few broken bytes
    try:
        return _checked_text(raw.decode("cp1252"))
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return _checked_text(raw.decode("latin-1"))


def _strict(raw: bytes, codec: str) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as err:
        raise ExportPathError(
            REASON_NO_ACTIVITIES,
            f"activities.csv looks like {codec.upper()} but cannot be decoded ({err.reason} at "
            f"byte {err.start}); export it again, or save it as CSV UTF-8",
        ) from err


def _utf16_without_bom(raw: bytes) -> str | None:
    """Recognise UTF-16 without a byte order mark by the zero bytes of its ASCII characters."""
    sample = raw[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _checked_text(text: str) -> str:
    """Refuse binary data that happened to decode; drop a repeated byte order mark."""
    nuls = text.count("\x00")
    if nuls and (nuls * 100 > len(text) or "\x00" in text.partition("\n")[0]):
        raise ExportPathError(
            REASON_NO_ACTIVITIES,
            "activities.csv is not text in a known encoding (it contains NUL bytes); "
            "export it again, or save it as CSV UTF-8",
        )
    return text.removeprefix("\ufeff")


def _delimiter(text: str) -> str:
    """Return the delimiter (comma, semicolon, tab or bar) that splits the header into most columns."""
    lines = text.lstrip("\r\n").splitlines()
    first_line = lines[0] if lines else ""
    best, best_count = ",", 1
    for delimiter in _DELIMITERS:
        count = len(next(csv.reader([first_line], delimiter=delimiter), []))
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _sample(text: str, delimiter: str) -> tuple[list[str] | None, list[list[str]]]:
    """Return the header and the first rows to find columns by; rows that don't parse are left out."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[list[str]] = []
    while len(rows) < _SAMPLE_ROWS:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            if header is None:
                raise ExportPathError(
                    REASON_NO_ACTIVITIES, f"the header of activities.csv cannot be read: {err}"
                ) from err
            continue
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = row
        else:
            rows.append(row)
    return header, rows


class _Columns:
    """
    Column positions by meaning; Strava writes some columns twice, so each maps to all positions.

    The first of repeated columns is a summary written the language's way ("9,44" km), the later ones
    raw values (metres, seconds). Each column's decimal separator is read from its values, else taken
    from the language (summaries) or as "." (raw values).
    """

    def __init__(self, header: Sequence[str], sample: Sequence[Sequence[str]]) -> None:
        """Map the header, complete it from the sample rows, and learn each column's conventions."""
        self.width = len(header)
        self.positions, self.language = map_header(header)
        self._sample = sample
        self._complete(header)
        missing = [field.value for field in (Field.ID, Field.DATE) if field not in self.positions]
        if missing:
            titles = ", ".join(repr(title.strip()) for title in header[:5])
            raise ExportPathError(
                REASON_NO_ACTIVITIES,
                f"activities.csv has no recognisable activity {' or '.join(missing)} column "
                f"(its first titles: {titles})",
            )
        language_decimal = self.language.decimal if self.language is not None else None
        self.decimals: dict[int, str | None] = {}
        for indexes in self.positions.values():
            for rank, index in enumerate(indexes):
                assumed = "." if rank else language_decimal
                self.decimals[index] = infer_decimal(self._values(index)) or assumed
        date_values = self._values(self.positions[Field.DATE][0])
        language_order = self.language.date_order if self.language is not None else None
        self.date_order = numeric_date_order(date_values) or language_order

    def _values(self, index: int) -> list[str]:
        """Return the sample's non-empty values in one column."""
        return [v for row in self._sample if index < len(row) and (v := row[index].strip())]

    def _taken(self) -> set[int]:
        return {index for indexes in self.positions.values() for index in indexes}

    def _first(self, test: Callable[[str], object], *, share: float = 1.0) -> int | None:
        """Return the first column not yet placed whose sample values (a `share` of them) pass `test`."""
        taken = self._taken()
        for index in range(self.width):
            if index in taken or not (values := self._values(index)):
                continue
            if sum(1 for value in values if test(value)) >= share * len(values):
                return index
        return None

    def _complete(self, header: Sequence[str]) -> None:
        """Find by structure what the titles did not say (an unknown language, new titles)."""
        positions = self.positions
        finders: tuple[tuple[Field, Callable[[str], object], float], ...] = (
            (Field.ID, _looks_like_id, 1.0),
            (Field.DATE, _looks_like_date, 0.8),
            (Field.FILENAME, _ACTIVITY_FILE.search, 1.0),
        )
        for field, test, share in finders:
            if field not in positions and (index := self._first(test, share=share)) is not None:
                positions[field] = [index]
        self._complete_from_repeats(header)
        # Id, date, name, type: the order of every export found, from 2019 on.
        if (dates := positions.get(Field.DATE)) is not None:
            for field, offset in ((Field.NAME, 1), (Field.TYPE, 2)):
                index = dates[0] + offset
                if field not in positions and index < self.width and index not in self._taken():
                    positions[field] = [index]

    def _complete_from_repeats(self, header: Sequence[str]) -> None:
        """
        Place the numeric columns by the titles Strava writes twice.

        Every export found writes elapsed time, distance and max heart rate twice: first as adjacent
        summaries after the type, later as raw values within "Elapsed Time, Moving Time, Distance,
        Max Speed, Average Speed, Elevation Gain" and "Max Heart Rate, Average Heart Rate". Nothing
        is placed when the titles already placed disagree with that layout.
        """
        by_title: dict[str, list[int]] = {}
        for index, title in enumerate(header):
            if normalized := normalize_title(title):
                by_title.setdefault(normalized, []).append(index)
        repeated = sorted((i for i in by_title.values() if len(i) > 1), key=lambda i: i[0])
        if len(repeated) < 3:
            return
        elapsed, distance, max_hr = repeated[:3]
        if not distance[0] == elapsed[0] + 1 == max_hr[0] - 1:
            return
        anchors = {Field.ELAPSED: elapsed, Field.DISTANCE: distance, Field.MAX_HR: max_hr}
        if any(self.positions.get(field, indexes) != indexes for field, indexes in anchors.items()):
            return
        self.positions.update(anchors)
        relatives = [(Field.MOVING, elapsed[1] + 1), (Field.AVG_HR, max_hr[1] + 1)]
        if distance[1] == elapsed[1] + 2:
            relatives.append((Field.ELEVATION_GAIN, distance[1] + 3))
        for field, index in relatives:
            if field in self.positions or index >= self.width or index in self._taken():
                continue
            if all(parse_number(value) is not None for value in self._values(index)):
                self.positions[field] = [index]

    def text(self, row: Sequence[str], field: Field) -> str:
        """Return the first non-empty value among the field's columns."""
        for index in self.positions.get(field, ()):
            if index < len(row) and (value := row[index].strip()):
                return value
        return ""

    def _number_at(self, row: Sequence[str], index: int) -> float | None:
        return parse_number(row[index], self.decimals.get(index)) if index < len(row) else None

    def number(self, row: Sequence[str], field: Field) -> float | None:
        """Return a field as a number: the raw column first, else the summary; None when empty."""
        for index in reversed(self.positions.get(field, ())):
            if (value := self._number_at(row, index)) is not None:
                return value
        return None

    def distance_m(self, row: Sequence[str]) -> float | None:
        """Return the distance in metres: a raw column, else the summary one (in km)."""
        if (metres := self.number(row, Field.DISTANCE_M)) is not None:
            return metres
        positions = self.positions.get(Field.DISTANCE, [])
        for index in reversed(positions[1:]):
            if (value := self._number_at(row, index)) is not None:
                return value
        if positions and (km := self._number_at(row, positions[0])) is not None:
            return km * 1000
        return None


def _looks_like_id(text: str) -> bool:
    try:
        _activity_id(text)
    except ValueError:
        return False
    return True


def _looks_like_date(text: str) -> bool:
    try:
        parse_date(text)
    except (ValueError, OverflowError):
        return False
    return True


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
    manual: bool


def _parse_row(columns: _Columns, row: Sequence[str]) -> _Row:
    """Read one row; ValueError when it has no usable id or date."""
    activity_id = _activity_id(columns.text(row, Field.ID))
    date_text = columns.text(row, Field.DATE)
    if not date_text:
        raise ValueError("no activity date")
    activity_type = columns.text(row, Field.TYPE)
    race = _is_race(columns.text(row, Field.WORKOUT_TYPE), columns.text(row, Field.COMPETITION))
    if activity_type.casefold() == "race":
        sport, race = "Run", True
    else:
        sport = sport_type(activity_type) or "Run"
    filename = columns.text(row, Field.FILENAME)
    return _Row(
        id=activity_id,
        start=parse_strava_date(date_text, columns.date_order),
        name=columns.text(row, Field.NAME),
        sport_type=sport,
        race=race,
        distance_m=columns.distance_m(row),
        moving_s=columns.number(row, Field.MOVING),
        elapsed_s=columns.number(row, Field.ELAPSED),
        elevation_gain_m=columns.number(row, Field.ELEVATION_GAIN),
        avg_hr=columns.number(row, Field.AVG_HR),
        max_hr=columns.number(row, Field.MAX_HR),
        filename=filename,
        # The export has a file for every recorded or uploaded activity: none means entered by hand.
        manual=not filename,
    )


def _activity_id(text: str) -> int:
    """Read an activity id; a spreadsheet may have grouped its digits ("10,438,303,769")."""
    compact = re.sub(r"[\s'\u2019]", "", unicodedata.normalize("NFKC", text))
    if not compact:
        raise ValueError("no activity id")
    if re.fullmatch(r"[+-]?\d+", compact):
        value = int(compact)
    elif re.fullmatch(r"\d{1,3}([.,])\d{3}(?:\1\d{3})*|\d+\.0+", compact):
        value = int(re.sub(r"\.0+$", "", compact).replace(",", "").replace(".", ""))
    else:
        hint = " (a spreadsheet rounded it)" if "e" in compact.lower() else ""
        raise ValueError(f"activity id {text.strip()!r} is not a whole number{hint}")
    if value <= 0:
        raise ValueError("activity id must be positive")
    return value


def _is_race(workout_type: str, competition: str) -> bool:
    """Tell a race: Strava's race workout types (1 run, 11 ride), or newer exports' Competition tag."""
    if not (workout_type or competition):
        return False
    if fold(workout_type) == "race":
        return True
    if (number := parse_number(workout_type)) is not None and number in _RACE_WORKOUT_TYPES:
        return True
    flag = parse_number(competition)
    return fold(competition) in {"true", "yes"} or (flag is not None and flag > 0)


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
        manual=row.manual,
        trainer=parsed.trainer if parsed else False,
        race=row.race,
        stream_summary=_stream_summary(parsed),
    )


def parse_strava_date(text: str, order: str | None = None) -> datetime:
    """
    Parse an export date, in any language, as UTC.

    "Nov 3, 2024, 6:12:45 AM", "09.12.2022, 15:24:49", "24 mai 2012 à 16:27:40", "2022年12月9日
    下午3:24:49", ISO 8601... `order` (DMY or MDY) settles all-numeric dates such as "03/11/2024 06:12".
    """
    if order not in (None, DMY, MDY):
        raise ValueError(f"unknown date order {order!r}")
    return parse_date(text, order)
