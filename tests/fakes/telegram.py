r"""
A loopback fake of the Telegram Bot API, recording every message a bot sends.

It speaks the real protocol, so python-telegram-bot (and Home Assistant's `telegram_bot` on top of
it) runs against it unchanged, given the fake's URL as the bot's base URL:

- Requests are `GET|POST {base_url}/bot{token}/{method}`; method names are case-insensitive, as on
  Telegram. Parameters come from the query string and from a form-encoded, multipart or JSON body
  (python-telegram-bot 21.x and 22.x send `application/x-www-form-urlencoded`, non-string values
  JSON-encoded). Replies are `{"ok": true, "result": ...}` or
  `{"ok": false, "error_code": ..., "description": ...}` with the same HTTP status.
- Methods: `getMe`, `sendMessage`, `getChat`, `sendChatAction`, `getUpdates` (always empty),
  `deleteWebhook`, `setWebhook`, `getWebhookInfo`, `setMyCommands`, `logOut` and `close`. Any other
  method answers 404 "Not Found: method not found", as the Bot API server does.
- A token that is not `<digits>:<letters>` answers 404 "Not Found"; a well-formed token other than
  the fake's answers 401 "Unauthorized", as on Telegram (python-telegram-bot raises InvalidToken).
- `sendMessage` to a chat id outside `known_chats` answers 400 "Bad Request: chat not found" (what a
  user who never started the bot gets); an empty text 400 "Bad Request: message text is empty"; a
  text longer than 4096 UTF-16 units once parsed 400 "Bad Request: message is too long"; an unknown
  `parse_mode` 400 "Bad Request: unsupported parse_mode".
- `parse_mode` (case-insensitive, as on Telegram) "Markdown", "MarkdownV2" or "HTML" parses the text
  the way Telegram does, in a simplified form, and refuses malformed markup with 400
  "Bad Request: can't parse entities: <reason>", Telegram's reasons and byte offsets included:

  - Markdown (legacy): `*bold*`, `_italic_`, `` `code` ``, ```` ```pre``` ```` and `[text](url)`;
    a backslash escapes `_`, `*`, `` ` `` and `[`; entities do not nest. An entity opened and never
    closed gives "Can't find end of the entity starting at byte offset N" (N: the UTF-8 offset of
    the opening marker): in effect an unpaired `*`, `_` or backtick outside another entity, as in
    "tempo_run", is refused. An unclosed `(url)` is not checked.
  - MarkdownV2: the entities above plus `__underline__`, `~strike~`, `||spoiler||`,
    `![emoji](tg://emoji?id=...)` and `>` quotes at line starts; a backslash escapes any ASCII
    character.
    An unclosed entity gives "Can't find end of <Bold|Italic|Underline|Strikethrough|Spoiler|Code|
    Pre|PreCode|TextUrl|CustomEmoji> entity at byte offset N"; an unescaped ``_*[]()~`>#+-=|{}.!``
    that opens nothing gives "Character 'c' is reserved and must be escaped with the preceding
    '\'"; an unclosed link URL "Can't find end of a URL at byte offset N".
  - HTML: the tags Telegram supports (`b strong i em u ins s strike del a code pre span tg-spoiler
    tg-emoji blockquote`; attributes are not checked) and the entities `&lt; &gt; &amp; &quot;` and
    numeric ones. Errors: 'Unsupported start tag "x" at byte offset N', "Unclosed start tag at byte
    offset N", "Unexpected end tag at byte offset N", 'Unmatched end tag at byte offset N, expected
    "</b>", found "</i>"' and 'Can't find end tag corresponding to start tag "b"'.

  The parser is a model, not Telegram's: well-formed markup is accepted and the usual mistakes are
  refused with Telegram's wording, but rare corner cases (nesting rules, URL validation) may differ.
- An accepted `sendMessage` answers a Message (message_id counted per chat, date, from, chat, text
  with the markup removed; entities are left out) and is appended to `messages`. Every request,
  refused or not, is appended to `calls`.

Use it as `async with FakeTelegram() as telegram:` in any async test, or through the
`fake_telegram` fixture (import it into the test module or a conftest). Sockets: Home Assistant's
test harness blocks them, so the fixture requests pytest-socket's `socket_enabled`; direct users must
do the same.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
import html
import itertools
import json
import re
import time
from typing import Any, Self

from aiohttp import web
import pytest

BOT_ID = 7_301_234_567
TOKEN = f"{BOT_ID}:AAHf4keT0kenF0rCoachDyn0Tests-xyz12"
BOT_USERNAME = "coach_dyno_test_bot"
MAX_MESSAGE_LENGTH = 4096  # UTF-16 code units, after entity parsing
PARSE_ERROR = "Bad Request: can't parse entities: "

_WELL_FORMED_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
_V1_MARKERS = {"*": "*", "_": "_", "`": "`", "[": "]"}
_V2_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
    "![": "CustomEmoji",
}
_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span"}
    | {"tg-spoiler", "tg-emoji", "blockquote"}
)
_HTML_ENTITY = re.compile(r"&(?:#(\d+)|#[xX]([0-9a-fA-F]+)|(lt|gt|amp|quot))(;?)")
_HTML_START_TAG = re.compile(r"<([A-Za-z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")


class EntityParseError(ValueError):
    """Telegram refused the markup: the reason is what follows "can't parse entities: "."""


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One Bot API request as the fake saw it, and the HTTP status it answered."""

    method: str  # as in the URL (e.g. "sendMessage")
    params: dict[str, Any]  # query and body parameters, JSON-encoded values decoded
    status: int


