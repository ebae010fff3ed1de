"""The fake Telegram Bot API is faithful: python-telegram-bot and Home Assistant's telegram_bot use it."""

from __future__ import annotations

import logging

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from telegram import Bot
from telegram.error import BadRequest, InvalidToken
from telegram.request import HTTPXRequest

from tests.fakes.telegram import (
    EntityParseError,
    FakeTelegram,
    render,
)
from tests.telegram import CONFIG_ENTRIES, async_setup_telegram

RUNNER = 111_222_333
CLUB = -1_001_234_567_890
CHATS = {RUNNER: "Dyno Runner", CLUB: "Running Club"}
NEEDS_NOTIFY_ENTITIES = pytest.mark.skipif(
    not CONFIG_ENTRIES,
    reason="this Home Assistant configures telegram_bot in YAML: no notify entities per chat",
)


async def send(hass: HomeAssistant, **data: object) -> None:
    """Call the real telegram_bot.send_message action."""
    await hass.services.async_call("telegram_bot", "send_message", data, blocking=True)


async def test_title_and_message_reach_telegram_as_one_text(
    hass: HomeAssistant,
    fake_telegram: FakeTelegram,
) -> None:
    entities = await async_setup_telegram(hass, fake_telegram, CHATS)

    await send(
        hass, target=[RUNNER], title="Long run", message="12 km *easy*", parse_mode="plain_text"
    )

    assert fake_telegram.messages == [
        {
            "chat_id": RUNNER,
            "text": "Long run\n12 km *easy*",
            "parse_mode": None,
            "rendered": "Long run\n12 km *easy*",
            "message_id": 1,
            "params": fake_telegram.messages[0]["params"],
        }
    ]
    # Setting a config entry up checks the token; the YAML broadcast bot calls nothing until used.
    setup_calls = ["getMe"] if CONFIG_ENTRIES else []
    assert [call.method for call in fake_telegram.calls] == [*setup_calls, "sendMessage"]
    if CONFIG_ENTRIES:
        assert set(entities) == set(CHATS)
        assert all(entity_id and entity_id.startswith("notify.") for entity_id in entities.values())
    else:
        assert entities == {RUNNER: None, CLUB: None}


async def test_default_parse_mode_is_markdown(
    hass: HomeAssistant,
    fake_telegram: FakeTelegram,
) -> None:
    await async_setup_telegram(hass, fake_telegram, CHATS)

    await send(hass, target=[CLUB], message="*Tempo* done")
    await send(hass, target=[CLUB], message="_Easy_ done", parse_mode="markdown")

    first, second = fake_telegram.messages
    assert (first["parse_mode"], first["rendered"]) == ("Markdown", "Tempo done")
    # Before config entries Home Assistant maps the action's parse_mode to Telegram's name; since,
    # it sends it as given (Telegram reads parse_mode case-insensitively).
    assert second["parse_mode"] == ("markdown" if CONFIG_ENTRIES else "Markdown")
    assert second["rendered"] == "Easy done"


@NEEDS_NOTIFY_ENTITIES
async def test_notify_entity_reaches_its_chat(
    hass: HomeAssistant,
    fake_telegram: FakeTelegram,
) -> None:
    entities = await async_setup_telegram(hass, fake_telegram, CHATS, parse_mode="plain_text")

    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": entities[CLUB], "title": "Week 3", "message": "42 km, 5 runs."},
        blocking=True,
    )

    assert [(m["chat_id"], m["text"], m["parse_mode"]) for m in fake_telegram.messages] == [
        (CLUB, "Week 3\n42 km, 5 runs.", None)
    ]


