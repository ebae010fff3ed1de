"""Fixtures for the coach's tests: the fake Gemini server, a real client on it, recorded sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.coach_dyno.coach import async_close_client, async_create_client
from custom_components.coach_dyno.training import TrainingSnapshot
from tests.coach.history import snapshot
from tests.fakes.gemini import VALID_KEY, FakeGemini, fake_gemini  # noqa: F401

if TYPE_CHECKING:
    from google.genai import Client


class SleepRecorder:
    """An injected sleep that records the delays and returns at once."""

    def __init__(self) -> None:
        """Start with no delays."""
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        """Record `delay` instead of waiting."""
        self.delays.append(delay)


class ExecutorRecorder:
    """An injected executor that records its jobs and runs each in a thread."""

    def __init__(self) -> None:
        """Start with no jobs."""
        self.jobs: list[Callable[[], Any]] = []

    async def __call__(self, job: Callable[[], Any]) -> Any:
        """Record `job`, then run it off the event loop."""
        self.jobs.append(job)
        return await asyncio.to_thread(job)


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        """Start at an arbitrary instant."""
        self.now = 1000.0

    def __call__(self) -> float:
        """Return the current instant."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


@pytest.fixture
def sleeps() -> SleepRecorder:
    """Record the retry waits."""
    return SleepRecorder()


@pytest.fixture
def clock() -> FakeClock:
    """Control the cooldown clock."""
    return FakeClock()


@pytest.fixture
async def client(fake_gemini: FakeGemini) -> AsyncGenerator[Client]:  # noqa: F811
    """Yield a real google-genai client pointed at the fake server."""
    gemini = await async_create_client(VALID_KEY, fake_gemini.base_url, timeout_s=5)
    yield gemini
    await async_close_client(gemini)


@pytest.fixture(scope="session")
def year_snapshot() -> TrainingSnapshot:
    """Return the snapshot of one year of synthetic running with a half-marathon goal."""
    return snapshot(365)


@pytest.fixture(scope="session")
def decade_snapshot() -> TrainingSnapshot:
    """Return the snapshot of ten years of synthetic running."""
    return snapshot(3650)
