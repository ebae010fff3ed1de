"""Tests of the config flow: Strava OAuth2, exports, the demo, reauth, reconfigure and options."""

from __future__ import annotations

from collections.abc import Generator
from datetime import date
from pathlib import Path
import shutil
from typing import Any
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigFlowResult
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import config_entry_oauth2_flow, entity_registry as er
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator
from yarl import URL

from custom_components.coach_dyno.coach import CoachUnavailableError
from custom_components.coach_dyno.const import DOMAIN, STRAVA_AUTHORIZE_URL
from tests.conftest import (
    FROZEN_NOW,
    PROFILE_OPTIONS,
    VERIFY_TOKEN,
    WEBHOOK_ID,
    demo_config_entry,
    setup_entry,
)
from tests.fakes.gemini import VALID_KEY, FakeGemini
from tests.fakes.strava import AUTH_CODE, CLIENT_ID, FakeStrava, Fault

REDIRECT_URI = "https://example.com/auth/external/callback"
DEMO_DIR = Path(__file__).parent.parent / "custom_components" / "coach_dyno" / "demo"

# What the athlete form is given when a test is not about it (FROZEN_NOW is 2026-11-20).
ATHLETE_INPUT: dict[str, Any] = {
    "hr_rest": 52,
    "hr_max": 188,
    "sex": "male",
    "lthr": 170,
    "race_name": "Autumn Half",
    "race_date": "2027-01-31",
    "race_distance_km": 21.0975,
    "goal_time": {"hours": 1, "minutes": 45, "seconds": 0},
}


@pytest.fixture(autouse=True)
async def frozen_morning(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Run every test on the same Friday morning in Amsterdam, so "in the future" is fixed."""
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    freezer.move_to(FROZEN_NOW)


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Keep a created entry from starting, and count how often it is set up."""
    with patch("custom_components.coach_dyno.async_setup_entry", return_value=True) as mock_setup:
        yield mock_setup


async def _start(hass: HomeAssistant, menu_option: str) -> ConfigFlowResult:
    """Start a user flow and pick a source from the menu."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["strava", "intervals", "export", "demo"]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": menu_option}
    )


async def _authorize(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    result: ConfigFlowResult,
    code: str = AUTH_CODE,
) -> ConfigFlowResult:
    """Follow Strava's authorize redirect back to Home Assistant and finish the OAuth step."""
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    state = config_entry_oauth2_flow._encode_jwt(
        hass, {"flow_id": result["flow_id"], "redirect_uri": REDIRECT_URI}
    )
    url = URL(result["url"])
    assert str(url.with_query(None)) == STRAVA_AUTHORIZE_URL
    assert dict(url.query) == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": state,
        "scope": "read,activity:read_all",
        "approval_prompt": "auto",
    }
    client = await hass_client_no_auth()
    resp = await client.get(f"/auth/external/callback?code={code}&state={state}")
    assert resp.status == 200
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    return await hass.config_entries.flow.async_configure(result["flow_id"])


def _suggested(result: ConfigFlowResult, field: str) -> Any:
    """Return what a form field shows: its suggested value, else its default."""
    schema = result["data_schema"]
    assert schema is not None
    for key in schema.schema:
        if key == field:
            if key.description and "suggested_value" in key.description:
                return key.description["suggested_value"]
            return key.default() if callable(key.default) else None
    raise KeyError(field)


