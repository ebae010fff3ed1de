"""Actions: harvest, import, analyse, brief, ask, chat, and set the race goal."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, timedelta
from typing import Any, Protocol, cast

from homeassistant.auth.permissions.const import POLICY_CONTROL
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON, Platform
from homeassistant.core import (
    Context,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType
import voluptuous as vol

from . import repairs
from .coach import Analysis, Briefing, BriefingKind, CoachAuthError, CoachError, offline
from .coach.chat import COMMANDS, TELEGRAM_MAX_LENGTH, parse_command, split_message, text
from .config_flow import CONF_REAUTH_REASON, REAUTH_GEMINI
from .const import (
    BRIEFINGS_SWITCH,
    CONF_GOAL_TIME,
    CONF_RACE_DATE,
    CONF_RACE_DISTANCE_KM,
    CONF_RACE_NAME,
    DOMAIN,
)
from .coordinator import CoachDynoConfigEntry
from .entity import unique_id_of
from .sources.export import ExportPathError
from .sources.intervals import IntervalsAuthError, IntervalsError, IntervalsRateLimitError
from .sources.local import async_read_user_path
from .sources.strava import (
    StravaAuthError,
    StravaError,
    StravaInactiveError,
    StravaRateLimitError,
)
from .training import Activity

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_FULL = "full"
ATTR_PATH = "path"
ATTR_ACTIVITY_ID = "activity_id"
ATTR_KIND = "kind"
ATTR_QUESTION = "question"
ATTR_RACE_DATE = "race_date"
ATTR_DISTANCE_KM = "distance_km"
ATTR_GOAL_TIME = "goal_time"
ATTR_NAME = "name"
ATTR_CONVERSATION_ID = "conversation_id"
ATTR_MESSAGE = "message"
ATTR_MAX_LENGTH = "max_length"

ENTRY_SCHEMA = vol.Schema({vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string})
HARVEST_SCHEMA = ENTRY_SCHEMA.extend({vol.Optional(ATTR_FULL, default=False): cv.boolean})
IMPORT_SCHEMA = ENTRY_SCHEMA.extend({vol.Required(ATTR_PATH): cv.string})
ANALYZE_SCHEMA = ENTRY_SCHEMA.extend({vol.Optional(ATTR_ACTIVITY_ID): vol.Coerce(int)})
BRIEFING_SCHEMA = ENTRY_SCHEMA.extend(
    {vol.Optional(ATTR_KIND, default="morning"): vol.In(["morning", "weekly"])}
)
# A chat's conversation, e.g. "telegram_123456789"; each id has a memory of its own.
CONVERSATION_ID = vol.All(cv.string, vol.Strip, vol.Length(min=1, max=100))
CONVERSATION_SCHEMA = ENTRY_SCHEMA.extend({vol.Optional(ATTR_CONVERSATION_ID): CONVERSATION_ID})
ASK_SCHEMA = CONVERSATION_SCHEMA.extend(
    {vol.Required(ATTR_QUESTION): vol.All(cv.string, vol.Strip, vol.Length(min=1, max=1000))}
)
CHAT_SCHEMA = CONVERSATION_SCHEMA.extend(
    {
        vol.Required(ATTR_MESSAGE): vol.All(cv.string, vol.Strip, vol.Length(min=1, max=1000)),
        vol.Optional(ATTR_MAX_LENGTH, default=TELEGRAM_MAX_LENGTH): vol.All(
            vol.Coerce(int), vol.Range(min=100, max=65536)
        ),
    }
)
RACE_GOAL_SCHEMA = ENTRY_SCHEMA.extend(
    {
        vol.Required(ATTR_RACE_DATE): cv.date,
        vol.Required(ATTR_DISTANCE_KM): vol.All(vol.Coerce(float), vol.Range(min=0.1, max=500)),
        vol.Optional(ATTR_GOAL_TIME): cv.positive_time_period,
        vol.Optional(ATTR_NAME): cv.string,
    }
)


class AdminRequiredError(Unauthorized):
    """A user who is not an administrator called an action that changes data or reads files."""

    def __init__(self, call: ServiceCall) -> None:
        """Refuse the call, saying in the user's language who may make it."""
        super().__init__(context=call.context, permission=POLICY_CONTROL)
        # Unauthorized has no words of its own; scripts, traces and the log show these.
        self.translation_domain = DOMAIN
        self.translation_key = "admin_required"
        self.translation_placeholders = {"action": f"{DOMAIN}.{call.service}"}
        self.generate_message = True


