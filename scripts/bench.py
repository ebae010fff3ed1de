"""
Print every performance figure DESIGN.md budgets, each next to its budget, in one run.

Strava calls (real client and harvest against the loopback fake), the training engine, the
integration's setup in a real Home Assistant with a 10-year history, that history's memory, and the
morning briefing's cost. Machines are noisy: compare ratios and counts within one run. The exit status
is 0 even when a figure is over budget (this is a report); `--json` also prints the figures as JSON.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
import importlib
import json
import time
import traceback
from typing import Any

import bench_setup

STALL_FINDING_MS = bench_setup.STALL_FINDING_MS


@dataclass(frozen=True, slots=True)
class Line:
    """One printed figure: its value, its budget and whether it keeps it (None: no budget)."""

    figure: str
    value: str
    budget: str = ""
    ok: bool | None = None

    def render(self, width: int) -> str:
        """Return "figure: value (budget ...) OK/OVER"."""
        text = f"  {self.figure + ':':<{width}} {self.value}"
        if self.budget:
            text += f" ({self.budget})"
        if self.ok is not None:
            text += "  OK" if self.ok else "  <<< OVER >>>"
        return text


@dataclass(slots=True)
class Section:
    """A numbered part of the report with its lines and any notes printed under it."""

    title: str
    lines: list[Line]
    notes: list[str]


type Part = tuple[Any, list[Section]]


def _part(name: str, titles: tuple[str, ...], build: Callable[[], Part]) -> Part:
    """Run one benchmark and build its sections; a broken or missing one says why, the rest go on."""
    try:
        return build()
    except Exception as err:  # noqa: BLE001 - the report goes on without that part
        where = traceback.extract_tb(err.__traceback__)[-1]
        reason = f"{type(err).__name__}: {err} ({where.filename}:{where.lineno})"
        return None, [Section(title, [], [f"{name}: not available ({reason})"]) for title in titles]


def _sibling(module: str) -> Any:
    """Import a sibling bench script late, so the setup bench is the first to import the integration."""
    return importlib.import_module(module)


def strava_section(figures: dict[str, float]) -> Section:
    """Return the Strava section: calls next to the minimum any client could achieve."""
    count = int(figures["backfill_activities"])
    pages = int(figures["backfill_pages_min"])
    calls = int(figures["backfill_calls"])
    minimum = int(figures["backfill_calls_min"])
    incremental = int(figures["incremental_calls"])
    webhook = int(figures["webhook_create_calls"])
    return Section(
        "Strava calls (real client and harvest, fake Strava on loopback)",
        [
            Line(
                f"backfill of {count:,} activities",
                f"{calls} calls = {pages} pages + {calls - pages}",
                f"minimum {minimum} = ceil({count}/200) + {minimum - pages} empty end page",
                calls <= minimum,
            ),
            Line(
                "incremental sync, nothing new",
                f"{incremental} call{'s' if incremental != 1 else ''}",
                "minimum 1",
                incremental <= 1,
            ),
            Line(
                "webhook create (activity + streams)",
                f"{webhook} calls",
                "at most 2",
                webhook <= figures["webhook_create_budget"],
            ),
        ],
        [],
    )


def training_section(figures: dict[str, float], module: Any) -> Section:
    """Return the training engine's section: ~10 years of activities."""
    return Section(
        f"Training engine ({int(figures['activities']):,} activities)",
        [
            Line(
                "compute_snapshot median",
                f"{figures['snapshot_ms']:.2f} ms",
                f"budget < {module.SNAPSHOT_BUDGET_MS:.0f} ms",
                figures["snapshot_ms"] < module.SNAPSHOT_BUDGET_MS,
            ),
            Line(
                "same, every run with HR histogram",
                f"{figures['streams_ms']:.2f} ms (first {figures['streams_first_ms']:.1f} ms,"
                " in the executor)",
                f"budget < {module.SNAPSHOT_BUDGET_MS:.0f} ms",
                figures["streams_ms"] < module.SNAPSHOT_BUDGET_MS,
            ),
            Line(
                "same, no heart rate (load from pace)",
                f"{figures['no_hr_ms']:.2f} ms",
                f"budget < {module.SNAPSHOT_BUDGET_MS:.0f} ms",
                figures["no_hr_ms"] < module.SNAPSHOT_BUDGET_MS,
            ),
            Line(
                "naive per-day recompute",
                f"{figures['naive_ms']:.0f} ms, {figures['speedup_vs_naive']:.0f}x slower",
            ),
            Line(
                "a week planned (plan_week)",
                f"{figures['plan_week_ms']:.3f} ms",
                f"budget < {module.PLAN_BUDGET_MS:.0f} ms",
                figures["plan_week_ms"] < module.PLAN_BUDGET_MS,
            ),
            Line(
                "a bad week held to the guardrails",
                f"{figures['guard_week_ms']:.3f} ms",
                f"budget < {module.PLAN_BUDGET_MS:.0f} ms",
                figures["guard_week_ms"] < module.PLAN_BUDGET_MS,
            ),
            Line(
                "readiness (90 days) and a week planned around the home",
                f"{figures['home_week_ms']:.3f} ms",
                f"budget < {module.PLAN_BUDGET_MS:.0f} ms",
                figures["home_week_ms"] < module.PLAN_BUDGET_MS,
            ),
            Line(
                "history memory (engine objects)",
                f"{figures['history_mb']:.2f} MB",
                f"budget < {module.MEMORY_BUDGET_MB:.0f} MB",
                figures["history_mb"] < module.MEMORY_BUDGET_MB,
            ),
        ],
        [],
    )


