"""
Benchmark of the integration's setup in a real Home Assistant holding a 10-year history.

A demo entry's activity store is written beforehand with ~3,650 activities, then
`hass.config_entries.async_setup` is timed: first in a fresh process (module imports included), then
in fresh Home Assistant instances with the modules already imported, and as a reload of a loaded entry.
While it runs, a ticker measures the longest event-loop stall and a watchdog thread samples the loop's
stack during stalls, so a blocking call can be named. Finally tracemalloc measures what the loaded
history holds in memory. `bench()` returns the figures; `stall_report` says where the worst stall was.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import gc
import json
import logging
from pathlib import Path
import random
import statistics
import sys
import sysconfig
import tempfile
import threading
import time
import traceback
import tracemalloc
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The training package loaded on its own (no Home Assistant): it writes the store in the exact
# layout the integration persists.
from bench_training import training  # noqa: E402
from homeassistant import loader  # noqa: E402
from homeassistant.config_entries import ConfigEntryState  # noqa: E402
from homeassistant.core import HomeAssistant  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    async_test_home_assistant,
)

# The repository's package, so Home Assistant's loader finds coach_dyno here. It is empty: importing
# it does not import the integration, whose first import the cold figure includes.
import custom_components  # noqa: E402, F401

DOMAIN = "coach_dyno"
ENTRY_ID = "01JBENCHCOACHDYNO000000000"
STREAMS_ENTRY_ID = "01JBENCHCOACHDYNO000000001"
STORAGE_VERSION = 1
STORAGE_MINOR_VERSION = 2
HISTORY_DAYS = 3650
FRESH_RUNS = 5
SETUP_BUDGET_MS = 200.0
MEMORY_BUDGET_MB = 15.0
STALL_FINDING_MS = 50.0
TICK_S = 0.001
# The watchdog samples the loop's stack once a stall has lasted this long.
SAMPLE_AFTER_S = 0.01
SAMPLE_EVERY_S = 0.002
# Home Assistant's own components the integration depends on; set up before timing, as they are at
# every start whatever integrations are installed.
DEPENDENCIES = ("http", "webhook", "application_credentials")


def _options(today: datetime) -> dict[str, Any]:
    """Return the athlete and goal-race options of the bench entry."""
    return {
        "hr_rest": 50,
        "hr_max": 190,
        "sex": "male",
        "race_name": "Bench Half",
        "race_date": (today + timedelta(days=60)).date().isoformat(),
        "race_distance_km": 21.0975,
        "goal_time": 105 * 60,
    }


def _stream_summary(rng: random.Random, avg_hr: float, moving_s: float) -> Any:
    """
    Return the summary a run's HR stream reduces to: a warm-up ramp, then time around the average.

    About 25 bpm of ramp plus +/-8 bpm of steady running gives ~40 histogram bins, a typical
    easy run recorded at one sample a second.
    """
    centre = round(avg_hr)
    ramp = range(centre - 25, centre - 8)
    steady = range(centre - 8, centre + 9)
    ramp_s = min(600.0, moving_s * 0.15)
    weights = [9 - abs(bpm - centre) for bpm in steady]
    bins = [(bpm, round(ramp_s / len(ramp), 1)) for bpm in ramp]
    bins += [
        (bpm, round((moving_s - ramp_s) * w / sum(weights), 1))
        for bpm, w in zip(steady, weights, strict=True)
    ]
    return training.StreamSummary(
        hr_seconds=tuple(bins),
        efficiency_factor=rng.uniform(1.4, 1.9),
        decoupling_pct=rng.uniform(-2.0, 9.0),
    )


def history(
    days: int = HISTORY_DAYS, *, end: datetime, streams: bool = False, seed: int = 11
) -> list[dict[str, Any]]:
    """
    Return `days` daily activities ending the day before `end`, as the store holds them.

    Mostly runs (a long run on Sundays, a race every ~6 weeks), a ride each week, heart rate on nine
    in ten. With `streams`, every run with heart rate carries a stream summary, as years of push
    events would leave it.
    """
    rng = random.Random(seed)
    first = end - timedelta(days=days)
    items = []
    for offset in range(days):
        start = (first + timedelta(days=offset)).replace(hour=6, minute=30, second=0, microsecond=0)
        ride = start.weekday() == 2
        long_run = start.weekday() == 6
        km = (
            rng.uniform(25, 60) if ride else rng.uniform(16, 24) if long_run else rng.uniform(6, 12)
        )
        pace = rng.uniform(100, 150) if ride else rng.uniform(285, 360)
        moving = km * pace
        avg_hr = rng.uniform(130, 165) if rng.random() < 0.9 else None
        run = not ride
        items.append(
            training.Activity(
                id=9_000_000_000 + offset,
                start=start,
                sport_type="Ride" if ride else "Run",
                name=("Morning ride" if ride else "Morning run") + f" {offset}",
                distance_m=km * 1000,
                moving_s=moving,
                elapsed_s=moving + rng.uniform(0, 300),
                elevation_gain_m=rng.uniform(0, 180),
                avg_hr=avg_hr,
                max_hr=None if avg_hr is None else avg_hr + rng.uniform(10, 25),
                race=run and offset % 42 == 41,
                stream_summary=_stream_summary(rng, avg_hr, moving)
                if streams and run and avg_hr is not None
                else None,
            ).as_dict()
        )
    return items


def write_store(config_dir: Path, entry_id: str, activities: list[dict[str, Any]]) -> int:
    """Write the entry's activity store file as Home Assistant's Store does; return its size."""
    key = f"{DOMAIN}.{entry_id}"
    payload = {
        "version": STORAGE_VERSION,
        "minor_version": STORAGE_MINOR_VERSION,
        "key": key,
        "data": {"activities": activities, "harvest": {}, "governor": {}},
    }
    path = config_dir / ".storage" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, separators=(",", ":"))
    path.write_text(text, encoding="utf-8")
    return len(text)


type Stack = tuple[str, ...]


@dataclass(slots=True)
class Stall:
    """One event-loop stall: how long it lasted and the stacks sampled during it."""

    ms: float = 0.0
    label: str = ""
    loop_stacks: Counter[Stack] = field(default_factory=Counter)
    busy_stacks: Counter[Stack] = field(default_factory=Counter)


# Innermost frames of a thread that waits rather than works.
_IDLE = {
    ("thread.py", "_worker"),
    ("threading.py", "wait"),
    ("selectors.py", "select"),
    ("queue.py", "get"),
    ("threading.py", "_wait_for_tstate_lock"),
}


def _stack(frame: FrameType) -> Stack:
    """Return a frame's stack as "file:line function" strings, outermost first (no source I/O)."""
    stack = [
        f"{_short(f.f_code.co_filename)}:{line} {f.f_code.co_name}"
        for f, line in traceback.walk_stack(frame)
    ]
    return tuple(reversed(stack))


