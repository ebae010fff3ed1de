"""Tests for the actions: what they return, what they change, and how they refuse."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
import json
from pathlib import Path
import time
from typing import Any, cast
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import issue_registry as ir, service as service_helper
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_capture_events,
)
from syrupy.assertion import SnapshotAssertion
import voluptuous as vol
import yaml

from custom_components.coach_dyno.coach import CoachUnavailableError
from custom_components.coach_dyno.const import DOMAIN, EVENT_ACTIVITY
from custom_components.coach_dyno.store import _VersionedStore
from tests.coach.replies import briefing as briefing_reply
from tests.conftest import (
    FROZEN_NOW,
    GEMINI_KEY,
    PROFILE_OPTIONS,
    call_action,
    demo_config_entry,
    setup_entry,
)
from tests.fakes.gemini import FakeGemini, invalid_key_error, json_reply, quota_error
from tests.fakes.strava import API_PREFIX, FakeStrava, Fault
from tests.loop_stall import LoopStallProbe
from tests.sources.test_files_quirks import strava_gpx

# Taken before any test starts: the harness replaces it while a test runs.
REAL_STORE_WRITE = Store._async_write_data
INTEGRATION = Path(__file__).resolve().parent.parent / "custom_components" / DOMAIN
ACTIVITIES = f"{API_PREFIX}/athlete/activities"
# A Strava export's index with only the columns the importer needs: two runs this week.
EXPORT_CSV = """Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time,Distance,Moving Time,Average Heart Rate,Max Heart Rate
90000000001,"Nov 20, 2026, 6:00:00 AM",Dawn Ten,Run,3100,10.00,3000,150,170
90000000002,"Nov 17, 2026, 6:00:00 AM",Short Shakeout,Run,1300,4.00,1200,140,155
"""


async def _run(hass: HomeAssistant, service: str, data: dict[str, Any]) -> None:
    """Call one of the integration's actions that only act."""
    await hass.services.async_call(DOMAIN, service, data, blocking=True)


def _distance_this_week(hass: HomeAssistant) -> float:
    state = hass.states.get("sensor.demo_runner_distance_this_week")
    assert state is not None
    return float(state.state)


@pytest.fixture
async def gemini_demo(
    hass: HomeAssistant, gemini: FakeGemini, frozen_now: Any
) -> tuple[MockConfigEntry, FakeGemini]:
    """Set up the demo runner with a Gemini key the fake accepts."""
    gemini.valid_keys.add(GEMINI_KEY)
    entry = demo_config_entry({CONF_API_KEY: GEMINI_KEY})
    await setup_entry(hass, entry)
    return entry, gemini


# ----- the contract: services.yaml, strings.json, icons.json ------------------------------------


