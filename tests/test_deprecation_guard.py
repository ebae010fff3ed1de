"""The suite's deprecation guard (tests/conftest.py) recognises Home Assistant's own reports."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
from homeassistant.setup import async_setup_component
import pytest

from custom_components.coach_dyno.const import DOMAIN
from tests.conftest import deprecation_about_us


async def test_guard_recognises_a_core_deprecation_report(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """What core logs when Coach Dyno uses something on its way out is what the guard fails on."""
    assert await async_setup_component(hass, DOMAIN, {})
    frame.report_usage(
        "calls a helper that the guard's own test retires",
        breaks_in_ha_version="2099.1.0",
        integration_domain=DOMAIN,
    )
    [line] = [r.getMessage() for r in caplog.records if "the guard's own test" in r.getMessage()]
    assert "custom integration 'coach_dyno'" in line
    assert deprecation_about_us(line)
    # Another integration's report is not ours to fix.
    assert not deprecation_about_us(line.replace(DOMAIN, "other_integration"))
    # The guard runs after this test: it must see a clean log.
    caplog.clear()
