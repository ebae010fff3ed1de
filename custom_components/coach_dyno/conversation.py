"""The Coach Dyno conversation agent: pick it in Assist or a voice assistant and talk training."""

from __future__ import annotations

from typing import Any, Literal

from homeassistant.components import conversation
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import intent
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util.ulid import ulid_now
import voluptuous as vol
from voluptuous_openapi import convert

from .coach.engine import CoachTools
from .coach.gemini import ToolSpec
from .coach.memory import Conversations
from .coordinator import CoachDynoConfigEntry
from .entity import CoachDynoEntity
from .intent import phrases_for
from .llm_api import coach_tools
from .services import async_coach_call

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CoachDynoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the athlete's coach as a conversation agent."""
    async_add_entities([CoachConversationEntity(entry)])


class CoachConversationEntity(CoachDynoEntity, conversation.ConversationEntity):
    """
    Answers with Gemini (calling the coach tools for its own athlete) or the offline coach.

    Each conversation id has its own short memory; nothing of it is stored on disk.
    """

    _attr_translation_key = "coach"

    def __init__(self, entry: CoachDynoConfigEntry) -> None:
        """Attach the agent to the athlete's device."""
        super().__init__(entry.runtime_data.coordinator, "conversation")
        self._entry = entry
        # The agent's own conversations, by id: bounded, never saved.
        self._conversations = Conversations()
        tools = {tool.name: tool for tool in coach_tools()}
        self._tools = tools
        self._specs = tuple(
            ToolSpec(
                tool.name,
                tool.description or tool.name,
                convert(tool.parameters) if tool.parameters.schema else None,
            )
            for tool in tools.values()
        )

    @property
    def available(self) -> bool:
        """The coach answers from the stored history even while a sync fails."""
        return True

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Gemini answers in any language; the offline coach in English or Vietnamese."""
        return MATCH_ALL

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """Answer in the conversation `user_input` belongs to, starting one if it has none."""
        conversation_id = user_input.conversation_id or ulid_now()
        memory = self._conversations.get(conversation_id)
        response = intent.IntentResponse(language=user_input.language)
        runtime = self._entry.runtime_data
        try:
            answer = await async_coach_call(
                self.hass,
                self._entry,
                runtime.coach.ask(
                    runtime.coordinator.data.snapshot,
                    user_input.text,
                    memory,
                    CoachTools(self._specs, self._async_run_tool),
                ),
            )
        except HomeAssistantError:
            # async_coach_call already asked for a new key where that is the cause.
            response.async_set_error(
                intent.IntentResponseErrorCode.FAILED_TO_HANDLE,
                phrases_for(user_input.language)["coach_failed"],
            )
        else:
            response.async_set_speech(answer.text)
        return conversation.ConversationResult(response=response, conversation_id=conversation_id)

    async def _async_run_tool(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """Run a coach tool for this agent's athlete; a failure is the model's to read."""
        if (tool := self._tools.get(name)) is None:
            return {"error": f"Unknown tool {name}"}
        try:
            return dict(await tool.async_answer(self.hass, self._entry, args))
        except (vol.Invalid, HomeAssistantError) as err:
            return {"error": str(err)}
