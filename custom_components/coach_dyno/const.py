"""Constants shared across Coach Dyno."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "coach_dyno"
LOGGER = logging.getLogger(__package__)

STRAVA_API_BASE: Final = "https://www.strava.com/api/v3"
STRAVA_AUTHORIZE_URL: Final = "https://www.strava.com/oauth/authorize"
STRAVA_TOKEN_URL: Final = "https://www.strava.com/oauth/token"  # noqa: S105 - a URL
STRAVA_SCOPES: Final = "read,activity:read_all"

# Config entry data
CONF_SOURCE_KIND: Final = "source"
SOURCE_STRAVA: Final = "strava"
SOURCE_EXPORT: Final = "export"
SOURCE_DEMO: Final = "demo"
SOURCE_INTERVALS: Final = "intervals"
CONF_INTERVALS_API_KEY: Final = "intervals_api_key"
CONF_ATHLETE_ID: Final = "athlete_id"
CONF_EXPORT_PATH: Final = "path"
CONF_VERIFY_TOKEN: Final = "verify_token"  # noqa: S105 - a key name
CONF_SUBSCRIPTION_ID: Final = "subscription_id"
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"

# Options: the athlete, the goal race and the coach
CONF_HR_REST: Final = "hr_rest"
CONF_HR_MAX: Final = "hr_max"
CONF_SEX: Final = "sex"
CONF_LTHR: Final = "lthr"
CONF_RACE_DATE: Final = "race_date"
CONF_RACE_DISTANCE_KM: Final = "race_distance_km"
CONF_GOAL_TIME: Final = "goal_time"
CONF_RACE_NAME: Final = "race_name"
CONF_PERSONA: Final = "persona"
CONF_LANGUAGE: Final = "language"
CONF_UNITS: Final = "units"
CONF_MODEL: Final = "model"
CONF_WATCH_FOLDER: Final = "watch_folder"

# Options: what the home knows (all optional entity ids)
CONF_WEATHER: Final = "weather_entity"
CONF_RESTING_HR: Final = "resting_hr_entity"
CONF_HRV: Final = "hrv_entity"
CONF_SLEEP_DURATION: Final = "sleep_duration_entity"
CONF_SLEEP_SCORE: Final = "sleep_score_entity"
CONF_CALENDAR: Final = "calendar_entity"
CONF_PERSON: Final = "person_entity"
HOME_OPTIONS: Final = (
    CONF_WEATHER,
    CONF_RESTING_HR,
    CONF_HRV,
    CONF_SLEEP_DURATION,
    CONF_SLEEP_SCORE,
    CONF_CALENDAR,
    CONF_PERSON,
)

DEFAULT_HR_REST: Final = 60
DEFAULT_HR_MAX: Final = 190
DEFAULT_PERSONA: Final = "supportive"
PERSONAS: Final = ("supportive", "direct", "data_nerd")
LANGUAGES: Final = ("en", "vi")
UNITS: Final = ("metric", "imperial")

# Fired once per created, updated or deleted activity
EVENT_ACTIVITY: Final = f"{DOMAIN}_activity"
# The unique id suffix of the athlete's "Briefings enabled" switch.
BRIEFINGS_SWITCH: Final = "briefings_enabled"
