"""Tests for the dashboard: in the sidebar with the first athlete, one view each, real entity ids."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from homeassistant.components.frontend import DATA_PANELS
from homeassistant.components.lovelace.const import LOVELACE_DATA
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.coach_dyno.const import DOMAIN
from custom_components.coach_dyno.dashboard import URL_PATH
from tests.conftest import PROFILE_OPTIONS, setup_entry


@pytest.fixture(autouse=True)
async def lovelace(hass: HomeAssistant) -> None:
    """Load the dashboards integration, as the frontend does on every instance."""
    assert await async_setup_component(hass, "lovelace", {})


async def _config(hass: HomeAssistant, hass_ws_client: WebSocketGenerator) -> dict[str, Any]:
    """Ask for the dashboard's configuration, as the frontend does when it opens it."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "lovelace/config", "url_path": URL_PATH})
    reply = await client.receive_json()
    assert reply["success"], reply
    return dict(reply["result"])


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every card (and every nested mapping) of a configuration."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _entity_ids(view: dict[str, Any]) -> set[str]:
    """Return the entity ids a view's cards name (statistic ids excluded)."""
    ids: set[str] = set()
    for card in _walk(view):
        for value in (card.get("entity"), *card.get("entities", [])):
            if isinstance(value, str) and ":" not in value:
                ids.add(value)
    return ids


@pytest.mark.usefixtures("frozen_now")
async def test_one_view_per_athlete(
    hass: HomeAssistant, demo_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """Each athlete gets a view whose every card names an entity that exists, in their language."""
    await setup_entry(hass, demo_entry)
    second = MockConfigEntry(
        domain=DOMAIN,
        entry_id="second_athlete",
        title="Second runner",
        unique_id="demo_second",
        data={"source": "demo"},
        options={**PROFILE_OPTIONS, "language": "vi"},
    )
    await setup_entry(hass, second)
    panel = hass.data[DATA_PANELS][URL_PATH]
    assert panel.sidebar_title == "Coach Dyno"

    config = await _config(hass, hass_ws_client)

    assert [view["title"] for view in config["views"]] == ["Demo runner", "Second runner"]
    first, other = config["views"]
    ids = _entity_ids(first)
    assert len(ids) > 20
    assert all(hass.states.get(entity_id) is not None for entity_id in ids)
    assert all(
        entity_id.startswith(
            ("sensor.second", "binary_sensor.second", "switch.second", "calendar.second")
        )
        for entity_id in _entity_ids(other)
    )
    names = {
        card["entity"]: card.get("name") for card in _walk(first) if card.get("type") == "tile"
    }
    assert names["sensor.demo_runner_fitness"] == "Fitness"
    assert names["calendar.demo_runner_training"] == "Today's session"
    headings = [card["heading"] for card in _walk(first) if card.get("type") == "heading"]
    assert headings == ["Today", "Race", "Fitness", "Volume", "Latest run"]
    assert next(c["heading"] for c in _walk(other) if c.get("type") == "heading") == "Hôm nay"
    charts = [card for card in _walk(first) if card.get("type") == "statistics-graph"]
    assert {(chart["period"], chart["chart_type"]) for chart in charts} == {
        ("day", "line"),
        ("week", "line"),
        ("week", "bar"),
        ("month", "bar"),
    }
    assert all(
        entity["entity"].startswith(f"{DOMAIN}:{demo_entry.entry_id.lower()}_")
        for chart in charts
        for entity in chart["entities"]
    )


@pytest.mark.usefixtures("frozen_now")
async def test_renamed_entities_and_no_race(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    entity_registry: er.EntityRegistry,
) -> None:
    """A renamed entity keeps its card; without a goal race there is no race section."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Demo runner",
        unique_id="demo",
        data={"source": "demo"},
        options={key: value for key, value in PROFILE_OPTIONS.items() if "race" not in key},
    )
    await setup_entry(hass, entry)
    entity_registry.async_update_entity(
        "sensor.demo_runner_fitness", new_entity_id="sensor.my_fitness"
    )
    await hass.async_block_till_done()

    view = (await _config(hass, hass_ws_client))["views"][0]

    ids = _entity_ids(view)
    assert "sensor.my_fitness" in ids
    assert "sensor.demo_runner_fitness" not in ids
    assert "Race" not in [card.get("heading") for card in _walk(view)]


@pytest.mark.usefixtures("frozen_now")
async def test_the_users_own_version(
    hass: HomeAssistant, demo_entry: MockConfigEntry, hass_ws_client: WebSocketGenerator
) -> None:
    """An edited dashboard is the user's; deleting it brings the generated one back."""
    await setup_entry(hass, demo_entry)
    client = await hass_ws_client(hass)
    mine = {"views": [{"title": "Mine", "cards": []}]}
    await client.send_json_auto_id(
        {"type": "lovelace/config/save", "url_path": URL_PATH, "config": mine}
    )
    assert (await client.receive_json())["success"]

    assert await _config(hass, hass_ws_client) == mine
    # What other readers of dashboards get (casting, system health) agrees.
    dashboard = hass.data[LOVELACE_DATA].dashboards[URL_PATH]
    assert await dashboard.async_load(False) == mine

    await client.send_json_auto_id({"type": "lovelace/config/delete", "url_path": URL_PATH})
    assert (await client.receive_json())["success"]
    assert (await _config(hass, hass_ws_client))["views"][0]["title"] == "Demo runner"
    assert (await dashboard.async_load(False))["views"][0]["title"] == "Demo runner"


@pytest.mark.usefixtures("frozen_now")
async def test_leaves_the_sidebar_with_the_last_athlete(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """Unloading the last athlete removes the dashboard; loading it again brings it back."""
    await setup_entry(hass, demo_entry)
    assert URL_PATH in hass.data[DATA_PANELS]

    assert await hass.config_entries.async_unload(demo_entry.entry_id)
    assert URL_PATH not in hass.data[DATA_PANELS]

    assert await hass.config_entries.async_setup(demo_entry.entry_id)
    await hass.async_block_till_done()
    assert URL_PATH in hass.data[DATA_PANELS]
