"""The Strava call-count benchmark runs the real client, harvest and push read against the fake."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_strava.py"


@pytest.mark.usefixtures("socket_enabled")
def test_bench_counts_stay_within_the_budgets() -> None:
    spec = importlib.util.spec_from_file_location("bench_strava_under_test", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    figures = module.bench(count=450)

    assert figures["backfill_activities"] == 450.0
    assert figures["backfill_pages_min"] == math.ceil(450 / 200)
    assert figures["backfill_calls"] == figures["backfill_calls_min"] == 3.0
    assert figures["incremental_calls"] == figures["incremental_calls_min"] == 1.0
    # A new run with heart rate: the detail, then its streams.
    assert figures["webhook_create_calls"] == figures["webhook_create_budget"] == 2.0
