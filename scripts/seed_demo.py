"""
Give a fresh dev instance a Coach Dyno entry on the bundled demo runner (once).

Home Assistant keeps config entries in .storage/core.config_entries; the entry is built with Home
Assistant's own ConfigEntry class so the file has exactly the layout this version expects.
"""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
import sys
from types import MappingProxyType

from homeassistant import config_entries
from homeassistant.util import dt as dt_util

DOMAIN = "coach_dyno"


def demo_options() -> dict[str, object]:
    """Return the demo runner: the sub-1:45 half marathon ten weeks from now."""
    race_day = dt_util.now().date() + timedelta(weeks=10)
    return {
        "hr_rest": 52,
        "hr_max": 188,
        "sex": "male",
        "race_name": "Demo Half Marathon",
        "race_date": race_day.isoformat(),
        "race_distance_km": 21.0975,
        "goal_time": 105 * 60,
        "persona": "supportive",
        "language": "en",
        "units": "metric",
    }


def main(config_dir: str) -> None:
    """Add the demo entry unless the instance already has any Coach Dyno entry."""
    path = Path(config_dir) / ".storage" / config_entries.STORAGE_KEY
    stored = (
        json.loads(path.read_text())
        if path.exists()
        else {
            "version": config_entries.STORAGE_VERSION,
            "minor_version": config_entries.STORAGE_VERSION_MINOR,
            "key": config_entries.STORAGE_KEY,
            "data": {"entries": []},
        }
    )
    entries = stored["data"]["entries"]
    if any(entry["domain"] == DOMAIN for entry in entries):
        return
    entry = config_entries.ConfigEntry(
        data={"source": "demo"},
        discovery_keys=MappingProxyType({}),
        domain=DOMAIN,
        minor_version=1,
        options=demo_options(),
        source=config_entries.SOURCE_USER,
        subentries_data=None,
        title="Demo runner",
        unique_id="demo",
        version=1,
    )
    entries.append(entry.as_dict())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored, indent=2))
    print(f"Coach Dyno: added the demo runner to {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "config")
