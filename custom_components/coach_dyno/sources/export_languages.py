# ruff: noqa: RUF001, RUF003 - the month names and words below are in many scripts, on purpose
"""
What Strava's activities.csv looks like in each language: column titles, dates, numbers, types.

Strava writes the bulk export ("Download your data") in the account's language: the column titles,
the activity types, the dates and, in the first (summary) columns, the numbers are localised. This
module knows the languages for which real exports were found in public material (the source is
named next to each table) and, for every other language, understands the parts that follow a
language's conventions rather than Strava's wording: month names, day-month order, 12- and 24-hour
clocks, decimal commas, and the words for running, riding, walking, hiking and swimming. Columns whose
titles are unknown are then found by the export's structure (see export.py).

Pure Python and free of Home Assistant, like the rest of sources/export.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
import math
import re
from typing import Final
import unicodedata


class Field(StrEnum):
    """What a column means, whatever its title says."""

    ID = "id"
    DATE = "date"
    NAME = "name"
    TYPE = "type"
    ELAPSED = "elapsed"
    # Strava writes Distance twice: first in km (m for swims, locale-formatted), later in metres.
    DISTANCE = "distance"
    # The pre-2019 export had a single distance column, in metres.
    DISTANCE_M = "distance_m"
    MOVING = "moving"
    ELEVATION_GAIN = "elevation_gain"
    AVG_HR = "avg_hr"
    MAX_HR = "max_hr"
    FILENAME = "filename"
    WORKOUT_TYPE = "workout_type"
    COMPETITION = "competition"


DMY: Final = "DMY"
MDY: Final = "MDY"
YMD: Final = "YMD"


def fold(text: str) -> str:
    """Lower-case `text` and drop accents, so "Aktivitäts-ID" and "aktivitats-id" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalize_title(title: str) -> str:
    """Fold a column title: accents, case, curly apostrophes, a stray BOM and spacing don't count."""
    text = title.replace("\ufeff", "").replace("\u2019", "'").replace("\u02bc", "'")
    return " ".join(fold(text).split())


# ---------------------------------------------------------------------------------------------------
# Languages with a known export


@dataclass(frozen=True, slots=True, eq=False)
class Language:
    """One language's activities.csv: titles by meaning, number and date conventions, type names."""

    code: str
    decimal: str
    date_order: str
    headers: Mapping[str, Field]
    types: Mapping[str, str]


# English, the reference: Strava's current header (e.g. the 103-column header quoted in
# martin-ueding/geo-activity-playground issue #403 and this project's demo) and Strava's display names
# for the types, mapped to the API's sport_type where joining the words is not enough.
_ENGLISH = Language(
    code="en",
    decimal=".",
    date_order=MDY,
    headers={
        "Activity ID": Field.ID,
        "Activity Date": Field.DATE,
        "Activity Name": Field.NAME,
        "Activity Type": Field.TYPE,
        "Elapsed Time": Field.ELAPSED,
        "Distance": Field.DISTANCE,
        "Max Heart Rate": Field.MAX_HR,
        "Filename": Field.FILENAME,
        "Moving Time": Field.MOVING,
        "Elevation Gain": Field.ELEVATION_GAIN,
        "Average Heart Rate": Field.AVG_HR,
        "Workout Type": Field.WORKOUT_TYPE,
        "Competition": Field.COMPETITION,
    },
    types={
        "Rock Climb": "RockClimbing",
        "Canoe": "Canoeing",
        "HIIT": "HighIntensityIntervalTraining",
    },
)

# The export before mid-2019 (hugovk/strava-tools pull requests #1 and #2): snake_case titles,
# ISO dates and the distance in metres. Recognised only by its exact, case-sensitive titles.
_ENGLISH_2019: Final[Mapping[str, Field]] = {
    "id": Field.ID,
    "date": Field.DATE,
    "name": Field.NAME,
    "type": Field.TYPE,
    "elapsed_time": Field.ELAPSED,
    "distance": Field.DISTANCE_M,
    "filename": Field.FILENAME,
}

