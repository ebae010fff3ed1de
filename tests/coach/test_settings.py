"""Settings and number formatting."""

from __future__ import annotations

import pytest

from custom_components.coach_dyno.coach import (
    DEFAULT_FALLBACK_MODEL,
    DEFAULT_MODEL,
    CoachSettings,
    Persona,
    Units,
)
from custom_components.coach_dyno.coach.formatting import (
    fmt_distance,
    fmt_duration,
    fmt_pace,
    pace_of,
)


def test_defaults() -> None:
    settings = CoachSettings()
    assert (settings.persona, settings.language, settings.units) == (
        Persona.SUPPORTIVE,
        "en",
        Units.METRIC,
    )
    assert settings.models == (DEFAULT_MODEL, DEFAULT_FALLBACK_MODEL)
    assert DEFAULT_MODEL == "gemini-2.5-flash"
    assert DEFAULT_FALLBACK_MODEL == "gemini-2.5-flash-lite"


def test_plain_strings_from_stored_options() -> None:
    settings = CoachSettings(persona="data_nerd", units="imperial", language=" VI_vn ")  # type: ignore[arg-type]
    assert settings.persona is Persona.DATA_NERD
    assert settings.units is Units.IMPERIAL
    assert settings.language == "vi"
    assert settings == CoachSettings(persona=Persona.DATA_NERD, units=Units.IMPERIAL, language="vi")
    with pytest.raises(ValueError, match="chatty"):
        CoachSettings(persona="chatty")  # type: ignore[arg-type]


def test_models_and_offline_language() -> None:
    assert CoachSettings(fallback_model=None).models == (DEFAULT_MODEL,)
    assert CoachSettings(model="m", fallback_model="m").models == ("m",)
    assert CoachSettings(language="vi").offline_language == "vi"
    assert CoachSettings(language="fr").offline_language == "en"
    assert CoachSettings(language="").language == "en"


def test_formatting() -> None:
    assert fmt_distance(8123, Units.METRIC) == "8.1 km"
    assert fmt_distance(16093.44, Units.IMPERIAL) == "10.0 mi"
    assert fmt_pace(300, Units.METRIC) == "5:00/km"
    assert fmt_pace(300, Units.IMPERIAL) == "8:03/mi"
    assert fmt_pace(359.6, Units.METRIC) == "6:00/km"
    for unknown in (None, 0.0, float("inf")):
        assert fmt_pace(unknown, Units.METRIC) == "-"
    assert fmt_duration(6300) == "1:45:00"
    assert fmt_duration(2852.4) == "47:32"
    assert fmt_duration(-5) == "0:00"
    assert pace_of(10000, 3000) == 300
    assert pace_of(0, 3000) is None
    assert pace_of(1000, 0) is None
