"""Tests for the Coach Dyno conversation agent, through Home Assistant's conversation integration."""

from __future__ import annotations

from homeassistant.components import conversation
from homeassistant.const import CONF_API_KEY
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er, intent
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.coach_dyno.coach.formatting import MAX_ANSWER_CHARS
from custom_components.coach_dyno.coach.gemini import ANSWER_OUTPUT_TOKENS, THINKING_TOKENS
from custom_components.coach_dyno.coach.memory import MAX_CONVERSATIONS
from custom_components.coach_dyno.const import DOMAIN
from tests.conftest import (
    ENTRY_ID,
    GEMINI_KEY,
    NO_RACE_OPTIONS,
    call_action,
    demo_config_entry,
    setup_entry,
)
from tests.fakes.gemini import (
    VALID_KEY,
    FakeGemini,
    function_call_reply,
    invalid_key_error,
    text_reply,
)

MAIN = "gemini-2.5-flash"
AGENT = "conversation.demo_runner_coach_dyno"
SECOND_ID = "01JCOACHDYNO0000000000002"
SECOND_AGENT = "conversation.second_runner_coach_dyno"


@pytest.fixture(autouse=True)
async def conversation_integration(hass: HomeAssistant) -> None:
    """Set up Home Assistant's conversation integration, as a voice assistant or Assist has it."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})


@pytest.fixture
def gemini_key(gemini: FakeGemini) -> str:
    """Make the fake accept the key every keyed entry uses."""
    gemini.valid_keys.add(GEMINI_KEY)
    return GEMINI_KEY


async def _converse(
    hass: HomeAssistant,
    text: str,
    conversation_id: str | None = None,
    agent_id: str = AGENT,
    language: str = "en",
) -> conversation.ConversationResult:
    """Speak to the agent the way a voice pipeline does."""
    return await conversation.async_converse(
        hass, text, conversation_id, Context(), language=language, agent_id=agent_id
    )


def _speech(result: conversation.ConversationResult) -> str:
    speech: str = result.response.speech["plain"]["speech"]
    return speech


def _second_entry() -> MockConfigEntry:
    """Return a second athlete of the household, without a goal race."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=SECOND_ID,
        title="Second runner",
        unique_id="demo-second",
        data={"source": "demo", CONF_API_KEY: GEMINI_KEY},
        options=NO_RACE_OPTIONS,
    )