# German: the full header in martin-ueding/geo-activity-playground
# (src/geo_activity_playground/features/strava/strava-csv-mapping.json, issues #86, #191, #348, #393);
# dates "09.12.2022, 15:24:49" and the km column "9,44" in issue #86; type names as mapped in
# benniblau/activity-manager (scripts/import_archive.py).
_GERMAN = Language(
    code="de",
    decimal=",",
    date_order=DMY,
    headers={
        "Aktivitäts-ID": Field.ID,
        "Aktivitätsdatum": Field.DATE,
        "Name der Aktivität": Field.NAME,
        "Aktivitätsart": Field.TYPE,
        "Verstrichene Zeit": Field.ELAPSED,
        "Distanz": Field.DISTANCE,
        "Max. Herzfrequenz": Field.MAX_HR,
        "Dateiname": Field.FILENAME,
        "Bewegungszeit": Field.MOVING,
        "Höhenzunahme": Field.ELEVATION_GAIN,
        "Durchschnittliche Herzfrequenz": Field.AVG_HR,
        "Wettbewerb": Field.COMPETITION,
    },
    types={
        "Lauf": "Run",
        "Traillauf": "TrailRun",
        "Virtueller Lauf": "VirtualRun",
        "Radfahrt": "Ride",
        "Virtuelle Radfahrt": "VirtualRide",
        "Mountainbikefahrt": "MountainBikeRide",
        "Gravelfahrt": "GravelRide",
        "E-Bike-Fahrt": "EBikeRide",
        "Spaziergang": "Walk",
        "Wandern": "Hike",
        "Schwimmen": "Swim",
        "Gewichtstraining": "WeightTraining",
        "Training": "Workout",
        "Ski Alpin": "AlpineSki",
        "Skitouren": "BackcountrySki",
        "Snowboarden": "Snowboard",
        "Rudern": "Rowing",
        "Kanufahrt": "Canoeing",
        "Kajakfahren": "Kayaking",
        "Eislaufen": "IceSkate",
        "Langlauf": "NordicSki",
        "Schneeschuhwanderung": "Snowshoe",
        "Ellipsentrainer": "Elliptical",
        "Klettern": "RockClimbing",
        "Inlineskaten": "InlineSkate",
        "Fußball": "Soccer",
        "Surfen": "Surfing",
        "Windsurfen": "Windsurf",
        "Kitesurfen": "Kitesurf",
        "Segeln": "Sail",
    },
)

# French: the header as christianbiango/MirrorPace reads it (src/ingestion/csv_enricher.py and its
# tests: type at column 3, file at 12, elevation gain at 20) and monsieurm/strava-recap-2025
# (src/utils/dataParser.ts), which shows the date "4 juin 2020, 11:13:16"; older exports join date
# and time with " à ". Types from MirrorPace's map ("Course à pied", "Vélo", "Natation", "Randonnée",
# "Marche", "Ski de fond", "Ski alpin"); a public script charting a French export reads "Durée de
# déplacement" and "Fréquence cardiaque moyenne", writes km with a decimal comma, and files "Trail"
# with the runs.
_FRENCH = Language(
    code="fr",
    decimal=",",
    date_order=DMY,
    headers={
        "ID de l'activité": Field.ID,
        "Date de l'activité": Field.DATE,
        "Nom de l'activité": Field.NAME,
        "Type d'activité": Field.TYPE,
        "Temps écoulé": Field.ELAPSED,
        "Distance": Field.DISTANCE,
        "Fréquence cardiaque max.": Field.MAX_HR,
        "Nom du fichier": Field.FILENAME,
        "Durée de déplacement": Field.MOVING,
        "Dénivelé positif": Field.ELEVATION_GAIN,
        "Fréquence cardiaque moyenne": Field.AVG_HR,
    },
    types={
        "Course à pied": "Run",
        "Trail": "TrailRun",
        "Vélo": "Ride",
        "Natation": "Swim",
        "Marche": "Walk",
        "Randonnée": "Hike",
        "Ski de fond": "NordicSki",
        "Ski alpin": "AlpineSki",
    },
)

# Dutch: titles with their positions in msoud7/strava (data_cleaning.R: "Verstreken tijd...16",
# "Afstand...18", "Max. hartslag...31", dates read day first); "Bestandsnaam", the type
# "Hardloopsessie" and the date "9 mei 2026, 00:03:01" from public scripts written against Dutch
# exports, which also name "Fietsrit", "Virtuele fietsrit", "Wandelen" and "Zwemmen".
_DUTCH = Language(
    code="nl",
    decimal=",",
    date_order=DMY,
    headers={
        "Activiteits-ID": Field.ID,
        "Datum van activiteit": Field.DATE,
        "Naam activiteit": Field.NAME,
        "Activiteitstype": Field.TYPE,
        "Verstreken tijd": Field.ELAPSED,
        "Afstand": Field.DISTANCE,
        "Max. hartslag": Field.MAX_HR,
        "Bestandsnaam": Field.FILENAME,
        "Beweegtijd": Field.MOVING,
        "Totale stijging": Field.ELEVATION_GAIN,
        "Gemiddelde hartslag": Field.AVG_HR,
    },
    types={
        "Hardloopsessie": "Run",
        "Fietsrit": "Ride",
        "Virtuele fietsrit": "VirtualRide",
        "Wandelen": "Walk",
        "Wandeling": "Walk",
        "Zwemmen": "Swim",
        "Training": "Workout",
    },
)