def setup_sections(
    figures: dict[str, float], stalls: dict[str, bench_setup.Stall]
) -> tuple[Section, Section]:
    """Return the sections of the setup in Home Assistant and of the history's memory there."""
    budget = bench_setup.SETUP_BUDGET_MS
    cold = (
        "cold: includes importing the integration, which HA does in its executor"
        if figures["first_setup_imports_included"]
        else "the integration was already imported"
    )
    notes = []
    for key, label in (("warm", "setup"), ("first", "first setup")):
        stall = stalls[key]
        if stall.ms > STALL_FINDING_MS:
            notes.append(f"FINDING: {label} stalled the event loop {stall.ms:.0f} ms")
            notes += ["  " + line for line in bench_setup.stall_report(stall)]
    setup = Section(
        f"Integration setup in Home Assistant ({int(figures['activities']):,} stored activities)",
        [
            Line(
                f"setup, fresh HA, median of {bench_setup.FRESH_RUNS}",
                f"{figures['setup_ms']:.1f} ms",
                f"budget < {budget:.0f} ms",
                figures["setup_ms"] < budget,
            ),
            Line(
                "setup, entry reloaded, median",
                f"{figures['reload_setup_ms']:.1f} ms",
                f"budget < {budget:.0f} ms",
                figures["reload_setup_ms"] < budget,
            ),
            Line("setup, first in process", f"{figures['first_setup_ms']:.0f} ms", cold),
            Line(
                "setup until HA settled, median",
                f"{figures['setup_settled_ms']:.1f} ms",
                "setup + async_block_till_done",
            ),
            Line(
                "longest event-loop stall, setup",
                f"{figures['max_stall_ms']:.1f} ms",
                f"finding above {STALL_FINDING_MS:.0f} ms",
                figures["max_stall_ms"] <= STALL_FINDING_MS,
            ),
            Line(
                "longest event-loop stall, first",
                f"{figures['first_setup_max_stall_ms']:.1f} ms",
                f"finding above {STALL_FINDING_MS:.0f} ms",
                figures["first_setup_max_stall_ms"] <= STALL_FINDING_MS,
            ),
            Line(
                "parsing the stored history",
                f"{figures['store_parse_ms']:.1f} ms",
                "Activity.from_dict for every activity, in the executor",
            ),
        ],
        notes,
    )
    memory_budget = bench_setup.MEMORY_BUDGET_MB
    memory = Section(
        "History memory inside Home Assistant (tracemalloc around the store load)",
        [
            Line(
                "history",
                f"{figures['history_memory_mb']:.2f} MB",
                f"budget < {memory_budget:.0f} MB; file {figures['store_file_mb']:.1f} MB",
                figures["history_memory_mb"] < memory_budget,
            ),
            Line(
                "history, stream summary per HR run",
                f"{figures['history_with_streams_memory_mb']:.2f} MB",
                f"budget < {memory_budget:.0f} MB;"
                f" file {figures['store_file_with_streams_mb']:.1f} MB",
                figures["history_with_streams_memory_mb"] < memory_budget,
            ),
        ],
        [],
    )
    return setup, memory


