"""Tests for the LLM API: registered, its tools answer with JSON-safe data from the snapshot."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from homeassistant.const import CONF_API_KEY
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import llm
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.coach_dyno.const import DOMAIN
from tests.conftest import (
    GEMINI_KEY,
    PROFILE_OPTIONS,
    call_action,
    demo_config_entry,
    setup_entry,
)
from tests.fakes.gemini import FakeGemini, invalid_key_error

# The fields every supported release knows (2026.x dropped `user_prompt`, 2025.4 requires it).
_CONTEXT_FIELDS: dict[str, Any] = {
    "platform": "test",
    "context": Context(),
    "user_prompt": "How is my training going?",
    "language": "en",
    "assistant": "conversation",
    "device_id": None,
}
CONTEXT = llm.LLMContext(
    **{f.name: _CONTEXT_FIELDS[f.name] for f in dataclasses.fields(llm.LLMContext)}
)


async def _api(hass: HomeAssistant) -> llm.APIInstance:
    return await llm.async_get_api(hass, DOMAIN, CONTEXT)


async def _call(hass: HomeAssistant, tool: str, **args: Any) -> dict[str, Any]:
    """Call a tool as a conversation agent does."""
    api = await _api(hass)
    result = await api.async_call_tool(llm.ToolInput(tool_name=tool, tool_args=args))
    # Home Assistant 2026.10 and newer wrap the answer in a ToolResult.
    return dict(getattr(result, "data", result))


def _assert_plain_json(value: Any) -> None:
    """Only what JSON has: dicts with string keys, lists, strings, finite numbers, booleans, None."""
    assert json.loads(json.dumps(value, allow_nan=False)) == value
    if isinstance(value, dict):
        assert all(type(key) is str for key in value)
        for item in value.values():
            _assert_plain_json(item)
    elif isinstance(value, list):
        for item in value:
            _assert_plain_json(item)
    else:
        # Exact types: an enum or a date subclass would pass json.dumps yet surprise a consumer.
        assert value is None or type(value) in (str, int, float, bool), repr(value)


async def test_registered(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """The API is offered to conversation agents under the integration's name, with three tools."""
    apis = {api.id: api for api in llm.async_get_apis(hass)}
    assert apis[DOMAIN].name == "Coach Dyno"
    instance = await _api(hass)
    assert "running coach" in instance.api_prompt
    assert [tool.name for tool in instance.tools] == [
        "get_training_status",
        "get_recent_runs",
        "get_coach_briefing",
    ]
    assert all(tool.description for tool in instance.tools)


async def test_training_status(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """The status matches the sensors and is plain JSON, without the long per-day series."""
    status = await _call(hass, "get_training_status")
    _assert_plain_json(status)
    snapshot = loaded_demo.runtime_data.coordinator.data.snapshot
    assert status["today"] == snapshot.today.isoformat()
    assert status["volume"]["this_week"]["distance_m"] == snapshot.volume.this_week.distance_m
    assert status["load"]["tsb"] == snapshot.load.tsb
    assert "daily" not in status["load"]
    assert "recent_runs" not in status
    assert status["race"]["phase"] == "build"
    assert status["race"]["race_date"] == PROFILE_OPTIONS["race_date"]
    assert status["paces"]["easy"] > status["paces"]["threshold"]
    week = hass.states.get("sensor.demo_runner_distance_this_week")
    assert week is not None
    assert status["volume"]["this_week"]["distance_m"] / 1000 == pytest.approx(
        float(week.state), abs=1e-3
    )


async def test_recent_runs(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """The newest runs come first; the count is the model's to choose within limits."""
    snapshot = loaded_demo.runtime_data.coordinator.data.snapshot
    default = await _call(hass, "get_recent_runs")
    _assert_plain_json(default)
    assert [run["id"] for run in default["runs"]] == [run.id for run in snapshot.recent_runs[:5]]
    starts = [run["start"] for run in default["runs"]]
    assert starts == sorted(starts, reverse=True)

    # Models sometimes send numbers as strings or floats.
    assert len((await _call(hass, "get_recent_runs", count="2"))["runs"]) == 2
    assert len((await _call(hass, "get_recent_runs", count=10.0))["runs"]) == 10


@pytest.mark.parametrize("count", [0, 11, "many"])
async def test_recent_runs_refuses_bad_counts(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, count: Any
) -> None:
    """A count outside 1..10 is refused, which the agent reports back to the model."""
    with pytest.raises(vol.Invalid):
        await _call(hass, "get_recent_runs", count=count)


async def test_briefing(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """The briefing tool returns the morning briefing with its plan, as the action does."""
    result = await _call(hass, "get_coach_briefing")
    _assert_plain_json(result)
    action = await call_action(hass, "generate_briefing", {"config_entry_id": loaded_demo.entry_id})
    assert result == action
    assert len(result["plan"]) == 7


async def test_briefing_with_a_refused_key(
    hass: HomeAssistant, gemini: FakeGemini, frozen_now: object
) -> None:
    """A refused key reaches the agent as an error (which it reports), and reauth starts."""
    await setup_entry(hass, demo_config_entry({CONF_API_KEY: GEMINI_KEY}))
    gemini.queue("gemini-2.5-flash", invalid_key_error())
    with pytest.raises(HomeAssistantError, match="Gemini refused the API key"):
        await _call(hass, "get_coach_briefing")
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["step_id"] for flow in flows] == ["reauth_gemini"]


@pytest.mark.parametrize("tool", ["get_training_status", "get_recent_runs", "get_coach_briefing"])
async def test_no_athlete(hass: HomeAssistant, tool: str) -> None:
    """Without a loaded athlete each tool says so instead of failing."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert await _call(hass, tool) == {"error": "Coach Dyno has no athlete set up"}


async def test_training_status_without_heart_rate(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """Unknown load is null, never 0; a load from pace lists its estimated days."""
    coordinator = loaded_demo.runtime_data.coordinator
    stored = coordinator.store.activities
    coordinator.store.activities = {
        key: dataclasses.replace(activity, avg_hr=None, max_hr=None, stream_summary=None)
        for key, activity in stored.items()
    }
    await coordinator.async_recompute()
    estimated = (await _call(hass, "get_training_status"))["load"]
    assert estimated["ctl"] > 0
    assert estimated["estimated_days"]
    assert "estimated from pace" in (await _api(hass)).tools[0].description

    coordinator.store.activities = {
        key: dataclasses.replace(activity, distance_m=2000.0)
        for key, activity in coordinator.store.activities.items()
    }
    await coordinator.async_recompute()
    unknown = (await _call(hass, "get_training_status"))["load"]
    _assert_plain_json(unknown)
    for key in ("ctl", "atl", "tsb", "acwr", "monotony", "strain", "trimp_7d", "trimp_today"):
        assert unknown[key] is None, key
    assert unknown["estimated_days"] == []
