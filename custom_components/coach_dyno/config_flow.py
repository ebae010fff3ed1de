"""Config flow: Strava (OAuth2) or an export, an optional Gemini key, then the athlete and goal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
import logging
from pathlib import Path
from typing import Any

from homeassistant.components.webhook import async_generate_id
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_API_KEY, CONF_TOKEN, CONF_WEBHOOK_ID, UnitOfLength
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers import config_entry_oauth2_flow, selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_system import UnitSystem
import voluptuous as vol

from .coach import CoachAuthError, CoachError, async_validate_api_key
from .coach.settings import normalize_language
from .const import (
    CONF_ATHLETE_ID,
    CONF_CALENDAR,
    CONF_EXPORT_PATH,
    CONF_GOAL_TIME,
    CONF_HR_MAX,
    CONF_HR_REST,
    CONF_HRV,
    CONF_INTERVALS_API_KEY,
    CONF_LANGUAGE,
    CONF_LTHR,
    CONF_MODEL,
    CONF_PERSON,
    CONF_PERSONA,
    CONF_RACE_DATE,
    CONF_RACE_DISTANCE_KM,
    CONF_RACE_NAME,
    CONF_RESTING_HR,
    CONF_SEX,
    CONF_SLEEP_DURATION,
    CONF_SLEEP_SCORE,
    CONF_SOURCE_KIND,
    CONF_UNITS,
    CONF_VERIFY_TOKEN,
    CONF_WATCH_FOLDER,
    CONF_WEATHER,
    DEFAULT_HR_MAX,
    DEFAULT_HR_REST,
    DEFAULT_PERSONA,
    DOMAIN,
    HOME_OPTIONS,
    LANGUAGES,
    PERSONAS,
    SOURCE_DEMO,
    SOURCE_EXPORT,
    SOURCE_INTERVALS,
    SOURCE_STRAVA,
    STRAVA_SCOPES,
    UNITS,
)
from .sources.export import ExportPathError
from .sources.intervals import (
    IntervalsAuthError,
    IntervalsClient,
    IntervalsError,
)
from .sources.local import async_check_export
from .sources.push import new_verify_token
from .sources.strava import StravaAuthError, StravaClient, StravaError, StravaInactiveError
from .sources.watch import resolve_watch_folder
from .training import Sex

CONF_REAUTH_REASON = "reauth_reason"
REAUTH_GEMINI = "gemini"
# Strava's token reply carries the athlete's profile; the entry has no use for it.
_TOKEN_ATHLETE = "athlete"  # noqa: S105  # a field name, not a secret
_STRAVA_SEX = {"M": Sex.MALE, "F": Sex.FEMALE}


def _duration_to_seconds(value: Mapping[str, Any] | None) -> int | None:
    """Turn a duration selector's value into seconds (None when empty or zero)."""
    if not value:
        return None
    seconds = (
        int(value.get("days", 0)) * 86400
        + int(value.get("hours", 0)) * 3600
        + int(value.get("minutes", 0)) * 60
        + int(value.get("seconds", 0))
    )
    return seconds or None


