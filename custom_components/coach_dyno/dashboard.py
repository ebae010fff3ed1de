"""
The Coach Dyno dashboard, in the sidebar as soon as an athlete is set up.

A storage-mode Lovelace dashboard whose configuration is generated from the entity registry (so
renamed entities keep working) with one view per athlete, in the coach's language, until the user
edits and saves it: from then on it is theirs, and deleting it from the raw editor brings the
generated one back. Only built-in cards, so it works on every release without a frontend module.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.frontend import async_register_built_in_panel, async_remove_panel
from homeassistant.components.lovelace.const import LOVELACE_DATA, MODE_STORAGE
from homeassistant.components.lovelace.dashboard import LovelaceStorage
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.json import json_bytes, json_fragment
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import slugify

from .const import CONF_LANGUAGE, DOMAIN
from .statistics import DISTANCE, LOAD_CURVES, statistic_id

URL_PATH: Final = "coach-dyno"
TITLE: Final = "Coach Dyno"
ICON: Final = "mdi:run-fast"
LOVELACE: Final = "lovelace"


class CoachDashboard(LovelaceStorage):
    """Generated until the user saves their own version."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Keep a saved version in the dashboard's own store, as every storage dashboard does."""
        super().__init__(
            hass,
            {
                "id": DOMAIN,
                "url_path": URL_PATH,
                "mode": MODE_STORAGE,
                "title": TITLE,
                "icon": ICON,
                "show_in_sidebar": True,
                "require_admin": False,
            },
        )

    async def _saved(self) -> dict[str, Any] | None:
        """Return the user's own version, if they saved one."""
        data = self._data or await self._load()
        config: dict[str, Any] | None = data["config"]
        return config

    async def async_load(self, force: bool) -> dict[str, Any]:
        """Return the user's version, else the generated one."""
        return await self._saved() or await async_generate(self.hass)

    async def async_json(self, force: bool) -> json_fragment:
        """Return the configuration as JSON for the frontend."""
        if await self._saved():
            return await super().async_json(force)
        return json_fragment(json_bytes(await async_generate(self.hass)))


@callback
def async_register_dashboard(hass: HomeAssistant) -> None:
    """Add the dashboard to the sidebar once (nothing when Lovelace is not loaded)."""
    if LOVELACE not in hass.config.components or LOVELACE_DATA not in hass.data:
        return
    dashboards = hass.data[LOVELACE_DATA].dashboards
    if URL_PATH in dashboards:
        # Ours already, or a dashboard of the user's at that address: leave it alone.
        return
    dashboards[URL_PATH] = CoachDashboard(hass)
    async_register_built_in_panel(
        hass,
        LOVELACE,
        sidebar_title=TITLE,
        sidebar_icon=ICON,
        frontend_url_path=URL_PATH,
        config={"mode": MODE_STORAGE},
    )


@callback
def async_unregister_dashboard(hass: HomeAssistant, unloading_entry_id: str) -> None:
    """Take the dashboard out of the sidebar when its last athlete unloads."""
    if LOVELACE_DATA not in hass.data:
        return
    if any(
        entry.state is ConfigEntryState.LOADED and entry.entry_id != unloading_entry_id
        for entry in hass.config_entries.async_entries(DOMAIN)
    ):
        return
    dashboards = hass.data[LOVELACE_DATA].dashboards
    if isinstance(dashboards.get(URL_PATH), CoachDashboard):
        del dashboards[URL_PATH]
        async_remove_panel(hass, URL_PATH)


async def async_generate(hass: HomeAssistant) -> dict[str, Any]:
    """Return the dashboard: one view per loaded athlete, built from their real entity ids."""
    registry = er.async_get(hass)
    views = []
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is not ConfigEntryState.LOADED:
            continue
        language = entry.options.get(CONF_LANGUAGE, "en")
        words = await _async_words(hass, language, "dashboard")
        names = await _async_words(hass, language, "entity")
        entities = {
            (item.domain, item.translation_key): item.entity_id
            for item in er.async_entries_for_config_entry(registry, entry.entry_id)
            if not item.disabled_by and item.translation_key
        }
        views.append(_view(hass, entry, entities, words, names))
    return {"title": TITLE, "views": views}


async def _async_words(hass: HomeAssistant, language: str, category: str) -> dict[str, str]:
    """Return one category of our strings in `language` (English where one is missing)."""
    prefix = f"component.{DOMAIN}.{category}."
    words: dict[str, str] = {}
    for lang in ("en", language):
        strings = await async_get_translations(hass, lang, category, {DOMAIN})
        words.update({key.removeprefix(prefix): text for key, text in strings.items()})
    return words


def _has_value(hass: HomeAssistant, entity_id: str | None) -> bool:
    """Whether an entity has a value now (a race goal is optional)."""
    state = None if entity_id is None else hass.states.get(entity_id)
    return state is not None and state.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE)


