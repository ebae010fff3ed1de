# ruff: noqa: RUF001 - dates and activity types in many scripts, on purpose
"""
Strava exports in other languages, encodings and spreadsheet re-saves.

The headers and rows follow public evidence of real exports (cited per language in
export_languages.py): header titles and their order as Strava writes them, quoted dates with commas,
the summary distance in km written the local way and the raw values later in the row. Where no real
header of a language was found, the rows keep Strava's layout with placeholder titles and the
language's medium date format (CLDR, as every export found uses), to show the structural fallback.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
import csv
from datetime import UTC, datetime
import io
from pathlib import Path

import pytest

from custom_components.coach_dyno.sources.export import (
    ExportPathError,
    SkippedRow,
    decode_csv,
    parse_strava_date,
    read_export,
)
from custom_components.coach_dyno.sources.export_languages import (
    month_table,
    parse_number,
    sport_type,
)
from custom_components.coach_dyno.training.activity import Activity
from tests.sources.test_export import gpx_bytes, gz

START = datetime(2024, 11, 3, 6, 12, 45, tzinfo=UTC)

# The current English header (103 columns), as quoted in public bug reports.
HEADER_EN_LINE = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,"
    "Distance,Max Heart Rate,Relative Effort,Commute,Activity Private Note,Activity Gear,Filename,"
    "Athlete Weight,Bike Weight,Elapsed Time,Moving Time,Distance,Max Speed,Average Speed,"
    "Elevation Gain,Elevation Loss,Elevation Low,Elevation High,Max Grade,Average Grade,"
    "Average Positive Grade,Average Negative Grade,Max Cadence,Average Cadence,Max Heart Rate,"
    "Average Heart Rate,Max Watts,Average Watts,Calories,Max Temperature,Average Temperature,"
    "Relative Effort,Total Work,Number of Runs,Uphill Time,Downhill Time,Other Time,"
    "Perceived Exertion,Type,Start Time,Weighted Average Power,Power Count,"
    "Prefer Perceived Exertion,Perceived Relative Effort,Commute,Total Weight Lifted,From Upload,"
    "Grade Adjusted Distance,Weather Observation Time,Weather Condition,Weather Temperature,"
    "Apparent Temperature,Dewpoint,Humidity,Weather Pressure,Wind Speed,Wind Gust,Wind Bearing,"
    "Precipitation Intensity,Sunrise Time,Sunset Time,Moon Phase,Bike,Gear,"
    "Precipitation Probability,Precipitation Type,Cloud Cover,Weather Visibility,UV Index,"
    "Weather Ozone,Jump Count,Total Grit,Average Flow,Flagged,Average Elapsed Speed,Dirt Distance,"
    "Newly Explored Distance,Newly Explored Dirt Distance,Activity Count,Total Steps,Carbon Saved,"
    "Pool Length,Training Load,Intensity,Average Grade Adjusted Pace,Timer Time,Total Cycles,"
    "Recovery,With Pet,Competition,Long Run,For a Cause,With Kid,Downhill Distance,Total Sets,"
    "Total Reps,Media"
)
HEADER_EN = next(csv.reader([HEADER_EN_LINE]))

# The German header (92 columns) quoted in martin-ueding/geo-activity-playground issues #86 and #191.
HEADER_DE_LINE = (
    "Aktivitäts-ID,Aktivitätsdatum,Name der Aktivität,Aktivitätsart,Aktivitätsbeschreibung,"
    "Verstrichene Zeit,Distanz,Max. Herzfrequenz,Relative Leistung,Pendeln,"
    "Hinweis zur Privatsphäre für Aktivitäten,Aktivitätsausrüstung,Dateiname,Sportlergewicht,"
    "Fahrradgewicht,Verstrichene Zeit,Bewegungszeit,Distanz,Höchstgeschw.,"
    "Durchschnittliche Geschwindigkeit,Höhenzunahme,Höhenunterschied,Min. Höhe,Max. Höhe,"
    "Max. Steigung,Durchschnittliche Steigung,Durchschnittliche positive Steigung,"
    "Durchschnittliche negative Steigung,Max. Tritt-/Schrittfrequenz,"
    "Durchschnittliche Trittfrequenz,Max. Herzfrequenz,Durchschnittliche Herzfrequenz,Max. Watt,"
    "Durchschnittliche Watt,Kalorien,Max. Temperatur,Durchschnittliche Temperatur,"
    "Relative Leistung,Gesamtarbeit,Anzahl Läufe,Bergaufzeit,Bergabzeit,Andere Zeit,"
    "Gefühlte Anstrengung,Art,Startzeit,Gewichtete durchschnittliche Leistung,Leistungszahl,"
    "Gefühlte Anstrengung verwenden,Gefühlte relative Leistung,Pendeln,"
    "Insgesamt gestemmtes Gewicht,Von Upload,Auf Steigung angepasste Distanz,"
    "Wetterbeobachtungszeit,Wetterlage,Wetter: Temperatur,Scheinbare Temperatur,Taupunkt,"
    "Luftfeuchtigkeit,Wetter: Druck,Windgeschwindigkeit,Windböe,Windrichtung,"
    "Niederschlagsintensität,Sonnenaufgangszeit,Sonnenuntergangszeit,Mondphase,Fahrrad,"
    "Ausrüstung,Niederschlagswahrscheinlichkeit,Niederschlagsart,Wolkendecke,"
    "Wetter: Sichtbarkeit,UV-Index,Wetter: Ozon,Sprunganzahl,Schwierigkeit insgesamt,"
    "Durchschnittlicher Flow,Markiert,Durchschnittsgeschwindigkeit im Aufzeichnungszeitraum,"
    "Auf Schotter zurückgelegte Distanz,Neu getestete Distanz,Neu getestete Schotterdistanz,"
    "Aktivitätsanzahl,Schritte insgesamt,Eingesparte CO₂-Emissionen,Pool-Länge,"
    "Trainingsbelastung,Intensität,Durchschnittliches auf Steigung angepasstes Tempo,Medien"
)
HEADER_DE = next(csv.reader([HEADER_DE_LINE]))

# French, Dutch and Spanish: the titles found (see export_languages.py), in Strava's order, trimmed
# to those (like test_export.CSV_HEADER) since no complete header of these languages was found.
HEADER_FR = [
    "ID de l'activité",
    "Date de l'activité",
    "Nom de l'activité",
    "Type d'activité",
    "Description de l'activité",
    "Temps écoulé",
    "Distance",
    "Fréquence cardiaque max.",
    "Effort relatif",
    "Déplacement-transport",
    "Note privée sur les activités",
    "Matériel utilisé pour l'activité",
    "Nom du fichier",
    "Poids de l'athlète",
    "Poids du vélo",
    "Temps écoulé",
    "Durée de déplacement",
    "Distance",
    "Vitesse max.",
    "Vitesse moyenne",
    "Dénivelé positif",
    "Fréquence cardiaque max.",
    "Fréquence cardiaque moyenne",
]
HEADER_NL = [
    "Activiteits-ID",
    "Datum van activiteit",
    "Naam activiteit",
    "Activiteitstype",
    "Beschrijving van activiteit",
    "Verstreken tijd",
    "Afstand",
    "Max. hartslag",
    "Bestandsnaam",
    "Verstreken tijd",
    "Beweegtijd",
    "Afstand",
    "Totale stijging",
    "Max. hartslag",
    "Gemiddelde hartslag",
]
HEADER_ES = [
    "ID de actividad",
    "Fecha de la actividad",
    "Nombre de la actividad",
    "Tipo de actividad",
    "Descripción de la actividad",
    "Tiempo transcurrido",
    "Distancia",
    "Nota privada de actividad",
    "Nombre del archivo",
    "Tiempo transcurrido",
    "Tiempo en movimiento",
    "Distancia",
    "Desnivel positivo",
    "Esfuerzo Percibido",
]

Row = Mapping[tuple[str, int], str]


def csv_text(header: Sequence[str], rows: Sequence[Row], delimiter: str = ",") -> str:
    """Write rows given as {(title, occurrence): value} under `header`, quoting like Strava."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        seen: Counter[str] = Counter()
        cells = []
        for title in header:
            seen[title] += 1
            cells.append(row.get((title, seen[title]), ""))
        writer.writerow(cells)
    return buffer.getvalue()