# Spanish: NachoMartinezLozano/running-coach (src/running_coach/importers/strava_csv.py and
# scripts/explore_export.py, written against a real Spanish export): titles, "4,03" in the km column,
# types "Carrera", "Bicicleta", "Entrenamiento con pesas". Its heart-rate titles were not found: those
# columns are placed by the export's structure.
_SPANISH = Language(
    code="es",
    decimal=",",
    date_order=DMY,
    headers={
        "ID de actividad": Field.ID,
        "Fecha de la actividad": Field.DATE,
        "Nombre de la actividad": Field.NAME,
        "Tipo de actividad": Field.TYPE,
        "Tiempo transcurrido": Field.ELAPSED,
        "Distancia": Field.DISTANCE,
        "Nombre del archivo": Field.FILENAME,
        "Tiempo en movimiento": Field.MOVING,
        "Desnivel positivo": Field.ELEVATION_GAIN,
    },
    types={
        "Carrera": "Run",
        "Bicicleta": "Ride",
        "Caminata": "Walk",
        "Senderismo": "Hike",
        "Entrenamiento con pesas": "WeightTraining",
        "Entrenamiento": "Workout",
    },
)

LANGUAGES: Final[tuple[Language, ...]] = (_ENGLISH, _GERMAN, _FRENCH, _DUTCH, _SPANISH)

_TITLES: Final[dict[str, Field]] = {
    normalize_title(title): field
    for language in LANGUAGES
    for title, field in language.headers.items()
}
_LANGUAGE_TITLES: Final[dict[str, frozenset[str]]] = {
    language.code: frozenset(normalize_title(title) for title in language.headers)
    for language in LANGUAGES
}


def map_header(header: Sequence[str]) -> tuple[dict[Field, list[int]], Language | None]:
    """Return each known column's positions by meaning, and the language the titles are in."""
    if "elapsed_time" in (title.strip() for title in header):
        positions: dict[Field, list[int]] = {}
        for index, title in enumerate(header):
            if (field := _ENGLISH_2019.get(title.strip())) is not None:
                positions.setdefault(field, []).append(index)
        return positions, _ENGLISH
    positions = {}
    for index, title in enumerate(header):
        if (field := _TITLES.get(normalize_title(title))) is not None:
            positions.setdefault(field, []).append(index)
    titles = [normalize_title(title) for title in header]
    scores = [
        (sum(title in _LANGUAGE_TITLES[language.code] for title in titles), language)
        for language in LANGUAGES
    ]
    best_score, best = max(scores, key=lambda pair: pair[0])
    return positions, best if best_score >= 2 else None


# ---------------------------------------------------------------------------------------------------
# Dates
#
# Every export found writes the date in its language's medium date-and-time format (CLDR):
# "Nov 3, 2024, 6:12:45 AM", "09.12.2022, 15:24:49", "4 juin 2020, 11:13:16", "9 mei 2026, 00:03:01".
# Other languages' medium formats differ in the same few ways, all handled here: month names or
# numbers, the order of day, month and year, the words between date and time ("à", "um", "klo", "г.",
# "年"...), a 12-hour clock with the language's own AM/PM words, "." as the time separator.