def _state(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state, which must exist."""
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


# ----- Strava ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_strava_full_flow(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    strava: FakeStrava,
    mock_setup_entry: AsyncMock,
) -> None:
    """OAuth with Strava, identify the athlete, skip Gemini, then describe the runner."""
    strava.athlete["sex"] = "F"
    result = await _start(hass, "strava")
    result = await _authorize(hass, hass_client_no_auth, result)

    assert strava.count("/api/v3/athlete") == 1
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "gemini"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "athlete"
    # Strava said the athlete is a woman: the form starts there.
    assert _suggested(result, "sex") == "female"
    athlete = {k: v for k, v in ATHLETE_INPUT.items() if k != "sex"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], athlete)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Dyno Runner"
    entry = result["result"]
    assert entry.unique_id == "134815"
    token = entry.data["token"]
    assert token["access_token"] == strava.access_token
    assert token["refresh_token"] == strava.refresh_token
    # Strava's token reply carries the athlete's profile, which is not kept.
    assert "athlete" not in token
    assert entry.data["auth_implementation"] == DOMAIN
    assert entry.data["source"] == "strava"
    assert entry.data["athlete_id"] == 134815
    assert entry.data["webhook_id"]
    assert entry.data["verify_token"]
    assert CONF_API_KEY not in entry.data
    assert entry.options == {
        "hr_rest": 52,
        "hr_max": 188,
        "sex": "female",
        "lthr": 170,
        "race_name": "Autumn Half",
        "race_date": "2027-01-31",
        "race_distance_km": 21.0975,
        "goal_time": 6300,
        "persona": "supportive",
        "language": "en",
        "units": "metric",
    }
    assert len(mock_setup_entry.mock_calls) == 1


@pytest.mark.usefixtures("current_request_with_host", "credentials", "mock_setup_entry")
async def test_strava_athlete_without_name(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, strava: FakeStrava
) -> None:
    """An athlete without a name is titled by their Strava id."""
    strava.athlete.update(firstname=None, lastname=None, sex=None)
    result = await _authorize(hass, hass_client_no_auth, await _start(hass, "strava"))
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert _suggested(result, "sex") == "male"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], ATHLETE_INPUT)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Strava 134815"


@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_strava_account_already_configured(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    strava_entry: MockConfigEntry,
) -> None:
    """The same Strava athlete cannot be added twice."""
    strava_entry.add_to_hass(hass)
    result = await _authorize(hass, hass_client_no_auth, await _start(hass, "strava"))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"fault": Fault.UNAUTHORIZED}, "invalid_auth"),
        ({"fault": Fault.INACTIVE}, "strava_app_inactive"),
        ({"fault": Fault.SERVER_ERROR, "status": 503}, "cannot_connect"),
        ({"fault": Fault.MALFORMED_JSON}, "cannot_connect"),
    ],
)
@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_strava_athlete_lookup_fails(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    strava: FakeStrava,
    fault: dict[str, Any],
    reason: str,
) -> None:
    """When Strava will not say who signed in, the flow stops with the reason."""
    strava.inject(path="/api/v3/athlete", times=5, **fault)
    result = await _authorize(hass, hass_client_no_auth, await _start(hass, "strava"))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason
    assert not hass.config_entries.async_entries(DOMAIN)


@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_strava_token_refused(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, strava: FakeStrava
) -> None:
    """A code Strava does not know ends the flow before any API call."""
    result = await _authorize(
        hass, hass_client_no_auth, await _start(hass, "strava"), code="stale-code"
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "oauth_failed"
    assert strava.count() == 0


@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_strava_token_endpoint_says_app_inactive(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, strava: FakeStrava
) -> None:
    """An inactive application refused at the token exchange is explained, not called a sign-in failure."""
    strava.inject(Fault.INACTIVE, path="/oauth/token")
    result = await _authorize(hass, hass_client_no_auth, await _start(hass, "strava"))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "strava_app_inactive"
    assert strava.count() == 0
    assert not hass.config_entries.async_entries(DOMAIN)


@pytest.mark.usefixtures("current_request_with_host")
async def test_strava_without_credentials(hass: HomeAssistant) -> None:
    """Without the user's Strava API application the flow says what is missing."""
    result = await _start(hass, "strava")

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "missing_credentials"


async def test_credentials_dialog_placeholders(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, credentials: None
) -> None:
    """The credentials dialog tells the user where Strava's API settings are."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "application_credentials/config"})
    msg = await client.receive_json()

    assert msg["success"]
    assert DOMAIN in msg["result"]["domains"]
    placeholders = msg["result"]["integrations"][DOMAIN]["description_placeholders"]
    assert placeholders["settings_url"] == "https://www.strava.com/settings/api"
    assert placeholders["more_info_url"].startswith("https://developers.strava.com/")


# ----- the athlete form -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"hr_max": 52}, {"hr_max": "hr_max_not_above_rest"}),
        ({"hr_max": 50}, {"hr_max": "hr_max_not_above_rest"}),
        ({"hr_max": 170}, {"lthr": "lthr_out_of_range"}),
        ({"lthr": 190}, {"lthr": "lthr_out_of_range"}),
        ({"lthr": 52}, {"lthr": "lthr_out_of_range"}),
        # FROZEN_NOW is the 20th in Amsterdam (still the 19th in UTC-8): race day must be later.
        ({"race_date": "2026-11-20"}, {"race_date": "race_date_not_future"}),
        ({"race_date": "2025-04-06"}, {"race_date": "race_date_not_future"}),
        ({"race_distance_km": 0}, {"race_distance_km": "distance_not_positive"}),
        ({"race_distance_km": -5}, {"race_distance_km": "distance_not_positive"}),
        ({"race_distance_km": None}, {"base": "race_incomplete"}),
        ({"race_date": None}, {"base": "race_incomplete"}),
    ],
)
@pytest.mark.usefixtures("mock_setup_entry")
async def test_athlete_errors_then_recovery(
    hass: HomeAssistant, changes: dict[str, Any], errors: dict[str, str]
) -> None:
    """Each mistake in the athlete form is named on its field; fixing it creates the entry."""
    result = await _start(hass, "demo")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    wrong = {k: v for k, v in {**ATHLETE_INPUT, **changes}.items() if v is not None}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], wrong)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "athlete"
    assert result["errors"] == errors
    # The form keeps what was typed, mistakes included, so only the mistake needs fixing.
    for field, value in wrong.items():
        assert _suggested(result, field) == value

    result = await hass.config_entries.flow.async_configure(result["flow_id"], ATHLETE_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"]["goal_time"] == 105 * 60
    assert result["options"]["race_date"] == "2027-01-31"


@pytest.mark.usefixtures("mock_setup_entry")
async def test_athlete_minimal(hass: HomeAssistant) -> None:
    """Only the heart rates are needed; the coach follows Home Assistant's language and units."""
    hass.config.units = US_CUSTOMARY_SYSTEM
    hass.config.language = "vi"
    result = await _start(hass, "demo")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert _suggested(result, "hr_rest") == 60
    assert _suggested(result, "hr_max") == 190
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"hr_rest": 48, "hr_max": 192, "goal_time": {"hours": 0}}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"] == {
        "hr_rest": 48,
        "hr_max": 192,
        "sex": "male",
        "persona": "supportive",
        "language": "vi",
        "units": "imperial",
    }