def _view(
    hass: HomeAssistant,
    entry: ConfigEntry,
    entities: dict[tuple[str, str], str],
    words: dict[str, str],
    names: dict[str, str],
) -> dict[str, Any]:
    """Return one athlete's view; tiles are named without the athlete (the view says who)."""

    def sensor(key: str) -> str | None:
        return entities.get(("sensor", key))

    def tile(domain: str, key: str, **options: Any) -> dict[str, Any]:
        card = {"type": "tile", "entity": entities[(domain, key)], **options}
        if (name := names.get(f"{domain}.{key}.name")) is not None:
            card.setdefault("name", name)
        return card

    def tiles(*keys: str, **state_content: str) -> list[dict[str, Any]]:
        cards = []
        for key in keys:
            if sensor(key) is None:
                continue
            options = {"state_content": state_content[key]} if key in state_content else {}
            cards.append(tile("sensor", key, **options))
        return cards

    def heading(key: str) -> dict[str, Any]:
        return {"type": "heading", "heading": words[key]}

    entry_id, title = entry.entry_id, entry.title
    sections: list[dict[str, Any]] = []

    today: list[dict[str, Any]] = [heading("today")]
    if (calendar := entities.get(("calendar", "training"))) is not None:
        today.append(tile("calendar", "training", state_content="message", name=words["session"]))
    if (briefing := sensor("briefing")) is not None:
        today.append(
            {
                "type": "markdown",
                "title": words["briefing"],
                "content": f"{{{{ state_attr('{briefing}', 'text') }}}}",
            }
        )
    if ("switch", "briefings_enabled") in entities:
        today.append(tile("switch", "briefings_enabled"))
    if (risks := sensor("risk_flags")) is not None:
        today.append(
            {
                "type": "conditional",
                "conditions": [{"condition": "state", "entity": risks, "state_not": "0"}],
                "card": {
                    "type": "markdown",
                    "title": words["risks"],
                    "content": (
                        f"{{% for message in state_attr('{risks}', 'messages') or [] %}}"
                        "- {{ message }}\n{% endfor %}"
                    ),
                },
            }
        )
    if calendar is not None:
        today.append({"type": "calendar", "entities": [calendar], "initial_view": "listWeek"})
    sections.append({"type": "grid", "cards": today})

    if _has_value(hass, sensor("days_to_race")):
        race = [heading("race")]
        race += tiles(
            "days_to_race",
            "training_phase",
            "predicted_race_time",
            "goal_pace",
            goal_pace="formatted",
            predicted_race_time="formatted",
        )
        if ("binary_sensor", "on_track") in entities:
            race.append(tile("binary_sensor", "on_track", state_content="reason"))
        if (predicted := sensor("predicted_race_time")) is not None:
            race.append(
                {
                    "type": "markdown",
                    "content": (
                        f"{words['predicted']}: **{{{{ state_attr('{predicted}', 'formatted')"
                        f" or '-' }}}}** · {words['goal']}: **{{{{ state_attr('{predicted}',"
                        " 'goal_formatted') or '-' }}**"
                    ),
                }
            )
        sections.append({"type": "grid", "cards": race})

    curves = [{"entity": statistic_id(entry_id, kind), "name": words[kind]} for kind in LOAD_CURVES]
    fitness: list[dict[str, Any]] = [heading("fitness")]
    fitness += tiles("fitness", "fatigue", "form", "acwr")
    for days, period, name in ((90, "day", "last_90_days"), (365, "week", "last_year")):
        fitness.append(
            {
                "type": "statistics-graph",
                "title": words[name],
                "entities": curves,
                "days_to_show": days,
                "period": period,
                "stat_types": ["mean"],
                "chart_type": "line",
                "hide_legend": False,
            }
        )
    sections.append({"type": "grid", "cards": fitness})

    distance = [{"entity": statistic_id(entry_id, DISTANCE), "name": words["distance"]}]
    volume: list[dict[str, Any]] = [heading("volume")]
    volume += tiles(
        "distance_this_week",
        "runs_this_week",
        "moving_time_this_week",
        "distance_last_week",
        "distance_this_month",
        "distance_this_year",
        moving_time_this_week="formatted",
    )
    for days, period, name in ((182, "week", "weekly_distance"), (365, "month", "monthly")):
        volume.append(
            {
                "type": "statistics-graph",
                "title": words[name],
                "entities": distance,
                "days_to_show": days,
                "period": period,
                "stat_types": ["change"],
                "chart_type": "bar",
                "hide_legend": True,
            }
        )
    sections.append({"type": "grid", "cards": volume})

    latest: list[dict[str, Any]] = [heading("latest_run")]
    latest += tiles(
        "latest_run_start",
        "latest_run_distance",
        "latest_run_pace",
        "latest_run_heart_rate",
        "latest_run_trimp",
        "vdot",
        latest_run_pace="formatted",
    )
    if (analysis := sensor("latest_run_analysis")) is not None:
        latest.append(
            {
                "type": "markdown",
                "title": words["analysis"],
                "content": (
                    f"**{{{{ state_attr('{analysis}', 'name') or '' }}}}**\n\n"
                    f"{{{{ state_attr('{analysis}', 'text') or '' }}}}"
                ),
            }
        )
    sections.append({"type": "grid", "cards": latest})

    return {
        "title": title,
        "path": slugify(title) or entry_id.lower(),
        "icon": ICON,
        "type": "sections",
        "max_columns": 4,
        "sections": sections,
    }