# Month names and abbreviations (nominative and genitive) by language: twelve groups of forms.
_MONTH_NAMES: Final[dict[str, str]] = {
    "en": (
        "january|jan february|feb march|mar april|apr may june|jun july|jul august|aug "
        "september|sep|sept october|oct november|nov december|dec"
    ),
    "de": (
        "januar|jan|jänner|jän februar|feb märz|mär april|apr mai juni|jun juli|jul august|aug "
        "september|sep|sept oktober|okt november|nov dezember|dez"
    ),
    "fr": (
        "janvier|janv février|févr|fév mars avril|avr mai juin juillet|juil août "
        "septembre|sept octobre|oct novembre|nov décembre|déc"
    ),
    "es": (
        "enero|ene febrero|feb marzo|mar abril|abr mayo|may junio|jun julio|jul agosto|ago "
        "septiembre|setiembre|sep|sept|set octubre|oct noviembre|nov diciembre|dic"
    ),
    "it": (
        "gennaio|gen febbraio|feb marzo|mar aprile|apr maggio|mag giugno|giu luglio|lug agosto|ago "
        "settembre|set ottobre|ott novembre|nov dicembre|dic"
    ),
    "nl": (
        "januari|jan februari|feb maart|mrt april|apr mei juni|jun juli|jul augustus|aug "
        "september|sep|sept oktober|okt november|nov december|dec"
    ),
    "pt": (
        "janeiro|jan fevereiro|fev março|mar abril|abr maio|mai junho|jun julho|jul agosto|ago "
        "setembro|set outubro|out novembro|nov dezembro|dez"
    ),
    "ca": (
        "gener|gen febrer|febr març|mar abril|abr maig juny juliol|jul agost|ag "
        "setembre|set octubre|oct novembre|nov desembre|des"
    ),
    "ru": (
        "январь|января|янв февраль|февраля|февр|фев март|марта|мар апрель|апреля|апр май|мая "
        "июнь|июня|июн июль|июля|июл август|августа|авг сентябрь|сентября|сент|сен "
        "октябрь|октября|окт ноябрь|ноября|нояб|ноя декабрь|декабря|дек"
    ),
    "uk": (
        "січень|січня|січ лютий|лютого|лют березень|березня|бер квітень|квітня|квіт "
        "травень|травня|трав червень|червня|черв липень|липня|лип серпень|серпня|серп "
        "вересень|вересня|вер жовтень|жовтня|жовт листопад|листопада|лист грудень|грудня|груд"
    ),
    "pl": (
        "styczeń|stycznia|sty luty|lutego|lut marzec|marca|mar kwiecień|kwietnia|kwi maj|maja "
        "czerwiec|czerwca|cze lipiec|lipca|lip sierpień|sierpnia|sie wrzesień|września|wrz "
        "październik|października|paź listopad|listopada|lis grudzień|grudnia|gru"
    ),
    "cs": (
        "leden|ledna|led únor|února|úno březen|března|bře duben|dubna|dub květen|května|kvě "
        "červen|června|čvn červenec|července|čvc srpen|srpna|srp září|zář říjen|října|říj "
        "listopad|listopadu|lis prosinec|prosince|pro"
    ),
    "sv": (
        "januari|jan februari|feb mars|mar april|apr maj juni|jun juli|jul augusti|aug "
        "september|sep|sept oktober|okt november|nov december|dec"
    ),
    "da": (
        "januar|jan februar|feb marts|mar april|apr maj juni|jun juli|jul august|aug "
        "september|sep oktober|okt november|nov december|dec"
    ),
    "nb": (
        "januar|jan februar|feb mars|mar april|apr mai juni|jun juli|jul august|aug "
        "september|sep oktober|okt november|nov desember|des"
    ),
    "fi": (
        "tammikuu|tammikuuta|tammik helmikuu|helmikuuta|helmik maaliskuu|maaliskuuta|maalisk "
        "huhtikuu|huhtikuuta|huhtik toukokuu|toukokuuta|toukok kesäkuu|kesäkuuta|kesäk "
        "heinäkuu|heinäkuuta|heinäk elokuu|elokuuta|elok syyskuu|syyskuuta|syysk "
        "lokakuu|lokakuuta|lokak marraskuu|marraskuuta|marrask joulukuu|joulukuuta|jouluk"
    ),
    "tr": (
        "ocak|oca şubat|şub mart|mar nisan|nis mayıs|may haziran|haz temmuz|tem ağustos|ağu "
        "eylül|eyl ekim|eki kasım|kas aralık|ara"
    ),
    "id": (
        "januari|jan februari|feb maret|mar april|apr mei juni|jun juli|jul agustus|agu|agt "
        "september|sep oktober|okt november|nov desember|des"
    ),
    "ro": (
        "ianuarie|ian februarie|feb martie|mar aprilie|apr mai iunie|iun iulie|iul august|aug "
        "septembrie|sept|sep octombrie|oct noiembrie|nov decembrie|dec"
    ),
    "hu": (
        "január|jan február|febr március|márc április|ápr május|máj június|jún július|júl "
        "augusztus|aug szeptember|szept október|okt november|nov december|dec"
    ),
    "el": (
        "ιανουάριος|ιανουαρίου|ιαν φεβρουάριος|φεβρουαρίου|φεβ μάρτιος|μαρτίου|μαρ "
        "απρίλιος|απριλίου|απρ μάιος|μαΐου|μαΐ ιούνιος|ιουνίου|ιουν ιούλιος|ιουλίου|ιουλ "
        "αύγουστος|αυγούστου|αυγ σεπτέμβριος|σεπτεμβρίου|σεπ|σεπτ οκτώβριος|οκτωβρίου|οκτ "
        "νοέμβριος|νοεμβρίου|νοε δεκέμβριος|δεκεμβρίου|δεκ"
    ),
}
# Japanese, Chinese and Korean, Vietnamese, Finnish, Czech and Portuguese (Portugal) write the
# month as a number in their medium format ("2022年12月9日", "9 thg 12, 2022", "9. 12. 2022").