def keyed(header: Sequence[str], cells: Sequence[str]) -> Row:
    """Key a row given cell by cell like `csv_text` wants it: by (title, occurrence)."""
    seen: Counter[str] = Counter()
    keys = []
    for title in header:
        seen[title] += 1
        keys.append((title, seen[title]))
    return dict(zip(keys, cells, strict=False))


def english_row(**values: str) -> dict[tuple[str, int], str]:
    """Build a row of the English layout; keys name columns, a trailing 2 the second occurrence."""
    names = {
        "id": ("Activity ID", 1),
        "date": ("Activity Date", 1),
        "name": ("Activity Name", 1),
        "type": ("Activity Type", 1),
        "description": ("Activity Description", 1),
        "elapsed": ("Elapsed Time", 1),
        "km": ("Distance", 1),
        "max_hr": ("Max Heart Rate", 1),
        "filename": ("Filename", 1),
        "elapsed2": ("Elapsed Time", 2),
        "moving": ("Moving Time", 1),
        "metres": ("Distance", 2),
        "gain": ("Elevation Gain", 1),
        "max_hr2": ("Max Heart Rate", 2),
        "avg_hr": ("Average Heart Rate", 1),
    }
    return {names[key]: value for key, value in values.items()}


def placeholder_layout(row: Mapping[tuple[str, int], str]) -> tuple[list[str], Row]:
    """Return the English layout with each title replaced by a placeholder (repeats kept)."""
    placeholder = {title: f"Kolom {n}" for n, title in enumerate(dict.fromkeys(HEADER_EN))}
    header = [placeholder[title] for title in HEADER_EN]
    return header, {(placeholder[title], n): value for (title, n), value in row.items()}


def write(folder: Path, text: str, encoding: str = "utf-8") -> None:
    (folder / "activities.csv").write_bytes(text.encode(encoding))


def by_id(folder: Path) -> dict[int, Activity]:
    return {activity.id: activity for activity in read_export(folder).activities}


# ---------------------------------------------------------------------------------------------------
# Each language with a real export


