"""
The coach's intents as tools of the Assist LLM API, on Home Assistant 2026.3 and newer.

Up to 2026.2 the Assist API offers every registered intent to LLM agents by itself. Newer
releases ask each integration's `llm` platform for its tools instead; without this module the
coach's intents would silently drop out of every agent. Older releases never import it.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import intent, llm

from .const import DOMAIN
from .intent import COACH_INTENTS


@callback
def async_get_tools(  # pragma: no cover - Home Assistant 2026.3 and newer need Python 3.14
    hass: HomeAssistant, llm_context: llm.LLMContext, api_id: str
) -> Any:
    """Return the coach's intents as read-only tools of the Assist API."""
    from homeassistant.components.llm import LLMTools  # noqa: PLC0415

    if api_id != llm.LLM_API_ASSIST:
        return None
    handlers = [
        handler for handler in intent.async_get(hass) if handler.intent_type in COACH_INTENTS
    ]
    read_only = llm.ToolAnnotations(  # type: ignore[attr-defined]
        read_only=True, destructive=False, idempotent=True, open_world=True
    )
    tools: list[llm.Tool] = [
        llm.IntentTool(  # type: ignore[call-arg]
            f"{DOMAIN}__{handler.intent_type.removeprefix('CoachDyno').lower()}",
            handler,
            title=COACH_INTENTS[handler.intent_type],
            integration=DOMAIN,
            annotations=read_only,
        )
        for handler in handlers
    ]
    return LLMTools(tools=tools) if tools else None
