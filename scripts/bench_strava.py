"""
Count the Strava calls of a backfill, an empty incremental sync and a webhook "create".

The integration's real client and harvest talk to the loopback fake of Strava, whose request log is
the count; each figure sits next to the minimum any client could achieve. `bench()` returns them.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
import sys
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from custom_components.coach_dyno.sources.harvest import HarvestState, harvest  # noqa: E402
from custom_components.coach_dyno.sources.push import fetch_event_activity  # noqa: E402
from custom_components.coach_dyno.sources.strava import MAX_PER_PAGE, StravaClient  # noqa: E402
from tests.fakes.strava import FakeStrava  # noqa: E402

BACKFILL_ACTIVITIES = 3000
WEBHOOK_CREATE_BUDGET = 2


def backfill_minimum(count: int) -> int:
    """Return the fewest list calls that can prove a history of `count` activities complete."""
    # A full last page cannot tell the end from more to come: one more (empty) page is needed.
    return count // MAX_PER_PAGE + 1


async def _count(fake: FakeStrava, client: StravaClient, step: Any) -> int:
    """Run `step()` and return the API requests the fake saw; check the client counted the same."""
    seen, sent = fake.count(), client.calls
    await step()
    received = fake.count() - seen
    if client.calls - sent != received:
        raise RuntimeError(f"client sent {client.calls - sent} calls, Strava saw {received}")
    return received


async def _run(count: int) -> dict[str, float]:
    """Backfill `count` activities, sync again with nothing new, then handle one new upload."""
    async with FakeStrava(activities=count) as fake, aiohttp.ClientSession() as session:
        client = StravaClient(session, fake.token_provider, base_url=fake.api_base)
        state = HarvestState()
        stored: dict[int, Any] = {}

        async def persist(page: list[Any], _state: HarvestState) -> None:
            stored.update((activity.id, activity) for activity in page)

        async def sync() -> None:
            await harvest(client, state, persist)

        backfill = await _count(fake, client, sync)
        if len(stored) != count:
            raise RuntimeError(f"backfill stored {len(stored)} of {count} activities")
        incremental = await _count(fake, client, sync)

        # The push handler's own read for a "create" event, of the dearest kind: a run with heart rate.
        upload = fake.add_activity(
            fake.now(),
            sport_type="Run",
            type="Run",
            manual=False,
            has_heartrate=True,
            average_heartrate=150.0,
        )

        async def webhook_create() -> None:
            await fetch_event_activity(client, int(upload["id"]), new=True)

        webhook = await _count(fake, client, webhook_create)
    return {
        "backfill_activities": float(count),
        "backfill_calls": float(backfill),
        "backfill_pages_min": float(math.ceil(count / MAX_PER_PAGE)),
        "backfill_calls_min": float(backfill_minimum(count)),
        "incremental_calls": float(incremental),
        "incremental_calls_min": 1.0,
        "webhook_create_calls": float(webhook),
        "webhook_create_budget": float(WEBHOOK_CREATE_BUDGET),
    }


def bench(count: int = BACKFILL_ACTIVITIES) -> dict[str, float]:
    """Run the call-count benchmark and return its figures."""
    return asyncio.run(_run(count))


def main() -> None:
    """Print the call counts with their minimums."""
    figures = bench()
    print(
        f"backfill of {int(figures['backfill_activities'])}: {int(figures['backfill_calls'])} calls"
        f" (minimum {int(figures['backfill_calls_min'])})"
    )
    print(f"incremental sync, nothing new: {int(figures['incremental_calls'])} calls (minimum 1)")
    print(f"webhook create: {int(figures['webhook_create_calls'])} calls (at most 2)")


if __name__ == "__main__":
    main()