def test_english(tmp_path: Path) -> None:
    row = english_row(
        id="10438303769",
        date="Dec 3, 2024, 6:23:27 AM",
        name="Intervals 8x400 m",
        type="Run",
        elapsed="3435",
        km="8.81",
        max_hr="187.0",
        elapsed2="3434.8",
        moving="3299.2",
        metres="8805.4",
        gain="34.8",
        max_hr2="187.0",
        avg_hr="147.9",
    )
    trail = english_row(
        id="10470125857",
        date="Dec 4, 2024, 6:02:27 PM",
        name="Evening, on the ridge",
        type="Trail Run",
        km="1,234.50",  # a summary distance with a thousands separator
        moving="3760.1",
        avg_hr="138.6",
        filename="activities/10470125857.gpx.gz",
    )
    (tmp_path / "activities").mkdir()
    (tmp_path / "activities" / "10470125857.gpx.gz").write_bytes(gz(gpx_bytes()))
    write(tmp_path, csv_text(HEADER_EN, [row, trail]))

    result = read_export(tmp_path)

    first, second = result.activities
    assert first.id == 10438303769
    assert first.start == datetime(2024, 12, 3, 6, 23, 27, tzinfo=UTC)
    assert (first.sport_type, first.distance_m, first.moving_s) == ("Run", 8805.4, 3299.2)
    assert (first.avg_hr, first.max_hr, first.elevation_gain_m) == (147.9, 187.0, 34.8)
    assert first.manual
    assert second.id == 10470125857
    assert second.start == datetime(2024, 12, 4, 18, 2, 27, tzinfo=UTC)
    assert (second.sport_type, second.distance_m) == ("TrailRun", 1_234_500.0)
    assert (second.moving_s, second.avg_hr) == (3760.1, 138.6)
    assert not second.manual
    assert second.stream_summary is not None
    assert result.skipped_rows == ()


def german_row(**values: str) -> dict[tuple[str, int], str]:
    names = {
        "id": ("Aktivitäts-ID", 1),
        "date": ("Aktivitätsdatum", 1),
        "name": ("Name der Aktivität", 1),
        "type": ("Aktivitätsart", 1),
        "description": ("Aktivitätsbeschreibung", 1),
        "elapsed": ("Verstrichene Zeit", 1),
        "km": ("Distanz", 1),
        "commute": ("Pendeln", 1),
        "gear": ("Aktivitätsausrüstung", 1),
        "filename": ("Dateiname", 1),
        "bike_weight": ("Fahrradgewicht", 1),
        "elapsed2": ("Verstrichene Zeit", 2),
        "moving": ("Bewegungszeit", 1),
        "metres": ("Distanz", 2),
        "gain": ("Höhenzunahme", 1),
        "max_hr2": ("Max. Herzfrequenz", 2),
        "avg_hr": ("Durchschnittliche Herzfrequenz", 1),
    }
    return {names[key]: value for key, value in values.items()}


# The row of issue #86 (a ride, name written as a date, a two-line description, "9,44" km), and a run.
GERMAN_ROWS = [
    german_row(
        id="8228026758",
        date="09.12.2022, 15:24:49",
        name="2022-12-09 16:24",
        type="Radfahrt",
        description="bewölkt, 0°C, Gefühlt -3°C, Luftfeuchtigkeit 80%\n---\n ",
        elapsed="3189",
        km="9,44",
        commute="true",
        gear="Patria",
        bike_weight="20.0",
        elapsed2="3189.0",
        moving="2070.0",
        metres="9440.0",
    ),
    german_row(
        id="19404735112",
        date="21.07.2026, 15:09:27",
        name="Lauf am Nachmittag",
        type="Lauf",
        elapsed="1390",
        km="2,81",
        elapsed2="1390.0",
        moving="1385.0",
        gain="0.0",
        max_hr2="190.0",
        avg_hr="148.0",
    ),
]


def test_german(tmp_path: Path) -> None:
    write(tmp_path, csv_text(HEADER_DE, GERMAN_ROWS))

    activities = by_id(tmp_path)

    ride, run = activities[8228026758], activities[19404735112]
    assert ride.start == datetime(2022, 12, 9, 15, 24, 49, tzinfo=UTC)
    assert ride.sport_type == "Ride"
    assert (ride.distance_m, ride.moving_s, ride.avg_hr) == (9440.0, 2070.0, None)
    assert ride.name == "2022-12-09 16:24"
    assert run.start == datetime(2026, 7, 21, 15, 9, 27, tzinfo=UTC)
    assert run.sport_type == "Run"
    assert (run.distance_m, run.moving_s, run.avg_hr) == (2810.0, 1385.0, 148.0)
    assert run.max_hr == 190.0


def test_french_both_date_styles(tmp_path: Path) -> None:
    def row(**values: str) -> dict[tuple[str, int], str]:
        names = {
            "id": ("ID de l'activité", 1),
            "date": ("Date de l'activité", 1),
            "type": ("Type d'activité", 1),
            "km": ("Distance", 1),
            "moving": ("Durée de déplacement", 1),
            "metres": ("Distance", 2),
            "avg_hr": ("Fréquence cardiaque moyenne", 1),
            "filename": ("Nom du fichier", 1),
        }
        return {names[key]: value for key, value in values.items()}

    rows = [
        # Older exports join date and time with " à "; newer ones with a comma (monsieurm/strava-recap-2025).
        row(id="1", date="24 mai 2012 à 16:27:40", type="Course à pied", km="10,02", moving="2950"),
        row(
            id="2",
            date="4 juin 2020, 11:13:16",
            type="Trail",
            km="12,50",
            moving="4100",
            metres="12503.2",
            avg_hr="151.2",
            filename="activities/2.gpx.gz",
        ),
        row(id="3", date="24 déc. 2022, 16:27:40", type="Vélo", km="31,4", moving="3600.5"),
    ]
    (tmp_path / "activities").mkdir()
    (tmp_path / "activities" / "2.gpx.gz").write_bytes(gz(gpx_bytes()))
    write(tmp_path, csv_text(HEADER_FR, rows))

    activities = read_export(tmp_path).activities

    run, trail, ride = activities  # sorted by start
    assert (run.id, run.start) == (1, datetime(2012, 5, 24, 16, 27, 40, tzinfo=UTC))
    assert (run.sport_type, run.distance_m, run.moving_s, run.avg_hr) == (
        "Run",
        10020.0,
        2950,
        None,
    )
    assert run.manual
    assert (trail.id, trail.start) == (2, datetime(2020, 6, 4, 11, 13, 16, tzinfo=UTC))
    assert (trail.sport_type, trail.distance_m, trail.moving_s) == ("TrailRun", 12503.2, 4100)
    assert trail.avg_hr == 151.2
    assert not trail.manual
    assert (ride.id, ride.sport_type, ride.distance_m) == (3, "Ride", 31400.0)
    assert ride.start == datetime(2022, 12, 24, 16, 27, 40, tzinfo=UTC)


