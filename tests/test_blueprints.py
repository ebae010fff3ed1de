"""
Tests for the automation blueprints: their schema, and real runs from the coach to Telegram.

The end-to-end tests run Coach Dyno (the demo runner, or an athlete on the Strava fake), the
automations Home Assistant builds from the blueprints, and Home Assistant's own telegram_bot
talking to a fake of the Telegram Bot API: what they assert is the text Telegram receives,
compared with what Coach Dyno's actions answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
import importlib.util
import json
from pathlib import Path
import shutil
from typing import Any, NamedTuple

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification as pn
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.const import CONF_API_KEY, ENTITY_MATCH_ALL, STATE_ON
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, selector
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
import voluptuous as vol

from custom_components.coach_dyno.coach import DEFAULT_MODEL, Units
from custom_components.coach_dyno.coach.chat import utf16_length
from custom_components.coach_dyno.coach.formatting import (
    MAX_ANSWER_CHARS,
    fmt_distance,
    fmt_duration,
)
from custom_components.coach_dyno.const import DOMAIN
from tests.conftest import GEMINI_KEY, call_action, demo_config_entry, setup_entry
from tests.fakes.gemini import FakeGemini, text_reply
from tests.fakes.strava import FakeStrava
from tests.fakes.telegram import FakeTelegram
from tests.telegram import CONFIG_ENTRIES, async_setup_telegram

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINT_DIR = ROOT / "blueprints" / "automation" / "coach_dyno"
MANIFEST = ROOT / "custom_components" / "coach_dyno" / "manifest.json"
# The blueprints that send the coach's news out, and the one that lets Telegram talk back.
SENDING_BLUEPRINTS = ("morning_briefing.yaml", "post_run_analysis.yaml", "weekly_report.yaml")
CONVERSATION = "telegram_conversation.yaml"
BLUEPRINT_NAMES = (*SENDING_BLUEPRINTS, CONVERSATION)

RUNNER_CHAT = 123456789
CLUB_CHAT = -1001234567890
CHATS = {RUNNER_CHAT: "Runner", CLUB_CHAT: "Running club"}
# Since 2025.7 every chat allowed in the Telegram bot integration is a notify entity.
HAS_NOTIFY_CHATS = (
    importlib.util.find_spec("homeassistant.components.telegram_bot.notify") is not None
)
# How a blueprint is told where to send: the notify entities of a UI-configured bot (2025.7 and
# newer), or chat ids of a bot set up in YAML (2025.4 to 2025.6; 2026.2 still takes them).
VIAS = [
    pytest.param(
        "telegram_chats",
        marks=pytest.mark.skipif(
            not HAS_NOTIFY_CHATS, reason="this Home Assistant has no Telegram notify entities"
        ),
    ),
    "chat_ids",
]


def _load(name: str) -> Blueprint:
    """Load one blueprint file with Home Assistant's YAML loader and automation schema."""
    path = BLUEPRINT_DIR / name
    data = load_yaml(path)
    assert isinstance(data, dict)
    return Blueprint(
        data, path=str(path), expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )


def _select(config: dict[str, Any], value: Any) -> Any:
    """Validate a value with the selector an input declares, as the blueprint editor does."""
    return vol.Schema(selector.selector(config))(value)


def test_blueprint_set() -> None:
    """The four documented blueprints, and nothing else, ship in the blueprint folder."""
    assert sorted(p.name for p in BLUEPRINT_DIR.glob("*.yaml")) == sorted(BLUEPRINT_NAMES)


@pytest.mark.parametrize("name", BLUEPRINT_NAMES)
def test_blueprint_metadata(name: str) -> None:
    """Each blueprint validates and carries the metadata Home Assistant shows and checks."""
    blueprint = _load(name)
    metadata = blueprint.metadata
    assert blueprint.domain == "automation"
    assert metadata["name"].startswith("Coach Dyno")
    assert metadata["description"]
    assert metadata["homeassistant"] == {"min_version": "2025.4.0"}
    # The installed Home Assistant satisfies min_version, so Home Assistant raises no error.
    assert blueprint.validate() is None
    repo = json.loads(MANIFEST.read_text(encoding="utf-8"))["documentation"]
    assert metadata["source_url"] == f"{repo}/blob/main/blueprints/automation/coach_dyno/{name}"


