"""
Benchmark of the coach on a synthetic 10-year running history.

Prints the morning briefing's input token estimate (budget: under 1,500, the pessimistic estimate of
`coach.prompt.estimate_tokens`, response schema included) and the number of LLM calls two briefings
on the same day cost (budget: 1). The calls go through the real google-genai client to the loopback
fake of the Gemini API, so the count is what would reach Google. `bench()` returns the figures.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
import random
import sys
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from custom_components.coach_dyno.coach import (  # noqa: E402
    DEFAULT_MODEL,
    Coach,
    CoachSettings,
    estimate_request_tokens,
)
from custom_components.coach_dyno.coach.prompt import briefing_request  # noqa: E402
from custom_components.coach_dyno.training import (  # noqa: E402
    Activity,
    AthleteProfile,
    GoalRace,
    compute_snapshot,
)
from custom_components.coach_dyno.training.plan import plan_week  # noqa: E402
from tests.fakes.gemini import VALID_KEY, FakeGemini, json_reply  # noqa: E402

YEARS = 10
TOKEN_BUDGET = 1500
TODAY = date(2026, 11, 15)


def _history(years: int) -> list[Activity]:
    """Return about five runs a week for `years` years, reproducibly."""
    rng = random.Random(42)
    runs = []
    first = TODAY - timedelta(days=365 * years)
    for offset in range(365 * years):
        day = first + timedelta(days=offset)
        if day.weekday() in (0, 4):
            continue
        km = rng.uniform(14, 22) if day.weekday() == 6 else rng.uniform(6, 12)
        pace = rng.uniform(300, 360)
        runs.append(
            Activity(
                id=offset + 1,
                start=datetime.combine(day, time(6, 30), tzinfo=UTC),
                sport_type="Run",
                name="Morning run",
                distance_m=km * 1000,
                moving_s=km * pace,
                elevation_gain_m=rng.uniform(0, 150),
                avg_hr=rng.uniform(135, 160),
            )
        )
    return runs


def _briefing_answer(start: date) -> dict[str, Any]:
    """Return a valid structured briefing, as Gemini would send it."""
    days = [
        {
            "date": (start + timedelta(days=i)).isoformat(),
            "type": "easy",
            "title": "Easy run",
            "distance_km": 8,
            "target_pace_s_per_km": None,
            "description": "Relaxed.",
        }
        for i in range(7)
    ]
    return {"days": days, "text": "Good morning."}


async def _two_briefings(snapshot: Any) -> int:
    """Ask for the morning briefing twice through the fake API; return the requests it saw."""
    fake = FakeGemini()
    await fake.start()
    coach = Coach(CoachSettings(), api_key=VALID_KEY, base_url=fake.base_url)
    try:
        fake.queue(DEFAULT_MODEL, json_reply(_briefing_answer(snapshot.today)))
        await coach.briefing(snapshot)
        await coach.briefing(snapshot)
        return len(fake.generate_requests())
    finally:
        await coach.async_close()
        await fake.close()


def bench(years: int = YEARS) -> dict[str, float]:
    """Run the benchmark and return its figures."""
    activities = _history(years)
    profile = AthleteProfile(
        hr_rest=50,
        hr_max=190,
        goal=GoalRace(race_date=TODAY + timedelta(weeks=16), distance_m=21097.5, goal_time_s=6300),
    )
    snapshot = compute_snapshot(activities, profile, TODAY)
    request = briefing_request(
        snapshot, "morning", CoachSettings(), plan_week(snapshot, TODAY), snapshot.recent_runs[1:4]
    )
    return {
        "activities": float(len(activities)),
        "morning_briefing_input_tokens": float(estimate_request_tokens(request)),
        "llm_calls_two_briefings_same_day": float(asyncio.run(_two_briefings(snapshot))),
    }


def main() -> None:
    """Print the benchmark with its budgets."""
    figures = bench()
    print(f"coach: {int(figures['activities'])} activities over {YEARS} years")
    print(
        f"  morning briefing input estimate {int(figures['morning_briefing_input_tokens'])} tokens"
        f" (budget < {TOKEN_BUDGET})"
    )
    print(
        f"  LLM calls for two briefings the same day: "
        f"{int(figures['llm_calls_two_briefings_same_day'])} (budget 1)"
    )


if __name__ == "__main__":
    main()