def month_table(names: Mapping[str, str]) -> dict[str, int]:
    """Index month names and their unambiguous prefixes: {name: month number}."""
    exact: dict[str, int] = {}
    prefixes: dict[str, set[int]] = {}
    for code, language in names.items():
        groups = language.split()
        if len(groups) != 12:
            raise RuntimeError(f"{code}: 12 months expected, got {len(groups)}")
        for month, group in enumerate(groups, 1):
            for form in group.split("|"):
                name = fold(form)
                if exact.setdefault(name, month) != month:
                    raise RuntimeError(f"{form!r} names two months")
                for end in range(3, len(name) + 1):
                    prefixes.setdefault(name[:end], set()).add(month)
    # An unambiguous prefix of a name ("sept", "févr", "dec.") is the month; an exact form wins
    # over prefixes ("mar" is March, not the start of the Finnish November "marraskuu").
    table = {prefix: next(iter(months)) for prefix, months in prefixes.items() if len(months) == 1}
    table.update(exact)
    return table


_MONTHS: Final = month_table(_MONTH_NAMES)

# Words for the morning and the afternoon next to a 12-hour time, folded, without dots or spaces.
_AM: Final = frozenset(
    fold(word)
    for word in (
        "am",  # English, Korean (newer CLDR), Spanish "a. m.", "a.m."
        "午前",  # Japanese
        "上午",  # Chinese
        "凌晨",
        "清晨",
        "早上",
        "半夜",
        "오전",  # Korean
        "πμ",  # Greek "π.μ."
        "sa",  # Vietnamese
        "öö",  # Turkish
        "de",  # Hungarian "de."
        "dop",  # Czech "dop."
        "fm",  # Swedish, Norwegian, Danish "fm."
        "ap",  # Finnish "ap."
        "vorm",  # German "vorm."
    )
)
_PM: Final = frozenset(
    fold(word)
    for word in (
        "pm",
        "午後",
        "下午",
        "中午",
        "晚上",
        "傍晚",
        "오후",
        "μμ",
        "ch",
        "ös",
        "du",
        "odp",
        "em",
        "ip",
        "nachm",
    )
)
_CJK_MARKERS: Final = frozenset(m for m in _AM | _PM if not m.isascii() and m.isalpha())

# A time of day, "6:12:45", "15.24.49" or "6:12"; never a piece of "09.12.2022".
_TIME: Final = re.compile(r"(?<![\d.:])(\d{1,2})([:.])(\d{2})(?:\2(\d{2}))?(?![\d]|[.:]\d)")
_ISO_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}(?:$|[T ])")
_TOKEN: Final = re.compile(r"\d+|[^\W\d_]+")
_DOTS_AND_SPACES: Final = re.compile(r"[\s.]")


def parse_date(text: str, order: str | None = None) -> datetime:
    """
    Parse an export date in any language as UTC; ValueError when it is not a date.

    `order` is the column's order of day and month for all-numeric dates (DMY or MDY); without it a
    month over 12 in first place decides, else day first.
    """
    normalized = unicodedata.normalize("NFKC", text).strip()
    if _ISO_DATE.match(normalized):
        moment = datetime.fromisoformat(normalized)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    hour = minute = second = 0
    date_part = normalized
    times = list(_TIME.finditer(normalized))
    if times:
        found = times[-1]
        hour, minute = int(found.group(1)), int(found.group(3))
        second = int(found.group(4) or 0)
        before, after = normalized[: found.start()], normalized[found.end() :]
        hour = _apply_meridiem(hour, before, after)
        date_part = before + " " + after
    year, month, day = _parse_day(date_part, order)
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def _apply_meridiem(hour: int, before: str, after: str) -> int:
    """Turn a 12-hour clock hour into 0-23 when an AM/PM word stands right next to the time."""
    # The words stand within a few characters of the time ("PM", "p. m.", "下午", "μ.μ.").
    before, after = before[-12:], after[:12]
    if not any(char.isalpha() for char in before + after):
        return hour
    tail = _DOTS_AND_SPACES.sub("", fold(after))
    head = _DOTS_AND_SPACES.sub("", fold(before))
    pm: bool | None = None
    for markers, is_pm in ((_AM, False), (_PM, True)):
        for marker in markers:
            if tail.startswith(marker) and not tail[len(marker) : len(marker) + 1].isalpha():
                pm = is_pm
            elif head.endswith(marker):
                rest = head[: -len(marker)]
                if marker in _CJK_MARKERS or not rest[-1:].isalpha():
                    pm = is_pm
    if pm is None:
        return hour
    if not 0 <= hour <= 12:
        raise ValueError(f"bad 12-hour clock hour {hour}")
    return hour % 12 + (12 if pm else 0)