async def test_every_action_is_described(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """services.yaml, strings.json and icons.json cover every action and every schema field."""
    registered = hass.services.async_services_for_domain(DOMAIN)
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    icons = json.loads((INTEGRATION / "icons.json").read_text(encoding="utf-8"))

    assert set(described) == set(registered)
    assert set(strings["services"]) == set(registered)
    assert set(icons["services"]) == set(registered)
    for name, service in registered.items():
        assert service.schema is not None
        fields = {str(key) for key in cast(dict[Any, Any], service.schema.schema)}
        assert set(described[name]["fields"]) == fields, name
        assert set(strings["services"][name]["fields"]) == fields, name
        assert strings["services"][name]["name"], name
        for field in fields:
            assert strings["services"][name]["fields"][field]["description"], (name, field)


async def test_home_assistant_reads_services_yaml(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """Home Assistant's own schema accepts services.yaml, so the action editor shows every field."""
    descriptions = (await service_helper.async_get_all_descriptions(hass))[DOMAIN]
    assert "Unable to parse services.yaml" not in caplog.text
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    for name, spec in described.items():
        assert set(descriptions[name]["fields"]) == set(spec["fields"]), name


# ----- which entry ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "extra"),
    [
        ("harvest", {}),
        ("import_export", {"path": "strava_export"}),
        ("analyze_activity", {}),
        ("generate_briefing", {}),
        ("ask_coach", {"question": "How am I doing?"}),
        ("chat", {"message": "/race"}),
        ("clear_conversation", {}),
        ("set_race_goal", {"race_date": "2027-04-01", "distance_km": 42.195}),
    ],
)
async def test_unknown_or_unloaded_entry(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, service: str, extra: dict[str, Any]
) -> None:
    """Every action names the entry it needs, and refuses a wrong or sleeping one."""
    call = _run if service in ("clear_conversation", "set_race_goal") else call_action
    with pytest.raises(ServiceValidationError, match="No Coach Dyno entry with id nope"):
        await call(hass, service, {"config_entry_id": "nope", **extra})

    other = MockConfigEntry(domain="sun", title="Sun")
    other.add_to_hass(hass)
    with pytest.raises(
        ServiceValidationError, match=f"No Coach Dyno entry with id {other.entry_id}"
    ):
        await call(hass, service, {"config_entry_id": other.entry_id, **extra})

    assert await hass.config_entries.async_unload(loaded_demo.entry_id)
    assert loaded_demo.state is ConfigEntryState.NOT_LOADED
    with pytest.raises(ServiceValidationError, match="Demo runner is not loaded"):
        await call(hass, service, {"config_entry_id": loaded_demo.entry_id, **extra})


# ----- harvest ----------------------------------------------------------------------------------


async def test_harvest_needs_strava(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """A demo or export entry has nothing to sync."""
    with pytest.raises(ServiceValidationError, match="neither syncs from Strava"):
        await call_action(hass, "harvest", {"config_entry_id": loaded_demo.entry_id})


@pytest.mark.usefixtures("credentials", "no_push")
async def test_harvest_counts_and_announces(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """A sync returns what changed; each new or changed run is announced once, history is not."""
    strava.generate(12)
    events = async_capture_events(hass, EVENT_ACTIVITY)
    await setup_entry(hass, strava_entry)
    assert events == []  # the backfill is history, not news

    assert await call_action(hass, "harvest", {"config_entry_id": strava_entry.entry_id}) == {
        "new_or_updated": 0,
        "activities": 12,
    }

    new = strava.add_activity(
        dt_util.utcnow() - timedelta(hours=1),
        has_heartrate=True,
        average_heartrate=150.0,
        max_heartrate=170.0,
    )
    assert await call_action(hass, "harvest", {"config_entry_id": strava_entry.entry_id}) == {
        "new_or_updated": 1,
        "activities": 13,
    }
    assert len(events) == 1
    event = events[0].data
    assert event["action"] == "created"
    assert event["config_entry_id"] == strava_entry.entry_id
    assert event["activity_id"] == new["id"]
    assert event["sport_type"] == new["sport_type"]
    assert event["distance_m"] == new["distance"]
    assert event["trimp"] > 0

    # An edit on Strava is announced as such.
    strava.update_activity(new["id"], name="Renamed on Strava")
    assert await call_action(hass, "harvest", {"config_entry_id": strava_entry.entry_id}) == {
        "new_or_updated": 1,
        "activities": 13,
    }
    assert [(e.data["action"], e.data["activity_id"], e.data["name"]) for e in events[1:]] == [
        ("updated", new["id"], "Renamed on Strava")
    ]

    # A full re-read brings nothing new and announces nothing.
    assert await call_action(
        hass, "harvest", {"config_entry_id": strava_entry.entry_id, "full": True}
    ) == {"new_or_updated": 0, "activities": 13}
    assert len(events) == 2


@pytest.mark.parametrize(
    ("fault", "status", "message"),
    [
        (Fault.RATE_LIMIT, 429, "rate limit is reached; syncing resumes at"),
        (Fault.UNAUTHORIZED, 401, "Strava refused the access token"),
        (Fault.INACTIVE, 403, "the API application is inactive"),
        (Fault.SERVER_ERROR, 500, "Strava could not be reached"),
    ],
)
@pytest.mark.usefixtures("credentials", "no_push")
async def test_harvest_failures(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    *,
    fault: Fault,
    status: int,
    message: str,
) -> None:
    """A failed sync says why, in words; the stored history stays in use."""
    strava.generate(5)
    await setup_entry(hass, strava_entry)
    strava.inject(fault, path=ACTIVITIES, status=status)

    with pytest.raises(HomeAssistantError, match=message):
        await call_action(hass, "harvest", {"config_entry_id": strava_entry.entry_id})

    assert len(strava_entry.runtime_data.coordinator.store.activities) == 5
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert bool(flows) is (fault is Fault.UNAUTHORIZED)


# ----- who may act -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "extra"),
    [
        ("import_export", {"path": "strava_export"}),
        ("harvest", {"full": True}),
        ("set_race_goal", {"race_date": "2027-04-11", "distance_km": 42.195}),
    ],
)
@pytest.mark.usefixtures("credentials", "no_push", "frozen_now")
async def test_changing_data_or_reading_files_needs_an_administrator(
    hass: HomeAssistant,
    config_dir: Path,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    *,
    hass_read_only_user: MockUser,
    hass_admin_user: MockUser,
    service: str,
    extra: dict[str, Any],
) -> None:
    """A user who is not an administrator is refused in words, and nothing is read or changed."""
    strava.generate(5)
    await setup_entry(hass, strava_entry)
    export = config_dir / "strava_export"
    export.mkdir()
    (export / "activities.csv").write_text(EXPORT_CSV, encoding="utf-8")
    coordinator = strava_entry.runtime_data.coordinator
    stored, options = dict(coordinator.store.activities), dict(strava_entry.options)
    strava.requests.clear()
    data = {"config_entry_id": strava_entry.entry_id, **extra}

    for user_id in (hass_read_only_user.id, "no-such-user"):
        with pytest.raises(
            Unauthorized, match=f"Only an administrator can run coach_dyno.{service}"
        ):
            await hass.services.async_call(
                DOMAIN, service, data, blocking=True, context=Context(user_id=user_id)
            )

    assert coordinator.store.activities == stored
    assert strava_entry.options == options
    assert strava.count() == 0

    # An administrator, or an automation (no user), may.
    for context in (Context(user_id=hass_admin_user.id), Context()):
        await hass.services.async_call(
            DOMAIN,
            service,
            data,
            blocking=True,
            context=context,
            return_response=service != "set_race_goal",
        )
    changed = (
        strava_entry.options != options
        if service == "set_race_goal"
        else strava.count() > 0 or coordinator.store.activities != stored
    )
    assert changed


@pytest.mark.usefixtures("credentials", "no_push")
async def test_anyone_may_sync_and_ask(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    hass_read_only_user: MockUser,
) -> None:
    """Fetching what is new and reading the coach stay open to every user."""
    strava.generate(5)
    await setup_entry(hass, strava_entry)
    context = Context(user_id=hass_read_only_user.id)
    data = {"config_entry_id": strava_entry.entry_id}

    responses = [
        await hass.services.async_call(
            DOMAIN, service, data, blocking=True, context=context, return_response=True
        )
        for service in ("harvest", "generate_briefing")
    ]

    assert responses[0] == {"new_or_updated": 0, "activities": 5}
    assert responses[1] is not None
    assert responses[1]["text"]


# ----- import_export ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../outside", "is outside the configuration folder"),
        ("/etc", "is outside the configuration folder"),
        ("missing_export", "Nothing was found at missing_export"),
        ("empty", "No activities were found in empty"),
    ],
)
async def test_import_refuses_bad_paths(
    hass: HomeAssistant,
    config_dir: Path,
    loaded_demo: MockConfigEntry,
    path: str,
    message: str,
) -> None:
    """A wrong path is refused with a translated reason, and nothing changes."""
    (config_dir / "empty").mkdir()
    stored = dict(loaded_demo.runtime_data.coordinator.store.activities)
    before = _distance_this_week(hass)

    with pytest.raises(ServiceValidationError, match=message):
        await call_action(
            hass, "import_export", {"config_entry_id": loaded_demo.entry_id, "path": path}
        )

    assert loaded_demo.runtime_data.coordinator.store.activities == stored
    assert _distance_this_week(hass) == before