@pytest.mark.usefixtures("mock_setup_entry")
async def test_athlete_unknown_language_falls_back_to_english(hass: HomeAssistant) -> None:
    """Briefings are in English when Home Assistant speaks a language the coach does not."""
    hass.config.language = "de-CH"
    result = await _start(hass, "demo")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"hr_rest": 48, "hr_max": 192}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"]["language"] == "en"
    assert result["options"]["units"] == "metric"


# ----- exports and the demo -------------------------------------------------------------------


async def test_export_errors_then_recovery(
    hass: HomeAssistant, config_dir: Path, mock_setup_entry: AsyncMock
) -> None:
    """A bad path is named on the field; a real export then creates the entry."""
    shutil.copytree(DEMO_DIR, hass.config.path("my_export"))
    (config_dir / "empty").mkdir()
    result = await _start(hass, "export")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "export"
    assert result["description_placeholders"] == {"config_dir": str(config_dir)}

    for path, error in (
        ("../outside", "export_outside_config_dir"),
        ("/etc", "export_outside_config_dir"),
        ("nothing_here", "export_not_found"),
        ("", "export_not_found"),
        ("empty", "export_no_activities"),
    ):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {"path": path})
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"path": error}, path

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"path": "my_export"}
    )
    assert result["step_id"] == "gemini"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], ATHLETE_INPUT)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "my_export"
    assert result["data"] == {"source": "export", "path": str(config_dir / "my_export")}
    assert result["result"].unique_id == f"export_{config_dir / 'my_export'}"
    assert len(mock_setup_entry.mock_calls) == 1

    # The same folder, spelt differently, is the same export.
    result = await _start(hass, "export")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"path": str(config_dir / "my_export") + "/"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_demo_once(hass: HomeAssistant, mock_setup_entry: AsyncMock) -> None:
    """The demo runner is created once; a second try aborts."""
    result = await _start(hass, "demo")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "gemini"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], ATHLETE_INPUT)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Demo runner"
    assert result["data"] == {"source": "demo"}
    assert result["result"].unique_id == "demo"

    result = await _start(hass, "demo")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(mock_setup_entry.mock_calls) == 1