def _parse_day(text: str, order: str | None) -> tuple[int, int, int]:
    """Return (year, month, day) from the date part: a month name and two numbers, or three numbers."""
    tokens = _TOKEN.findall(fold(text))
    numbers = [token for token in tokens if token.isdigit()]
    months = {_MONTHS[token] for token in tokens if not token.isdigit() and token in _MONTHS}
    if len(months) > 1:
        raise ValueError(f"two months in {text.strip()!r}")
    if months:
        if len(numbers) != 2:
            raise ValueError(f"no day and year in {text.strip()!r}")
        years = [n for n in numbers if len(n) == 4]
        if len(years) != 1:
            raise ValueError(f"no year in {text.strip()!r}")
        day = numbers[1] if len(numbers[0]) == 4 else numbers[0]
        return int(years[0]), months.pop(), int(day)
    if len(numbers) != 3:
        words = [token for token in tokens if not token.isdigit() and len(token) >= 3]
        if words:
            raise ValueError(f"unknown month {words[0]!r}")
        raise ValueError(f"not a date: {text.strip()!r}")
    first, second, third = numbers
    if len(first) == 4:
        return int(first), int(second), int(third)
    year = int(third) if len(third) == 4 else _two_digit_year(third)
    resolved = order or (MDY if int(second) > 12 >= int(first) else DMY)
    if resolved == MDY:
        return year, int(first), int(second)
    return year, int(second), int(first)


def _two_digit_year(text: str) -> int:
    if len(text) != 2:
        raise ValueError(f"bad year {text!r}")
    return 2000 + int(text)


def numeric_date_order(values: Iterable[str]) -> str | None:
    """Tell DMY from MDY in a column of all-numeric dates ("03/11/2024 06:12"); None if it can't."""
    votes: set[str] = set()
    for value in values:
        normalized = unicodedata.normalize("NFKC", value)
        if _ISO_DATE.match(normalized.strip()):
            continue
        date_part = _TIME.sub(" ", normalized)
        tokens = _TOKEN.findall(fold(date_part))
        if any(not token.isdigit() and token in _MONTHS for token in tokens):
            continue
        numbers = [int(token) for token in tokens if token.isdigit()]
        if len(numbers) != 3 or numbers[0] > 31:
            continue
        if numbers[0] > 12 >= numbers[1]:
            votes.add(DMY)
        elif numbers[1] > 12 >= numbers[0]:
            votes.add(MDY)
    return votes.pop() if len(votes) == 1 else None


# ---------------------------------------------------------------------------------------------------
# Numbers


_NUMBER: Final = re.compile(r"([+-]?)(\d[\d.,]*|[.,]\d+)")
_PLAIN: Final = re.compile(r"[+-]?\d+(?:\.\d+)?")
_SPACING: Final = re.compile(r"[\s'\u2019_]")


def parse_number(text: str, decimal: str | None = None) -> float | None:
    """
    Parse a number written with either decimal separator and optional thousands separators.

    `decimal` is the column's decimal separator when known: then the other one groups thousands
    ("1.234,5" / "1,234.5" / "1 234,5"); a lone separator that cannot group thousands ("9,44") is
    decimal whatever `decimal` says. Unknown (None), a lone separator is decimal. None when empty or
    not a number.
    """
    stripped = text.strip()
    if _PLAIN.fullmatch(stripped) and (decimal != "," or "." not in stripped):
        return _plain_float(stripped)  # the raw columns: no separator in doubt
    compact = _SPACING.sub("", unicodedata.normalize("NFKC", stripped)).replace("\u2212", "-")
    if not compact:
        return None
    match = _NUMBER.fullmatch(compact)
    if match is None:
        return _plain_float(compact)
    sign, body = match.groups()
    digits = _decimal_digits(body, decimal)
    if digits is None:
        return None
    return _plain_float(sign + digits)


def _decimal_digits(body: str, decimal: str | None) -> str | None:
    """Rewrite `body` with "." as its only separator, or None when its separators make no sense."""
    if "," in body and "." in body:
        point = "," if body.rfind(",") > body.rfind(".") else "."
        grouping = "." if point == "," else ","
        whole, _, fraction = body.rpartition(point)
        if point in whole or not _grouped(whole.split(grouping)):
            return None
        return whole.replace(grouping, "") + "." + fraction
    separator = "," if "," in body else "." if "." in body else None
    if separator is None:
        return body
    parts = body.split(separator)
    if len(parts) > 2:
        return "".join(parts) if _grouped(parts) else None
    thousands = decimal is not None and separator != decimal and _grouped(parts)
    return "".join(parts) if thousands else parts[0] + "." + parts[1]


def _grouped(parts: Sequence[str]) -> bool:
    """Whether parts split at a thousands separator look like "1", "234", "567"."""
    return 1 <= len(parts[0]) <= 3 and all(len(part) == 3 for part in parts[1:])