async def test_import_an_export(
    hass: HomeAssistant, config_dir: Path, loaded_demo: MockConfigEntry
) -> None:
    """New runs land in the history and the sensors at once; a second import adds nothing."""
    export = config_dir / "strava_export"
    export.mkdir()
    (export / "activities.csv").write_text(EXPORT_CSV, encoding="utf-8")
    events = async_capture_events(hass, EVENT_ACTIVITY)
    before = _distance_this_week(hass)
    data = {"config_entry_id": loaded_demo.entry_id, "path": "strava_export"}

    assert await call_action(hass, "import_export", data) == {
        "imported": 2,
        "read": 2,
        "skipped": 0,
        "merged": 0,
    }
    assert _distance_this_week(hass) == pytest.approx(before + 14.0, abs=1e-3)
    stored = loaded_demo.runtime_data.coordinator.store.activities
    assert stored[90000000001].name == "Dawn Ten"

    assert await call_action(hass, "import_export", data) == {
        "imported": 0,
        "read": 2,
        "skipped": 0,
        "merged": 0,
    }
    assert _distance_this_week(hass) == pytest.approx(before + 14.0, abs=1e-3)
    # Imported history is not news: automations are not woken for it.
    assert events == []


def export_rows(count: int) -> str:
    """Return a Strava export index of `count` runs, one every two hours back from 1 Nov 2026."""
    newest = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    lines = [EXPORT_CSV.splitlines()[0]]
    for index in range(count):
        start = newest - timedelta(hours=2 * index)
        lines.append(
            f'{70_000_000_000 + index},"{start:%b %d, %Y, %I:%M:%S %p}",Run {index},Run,'
            f"{1900 + index % 700},{5 + index % 11}.00,{1800 + index % 600},"
            f"{140 + index % 20},{160 + index % 25}"
        )
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(600)
@pytest.mark.usefixtures("credentials", "no_push")
async def test_bulk_changes_never_stall_the_event_loop(
    hass: HomeAssistant, config_dir: Path, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """Importing 100,000 runs, then starting the history over, never run the loop 50 ms at once."""
    strava.generate(300)
    await setup_entry(hass, strava_entry)
    export = config_dir / "years"
    export.mkdir()
    (export / "activities.csv").write_text(export_rows(100_000), encoding="utf-8")
    coordinator = strava_entry.runtime_data.coordinator
    data = {"config_entry_id": strava_entry.entry_id}
    # The history goes to disk as it would outside tests (the harness keeps stores in memory,
    # encoding them on the event loop).
    with patch.object(_VersionedStore, "_async_write_data", REAL_STORE_WRITE):
        async with LoopStallProbe() as importing:
            imported = await call_action(hass, "import_export", {**data, "path": "years"})
        async with LoopStallProbe() as harvesting:
            harvested = await call_action(hass, "harvest", {**data, "full": True})

    assert imported == {"imported": 100_000, "read": 100_000, "skipped": 0, "merged": 0}
    assert harvested == {"new_or_updated": 0, "activities": 100_300}
    assert coordinator.data.snapshot.activity_count == 100_300
    saved = json.loads(await hass.async_add_executor_job(Path(coordinator.store.path).read_bytes))
    assert len(saved["data"]["activities"]) == 100_300
    assert importing.ticks > 100
    assert harvesting.ticks > 10
    for probe in (importing, harvesting):
        assert probe.longest_s < 0.05, f"the event loop ran {probe.longest_s * 1000:.0f} ms at once"


async def test_a_run_from_its_export_row_and_its_own_file_counts_once(
    hass: HomeAssistant, config_dir: Path, loaded_demo: MockConfigEntry
) -> None:
    """The export's row and the run's GPX (as Strava writes it) make one run, with the file's HR."""
    start = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    export = config_dir / "strava_export"
    export.mkdir()
    (export / "activities.csv").write_text(
        "Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time,Distance,Moving Time\n"
        '90000000003,"Nov 20, 2026, 6:00:00 AM",Dawn Strides,Run,600,1.79,595\n',
        encoding="utf-8",
    )
    watch = config_dir / "watch"
    watch.mkdir()
    (watch / "dawn.gpx").write_bytes(b"\n  " + strava_gpx(start))
    store = loaded_demo.runtime_data.coordinator.store
    before = _distance_this_week(hass)
    data = {"config_entry_id": loaded_demo.entry_id}

    await call_action(hass, "import_export", {**data, "path": "strava_export"})
    count = len(store.activities)
    assert store.activities[90000000003].stream_summary is None

    answer = await call_action(hass, "import_export", {**data, "path": "watch"})

    assert answer == {"imported": 1, "read": 1, "skipped": 0, "merged": 1}
    assert len(store.activities) == count
    run = store.activities[90000000003]
    assert run.name == "Dawn Strides"
    assert run.stream_summary is not None
    assert run.avg_hr is not None
    assert _distance_this_week(hass) == pytest.approx(before + 1.79, abs=1e-3)


# ----- analyze_activity -------------------------------------------------------------------------


async def test_analyze_latest_and_by_id(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Without an id the latest run is analysed; an id picks that run."""
    latest = loaded_demo.runtime_data.coordinator.data.snapshot.latest_run
    assert latest is not None
    response = await call_action(
        hass, "analyze_activity", {"config_entry_id": loaded_demo.entry_id}
    )
    assert response is not None
    assert response["activity_id"] == latest.id
    assert response["name"] == latest.name
    assert response["source"] == "offline"
    assert response == snapshot

    older = loaded_demo.runtime_data.coordinator.data.snapshot.recent_runs[3]
    response = await call_action(
        hass,
        "analyze_activity",
        {"config_entry_id": loaded_demo.entry_id, "activity_id": str(older.id)},
    )
    assert response is not None
    assert response["activity_id"] == older.id
    assert response["name"] == older.name


async def test_analyze_unknown_activity(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """An id that is not in the history is refused by name."""
    with pytest.raises(ServiceValidationError, match="Activity 123 is not in the history"):
        await call_action(
            hass, "analyze_activity", {"config_entry_id": loaded_demo.entry_id, "activity_id": 123}
        )


@pytest.mark.usefixtures("credentials", "no_push")
async def test_analyze_without_runs(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """A fresh Strava account has nothing to analyse yet."""
    await setup_entry(hass, strava_entry)
    with pytest.raises(ServiceValidationError, match="There is no run to analyse yet"):
        await call_action(hass, "analyze_activity", {"config_entry_id": strava_entry.entry_id})


# ----- generate_briefing ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["morning", "weekly"])
async def test_offline_briefing(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, kind: str, snapshot: SnapshotAssertion
) -> None:
    """Without a key the offline coach writes the briefing and a 7-day plan."""
    response = await call_action(
        hass, "generate_briefing", {"config_entry_id": loaded_demo.entry_id, "kind": kind}
    )
    assert response is not None
    today = dt_util.as_local(FROZEN_NOW).date()
    first_day = today if kind == "morning" else today + timedelta(days=1)
    assert response["kind"] == kind
    assert response["source"] == "offline"
    assert response["date"] == today.isoformat()
    assert [day["date"] for day in response["plan"]] == [
        (first_day + timedelta(days=offset)).isoformat() for offset in range(7)
    ]
    assert response == snapshot


async def test_unknown_briefing_kind(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """Only the two kinds exist."""
    with pytest.raises(vol.Invalid, match="value must be one of"):
        await call_action(
            hass, "generate_briefing", {"config_entry_id": loaded_demo.entry_id, "kind": "daily"}
        )


async def test_gemini_briefing_once_a_day(
    hass: HomeAssistant, gemini_demo: tuple[MockConfigEntry, FakeGemini]
) -> None:
    """With a key Gemini writes the briefing in one call; asking again the same day is free."""
    entry, gemini = gemini_demo
    today = dt_util.as_local(FROZEN_NOW).date()
    gemini.queue("gemini-2.5-flash", json_reply(briefing_reply(today, "Gemini says run easy.")))
    data = {"config_entry_id": entry.entry_id}

    first = await call_action(hass, "generate_briefing", data)
    assert first is not None
    assert first["source"] == "gemini"
    # Gemini's text, and what the planner's guardrails changed in its week, if anything.
    assert first["text"].startswith("Gemini says run easy.")
    assert ("Plan adjusted: " in first["text"]) == bool(first["adjustments"])
    assert all(note in first["text"] for note in first["adjustments"])
    assert len(gemini.generate_requests()) == 1
    assert gemini.generate_requests()[0].api_key == GEMINI_KEY

    assert await call_action(hass, "generate_briefing", data) == first
    assert len(gemini.generate_requests()) == 1
    # The prompt compares the latest run with the most similar past runs.
    assert "Runs most like the last one" in gemini.generate_requests()[0].prompt_text


async def test_gemini_key_refused(
    hass: HomeAssistant, gemini_demo: tuple[MockConfigEntry, FakeGemini]
) -> None:
    """A refused key fails the action in words and asks the user for a new key."""
    entry, gemini = gemini_demo
    gemini.queue("gemini-2.5-flash", invalid_key_error())

    with pytest.raises(HomeAssistantError, match="Gemini refused the API key"):
        await call_action(hass, "generate_briefing", {"config_entry_id": entry.entry_id})

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    assert flows[0]["step_id"] == "reauth_gemini"


async def test_quota_issue_comes_and_goes(
    hass: HomeAssistant,
    gemini_demo: tuple[MockConfigEntry, FakeGemini],
    issue_registry: ir.IssueRegistry,
) -> None:
    """A spent daily quota raises a repair issue; the first answer after it clears the issue."""
    entry, gemini = gemini_demo
    data = {"config_entry_id": entry.entry_id, "question": "Should I run today?"}
    # A short server delay keeps the test quick; it is still a daily quota. It must outlast the
    # fallback call and the offline answer on a busy machine, or the quota looks over already.
    gemini.queue("gemini-2.5-flash", quota_error("0.5s", daily=True))
    gemini.queue("gemini-2.5-flash-lite", quota_error("0.5s", daily=True))

    answer = await call_action(hass, "ask_coach", data)
    assert answer is not None
    assert answer["quota_exhausted"] is True
    assert answer["source"] == "offline"
    assert issue_registry.async_get_issue(DOMAIN, "gemini_quota_exhausted") is not None

    # The coach's cooldown runs on the real monotonic clock, which the frozen test clock leaves alone.
    await hass.async_add_executor_job(time.sleep, 0.6)
    answer = await call_action(hass, "ask_coach", data)
    assert answer is not None
    assert answer["source"] == "gemini"
    assert answer["quota_exhausted"] is False
    assert issue_registry.async_get_issue(DOMAIN, "gemini_quota_exhausted") is None


async def test_offline_coach_leaves_quota_issue_alone(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    """An entry without a key cannot tell anything about another entry's quota."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        "gemini_quota_exhausted",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="gemini_quota_exhausted",
    )
    await call_action(hass, "generate_briefing", {"config_entry_id": loaded_demo.entry_id})
    assert issue_registry.async_get_issue(DOMAIN, "gemini_quota_exhausted") is not None


async def test_unexpected_coach_failure(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """A coach error the offline coach did not cover becomes a clear action failure."""
    with (
        patch.object(
            loaded_demo.runtime_data.coach, "ask", side_effect=CoachUnavailableError("down")
        ),
        pytest.raises(HomeAssistantError, match="The coach could not answer"),
    ):
        await call_action(
            hass, "ask_coach", {"config_entry_id": loaded_demo.entry_id, "question": "Hi"}
        )


# ----- ask_coach / clear_conversation -----------------------------------------------------------


async def test_follow_up_remembers_until_cleared(
    hass: HomeAssistant, gemini_demo: tuple[MockConfigEntry, FakeGemini]
) -> None:
    """A follow-up question carries the conversation so far; clearing it starts afresh."""
    entry, gemini = gemini_demo
    ask = {"config_entry_id": entry.entry_id}
    first = await call_action(hass, "ask_coach", {**ask, "question": "What is my weekly mileage?"})
    assert first is not None
    assert first["source"] == "gemini"
    assert first["text"] == gemini.default_text

    await call_action(hass, "ask_coach", {**ask, "question": "And last week?"})
    follow_up = gemini.generate_requests()[-1]
    assert "What is my weekly mileage?" in follow_up.prompt_text
    assert follow_up.roles.count("user") == 2
    assert follow_up.roles.count("model") == 1

    await _run(hass, "clear_conversation", ask)
    await call_action(hass, "ask_coach", {**ask, "question": "How is my form?"})
    fresh = gemini.generate_requests()[-1]
    assert "What is my weekly mileage?" not in fresh.prompt_text
    assert fresh.roles == ["user"]


async def test_offline_answers_and_memory(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """The offline coach answers too, and the conversation is kept and cleared the same way."""
    ask = {"config_entry_id": loaded_demo.entry_id}
    answer = await call_action(
        hass, "ask_coach", {**ask, "question": "  How far did I run this week?  "}
    )
    assert answer is not None
    assert answer["source"] == "offline"
    assert answer["text"]
    coach = loaded_demo.runtime_data.coach
    assert [exchange.question for exchange in coach.memory.turns] == [
        "How far did I run this week?"
    ]
    await _run(hass, "clear_conversation", ask)
    assert len(coach.memory) == 0


@pytest.mark.parametrize("question", ["", "   ", "x" * 1001])
async def test_question_must_be_sensible(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, question: str
) -> None:
    """An empty or absurdly long question is refused before the coach sees it."""
    with pytest.raises(vol.Invalid, match="length of value must be"):
        await call_action(
            hass, "ask_coach", {"config_entry_id": loaded_demo.entry_id, "question": question}
        )
    assert len(loaded_demo.runtime_data.coach.memory) == 0


async def test_conversations_by_id(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """Each conversation id has its own memory, cleared on its own, and saved with the others."""
    coach = loaded_demo.runtime_data.coach
    ask = {"config_entry_id": loaded_demo.entry_id}
    await call_action(hass, "ask_coach", {**ask, "question": "How far?", "conversation_id": "a"})
    await call_action(hass, "ask_coach", {**ask, "question": "My form?", "conversation_id": "b"})
    await call_action(hass, "ask_coach", {**ask, "question": "And my race?"})
    assert [turn.question for turn in coach.conversation("a")] == ["How far?"]
    assert [turn.question for turn in coach.conversation("b")] == ["My form?"]
    assert [turn.question for turn in coach.memory] == ["And my race?"]

    await _run(hass, "clear_conversation", {**ask, "conversation_id": "a"})
    assert len(coach.conversation("a")) == 0
    assert len(coach.conversation("b")) == 1
    assert len(coach.memory) == 1

    with pytest.raises(vol.Invalid, match="length of value must be"):
        await call_action(
            hass, "ask_coach", {**ask, "question": "Hi", "conversation_id": "x" * 101}
        )


async def test_chat_in_vietnamese_and_shorter_messages(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """The chat speaks the coach's language and cuts replies to the length it is given."""
    hass.config_entries.async_update_entry(
        loaded_demo, options={**loaded_demo.options, "language": "vi"}
    )
    await hass.async_block_till_done()
    chat = {"config_entry_id": loaded_demo.entry_id}
    reply = await call_action(hass, "chat", {**chat, "message": "/help"})
    [help_text] = reply["messages"]
    assert help_text.startswith("Tôi là Coach Dyno")
    assert (await call_action(hass, "chat", {**chat, "message": "/pause"}))["messages"] == [
        "Đã tạm dừng các bản tin định kỳ. Gửi /resume để nhận lại."
    ]

    short = await call_action(hass, "chat", {**chat, "message": "/help", "max_length": 100})
    assert len(short["messages"]) > 1
    assert all(len(part) <= 100 for part in short["messages"])
    assert " ".join(short["messages"]).split() == help_text.split()
    with pytest.raises(vol.Invalid, match="value must be at least 100"):
        await call_action(hass, "chat", {**chat, "message": "/help", "max_length": 99})


async def test_chat_says_what_the_coach_cannot_do(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """A chat has no error dialog: a coach failure is answered in words."""
    chat = {"config_entry_id": loaded_demo.entry_id}
    with patch.object(
        loaded_demo.runtime_data.coach, "ask", side_effect=CoachUnavailableError("down")
    ):
        reply = await call_action(hass, "chat", {**chat, "message": "How am I doing?"})
    assert reply == {"messages": ["The coach cannot answer right now; please try again later."]}


@pytest.mark.usefixtures("credentials", "no_push")
async def test_chat_last_run_without_runs(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """/last on a fresh account says there is no run yet, where the action would refuse."""
    await setup_entry(hass, strava_entry)
    reply = await call_action(
        hass, "chat", {"config_entry_id": strava_entry.entry_id, "message": "/last"}
    )
    assert reply == {"messages": ["No runs recorded yet."]}


# ----- set_race_goal ----------------------------------------------------------------------------


async def test_race_goal_in_the_past(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """A race date that is not in the future is refused and the goal stays as it was."""
    before = dict(loaded_demo.options)
    today = dt_util.as_local(FROZEN_NOW).date()
    with pytest.raises(ServiceValidationError, match=f"The race date {today} is not in the future"):
        await _run(
            hass,
            "set_race_goal",
            {"config_entry_id": loaded_demo.entry_id, "race_date": today, "distance_km": 10},
        )
    assert dict(loaded_demo.options) == before


async def test_race_goal_updates_without_reload(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """A new goal shows in the race sensors at once, without reloading the entry."""
    runtime = loaded_demo.runtime_data
    race_day = date(2027, 4, 11)
    await _run(
        hass,
        "set_race_goal",
        {
            "config_entry_id": loaded_demo.entry_id,
            "race_date": race_day.isoformat(),
            "distance_km": 42.195,
            "goal_time": {"hours": 3, "minutes": 30},
            "name": "Spring Marathon",
        },
    )
    await hass.async_block_till_done()

    assert loaded_demo.runtime_data is runtime  # same objects: no reload
    assert loaded_demo.options["race_date"] == "2027-04-11"
    assert loaded_demo.options["race_distance_km"] == 42.195
    assert loaded_demo.options["goal_time"] == 3.5 * 3600
    assert loaded_demo.options["race_name"] == "Spring Marathon"
    # The athlete's heart rates are kept.
    assert loaded_demo.options["hr_max"] == PROFILE_OPTIONS["hr_max"]
    days = hass.states.get("sensor.demo_runner_days_to_race")
    assert days is not None
    assert int(days.state) == (race_day - dt_util.as_local(FROZEN_NOW).date()).days
    goal_pace = hass.states.get("sensor.demo_runner_goal_pace")
    assert goal_pace is not None
    assert float(goal_pace.state) == pytest.approx(3.5 * 3600 / 42.195 / 60, abs=0.01)


async def test_race_goal_without_time_forgets_the_old_one(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """A new race without a goal time does not inherit the previous race's goal or name."""
    await _run(
        hass,
        "set_race_goal",
        {"config_entry_id": loaded_demo.entry_id, "race_date": "2027-03-01", "distance_km": 10},
    )
    await hass.async_block_till_done()
    assert "goal_time" not in loaded_demo.options
    assert "race_name" not in loaded_demo.options
    state = hass.states.get("binary_sensor.demo_runner_on_track_for_goal")
    assert state is not None
    assert state.attributes["reason"] == "no_goal_time"


@pytest.mark.parametrize("distance", [0, -5, 501])
async def test_race_distance_must_be_plausible(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, distance: float
) -> None:
    """A zero, negative or absurd distance is refused by the schema."""
    before = dict(loaded_demo.options)
    with pytest.raises(vol.Invalid, match="distance_km"):
        await _run(
            hass,
            "set_race_goal",
            {
                "config_entry_id": loaded_demo.entry_id,
                "race_date": "2027-03-01",
                "distance_km": distance,
            },
        )
    assert dict(loaded_demo.options) == before


@pytest.mark.usefixtures("credentials", "no_push")
async def test_analysis_fetches_missing_streams_once(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """Analysing an older run without streams reads them once (one call) and keeps them."""
    old = strava.add_activity(
        dt_util.utcnow() - timedelta(days=60),
        has_heartrate=True,
        average_heartrate=148.0,
        max_heartrate=171.0,
    )
    strava.add_activity(dt_util.utcnow() - timedelta(days=1), has_heartrate=False)
    await setup_entry(hass, strava_entry)
    store = strava_entry.runtime_data.coordinator.store
    assert store.activities[old["id"]].stream_summary is None  # too old for the sync's streams
    streams_path = f"{API_PREFIX}/activities/{old['id']}/streams"
    data = {"config_entry_id": strava_entry.entry_id, "activity_id": old["id"]}

    analysis = await call_action(hass, "analyze_activity", data)
    assert analysis is not None
    assert analysis["activity_id"] == old["id"]
    assert strava.count(streams_path) == 1
    assert store.activities[old["id"]].stream_summary is not None

    await call_action(hass, "analyze_activity", data)
    assert strava.count(streams_path) == 1


@pytest.mark.usefixtures("credentials", "no_push")
async def test_analysis_of_a_run_without_streams_asks_once(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """A run Strava has no streams for costs one call, however often it is analysed."""
    old = strava.add_activity(
        dt_util.utcnow() - timedelta(days=60), has_heartrate=True, average_heartrate=148.0
    )
    await setup_entry(hass, strava_entry)
    streams_path = f"{API_PREFIX}/activities/{old['id']}/streams"
    strava.inject(Fault.REPLY, path=streams_path, status=404)
    data = {"config_entry_id": strava_entry.entry_id, "activity_id": old["id"]}

    for _ in range(2):
        analysis = await call_action(hass, "analyze_activity", data)
        assert analysis["activity_id"] == old["id"]
    assert strava.count(streams_path) == 1
    store = strava_entry.runtime_data.coordinator.store
    assert store.activities[old["id"]].stream_summary is None


@pytest.mark.usefixtures("credentials", "no_push")
async def test_analysis_without_streams_still_answers(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """A failed streams call, or a run Strava has no streams for, still gets its analysis."""
    failing = strava.add_activity(
        dt_util.utcnow() - timedelta(days=40), has_heartrate=True, average_heartrate=150.0
    )
    manual = strava.add_activity(
        dt_util.utcnow() - timedelta(days=50),
        has_heartrate=True,
        average_heartrate=140.0,
        manual=True,
    )
    await setup_entry(hass, strava_entry)
    store = strava_entry.runtime_data.coordinator.store
    strava.inject(Fault.SERVER_ERROR, path=f"{API_PREFIX}/activities/{failing['id']}/streams")

    for activity in (failing, manual):
        data = {"config_entry_id": strava_entry.entry_id, "activity_id": activity["id"]}
        analysis = await call_action(hass, "analyze_activity", data)
        assert analysis is not None
        assert analysis["activity_id"] == activity["id"]
        assert store.activities[activity["id"]].stream_summary is None
    # Manual entries have no recording: Strava is not even asked.
    assert strava.count(f"{API_PREFIX}/activities/{manual['id']}/streams") == 0
