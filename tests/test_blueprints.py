"""Tests for the automation blueprints: schema validity and end-to-end runs in Home Assistant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
import json
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.const import ENTITY_MATCH_ALL, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse
from homeassistant.helpers import selector
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_mock_service,
)
import voluptuous as vol

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINT_DIR = ROOT / "blueprints" / "automation" / "coach_dyno"
MANIFEST = ROOT / "custom_components" / "coach_dyno" / "manifest.json"
BLUEPRINT_NAMES = ("morning_briefing.yaml", "post_run_analysis.yaml", "weekly_report.yaml")

ENTRY_ID = "01JCOACHDYNOENTRY0000000001"
OTHER_ENTRY_ID = "01JCOACHDYNOENTRY0000000002"
SWITCH = "switch.runner_briefings_enabled"
CHAT_IDS = ["123456789", "-1001234567890"]
EXPECTED_TARGET = [123456789, -1001234567890]

# The integration's action contract; the fakes validate what the blueprints send against it.
BRIEFING_SCHEMA = vol.Schema(
    {vol.Required("config_entry_id"): str, vol.Required("kind"): vol.In(["morning", "weekly"])}
)
ANALYZE_SCHEMA = vol.Schema(
    {vol.Required("config_entry_id"): str, vol.Optional("activity_id"): int}
)
# Home Assistant 2025.4's telegram_bot.send_message, narrowed to what the blueprints may send:
# integer chat ids and one of the parse modes the bot knows.
TELEGRAM_SCHEMA = vol.Schema(
    {
        vol.Required("message"): str,
        vol.Required("target"): [int],
        vol.Optional("title"): str,
        vol.Optional("parse_mode"): vol.In(["html", "markdown", "markdownv2", "plain_text"]),
    }
)

MORNING_RESPONSE: dict[str, Any] = {
    "text": "Easy 8 km today at 5:50/km; keep the heart rate under 145.",
    "source": "offline",
    "kind": "morning",
    "date": "2025-05-06",
    "plan": [
        {
            "date": "2025-05-06",
            "type": "easy",
            "title": "Easy run",
            "distance_km": 8.0,
            "target_pace": "5:50/km",
            "description": "Conversational pace.",
        }
    ],
}
WEEKLY_RESPONSE: dict[str, Any] = {
    "text": "This week: 42 km over 5 runs, form +3. Next week builds to 46 km.",
    "source": "gemini",
    "kind": "weekly",
    "date": "2025-05-11",
    "plan": [],
}
ANALYSIS_RESPONSE: dict[str, Any] = {
    "activity_id": 13579246801,
    "name": "Tempo Tuesday",
    "text": "Even splits at 4:58/km and a steady heart rate: a well-judged tempo.",
    "summary": "10.2 km tempo",
    "went_well": ["even pacing"],
    "risk_flags": [],
    "next_sessions": ["easy 6 km"],
    "source": "gemini",
}


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
    """The three documented blueprints, and nothing else, ship in the blueprint folder."""
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
    if "source_url" in metadata:
        assert metadata["source_url"] == (
            f"{repo}/blob/main/blueprints/automation/coach_dyno/{name}"
        )


@pytest.mark.parametrize("name", BLUEPRINT_NAMES)
def test_blueprint_selectors(name: str) -> None:
    """The athlete, switch and chat inputs use selectors narrowed to Coach Dyno and Telegram."""
    inputs = _load(name).inputs
    coach = selector.selector(inputs["coach"]["selector"])
    assert isinstance(coach, selector.ConfigEntrySelector)
    assert coach.config == {"integration": "coach_dyno"}

    switch = selector.selector(inputs["briefings_switch"]["selector"])
    assert isinstance(switch, selector.EntitySelector)
    assert switch.config["filter"] == [{"domain": ["switch"], "integration": "coach_dyno"}]

    chats = selector.selector(inputs["chat_ids"]["selector"])
    assert isinstance(chats, selector.TextSelector)
    assert chats(CHAT_IDS) == CHAT_IDS

    # Every default must be a value its own selector accepts.
    for spec in inputs.values():
        if "default" in spec:
            _select(spec["selector"], spec["default"])


def test_blueprint_missing_input_definition_is_rejected() -> None:
    """Home Assistant's blueprint schema catches an !input without a definition (guards _load)."""
    data = load_yaml(BLUEPRINT_DIR / "morning_briefing.yaml")
    assert isinstance(data, dict)
    del data["blueprint"]["input"]["chat_ids"]
    with pytest.raises(Exception, match="Missing input definition for chat_ids"):
        Blueprint(data, expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA)


@pytest.fixture
async def blueprint_hass(hass: HomeAssistant, tmp_path: Path) -> AsyncIterator[HomeAssistant]:
    """Home Assistant with a private config dir holding the blueprints, as a user installs them."""
    hass.config.config_dir = str(tmp_path)
    await hass.async_add_executor_job(
        shutil.copytree, BLUEPRINT_DIR, hass.config.path("blueprints", "automation", "coach_dyno")
    )
    hass.states.async_set(SWITCH, STATE_ON)
    yield hass
    # Turning the automations off detaches their time triggers, so no timer outlives the test.
    await hass.services.async_call(
        "automation", "turn_off", {"entity_id": ENTITY_MATCH_ALL}, blocking=True
    )


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


