"""Conversation memory: the last few questions and answers, bounded and persistable."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Self

DEFAULT_MAX_TURNS: Final = 10
# A voice or chat conversation: a household's worth at once, forgotten after half an hour idle.
DEFAULT_MAX_CONVERSATIONS: Final = 32
DEFAULT_IDLE_S: Final = 1800.0
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
    Memories per conversation id, for an agent that talks with several people at once.

    Bounded twice: each memory keeps `max_turns` exchanges, and at most `max_ids` conversations are
    kept, the least recently used going first; one idle for `idle_s` seconds is forgotten.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        max_ids: int = DEFAULT_MAX_CONVERSATIONS,
        idle_s: float = DEFAULT_IDLE_S,
        max_turns: int = DEFAULT_MAX_TURNS,
    ) -> None:
        """Keep conversations on `clock` (seconds, monotonic)."""
        self._clock = clock
        self._max_ids = max_ids
        self._idle_s = idle_s
        self._max_turns = max_turns
        self._memories: OrderedDict[str, tuple[ConversationMemory, float]] = OrderedDict()

    def __len__(self) -> int:
        """Return how many conversations are kept."""
        return len(self._memories)

    def get(self, conversation_id: str) -> ConversationMemory:
        """Return the memory of `conversation_id`, a new one if it is unknown or expired."""
        now = self._clock()
        for stale in [
            key for key, (_, used) in self._memories.items() if now - used > self._idle_s
        ]:
            del self._memories[stale]
        memory = self._memories.pop(conversation_id, (None, now))[0]
        if memory is None:
            memory = ConversationMemory(self._max_turns)
        self._memories[conversation_id] = (memory, now)
        while len(self._memories) > self._max_ids:
            self._memories.popitem(last=False)
        return memory
