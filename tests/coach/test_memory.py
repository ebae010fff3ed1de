"""Conversation memory: bounded, persistable, forgiving of what it reads back."""

from __future__ import annotations

import json

import pytest

from custom_components.coach_dyno.coach.memory import (
    DEFAULT_MAX_TURNS,
    MAX_STORED_CHARS,
    ConversationMemory,
    Conversations,
    Exchange,
)


def test_keeps_only_the_last_turns() -> None:
    memory = ConversationMemory(max_turns=3)
    for index in range(5):
        memory.add(f"q{index}", f"a{index}")
    assert len(memory) == 3
    assert [turn.question for turn in memory] == ["q2", "q3", "q4"]
    assert memory.turns[-1] == Exchange("q4", "a4")


def test_default_size_is_ten_turns() -> None:
    memory = ConversationMemory()
    for index in range(12):
        memory.add(str(index), str(index))
    assert memory.max_turns == DEFAULT_MAX_TURNS == 10
    assert len(memory) == 10


def test_long_texts_are_cut_when_stored() -> None:
    memory = ConversationMemory()
    memory.add("q" * (MAX_STORED_CHARS + 10), "a" * (MAX_STORED_CHARS * 2))
    (turn,) = memory.turns
    assert len(turn.question) == len(turn.answer) == MAX_STORED_CHARS


def test_round_trip_through_json() -> None:
    memory = ConversationMemory(max_turns=4)
    memory.add("How far?", "20 km.")
    memory.add("Tuần này?", "Hai mươi km.")
    restored = ConversationMemory.from_dict(json.loads(json.dumps(memory.as_dict())))
    assert restored.turns == memory.turns
    assert restored.max_turns == 4


def test_clear() -> None:
    memory = ConversationMemory()
    memory.add("q", "a")
    memory.clear()
    assert len(memory) == 0
    assert memory.as_dict()["turns"] == []


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"turns": "nope"},
        {"max_turns": "ten", "turns": [None, {"q": 1, "a": "x"}, {"q": "kept", "a": "yes"}]},
        {"max_turns": -2, "turns": [{"q": "kept", "a": "yes"}]},
    ],
)
def test_unreadable_data_is_skipped(data: dict[str, object] | None) -> None:
    memory = ConversationMemory.from_dict(data)
    assert memory.max_turns == DEFAULT_MAX_TURNS
    assert all(turn == Exchange("kept", "yes") for turn in memory)


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_turns"):
        ConversationMemory(max_turns=0)


def test_conversations_are_bounded_in_ids_turns_and_time() -> None:
    """The least recently used conversation goes first; an idle one expires; each keeps few turns."""
    now = [0.0]
    book = Conversations(lambda: now[0], max_ids=2, idle_s=60.0, max_turns=2)
    kitchen = book.get("kitchen")
    for turn in range(3):
        kitchen.add(f"q{turn}", f"a{turn}")
    assert [turn.question for turn in kitchen] == ["q1", "q2"]
    book.get("bedroom")
    assert book.get("kitchen") is kitchen
    book.get("car")  # bedroom was used least recently
    assert len(book) == 2
    assert book.get("kitchen") is kitchen
    now[0] = 61.0
    assert len(book.get("kitchen")) == 0
    assert len(book) == 1
