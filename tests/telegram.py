r"""
Set up Home Assistant's real `telegram_bot` integration against the fake Telegram Bot API.

`async_setup_telegram` works on every Home Assistant release the suite runs on, choosing by feature:

- Releases before config entries (2025.4) configure the bot in YAML and always talk to
  https://api.telegram.org: the helper sets the integration up from YAML while the `Bot` class its
  module builds the bot with is replaced by one aimed at the fake (`base_url`). The bot is built once,
  during setup, so the patch ends with setup and nothing needs undoing at teardown.
- Releases with config entries (2026.2) take the API endpoint as entry data: the helper adds the
  entry a finished config flow would create, with one allowed-chat subentry per chat, and returns the
  notify entity Home Assistant creates for each chat.

Both send `title` and `message` as one text, "title\nmessage". The default parse mode is the one a
new bot gets (YAML default, or the config flow's option): "markdown".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from unittest.mock import patch

from homeassistant.components import telegram_bot
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import EVENT_HOMEASSISTANT_CLOSE
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from telegram import Bot

from tests.fakes.telegram import FakeTelegram

DOMAIN = "telegram_bot"
# What a new bot gets: the YAML schema's default before config entries, the config flow's option since.
DEFAULT_PARSE_MODE = "markdown"
# Whether this release sets the bot up from a config entry (with notify entities) rather than YAML.
CONFIG_ENTRIES = hasattr(telegram_bot, "async_setup_entry")


async def async_setup_telegram(
    hass: HomeAssistant,
    fake: FakeTelegram,
    chats: Mapping[int, str],
    *,
    parse_mode: str = DEFAULT_PARSE_MODE,
) -> dict[int, str | None]:
    """
    Set up the real `telegram_bot` (broadcast) against `fake`, allowed to write to `chats`.

    `chats` maps chat id -> chat name; the fake learns them too (`fake.known_chats`). `parse_mode`
    ("markdown", "markdownv2", "html" or "plain_text") is the bot's default. Returns chat id -> the
    chat's notify entity id, or None on releases without notify entities.
    """
    for chat_id, name in chats.items():
        fake.add_chat(chat_id, name)
    if CONFIG_ENTRIES:
        bot, entities = await _async_setup_entry(hass, fake, chats, parse_mode)
    else:
        bot = await _async_setup_yaml(hass, fake, chats, parse_mode)
        entities = dict.fromkeys(chats)

    async def _close_bot(_: Event) -> None:
        # telegram_bot never closes a broadcast bot's HTTP client (Bot.shutdown does nothing for a
        # bot that was never initialized): close it with Home Assistant, so no socket is left open.
        await bot.request.shutdown()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_CLOSE, _close_bot)
    return entities


async def _async_setup_yaml(
    hass: HomeAssistant, fake: FakeTelegram, chats: Mapping[int, str], parse_mode: str
) -> Bot:
    """Set the bot up from YAML, its `Bot` aimed at the fake while setup builds it; return it."""
    bots: list[Bot] = []

    def make_bot(**kwargs: Any) -> Bot:
        bot = Bot(
            base_url=f"{fake.base_url}/bot", base_file_url=f"{fake.base_url}/file/bot", **kwargs
        )
        bots.append(bot)
        return bot

    config = {
        DOMAIN: [
            {
                "platform": "broadcast",
                "api_key": fake.token,
                "allowed_chat_ids": list(chats),
                "parse_mode": parse_mode,
            }
        ]
    }
    with patch.object(telegram_bot, "Bot", make_bot):
        assert await async_setup_component(hass, DOMAIN, config)
        await hass.async_block_till_done()
    (bot,) = bots
    return bot


async def _async_setup_entry(
    hass: HomeAssistant, fake: FakeTelegram, chats: Mapping[int, str], parse_mode: str
) -> tuple[Bot, dict[int, str | None]]:
    """Add and set up the entry the config flow creates, one subentry a chat; return its bot."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=fake.bot["first_name"],
        unique_id=fake.token,
        version=1,
        minor_version=2,
        data={
            "platform": "broadcast",
            "api_key": fake.token,
            "api_endpoint": fake.base_url,
            "proxy_url": None,
        },
        options={"parse_mode": parse_mode},
        subentries_data=[
            ConfigSubentryData(
                data={"chat_id": chat_id},
                subentry_type="allowed_chat_ids",
                title=f"{name} ({chat_id})",
                unique_id=str(chat_id),
            )
            for chat_id, name in chats.items()
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    bot: Bot = entry.runtime_data.bot
    return bot, {
        chat_id: registry.async_get_entity_id("notify", DOMAIN, f"{fake.bot_id}_{chat_id}")
        for chat_id in chats
    }