async def test_unbalanced_markdown_is_refused(
    hass: HomeAssistant,
    fake_telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await async_setup_telegram(hass, fake_telegram, CHATS)
    expected = "Can't parse entities: can't find end of the entity starting at byte offset 5"

    with caplog.at_level(logging.ERROR):
        if CONFIG_ENTRIES:  # one target: the action fails
            with pytest.raises(HomeAssistantError, match=expected):
                await send(hass, target=[RUNNER], message="tempo_run at 4:50/km")
        else:  # the action succeeds and logs the refusal
            await send(hass, target=[RUNNER], message="tempo_run at 4:50/km")
            assert f"Error sending message: {expected}" in caplog.text

    assert fake_telegram.messages == []
    refused = fake_telegram.calls_to("sendMessage")[-1]
    assert (refused.status, refused.params["parse_mode"]) == (400, "Markdown")


async def test_chat_unknown_to_telegram_is_refused(
    hass: HomeAssistant,
    fake_telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await async_setup_telegram(hass, fake_telegram, CHATS)
    fake_telegram.known_chats.discard(CLUB)  # e.g. the bot was removed from the group

    with caplog.at_level(logging.ERROR):
        if CONFIG_ENTRIES:
            with pytest.raises(HomeAssistantError, match="Chat not found"):
                await send(hass, target=[CLUB], message="hello")
        else:
            await send(hass, target=[CLUB], message="hello")
            assert "Error sending message: Chat not found" in caplog.text

    assert fake_telegram.messages == []
    assert fake_telegram.calls_to("sendMessage")[-1].status == 400


async def test_bot_api_protocol(fake_telegram: FakeTelegram) -> None:
    """python-telegram-bot itself gets Telegram's answers and raises Telegram's errors."""
    fake_telegram.add_chat(RUNNER, "Dyno Runner")
    base_url = f"{fake_telegram.base_url}/bot"
    async with Bot(fake_telegram.token, base_url=base_url) as bot:  # initialize() calls getMe
        assert (bot.id, bot.username, bot.can_join_groups) == (
            fake_telegram.bot_id,
            fake_telegram.bot["username"],
            True,
        )
        message = await bot.send_message(RUNNER, "<b>PB</b> &amp; done", parse_mode="HTML")
        assert (message.message_id, message.chat.type, message.text) == (1, "private", "PB & done")
        chat = await bot.get_chat(RUNNER)
        assert chat.first_name == "Dyno Runner"
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(CLUB, "hi")
        with pytest.raises(BadRequest, match="Unsupported parse_mode"):
            await bot.send_message(RUNNER, "hi", parse_mode="rst")
    request = HTTPXRequest()
    with pytest.raises(InvalidToken, match="Unauthorized"):
        await Bot("123:wrong", base_url=base_url, request=request).get_me()
    await request.shutdown()

    async with aiohttp.ClientSession() as session:
        url = f"{fake_telegram.base_url}/bot{fake_telegram.token}"
        async with session.post(f"{url}/SENDMESSAGE", json={"chat_id": RUNNER, "text": "x"}) as r:
            assert (r.status, (await r.json())["result"]["text"]) == (200, "x")
        async with session.get(f"{url}/sendSticker") as r:
            assert await r.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with session.get(f"{fake_telegram.base_url}/botnonsense/getMe") as r:
            assert (r.status, (await r.json())["description"]) == (404, "Not Found")
    assert fake_telegram.texts(RUNNER) == ["<b>PB</b> &amp; done", "x"]


@pytest.mark.parametrize(
    ("parse_mode", "text", "shown"),
    [
        (None, "*as is* <b>", "*as is* <b>"),
        ("Markdown", "*Bold* _it_ `x` [site](https://a.b) \\_", "Bold it x site _"),
        ("MarkdownV2", "*Bold _it_* __u__ ||s|| ~x~ 1\\.0 [a](t.me)", "Bold it u s x 1.0 a"),
        ("MarkdownV2", "```python\nprint(1)```", "print(1)"),
        ("html", "<b>x</b> &lt;3 &ge; <a href='t.me'>y</a> &#33;", "x <3 &ge; y !"),
    ],
)
def test_markup_rendering(parse_mode: str | None, text: str, shown: str) -> None:
    assert render(text, parse_mode) == shown


# Telegram's reasons and byte offsets (tdlib's own test vectors, where they give one).
@pytest.mark.parametrize(
    ("parse_mode", "text", "reason"),
    [
        ("Markdown", "🏟 🏟_abacaba", "Can't find end of the entity starting at byte offset 9"),
        ("Markdown", "5*3 = 15", "Can't find end of the entity starting at byte offset 1"),
        (
            "MarkdownV2",
            "Version 1.0",
            "Character '.' is reserved and must be escaped with the preceding '\\'",
        ),
        ("MarkdownV2", "🏟 🏟_abac * asd ", "Can't find end of Bold entity at byte offset 15"),
        ("MarkdownV2", "🏟 🏟_abac * asd _", "Can't find end of Italic entity at byte offset 21"),
        ("MarkdownV2", "🏟 🏟_🏟 🏟__", "Can't find end of Underline entity at byte offset 19"),
        ("MarkdownV2", "🏟 🏟```a ", "Can't find end of PreCode entity at byte offset 9"),
        ("MarkdownV2", "[telegram\\.org](asd", "Can't find end of a URL at byte offset 16"),
        ("html", "🏟 🏟&lt;<abac>", 'Unsupported start tag "abac" at byte offset 13'),
        ("html", "🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("html", "🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        (
            "html",
            "🏟 🏟&lt;<i>a</em   >",
            'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
        ),
        ("html", "<i>a", 'Can\'t find end tag corresponding to start tag "i"'),
    ],
)
def test_markup_refusal(parse_mode: str, text: str, reason: str) -> None:
    with pytest.raises(EntityParseError) as refused:
        render(text, parse_mode)
    assert str(refused.value) == reason