@pytest.mark.parametrize("name", SENDING_BLUEPRINTS)
def test_blueprint_selectors(name: str) -> None:
    """The athlete, switch and chat inputs use selectors narrowed to Coach Dyno and Telegram."""
    inputs = _load(name).inputs
    coach = selector.selector(inputs["coach"]["selector"])
    assert isinstance(coach, selector.ConfigEntrySelector)
    assert coach.config == {"integration": "coach_dyno"}

    switch = selector.selector(inputs["briefings_switch"]["selector"])
    assert isinstance(switch, selector.EntitySelector)
    assert switch.config["filter"] == [{"domain": ["switch"], "integration": "coach_dyno"}]

    chats = selector.selector(inputs["telegram_chats"]["selector"])
    assert isinstance(chats, selector.EntitySelector)
    assert chats.config["multiple"] is True
    assert chats.config["filter"] == [{"domain": ["notify"], "integration": "telegram_bot"}]

    chat_ids = selector.selector(inputs["chat_ids"]["selector"])
    assert isinstance(chat_ids, selector.TextSelector)
    assert chat_ids([str(RUNNER_CHAT)]) == [str(RUNNER_CHAT)]

    # Every default must be a value its own selector accepts; both ways to send are optional.
    for spec in inputs.values():
        if "default" in spec:
            _select(spec["selector"], spec["default"])
    assert inputs["telegram_chats"]["default"] == []
    assert inputs["chat_ids"]["default"] == []

    # Any notify action (e-mail, a phone) and any integration's notify entities, both optional.
    notify_entities = selector.selector(inputs["notify_entities"]["selector"])
    assert isinstance(notify_entities, selector.EntitySelector)
    assert notify_entities.config["filter"] == [{"domain": ["notify"]}]
    assert isinstance(
        selector.selector(inputs["notify_actions"]["selector"]), selector.TextSelector
    )
    assert inputs["notify_entities"]["default"] == inputs["notify_actions"]["default"] == []


def test_blueprint_missing_input_definition_is_rejected() -> None:
    """Home Assistant's blueprint schema catches an !input without a definition (guards _load)."""
    data = load_yaml(BLUEPRINT_DIR / "morning_briefing.yaml")
    assert isinstance(data, dict)
    del data["blueprint"]["input"]["chat_ids"]
    with pytest.raises(Exception, match="Missing input definition for chat_ids"):
        Blueprint(data, expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA)


class Telegram(NamedTuple):
    """Home Assistant's Telegram bot as the blueprints see it, and the Telegram it talks to."""

    fake: FakeTelegram
    # Chat id -> its notify entity (None where Home Assistant has no Telegram notify entities).
    chats: dict[int, str | None]


@pytest.fixture
async def telegram(
    hass: HomeAssistant, config_dir: Path, fake_telegram: FakeTelegram
) -> AsyncIterator[Telegram]:
    """Install the blueprints as a user does, and set up a real Telegram bot with two chats."""
    await hass.async_add_executor_job(
        shutil.copytree, BLUEPRINT_DIR, hass.config.path("blueprints", "automation", "coach_dyno")
    )
    yield Telegram(fake_telegram, await async_setup_telegram(hass, fake_telegram, CHATS))
    # Turning the automations off detaches their time triggers, so no timer outlives the test.
    if hass.services.has_service("automation", "turn_off"):
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": ENTITY_MATCH_ALL}, blocking=True
        )


def _recipients(via: str, telegram: Telegram) -> dict[str, Any]:
    """Return the blueprint inputs that send to both chats the given way."""
    if via == "telegram_chats":
        return {"telegram_chats": [telegram.chats[chat] for chat in CHATS]}
    # The text selector gives strings; the blueprint turns them into Telegram's integers.
    return {"chat_ids": [str(chat) for chat in CHATS]}


async def _setup_automation(hass: HomeAssistant, name: str, inputs: dict[str, Any]) -> str:
    """Create one automation from a blueprint after checking the inputs against its selectors."""
    path = f"coach_dyno/{name}"
    blueprint = await async_get_blueprints(hass).async_get_blueprint(path)
    for key, value in inputs.items():
        _select(blueprint.inputs[key]["selector"], value)
    alias = name.removesuffix(".yaml")
    config = {"id": alias, "alias": alias, "use_blueprint": {"path": path, "input": inputs}}
    assert await async_setup_component(hass, "automation", {"automation": [config]})
    await hass.async_block_till_done()
    entity_id = f"automation.{alias}"
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == STATE_ON
    return entity_id