def _seconds_to_duration(seconds: float) -> dict[str, int]:
    """Turn seconds into a duration selector's value."""
    whole = int(seconds)
    return {"hours": whole // 3600, "minutes": whole % 3600 // 60, "seconds": whole % 60}


_BPM = selector.NumberSelector(
    selector.NumberSelectorConfig(
        min=25, max=240, step=1, unit_of_measurement="bpm", mode=selector.NumberSelectorMode.BOX
    )
)
# No minimum: a zero or negative distance reaches validate_athlete and gets its own message.
_DISTANCE = selector.NumberSelector(
    selector.NumberSelectorConfig(
        max=500, step="any", unit_of_measurement="km", mode=selector.NumberSelectorMode.BOX
    )
)
_KEY = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD))
GEMINI_SCHEMA = vol.Schema({vol.Optional(CONF_API_KEY): _KEY})
GEMINI_REQUIRED_SCHEMA = vol.Schema({vol.Required(CONF_API_KEY): _KEY})
INTERVALS_KEY_SCHEMA = vol.Schema({vol.Required(CONF_INTERVALS_API_KEY): _KEY})
INTERVALS_SCHEMA = vol.Schema({vol.Required(CONF_ATHLETE_ID): str}).extend(
    INTERVALS_KEY_SCHEMA.schema
)
# The options' section of what the home knows, and the domain each of its entities comes from.
HOME_SECTION = "home"
_HOME_DOMAINS = {
    CONF_WEATHER: "weather",
    CONF_RESTING_HR: "sensor",
    CONF_HRV: "sensor",
    CONF_SLEEP_DURATION: "sensor",
    CONF_SLEEP_SCORE: "sensor",
    CONF_CALENDAR: "calendar",
    CONF_PERSON: "person",
}


def home_schema(current: Mapping[str, Any]) -> vol.Schema:
    """Return the optional entities the coach reads from the home, prefilled from `current`."""
    return vol.Schema(
        {
            vol.Optional(
                key, description={"suggested_value": current.get(key)}
            ): selector.EntitySelector(selector.EntitySelectorConfig(domain=_HOME_DOMAINS[key]))
            for key in HOME_OPTIONS
        }
    )


