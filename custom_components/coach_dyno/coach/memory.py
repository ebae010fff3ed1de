"""Conversation memory: the last few questions and answers, bounded and persistable."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Self

DEFAULT_MAX_TURNS: Final = 10
# Conversations kept besides the default one (a chat each); the least recently used goes first.
MAX_CONVERSATIONS: Final = 10
# Long answers are kept whole for display but cut when stored, so a file never grows without bound.
MAX_STORED_CHARS: Final = 4000


@dataclass(frozen=True, slots=True)
class Exchange:
    """One question and the coach's answer."""

    question: str
    answer: str


class ConversationMemory:
    """The last `max_turns` exchanges of one athlete's conversation with the coach, oldest first."""

    def __init__(self, max_turns: int = DEFAULT_MAX_TURNS) -> None:
        """Create an empty memory holding at most `max_turns` exchanges."""
        if max_turns < 1:
            raise ValueError(f"max_turns must be >= 1, got {max_turns!r}")
        self._max_turns = max_turns
        self._turns: deque[Exchange] = deque(maxlen=max_turns)

    @property
    def max_turns(self) -> int:
        """How many exchanges are kept."""
        return self._max_turns

    @property
    def turns(self) -> tuple[Exchange, ...]:
        """The kept exchanges, oldest first."""
        return tuple(self._turns)

    def __len__(self) -> int:
        """Return the number of kept exchanges."""
        return len(self._turns)

    def __iter__(self) -> Iterator[Exchange]:
        """Iterate the kept exchanges, oldest first."""
        return iter(tuple(self._turns))

    def add(self, question: str, answer: str) -> None:
        """Remember an exchange; the oldest one goes when the memory is full."""
        self._turns.append(Exchange(question[:MAX_STORED_CHARS], answer[:MAX_STORED_CHARS]))

    def clear(self) -> None:
        """Forget everything."""
        self._turns.clear()

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict for persistence."""
        return {
            "max_turns": self.max_turns,
            "turns": [{"q": turn.question, "a": turn.answer} for turn in self._turns],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Self:
        """Rebuild a memory from `as_dict` output; unreadable entries are skipped, never fatal."""
        if not data:
            return cls()
        max_turns = data.get("max_turns", DEFAULT_MAX_TURNS)
        memory = cls(
            max_turns if isinstance(max_turns, int) and max_turns > 0 else DEFAULT_MAX_TURNS
        )
        turns = data.get("turns")
        for turn in turns if isinstance(turns, list) else ():
            if not isinstance(turn, Mapping):
                continue
            question, answer = turn.get("q"), turn.get("a")
            if isinstance(question, str) and isinstance(answer, str):
                memory.add(question, answer)
        return memory


class Conversations:
    """
    One athlete's conversations: the default one and up to MAX_CONVERSATIONS others, by id.

    Persisted as the default conversation's dict (the format files had before ids existed) with
    the others under "conversations", least recently used first.
    """

    def __init__(self, default: ConversationMemory | None = None) -> None:
        """Start with `default` (or an empty memory) and no other conversation."""
        self.default = default if default is not None else ConversationMemory()
        self._by_id: OrderedDict[str, ConversationMemory] = OrderedDict()

    def __len__(self) -> int:
        """Return the number of conversations kept besides the default one."""
        return len(self._by_id)

    def __contains__(self, memory: object) -> bool:
        """Whether `memory` is one of these conversations."""
        return memory is self.default or any(memory is kept for kept in self._by_id.values())

    def get(self, conversation_id: str | None) -> ConversationMemory:
        """Return the conversation `conversation_id` (the default one for None or "")."""
        if not conversation_id:
            return self.default
        return self._keep(conversation_id, self._by_id.pop(conversation_id, None))

    def _keep(self, conversation_id: str, memory: ConversationMemory | None) -> ConversationMemory:
        """Keep `memory` (a new one for None) as the most recently used; drop the oldest beyond the bound."""
        kept = self._by_id[conversation_id] = memory or ConversationMemory()
        while len(self._by_id) > MAX_CONVERSATIONS:
            self._by_id.popitem(last=False)
        return kept

    def forget(self, conversation_id: str | None) -> None:
        """Empty the default conversation (None or ""), or drop the conversation `conversation_id`."""
        if conversation_id:
            self._by_id.pop(conversation_id, None)
        else:
            self.default.clear()

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict for persistence."""
        return {
            **self.default.as_dict(),
            "conversations": {key: memory.as_dict() for key, memory in self._by_id.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Self:
        """Rebuild from `as_dict` output (or a file from before ids); unreadable parts are skipped."""
        conversations = cls(ConversationMemory.from_dict(data))
        stored = (data or {}).get("conversations")
        for key, value in stored.items() if isinstance(stored, Mapping) else ():
            if isinstance(key, str) and key and isinstance(value, Mapping):
                conversations._keep(key, ConversationMemory.from_dict(value))
        return conversations
