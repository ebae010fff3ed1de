"""The coach benchmark: budgets it prints, checked."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_coach.py"


@pytest.mark.usefixtures("socket_enabled")
def test_bench_meets_the_budgets(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_coach", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    module.main()
    figures = module.bench(years=1)

    printed = capsys.readouterr().out
    assert "over 10 years" in printed
    assert "LLM calls for two briefings the same day: 1 (budget 1)" in printed
    assert figures["llm_calls_two_briefings_same_day"] == 1
    assert figures["morning_briefing_input_tokens"] < module.TOKEN_BUDGET
    assert figures["activities"] > 250
