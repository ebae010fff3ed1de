"""The training benchmark runs and reports its figures (small sizes keep the test quick)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_training.py"


def test_bench_reports_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_training_under_test", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    figures = module.bench(years=1, repeats=1, naive_days=3)
    assert figures["activities"] == 365.0
    assert figures["snapshot_ms"] > 0
    assert figures["naive_ms"] > 0
    assert figures["streams_first_ms"] > 0
    assert figures["streams_ms"] > 0
    assert figures["no_hr_ms"] > 0
    assert 0 < figures["home_week_ms"] < 50
    assert figures["speedup_vs_naive"] == pytest.approx(
        figures["naive_ms"] / figures["snapshot_ms"]
    )
    assert 0 < figures["history_mb"] < 15

    history = module.synthetic_history(1)
    assert len({a.id for a in history}) == 365
    assert any(a.race for a in history)