def test_dutch(tmp_path: Path) -> None:
    def row(**values: str) -> dict[tuple[str, int], str]:
        names = {
            "id": ("Activiteits-ID", 1),
            "date": ("Datum van activiteit", 1),
            "name": ("Naam activiteit", 1),
            "type": ("Activiteitstype", 1),
            "km": ("Afstand", 1),
            "moving": ("Beweegtijd", 1),
            "metres": ("Afstand", 2),
            "avg_hr": ("Gemiddelde hartslag", 1),
        }
        return {names[key]: value for key, value in values.items()}

    rows = [
        row(
            id="17301234567",
            date="9 mei 2026, 00:03:01",
            name="Nachtloop",
            type="Hardloopsessie",
            km="5,00",
            moving="1200.0",
            metres="5003.1",
            avg_hr="156.4",
        ),
        row(id="17301234568", date="8 mrt 2026, 10:00:00", type="Fietsrit", km="30,25"),
    ]
    write(tmp_path, csv_text(HEADER_NL, rows))

    activities = by_id(tmp_path)

    run = activities[17301234567]
    assert run.start == datetime(2026, 5, 9, 0, 3, 1, tzinfo=UTC)
    assert run.sport_type == "Run"
    assert (run.distance_m, run.moving_s, run.avg_hr) == (5003.1, 1200.0, 156.4)
    ride = activities[17301234568]
    assert ride.start == datetime(2026, 3, 8, 10, 0, tzinfo=UTC)
    assert (ride.sport_type, ride.distance_m) == ("Ride", 30250.0)


def test_spanish_with_heart_rate_from_the_file(tmp_path: Path) -> None:
    # No Spanish heart-rate title was found: the row's file supplies the average heart rate.
    row = {
        ("ID de actividad", 1): "101",
        # The date in the Spanish medium format (CLDR); no Spanish export date was found.
        ("Fecha de la actividad", 1): "3 nov 2024, 6:12:45",
        ("Nombre de la actividad", 1): "Rodaje",
        ("Tipo de actividad", 1): "Carrera",
        ("Descripción de la actividad", 1): "Buenas piernas, mucho calor\nfui a tope",
        ("Tiempo transcurrido", 1): "1341",
        ("Distancia", 1): "4,03",
        ("Nota privada de actividad", 1): "Molestia en el gemelo",
        ("Nombre del archivo", 1): "activities/101.gpx.gz",
        ("Tiempo transcurrido", 2): "1341.0",
        ("Tiempo en movimiento", 1): "1322.0",
        ("Distancia", 2): "4030.5",
        ("Desnivel positivo", 1): "5.9",
    }
    weights = {
        ("ID de actividad", 1): "102",
        ("Fecha de la actividad", 1): "4 nov 2024, 18:00:00",
        ("Tipo de actividad", 1): "Entrenamiento con pesas",
        ("Tiempo transcurrido", 2): "1800.0",
    }
    (tmp_path / "activities").mkdir()
    (tmp_path / "activities" / "101.gpx.gz").write_bytes(gz(gpx_bytes()))
    write(tmp_path, csv_text(HEADER_ES, [row, weights]))

    run, gym = read_export(tmp_path).activities

    assert (run.id, run.start) == (101, START)
    assert (run.sport_type, run.distance_m, run.moving_s) == ("Run", 4030.5, 1322.0)
    assert run.avg_hr == pytest.approx(sum(120 + min(i, 30) for i in range(60)) / 60)
    assert (gym.id, gym.sport_type, gym.elapsed_s, gym.manual) == (
        102,
        "WeightTraining",
        1800,
        True,
    )


# ---------------------------------------------------------------------------------------------------
# Languages whose export was not found: Strava's layout, placeholder titles, the local date format


FALLBACK = [
    # The date as CLDR's medium format writes 2022-12-24 16:27:40 UTC, the summary km, the word
    # for running (Strava's own label in these languages was not found).
    pytest.param("24 Dec 2022, 16:27:40", "10.02", "Run", id="en-GB"),
    pytest.param("24 dic 2022, 4:27:40 p.m.", "10.02", "Carrera", id="es-419"),
    pytest.param("24 dic 2022, 16:27:40", "10,02", "Corsa", id="it"),
    pytest.param("24 de dez. de 2022, 16:27:40", "10,02", "Corrida", id="pt-BR"),
    pytest.param("24/12/2022, 16:27:40", "10,02", "Corrida", id="pt-PT"),
    pytest.param("24 дек. 2022 г., 16:27:40", "10,02", "Бег", id="ru"),
    pytest.param("2022/12/24 16:27:40", "10.02", "ランニング", id="ja"),
    pytest.param("2022年12月24日 16:27:40", "10.02", "跑步", id="zh-CN"),
    pytest.param("2022年12月24日 下午4:27:40", "10.02", "跑步", id="zh-TW"),
    pytest.param("2022. 12. 24. PM 4:27:40", "10.02", "달리기", id="ko"),
    pytest.param("2022. 12. 24. 오후 4:27:40", "10.02", "러닝", id="ko-old"),
    pytest.param("24 gru 2022, 16:27:40", "10,02", "Bieg", id="pl"),
    pytest.param("24 dec. 2022 16:27:40", "10,02", "Löpning", id="sv"),
    pytest.param("24. dec. 2022, 16.27.40", "10,02", "Løb", id="da"),
    pytest.param("24. des. 2022, 16:27:40", "10,02", "Løping", id="nb"),
    pytest.param("24.12.2022 klo 16.27.40", "10,02", "Juoksu", id="fi"),
    pytest.param("24. 12. 2022 16:27:40", "10,02", "Běh", id="cs"),
    pytest.param("24 Ara 2022 16:27:40", "10,02", "Koşu", id="tr"),
    pytest.param("24 Des 2022, 16.27.40", "10,02", "Lari", id="id"),
    pytest.param("16:27:40 24 thg 12, 2022", "10,02", "Chạy bộ", id="vi"),
    pytest.param("24 de des. 2022, 16:27:40", "10,02", "Cursa", id="ca"),
    pytest.param("24 груд. 2022 р., 16:27:40", "10,02", "Біг", id="uk"),
    pytest.param("24 Δεκ 2022, 4:27:40 μ.μ.", "10,02", "Τρέξιμο", id="el"),
    pytest.param("2022. dec. 24. 16:27:40", "10,02", "Futás", id="hu"),
    pytest.param("24 dec. 2022, 16:27:40", "10,02", "Alergare", id="ro"),
]