def _plain_float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def infer_decimal(values: Iterable[str]) -> str | None:
    """Return the decimal separator a column's values show ("9,44": ","), None if none or both."""
    votes: set[str] = set()
    for value in values:
        compact = re.sub(r"[\s'\u2019_]", "", value)
        if not re.fullmatch(r"[+-]?[\d.,]*\d", compact):
            continue
        if "," in compact and "." in compact:
            votes.add("," if compact.rfind(",") > compact.rfind(".") else ".")
        elif compact.count(",") == 1 and not re.search(r",\d{3}$", compact):
            votes.add(",")
        elif compact.count(".") == 1 and not re.search(r"\.\d{3}$", compact):
            votes.add(".")
    return votes.pop() if len(votes) == 1 else None


# ---------------------------------------------------------------------------------------------------
# Activity types

# Strava's sport_type values; an English display name joined without spaces or hyphens is one.
SPORT_TYPES: Final = frozenset(
    {
        "AlpineSki",
        "BackcountrySki",
        "Badminton",
        "Canoeing",
        "Crossfit",
        "EBikeRide",
        "Elliptical",
        "EMountainBikeRide",
        "Golf",
        "GravelRide",
        "Handcycle",
        "HighIntensityIntervalTraining",
        "Hike",
        "IceSkate",
        "InlineSkate",
        "Kayaking",
        "Kitesurf",
        "MountainBikeRide",
        "NordicSki",
        "Pickleball",
        "Pilates",
        "Racquetball",
        "Ride",
        "RockClimbing",
        "RollerSki",
        "Rowing",
        "Run",
        "Sail",
        "Skateboard",
        "Snowboard",
        "Snowshoe",
        "Soccer",
        "Squash",
        "StairStepper",
        "StandUpPaddling",
        "Surfing",
        "Swim",
        "TableTennis",
        "Tennis",
        "TrailRun",
        "Velomobile",
        "VirtualRide",
        "VirtualRow",
        "VirtualRun",
        "Walk",
        "WeightTraining",
        "Wheelchair",
        "Windsurf",
        "Workout",
        "Yoga",
    }
)

_EXACT_TYPES: Final[dict[str, str]] = {
    **{fold(name): name for name in SPORT_TYPES},
    **{
        " ".join(fold(local).split()): sport
        for language in LANGUAGES
        for local, sport in language.types.items()
    },
}


def _stems(*stems: str) -> re.Pattern[str]:
    """
    Compile word stems written naturally; "<" and ">" mark a word boundary.

    Stems are folded like the text they are matched against, so "Vélo" and "velo" are the same.
    """
    parts = []
    for stem in stems:
        start, end = stem.startswith("<"), stem.endswith(">")
        core = re.escape(fold(stem.strip("<>")))
        parts.append(("\\b" if start else "") + core + ("\\b" if end else ""))
    return re.compile("|".join(parts))


