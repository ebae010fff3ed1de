"""Strava rate-limit governor: reads the usage headers, keeps headroom and says when to resume."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import math
from typing import Any, Self

# Strava's defaults for a new application (overall / "non-upload" read), per 15 minutes and per day.
DEFAULT_LIMITS: tuple[int, int] = (200, 2000)
DEFAULT_READ_LIMITS: tuple[int, int] = (100, 1000)

_QUARTER = timedelta(minutes=15)


def _utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def next_quarter_hour(moment: datetime) -> datetime:
    """Return the next :00/:15/:30/:45 boundary (UTC) strictly after `moment`."""
    moment = moment.astimezone(UTC)
    start = moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
    return start + _QUARTER


def next_utc_midnight(moment: datetime) -> datetime:
    """Return the next midnight UTC strictly after `moment`."""
    moment = moment.astimezone(UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def _quarter_of(moment: datetime) -> datetime:
    """Return the start of the 15-minute window holding `moment`."""
    return next_quarter_hour(moment) - _QUARTER


def _parse_pair(value: str | None) -> tuple[int, int] | None:
    """Parse a "15-minute,daily" header value; None when absent or malformed."""
    if not value:
        return None
    parts = value.split(",")
    if len(parts) != 2:
        return None
    try:
        short, daily = int(parts[0].strip()), int(parts[1].strip())
    except ValueError:
        return None
    if short < 0 or daily < 0:
        return None
    return short, daily


@dataclass(slots=True)
class Window:
    """Limits and usage of one Strava limit family (overall or read), per 15 minutes and per day."""

    limit_15: int
    limit_day: int
    usage_15: int = 0
    usage_day: int = 0

    def as_list(self) -> list[int]:
        """Return the window as a JSON-safe list."""
        return [self.limit_15, self.limit_day, self.usage_15, self.usage_day]

    @classmethod
    def from_list(cls, data: Any, default: tuple[int, int]) -> Window:
        """Rebuild a window from `as_list`, falling back to `default` limits on bad data."""
        if (
            isinstance(data, list)
            and len(data) == 4
            and all(isinstance(v, int) and v >= 0 for v in data)
        ):
            return cls(*data)
        return cls(*default)


class RateGovernor:
    """
    Decides whether a Strava request may be sent, keeping headroom for the athlete's other apps.

    Usage comes from the `X-RateLimit-*` and `X-ReadRateLimit-*` headers of every reply, plus a local
    count of requests sent since (so concurrent requests are counted before their replies arrive).
    The governor never sleeps: it only answers with the moment requests may resume.
    """

    def __init__(
        self,
        *,
        headroom: float = 0.1,
        streams_share: float = 0.5,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        """Keep `headroom` of every window free; streams may use `streams_share` of the read budget."""
        if not 0 <= headroom < 1:
            raise ValueError("headroom must be in [0, 1)")
        if not 0 < streams_share <= 1:
            raise ValueError("streams_share must be in (0, 1]")
        self.headroom = headroom
        self.streams_share = streams_share
        self._now = now
        self.overall = Window(*DEFAULT_LIMITS)
        self.read = Window(*DEFAULT_READ_LIMITS)
        self._observed_at: datetime | None = None
        self._blocked_until: datetime | None = None

    def _windows(self) -> tuple[Window, Window]:
        """Return both limit families."""
        return self.overall, self.read

    def _roll(self) -> datetime:
        """Forget usage of windows that have reset since it was observed; return now."""
        now = self._now().astimezone(UTC)
        seen = self._observed_at
        if seen is not None:
            if _quarter_of(seen) != _quarter_of(now):
                for window in self._windows():
                    window.usage_15 = 0
            if seen.date() != now.date():
                for window in self._windows():
                    window.usage_day = 0
        self._observed_at = now
        if self._blocked_until is not None and now >= self._blocked_until:
            self._blocked_until = None
        return now

    def _allowance(self, limit: int) -> int:
        """Return how much of a window this integration may use."""
        return math.floor(limit * (1 - self.headroom))

    def update(self, headers: Mapping[str, str]) -> None:
        """Take limits and usage from a reply's headers (any reply, successful or not)."""
        self._roll()
        lower = {key.lower(): value for key, value in headers.items()}
        for window, prefix in ((self.overall, "x-ratelimit"), (self.read, "x-readratelimit")):
            limit = _parse_pair(lower.get(f"{prefix}-limit"))
            usage = _parse_pair(lower.get(f"{prefix}-usage"))
            if limit is None or usage is None:
                continue
            window.limit_15, window.limit_day = limit
            window.usage_15, window.usage_day = usage

    def note_request(self) -> None:
        """Count a request about to be sent (its reply's headers will correct the count)."""
        self._roll()
        for window in self._windows():
            window.usage_15 += 1
            window.usage_day += 1

    def blocked_until(self) -> datetime | None:
        """Return when requests may resume, or None when one may be sent now."""
        now = self._roll()
        if self._blocked_until is not None:
            return self._blocked_until
        windows = self._windows()
        if any(w.usage_day >= self._allowance(w.limit_day) for w in windows):
            return next_utc_midnight(now)
        if any(w.usage_15 >= self._allowance(w.limit_15) for w in windows):
            return next_quarter_hour(now)
        return None

    def on_rate_limited(self) -> datetime:
        """Record a 429 (headers already read): the spent window blocks until it resets; return when."""
        now = self._roll()
        if any(w.usage_day >= w.limit_day for w in self._windows()):
            resume_at = next_utc_midnight(now)
        else:
            # Strava said no: whatever the headers claim, this quarter hour is spent.
            resume_at = next_quarter_hour(now)
        self._blocked_until = resume_at
        return resume_at

    def may_fetch_streams(self) -> bool:
        """Whether plenty of read budget remains for an optional streams request."""
        if self.blocked_until() is not None:
            return False
        read = self.read
        return (
            read.usage_15 + 1 <= read.limit_15 * self.streams_share
            and read.usage_day + 1 <= read.limit_day * self.streams_share
        )

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe snapshot, so the budget survives a restart."""
        self._roll()
        return {
            "overall": self.overall.as_list(),
            "read": self.read.as_list(),
            "observed_at": None if self._observed_at is None else self._observed_at.isoformat(),
            "blocked_until": None
            if self._blocked_until is None
            else self._blocked_until.isoformat(),
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any] | None,
        *,
        headroom: float = 0.1,
        streams_share: float = 0.5,
        now: Callable[[], datetime] = _utcnow,
    ) -> Self:
        """Rebuild a governor from `as_dict`; unreadable parts fall back to fresh defaults."""
        governor = cls(headroom=headroom, streams_share=streams_share, now=now)
        if not data:
            return governor
        governor.overall = Window.from_list(data.get("overall"), DEFAULT_LIMITS)
        governor.read = Window.from_list(data.get("read"), DEFAULT_READ_LIMITS)
        governor._observed_at = _parse_time(data.get("observed_at"))
        governor._blocked_until = _parse_time(data.get("blocked_until"))
        if governor._observed_at is None:
            # Usage without a time cannot be placed in a window: start from zero.
            governor.overall.usage_15 = governor.overall.usage_day = 0
            governor.read.usage_15 = governor.read.usage_day = 0
        governor._roll()
        return governor


def _parse_time(value: Any) -> datetime | None:
    """Parse an aware ISO timestamp; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