def _switch(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the athlete's "Briefings enabled" switch."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "switch", DOMAIN, f"{entry.unique_id}_briefings_enabled"
    )
    assert entity_id is not None
    return entity_id


def _next(hour: int, minute: int, weekday: int | None = None) -> datetime:
    """Return the next local datetime at hour:minute (on a weekday, Monday = 0, when given)."""
    now = dt_util.now()
    moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0) + timedelta(days=1)
    while weekday is not None and moment.weekday() != weekday:
        moment += timedelta(days=1)
    return moment


async def _advance_to(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: datetime
) -> None:
    """
    Move the clock to a moment and let the time triggers fire, each midnight on the way first.

    Coach Dyno rolls its day totals over just after local midnight, as it would in a real night.
    """
    midnight = dt_util.start_of_local_day(dt_util.now()) + timedelta(days=1, seconds=2)
    while midnight < moment:
        freezer.move_to(midnight)
        async_fire_time_changed(hass, midnight)
        await hass.async_block_till_done(wait_background_tasks=True)
        midnight += timedelta(days=1)
    freezer.move_to(moment)
    async_fire_time_changed(hass, moment)
    await hass.async_block_till_done(wait_background_tasks=True)


def _texts(fake: FakeTelegram) -> dict[int, str]:
    """Return what each chat received, checking that each got exactly one message."""
    chats = [message["chat_id"] for message in fake.messages]
    assert sorted(chats) == sorted(set(chats)), fake.messages
    return {message["chat_id"]: message["text"] for message in fake.messages}


def _last_triggered(hass: HomeAssistant, entity_id: str) -> Any:
    """Return when an automation last ran its actions (None when its conditions always failed)."""
    state = hass.states.get(entity_id)
    assert state is not None
    return state.attributes["last_triggered"]


@pytest.mark.parametrize("via", VIAS)
async def test_morning_briefing_reaches_every_chat(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    telegram: Telegram,
    frozen_now: FrozenDateTimeFactory,
    via: str,
) -> None:
    """At the chosen time both chats get the title and today's briefing, as the action writes it."""
    moment = _next(6, 15)
    await _setup_automation(
        hass,
        "morning_briefing.yaml",
        {
            "coach": loaded_demo.entry_id,
            "briefings_switch": _switch(hass, loaded_demo),
            "briefing_time": "06:15:00",
            **_recipients(via, telegram),
        },
    )

    await _advance_to(hass, frozen_now, moment - timedelta(minutes=1))
    assert telegram.fake.messages == []

    await _advance_to(hass, frozen_now, moment)
    # The briefing is cached for the day: asking again returns the text the automation sent.
    briefing = await call_action(
        hass, "generate_briefing", {"config_entry_id": loaded_demo.entry_id, "kind": "morning"}
    )
    assert briefing["date"] == moment.date().isoformat()
    expected = f"Coach Dyno morning briefing\n{briefing['text']}"
    assert _texts(telegram.fake) == {RUNNER_CHAT: expected, CLUB_CHAT: expected}


