"""PMC, ACWR, monotony, strain and daily load totals."""

from __future__ import annotations

from datetime import UTC, date, datetime
import math
import statistics

import pytest

from custom_components.coach_dyno.training import (
    AthleteProfile,
    acwr,
    banister_trimp,
    daily_loads,
    loads_by_day,
    monotony,
    pmc,
    pmc_state,
    strain,
)

from .factories import make_activity

# The exponentially weighted PMC (Banister's impulse-response model as Coggan's Performance
# Manager uses it): CTL and ATL are EWMAs with time constants 42 and 7 days, so
# - one load L alone gives CTL = L (1 - e^(-1/42)) that day, then decays by e^(-1/42) a day;
# - a constant load L for n days gives CTL = L (1 - e^(-n/42)) (a geometric series).
K42 = math.exp(-1 / 42)
K7 = math.exp(-1 / 7)


def test_single_impulse_then_exponential_decay() -> None:
    days = pmc([100.0] + [0.0] * 42)
    assert days[0].ctl == pytest.approx(100 * (1 - K42))
    assert days[0].atl == pytest.approx(100 * (1 - K7))
    assert days[42].ctl == pytest.approx(100 * (1 - K42) * math.exp(-42 / 42))
    assert days[42].atl == pytest.approx(100 * (1 - K7) * math.exp(-42 / 7))
    assert [day.load for day in days[:2]] == [100.0, 0.0]


def test_constant_load_converges_to_it() -> None:
    days = pmc([80.0] * 200)
    assert days[-1].ctl == pytest.approx(80 * (1 - math.exp(-200 / 42)))
    assert days[-1].atl == pytest.approx(80 * (1 - math.exp(-200 / 7)))


def test_tsb_is_the_previous_days_form() -> None:
    days = pmc([50.0, 120.0, 0.0], ctl0=40.0, atl0=60.0)
    assert days[0].tsb == pytest.approx(40.0 - 60.0)
    assert days[1].tsb == pytest.approx(days[0].ctl - days[0].atl)
    assert days[2].tsb == pytest.approx(days[1].ctl - days[1].atl)
    assert days[0].ctl == pytest.approx(40 * K42 + 50 * (1 - K42))


def test_pmc_state_matches_the_last_record() -> None:
    loads = [30.0, 0.0, 90.0, 45.0]
    last = pmc(loads, 10.0, 5.0)[-1]
    assert pmc_state(loads, 10.0, 5.0) == pytest.approx((last.ctl, last.atl))
    assert pmc([]) == []
    assert pmc_state([]) == (0.0, 0.0)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_pmc_refuses_impossible_loads(bad: float) -> None:
    with pytest.raises(ValueError, match="daily load"):
        pmc([10.0, bad])
    with pytest.raises(ValueError, match="daily load"):
        pmc_state([bad])
    with pytest.raises(ValueError, match="ctl0"):
        pmc([], ctl0=bad)
    with pytest.raises(ValueError, match="daily load"):
        acwr([bad])


def test_acwr() -> None:
    assert acwr([50.0] * 28) == pytest.approx(1.0)
    # Older days than 28 do not count.
    assert acwr([500.0] * 10 + [50.0] * 28) == pytest.approx(1.0)
    chronic = (21 * 50 + 7 * 100) / 28
    assert acwr([50.0] * 21 + [100.0] * 7) == pytest.approx(100 / chronic)
    # A short history is padded with rest days.
    assert acwr([10.0] * 7) == pytest.approx(10 / (70 / 28))
    assert acwr([]) is None
    assert acwr([0.0] * 40) is None


def test_monotony_and_strain() -> None:
    # Foster (1998): monotony = mean / SD of the week's daily loads; strain = weekly load x monotony.
    week = [100.0, 0.0, 100.0, 0.0, 100.0, 0.0, 100.0]
    expected = statistics.fmean(week) / statistics.pstdev(week)
    assert monotony(week) == pytest.approx(expected)
    assert strain(week) == pytest.approx(400 * expected)
    assert monotony([999.0, *week]) == pytest.approx(expected)
    # Fewer than 7 days: the missing days are rest days.
    assert monotony([60.0, 60.0]) == pytest.approx(
        statistics.fmean([0, 0, 0, 0, 0, 60, 60]) / statistics.pstdev([0, 0, 0, 0, 0, 60, 60])
    )


def test_monotony_edge_cases() -> None:
    assert monotony([70.0] * 7) == 10.0
    assert strain([70.0] * 7) == pytest.approx(4900.0)
    assert monotony([70.0] * 6 + [70.000001]) == 10.0  # capped, continuous with SD = 0
    assert monotony([0.0] * 7) == 0.0
    assert strain([0.0] * 7) == 0.0
    assert monotony([]) is None
    assert strain([]) is None


PROFILE = AthleteProfile(hr_rest=60, hr_max=190, time_zone="America/New_York")


def test_daily_loads_use_the_local_calendar_day() -> None:
    # 2026-03-08 is the US spring-forward day. 03:30 UTC on the 9th is 23:30 EDT on the 8th.
    late = make_activity(1, datetime(2026, 3, 9, 3, 30, tzinfo=UTC), avg_hr=150.0)
    morning = make_activity(2, datetime(2026, 3, 8, 12, 0, tzinfo=UTC), avg_hr=140.0)
    no_hr = make_activity(3, datetime(2026, 3, 7, 12, 0, tzinfo=UTC))
    ride = make_activity(4, datetime(2026, 3, 6, 12, 0, tzinfo=UTC), "Ride", avg_hr=130.0)
    one = banister_trimp(3000, 150, 60, 190)
    two = banister_trimp(3000, 140, 60, 190)
    ride_load = banister_trimp(3000, 130, 60, 190)
    totals = loads_by_day([late, morning, no_hr, ride], PROFILE)
    assert totals == pytest.approx({date(2026, 3, 8): one + two, date(2026, 3, 6): ride_load})
    series = daily_loads([late, morning, no_hr, ride], PROFILE, date(2026, 3, 5), date(2026, 3, 9))
    assert series == pytest.approx([0.0, ride_load, 0.0, one + two, 0.0])
    assert daily_loads([], PROFILE, date(2026, 3, 5), date(2026, 3, 5)) == [0.0]
    with pytest.raises(ValueError, match="last_day"):
        daily_loads([], PROFILE, date(2026, 3, 5), date(2026, 3, 4))


def test_unknown_time_zone_is_a_clear_error() -> None:
    profile = AthleteProfile(time_zone="Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="time zone"):
        loads_by_day([make_activity(avg_hr=150.0)], profile)