def _byte_offset(text: str, index: int) -> int:
    """Return the UTF-8 byte offset of `text[index]`, the unit Telegram's errors count in."""
    return len(text[:index].encode())


def _utf16_length(text: str) -> int:
    """Return the length of `text` in UTF-16 code units, the unit Telegram's limits count in."""
    return len(text.encode("utf-16-le")) // 2


# ----- markup parsers (return the text as displayed; raise EntityParseError) -------------------


def parse_markdown(text: str) -> str:
    """Parse legacy Markdown the way Telegram does: flat entities that must be closed."""
    out: list[str] = []
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if char == "\\" and i + 1 < size and text[i + 1] in _V1_MARKERS:
            out.append(text[i + 1])
            i += 2
            continue
        if char not in _V1_MARKERS:
            out.append(char)
            i += 1
            continue
        start = i
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise _unclosed_v1(text, start)
            body = text[i + 3 : end]
            language, newline, rest = body.partition("\n")
            if newline and language and not any(c.isspace() for c in language):
                body = rest
            out.append(body)
            i = end + 3
            continue
        end = text.find(_V1_MARKERS[char], i + 1)
        if end < 0:
            raise _unclosed_v1(text, start)
        out.append(text[i + 1 : end])
        i = end + 1
        if char == "[" and text.startswith("(", i):
            url_end = text.find(")", i)
            i = size if url_end < 0 else url_end + 1
    return "".join(out)


def _unclosed_v1(text: str, start: int) -> EntityParseError:
    offset = _byte_offset(text, start)
    return EntityParseError(f"Can't find end of the entity starting at byte offset {offset}")


def parse_markdown_v2(text: str) -> str:
    """Parse MarkdownV2 the way Telegram does: nested entities, every other marker escaped."""
    out: list[str] = []
    stack: list[tuple[str, int]] = []  # open markers and where they start
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if char == "\\" and i + 1 < size and 0 < ord(text[i + 1]) < 127:
            out.append(text[i + 1])
            i += 2
            continue
        if char == "`":
            i = _v2_code(text, i, out)
            continue
        if char == ">" and (i == 0 or text[i - 1] in "\r\n"):
            i += 1  # a block quote line
            continue
        marker = next((m for m in ("__", "||") if text.startswith(m, i)), None)
        if marker is None and char in "*_~":
            marker = char
        if marker is None and (char == "[" or text.startswith("![", i)):
            marker = "![" if char == "!" else "["
            stack.append((marker, i))
            i += len(marker)
            continue
        if marker is not None:
            if stack and stack[-1][0] == marker:
                stack.pop()
            else:
                stack.append((marker, i))
            i += len(marker)
            continue
        if char == "]" and stack and stack[-1][0] in ("[", "!["):
            opener, _ = stack.pop()
            i = _v2_link_end(text, i + 1, opener)
            continue
        if char in _V2_RESERVED:
            raise EntityParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(char)
        i += 1
    if stack:
        marker, start = stack[-1]
        raise _unclosed_v2(text, _V2_NAMES[marker], start)
    return "".join(out)


def _unclosed_v2(text: str, name: str, start: int) -> EntityParseError:
    return EntityParseError(
        f"Can't find end of {name} entity at byte offset {_byte_offset(text, start)}"
    )


