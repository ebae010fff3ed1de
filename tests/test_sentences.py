"""Tests for the custom sentences that route the built-in Assist agent to Coach Dyno's intents."""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import Any

from hassil.intents import Intents
from hassil.recognize import recognize_all
from hassil.sample import sample_intents
from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
import pytest
import yaml

SENTENCE_DIR = Path(__file__).resolve().parent.parent / "custom_sentences"
SENTENCES = SENTENCE_DIR / "en" / "coach_dyno.yaml"
LANGUAGES = ("en", "vi")
INTENT_NAMES = {
    "CoachDynoWeeklyDistance",
    "CoachDynoDistance",
    "CoachDynoTrainingLoad",
    "CoachDynoRaceCountdown",
    "CoachDynoRacePrediction",
    "CoachDynoTrainingForm",
    "CoachDynoLatestRun",
    "CoachDynoTodaySession",
    "CoachDynoTomorrowSession",
    "CoachDynoBriefing",
    "CoachDynoPauseBriefings",
    "CoachDynoResumeBriefings",
}

# How people actually ask, written by hand (with the punctuation and case speech-to-text produces).
QUESTIONS = [
    ("How far did I run this week?", "CoachDynoWeeklyDistance"),
    ("how many kilometers have I run this week", "CoachDynoWeeklyDistance"),
    ("What's my weekly mileage?", "CoachDynoWeeklyDistance"),
    ("How many days until my race?", "CoachDynoRaceCountdown"),
    ("how many weeks until my half marathon", "CoachDynoRaceCountdown"),
    ("When is my next race?", "CoachDynoRaceCountdown"),
    ("How is my form?", "CoachDynoTrainingForm"),
    ("Am I fresh?", "CoachDynoTrainingForm"),
    ("am I ready for a hard workout", "CoachDynoTrainingForm"),
    ("How was my last run?", "CoachDynoLatestRun"),
    ("Tell me about my latest run.", "CoachDynoLatestRun"),
    ("What is my training today?", "CoachDynoTodaySession"),
    ("Give me my briefing.", "CoachDynoBriefing"),
    ("what should I run today", "CoachDynoTodaySession"),
    ("How much did I run last week?", "CoachDynoDistance"),
    ("What's my training load?", "CoachDynoTrainingLoad"),
    ("Am I on track for my race?", "CoachDynoRacePrediction"),
    ("What is my predicted race time?", "CoachDynoRacePrediction"),
    ("What's on the plan for tomorrow?", "CoachDynoTomorrowSession"),
    ("Pause the briefings.", "CoachDynoPauseBriefings"),
    ("Resume my briefings", "CoachDynoResumeBriefings"),
    ("Tuần trước tôi chạy được bao xa?", "CoachDynoDistance"),
    ("Hôm nay tôi tập gì?", "CoachDynoTodaySession"),
]

# Sentences that must reach Home Assistant's own intents (or nobody), never the coach.
NOT_COACH = [
    "turn on the kitchen light",
    "what is the weather like today",
    "how far is the moon",
    "set a timer for five minutes",
    "what time is it",
]


def _load(language: str = "en") -> dict[str, Any]:
    """Read a language's sentence file the way Home Assistant does (plain YAML)."""
    path = SENTENCE_DIR / language / SENTENCES.name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _language_of(text: str) -> str:
    """Tell Vietnamese from English by its letters."""
    return "vi" if any(ord(char) > 127 for char in text) else "en"