def _idle(frame: FrameType) -> bool:
    """Whether a thread's innermost frame is a wait."""
    return (Path(frame.f_code.co_filename).name, frame.f_code.co_name) in _IDLE


class LoopWatch:
    """
    Measures event-loop stalls with a 1 ms ticker; a watchdog thread samples stacks during stalls.

    The loop thread's stack says what ran on the loop; when it sits in select() the loop was ready
    but starved of the GIL, and the busy worker threads' stacks say by what.
    """

    def __init__(self) -> None:
        """Start idle; `watch()` measures one awaited piece of work."""
        self.worst = Stall()
        self._beat = time.perf_counter()
        self._loop_thread = threading.get_ident()
        self._current = Stall()
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def _sample(self) -> None:
        """Record the threads' stacks whenever the loop has not ticked for a while."""
        me = threading.get_ident()
        while not self._stop.wait(SAMPLE_EVERY_S):
            if time.perf_counter() - self._beat < SAMPLE_AFTER_S:
                continue
            frames = sys._current_frames()  # noqa: SLF001
            with self._lock:
                for ident, frame in frames.items():
                    if ident == self._loop_thread:
                        self._current.loop_stacks[_stack(frame)] += 1
                    elif ident != me and not _idle(frame):
                        self._current.busy_stacks[_stack(frame)] += 1

    async def _tick(self, label: str) -> None:
        """Sleep 1 ms at a time and keep the longest gap beyond the sleep."""
        while True:
            self._beat = before = time.perf_counter()
            await asyncio.sleep(TICK_S)
            gap_ms = (time.perf_counter() - before - TICK_S) * 1000.0
            with self._lock:
                sampled, self._current = self._current, Stall()
            if gap_ms > self.worst.ms:
                sampled.ms, sampled.label = gap_ms, label
                self.worst = sampled

    async def watch[T](self, label: str, work: Awaitable[T]) -> T:
        """Await `work` while measuring stalls."""
        self._stop.clear()
        sampler = threading.Thread(target=self._sample, name="loop-watch", daemon=True)
        sampler.start()
        ticker = asyncio.create_task(self._tick(label))
        await asyncio.sleep(0)  # let the ticker start before the work does
        try:
            return await work
        finally:
            ticker.cancel()
            self._stop.set()
            await asyncio.to_thread(sampler.join)


_PREFIXES = (
    *(p + "/" for p in sysconfig.get_paths().values()),
    str(ROOT) + "/",
)