async def test_morning_briefing_plain_text_and_custom_title(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    telegram: Telegram,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """One chat id reaches one chat, with the chosen title and Telegram formatting."""
    moment = _next(5, 45)
    await _setup_automation(
        hass,
        "morning_briefing.yaml",
        {
            "coach": loaded_demo.entry_id,
            "briefings_switch": _switch(hass, loaded_demo),
            "briefing_time": "05:45:00",
            "chat_ids": [str(RUNNER_CHAT)],
            "title": "Today",
            "parse_mode": "html",
        },
    )

    await _advance_to(hass, frozen_now, moment)
    briefing = await call_action(
        hass, "generate_briefing", {"config_entry_id": loaded_demo.entry_id, "kind": "morning"}
    )
    [message] = telegram.fake.messages
    assert message["chat_id"] == RUNNER_CHAT
    assert message["text"] == f"Today\n{briefing['text']}"
    # 2025.4 sends Telegram's spelling, 2026.2 the option as given; Telegram reads either.
    assert message["parse_mode"].lower() == "html"


@pytest.mark.parametrize("via", VIAS)
async def test_morning_briefing_switch_off_sends_nothing(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    telegram: Telegram,
    frozen_now: FrozenDateTimeFactory,
    via: str,
) -> None:
    """With briefings switched off the coach is not asked and Telegram stays quiet."""
    switch = _switch(hass, loaded_demo)
    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    moment = _next(6, 30)
    automation = await _setup_automation(
        hass,
        "morning_briefing.yaml",
        {"coach": loaded_demo.entry_id, "briefings_switch": switch, **_recipients(via, telegram)},
    )

    await _advance_to(hass, frozen_now, moment)
    assert telegram.fake.messages == []
    assert _last_triggered(hass, automation) is None

    # Switching back on restores the next day's briefing (the default time is 06:30).
    await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    await _advance_to(hass, frozen_now, moment + timedelta(days=1))
    assert set(_texts(telegram.fake)) == set(CHATS)


async def test_morning_briefing_without_chats_asks_nothing(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    telegram: Telegram,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """An automation with no chat chosen spends no coach call and sends nothing."""
    automation = await _setup_automation(
        hass,
        "morning_briefing.yaml",
        {"coach": loaded_demo.entry_id, "briefings_switch": _switch(hass, loaded_demo)},
    )
    await _advance_to(hass, frozen_now, _next(6, 30))
    assert telegram.fake.messages == []
    assert _last_triggered(hass, automation) is None


@pytest.mark.parametrize("via", VIAS)
async def test_weekly_report_only_on_its_weekday(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    telegram: Telegram,
    frozen_now: FrozenDateTimeFactory,
    via: str,
) -> None:
    """The weekly report goes out on the chosen weekday only, with the weekly text."""
    saturday = _next(19, 0, weekday=5)
    await _setup_automation(
        hass,
        "weekly_report.yaml",
        {
            "coach": loaded_demo.entry_id,
            "briefings_switch": _switch(hass, loaded_demo),
            **_recipients(via, telegram),
        },
    )

    await _advance_to(hass, frozen_now, saturday)
    assert telegram.fake.messages == []

    await _advance_to(hass, frozen_now, saturday + timedelta(days=1))
    report = await call_action(
        hass, "generate_briefing", {"config_entry_id": loaded_demo.entry_id, "kind": "weekly"}
    )
    expected = f"Coach Dyno weekly report\n{report['text']}"
    assert _texts(telegram.fake) == {RUNNER_CHAT: expected, CLUB_CHAT: expected}


async def test_weekly_report_switch_off_sends_nothing(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    telegram: Telegram,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """On the right day and time, a switched-off athlete gets no weekly report."""
    switch = _switch(hass, loaded_demo)
    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    wednesday = _next(8, 0, weekday=2)
    await _setup_automation(
        hass,
        "weekly_report.yaml",
        {
            "coach": loaded_demo.entry_id,
            "briefings_switch": switch,
            "weekday": "wed",
            "report_time": "08:00:00",
            "chat_ids": [str(RUNNER_CHAT)],
        },
    )

    await _advance_to(hass, frozen_now, wednesday)
    assert telegram.fake.messages == []


@pytest.fixture
async def athlete(
    hass: HomeAssistant,
    prepared: None,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    telegram: Telegram,
) -> MockConfigEntry:
    """Set up an athlete on the Strava fake with 60 days of history, synced once."""
    strava.generate(60)
    await setup_entry(hass, strava_entry)
    return strava_entry


async def _upload(
    hass: HomeAssistant, strava: FakeStrava, entry: MockConfigEntry, **overrides: Any
) -> dict[str, Any]:
    """Upload an activity to Strava an hour ago and sync, as the poll or a push event would."""
    activity = strava.add_activity(dt_util.utcnow() - timedelta(hours=1), **overrides)
    await call_action(hass, "harvest", {"config_entry_id": entry.entry_id})
    await hass.async_block_till_done()
    return activity


@pytest.mark.parametrize("via", VIAS)
async def test_post_run_analysis_reaches_every_chat(
    hass: HomeAssistant,
    athlete: MockConfigEntry,
    strava: FakeStrava,
    telegram: Telegram,
    via: str,
) -> None:
    """A run uploaded to Strava is analysed and the whole analysis reaches both chats."""
    await _setup_automation(
        hass,
        "post_run_analysis.yaml",
        {
            "coach": athlete.entry_id,
            "briefings_switch": _switch(hass, athlete),
            **_recipients(via, telegram),
        },
    )

    run = await _upload(hass, strava, athlete, sport_type="Run", type="Run", name="Tempo Tuesday")

    analysis = await call_action(
        hass, "analyze_activity", {"config_entry_id": athlete.entry_id, "activity_id": run["id"]}
    )
    # The message carries the analysis, not just its title.
    assert analysis["summary"] in analysis["text"]
    assert all(line in analysis["text"] for line in analysis["went_well"])
    expected = f"Post-run analysis: Tempo Tuesday\n{analysis['text']}"
    assert _texts(telegram.fake) == {RUNNER_CHAT: expected, CLUB_CHAT: expected}


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"sport_type": "Ride", "type": "Ride"}, id="not-a-run"),
        pytest.param({"sport_type": "Run", "type": "Run", "switch_off": True}, id="switch-off"),
    ],
)
async def test_post_run_analysis_skips(
    hass: HomeAssistant,
    athlete: MockConfigEntry,
    strava: FakeStrava,
    telegram: Telegram,
    overrides: dict[str, Any],
) -> None:
    """Rides are not analysed, and nothing is sent while briefings are switched off."""
    switch = _switch(hass, athlete)
    if overrides.pop("switch_off", False):
        await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    automation = await _setup_automation(
        hass,
        "post_run_analysis.yaml",
        {"coach": athlete.entry_id, "briefings_switch": switch, "chat_ids": [str(RUNNER_CHAT)]},
    )
    await _upload(hass, strava, athlete, **overrides)
    assert telegram.fake.messages == []
    assert _last_triggered(hass, automation) is None


