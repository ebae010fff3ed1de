"""Coach Dyno: a personal AI running coach built on the runner's Strava history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.const import CONF_API_KEY, CONF_TOKEN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import (
    OAuth2Session,
    async_get_config_entry_implementation,
)
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from . import repairs
from .coach import Coach, CoachSettings
from .const import (
    CONF_ATHLETE_ID,
    CONF_INTERVALS_API_KEY,
    CONF_LANGUAGE,
    CONF_MODEL,
    CONF_PERSONA,
    CONF_SOURCE_KIND,
    CONF_UNITS,
    CONF_WATCH_FOLDER,
    DEFAULT_PERSONA,
    DOMAIN,
    HOME_OPTIONS,
    SOURCE_DEMO,
    SOURCE_INTERVALS,
    SOURCE_STRAVA,
)
from .coordinator import CoachCoordinator, CoachDynoConfigEntry, CoachDynoData
from .dashboard import async_register_dashboard, async_unregister_dashboard
from .llm_api import async_setup_llm_api
from .services import async_setup_services
from .sources.intervals import IntervalsClient
from .sources.local import async_read_source, shift_to_end_before
from .sources.push import PushManager, PushTarget, async_remove_entry_push
from .sources.ratelimit import RateGovernor
from .sources.strava import StravaClient
from .sources.watch import FolderWatcher
from .statistics import HistoryStatistics
from .store import ActivityStore, ConversationStore, WellnessStore

PLATFORMS = [Platform.BINARY_SENSOR, Platform.CALENDAR, Platform.SENSOR, Platform.SWITCH]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
RECORDER = "recorder"
CONVERSATION = "conversation"


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register what belongs to the integration rather than to one athlete."""
    async_setup_services(hass)
    # intent.py is a platform: the intent integration calls its async_setup_intents itself.
    async_setup_llm_api(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: CoachDynoConfigEntry) -> bool:
    """Load the athlete's history, sync it, and start the coach."""
    store = ActivityStore(hass, entry.entry_id)
    await store.async_load()
    if store.corrupt_path:
        repairs.async_create_store_corrupt(hass, entry.entry_id, store.corrupt_path)

    client = None
    intervals = None
    source = entry.data[CONF_SOURCE_KIND]
    if source == SOURCE_STRAVA:
        client = await _async_strava_client(hass, entry, store)
    elif source == SOURCE_INTERVALS:
        intervals = IntervalsClient(
            async_get_clientsession(hass),
            entry.data[CONF_ATHLETE_ID],
            entry.data[CONF_INTERVALS_API_KEY],
        )
    elif not store.activities:
        # Export and demo entries read their files once; later imports go through the action.
        result = await async_read_source(hass, entry)
        await store.async_update(result.activities)
        await store.async_save()
    elif source == SOURCE_DEMO:
        # Keep the demo runner's history ending this week, however old the entry is.
        history = tuple(store.activities.values())
        shifted = shift_to_end_before(history, dt_util.now().date())
        if shifted is not history:
            store.activities = {activity.id: activity for activity in shifted}
            await store.async_save()

    wellness = WellnessStore(hass, entry.entry_id)
    await wellness.async_load()
    coordinator = CoachCoordinator(hass, entry, store, client, wellness, intervals=intervals)
    await coordinator.async_config_entry_first_refresh()
    # A pending write must not outlive the entry; readings and forecasts stop coming with it.
    entry.async_on_unload(wellness.async_flush)
    entry.async_on_unload(coordinator.async_watch_home())

    # Day totals (today's load, this week, days to race) roll over at local midnight, not an hour later.
    async def _async_new_day(_now: datetime) -> None:
        await coordinator.async_recompute()

    entry.async_on_unload(async_track_time_change(hass, _async_new_day, hour=0, minute=0, second=1))

    conversation = ConversationStore(hass, entry.entry_id)
    coach = Coach(
        coach_settings(entry),
        api_key=entry.data.get(CONF_API_KEY),
        executor=hass.async_add_executor_job,
        memory=await conversation.async_load(),
        on_memory_change=conversation.schedule_save,
    )
    # A pending write must not outlive the entry (it would bring back a removed entry's file).
    entry.async_on_unload(conversation.async_flush)
    entry.runtime_data = CoachDynoData(
        coordinator=coordinator, coach=coach, options=dict(entry.options)
    )
    entry.async_on_unload(coach.async_close)

    if client is not None:
        # Push hands verified changes to this entry through these, and knows nothing else of it.
        target = PushTarget(
            has_activity=lambda activity_id: activity_id in store.activities,
            apply_changes=coordinator.async_apply_changes,
            revoked=lambda: entry.async_start_reauth(hass),
            set_healthy=coordinator.set_push_healthy,
        )
        push = PushManager(hass, entry, client, target)
        entry.runtime_data.push = push
        push.async_start()
        entry.async_on_unload(push.async_stop)

    if folder := entry.options.get(CONF_WATCH_FOLDER):
        watcher = _folder_watcher(hass, entry, store, folder)
        entry.runtime_data.watcher = watcher
        entry.async_on_unload(watcher.async_start())
        # The first look may read a folder of years: setup does not wait for it.
        entry.async_create_task(
            hass, watcher.async_scan(), f"{DOMAIN} watched folder {entry.entry_id}"
        )

    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    # The conversation agent joins Assist where Home Assistant runs it (an after-dependency).
    platforms = list(PLATFORMS)
    if CONVERSATION in hass.config.components:
        platforms.append(Platform.CONVERSATION)
    entry.runtime_data.platforms = platforms
    await hass.config_entries.async_forward_entry_setups(entry, platforms)
    if RECORDER in hass.config.components:
        HistoryStatistics(hass, coordinator).async_start()
    async_register_dashboard(hass)
    return True