def _short(filename: str) -> str:
    """Return a source path relative to the repository, site-packages or the standard library."""
    for prefix in sorted(_PREFIXES, key=len, reverse=True):
        if filename.startswith(prefix):
            return filename.removeprefix(prefix)
    return filename


def _work_frames(stack: Stack, depth: int) -> list[str]:
    """Keep the innermost frames that do the work (asyncio's dispatch and this script say nothing)."""
    frames = [f for f in stack if not f.startswith(("asyncio/", "threading.py", "scripts/"))]
    return frames[-depth:]


def stall_report(stall: Stall, depth: int = 8) -> list[str]:
    """Return where the worst stall was spent: the most sampled stacks, innermost frame last."""
    samples = sum(stall.loop_stacks.values())
    if not samples:
        return ["stall too short to sample (under 10 ms)"]
    lines = [f"during '{stall.label}', {samples} samples of the event loop:"]
    for stack, hits in stall.loop_stacks.most_common(3):
        waiting = stack[-1].endswith(" select")
        lines.append(
            f"  {hits}x the loop " + ("was ready but starved of the GIL" if waiting else "ran:")
        )
        lines += [f"     {frame}" for frame in ([] if waiting else _work_frames(stack, depth))]
    for stack, hits in stall.busy_stacks.most_common(2):
        lines.append(f"  {hits}x a worker thread ran:")
        lines += [f"     {frame}" for frame in _work_frames(stack, depth)]
    return lines


@asynccontextmanager
async def _home_assistant(config_dir: str) -> AsyncIterator[HomeAssistant]:
    """Run a test Home Assistant on `config_dir` that sees custom integrations; stop it after."""
    async with async_test_home_assistant(config_dir=config_dir) as hass:
        # The harness hides custom integrations; the enable_custom_integrations fixture does this.
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        try:
            yield hass
        finally:
            await hass.async_stop(force=True)


async def _settle(hass: HomeAssistant) -> None:
    """Wait for everything the setup started (platforms, first refresh tasks)."""
    await hass.async_block_till_done()