@pytest.mark.usefixtures("frozen_now")
async def test_the_agent_is_an_entity_of_the_athlete(
    hass: HomeAssistant, demo_entry: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """One agent per athlete, on the athlete's device, listed among the conversation agents."""
    await setup_entry(hass, demo_entry)
    entity = entity_registry.async_get(AGENT)
    assert entity is not None
    assert entity.unique_id == "demo_conversation"
    assert entity.config_entry_id == ENTRY_ID
    assert entity.device_id is not None
    state = hass.states.get(AGENT)
    assert state is not None
    assert state.attributes["friendly_name"] == "Demo runner Coach Dyno"
    assert conversation.async_get_agent_info(hass, AGENT) is not None
    # Any assistant may pick it, whatever its language: Gemini answers in all of them.
    agent = conversation.async_get_agent(hass, AGENT)
    assert agent is not None
    assert agent.supported_languages == "*"

    # Unloading the athlete takes the agent away with it.
    assert await hass.config_entries.async_unload(demo_entry.entry_id)
    state = hass.states.get(AGENT)
    assert state is not None
    assert state.state == "unavailable"


@pytest.mark.usefixtures("frozen_now")
async def test_offline_answer_through_the_process_action(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """Without a key the offline coach answers, with the numbers of the athlete's week."""
    await setup_entry(hass, demo_entry)
    response = await hass.services.async_call(
        "conversation",
        "process",
        {"text": "How far did I run this week?", "agent_id": AGENT},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    speech = response["response"]["speech"]["plain"]["speech"]
    # The same words the ask_coach action gives to a fresh conversation.
    await demo_entry.runtime_data.coach.async_clear_memory()
    expected = await call_action(
        hass,
        "ask_coach",
        {"config_entry_id": ENTRY_ID, "question": "How far did I run this week?"},
    )
    assert speech == expected["text"]
    week = demo_entry.runtime_data.coordinator.data.snapshot.volume.this_week
    assert f"{week.distance_m / 1000:.1f} km" in speech
    assert response["conversation_id"]


@pytest.mark.usefixtures("frozen_now")
async def test_offline_history_per_conversation_id(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """A follow-up continues its own conversation's topic, not another's."""
    await setup_entry(hass, demo_entry)
    first = await _converse(hass, "How far did I run this week?")
    conversation_id = first.conversation_id
    assert conversation_id is not None

    follow_up = await _converse(hass, "and then?", conversation_id)
    elsewhere = await _converse(hass, "and then?", "another-conversation")

    assert follow_up.conversation_id == conversation_id
    assert _speech(follow_up) == _speech(first)
    assert elsewhere.conversation_id == "another-conversation"
    assert _speech(elsewhere) != _speech(first)
    # The agent's conversations are its own: the action's memory is untouched.
    assert len(demo_entry.runtime_data.coach.memory) == 0


@pytest.mark.usefixtures("frozen_now")
async def test_gemini_answers_with_history_per_conversation(
    hass: HomeAssistant, gemini: FakeGemini, gemini_key: str
) -> None:
    """Each conversation id sends its own turns, bounded output, and the coach tools."""
    await setup_entry(hass, demo_config_entry({CONF_API_KEY: gemini_key}))
    gemini.queue(MAIN, text_reply("You ran 30 km."), text_reply("Yes."), text_reply("Hello."))

    first = await _converse(hass, "How far this week?", "kitchen")
    second = await _converse(hass, "Was that enough?", "kitchen")
    other = await _converse(hass, "Hi coach", "bedroom")

    assert [_speech(first), _speech(second), _speech(other)] == ["You ran 30 km.", "Yes.", "Hello."]
    requests = gemini.generate_requests(MAIN)
    assert requests[1].roles == ["user", "model", "user"]
    assert requests[1].prompt_text == '"How far this week?"\nYou ran 30 km.\n"Was that enough?"'
    assert requests[2].prompt_text == '"Hi coach"'
    assert "ATHLETE DATA" in requests[0].system_text
    assert requests[0].generation_config["maxOutputTokens"] == (
        ANSWER_OUTPUT_TOKENS + THINKING_TOKENS
    )
    declared = {
        function["name"]
        for tool in requests[0].body["tools"]  # type: ignore[index]
        for function in tool["functionDeclarations"]
    }
    assert declared == {"get_training_status", "get_recent_runs", "get_coach_briefing"}


@pytest.mark.usefixtures("frozen_now")
async def test_the_least_recent_conversation_is_forgotten(
    hass: HomeAssistant, gemini: FakeGemini, gemini_key: str
) -> None:
    """The agent keeps a bounded number of conversations; past it, the oldest starts afresh."""
    await setup_entry(hass, demo_config_entry({CONF_API_KEY: gemini_key}))
    await _converse(hass, "How far this week?", "kitchen")
    await _converse(hass, "And last week?", "kitchen")
    for room in range(MAX_CONVERSATIONS):
        await _converse(hass, "Hello", f"room {room}")
    await _converse(hass, "Hello again", "kitchen")
    requests = gemini.generate_requests(MAIN)
    assert requests[1].roles == ["user", "model", "user"]
    assert requests[-1].roles == ["user"]


@pytest.mark.usefixtures("frozen_now")
async def test_gemini_calls_the_coach_tools_for_its_own_athlete(
    hass: HomeAssistant, gemini: FakeGemini, gemini_key: str
) -> None:
    """With two athletes, each agent's tools read its own athlete's data."""
    first = demo_config_entry({CONF_API_KEY: gemini_key})
    await setup_entry(hass, first)
    second = _second_entry()
    await setup_entry(hass, second)
    for _agent in (AGENT, SECOND_AGENT):
        gemini.queue(
            MAIN,
            function_call_reply(("get_training_status", {}), ("get_recent_runs", {"count": 2})),
            text_reply("Done."),
        )

    for agent in (AGENT, SECOND_AGENT):
        assert _speech(await _converse(hass, "How is my race going?", agent_id=agent)) == "Done."

    answers = [
        request.body["contents"][-1]["parts"]  # type: ignore[index]
        for request in gemini.generate_requests(MAIN)[1::2]
    ]
    for parts, entry in zip(answers, (first, second), strict=True):
        snapshot = entry.runtime_data.coordinator.data.snapshot
        status = parts[0]["functionResponse"]
        runs = parts[1]["functionResponse"]
        assert status["name"] == "get_training_status"
        assert runs["name"] == "get_recent_runs"
        race = status["response"]["race"]
        assert (race is None) == (snapshot.race is None)
        assert [run["id"] for run in runs["response"]["runs"]] == [
            run.id for run in snapshot.recent_runs[:2]
        ]
    assert answers[0][0]["functionResponse"]["response"]["race"]["name"] == "Autumn Half"
    assert answers[1][0]["functionResponse"]["response"]["race"] is None


@pytest.mark.usefixtures("frozen_now")
async def test_a_tool_error_goes_back_to_the_model(
    hass: HomeAssistant, gemini: FakeGemini, gemini_key: str
) -> None:
    """An unknown tool or arguments out of range are answered with an error the model reads."""
    await setup_entry(hass, demo_config_entry({CONF_API_KEY: gemini_key}))
    gemini.queue(
        MAIN,
        function_call_reply(("get_recent_runs", {"count": 99}), ("delete_everything", {})),
        text_reply("Sorry."),
    )
    assert _speech(await _converse(hass, "Show me 99 runs")) == "Sorry."
    parts = gemini.generate_requests(MAIN)[1].body["contents"][-1]["parts"]  # type: ignore[index]
    assert "error" in parts[0]["functionResponse"]["response"]
    assert parts[1]["functionResponse"]["response"] == {"error": "Unknown tool delete_everything"}


@pytest.mark.usefixtures("frozen_now")
async def test_endless_tool_calls_end_with_the_offline_coach(
    hass: HomeAssistant, gemini: FakeGemini, gemini_key: str
) -> None:
    """A model that never stops calling tools gets a few rounds, then the offline coach answers."""
    entry = demo_config_entry({CONF_API_KEY: gemini_key})
    await setup_entry(hass, entry)
    gemini.queue(MAIN, *[function_call_reply(("get_training_status", {}))] * 10)
    speech = _speech(await _converse(hass, "How far did I run this week?"))
    week = entry.runtime_data.coordinator.data.snapshot.volume.this_week
    assert f"{week.distance_m / 1000:.1f} km" in speech
    assert len(gemini.generate_requests(MAIN)) == 5


@pytest.mark.usefixtures("frozen_now")
async def test_long_answers_are_cut_at_a_sentence(
    hass: HomeAssistant, gemini: FakeGemini, gemini_key: str
) -> None:
    """A runaway answer is spoken up to a sentence end within the limit, with an ellipsis."""
    await setup_entry(hass, demo_config_entry({CONF_API_KEY: gemini_key}))
    sentence = "Keep your easy runs truly easy today. "
    gemini.queue(MAIN, text_reply(sentence * 300))
    speech = _speech(await _converse(hass, "Tell me everything"))
    assert len(speech) <= MAX_ANSWER_CHARS
    assert speech.endswith("today.…")
    assert len(speech) > MAX_ANSWER_CHARS - len(sentence) - 1


@pytest.mark.usefixtures("frozen_now")
async def test_a_refused_key_is_spoken_as_a_failure(
    hass: HomeAssistant, gemini: FakeGemini, gemini_key: str
) -> None:
    """A refused Gemini key answers with an error in the asker's language and asks for a key."""
    await setup_entry(hass, demo_config_entry({CONF_API_KEY: gemini_key}))
    gemini.valid_keys = {VALID_KEY}
    gemini.queue(MAIN, invalid_key_error())
    result = await _converse(hass, "How far?", language="vi")
    assert result.response.response_type is intent.IntentResponseType.ERROR
    assert result.response.error_code is intent.IntentResponseErrorCode.FAILED_TO_HANDLE
    assert _speech(result) == "Huấn luyện viên chưa trả lời được lúc này."
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["step_id"] for flow in flows] == ["reauth_gemini"]


@pytest.mark.usefixtures("frozen_now")
async def test_the_agent_answers_while_a_sync_fails(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """The agent stays available and answers from the stored history."""
    await setup_entry(hass, demo_entry)
    coordinator = demo_entry.runtime_data.coordinator
    coordinator.last_update_success = False
    coordinator.async_update_listeners()
    state = hass.states.get(AGENT)
    assert state is not None
    assert state.state != "unavailable"
    assert _speech(await _converse(hass, "how was my last run"))