def athlete_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Return the athlete and goal-race form, prefilled from `defaults`."""

    def suggested(key: str) -> dict[str, Any]:
        value = defaults.get(key)
        if key == CONF_GOAL_TIME and isinstance(value, int | float):
            value = _seconds_to_duration(value)
        return {"suggested_value": value} if value is not None else {}

    return vol.Schema(
        {
            vol.Required(CONF_HR_REST, default=defaults.get(CONF_HR_REST, DEFAULT_HR_REST)): _BPM,
            vol.Required(CONF_HR_MAX, default=defaults.get(CONF_HR_MAX, DEFAULT_HR_MAX)): _BPM,
            vol.Required(
                CONF_SEX, default=defaults.get(CONF_SEX, Sex.MALE)
            ): selector.SelectSelector(
                selector.SelectSelectorConfig(options=[s.value for s in Sex], translation_key="sex")
            ),
            vol.Optional(CONF_LTHR, description=suggested(CONF_LTHR)): _BPM,
            vol.Optional(CONF_RACE_NAME, description=suggested(CONF_RACE_NAME)): str,
            vol.Optional(
                CONF_RACE_DATE, description=suggested(CONF_RACE_DATE)
            ): selector.DateSelector(),
            vol.Optional(
                CONF_RACE_DISTANCE_KM, description=suggested(CONF_RACE_DISTANCE_KM)
            ): _DISTANCE,
            vol.Optional(
                CONF_GOAL_TIME, description=suggested(CONF_GOAL_TIME)
            ): selector.DurationSelector(selector.DurationSelectorConfig(enable_day=False)),
        }
    )


def validate_athlete(
    user_input: Mapping[str, Any], today: date, *, stored_race_date: str | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """
    Check the athlete form; return the options to store and any field errors.

    A new race date must lie in the future; the one already stored may stay once the race is run.
    """
    errors: dict[str, str] = {}
    hr_rest = int(user_input[CONF_HR_REST])
    hr_max = int(user_input[CONF_HR_MAX])
    lthr = user_input.get(CONF_LTHR)
    if hr_max <= hr_rest:
        errors[CONF_HR_MAX] = "hr_max_not_above_rest"
    elif lthr is not None and not hr_rest < int(lthr) < hr_max:
        # Only against a sound pair: with a wrong maximum the threshold is not the mistake.
        errors[CONF_LTHR] = "lthr_out_of_range"
    race_date = user_input.get(CONF_RACE_DATE)
    distance = user_input.get(CONF_RACE_DISTANCE_KM)
    if (
        race_date is not None
        and race_date != stored_race_date
        and date.fromisoformat(race_date) <= today
    ):
        errors[CONF_RACE_DATE] = "race_date_not_future"
    if distance is not None and float(distance) <= 0:
        errors[CONF_RACE_DISTANCE_KM] = "distance_not_positive"
    if (race_date is None) != (distance is None):
        errors["base"] = "race_incomplete"
    options: dict[str, Any] = {
        CONF_HR_REST: hr_rest,
        CONF_HR_MAX: hr_max,
        CONF_SEX: user_input[CONF_SEX],
    }
    if lthr is not None:
        options[CONF_LTHR] = int(lthr)
    if race_date is not None:
        options[CONF_RACE_DATE] = race_date
    if distance is not None:
        options[CONF_RACE_DISTANCE_KM] = float(distance)
    if goal := _duration_to_seconds(user_input.get(CONF_GOAL_TIME)):
        options[CONF_GOAL_TIME] = goal
    if name := user_input.get(CONF_RACE_NAME):
        options[CONF_RACE_NAME] = name
    return options, errors


class CoachDynoFlowHandler(config_entry_oauth2_flow.AbstractOAuth2FlowHandler, domain=DOMAIN):
    """Set up one athlete: where the activities come from, the coach's key, the goal."""

    DOMAIN = DOMAIN
    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing collected."""
        super().__init__()
        self._data: dict[str, Any] = {}
        self._defaults: dict[str, Any] = {}
        self._title = "Coach Dyno"

    @property
    def logger(self) -> logging.Logger:
        """Return the flow's logger."""
        return logging.getLogger(__name__)

    @property
    def extra_authorize_data(self) -> dict[str, str]:
        """Ask Strava for read access to all activities, private ones included."""
        return {"scope": STRAVA_SCOPES, "approval_prompt": "auto"}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> CoachDynoOptionsFlow:
        """Return the options flow."""
        return CoachDynoOptionsFlow()

    def _async_update_and_reload(
        self, entry: ConfigEntry, data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """
        Store new data, reload the entry and close the reauth or reconfigure flow.

        Not async_update_reload_and_abort: from 2026.6 it reports entries with an update
        listener, and ours is there to apply options without a reload.
        """
        self.hass.config_entries.async_update_entry(entry, data=data)
        self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(
            reason="reauth_successful" if self.source == SOURCE_REAUTH else "reconfigure_successful"
        )

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose where the activities come from."""
        return self.async_show_menu(
            step_id="user", menu_options=["strava", "intervals", "export", "demo"]
        )

    async def async_step_strava(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Connect a Strava account through application credentials."""
        return await self.async_step_pick_implementation()

    async def async_step_creation(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Exchange the authorization code; an inactive application is no sign-in failure."""
        try:
            return await super().async_step_creation(user_input)
        except StravaInactiveError:
            return self.async_abort(reason="strava_app_inactive")

    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Identify the athlete behind the new tokens."""
        token = {k: v for k, v in data[CONF_TOKEN].items() if k != _TOKEN_ATHLETE}
        data = {**data, CONF_TOKEN: token}

        async def access_token() -> str:
            return str(token["access_token"])

        client = StravaClient(async_get_clientsession(self.hass), access_token)
        try:
            athlete = await client.get_athlete()
        except StravaAuthError:
            return self.async_abort(reason="invalid_auth")
        except StravaInactiveError:
            return self.async_abort(reason="strava_app_inactive")
        except StravaError:
            return self.async_abort(reason="cannot_connect")
        athlete_id = str(athlete["id"])
        await self.async_set_unique_id(athlete_id)
        if self.source in (SOURCE_REAUTH, SOURCE_RECONFIGURE):
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            entry = (
                self._get_reauth_entry()
                if self.source == SOURCE_REAUTH
                else self._get_reconfigure_entry()
            )
            return self._async_update_and_reload(entry, {**entry.data, **data})
        self._abort_if_unique_id_configured()
        name = " ".join(filter(None, (athlete.get("firstname"), athlete.get("lastname"))))
        self._title = name or f"Strava {athlete_id}"
        if sex := _STRAVA_SEX.get(str(athlete.get("sex"))):
            self._defaults[CONF_SEX] = sex.value
        self._data = {
            **data,
            CONF_SOURCE_KIND: SOURCE_STRAVA,
            CONF_ATHLETE_ID: int(athlete_id),
            CONF_WEBHOOK_ID: async_generate_id(),
            CONF_VERIFY_TOKEN: new_verify_token(),
        }
        return await self.async_step_gemini()

    async def async_step_intervals(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Connect an intervals.icu athlete with their id and API key, checked with a real call."""
        errors: dict[str, str] = {}
        if user_input is not None:
            athlete_id = str(user_input[CONF_ATHLETE_ID]).strip()
            key = str(user_input[CONF_INTERVALS_API_KEY]).strip()
            athlete, error = await self._async_check_intervals(athlete_id, key)
            if athlete is not None:
                # The athlete's own id, also when "0" (the key's athlete) was typed.
                await self.async_set_unique_id(f"intervals_{athlete['id']}")
                self._abort_if_unique_id_configured()
                self._title = str(athlete.get("name") or f"intervals.icu {athlete['id']}")
                self._data = {
                    CONF_SOURCE_KIND: SOURCE_INTERVALS,
                    CONF_ATHLETE_ID: athlete["id"],
                    CONF_INTERVALS_API_KEY: key,
                }
                return await self.async_step_gemini()
            errors["base"] = error
        return self.async_show_form(
            step_id="intervals",
            data_schema=self.add_suggested_values_to_schema(
                INTERVALS_SCHEMA, {CONF_ATHLETE_ID: (user_input or {}).get(CONF_ATHLETE_ID)}
            ),
            errors=errors,
        )

    async def _async_check_intervals(
        self, athlete_id: str, key: str
    ) -> tuple[dict[str, Any] | None, str]:
        """Ask intervals.icu for the athlete; return it, or None and an error key."""
        client = IntervalsClient(async_get_clientsession(self.hass), athlete_id, key)
        try:
            return await client.get_athlete(), ""
        except IntervalsAuthError:
            return None, "invalid_auth"
        except IntervalsError:
            return None, "cannot_connect"

    async def async_step_reauth_intervals(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a working intervals.icu key for the same athlete."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            key = str(user_input[CONF_INTERVALS_API_KEY]).strip()
            athlete, error = await self._async_check_intervals(entry.data[CONF_ATHLETE_ID], key)
            if athlete is not None:
                return self._async_update_and_reload(
                    entry, {**entry.data, CONF_INTERVALS_API_KEY: key}
                )
            errors["base"] = error
        return self.async_show_form(
            step_id="reauth_intervals",
            data_schema=INTERVALS_KEY_SCHEMA,
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    async def async_step_export(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Import a Strava bulk export, or any folder of FIT/GPX/TCX files, from the config folder."""
        errors: dict[str, str] = {}
        if user_input is not None:
            path, error, _count = await async_check_export(self.hass, user_input[CONF_EXPORT_PATH])
            if error is None:
                await self.async_set_unique_id(f"export_{path}")
                self._abort_if_unique_id_configured()
                self._title = Path(path).name
                self._data = {CONF_SOURCE_KIND: SOURCE_EXPORT, CONF_EXPORT_PATH: path}
                return await self.async_step_gemini()
            errors[CONF_EXPORT_PATH] = error
        return self.async_show_form(
            step_id="export",
            data_schema=vol.Schema({vol.Required(CONF_EXPORT_PATH): str}),
            errors=errors,
            description_placeholders={"config_dir": self.hass.config.config_dir},
        )

    async def async_step_demo(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Try the coach on a bundled, synthetic runner's two years."""
        await self.async_set_unique_id(SOURCE_DEMO)
        self._abort_if_unique_id_configured()
        self._title = "Demo runner"
        self._data = {CONF_SOURCE_KIND: SOURCE_DEMO}
        return await self.async_step_gemini()

    async def async_step_gemini(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Optionally give the coach a Gemini key; without one the offline coach speaks."""
        errors: dict[str, str] = {}
        if user_input is not None:
            key = _clean_key(user_input)
            if not key:
                return await self.async_step_athlete()
            if (error := await self._async_check_key(key)) is None:
                self._data[CONF_API_KEY] = key
                return await self.async_step_athlete()
            errors[CONF_API_KEY] = error
        return self.async_show_form(step_id="gemini", data_schema=GEMINI_SCHEMA, errors=errors)

    async def _async_check_key(self, key: str) -> str | None:
        """Validate a Gemini key with a real, cheap call; return an error key or None."""
        try:
            await async_validate_api_key(key, executor=self.hass.async_add_executor_job)
        except CoachAuthError:
            return "invalid_api_key"
        except CoachError:
            return "cannot_connect"
        return None

    async def async_step_athlete(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask what the training science needs: heart rates and the goal race."""
        errors: dict[str, str] = {}
        if user_input is not None:
            options, errors = validate_athlete(user_input, dt_util.now().date())
            if not errors:
                return self.async_create_entry(
                    title=self._title,
                    data=self._data,
                    options={
                        **options,
                        CONF_PERSONA: DEFAULT_PERSONA,
                        CONF_LANGUAGE: _default_language(self.hass.config.language),
                        CONF_UNITS: _default_units(self.hass.config.units),
                    },
                )
        return self.async_show_form(
            step_id="athlete",
            data_schema=athlete_schema(user_input if user_input is not None else self._defaults),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Strava tokens or the intervals.icu key were revoked, or the Gemini key stopped working."""
        if entry_data.get(CONF_REAUTH_REASON) == REAUTH_GEMINI:
            return await self.async_step_reauth_gemini()
        if entry_data.get(CONF_SOURCE_KIND) == SOURCE_INTERVALS:
            return await self.async_step_reauth_intervals()
        if entry_data.get(CONF_SOURCE_KIND) != SOURCE_STRAVA:
            return await self.async_step_reauth_gemini()
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain, then send the athlete to Strava again."""
        if user_input is None:
            return self.async_show_form(
                step_id="reauth_confirm",
                description_placeholders={"name": self._get_reauth_entry().title},
            )
        return await self.async_step_pick_implementation()

    async def async_step_reauth_gemini(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a working Gemini key."""
        return await self._async_key_step("reauth_gemini", self._get_reauth_entry(), user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the Gemini key, or reconnect the same Strava account."""
        entry = self._get_reconfigure_entry()
        if entry.data[CONF_SOURCE_KIND] == SOURCE_STRAVA:
            return self.async_show_menu(
                step_id="reconfigure",
                menu_options=["reconfigure_gemini", "strava"],
                description_placeholders={"name": entry.title},
            )
        return await self.async_step_reconfigure_gemini()

    async def async_step_reconfigure_gemini(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Set, change or remove the Gemini key."""
        return await self._async_key_step(
            "reconfigure_gemini", self._get_reconfigure_entry(), user_input, optional=True
        )

    async def _async_key_step(
        self,
        step_id: str,
        entry: ConfigEntry,
        user_input: dict[str, Any] | None,
        *,
        optional: bool = False,
    ) -> ConfigFlowResult:
        """Validate a Gemini key, store it in the entry and reload; empty removes it if `optional`."""
        errors: dict[str, str] = {}
        if user_input is not None:
            key = _clean_key(user_input)
            if not key and optional:
                data = {k: v for k, v in entry.data.items() if k != CONF_API_KEY}
                return self._async_update_and_reload(entry, data)
            error = await self._async_check_key(key) if key else "invalid_api_key"
            if error is None:
                return self._async_update_and_reload(entry, {**entry.data, CONF_API_KEY: key})
            errors[CONF_API_KEY] = error
        return self.async_show_form(
            step_id=step_id,
            data_schema=GEMINI_SCHEMA if optional else GEMINI_REQUIRED_SCHEMA,
            errors=errors,
            description_placeholders={"name": entry.title},
        )


def _clean_key(user_input: Mapping[str, Any]) -> str:
    """Return the typed key without the spaces a paste tends to bring along."""
    return str(user_input.get(CONF_API_KEY) or "").strip()


def _default_units(units: UnitSystem) -> str:
    """Speak in kilometres or miles, as Home Assistant's unit system does."""
    return "metric" if units.length_unit == UnitOfLength.KILOMETERS else "imperial"


def _default_language(language: str) -> str:
    """Use Home Assistant's language for briefings when the coach speaks it."""
    short = normalize_language(language)
    return short if short in LANGUAGES else "en"


class CoachDynoOptionsFlow(OptionsFlow):
    """Change the athlete, the goal race and the coach without a restart."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show one form with everything that can change."""
        errors: dict[str, str] = {}
        stored = self.config_entry.options
        if user_input is not None:
            options, errors = validate_athlete(
                user_input, dt_util.now().date(), stored_race_date=stored.get(CONF_RACE_DATE)
            )
            folder = str(user_input.get(CONF_WATCH_FOLDER) or "").strip()
            if folder and (error := await self._async_check_folder(folder)):
                errors[CONF_WATCH_FOLDER] = error
            if not errors:
                for key in (CONF_PERSONA, CONF_LANGUAGE, CONF_UNITS, CONF_MODEL):
                    if user_input.get(key):
                        options[key] = user_input[key]
                if folder:
                    options[CONF_WATCH_FOLDER] = folder
                home = user_input.get(HOME_SECTION, {})
                options.update({key: home[key] for key in HOME_OPTIONS if home.get(key)})
                return self.async_create_entry(data=options)
        # After an error the form shows what was typed, cleared fields included.
        current = user_input if user_input is not None else stored
        home_current = current.get(HOME_SECTION, {}) if user_input is not None else stored
        schema = athlete_schema(current).extend(
            {
                vol.Required(
                    CONF_PERSONA, default=current.get(CONF_PERSONA, DEFAULT_PERSONA)
                ): selector.SelectSelector(
                    selector.SelectSelectorConfig(options=list(PERSONAS), translation_key="persona")
                ),
                vol.Required(
                    CONF_LANGUAGE, default=current.get(CONF_LANGUAGE, "en")
                ): selector.SelectSelector(
                    selector.SelectSelectorConfig(
                        options=list(LANGUAGES), translation_key="language"
                    )
                ),
                vol.Required(
                    CONF_UNITS, default=current.get(CONF_UNITS, "metric")
                ): selector.SelectSelector(
                    selector.SelectSelectorConfig(options=list(UNITS), translation_key="units")
                ),
                vol.Optional(
                    CONF_MODEL, description={"suggested_value": current.get(CONF_MODEL)}
                ): str,
                vol.Optional(
                    CONF_WATCH_FOLDER,
                    description={"suggested_value": current.get(CONF_WATCH_FOLDER)},
                ): str,
                vol.Optional(HOME_SECTION): section(home_schema(home_current), {"collapsed": True}),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=schema,
            errors=errors,
            description_placeholders={"config_dir": self.hass.config.config_dir},
        )

    async def _async_check_folder(self, folder: str) -> str | None:
        """Check a watched folder off the event loop (it touches the disk); return an error key."""
        config_dir = Path(self.hass.config.config_dir)
        try:
            await self.hass.async_add_executor_job(resolve_watch_folder, config_dir, folder)
        except ExportPathError as err:
            return f"watch_{err.reason}"
        return None