async def _async_strava_client(
    hass: HomeAssistant, entry: CoachDynoConfigEntry, store: ActivityStore
) -> StravaClient:
    """Build the Strava client on Home Assistant's session, with tokens kept fresh by OAuth2Session."""
    try:
        implementation = await async_get_config_entry_implementation(hass, entry)
    except ConfigEntryAuthFailed:
        raise
    except HomeAssistantError as err:
        # Since 2026.2 a provider of application credentials (Home Assistant Cloud) can be
        # unreachable for a while (ImplementationUnavailableError): try again later.
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="oauth2_implementation_unavailable"
        ) from err
    oauth_session = OAuth2Session(hass, entry, implementation)

    async def access_token() -> str:
        # Refreshes when needed and persists the rotated refresh token in the entry; the client
        # maps a refused or failed refresh to its own errors.
        await oauth_session.async_ensure_token_valid()
        return str(oauth_session.token["access_token"])

    return StravaClient(
        async_get_clientsession(hass),
        access_token,
        governor=RateGovernor.from_dict(store.governor),
        executor=hass.async_add_executor_job,
    )


def _folder_watcher(
    hass: HomeAssistant, entry: CoachDynoConfigEntry, store: ActivityStore, folder: str
) -> FolderWatcher:
    """Watch `folder` for this entry: files go through the store's merge, problems to one issue."""

    async def save_state(state: dict[str, Any]) -> None:
        store.watch = state
        await store.async_save()

    def report(unreadable: tuple[str, ...], folder_missing: bool) -> None:
        repairs.async_set_watch_problems(
            hass, entry.entry_id, folder, unreadable, folder_missing=folder_missing
        )

    return FolderWatcher(
        hass,
        folder,
        state=lambda: store.watch,
        save_state=save_state,
        apply_changes=lambda activities, announce: (
            entry.runtime_data.coordinator.async_apply_changes(activities, announce=announce)
        ),
        report=report,
    )


def coach_settings(entry: CoachDynoConfigEntry) -> CoachSettings:
    """Return the coach's settings as the entry's options describe them."""
    options = entry.options
    defaults = CoachSettings()
    return CoachSettings(
        persona=options.get(CONF_PERSONA, DEFAULT_PERSONA),
        language=options.get(CONF_LANGUAGE, defaults.language),
        units=options.get(CONF_UNITS, defaults.units),
        model=options.get(CONF_MODEL) or defaults.model,
    )


async def _async_options_updated(hass: HomeAssistant, entry: CoachDynoConfigEntry) -> None:
    """Apply new options at once: the profile feeds the snapshot, the rest the coach."""
    if entry.options == entry.runtime_data.options:
        return
    if entry.options.get(CONF_WATCH_FOLDER) != entry.runtime_data.options.get(CONF_WATCH_FOLDER):
        # Another folder (or none): its issue starts over with the watcher.
        repairs.async_set_watch_problems(hass, entry.entry_id, "", ())
    if any(
        entry.options.get(key) != entry.runtime_data.options.get(key)
        for key in (CONF_WATCH_FOLDER, *HOME_OPTIONS)
    ):
        # Another folder or other entities to watch: the entry starts again with them.
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    entry.runtime_data.options = dict(entry.options)
    entry.runtime_data.coach.update_settings(coach_settings(entry))
    await entry.runtime_data.coordinator.async_recompute()


async def async_unload_entry(hass: HomeAssistant, entry: CoachDynoConfigEntry) -> bool:
    """Unload the platforms; everything else was registered with async_on_unload."""
    async_unregister_dashboard(hass, entry.entry_id)
    return await hass.config_entries.async_unload_platforms(entry, entry.runtime_data.platforms)


async def async_remove_entry(hass: HomeAssistant, entry: CoachDynoConfigEntry) -> None:
    """Forget the athlete: delete the stored history and the Strava push subscription."""
    await ActivityStore(hass, entry.entry_id).async_remove()
    await ConversationStore(hass, entry.entry_id).async_remove()
    await WellnessStore(hass, entry.entry_id).async_remove()
    repairs.async_delete_push_unavailable(hass, entry.entry_id)
    repairs.async_delete_store_corrupt(hass, entry.entry_id)
    repairs.async_set_watch_problems(hass, entry.entry_id, "", ())
    if entry.data[CONF_SOURCE_KIND] == SOURCE_STRAVA and CONF_TOKEN in entry.data:
        await async_remove_entry_push(hass, entry)