async def _require_admin(hass: HomeAssistant, call: ServiceCall) -> None:
    """
    Let only administrators through, as core's admin actions do.

    Not async_register_admin_service: in 2025.4 it cannot register an action that answers,
    and `harvest` needs the check only when it starts the history over.
    """
    if not call.context.user_id:
        # Automations, scripts and Home Assistant itself act without a user.
        return
    user = await hass.auth.async_get_user(call.context.user_id)
    if user is None or not user.is_admin:
        raise AdminRequiredError(call)


def _entry(hass: HomeAssistant, call: ServiceCall) -> CoachDynoConfigEntry:
    """Return the loaded entry the action targets, or say clearly why not."""
    entry_id = call.data[ATTR_CONFIG_ENTRY_ID]
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return cast(CoachDynoConfigEntry, entry)


class _CoachResult(Protocol):
    """What every coach answer tells besides its content."""

    @property
    def quota_exhausted(self) -> bool:
        """Whether the Gemini key's daily quota was found spent."""


async def async_coach_call[T: _CoachResult](
    hass: HomeAssistant, entry: CoachDynoConfigEntry, call: Awaitable[T]
) -> T:
    """Await one coach call: map what the offline coach could not cover, keep the quota issue current."""
    try:
        result = await call
    except CoachAuthError as err:
        # Only the user can fix a refused key: ask for a new one.
        entry.async_start_reauth(hass, data={**entry.data, CONF_REAUTH_REASON: REAUTH_GEMINI})
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="gemini_auth") from err
    except CoachError as err:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="coach_failed") from err
    if entry.runtime_data.coach.gemini_enabled:
        # The issue is shared by every entry, so an offline coach neither raises nor clears it.
        repairs.async_set_gemini_quota(hass, result.quota_exhausted)
    return result


async def async_briefing(
    hass: HomeAssistant, entry: CoachDynoConfigEntry, kind: BriefingKind
) -> Briefing:
    """
    Return the entry's briefing (the action, the intent and the LLM tool all ask here).

    The coach compares the latest run with the most similar past runs, so it can say whether
    today's easy pace came at a lower heart rate than it used to.
    """
    coordinator = entry.runtime_data.coordinator
    snapshot = coordinator.data.snapshot
    similar: tuple[Activity, ...] = ()
    if snapshot.latest_run and (latest := coordinator.store.activities.get(snapshot.latest_run.id)):
        similar = coordinator.similar_runs(latest)
    briefing = await async_coach_call(
        hass, entry, entry.runtime_data.coach.briefing(snapshot, kind, similar=similar)
    )
    # A briefing brings a new plan: the calendar shows it at once.
    coordinator.async_update_listeners()
    return briefing


async def async_analysis(
    hass: HomeAssistant, entry: CoachDynoConfigEntry, activity_id: int | None
) -> tuple[Activity, Analysis]:
    """Analyse an activity (the latest run for None): the action and the chat ask here."""
    coordinator = entry.runtime_data.coordinator
    if activity_id is None:
        latest = coordinator.data.snapshot.latest_run
        if latest is None:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_runs")
        activity_id = latest.id
    if (activity := coordinator.store.activities.get(activity_id)) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="activity_not_found",
            translation_placeholders={"activity_id": str(activity_id)},
        )
    # Heart-rate streams make the analysis (drift, time in zones); fetched now if still missing.
    activity = await coordinator.async_with_streams(activity)
    similar = coordinator.similar_runs(activity)
    analysis = await async_coach_call(
        hass, entry, entry.runtime_data.coach.analyze(coordinator.data.snapshot, activity, similar)
    )
    # The dashboard shows Gemini's analysis of the latest run once there is one.
    coordinator.async_update_listeners()
    return activity, analysis


