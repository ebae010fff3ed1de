"""Numbers as a runner reads them: distances, paces and durations in the chosen units."""

from __future__ import annotations

from datetime import date
import math
from typing import Final

from .settings import Units

METERS_PER_MILE: Final = 1609.344


def distance_value(meters: float, units: Units) -> float:
    """Convert meters to kilometres or miles."""
    return meters / (METERS_PER_MILE if units is Units.IMPERIAL else 1000.0)


def distance_unit(units: Units) -> str:
    """Return the distance unit symbol."""
    return "mi" if units is Units.IMPERIAL else "km"


def fmt_distance(meters: float, units: Units, decimals: int = 1) -> str:
    """Format a distance such as "8.1 km" or "5.0 mi"."""
    return f"{distance_value(meters, units):.{decimals}f} {distance_unit(units)}"


def fmt_pace(s_per_km: float | None, units: Units) -> str:
    """Format a pace such as "5:45/km" or "9:15/mi"; "-" when unknown."""
    if s_per_km is None or not math.isfinite(s_per_km) or s_per_km <= 0:
        return "-"
    seconds = s_per_km * METERS_PER_MILE / 1000.0 if units is Units.IMPERIAL else s_per_km
    total = round(seconds)
    return f"{total // 60}:{total % 60:02d}/{distance_unit(units)}"


def fmt_duration(seconds: float) -> str:
    """Format a duration such as "47:32" or "1:45:00"."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def pace_of(distance_m: float, moving_s: float) -> float | None:
    """Return seconds per kilometre, or None without distance or time."""
    if distance_m <= 0 or moving_s <= 0:
        return None
    return moving_s / (distance_m / 1000.0)


def count_noun(count: int, noun: str, plural: str | None = None) -> str:
    """Return an English count with its noun, such as "1 day" or "3 days"."""
    return f"{count} {noun if abs(count) == 1 else plural or noun + 's'}"


# How the coach says units aloud, per language it speaks (English otherwise).
_SPOKEN: Final[dict[str, dict[str, str]]] = {
    "en": {
        "km": "kilometres",
        "km_1": "kilometre",
        "mi": "miles",
        "mi_1": "mile",
        "per_km": "per kilometre",
        "per_mi": "per mile",
        "hour": "hour",
        "hours": "hours",
        "minute": "minute",
        "minutes": "minutes",
        "second": "second",
        "seconds": "seconds",
    },
    "vi": {
        "km": "ki-lô-mét",
        "km_1": "ki-lô-mét",
        "mi": "dặm",
        "mi_1": "dặm",
        "per_km": "mỗi ki-lô-mét",
        "per_mi": "mỗi dặm",
        "hour": "giờ",
        "hours": "giờ",
        "minute": "phút",
        "minutes": "phút",
        "second": "giây",
        "seconds": "giây",
    },
}


def _spoken(language: str) -> dict[str, str]:
    return _SPOKEN.get(language, _SPOKEN["en"])


def _say_count(words: dict[str, str], count: int, noun: str) -> str:
    return f"{count} {words[noun if count == 1 else noun + 's']}"


def say_distance(meters: float, units: Units, language: str) -> str:
    """Say a distance aloud: "8.1 kilometres", "1 mile", "8,1 ki-lô-mét"."""
    words = _spoken(language)
    value = round(distance_value(meters, units), 1)
    unit = distance_unit(units)
    number = f"{value:g}" if value == int(value) else f"{value:.1f}"
    if language == "vi":
        # Vietnamese writes, and a voice reads, a decimal comma ("phẩy").
        number = number.replace(".", ",")
    return f"{number} {words[unit + '_1' if value == 1 else unit]}"


def say_pace(s_per_km: float | None, units: Units, language: str) -> str | None:
    """Say a pace aloud: "4 minutes 56 per kilometre", "5 phút mỗi ki-lô-mét"; None when unknown."""
    if s_per_km is None or not math.isfinite(s_per_km) or s_per_km <= 0:
        return None
    words = _spoken(language)
    seconds = s_per_km * METERS_PER_MILE / 1000.0 if units is Units.IMPERIAL else s_per_km
    minutes, secs = divmod(round(seconds), 60)
    per = words["per_" + distance_unit(units)]
    if not secs:
        return f"{_say_count(words, minutes, 'minute')} {per}"
    if language == "vi":
        return f"{minutes} {words['minutes']} {secs} {words['seconds']} {per}"
    return f"{_say_count(words, minutes, 'minute')} {secs:02d} {per}"


def say_duration(seconds: float, language: str) -> str:
    """Say a duration aloud in hours and minutes: "1 hour 45 minutes", "34 phút", "40 seconds"."""
    words = _spoken(language)
    total = max(0, round(seconds))
    if total < 60:
        return _say_count(words, total, "second")
    hours, minutes = divmod(round(total / 60), 60)
    parts = [_say_count(words, hours, "hour")] if hours else []
    if minutes or not hours:
        parts.append(_say_count(words, minutes, "minute"))
    return " ".join(parts)


_WEEKDAYS: Final = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "vi": ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"),
}
_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def say_date(day: date, language: str) -> str:
    """Say a date aloud: "Sunday 31 January 2027", "Chủ nhật, ngày 31 tháng 1 năm 2027"."""
    if language == "vi":
        weekday = _WEEKDAYS["vi"][day.weekday()]
        return f"{weekday}, ngày {day.day} tháng {day.month} năm {day.year}"
    return f"{_WEEKDAYS['en'][day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


# Every answer the coach hands out (actions, the conversation agent) stays within this many
# characters: one Telegram message (4,096) and a few minutes of speech at most.
MAX_ANSWER_CHARS: Final = 4000
ELLIPSIS: Final = "…"
_SENTENCE_ENDS: Final = (". ", "! ", "? ", "\n")


def clip(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    """Return `text` within `limit` characters, cut after a sentence (or a word) with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    sentence = max(cut.rfind(end) for end in _SENTENCE_ENDS)
    if sentence >= limit // 2:
        cut = cut[: sentence + 1]
    elif (space := cut.rfind(" ")) > 0:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + ELLIPSIS