@pytest.mark.parametrize(("date_text", "km", "run"), FALLBACK)
def test_unknown_titles_import_by_structure(
    tmp_path: Path, date_text: str, km: str, run: str
) -> None:
    first = english_row(
        id="8228026758",
        date=date_text,
        name="Sortie, ou pas",
        type=run,
        elapsed="3000",
        km=km,  # the raw metres are missing: the summary km counts
        max_hr="171",
        elapsed2="3000.0",
        moving="2950.0",
        gain="55.5",
        max_hr2="172.0",
        avg_hr="148.3",
    )
    second = english_row(id="8228026759", date=date_text, type=run, moving="60.0")
    header, first_row = placeholder_layout(first)
    write(tmp_path, csv_text(header, [first_row, placeholder_layout(second)[1]]))

    activity = by_id(tmp_path)[8228026758]

    assert activity.start == datetime(2022, 12, 24, 16, 27, 40, tzinfo=UTC)
    assert activity.sport_type == "Run"
    assert activity.distance_m == pytest.approx(10020.0)
    assert (activity.moving_s, activity.avg_hr, activity.max_hr) == (2950.0, 148.3, 172.0)
    assert activity.elevation_gain_m == 55.5
    assert activity.manual


def test_titles_nothing_identifies_refuse_the_export_clearly(tmp_path: Path) -> None:
    write(tmp_path, "a,b,c\nx,y,z\nfoo,bar,baz\n")
    with pytest.raises(ExportPathError) as err:
        read_export(tmp_path)
    assert err.value.reason == "no_activities"
    assert "no recognisable activity id or date column" in str(err.value)


# ---------------------------------------------------------------------------------------------------
# Activity types


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Names seen in real exports.
        ("Run", "Run"),
        ("Trail Run", "TrailRun"),
        ("Virtual Run", "VirtualRun"),
        ("Lauf", "Run"),
        ("Traillauf", "TrailRun"),
        ("Virtueller Lauf", "VirtualRun"),
        ("Course à pied", "Run"),
        ("Trail", "TrailRun"),
        ("Hardloopsessie", "Run"),
        ("Carrera", "Run"),
        ("Radfahrt", "Ride"),
        ("Virtuelle Radfahrt", "VirtualRide"),
        ("Fietsrit", "Ride"),
        ("Virtuele fietsrit", "VirtualRide"),
        ("Vélo", "Ride"),
        ("Bicicleta", "Ride"),
        ("Spaziergang", "Walk"),
        ("Wandern", "Hike"),
        ("Randonnée", "Hike"),
        ("Natation", "Swim"),
        ("Zwemmen", "Swim"),
        ("Gewichtstraining", "WeightTraining"),
        ("Entrenamiento con pesas", "WeightTraining"),
        ("Weight Training", "WeightTraining"),
        ("Rock Climb", "RockClimbing"),
        ("E-Bike Ride", "EBikeRide"),
        # Skiing and skating share words with running, and are not running.
        ("Langlauf", "NordicSki"),
        ("Eislaufen", "IceSkate"),
        ("Skiløb", "Skiløb"),
        ("Беговые лыжи", "Беговые лыжи"),
        ("Bieg narciarski", "Bieg narciarski"),
        # Running, trail and virtual running by each language's words.
        ("Corsa virtuale", "VirtualRun"),
        ("Corrida em trilha", "TrailRun"),
        ("Виртуальный бег", "VirtualRun"),
        ("トレイルラン", "TrailRun"),
        ("バーチャルラン", "VirtualRun"),
        ("越野跑", "TrailRun"),
        ("虛擬跑步", "VirtualRun"),
        ("트레일 러닝", "TrailRun"),
        ("Wirtualny bieg", "VirtualRun"),
        ("Traillöpning", "TrailRun"),
        ("Polkujuoksu", "TrailRun"),
        ("Sanal koşu", "VirtualRun"),
        ("Chạy ảo", "VirtualRun"),
        ("Terepfutás", "TrailRun"),
        # Unknown names stay readable.
        ("Underwater Hockey", "UnderwaterHockey"),
        ("Bouldern im Keller", "Bouldern im Keller"),
        ("水中ホッケー", "水中ホッケー"),
    ],
)
def test_activity_types(text: str, expected: str) -> None:
    assert sport_type(text) == expected