def _matches(text: str, intents: Intents) -> set[str]:
    """Return the names of every intent a text matches."""
    return {result.intent.name for result in recognize_all(text, intents)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_sentence_file_shape(language: str) -> None:
    """The file is Home Assistant's custom sentences format with 4 to 8 templates per intent."""
    data = _load(language)
    assert data["language"] == language
    assert set(data["intents"]) == INTENT_NAMES
    for name, spec in data["intents"].items():
        templates = [sentence for block in spec["data"] for sentence in block["sentences"]]
        assert 4 <= len(templates) <= 8, name
        assert len(set(templates)) == len(templates), name


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sentence_matches_only_its_intent(language: str) -> None:
    """Each expansion of each template is recognised as its own intent and no other."""
    intents = Intents.from_dict(_load(language))
    sampled: dict[str, int] = dict.fromkeys(INTENT_NAMES, 0)
    for name, text in sample_intents(intents):
        assert _matches(text, intents) == {name}, text
        sampled[name] += 1
    # Templates use alternatives and optionals, so each intent expands to several sentences.
    assert all(count >= 4 for count in sampled.values()), sampled


@pytest.mark.parametrize(("text", "expected"), QUESTIONS)
def test_natural_questions(text: str, expected: str) -> None:
    """Everyday phrasings reach the intended coach intent."""
    assert _matches(text, Intents.from_dict(_load(_language_of(text)))) == {expected}


@pytest.mark.parametrize("text", NOT_COACH)
def test_unrelated_sentences_do_not_match(text: str) -> None:
    """Ordinary home commands and questions are left alone."""
    assert _matches(text, Intents.from_dict(_load())) == set()


class _RecordingHandler(intent.IntentHandler):
    """Answer an intent with its own name and remember that it was asked."""

    def __init__(self, intent_type: str, seen: list[str]) -> None:
        """Handle intent_type and append it to seen when called."""
        self.intent_type = intent_type
        self._seen = seen

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """Record the call and speak the intent's name."""
        self._seen.append(intent_obj.intent_type)
        response = intent_obj.create_response()
        response.async_set_speech(f"handled {intent_obj.intent_type}")
        return response


@pytest.fixture
async def assist_hass(hass: HomeAssistant, tmp_path: Path) -> tuple[HomeAssistant, list[str]]:
    """Home Assistant's default Assist agent with the file installed as a user would install it."""
    hass.config.config_dir = str(tmp_path)
    target = Path(hass.config.path("custom_sentences", "en", SENTENCES.name))
    await hass.async_add_executor_job(lambda: target.parent.mkdir(parents=True))
    await hass.async_add_executor_job(shutil.copyfile, SENTENCES, target)
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    assert await async_setup_component(hass, "intent", {})
    seen: list[str] = []
    for name in sorted(INTENT_NAMES):
        intent.async_register(hass, _RecordingHandler(name, seen))
    return hass, seen


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how far did I run this week", "CoachDynoWeeklyDistance"),
        ("how many days until my race", "CoachDynoRaceCountdown"),
        ("am I fresh today", "CoachDynoTrainingForm"),
        ("how was my last run", "CoachDynoLatestRun"),
        ("give me my morning briefing", "CoachDynoBriefing"),
    ],
)
async def test_assist_routes_to_coach_intents(
    assist_hass: tuple[HomeAssistant, list[str]], text: str, expected: str
) -> None:
    """Home Assistant's own agent loads the file and hands each question to the coach's intent."""
    hass, seen = assist_hass
    result = await conversation.async_converse(hass, text, None, Context(), language="en")
    assert seen == [expected]
    assert result.response.response_type == intent.IntentResponseType.ACTION_DONE
    assert result.response.speech["plain"]["speech"] == f"handled {expected}"


def _readme_sentences() -> list[str]:
    """Return every sentence the README's table of Assist sentences promises."""
    readme = (SENTENCE_DIR.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Assist without an LLM: the sentences", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and '"' in line]
    return [
        sentence
        for row in rows
        for cell in row.split("|")[2:]
        for sentence in cell.split('"')[1::2]
    ]


def test_readme_sentences_work() -> None:
    """Every sentence the README lists reaches exactly one coach intent in its language."""
    sentences = _readme_sentences()
    assert len(sentences) >= 40
    for text in sentences:
        assert len(_matches(text, Intents.from_dict(_load(_language_of(text))))) == 1, text