def _mock_coach(hass: HomeAssistant, response: dict[str, Any]) -> list[ServiceCall]:
    """Register a fake generate_briefing returning a fixed response."""
    calls: list[ServiceCall] = async_mock_service(
        hass,
        "coach_dyno",
        "generate_briefing",
        schema=BRIEFING_SCHEMA,
        response=response,
        supports_response=SupportsResponse.ONLY,
    )
    return calls


def _mock_telegram(hass: HomeAssistant) -> list[ServiceCall]:
    """Register a fake telegram_bot.send_message that records its calls."""
    calls: list[ServiceCall] = async_mock_service(
        hass, "telegram_bot", "send_message", schema=TELEGRAM_SCHEMA
    )
    return calls


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
    """Move the clock to a moment and let the time triggers fire."""
    freezer.move_to(moment)
    async_fire_time_changed(hass, moment)
    await hass.async_block_till_done()


async def test_morning_briefing_sends_coach_text(
    blueprint_hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """At the chosen time the coach's morning text goes to every configured chat."""
    hass = blueprint_hass
    moment = _next(6, 15)
    freezer.move_to(moment - timedelta(hours=1))
    coach = _mock_coach(hass, MORNING_RESPONSE)
    telegram = _mock_telegram(hass)
    await _setup_automation(
        hass,
        "morning_briefing.yaml",
        {
            "coach": ENTRY_ID,
            "briefings_switch": SWITCH,
            "briefing_time": "06:15:00",
            "chat_ids": CHAT_IDS,
        },
    )

    await _advance_to(hass, freezer, moment - timedelta(minutes=1))
    assert coach == []
    assert telegram == []

    await _advance_to(hass, freezer, moment)
    assert [call.data for call in coach] == [{"config_entry_id": ENTRY_ID, "kind": "morning"}]
    assert len(telegram) == 1
    assert telegram[0].data == {
        "message": MORNING_RESPONSE["text"],
        "target": EXPECTED_TARGET,
        "title": "Coach Dyno morning briefing",
        "parse_mode": "plain_text",
    }


async def test_morning_briefing_single_chat_and_custom_title(
    blueprint_hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """One chat id still becomes a list of one integer; the title and format follow the inputs."""
    hass = blueprint_hass
    moment = _next(5, 45)
    freezer.move_to(moment - timedelta(hours=1))
    _mock_coach(hass, MORNING_RESPONSE)
    telegram = _mock_telegram(hass)
    await _setup_automation(
        hass,
        "morning_briefing.yaml",
        {
            "coach": ENTRY_ID,
            "briefings_switch": SWITCH,
            "briefing_time": "05:45:00",
            "chat_ids": ["42"],
            "title": "Today",
            "parse_mode": "html",
        },
    )

    await _advance_to(hass, freezer, moment)
    assert [call.data for call in telegram] == [
        {
            "message": MORNING_RESPONSE["text"],
            "target": [42],
            "title": "Today",
            "parse_mode": "html",
        }
    ]


async def test_morning_briefing_switch_off_sends_nothing(
    blueprint_hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """With briefings switched off the coach is not asked and Telegram stays quiet."""
    hass = blueprint_hass
    hass.states.async_set(SWITCH, STATE_OFF)
    moment = _next(6, 30)
    freezer.move_to(moment - timedelta(hours=1))
    coach = _mock_coach(hass, MORNING_RESPONSE)
    telegram = _mock_telegram(hass)
    await _setup_automation(
        hass,
        "morning_briefing.yaml",
        {"coach": ENTRY_ID, "briefings_switch": SWITCH, "chat_ids": CHAT_IDS},
    )

    await _advance_to(hass, freezer, moment)
    assert coach == []
    assert telegram == []

    # Switching back on restores the next day's briefing (the default time is 06:30).
    hass.states.async_set(SWITCH, STATE_ON)
    await _advance_to(hass, freezer, moment + timedelta(days=1))
    assert [call.data["message"] for call in telegram] == [MORNING_RESPONSE["text"]]


async def test_weekly_report_only_on_its_weekday(
    blueprint_hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The weekly report runs on the chosen weekday only and asks for the weekly kind."""
    hass = blueprint_hass
    saturday = _next(19, 0, weekday=5)
    freezer.move_to(saturday - timedelta(hours=1))
    coach = _mock_coach(hass, WEEKLY_RESPONSE)
    telegram = _mock_telegram(hass)
    await _setup_automation(
        hass,
        "weekly_report.yaml",
        {"coach": ENTRY_ID, "briefings_switch": SWITCH, "chat_ids": CHAT_IDS},
    )

    await _advance_to(hass, freezer, saturday)
    assert coach == []
    assert telegram == []

    await _advance_to(hass, freezer, saturday + timedelta(days=1))
    assert [call.data for call in coach] == [{"config_entry_id": ENTRY_ID, "kind": "weekly"}]
    assert [call.data for call in telegram] == [
        {
            "message": WEEKLY_RESPONSE["text"],
            "target": EXPECTED_TARGET,
            "title": "Coach Dyno weekly report",
            "parse_mode": "plain_text",
        }
    ]


async def test_weekly_report_switch_off_sends_nothing(
    blueprint_hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """On the right day and time, a switched-off athlete gets no weekly report."""
    hass = blueprint_hass
    hass.states.async_set(SWITCH, STATE_OFF)
    wednesday = _next(8, 0, weekday=2)
    freezer.move_to(wednesday - timedelta(hours=1))
    coach = _mock_coach(hass, WEEKLY_RESPONSE)
    telegram = _mock_telegram(hass)
    await _setup_automation(
        hass,
        "weekly_report.yaml",
        {
            "coach": ENTRY_ID,
            "briefings_switch": SWITCH,
            "weekday": "wed",
            "report_time": "08:00:00",
            "chat_ids": CHAT_IDS,
        },
    )

    await _advance_to(hass, freezer, wednesday)
    assert coach == []
    assert telegram == []


def _activity_event(**overrides: Any) -> dict[str, Any]:
    """Return coach_dyno_activity event data for a new run of this athlete."""
    data: dict[str, Any] = {
        "config_entry_id": ENTRY_ID,
        "action": "created",
        "activity_id": 13579246801,
        "name": "Tempo Tuesday",
        "sport_type": "Run",
        "distance_m": 10200.0,
        "trimp": 96.4,
    }
    data.update(overrides)
    return data


@pytest.fixture
async def post_run(
    blueprint_hass: HomeAssistant,
) -> tuple[HomeAssistant, list[ServiceCall], list[ServiceCall]]:
    """Set up the post-run blueprint with fake coach and Telegram actions."""
    hass = blueprint_hass
    coach = async_mock_service(
        hass,
        "coach_dyno",
        "analyze_activity",
        schema=ANALYZE_SCHEMA,
        response=ANALYSIS_RESPONSE,
        supports_response=SupportsResponse.ONLY,
    )
    telegram = _mock_telegram(hass)
    await _setup_automation(
        hass,
        "post_run_analysis.yaml",
        {"coach": ENTRY_ID, "briefings_switch": SWITCH, "chat_ids": CHAT_IDS},
    )
    return hass, coach, telegram


async def test_post_run_analysis_sends_analysis(
    post_run: tuple[HomeAssistant, list[ServiceCall], list[ServiceCall]],
) -> None:
    """A new run is analysed by id and the analysis text reaches the configured chats."""
    hass, coach, telegram = post_run
    hass.bus.async_fire("coach_dyno_activity", _activity_event())
    await hass.async_block_till_done()

    assert [call.data for call in coach] == [
        {"config_entry_id": ENTRY_ID, "activity_id": 13579246801}
    ]
    assert [call.data for call in telegram] == [
        {
            "message": ANALYSIS_RESPONSE["text"],
            "target": EXPECTED_TARGET,
            "title": "Post-run analysis: Tempo Tuesday",
            "parse_mode": "plain_text",
        }
    ]


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"action": "updated"}, id="updated"),
        pytest.param({"action": "deleted"}, id="deleted"),
        pytest.param({"config_entry_id": OTHER_ENTRY_ID}, id="other-athlete"),
        pytest.param({"sport_type": "Ride"}, id="not-a-run"),
    ],
)
async def test_post_run_analysis_ignores_other_events(
    post_run: tuple[HomeAssistant, list[ServiceCall], list[ServiceCall]],
    overrides: dict[str, Any],
) -> None:
    """Edits, deletions, other athletes and other sports are not analysed."""
    hass, coach, telegram = post_run
    hass.bus.async_fire("coach_dyno_activity", _activity_event(**overrides))
    await hass.async_block_till_done()
    assert coach == []
    assert telegram == []


async def test_post_run_analysis_switch_off_sends_nothing(
    post_run: tuple[HomeAssistant, list[ServiceCall], list[ServiceCall]],
) -> None:
    """With briefings switched off a new run is neither analysed nor sent."""
    hass, coach, telegram = post_run
    hass.states.async_set(SWITCH, STATE_OFF)
    hass.bus.async_fire("coach_dyno_activity", _activity_event())
    await hass.async_block_till_done()
    assert coach == []
    assert telegram == []


async def test_post_run_analysis_trail_run_counts(
    post_run: tuple[HomeAssistant, list[ServiceCall], list[ServiceCall]],
) -> None:
    """Trail runs are runs too: the default sport types include them."""
    hass, coach, telegram = post_run
    hass.bus.async_fire("coach_dyno_activity", _activity_event(sport_type="TrailRun"))
    await hass.async_block_till_done()
    assert len(coach) == 1
    assert [call.data["message"] for call in telegram] == [ANALYSIS_RESPONSE["text"]]