class PushBudget:
    """
    Push's own share of the read budget, shared by every athlete of one Strava application.

    Events arrive whenever Strava (or anyone who knows the webhook) sends them; capping their reads at
    `share` of the read limits leaves the rest to ordinary syncs, however many events come.
    """

    def __init__(self, *, share: float = 0.2, now: Callable[[], datetime] = _utcnow) -> None:
        """Let push reads use `share` of each read window."""
        if not 0 < share < 1:
            raise ValueError("share must be in (0, 1)")
        self.share = share
        self._now = now
        self.used_15 = 0
        self.used_day = 0
        self._observed_at: datetime | None = None

    def _roll(self) -> datetime:
        """Forget reads of windows that have reset; return now."""
        now = self._now().astimezone(UTC)
        seen = self._observed_at
        if seen is not None:
            if _quarter_of(seen) != _quarter_of(now):
                self.used_15 = 0
            if seen.date() != now.date():
                self.used_day = 0
        self._observed_at = now
        return now

    def resume_at(self, governor: RateGovernor) -> datetime | None:
        """Return when push may read again, or None when it may read now."""
        if (blocked := governor.blocked_until()) is not None:
            return blocked
        now = self._roll()
        read = governor.read
        if self.used_day + 1 > read.limit_day * self.share:
            return next_utc_midnight(now)
        if self.used_15 + 1 > read.limit_15 * self.share:
            return next_quarter_hour(now)
        return None

    def spend(self, calls: int) -> None:
        """Count `calls` requests push has just sent."""
        self._roll()
        self.used_15 += calls
        self.used_day += calls