# ----- the Gemini key -------------------------------------------------------------------------


async def test_gemini_key_errors_then_recovery(
    hass: HomeAssistant, gemini: FakeGemini, mock_setup_entry: AsyncMock
) -> None:
    """A refused key and an unreachable Gemini are named; a working key is then kept."""
    result = await _start(hass, "demo")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "not-a-key"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "gemini"
    assert result["errors"] == {CONF_API_KEY: "invalid_api_key"}

    # google-genai waits seconds before its one retry of a refused connection: fail it at once.
    with patch(
        "custom_components.coach_dyno.config_flow.async_validate_api_key",
        side_effect=CoachUnavailableError("Cannot reach Gemini: ClientConnectorError"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: VALID_KEY}
        )
    assert result["errors"] == {CONF_API_KEY: "cannot_connect"}

    # A pasted key often brings spaces along.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: f" {VALID_KEY}\n"}
    )
    assert result["step_id"] == "athlete"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], ATHLETE_INPUT)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {"source": "demo", CONF_API_KEY: VALID_KEY}
    assert [r.api_key for r in gemini.requests] == ["not-a-key", VALID_KEY]


@pytest.mark.usefixtures("mock_setup_entry")
async def test_gemini_blank_key_means_offline_coach(
    hass: HomeAssistant, gemini: FakeGemini
) -> None:
    """A blank key is no key: the offline coach speaks, and Gemini is never asked."""
    result = await _start(hass, "demo")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "   "}
    )
    assert result["step_id"] == "athlete"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], ATHLETE_INPUT)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_API_KEY not in result["data"]
    assert not gemini.requests


