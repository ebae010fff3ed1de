"""Conversation memory: bounded, persistable, forgiving of what it reads back."""

from __future__ import annotations

import json

import pytest

from custom_components.coach_dyno.coach.memory import (
    DEFAULT_MAX_TURNS,
    MAX_CONVERSATIONS,
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


def test_conversations_by_id_are_separate_and_bounded() -> None:
    """Each id has its own memory; beyond the bound the least recently used id is dropped."""
    conversations = Conversations()
    assert conversations.get(None) is conversations.get("") is conversations.default
    first = conversations.get("telegram_1")
    first.add("How far?", "20 km.")
    assert conversations.get("telegram_1") is first
    assert len(conversations.get("telegram_2")) == 0
    assert len(conversations.default) == 0

    for index in range(MAX_CONVERSATIONS):
        conversations.get(f"chat_{index}")
    assert len(conversations) == MAX_CONVERSATIONS
    assert first not in conversations
    assert conversations.default in conversations
    assert len(conversations.get("telegram_1")) == 0


def test_conversations_round_trip_and_forget() -> None:
    """Saved and read back, every conversation keeps its turns and its place in the order."""
    conversations = Conversations()
    conversations.default.add("Default?", "Yes.")
    conversations.get("a").add("A?", "a.")
    conversations.get("b").add("B?", "b.")
    conversations.get("a")  # used last
    data = json.loads(json.dumps(conversations.as_dict()))
    assert list(data["conversations"]) == ["b", "a"]
    assert data["turns"] == [{"q": "Default?", "a": "Yes."}]

    restored = Conversations.from_dict(data)
    assert restored.default.turns == conversations.default.turns
    assert restored.get("a").turns == (Exchange("A?", "a."),)
    assert restored.as_dict()["conversations"].keys() == {"a", "b"}

    restored.forget("a")
    assert "a" not in restored.as_dict()["conversations"]
    restored.forget(None)
    assert len(restored.default) == 0
    assert restored.get("b").turns == (Exchange("B?", "b."),)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"turns": [{"q": "Old file?", "a": "Yes."}]},
        {"conversations": "not a mapping"},
        {"conversations": {"": {"turns": []}, "x": "not a memory", "ok": {"turns": []}}},
    ],
)
def test_conversations_read_old_and_damaged_files(data: dict[str, object] | None) -> None:
    """A file from before ids, or with damaged conversations, loads what it can."""
    conversations = Conversations.from_dict(data)
    assert set(conversations.as_dict()["conversations"]) <= {"ok"}
    if data and "turns" in data:
        assert conversations.default.turns == (Exchange("Old file?", "Yes."),)
