"""Numbers said aloud, and answers kept within their length."""

from __future__ import annotations

from datetime import date

import pytest

from custom_components.coach_dyno.coach.formatting import (
    ELLIPSIS,
    MAX_ANSWER_CHARS,
    clip,
    say_date,
    say_distance,
    say_duration,
    say_pace,
)
from custom_components.coach_dyno.coach.settings import Units


@pytest.mark.parametrize(
    ("s_per_km", "units", "language", "spoken"),
    [
        (296.0, Units.METRIC, "en", "4 minutes 56 per kilometre"),
        (300.2, Units.METRIC, "en", "5 minutes per kilometre"),
        (65.0, Units.METRIC, "en", "1 minute 05 per kilometre"),
        (296.0, Units.IMPERIAL, "en", "7 minutes 56 per mile"),
        (296.0, Units.METRIC, "vi", "4 phút 56 giây mỗi ki-lô-mét"),
        (360.0, Units.IMPERIAL, "vi", "9 phút 39 giây mỗi dặm"),
        (None, Units.METRIC, "en", None),
        (0.0, Units.METRIC, "en", None),
        (float("inf"), Units.METRIC, "en", None),
    ],
)
def test_paces_are_said_in_minutes_and_seconds(
    s_per_km: float | None, units: Units, language: str, spoken: str | None
) -> None:
    """A pace reads "4 minutes 56 per kilometre", never "4:56/km"."""
    assert say_pace(s_per_km, units, language) == spoken


@pytest.mark.parametrize(
    ("seconds", "language", "spoken"),
    [
        (6354.0, "en", "1 hour 46 minutes"),
        (6300.0, "en", "1 hour 45 minutes"),
        (7200.0, "en", "2 hours"),
        (2049.0, "en", "34 minutes"),
        (61.0, "en", "1 minute"),
        (40.0, "en", "40 seconds"),
        (1.0, "en", "1 second"),
        (6354.0, "vi", "1 giờ 46 phút"),
        (40.0, "vi", "40 giây"),
    ],
)
def test_durations_are_said_in_hours_and_minutes(
    seconds: float, language: str, spoken: str
) -> None:
    """A duration reads "1 hour 45 minutes", never "1:45:54"."""
    assert say_duration(seconds, language) == spoken


def test_distances_and_dates_are_said_in_words() -> None:
    """Units and dates are words a voice can read, in either language."""
    assert say_distance(12_340.0, Units.METRIC, "en") == "12.3 kilometres"
    assert say_distance(1000.0, Units.METRIC, "en") == "1 kilometre"
    assert say_distance(8046.72, Units.IMPERIAL, "en") == "5 miles"
    assert say_distance(12_340.0, Units.METRIC, "vi") == "12,3 ki-lô-mét"
    assert say_date(date(2027, 1, 31), "en") == "Sunday 31 January 2027"
    assert say_date(date(2027, 1, 31), "vi") == "Chủ nhật, ngày 31 tháng 1 năm 2027"


def test_clip_keeps_short_text_whole() -> None:
    """An answer within the limit comes back as it was (trimmed)."""
    assert clip("  Easy run today.  ") == "Easy run today."


def test_clip_cuts_after_a_sentence() -> None:
    """A long answer ends after its last whole sentence within the limit, with an ellipsis."""
    text = "Run easy today. " * 400
    clipped = clip(text)
    assert len(clipped) <= MAX_ANSWER_CHARS
    assert clipped.endswith("today." + ELLIPSIS)
    assert text.startswith(clipped.removesuffix(ELLIPSIS))


def test_clip_cuts_between_words_without_sentences() -> None:
    """Without a sentence end in reach, the cut falls between words, never inside one."""
    text = "word " * 30
    clipped = clip(text, 42)
    assert clipped == "word word word word word word word word" + ELLIPSIS
    assert len(clipped) <= 42
    # One word longer than the limit is cut where the limit falls.
    assert clip("x" * 50, 10) == "x" * 9 + ELLIPSIS