# ----- reauth ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("current_request_with_host", "credentials", "no_push")
async def test_reauth_strava(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
) -> None:
    """Revoked tokens: the athlete signs in again, the entry gets new tokens and reloads."""
    await setup_entry(hass, strava_entry)
    assert strava_entry.state is ConfigEntryState.LOADED
    before = strava_entry.runtime_data
    strava.revoke()

    result = await strava_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {"name": "Dyno Runner"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await _authorize(hass, hass_client_no_auth, result, code=strava.issue_code())

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    token = strava_entry.data["token"]
    assert token["access_token"] == strava.access_token
    assert token["refresh_token"] == strava.refresh_token
    assert "athlete" not in token
    # Everything else about the athlete stays as it was.
    assert strava_entry.data["webhook_id"] == WEBHOOK_ID
    assert strava_entry.data["verify_token"] == VERIFY_TOKEN
    assert strava_entry.state is ConfigEntryState.LOADED
    assert strava_entry.runtime_data is not before
    assert strava.requests[-1].authorization == f"Bearer {strava.access_token}"


@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_reauth_strava_wrong_account(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    """Signing in as another athlete changes nothing."""
    strava_entry.add_to_hass(hass)
    old_data = dict(strava_entry.data)
    strava.athlete["id"] = 999_999

    result = await strava_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await _authorize(hass, hass_client_no_auth, result, code=strava.issue_code())

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    await hass.async_block_till_done()
    assert dict(strava_entry.data) == old_data
    assert mock_setup_entry.call_count == 0


@pytest.mark.usefixtures("strava")
async def test_reauth_gemini(
    hass: HomeAssistant,
    gemini: FakeGemini,
    strava_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    """Gemini refused the key: the athlete gives a working one, and Strava is left alone."""
    strava_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        strava_entry, data={**strava_entry.data, CONF_API_KEY: "revoked-key"}
    )
    token = strava_entry.data["token"]

    result = await strava_entry.start_reauth_flow(hass, data={"reauth_reason": "gemini"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_gemini"
    assert result["description_placeholders"] == {"name": "Dyno Runner"}

    for key, error in (("", "invalid_api_key"), ("still-wrong", "invalid_api_key")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: key}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_API_KEY: error}
    # A blank key was refused without asking Gemini.
    assert [r.api_key for r in gemini.requests] == ["still-wrong"]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: VALID_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert strava_entry.data[CONF_API_KEY] == VALID_KEY
    assert strava_entry.data["token"] == token
    assert "reauth_reason" not in strava_entry.data
    assert mock_setup_entry.call_count == 1


async def test_reauth_without_strava_asks_for_the_key(
    hass: HomeAssistant, gemini: FakeGemini, mock_setup_entry: AsyncMock
) -> None:
    """An entry that does not use Strava can only have lost its Gemini key."""
    entry = demo_config_entry({CONF_API_KEY: "revoked-key"})
    entry.add_to_hass(hass)

    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_gemini"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: VALID_KEY}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == {"source": "demo", CONF_API_KEY: VALID_KEY}


# ----- reconfigure ----------------------------------------------------------------------------


async def _reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, menu_option: str
) -> ConfigFlowResult:
    """Open a Strava entry's reconfigure menu and pick what to change."""
    result: ConfigFlowResult = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "reconfigure"
    assert result["menu_options"] == ["reconfigure_gemini", "strava"]
    assert result["description_placeholders"] == {"name": "Dyno Runner"}
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": menu_option}
    )


@pytest.mark.usefixtures("strava")
async def test_reconfigure_strava_gemini_key(
    hass: HomeAssistant,
    gemini: FakeGemini,
    strava_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    """A Strava athlete adds a Gemini key after the fact."""
    strava_entry.add_to_hass(hass)
    result = await _reconfigure(hass, strava_entry, "reconfigure_gemini")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_gemini"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "not-a-key"}
    )
    assert result["errors"] == {CONF_API_KEY: "invalid_api_key"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: VALID_KEY}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert strava_entry.data[CONF_API_KEY] == VALID_KEY
    assert strava_entry.data["source"] == "strava"
    assert mock_setup_entry.call_count == 1


@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_reconfigure_strava_reconnect(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    """Reconnecting the same Strava account refreshes the tokens."""
    strava_entry.add_to_hass(hass)
    old_token = strava_entry.data["token"]["access_token"]
    result = await _reconfigure(hass, strava_entry, "strava")
    result = await _authorize(hass, hass_client_no_auth, result, code=strava.issue_code())

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert strava_entry.data["token"]["access_token"] == strava.access_token != old_token
    assert strava_entry.data["webhook_id"] == WEBHOOK_ID
    assert mock_setup_entry.call_count == 1


@pytest.mark.usefixtures("current_request_with_host", "credentials")
async def test_reconfigure_strava_wrong_account(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    """An entry cannot be switched to another athlete."""
    strava_entry.add_to_hass(hass)
    old_data = dict(strava_entry.data)
    strava.athlete["id"] = 999_999
    result = await _reconfigure(hass, strava_entry, "strava")
    result = await _authorize(hass, hass_client_no_auth, result, code=strava.issue_code())

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert dict(strava_entry.data) == old_data
    assert mock_setup_entry.call_count == 0


async def test_reconfigure_demo_removes_key(
    hass: HomeAssistant, gemini: FakeGemini, mock_setup_entry: AsyncMock
) -> None:
    """Without Strava, reconfigure goes straight to the key; leaving it empty removes it."""
    entry = demo_config_entry({CONF_API_KEY: VALID_KEY})
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure_gemini"
    assert result["description_placeholders"] == {"name": "Demo runner"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data == {"source": "demo"}
    assert not gemini.requests
    assert mock_setup_entry.call_count == 1


# ----- options --------------------------------------------------------------------------------


async def test_options_apply_without_reload(
    hass: HomeAssistant, demo_entry: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """A new race date shows at once on the countdown, without reloading the entry."""
    await setup_entry(hass, demo_entry)
    entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, "demo_days_to_race")
    assert entity_id is not None
    today = FROZEN_NOW.date()
    assert _state(hass, entity_id) == str((date(2027, 1, 31) - today).days)
    runtime = demo_entry.runtime_data

    result = await hass.config_entries.options.async_init(demo_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert _suggested(result, "race_date") == "2027-01-31"
    assert _suggested(result, "goal_time") == {"hours": 1, "minutes": 45, "seconds": 0}
    assert _suggested(result, "persona") == "supportive"
    assert _suggested(result, "model") is None

    typed = {
        **{k: v for k, v in PROFILE_OPTIONS.items() if k != "goal_time"},
        "race_date": "2026-11-01",
        "persona": "direct",
        "model": "gemini-2.5-pro",
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], typed)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"race_date": "race_date_not_future"}
    # The form shows what was typed: the cleared goal time does not come back.
    assert _suggested(result, "race_date") == "2026-11-01"
    assert _suggested(result, "goal_time") is None
    assert _suggested(result, "persona") == "direct"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**typed, "race_date": "2027-01-10"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert demo_entry.options == {
        "hr_rest": 52,
        "hr_max": 188,
        "sex": "male",
        "race_name": "Autumn Half",
        "race_date": "2027-01-10",
        "race_distance_km": 21.0975,
        "persona": "direct",
        "language": "en",
        "units": "metric",
        "model": "gemini-2.5-pro",
    }
    assert _state(hass, entity_id) == str((date(2027, 1, 10) - today).days)
    assert demo_entry.runtime_data is runtime
    assert runtime.coach.settings.persona == "direct"
    assert runtime.coach.settings.model == "gemini-2.5-pro"


async def test_options_keep_a_passed_race(hass: HomeAssistant) -> None:
    """After race day the stored race may stay while other settings change; a new one may not."""
    entry = demo_config_entry(
        options={**PROFILE_OPTIONS, "race_date": "2026-10-11", "model": "gemini-2.5-pro"}
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert _suggested(result, "model") == "gemini-2.5-pro"
    typed = {**PROFILE_OPTIONS, "goal_time": {"hours": 1, "minutes": 45}, "language": "vi"}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**typed, "race_date": "2026-10-12"}
    )
    assert result["errors"] == {"race_date": "race_date_not_future"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**typed, "race_date": "2026-10-11"}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        **PROFILE_OPTIONS,
        "race_date": "2026-10-11",
        "language": "vi",
    }


async def test_options_errors_then_recovery(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """The options form checks the heart rates and the race like the setup did."""
    demo_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(demo_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            **PROFILE_OPTIONS,
            "goal_time": {"hours": 1, "minutes": 45},
            "hr_max": 50,
            "race_distance_km": -1,
        },
    )
    assert result["errors"] == {
        "hr_max": "hr_max_not_above_rest",
        "race_distance_km": "distance_not_positive",
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "hr_rest": 50,
            "hr_max": 185,
            "sex": "female",
            "persona": "data_nerd",
            "language": "en",
            "units": "imperial",
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    # A race removed from the form is removed from the options.
    assert demo_entry.options == {
        "hr_rest": 50,
        "hr_max": 185,
        "sex": "female",
        "persona": "data_nerd",
        "language": "en",
        "units": "imperial",
    }


async def test_options_home_section(
    hass: HomeAssistant, demo_entry: MockConfigEntry, frozen_now: FrozenDateTimeFactory
) -> None:
    """The home's entities are picked in their own section, stored flat, shown again and cleared."""
    await setup_entry(hass, demo_entry)
    result = await hass.config_entries.options.async_init(demo_entry.entry_id)
    home = {
        "weather_entity": "weather.home",
        "resting_hr_entity": "sensor.resting_hr",
        "hrv_entity": "sensor.hrv",
        "sleep_duration_entity": "sensor.sleep",
        "sleep_score_entity": "sensor.sleep_score",
        "calendar_entity": "calendar.family",
        "person_entity": "person.anna",
    }
    typed = {**PROFILE_OPTIONS, "goal_time": {"hours": 1, "minutes": 45}, "home": home}
    result = await hass.config_entries.options.async_configure(result["flow_id"], typed)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert demo_entry.options == {**PROFILE_OPTIONS, **home}
    # Other entities to watch: the entry was set up again, and is loaded.
    assert demo_entry.state is ConfigEntryState.LOADED
    assert demo_entry.runtime_data.options == demo_entry.options

    result = await hass.config_entries.options.async_init(demo_entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    section_schema = schema.schema["home"].schema
    shown = {key.schema: key.description["suggested_value"] for key in section_schema.schema}
    assert shown == home
    # An error keeps what was typed in the section.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**typed, "hr_max": 40, "home": {"weather_entity": "weather.home"}}
    )
    assert result["errors"] == {"hr_max": "hr_max_not_above_rest"}
    section_schema = result["data_schema"].schema["home"].schema
    shown = {key.schema: key.description["suggested_value"] for key in section_schema.schema}
    assert shown["weather_entity"] == "weather.home"
    assert shown["hrv_entity"] is None
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**typed, "home": {}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert demo_entry.options == PROFILE_OPTIONS
