"""The training engine stays pure: nothing under training/ imports Home Assistant."""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys

TRAINING = Path(__file__).resolve().parents[2] / "custom_components" / "coach_dyno" / "training"


def test_sources_import_only_the_standard_library_and_each_other() -> None:
    sources = sorted(TRAINING.rglob("*.py"))
    assert sources
    for source in sources:
        tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                # Relative imports must stay inside training/ (level 1).
                assert node.level <= 1, f"{source.name} reaches outside training/"
                names = [node.module or ""] if node.level == 0 else []
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                assert root not in {"homeassistant", "custom_components"}, (
                    f"{source.name} imports {name}"
                )


PROBE = """
import sys, types
root = types.ModuleType("custom_components")
root.__path__ = [{root!r}]
package = types.ModuleType("custom_components.coach_dyno")
package.__path__ = [{package!r}]
sys.modules["custom_components"] = root
sys.modules["custom_components.coach_dyno"] = package

from datetime import UTC, date, datetime
import custom_components.coach_dyno.training as training

run = training.Activity(id=1, start=datetime(2026, 5, 1, tzinfo=UTC), sport_type="Run",
                        distance_m=10000.0, moving_s=3000.0, avg_hr=150.0)
snapshot = training.compute_snapshot([run], training.AthleteProfile(), date(2026, 5, 2))
assert snapshot.activity_count == 1
loaded = sorted(name for name in sys.modules if name.split(".")[0] == "homeassistant")
print("homeassistant modules:", loaded)
sys.exit(1 if loaded else 0)
"""


def test_importing_the_package_loads_no_home_assistant() -> None:
    code = PROBE.format(root=str(TRAINING.parents[1]), package=str(TRAINING.parent))
    result = subprocess.run(  # noqa: S603 - our own interpreter and our own code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=TRAINING.parents[2],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "homeassistant modules: []" in result.stdout