# The words for running in every language Strava offers (any form containing them). Compounds in
# German, Dutch and the Nordic languages need plain substrings ("Traillauf", "Polkujuoksu").
_RUN: Final = _stems(
    "<run>",
    "<runs>",
    "<running>",
    "<jog",
    "lauf",
    "course à pied",
    "carrera",
    "<correr>",
    "<corsa",
    "corrida",
    "<cursa",
    "hardloop",
    "hardlopen",
    "<бег",
    "раннинг",
    "пробежк",
    "<біг",
    "ランニング",
    "ラン",
    "跑",
    "달리기",
    "러닝",
    "런닝",
    "<bieg",
    "löpning",
    "løb",
    "løp",
    "juoks",
    "<běh",
    "koşu",
    "<lari>",
    "<chạy",
    "τρέξ",
    "τρεχ",
    "futás",
    "alerg",
)
# Skiing and skating share the running words in several languages ("Langlauf", "Skiløb", "Беговые
# лыжи", "Bieg narciarski", "Eislaufen", "Skøjteløb").
_NOT_RUN: Final = _stems(
    "ski",
    "langlauf",
    "eislauf",
    "rollschuh",
    "лыж",
    "лиж",
    "narciar",
    "lyž",
    "hiihto",
    "skøjte",
    "skøyte",
    "skridsko",
    "skate",
    "schaats",
    "patin",
    "pattin",
    "ролик",
    "snow",
)
_TRAIL: Final = _stems(
    "trail",
    "трейл",
    "트레일",
    "トレイル",
    "越野",
    "trilha",
    "montaña",
    "sendero",
    "maasto",
    "polku",
    "teren",
    "arazi",
    "terep",
    "patika",
    "terreng",
    "terräng",
    "lintas alam",
)
_VIRTUAL: Final = _stems(
    "virtu",
    "wirtu",
    "виртуал",
    "віртуал",
    "バーチャル",
    "虚拟",
    "虛擬",
    "가상",
    "<sanal",
    "<ảo>",
    "εικονικ",
)
_RIDE: Final = _stems(
    "<ride>",
    "<rides>",
    "<riding",
    "bike",
    "cycl",
    "<velo",
    "<vtt>",
    "radfahr",
    "<rad>",
    "radtour",
    "rennrad",
    "fahrrad",
    "bici",
    "cicl",
    "fiets",
    "вело",
    "自転車",
    "サイクリング",
    "骑行",
    "騎行",
    "單車",
    "单车",
    "자전거",
    "라이딩",
    "<rower",
    "kolarst",
    "cykl",
    "cykel",
    "sykkel",
    "sykl",
    "pyöräil",
    "<kole>",
    "<kolo",
    "bisiklet",
    "sepeda",
    "đạp xe",
    "ποδηλα",
    "kerékpár",
)
_MOUNTAIN: Final = _stems(
    "mountain", "<mtb", "<vtt>", "горн", "マウンテン", "山地", "산악", "górsk", "horsk"
)
_GRAVEL: Final = _stems("gravel", "гравел", "グラベル")
_EBIKE: Final = _stems(
    "e-bike", "ebike", "<e-mountain", "<e-mtb", "e-fiets", "elektr", "電動", "电动", "<vae>"
)
_HIKE: Final = _stems(
    "<hike",
    "<hiking",
    "wander",
    "randonn",
    "senderis",
    "escursion",
    "trekking",
    "поход",
    "хайкинг",
    "ハイキング",
    "徒步",
    "远足",
    "健行",
    "등산",
    "하이킹",
    "wędrówk",
    "vandring",
    "vandretur",
    "fottur",
    "vaellus",
    "turistik",
    "doğa yürüyüş",
    "pendakian",
    "mendaki",
    "leo núi",
    "πεζοπορ",
    "túráz",
    "drumeț",
    "excursionis",
)
_WALK: Final = _stems(
    "<walk",
    "spazier",
    "<gehen>",
    "<marche>",
    "caminata",
    "camminata",
    "caminhada",
    "caminada",
    "wandel",
    "ходьб",
    "прогулк",
    "ウォーキング",
    "ウォーク",
    "步行",
    "散步",
    "健走",
    "걷기",
    "워킹",
    "spacer",
    "chodz",
    "chůze",
    "promenad",
    "gåtur",
    "kävely",
    "yürüyüş",
    "jalan kaki",
    "đi bộ",
    "περπάτ",
    "séta",
    "plimbare",
)
_SWIM: Final = _stems(
    "<swim",
    "schwimm",
    "natation",
    "natación",
    "nuoto",
    "natação",
    "natació",
    "zwem",
    "плав",
    "スイム",
    "水泳",
    "游泳",
    "수영",
    "pływ",
    "simning",
    "svømning",
    "svømming",
    "uinti",
    "plavání",
    "yüzme",
    "renang",
    "<bơi",
    "κολύμβ",
    "úszás",
    "<înot",
)


@lru_cache(maxsize=512)
def sport_type(text: str) -> str:
    """
    Map an activity type as the export writes it, in any language, to Strava's sport_type.

    Known names map exactly; other names are recognised by the words for running, riding, hiking,
    walking and swimming (with "trail" and "virtual" for running, so TrailRun and VirtualRun count as
    running in every language); anything else stays readable: English names joined like Strava's
    sport types ("Weight Training" -> "WeightTraining"), other names as written.
    """
    spaced = " ".join(text.split())
    key = fold(spaced)
    if (exact := _EXACT_TYPES.get(key)) is not None:
        return exact
    if (joined := _EXACT_TYPES.get(re.sub(r"[\s\-]", "", key))) is not None:
        return joined
    if _RUN.search(key) and not _NOT_RUN.search(key):
        if _VIRTUAL.search(key):
            return "VirtualRun"
        return "TrailRun" if _TRAIL.search(key) else "Run"
    if _RIDE.search(key):
        if _VIRTUAL.search(key):
            return "VirtualRide"
        if _EBIKE.search(key):
            return "EMountainBikeRide" if _MOUNTAIN.search(key) else "EBikeRide"
        if _MOUNTAIN.search(key):
            return "MountainBikeRide"
        return "GravelRide" if _GRAVEL.search(key) else "Ride"
    if _HIKE.search(key):
        return "Hike"
    if _WALK.search(key):
        return "Walk"
    if _SWIM.search(key):
        return "Swim"
    # Strava's English names are capitalised word by word, like the sport types they join into.
    if re.fullmatch(r"[A-Z0-9][A-Za-z0-9]*(?:[ \-][A-Z0-9][A-Za-z0-9]*)*", spaced):
        return re.sub(r"[\s\-]", "", spaced)
    return spaced