# ---------------------------------------------------------------------------------------------------
# Dates and numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30 Sept 2024, 23:59:59", datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC)),
        ("Sep 30, 2024, 11:59:59\u202fPM", datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC)),
        ("30. September 2024 um 23:59:59", datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC)),
        ("30 septembre 2024 à 23:59:59", datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC)),
        ("30 сентября 2024 г. в 23:59:59", datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC)),
        ("2024年9月30日 晚上11:59:59", datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC)),
        ("2024/09/30 午後11:59:59", datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC)),
        ("2024. 9. 30. 오전 12:05:00", datetime(2024, 9, 30, 0, 5, tzinfo=UTC)),
        ("30 Σεπτεμβρίου 2024 στις 11:59:59 μ.μ.", datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC)),
        ("4 mar 2023, 6:07:08 a. m.", datetime(2023, 3, 4, 6, 7, 8, tzinfo=UTC)),
        # Spreadsheets rewrite dates numerically, without seconds.
        ("09.12.2022 15:24", datetime(2022, 12, 9, 15, 24, tzinfo=UTC)),
        ("12/31/2022 3:24 PM", datetime(2022, 12, 31, 15, 24, tzinfo=UTC)),
    ],
)
def test_dates(text: str, expected: datetime) -> None:
    assert parse_strava_date(text) == expected


def test_all_numeric_dates_follow_the_column_order() -> None:
    assert parse_strava_date("03/11/2024 06:12", "MDY") == datetime(2024, 3, 11, 6, 12, tzinfo=UTC)
    assert parse_strava_date("03/11/2024 06:12", "DMY") == datetime(2024, 11, 3, 6, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match="date order"):
        parse_strava_date("03/11/2024 06:12", "YDM")


def test_an_excel_column_of_us_dates_is_read_month_first(tmp_path: Path) -> None:
    rows = [
        english_row(id="1", date="11/3/2024 6:12", type="Run"),
        english_row(id="2", date="11/23/2024 18:00", type="Run"),
    ]
    write(tmp_path, csv_text(HEADER_EN, rows))
    starts = [a.start for a in read_export(tmp_path).activities]
    assert starts == [
        datetime(2024, 11, 3, 6, 12, tzinfo=UTC),
        datetime(2024, 11, 23, 18, 0, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    "text",
    ["Foo 3, 2024, 6:12:45 AM", "3 dic nov 2024", "13:00:00", "3/4", "2024. 9. 30. PM 13:00:00"],
)
def test_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several messages
        parse_strava_date(text)


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("9,44", ",", 9.44),
        ("9,44", ".", 9.44),
        ("9.44", ",", 9.44),
        ("1.234,5", None, 1234.5),
        ("1,234.5", None, 1234.5),
        ("1\u202f234,5", ",", 1234.5),
        ("1 234 567", None, 1234567.0),
        ("1,234", ".", 1234.0),
        ("1.234", ",", 1234.0),
        ("1,234", None, 1.234),
        ("\u22125,5", ",", -5.5),
        ("12,345,678", None, 12345678.0),
        ("1,2,3", None, None),
        ("1.234.5", None, None),
        ("", None, None),
        ("about 5", None, None),
        ("nan", None, None),
    ],
)
def test_numbers(text: str, decimal: str | None, expected: float | None) -> None:
    assert parse_number(text, decimal) == expected


# ---------------------------------------------------------------------------------------------------
# Encodings and spreadsheet re-saves


def test_utf16_tab_separated_as_excel_unicode_text_saves(tmp_path: Path) -> None:
    # Excel's "Unicode Text": UTF-16 little-endian with a byte order mark, tabs, CRLF line ends.
    text = csv_text(HEADER_DE, GERMAN_ROWS, delimiter="\t").replace("\n", "\r\n")
    (tmp_path / "activities.csv").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    assert sorted(by_id(tmp_path)) == [8228026758, 19404735112]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
        lambda text: text.encode("utf-16-le"),  # no byte order mark
        lambda text: text.encode("utf-16-be"),
        lambda text: text.encode("utf-32"),
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    ],
)
def test_unicode_encodings(tmp_path: Path, encode: Callable[[str], bytes]) -> None:
    (tmp_path / "activities.csv").write_bytes(encode(csv_text(HEADER_DE, GERMAN_ROWS)))
    assert by_id(tmp_path)[19404735112].sport_type == "Run"


def test_windows_code_page_with_semicolons_as_excel_csv_saves(tmp_path: Path) -> None:
    # Excel's plain "CSV" in a German Windows: code page 1252, semicolons, its own number and
    # date formats (raw values rewritten "2070", "9440", dates without seconds).
    row = german_row(
        id="8228026758",
        date="09.12.2022 15:24",
        name="Feierabendrunde über den Berg",
        type="Lauf",
        km="9,44",
        moving="2070",
        metres="9440,5",
        avg_hr="151",
    )
    (tmp_path / "activities.csv").write_bytes(
        # "CO₂" has no place in the code page: Excel writes a question mark.
        csv_text(HEADER_DE, [row], delimiter=";").encode("cp1252", errors="replace")
    )

    (activity,) = read_export(tmp_path).activities

    assert activity.start == datetime(2022, 12, 9, 15, 24, tzinfo=UTC)
    assert activity.name == "Feierabendrunde über den Berg"
    assert (activity.sport_type, activity.distance_m, activity.moving_s) == ("Run", 9440.5, 2070)
    assert activity.avg_hr == 151