async def async_chat_reply(
    hass: HomeAssistant,
    entry: CoachDynoConfigEntry,
    message: str,
    conversation_id: str | None,
    context: Context,
) -> str:
    """
    Answer a chat message: a command, or a question asked in the chat's own conversation.

    A chat has no error dialog: what the coach cannot do is said in the reply.
    """
    coach = entry.runtime_data.coach
    snapshot = entry.runtime_data.coordinator.data.snapshot
    command = parse_command(message)
    try:
        if command is None:
            ask = coach.ask(snapshot, message, conversation_id=conversation_id)
            return (await async_coach_call(hass, entry, ask)).text
        if command in ("briefing", "week"):
            kind: BriefingKind = "morning" if command == "briefing" else "weekly"
            return (await async_briefing(hass, entry, kind)).text
        if command == "last":
            if snapshot.latest_run is None:
                return text("no_runs", coach.settings)
            activity, analysis = await async_analysis(hass, entry, snapshot.latest_run.id)
            return "\n\n".join(part for part in (activity.name, analysis.text) if part)
    except HomeAssistantError:
        return text("failed", coach.settings)
    if command == "plan":
        return offline.plan_message(coach.todays_briefing(snapshot).plan, coach.settings)
    if command == "race":
        return offline.race_report(snapshot, coach.settings)
    if command in ("pause", "resume"):
        await async_switch_briefings(hass, entry, on=command == "resume", context=context)
        return text("paused" if command == "pause" else "resumed", coach.settings)
    help_text = text("help", coach.settings)
    if command in COMMANDS:
        return help_text
    return f"{text('unknown', coach.settings, command=command)}\n\n{help_text}"


