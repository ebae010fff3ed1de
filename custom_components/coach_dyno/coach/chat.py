"""
Chatting with the coach from a chat app: its commands, their words, and replies cut to fit.

A chat app limits a message's length (Telegram: 4,096 UTF-16 units), so a reply is cut into parts
at paragraph, line or word boundaries, and a reply too long for MAX_MESSAGES parts ends with "…".
"""

from __future__ import annotations

import re
from typing import Final

from .settings import CoachSettings

COMMANDS: Final = ("briefing", "week", "last", "plan", "race", "pause", "resume", "help")
# Telegram sends /start when someone opens a chat with the bot: it gets the help.
_ALIASES: Final = {"start": "help"}
TELEGRAM_MAX_LENGTH: Final = 4096
MAX_MESSAGES: Final = 5
CUT_MARK: Final = " …"

_COMMAND: Final = re.compile(r"/([A-Za-z0-9_]+)(?:@\S*)?(?:\s|$)")

_STRINGS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "help": (
            "I am Coach Dyno, your running coach. Ask me anything about your training, or send "
            "a command:\n"
            "/briefing - today's briefing\n"
            "/week - the weekly report\n"
            "/last - the analysis of your latest run\n"
            "/plan - your next 7 days\n"
            "/race - race countdown and prediction\n"
            "/pause - pause the scheduled briefings\n"
            "/resume - resume them\n"
            "/help - this list"
        ),
        "unknown": "I do not know the command /{command}.",
        "paused": "Scheduled briefings are paused. Send /resume to get them again.",
        "resumed": "Scheduled briefings are back on.",
        "no_runs": "No runs recorded yet.",
        "failed": "The coach cannot answer right now; please try again later.",
    },
    "vi": {
        "help": (
            "Tôi là Coach Dyno, huấn luyện viên chạy bộ của bạn. Hãy hỏi tôi bất cứ điều gì về "
            "việc tập luyện, hoặc gửi một lệnh:\n"
            "/briefing - bản tin hôm nay\n"
            "/week - báo cáo tuần\n"
            "/last - phân tích buổi chạy gần nhất\n"
            "/plan - kế hoạch 7 ngày tới\n"
            "/race - đếm ngược và dự đoán thành tích giải\n"
            "/pause - tạm dừng các bản tin định kỳ\n"
            "/resume - bật lại các bản tin\n"
            "/help - danh sách này"
        ),
        "unknown": "Tôi không biết lệnh /{command}.",
        "paused": "Đã tạm dừng các bản tin định kỳ. Gửi /resume để nhận lại.",
        "resumed": "Các bản tin định kỳ đã được bật lại.",
        "no_runs": "Chưa có buổi chạy nào được ghi lại.",
        "failed": "Huấn luyện viên chưa trả lời được lúc này; bạn hãy thử lại sau.",
    },
}


def text(key: str, settings: CoachSettings, **values: str) -> str:
    """Return one of the chat's texts in the coach's language."""
    return _STRINGS[settings.offline_language][key].format(**values)


def parse_command(message: str) -> str | None:
    """
    Return the command a message is, lower case ("/Plan@my_bot" -> "plan"), or None for a question.

    An unknown command comes back as it is; the caller says it is unknown.
    """
    match = _COMMAND.match(message.strip())
    if match is None:
        return None
    command = match.group(1).lower()
    return _ALIASES.get(command, command)


def utf16_length(value: str) -> int:
    """Return the length of `value` in UTF-16 code units, the unit Telegram counts in."""
    return len(value.encode("utf-16-le")) // 2


def split_message(
    message: str, max_length: int = TELEGRAM_MAX_LENGTH, max_parts: int = MAX_MESSAGES
) -> list[str]:
    """
    Cut a message into at most `max_parts` parts of at most `max_length` UTF-16 units.

    Each cut falls on the last paragraph break, else line break, else space in the second half of
    the part (a word longer than that is cut where it must); the whitespace at a cut is dropped.
    When the message needs more parts, the last one ends with CUT_MARK.
    """
    parts: list[str] = []
    rest = message.strip()
    while rest:
        if utf16_length(rest) <= max_length:
            parts.append(rest)
            break
        last = len(parts) == max_parts - 1
        budget = max_length - utf16_length(CUT_MARK) if last else max_length
        cut = _cut_at(rest, budget)
        part, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if last:
            parts.append(part + CUT_MARK)
            break
        parts.append(part)
    return parts


def _cut_at(message: str, budget: int) -> int:
    """Return where to cut `message` so the part before fits in `budget` UTF-16 units."""
    size = min(len(message), budget)
    while (excess := utf16_length(message[:size]) - budget) > 0:
        # A character is one or two units: dropping half the excess overshoots by one at most.
        size -= (excess + 1) // 2
    for separator in ("\n\n", "\n", " "):
        # A separator may start right after the window: the part then ends the window exactly.
        at = message.rfind(separator, size // 2, size + len(separator))
        if at > 0:
            return at
    return size