async def _timed_ms(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """Return how long `call()` took in milliseconds, and its result."""
    started = time.perf_counter()
    result = await call()
    return (time.perf_counter() - started) * 1000.0, result


@dataclass(slots=True)
class _Run:
    """The figures of one fresh Home Assistant."""

    setup_ms: float
    settled_ms: float
    reload_ms: float


async def _fresh_instance(
    watches: tuple[LoopWatch, LoopWatch],
    label: str,
    store_activities: list[dict[str, Any]],
    now: datetime,
) -> _Run:
    """
    Start a Home Assistant on a new config dir with the stored history; time the entry's setup.

    The first watch measures the setup, the second the reload that follows it.
    """
    watch, reload_watch = watches
    with tempfile.TemporaryDirectory(prefix="coach_dyno_bench_") as tmp:
        config_dir = Path(tmp)
        await asyncio.to_thread(write_store, config_dir, ENTRY_ID, store_activities)
        async with _home_assistant(tmp) as hass:
            for dependency in DEPENDENCIES:
                if not await async_setup_component(hass, dependency, {}):
                    raise RuntimeError(f"cannot set up {dependency}")
            entry = MockConfigEntry(
                domain=DOMAIN,
                entry_id=ENTRY_ID,
                title="Bench runner",
                unique_id="demo",
                data={"source": "demo"},
                options=_options(now),
            )
            entry.add_to_hass(hass)
            setup_ms, ok = await watch.watch(
                label, _timed_ms(lambda: hass.config_entries.async_setup(entry.entry_id))
            )
            settled_ms, _ = await watch.watch(label, _timed_ms(lambda: _settle(hass)))
            if not ok or entry.state is not ConfigEntryState.LOADED:
                raise RuntimeError(f"setup failed: {entry.state}")
            stored = len(entry.runtime_data.coordinator.store.activities)
            if stored != len(store_activities):
                raise RuntimeError(f"loaded {stored} of {len(store_activities)} activities")
            if not await hass.config_entries.async_unload(entry.entry_id):
                raise RuntimeError("unload failed")
            await hass.async_block_till_done()
            reload_ms, _ = await reload_watch.watch(
                f"{label}, reload",
                _timed_ms(lambda: hass.config_entries.async_setup(entry.entry_id)),
            )
            await hass.async_block_till_done()
    return _Run(setup_ms, setup_ms + settled_ms, reload_ms)


async def _history_memory_mb(activities: list[dict[str, Any]], entry_id: str) -> tuple[float, int]:
    """Return the MB the loaded history holds in a real Home Assistant, and the file's size."""
    with tempfile.TemporaryDirectory(prefix="coach_dyno_bench_") as tmp:
        size = await asyncio.to_thread(write_store, Path(tmp), entry_id, activities)
        async with _home_assistant(tmp) as hass:
            # Imported here, not at the top: the first setup must import the integration itself.
            from custom_components.coach_dyno.store import ActivityStore  # noqa: PLC0415

            store = ActivityStore(hass, entry_id)
            gc.collect()
            tracemalloc.start()
            try:
                baseline = tracemalloc.get_traced_memory()[0]
                await store.async_load()
                # Let the loop run the executor future's pending callbacks, which still hold the
                # parsed file for a moment; what stays after that is what the history costs.
                await hass.async_block_till_done()
                await asyncio.sleep(0)
                gc.collect()
                held = tracemalloc.get_traced_memory()[0] - baseline
            finally:
                tracemalloc.stop()
            if len(store.activities) != len(activities):
                raise RuntimeError("the store did not load every activity")
    return held / 1e6, size


def _parse_ms(activities: list[dict[str, Any]], repeats: int = 5) -> float:
    """Return the median time to rebuild the stored activities (the store does it in the executor)."""
    from custom_components.coach_dyno.training import Activity  # noqa: PLC0415

    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for item in activities:
            Activity.from_dict(item)
        samples.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(samples)


async def _bench(fresh_runs: int, days: int) -> tuple[dict[str, float], dict[str, Stall]]:
    """Run every measurement in one event loop."""
    imported = "custom_components.coach_dyno" in sys.modules
    now = datetime.now(UTC)
    plain = history(days, end=now)
    first_watch, warm_watch = LoopWatch(), LoopWatch()
    first = await _fresh_instance(
        (first_watch, warm_watch), "first setup in this process", plain, now
    )
    runs = [
        await _fresh_instance((warm_watch, warm_watch), f"fresh Home Assistant {n + 1}", plain, now)
        for n in range(fresh_runs)
    ]
    memory_mb, file_size = await _history_memory_mb(plain, ENTRY_ID)
    streams_mb, streams_size = await _history_memory_mb(
        history(days, end=now, streams=True), STREAMS_ENTRY_ID
    )
    figures = {
        "activities": float(len(plain)),
        "first_setup_ms": first.setup_ms,
        "first_setup_imports_included": float(not imported),
        "first_setup_max_stall_ms": first_watch.worst.ms,
        "setup_ms": statistics.median(run.setup_ms for run in runs),
        "setup_settled_ms": statistics.median(run.settled_ms for run in runs),
        "reload_setup_ms": statistics.median(run.reload_ms for run in runs),
        "max_stall_ms": warm_watch.worst.ms,
        "store_parse_ms": _parse_ms(plain),
        "history_memory_mb": memory_mb,
        "store_file_mb": file_size / 1e6,
        "history_with_streams_memory_mb": streams_mb,
        "store_file_with_streams_mb": streams_size / 1e6,
    }
    return figures, {"first": first_watch.worst, "warm": warm_watch.worst}


def quiet_logs() -> None:
    """Silence Home Assistant's start-up notices that say nothing about Coach Dyno."""
    for name in (
        "homeassistant.loader",  # "custom integration not tested by Home Assistant"
        "aiohttp_fast_zlib",  # optional faster zlib not installed
        "homeassistant.components.camera.img_util",  # optional libturbojpeg not installed
    ):
        logging.getLogger(name).setLevel(logging.ERROR + 10)


def bench(
    fresh_runs: int = FRESH_RUNS, days: int = HISTORY_DAYS
) -> tuple[dict[str, float], dict[str, Stall]]:
    """Run the setup benchmark; return its figures and the worst stalls (first and warm setups)."""
    quiet_logs()
    return asyncio.run(_bench(fresh_runs, days))


def main() -> None:
    """Print the setup figures with their budgets."""
    figures, stalls = bench()
    print(f"setup with {int(figures['activities'])} stored activities")
    print(
        f"  first setup in this process {figures['first_setup_ms']:.0f} ms,"
        f" longest stall {figures['first_setup_max_stall_ms']:.1f} ms"
    )
    print("\n".join("    " + line for line in stall_report(stalls["first"])))
    print(
        f"  setup median {figures['setup_ms']:.1f} ms, reload {figures['reload_setup_ms']:.1f} ms"
        f" (budget < {SETUP_BUDGET_MS:.0f} ms), longest stall {figures['max_stall_ms']:.1f} ms"
    )
    print("\n".join("    " + line for line in stall_report(stalls["warm"])))
    print(
        f"  history memory {figures['history_memory_mb']:.2f} MB,"
        f" with stream summaries {figures['history_with_streams_memory_mb']:.2f} MB"
        f" (budget < {MEMORY_BUDGET_MB:.0f} MB)"
    )


if __name__ == "__main__":
    main()
