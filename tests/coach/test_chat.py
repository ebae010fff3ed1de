"""Chat commands and replies cut to a chat app's limit."""

from __future__ import annotations

import pytest

from custom_components.coach_dyno.coach import CoachSettings
from custom_components.coach_dyno.coach.chat import (
    COMMANDS,
    CUT_MARK,
    MAX_MESSAGES,
    TELEGRAM_MAX_LENGTH,
    parse_command,
    split_message,
    text,
    utf16_length,
)


@pytest.mark.parametrize(
    ("message", "command"),
    [
        ("/plan", "plan"),
        ("  /Plan  ", "plan"),
        ("/race now please", "race"),
        ("/briefing@coach_dyno_bot", "briefing"),
        ("/start", "help"),
        ("/dance", "dance"),
        ("How far did I run?", None),
        ("what is /plan", None),
        ("/", None),
        ("/ plan", None),
    ],
)
def test_parse_command(message: str, command: str | None) -> None:
    assert parse_command(message) == command


def test_short_message_is_one_part() -> None:
    assert split_message("  Easy run today.  ") == ["Easy run today."]
    assert split_message("   ") == []


def test_cuts_at_paragraphs_then_lines_then_words() -> None:
    paragraph = "word " * 30  # 150 characters
    message = f"{paragraph.strip()}\n\n{paragraph.strip()}\n{paragraph.strip()}"
    # The paragraph break is in the second half of a 200-character part: cut there.
    parts = split_message(message, max_length=200)
    assert parts[0] == paragraph.strip()
    # Without paragraph breaks, the line break; without either, a space.
    assert split_message(message.replace("\n\n", " "), max_length=200)[0].endswith("word")
    lines = split_message(message.replace("\n\n", " ").replace("\n", " "), max_length=200)
    assert all(len(part) <= 200 for part in lines)
    assert " ".join(lines).split() == message.split()


def test_a_word_longer_than_a_message_is_cut_where_it_must() -> None:
    assert split_message("a" * 250, max_length=100) == ["a" * 100, "a" * 100, "a" * 50]


def test_telegram_counts_utf16_units() -> None:
    """An emoji is two units for Telegram: a part never goes over in units, nor splits one."""
    message = "🏃" * 3000
    parts = split_message(message)
    assert [utf16_length(part) for part in parts] == [4096, 1904]
    assert "".join(parts) == message


def test_at_most_five_parts_the_last_saying_it_was_cut() -> None:
    message = "stride " * 5000
    parts = split_message(message)
    assert len(parts) == MAX_MESSAGES
    assert all(utf16_length(part) <= TELEGRAM_MAX_LENGTH for part in parts)
    assert parts[-1].endswith(f"stride{CUT_MARK}")
    words = " ".join(parts).split()
    assert words[:-1] == message.split()[: len(words) - 1]
    # Exactly five full parts need no mark.
    exact = "\n\n".join(["x" * 4000] * 5)
    assert split_message(exact) == ["x" * 4000] * 5


def test_texts_in_both_languages() -> None:
    """Every text exists in English and Vietnamese, and the help lists every command."""
    for language in ("en", "vi"):
        settings = CoachSettings(language=language)
        help_text = text("help", settings)
        assert all(f"/{command} - " in help_text for command in COMMANDS)
        assert "/dance" in text("unknown", settings, command="dance")
    assert text("paused", CoachSettings(language="vi")).startswith("Đã tạm dừng")
    # A language the offline coach does not speak gets English.
    assert text("resumed", CoachSettings(language="de")) == "Scheduled briefings are back on."
