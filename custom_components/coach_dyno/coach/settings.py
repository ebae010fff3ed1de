"""The coach's settings: persona, language, units and Gemini models."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .gemini import DEFAULT_FALLBACK_MODEL, DEFAULT_MODEL


class Persona(StrEnum):
    """
    How the coach talks.

    - supportive: warm and encouraging; problems become next steps, never guilt.
    - direct: short sentences, the key number and the instruction, no small talk.
    - data_nerd: cites the metrics (CTL, ATL, TSB, ACWR, efficiency, drift) and says what they mean.
    """

    SUPPORTIVE = "supportive"
    DIRECT = "direct"
    DATA_NERD = "data_nerd"


class Units(StrEnum):
    """Units of the texts: kilometres and min/km, or miles and min/mi."""

    METRIC = "metric"
    IMPERIAL = "imperial"


# The offline coach speaks these; Gemini is told to answer in any language by name.
OFFLINE_LANGUAGES: Final = ("en", "vi")


@dataclass(frozen=True, slots=True, kw_only=True)
class CoachSettings:
    """Everything that shapes what the coach says; changing any of it invalidates its caches."""

    persona: Persona = Persona.SUPPORTIVE
    language: str = "en"
    units: Units = Units.METRIC
    model: str = DEFAULT_MODEL
    fallback_model: str | None = DEFAULT_FALLBACK_MODEL

    def __post_init__(self) -> None:
        """Accept plain strings from stored options and normalise the language code."""
        object.__setattr__(self, "persona", Persona(self.persona))
        object.__setattr__(self, "units", Units(self.units))
        object.__setattr__(self, "language", normalize_language(self.language))

    @property
    def models(self) -> tuple[str, ...]:
        """The models to try, in order."""
        if self.fallback_model and self.fallback_model != self.model:
            return (self.model, self.fallback_model)
        return (self.model,)

    @property
    def offline_language(self) -> str:
        """The language the offline coach uses (English when it does not speak the chosen one)."""
        return self.language if self.language in OFFLINE_LANGUAGES else "en"


def normalize_language(code: str) -> str:
    """Reduce a language tag to its primary subtag: "vi-VN" -> "vi", "EN" -> "en"."""
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary or "en"