def test_latin1_french(tmp_path: Path) -> None:
    row = {
        ("ID de l'activité", 1): "7",
        ("Date de l'activité", 1): "24 déc. 2022, 16:27:40",
        ("Type d'activité", 1): "Course à pied",
        ("Distance", 1): "10,02",
    }
    (tmp_path / "activities.csv").write_bytes(csv_text(HEADER_FR, [row]).encode("latin-1"))
    (activity,) = read_export(tmp_path).activities
    assert (activity.id, activity.sport_type, activity.distance_m) == (7, "Run", 10020.0)


def test_utf8_with_a_damaged_byte_keeps_its_text(tmp_path: Path) -> None:
    data = csv_text(HEADER_DE, GERMAN_ROWS).encode("utf-8").replace(b"Lauf am", b"Lauf\xff am")
    (tmp_path / "activities.csv").write_bytes(data)
    assert by_id(tmp_path)[19404735112].name == "Lauf\ufffd am Nachmittag"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe" + "Activity ID,Activity Date\n".encode("utf-16-le") + b"\x41", "UTF-16-LE"),
        (b"\xff\xfe" + b"\x00\xd8\x41\x00" * 8, "UTF-16-LE"),  # a lone surrogate
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" * 50, "not text"),
    ],
)
def test_undecodable_files_say_why(tmp_path: Path, data: bytes, message: str) -> None:
    (tmp_path / "activities.csv").write_bytes(data)
    with pytest.raises(ExportPathError) as err:
        read_export(tmp_path)
    assert err.value.reason == "no_activities"
    assert message in str(err.value)
    with pytest.raises(ExportPathError):
        decode_csv(data)


# ---------------------------------------------------------------------------------------------------
# Rows that cannot be read, manual activities


def test_bad_rows_are_reported_by_line_and_the_rest_imports(tmp_path: Path) -> None:
    rows = [
        german_row(
            id="1", date="09.12.2022, 15:24:49", type="Lauf", description="eins\nzwei\ndrei"
        ),
        german_row(id="2", date="irgendwann", type="Lauf"),
        german_row(id="1.04383E+10", date="09.12.2022, 15:24:49", type="Lauf"),
        german_row(id="4", date="10.12.2022, 07:00:00", type="Lauf", moving="-60"),
        german_row(id="5", date="31.02.2022, 07:00:00", type="Lauf"),
        german_row(id="6", date="11.12.2022, 07:00:00", type="Lauf", km="5,5"),
    ]
    write(tmp_path, csv_text(HEADER_DE, rows))

    result = read_export(tmp_path)

    assert [a.id for a in result.activities] == [1, 6]
    assert result.activities[1].distance_m == 5500
    # Row 1 spans lines 2-4 (a description on three lines): the next row starts on line 5.
    assert [row.line for row in result.skipped_rows] == [5, 6, 7, 8]
    reasons = [row.reason for row in result.skipped_rows]
    assert "irgendwann" in reasons[0]
    assert "a spreadsheet rounded it" in reasons[1]
    assert "moving" in reasons[2]
    assert "day is out of range" in reasons[3]
    assert result.skipped == 4
    assert result.skipped_files == tuple(f"activities.csv:{n}" for n in (5, 6, 7, 8))
    assert all(isinstance(row, SkippedRow) for row in result.skipped_rows)
    assert result.skipped_rows[0] == (5, reasons[0])


def test_rows_without_a_file_are_manual(tmp_path: Path) -> None:
    (tmp_path / "activities").mkdir()
    (tmp_path / "activities" / "1.gpx.gz").write_bytes(gz(gpx_bytes()))
    rows = [
        german_row(
            id="1", date="03.11.2024, 06:12:45", type="Lauf", filename="activities/1.gpx.gz"
        ),
        german_row(id="2", date="04.11.2024, 06:12:45", type="Lauf", moving="1800"),
        # A file the export lacks: recorded, not entered by hand.
        german_row(
            id="3", date="05.11.2024, 06:12:45", type="Lauf", filename="activities/3.fit.gz"
        ),
    ]
    write(tmp_path, csv_text(HEADER_DE, rows))

    manual = {a.id: a.manual for a in read_export(tmp_path).activities}

    assert manual == {1: False, 2: True, 3: False}


def test_ids_grouped_by_a_spreadsheet_still_read(tmp_path: Path) -> None:
    rows = [
        english_row(id="10,438,303,769", date="Dec 3, 2024, 6:23:27 AM", type="Run"),
        english_row(id="10438303770.0", date="Dec 4, 2024, 6:23:27 AM", type="Run"),
    ]
    write(tmp_path, csv_text(HEADER_EN, rows))
    assert sorted(by_id(tmp_path)) == [10438303769, 10438303770]


# ---------------------------------------------------------------------------------------------------
# Older layouts, flags and structural edge cases


def test_the_2019_layouts(tmp_path: Path) -> None:
    # Before and after Strava's mid-2019 change (hugovk/strava-tools pull requests #1 and #2).
    write(
        tmp_path,
        "id,date,name,type,description,elapsed_time,distance,commute,gear,filename\n"
        "1836776031,2018-09-12 15:02:23,Evening Ride,Ride,,783,3681.0,true,Merida,"
        "activities/1836776031.gpx\n",
    )
    (old,) = read_export(tmp_path).activities
    assert (old.id, old.start) == (1836776031, datetime(2018, 9, 12, 15, 2, 23, tzinfo=UTC))
    assert (old.sport_type, old.distance_m, old.elapsed_s) == ("Ride", 3681.0, 783)

    write(
        tmp_path,
        "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,"
        "Distance,Commute,Activity Gear,Filename\n"
        '1836776031,"Sep 12, 2018, 3:02:23 PM",Evening Ride,Ride,,783,3.68,true,Merida,'
        "activities/1836776031.gpx\n",
    )
    (new,) = read_export(tmp_path).activities
    assert (new.start, new.distance_m) == (old.start, 3680.0)