async def test_post_run_analysis_edits_are_not_analysed(
    hass: HomeAssistant,
    athlete: MockConfigEntry,
    strava: FakeStrava,
    telegram: Telegram,
) -> None:
    """Renaming a run on Strava does not send its analysis a second time."""
    await _setup_automation(
        hass,
        "post_run_analysis.yaml",
        {
            "coach": athlete.entry_id,
            "briefings_switch": _switch(hass, athlete),
            "chat_ids": [str(RUNNER_CHAT)],
        },
    )
    run = await _upload(hass, strava, athlete, sport_type="TrailRun", type="Run")
    assert len(telegram.fake.messages) == 1

    strava.update_activity(run["id"], name="Renamed trail run")
    await call_action(hass, "harvest", {"config_entry_id": athlete.entry_id, "full": True})
    await hass.async_block_till_done()
    assert len(telegram.fake.messages) == 1


# ----- the Telegram conversation ----------------------------------------------------------------


def _telegram_event(hass: HomeAssistant, chat_id: int, text: str) -> tuple[str, dict[str, Any]]:
    """Return the event telegram_bot fires for a message from `chat_id`, shaped as this release does."""
    data: dict[str, Any] = {
        "message_id": 17,
        "chat_id": chat_id,
        "date": dt_util.utcnow(),
        "message_thread_id": None,
        "user_id": abs(chat_id),
        "from_first": CHATS.get(chat_id, "Someone"),
        "from_last": None,
    }
    if text.startswith("/"):
        command, *args = text.split()
        event_type, data = "telegram_command", {**data, "command": command, "args": args}
    else:
        event_type, data = "telegram_text", {**data, "text": text}
    if CONFIG_ENTRIES:
        # Since config entries every event names the bot that heard it.
        (bot,) = hass.config_entries.async_entries("telegram_bot")
        data["bot"] = {"config_entry_id": bot.entry_id, "id": 7_301_234_567}
    return event_type, data


async def _say(hass: HomeAssistant, telegram: Telegram, chat_id: int, text: str) -> list[str]:
    """Write to the bot from a chat as Telegram would; return the texts the chat got back."""
    before = len(telegram.fake.messages)
    event_type, data = _telegram_event(hass, chat_id, text)
    hass.bus.async_fire(event_type, data)
    await hass.async_block_till_done(wait_background_tasks=True)
    replies = telegram.fake.messages[before:]
    assert all(reply["chat_id"] == chat_id for reply in replies), replies
    # Plain text: whatever the bot's parse mode, Telegram never reads the coach's words as markup.
    assert all(reply["parse_mode"] in (None, "plain_text") for reply in replies), replies
    return [reply["text"] for reply in replies]


