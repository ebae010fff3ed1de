"""Repair issues: only for what the user can act on; each clears itself once resolved."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

ISSUE_APP_INACTIVE = "strava_app_inactive"
ISSUE_PUSH_UNAVAILABLE = "push_unavailable"
ISSUE_GEMINI_QUOTA = "gemini_quota_exhausted"
ISSUE_STORE_CORRUPT = "store_corrupt"
ISSUE_WATCH_UNREADABLE = "watch_unreadable"
ISSUE_WATCH_FOLDER_MISSING = "watch_folder_missing"
# File names listed in the watched folder's issue; the rest are counted.
_WATCH_NAMES_SHOWN = 10


@callback
def async_create_app_inactive(hass: HomeAssistant) -> None:
    """Raise the issue for 403 Application inactive: the app owner needs a Strava subscription."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        ISSUE_APP_INACTIVE,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_APP_INACTIVE,
        learn_more_url="https://www.strava.com/settings/api",
    )


@callback
def async_delete_app_inactive(hass: HomeAssistant) -> None:
    """Clear the inactive-application issue: the Strava application works again."""
    ir.async_delete_issue(hass, DOMAIN, ISSUE_APP_INACTIVE)


@callback
def async_create_push_unavailable(hass: HomeAssistant, entry_id: str, title: str) -> None:
    """Raise the issue for push without an https URL Strava can reach; polling carries on."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{ISSUE_PUSH_UNAVAILABLE}_{entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_PUSH_UNAVAILABLE,
        translation_placeholders={"title": title},
    )


@callback
def async_delete_push_unavailable(hass: HomeAssistant, entry_id: str) -> None:
    """Clear the push issue: push works, or the entry is gone."""
    ir.async_delete_issue(hass, DOMAIN, f"{ISSUE_PUSH_UNAVAILABLE}_{entry_id}")


@callback
def async_set_gemini_quota(hass: HomeAssistant, exhausted: bool) -> None:
    """Show the issue while the Gemini key's daily quota is spent; the offline coach speaks."""
    if exhausted:
        ir.async_create_issue(
            hass,
            DOMAIN,
            ISSUE_GEMINI_QUOTA,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_GEMINI_QUOTA,
            learn_more_url="https://ai.google.dev/gemini-api/docs/rate-limits",
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, ISSUE_GEMINI_QUOTA)


@callback
def async_create_store_corrupt(hass: HomeAssistant, entry_id: str, corrupt_path: str) -> None:
    """Tell the user the history file was unreadable, set aside, and is being rebuilt."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{ISSUE_STORE_CORRUPT}_{entry_id}",
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_STORE_CORRUPT,
        translation_placeholders={"corrupt_path": corrupt_path},
    )


@callback
def async_delete_store_corrupt(hass: HomeAssistant, entry_id: str) -> None:
    """Clear the unreadable-history issue: the entry is gone."""
    ir.async_delete_issue(hass, DOMAIN, f"{ISSUE_STORE_CORRUPT}_{entry_id}")


@callback
def async_set_watch_problems(
    hass: HomeAssistant,
    entry_id: str,
    folder: str,
    unreadable: tuple[str, ...],
    *,
    folder_missing: bool = False,
) -> None:
    """Keep one issue per entry naming the watched folder's unreadable files (or the missing folder)."""
    issue_id = f"{ISSUE_WATCH_UNREADABLE}_{entry_id}"
    if not unreadable and not folder_missing:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    names = [f"- {name}" for name in unreadable[:_WATCH_NAMES_SHOWN]]
    if len(unreadable) > _WATCH_NAMES_SHOWN:
        names.append(f"- (+{len(unreadable) - _WATCH_NAMES_SHOWN})")
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_WATCH_FOLDER_MISSING if folder_missing else ISSUE_WATCH_UNREADABLE,
        translation_placeholders={"folder": folder, "files": "\n".join(names)},
    )