def _find_unescaped(text: str, needle: str, start: int) -> int:
    """Return where `needle` next occurs at or after `start`, skipping backslash escapes."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(needle, i):
            return i
        i += 1
    return -1


def _v2_code(text: str, start: int, out: list[str]) -> int:
    """Parse inline code or a pre block starting at `start`; return where parsing resumes."""
    if text.startswith("```", start):
        end = _find_unescaped(text, "```", start + 3)
        body = text[start + 3 : end] if end >= 0 else text[start + 3 :]
        # A language is a first word ended by white space; one line break after it is dropped.
        language = re.match(r"[^\s`]+(?=\s)", body)
        if end < 0:
            raise _unclosed_v2(text, "PreCode" if language else "Pre", start)
        if language:
            body = re.sub(r"^(\r\n|\n|\r)", "", body[language.end() :])
        out.append(re.sub(r"\\(.)", r"\1", body))
        return end + 3
    end = _find_unescaped(text, "`", start + 1)
    if end < 0:
        raise _unclosed_v2(text, "Code", start)
    out.append(re.sub(r"\\(.)", r"\1", text[start + 1 : end]))
    return end + 1


def _v2_link_end(text: str, after: int, opener: str) -> int:
    """Skip a link's `(url)` after its `]`; return where parsing resumes."""
    if not text.startswith("(", after):
        if opener == "![":
            raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
        return after
    end = _find_unescaped(text, ")", after + 1)
    if end < 0:
        kind = "a custom emoji URL" if opener == "![" else "a URL"
        raise EntityParseError(
            f"Can't find end of {kind} at byte offset {_byte_offset(text, after + 1)}"
        )
    return end + 1


def parse_html(text: str) -> str:
    """Parse Telegram's HTML subset: supported tags, properly nested and closed."""
    out: list[str] = []
    stack: list[str] = []
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if char == "&" and (entity := _HTML_ENTITY.match(text, i)):
            number, hex_number, name, _ = entity.groups()
            if name:
                out.append(html.unescape(f"&{name};"))
                i = entity.end()
                continue
            code_point = int(number) if number else int(hex_number, 16)
            if code_point <= 0x10FFFF and not 0xD800 <= code_point <= 0xDFFF:
                out.append(chr(code_point))
                i = entity.end()
                continue
        if char != "<":
            out.append(char)
            i += 1
            continue
        offset = _byte_offset(text, i)
        if text.startswith("</", i):
            end = text.find(">", i)
            if not stack or i + 2 >= size:
                raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
            if end < 0:
                raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
            name = text[i + 2 : end].strip().lower()
            if name and name != stack[-1]:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
            i = end + 1
            continue
        tag = _HTML_START_TAG.match(text, i)
        if tag is None:
            raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
        name = tag.group(1).lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
        stack.append(name)
        i = tag.end()
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


PARSERS = {"markdown": parse_markdown, "markdownv2": parse_markdown_v2, "html": parse_html}


def render(text: str, parse_mode: str | None) -> str:
    """Return `text` as a Telegram client displays it once parsed with `parse_mode`."""
    mode = (parse_mode or "").lower()
    if mode in ("", "none"):
        return text
    return PARSERS[mode](text)


# ----- the fake ---------------------------------------------------------------------------------