async def _setup_conversation(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Let the runner's chat, and only that one, talk to the coach."""
    return await _setup_automation(
        hass, CONVERSATION, {"coach": entry.entry_id, "chat_ids": [str(RUNNER_CHAT)]}
    )


def test_conversation_blueprint_inputs() -> None:
    """The conversation asks for the athlete and the chats allowed to talk, nothing else."""
    inputs = _load(CONVERSATION).inputs
    assert set(inputs) == {"coach", "chat_ids"}
    assert _select(inputs["chat_ids"]["selector"], [str(CLUB_CHAT)]) == [str(CLUB_CHAT)]


async def test_conversation_answers_a_question_with_the_chat_s_memory(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, telegram: Telegram
) -> None:
    """A question gets the coach's answer in the same chat, and the chat keeps its own memory."""
    await _setup_conversation(hass, loaded_demo)
    coach = loaded_demo.runtime_data.coach
    snapshot = loaded_demo.runtime_data.coordinator.data.snapshot

    [answer] = await _say(hass, telegram, RUNNER_CHAT, "How far did I run this week?")
    assert fmt_distance(snapshot.volume.this_week.distance_m, Units.METRIC) in answer
    [follow_up] = await _say(hass, telegram, RUNNER_CHAT, "And then?")

    memory = coach.conversation(f"telegram_{RUNNER_CHAT}")
    assert [(turn.question, turn.answer) for turn in memory] == [
        ("How far did I run this week?", answer),
        ("And then?", follow_up),
    ]
    # The follow-up continued the distance topic, and the default conversation was left alone.
    assert fmt_distance(snapshot.volume.this_week.distance_m, Units.METRIC) in follow_up
    assert len(coach.memory) == 0


async def test_conversation_ignores_other_chats(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, telegram: Telegram
) -> None:
    """A chat not on the list gets nothing, nor does an empty message; the coach is not asked."""
    automation = await _setup_conversation(hass, loaded_demo)
    assert await _say(hass, telegram, CLUB_CHAT, "How far did I run this week?") == []
    assert await _say(hass, telegram, CLUB_CHAT, "/pause") == []
    # A sticker from the runner's own chat has no text: nothing to answer.
    event_type, sticker = _telegram_event(hass, RUNNER_CHAT, "")
    hass.bus.async_fire(event_type, {**sticker, "text": None})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert telegram.fake.messages == []
    assert _last_triggered(hass, automation) is None
    assert hass.states.get(_switch(hass, loaded_demo)).state == STATE_ON  # type: ignore[union-attr]
    assert len(loaded_demo.runtime_data.coach.conversation(f"telegram_{CLUB_CHAT}")) == 0


async def test_conversation_commands(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, telegram: Telegram
) -> None:
    """Each command answers with what the coach's actions and numbers say."""
    await _setup_conversation(hass, loaded_demo)
    entry_id = loaded_demo.entry_id
    coach = loaded_demo.runtime_data.coach
    snapshot = loaded_demo.runtime_data.coordinator.data.snapshot

    [briefing] = await _say(hass, telegram, RUNNER_CHAT, "/briefing")
    morning = await call_action(hass, "generate_briefing", {"config_entry_id": entry_id})
    assert briefing == morning["text"]

    [week] = await _say(hass, telegram, RUNNER_CHAT, "/week")
    weekly = await call_action(
        hass, "generate_briefing", {"config_entry_id": entry_id, "kind": "weekly"}
    )
    assert week == weekly["text"]

    [last] = await _say(hass, telegram, RUNNER_CHAT, "/last")
    analysis = await call_action(hass, "analyze_activity", {"config_entry_id": entry_id})
    assert last == f"{analysis['name']}\n\n{analysis['text']}"

    [plan] = await _say(hass, telegram, RUNNER_CHAT, "/plan")
    lines = plan.splitlines()
    assert lines[0] == "Your next 7 days:"
    workouts = coach.todays_briefing(snapshot).plan
    assert len(lines) == 1 + len(workouts) == 8
    for line, workout in zip(lines[1:], workouts, strict=True):
        assert line.startswith(f"- {workout.date:%a} {workout.title}")
        assert line.endswith(workout.description)

    [race] = await _say(hass, telegram, RUNNER_CHAT, "/race")
    assert snapshot.race is not None
    assert snapshot.race.predicted_time_s is not None
    assert race.startswith(f"Autumn Half in {snapshot.race.days_to_race} days")
    assert f"Predicted {fmt_duration(snapshot.race.predicted_time_s)}" in race
    assert "goal 1:45:00" in race

    switch = _switch(hass, loaded_demo)
    assert await _say(hass, telegram, RUNNER_CHAT, "/pause") == [
        "Scheduled briefings are paused. Send /resume to get them again."
    ]
    assert hass.states.get(switch).state == "off"  # type: ignore[union-attr]
    assert await _say(hass, telegram, RUNNER_CHAT, "/resume") == [
        "Scheduled briefings are back on."
    ]
    assert hass.states.get(switch).state == STATE_ON  # type: ignore[union-attr]

    [help_text] = await _say(hass, telegram, RUNNER_CHAT, "/help")
    for command in ("briefing", "week", "last", "plan", "race", "pause", "resume", "help"):
        assert f"\n/{command} - " in help_text
    # Telegram's /start (a new chat) and a command addressed to the bot in a group get the same.
    assert await _say(hass, telegram, RUNNER_CHAT, "/start") == [help_text]
    assert await _say(hass, telegram, RUNNER_CHAT, "/help@coach_dyno_test_bot") == [help_text]
    assert await _say(hass, telegram, RUNNER_CHAT, "/dance now") == [
        f"I do not know the command /dance.\n\n{help_text}"
    ]
    # Commands are not questions: the chat's conversation holds none of them.
    assert len(coach.conversation(f"telegram_{RUNNER_CHAT}")) == 0


async def test_conversation_splits_a_long_answer(
    hass: HomeAssistant, gemini: FakeGemini, frozen_now: FrozenDateTimeFactory, telegram: Telegram
) -> None:
    """An answer over Telegram's limit comes as several messages, nothing lost, markup untouched."""
    gemini.valid_keys.add(GEMINI_KEY)
    entry = demo_config_entry({CONF_API_KEY: GEMINI_KEY})
    await setup_entry(hass, entry)
    await _setup_conversation(hass, entry)
    # Within the coach's answer bound in characters, yet beyond Telegram's in UTF-16 units:
    # each runner emoji counts twice there.
    paragraphs = [
        f"Week {week}: tempo_run *steady* at 4:50/km, then " + "🏃 " * 150 for week in range(1, 11)
    ]
    long_answer = "\n\n".join(paragraphs)
    assert len(long_answer) <= MAX_ANSWER_CHARS < utf16_length(long_answer)
    gemini.queue(DEFAULT_MODEL, text_reply(long_answer))

    parts = await _say(hass, telegram, RUNNER_CHAT, "Plan my next ten weeks, week by week")

    assert len(parts) == 2
    assert all(utf16_length(part) <= 4096 for part in parts)
    assert " ".join(parts).split() == long_answer.split()
    # Cut between paragraphs, not inside one.
    assert parts[0].endswith("🏃")
    assert parts[1].startswith("Week ")


async def test_conversation_caps_a_runaway_answer(
    hass: HomeAssistant, gemini: FakeGemini, frozen_now: FrozenDateTimeFactory, telegram: Telegram
) -> None:
    """A runaway answer is cut to the coach's bound, between words, and says it was cut."""
    gemini.valid_keys.add(GEMINI_KEY)
    entry = demo_config_entry({CONF_API_KEY: GEMINI_KEY})
    await setup_entry(hass, entry)
    await _setup_conversation(hass, entry)
    gemini.queue(DEFAULT_MODEL, text_reply("run easy " * 4000))

    [part] = await _say(hass, telegram, RUNNER_CHAT, "Tell me everything")

    assert len(part) <= MAX_ANSWER_CHARS
    words = part.split()
    assert words[-1].endswith("…")
    assert words[:-1] == ("run easy " * 4000).split()[: len(words) - 1]


# ----- other channels: notify actions and notify entities --------------------------------------


class Channels(NamedTuple):
    """Two real notify channels besides Telegram, and what each received."""

    # notify.persistent_notification, a notify action as notify.smtp_email or a phone's is.
    notifications: list[tuple[str | None, str]]
    # notify.file, a notify entity: the file integration writes each message to a file.
    file_entity: str
    file_path: Path

    def file_messages(self) -> str:
        """Return what the file holds, or "" before the first message."""
        return self.file_path.read_text(encoding="utf-8") if self.file_path.exists() else ""


@pytest.fixture
async def channels(hass: HomeAssistant, config_dir: Path, telegram: Telegram) -> Channels:
    """Set up the notify integration and a notify entity of the file integration."""
    assert await async_setup_component(hass, "notify", {})
    notifications: list[tuple[str | None, str]] = []

    @callback
    def _record(update_type: pn.UpdateType, changed: dict[str, pn.Notification]) -> None:
        if update_type is pn.UpdateType.ADDED:
            notifications.extend((item["title"], item["message"]) for item in changed.values())

    pn.async_register_callback(hass, _record)
    file_path = config_dir / "coach.log"
    hass.config.allowlist_external_dirs = {str(config_dir)}
    entry = MockConfigEntry(
        domain="file",
        version=2,
        title="coach.log",
        data={"platform": "notify", "file_path": str(file_path)},
        options={"timestamp": False},
    )
    await setup_entry(hass, entry)
    file_entity = er.async_get(hass).async_get_entity_id("notify", "file", entry.entry_id)
    assert file_entity is not None
    return Channels(notifications, file_entity, file_path)


def _file_text(title: str, message: str) -> str:
    """Return what the file integration writes for a first message: a header with the title."""
    started = dt_util.utcnow().isoformat()
    return f"{title} notifications (Log started: {started})\n{'-' * 80}\n{message}\n"


async def test_morning_briefing_through_notify_channels(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    telegram: Telegram,
    channels: Channels,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """A notify action and a notify entity get the title and the briefing; Telegram gets nothing."""
    moment = _next(6, 15)
    await _setup_automation(
        hass,
        "morning_briefing.yaml",
        {
            "coach": loaded_demo.entry_id,
            "briefings_switch": _switch(hass, loaded_demo),
            "briefing_time": "06:15:00",
            "notify_actions": ["notify.persistent_notification"],
            "notify_entities": [channels.file_entity],
        },
    )

    await _advance_to(hass, frozen_now, moment)
    briefing = await call_action(
        hass, "generate_briefing", {"config_entry_id": loaded_demo.entry_id, "kind": "morning"}
    )
    assert channels.notifications == [("Coach Dyno morning briefing", briefing["text"])]
    assert channels.file_messages() == _file_text("Coach Dyno morning briefing", briefing["text"])
    assert telegram.fake.messages == []


async def test_weekly_report_by_telegram_and_a_notify_action(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    telegram: Telegram,
    channels: Channels,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """Telegram still works beside a notify action written without "notify."; the file gets nothing."""
    sunday = _next(19, 0, weekday=6)
    await _setup_automation(
        hass,
        "weekly_report.yaml",
        {
            "coach": loaded_demo.entry_id,
            "briefings_switch": _switch(hass, loaded_demo),
            "chat_ids": [str(RUNNER_CHAT)],
            "notify_actions": ["persistent_notification"],
            "title": "Your week",
        },
    )

    # Through Saturday's 19:00 first, so that no late Saturday trigger fires after midnight.
    await _advance_to(hass, frozen_now, sunday - timedelta(days=1))
    assert channels.notifications == []
    await _advance_to(hass, frozen_now, sunday)
    report = await call_action(
        hass, "generate_briefing", {"config_entry_id": loaded_demo.entry_id, "kind": "weekly"}
    )
    assert channels.notifications == [("Your week", report["text"])]
    assert _texts(telegram.fake) == {RUNNER_CHAT: f"Your week\n{report['text']}"}
    assert channels.file_messages() == ""


async def test_post_run_analysis_to_a_notify_entity(
    hass: HomeAssistant,
    athlete: MockConfigEntry,
    strava: FakeStrava,
    telegram: Telegram,
    channels: Channels,
) -> None:
    """A new run's analysis reaches a notify entity under the run's name, and nothing else."""
    await _setup_automation(
        hass,
        "post_run_analysis.yaml",
        {
            "coach": athlete.entry_id,
            "briefings_switch": _switch(hass, athlete),
            "notify_entities": [channels.file_entity],
        },
    )
    run = await _upload(hass, strava, athlete, sport_type="Run", type="Run", name="Tempo Tuesday")

    analysis = await call_action(
        hass, "analyze_activity", {"config_entry_id": athlete.entry_id, "activity_id": run["id"]}
    )
    title = "Post-run analysis: Tempo Tuesday"
    assert channels.file_messages().endswith(f"{'-' * 80}\n{analysis['text']}\n")
    assert channels.file_messages().startswith(f"{title} notifications (Log started: ")
    assert channels.notifications == []
    assert telegram.fake.messages == []