async def async_switch_briefings(
    hass: HomeAssistant, entry: CoachDynoConfigEntry, *, on: bool, context: Context
) -> None:
    """Turn the athlete's "Briefings enabled" switch on or off, as its owner would."""
    entity_id = er.async_get(hass).async_get_entity_id(
        Platform.SWITCH, DOMAIN, unique_id_of(entry, BRIEFINGS_SWITCH)
    )
    if entity_id is None:
        raise HomeAssistantError("The briefings switch was removed")
    await hass.services.async_call(
        Platform.SWITCH,
        SERVICE_TURN_ON if on else SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: entity_id},
        blocking=True,
        context=context,
    )


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, for every athlete)."""

    async def harvest(call: ServiceCall) -> ServiceResponse:
        if call.data[ATTR_FULL]:
            await _require_admin(hass, call)
        entry = _entry(hass, call)
        coordinator = entry.runtime_data.coordinator
        watcher = entry.runtime_data.watcher
        if coordinator.client is None and coordinator.intervals is None and watcher is None:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="not_strava")
        # The watched folder first: its files are on this machine, whatever Strava answers.
        folder = await watcher.async_scan() if watcher is not None else None
        try:
            changed = await coordinator.async_harvest(full=call.data[ATTR_FULL])
        except StravaRateLimitError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="strava_rate_limited",
                translation_placeholders={"resume_at": err.resume_at.isoformat()},
            ) from err
        except StravaAuthError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="strava_auth"
            ) from err
        except StravaInactiveError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="strava_app_inactive"
            ) from err
        except StravaError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="strava_unavailable"
            ) from err
        except IntervalsRateLimitError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="intervals_rate_limited",
                translation_placeholders={"resume_at": err.resume_at.isoformat()},
            ) from err
        except IntervalsAuthError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="intervals_auth"
            ) from err
        except IntervalsError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="intervals_unavailable"
            ) from err
        answer: dict[str, Any] = {
            "new_or_updated": changed,
            "activities": len(coordinator.store.activities),
        }
        if folder is not None:
            answer["watched_folder"] = folder
        if coordinator.intervals is not None:
            # Runs intervals.icu got from Strava: its API may not pass them on.
            answer["strava_placeholders_skipped"] = coordinator.strava_placeholders
        return answer

    async def import_export(call: ServiceCall) -> ServiceResponse:
        await _require_admin(hass, call)
        entry = _entry(hass, call)
        try:
            _path, result = await async_read_user_path(hass, call.data[ATTR_PATH])
        except ExportPathError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=f"export_{err.reason}",
                translation_placeholders={"path": call.data[ATTR_PATH]},
            ) from err
        # read_export refuses an export without activities (reason no_activities) above.
        coordinator = entry.runtime_data.coordinator
        merges = coordinator.store.merges
        changed = await coordinator.async_apply_changes(result.activities, announce=False)
        return {
            "imported": changed,
            "read": len(result.activities),
            "skipped": result.skipped,
            # Runs already stored from another source (an export row and the run's own file).
            "merged": coordinator.store.merges - merges,
        }

    async def analyze_activity(call: ServiceCall) -> ServiceResponse:
        activity, analysis = await async_analysis(
            hass, _entry(hass, call), call.data.get(ATTR_ACTIVITY_ID)
        )
        return {"activity_id": activity.id, "name": activity.name, **analysis.as_dict()}

    async def generate_briefing(call: ServiceCall) -> ServiceResponse:
        briefing = await async_briefing(hass, _entry(hass, call), call.data[ATTR_KIND])
        return briefing.as_dict()

    async def ask_coach(call: ServiceCall) -> ServiceResponse:
        entry = _entry(hass, call)
        snapshot = entry.runtime_data.coordinator.data.snapshot
        ask = entry.runtime_data.coach.ask(
            snapshot, call.data[ATTR_QUESTION], conversation_id=call.data.get(ATTR_CONVERSATION_ID)
        )
        return (await async_coach_call(hass, entry, ask)).as_dict()

    async def chat(call: ServiceCall) -> ServiceResponse:
        reply = await async_chat_reply(
            hass,
            _entry(hass, call),
            call.data[ATTR_MESSAGE],
            call.data.get(ATTR_CONVERSATION_ID),
            call.context,
        )
        messages: list[JsonValueType] = [*split_message(reply, call.data[ATTR_MAX_LENGTH])]
        return {"messages": messages}

    async def clear_conversation(call: ServiceCall) -> None:
        await _entry(hass, call).runtime_data.coach.async_clear_memory(
            call.data.get(ATTR_CONVERSATION_ID)
        )

    async def set_race_goal(call: ServiceCall) -> None:
        await _require_admin(hass, call)
        entry = _entry(hass, call)
        race_date: date = call.data[ATTR_RACE_DATE]
        if race_date <= dt_util.now().date():
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="race_date_not_future",
                translation_placeholders={"race_date": race_date.isoformat()},
            )
        options: dict[str, Any] = {
            key: value
            for key, value in entry.options.items()
            if key not in (CONF_GOAL_TIME, CONF_RACE_NAME)
        }
        options[CONF_RACE_DATE] = race_date.isoformat()
        options[CONF_RACE_DISTANCE_KM] = call.data[ATTR_DISTANCE_KM]
        goal_time: timedelta | None = call.data.get(ATTR_GOAL_TIME)
        if goal_time is not None:
            options[CONF_GOAL_TIME] = int(goal_time.total_seconds())
        if name := call.data.get(ATTR_NAME):
            options[CONF_RACE_NAME] = name
        # The update listener recomputes the snapshot at once.
        hass.config_entries.async_update_entry(entry, options=options)

    for name, handler, schema, response in (
        ("harvest", harvest, HARVEST_SCHEMA, SupportsResponse.OPTIONAL),
        ("import_export", import_export, IMPORT_SCHEMA, SupportsResponse.OPTIONAL),
        ("analyze_activity", analyze_activity, ANALYZE_SCHEMA, SupportsResponse.ONLY),
        ("generate_briefing", generate_briefing, BRIEFING_SCHEMA, SupportsResponse.ONLY),
        ("ask_coach", ask_coach, ASK_SCHEMA, SupportsResponse.ONLY),
        ("chat", chat, CHAT_SCHEMA, SupportsResponse.ONLY),
        ("clear_conversation", clear_conversation, CONVERSATION_SCHEMA, SupportsResponse.NONE),
        ("set_race_goal", set_race_goal, RACE_GOAL_SCHEMA, SupportsResponse.NONE),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=response
        )
