"""A probe that measures the longest time the event loop's thread spent running code at a stretch."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from types import TracebackType
from typing import Self

TICK_S = 0.001


class LoopStallProbe:
    """
    While entered, a task wakes every millisecond and records the longest gap between two wake-ups.

    `longest_s` is how long the event loop's thread ran code in that gap (its CPU time): code on
    the loop. The wall-clock gap, `longest_wait_s`, adds the time the thread only waited, for a CPU
    on a busy machine or for another thread to let go of the interpreter, and says more about the
    machine than about the code. The cyclic garbage collector is paused meanwhile: a full
    collection stops every thread for as long as the whole heap takes to walk, whichever thread
    happens to trigger it and wherever the code runs.
    """

    def __init__(self) -> None:
        """Start with nothing measured."""
        self.longest_s = 0.0
        self.longest_wait_s = 0.0
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None
        self._gc_was_enabled = False

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before, busy_before = loop.time(), time.thread_time()
            await asyncio.sleep(TICK_S)
            self.longest_s = max(self.longest_s, time.thread_time() - busy_before)
            self.longest_wait_s = max(self.longest_wait_s, loop.time() - before - TICK_S)
            self.ticks += 1

    async def __aenter__(self) -> Self:
        """Start probing, and let the first tick be scheduled."""
        self._gc_was_enabled = gc.isenabled()
        gc.collect()
        gc.disable()
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop probing and let the collector run again."""
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._gc_was_enabled:
            gc.enable()