def coach_section(figures: dict[str, float], module: Any) -> Section:
    """Return the coach's section: the morning briefing's size and LLM calls."""
    tokens = int(figures["morning_briefing_input_tokens"])
    calls = int(figures["llm_calls_two_briefings_same_day"])
    return Section(
        "Coach (real google-genai client, fake Gemini on loopback)",
        [
            Line(
                "morning briefing input tokens",
                f"{tokens:,}",
                f"budget < {module.TOKEN_BUDGET:,}",
                tokens < module.TOKEN_BUDGET,
            ),
            Line("LLM calls, two briefings same day", f"{calls}", "budget 1", calls <= 1),
        ],
        [],
    )


def _setup_part() -> Part:
    """Run the setup benchmark; return its figures and its two sections."""
    figures, stalls = bench_setup.bench()
    return figures, list(setup_sections(figures, stalls))


def _strava_part() -> Part:
    """Run the Strava benchmark; return its figures and section."""
    figures = _sibling("bench_strava").bench()
    return figures, [strava_section(figures)]


def _training_part() -> Part:
    """Run the training benchmark; return its figures and section."""
    module = _sibling("bench_training")
    figures = module.bench()
    return figures, [training_section(figures, module)]


def _coach_part() -> Part:
    """Run the coach benchmark; return its figures and section."""
    module = _sibling("bench_coach")
    figures = module.bench()
    return figures, [coach_section(figures, module)]


def collect() -> tuple[list[Section], dict[str, Any]]:
    """Run every benchmark and return the report's sections (in DESIGN.md's order) and figures."""
    # Setup first: its cold figure must be the process's first import of the integration.
    setup = _part("setup", ("Integration setup", "History memory"), _setup_part)
    strava = _part("strava", ("Strava calls",), _strava_part)
    training = _part("training", ("Training engine",), _training_part)
    coach = _part("coach", ("Coach",), _coach_part)
    sections = [*strava[1], *training[1], *setup[1], *coach[1]]
    data = {"strava": strava[0], "training": training[0], "setup": setup[0], "coach": coach[0]}
    return sections, data


def render(sections: list[Section]) -> tuple[list[str], list[str], list[str]]:
    """Return the report's lines, the figures over budget and the sections not measured."""
    width = max((len(line.figure) + 1 for s in sections for line in s.lines), default=0)
    out: list[str] = []
    over: list[str] = []
    for number, section in enumerate(sections, 1):
        out.append(f"{number}. {section.title}")
        out += [line.render(width) for line in section.lines]
        out += ["  " + note for note in section.notes]
        over += [line.figure.strip() for line in section.lines if line.ok is False]
    missing = [section.title for section in sections if not section.lines]
    return out, over, missing


def main() -> None:
    """Run the benchmarks and print the report (and the figures as JSON with --json)."""
    parser = argparse.ArgumentParser(
        description="Print every performance figure DESIGN.md budgets."
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()

    bench_setup.quiet_logs()
    started = time.perf_counter()
    sections, data = collect()
    lines, over, missing = render(sections)
    print("\n".join(lines))
    print()
    if over:
        print("!" * 72)
        print(f"!! OVER BUDGET ({len(over)}): " + "; ".join(over))
        print("!" * 72)
    else:
        print("Every measured figure within budget.")
    if missing:
        print("Not measured: " + ", ".join(missing))
    print(f"(bench ran {time.perf_counter() - started:.0f} s)")
    if args.json:
        data["over"] = over
        print(json.dumps(data, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