def test_race_flags(tmp_path: Path) -> None:
    rows = [
        english_row(id="1", date="Dec 3, 2024, 6:23:27 AM", type="Race"),
        {
            **english_row(id="2", date="Dec 4, 2024, 6:23:27 AM", type="Run"),
            ("Competition", 1): "true",
        },
        {
            **english_row(id="3", date="Dec 5, 2024, 6:23:27 AM", type="Run"),
            ("Competition", 1): "0.0",
        },
    ]
    write(tmp_path, csv_text(HEADER_EN, rows))
    races = {a.id: (a.sport_type, a.race) for a in read_export(tmp_path).activities}
    assert races == {1: ("Run", True), 2: ("Run", True), 3: ("Run", False)}


def test_rows_without_id_or_date_are_reported(tmp_path: Path) -> None:
    rows = [
        english_row(id="1", date="Dec 3, 2024, 6:23:27 AM", type="Run"),
        english_row(date="Dec 4, 2024, 6:23:27 AM", type="Run", name="no id"),
        english_row(id="3", type="Run"),
    ]
    write(tmp_path, csv_text(HEADER_EN, rows))
    result = read_export(tmp_path)
    assert result.skipped_rows == ((3, "no activity id"), (4, "no activity date"))


def test_repeated_titles_out_of_strava_order_place_nothing(tmp_path: Path) -> None:
    header = ["c0", "c1", "c2", "c3", "A", "x", "B", "C", "A", "m", "B", "C", "h"]
    row = ["7", "24.12.2022, 16:27:40", "Name", "Corsa", "3000", "", "10,02", "171", "3000.0"]
    write(tmp_path, csv_text(header, [keyed(header, row)]))

    (activity,) = read_export(tmp_path).activities

    assert (activity.id, activity.sport_type) == (7, "Run")
    assert (activity.distance_m, activity.moving_s, activity.max_hr) == (0.0, 0.0, None)


def test_titles_placed_by_language_win_over_repeats(tmp_path: Path) -> None:
    header = [
        "Aktivitäts-ID",
        "Aktivitätsdatum",
        "Verstrichene Zeit",
        "Distanz",
        "Foo",
        "Max. Herzfrequenz",
        "Verstrichene Zeit",
        "Distanz",
        "Foo",
        "Max. Herzfrequenz",
        "Bewegungszeit",
    ]
    row = [
        "7",
        "24.12.2022, 16:27:40",
        "60",
        "1,00",
        "9",
        "170",
        "60.0",
        "1000.0",
        "9",
        "171",
        "55",
    ]
    write(
        tmp_path,
        csv_text(header, [keyed(header, row)]),
    )

    (activity,) = read_export(tmp_path).activities

    assert (activity.max_hr, activity.moving_s, activity.distance_m) == (171.0, 55.0, 1000.0)
    assert activity.sport_type == "Run"  # no type column: a run, as before


def test_a_moving_time_column_that_is_not_numeric_is_not_placed(tmp_path: Path) -> None:
    header, row = placeholder_layout(
        english_row(id="7", date="24 Dec 2022, 16:27:40", type="Run", moving="fast", avg_hr="150")
    )
    write(tmp_path, csv_text(header, [row]))
    (activity,) = read_export(tmp_path).activities
    assert (activity.moving_s, activity.avg_hr) == (0.0, 150.0)


def test_bytes_the_windows_code_page_lacks_read_as_latin1(tmp_path: Path) -> None:
    row = english_row(id="7", date="Dec 3, 2024, 6:23:27 AM", type="Run", name="Caf\xe9 \x81")
    (tmp_path / "activities.csv").write_bytes(csv_text(HEADER_EN, [row]).encode("latin-1"))
    (activity,) = read_export(tmp_path).activities
    assert activity.name == "Café \x81"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Indoor Cycling", "Ride"),
        ("Wirtualna jazda na rowerze", "VirtualRide"),
        ("Mountainbike-Tour", "MountainBikeRide"),
        ("Jízda na horském kole", "MountainBikeRide"),
        ("E-Bike-Tour", "EBikeRide"),
        ("E-Mountainbike", "EMountainBikeRide"),
        ("Gravel-Radtour", "GravelRide"),
        ("Wanderung", "Hike"),
        ("徒步", "Hike"),
        ("Camminata", "Walk"),
        ("Ходьба", "Walk"),
        ("Nuoto", "Swim"),
        ("Плавание", "Swim"),
    ],
)
def test_other_types_by_their_words(text: str, expected: str) -> None:
    assert sport_type(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Dec 2024, 06:00:00", "no day and year"),
        ("3 Dec 24, 06:00:00", "no year"),
        ("1/2/345 06:00", "bad year"),
    ],
)
def test_incomplete_dates_say_what_is_missing(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_strava_date(text)


def test_two_digit_years_are_this_century() -> None:
    assert parse_strava_date("24/12/22 16:27") == datetime(2022, 12, 24, 16, 27, tzinfo=UTC)


def test_month_tables_are_checked() -> None:
    assert month_table({"xx": "a b c d e f g h i j k l"})["a"] == 1
    with pytest.raises(RuntimeError, match="12 months"):
        month_table({"xx": "a b c"})
    with pytest.raises(RuntimeError, match="two months"):
        month_table({"xx": "a|abc b|abc c d e f g h i j k l"})


def test_separators_in_the_wrong_places_are_not_numbers() -> None:
    assert parse_number("1.2,3.4") is None
    assert parse_number("12.34,5") is None
