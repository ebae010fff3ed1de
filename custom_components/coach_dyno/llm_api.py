"""An LLM API with coach tools, for conversation agents that should talk training."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import llm
from homeassistant.util.json import JsonObjectType
import voluptuous as vol

from .const import DOMAIN
from .coordinator import snapshot_status
from .intent import loaded_entry
from .services import async_briefing

if TYPE_CHECKING:
    from .coordinator import CoachDynoConfigEntry

API_NAME = "Coach Dyno"
API_PROMPT = (
    "You are also the user's running coach. Use the coach tools for any question about their "
    "running, training load, form, goal race or recent runs; never guess numbers. Distances are "
    "in metres, durations in seconds and paces in seconds per kilometre unless a tool says otherwise."
)
DEFAULT_RUNS = 5
MAX_RUNS = 10

# Home Assistant 2026.10 and newer want a ToolResult and read-only annotations; older releases
# take the plain JSON object and know neither class.
_TOOL_RESULT: Any = getattr(llm, "ToolResult", None)
_TOOL_ANNOTATIONS: Any = getattr(llm, "ToolAnnotations", None)


def _result(data: JsonObjectType, *, error: bool = False) -> Any:
    """Return a tool's answer in the form this Home Assistant expects."""
    return data if _TOOL_RESULT is None else _TOOL_RESULT(data=data, error=error)


class CoachTool(llm.Tool):
    """A tool that reads the loaded athlete's snapshot."""

    integration = DOMAIN
    if _TOOL_ANNOTATIONS is not None:  # pragma: no cover - Home Assistant 2026.10 and newer
        annotations = _TOOL_ANNOTATIONS(
            read_only=True, destructive=False, idempotent=True, open_world=True
        )

    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> Any:
        """Answer from the first loaded athlete, or say there is none."""
        if (entry := loaded_entry(hass)) is None:
            return _result({"error": "Coach Dyno has no athlete set up"}, error=True)
        return _result(await self.async_answer(hass, entry, tool_input.tool_args))

    async def async_answer(
        self, hass: HomeAssistant, entry: CoachDynoConfigEntry, tool_args: dict[str, Any]
    ) -> JsonObjectType:
        """Answer for `entry`'s athlete (the conversation agent asks for its own athlete here)."""
        # Models hand the arguments over as they wrote them: check them here.
        return await self._async_answer(hass, entry, self.parameters(tool_args))

    async def _async_answer(
        self, hass: HomeAssistant, entry: CoachDynoConfigEntry, args: dict[str, Any]
    ) -> JsonObjectType:
        """Answer for one athlete."""
        raise NotImplementedError


class TrainingStatusTool(CoachTool):
    """Volume, load, form and the race outlook."""

    name = "get_training_status"
    title = "Training status"
    description = (
        "Get the runner's training status: weekly/monthly volume, training load (TRIMP), fitness "
        "(CTL), fatigue (ATL), form (TSB), ACWR, VDOT, training paces and the goal-race outlook. "
        "A null load value is unknown (no heart rate and no pace to estimate it), never zero; "
        "load.estimated_days lists the days whose load is estimated from pace."
    )

    async def _async_answer(
        self, hass: HomeAssistant, entry: CoachDynoConfigEntry, args: dict[str, Any]
    ) -> JsonObjectType:
        """Return the snapshot without its long per-day and per-run lists."""
        return cast(JsonObjectType, snapshot_status(entry.runtime_data.coordinator.data.snapshot))


class RecentRunsTool(CoachTool):
    """The newest runs, newest first."""

    name = "get_recent_runs"
    title = "Recent runs"
    description = (
        "Get the runner's most recent runs (newest first) with distance, pace, HR and load."
    )
    parameters = vol.Schema(
        {
            vol.Optional("count", default=DEFAULT_RUNS): vol.All(
                vol.Coerce(int), vol.Range(min=1, max=MAX_RUNS)
            )
        }
    )

    async def _async_answer(
        self, hass: HomeAssistant, entry: CoachDynoConfigEntry, args: dict[str, Any]
    ) -> JsonObjectType:
        """Return up to `count` runs."""
        runs = entry.runtime_data.coordinator.data.snapshot.as_dict()["recent_runs"]
        return {"runs": runs[: args["count"]]}


class BriefingTool(CoachTool):
    """Today's coach briefing with the 7-day plan."""

    name = "get_coach_briefing"
    title = "Coach briefing"
    description = "Get today's briefing from the running coach, with its 7-day training plan."

    async def _async_answer(
        self, hass: HomeAssistant, entry: CoachDynoConfigEntry, args: dict[str, Any]
    ) -> JsonObjectType:
        """Return the morning briefing (cached for the day, like the action's)."""
        briefing = await async_briefing(hass, entry, "morning")
        return cast(JsonObjectType, briefing.as_dict())


def coach_tools() -> list[CoachTool]:
    """Return the coach tools, for the LLM API and the conversation agent alike."""
    return [TrainingStatusTool(), RecentRunsTool(), BriefingTool()]


class CoachAPI(llm.API):
    """The Coach Dyno LLM API."""

    async def async_get_api_instance(self, llm_context: llm.LLMContext) -> llm.APIInstance:
        """Return the coach tools."""
        return llm.APIInstance(
            api=self,
            api_prompt=API_PROMPT,
            llm_context=llm_context,
            tools=list(coach_tools()),
        )


@callback
def async_setup_llm_api(hass: HomeAssistant) -> None:
    """Offer the coach tools to conversation agents."""
    llm.async_register_api(hass, CoachAPI(hass=hass, id=DOMAIN, name=API_NAME))