class _ApiError(Exception):
    """A Bot API error reply."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class FakeTelegram:
    """A Telegram Bot API on 127.0.0.1 serving one bot, the chats it may talk to and its messages."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        first_name: str = "Coach Dyno",
        username: str = BOT_USERNAME,
        known_chats: Mapping[int, str] | None = None,
    ) -> None:
        """Serve the bot `token`, which can write to `known_chats` (chat id -> name)."""
        self.token = token
        self.bot: dict[str, Any] = {
            "id": int(token.partition(":")[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.known_chats: set[int] = set()
        self.chat_names: dict[int, str] = {}
        self.messages: list[dict[str, Any]] = []
        self.calls: list[RecordedCall] = []
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._runner: web.AppRunner | None = None
        self._port = 0
        for chat_id, name in (known_chats or {}).items():
            self.add_chat(chat_id, name)

    # ----- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        """Start listening."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop listening."""
        await self.close()

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Return the server's root URL (Home Assistant's `api_endpoint`)."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def bot_id(self) -> int:
        """Return the bot's user id."""
        bot_id: int = self.bot["id"]
        return bot_id

    # ----- scripting and inspection -----------------------------------------------------------

    def add_chat(self, chat_id: int, name: str) -> None:
        """Let the bot write to `chat_id`, a user (id > 0) or a group (id < 0) called `name`."""
        self.known_chats.add(chat_id)
        self.chat_names[chat_id] = name

    def texts(self, chat_id: int | None = None) -> list[str]:
        """Return the texts of the accepted messages (to `chat_id` only, if given), in order."""
        return [m["text"] for m in self.messages if chat_id is None or m["chat_id"] == chat_id]

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Return the recorded requests for `method` (case-insensitive), in order."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def chat(self, chat_id: int) -> dict[str, Any]:
        """Return the Chat object Telegram describes `chat_id` with."""
        name = self.chat_names.get(chat_id, f"Chat {chat_id}")
        if chat_id > 0:
            return {"id": chat_id, "first_name": name, "type": "private"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "title": name, "type": kind}

    # ----- HTTP plumbing ----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        """Answer one Bot API request with Telegram's envelope, and record it."""
        method = request.match_info["method"]
        params = await _read_params(request)
        try:
            result = self._call(request.match_info["token"], method, params)
        except _ApiError as err:
            self.calls.append(RecordedCall(method, params, err.status))
            return web.json_response(
                {"ok": False, "error_code": err.status, "description": err.description},
                status=err.status,
            )
        self.calls.append(RecordedCall(method, params, 200))
        return web.json_response({"ok": True, "result": result})

    def _call(self, token: str, method: str, params: dict[str, Any]) -> Any:
        """Run a Bot API method, or raise the error Telegram answers with."""
        if not _WELL_FORMED_TOKEN.fullmatch(token):
            raise _ApiError(404, "Not Found")
        if token != self.token:
            raise _ApiError(401, "Unauthorized")
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            raise _ApiError(404, "Not Found: method not found")
        return handler(params)

    def _known_chat(self, params: Mapping[str, Any]) -> int:
        """Return the request's chat id if the bot can write there."""
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            chat_id = None  # an "@username", which the fake does not model
        if chat_id is None or chat_id not in self.known_chats:
            raise _ApiError(400, "Bad Request: chat not found")
        return chat_id

    # ----- API methods (named _api_<method in lower case>) ------------------------------------

    def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot)

    def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params.get("text") or "")
        parse_mode = params.get("parse_mode") or None
        if parse_mode is not None and str(parse_mode).lower() not in ("none", *PARSERS):
            raise _ApiError(400, "Bad Request: unsupported parse_mode")
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        try:
            rendered = render(text, parse_mode)
        except EntityParseError as err:
            raise _ApiError(400, PARSE_ERROR + str(err)) from err
        chat_id = self._known_chat(params)  # Telegram parses the markup first, then the chat
        if _utf16_length(rendered) > MAX_MESSAGE_LENGTH:
            raise _ApiError(400, "Bad Request: message is too long")
        message_id = next(self._message_ids.setdefault(chat_id, itertools.count(1)))
        self.messages.append(
            {
                "chat_id": chat_id,
                "text": text,
                "parse_mode": parse_mode,
                "rendered": rendered,
                "message_id": message_id,
                "params": params,
            }
        )
        sender = {k: self.bot[k] for k in ("id", "is_bot", "first_name", "username")}
        return {
            "message_id": message_id,
            "from": sender,
            "chat": self.chat(chat_id),
            "date": int(time.time()),
            "text": rendered,
        }

    def _api_getchat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chat(self._known_chat(params))
        # ChatFullInfo: the fields python-telegram-bot requires, with Telegram's defaults.
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
            },
        }

    def _api_sendchataction(self, params: dict[str, Any]) -> bool:
        self._known_chat(params)
        return True

    def _api_getupdates(self, params: dict[str, Any]) -> list[Any]:
        return []

    def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        return True

    def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        return True

    def _api_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def _api_setmycommands(self, params: dict[str, Any]) -> bool:
        return True

    def _api_logout(self, params: dict[str, Any]) -> bool:
        return True

    def _api_close(self, params: dict[str, Any]) -> bool:
        return True


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Return a request's parameters: query string, then a form, multipart or JSON body."""
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params
    for key, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            params[key] = value.filename
        else:
            params[key] = _decode(str(value))
    return params


def _decode(value: str) -> Any:
    """Decode a form value python-telegram-bot JSON-encoded (objects, lists, numbers, booleans)."""
    if value[:1] in ("{", "[") or value in ("true", "false"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@pytest.fixture
async def fake_telegram(socket_enabled: None) -> AsyncGenerator[FakeTelegram]:
    """Start a fake Telegram Bot API on loopback (sockets re-enabled, as for hass_client)."""
    async with FakeTelegram() as fake:
        yield fake
