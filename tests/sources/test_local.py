"""The demo runner's history is moved by whole weeks to end in the week before today."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from custom_components.coach_dyno.sources.local import shift_to_end_before
from custom_components.coach_dyno.training import Activity


def _runs(*days: date) -> tuple[Activity, ...]:
    return tuple(
        Activity(
            id=index,
            start=datetime(day.year, day.month, day.day, 6, 30, tzinfo=UTC),
            sport_type="Run",
            distance_m=8000,
            moving_s=2700,
        )
        for index, day in enumerate(days)
    )


@pytest.mark.parametrize(
    ("newest", "today"),
    [
        (date(2026, 11, 24), date(2027, 3, 3)),  # bundled long ago: moved forward
        (date(2026, 11, 24), date(2026, 11, 20)),  # runs past today: moved back
        (date(2026, 11, 24), date(2026, 11, 24)),  # ends today: left alone
    ],
)
def test_history_ends_in_the_week_before_today(newest: date, today: date) -> None:
    """Every run keeps its weekday and the newest lands within the last seven days."""
    history = _runs(newest - timedelta(days=10), newest - timedelta(days=3), newest)
    moved = shift_to_end_before(history, today)

    assert [run.id for run in moved] == [run.id for run in history]
    assert [run.start.weekday() for run in moved] == [run.start.weekday() for run in history]
    assert 0 <= (today - max(run.start for run in moved).date()).days < 7
    gaps = {moved_run.start - run.start for moved_run, run in zip(moved, history, strict=True)}
    assert len(gaps) == 1


def test_history_already_current_is_the_same_object() -> None:
    """Nothing to move means nothing to rewrite (the store is not saved again)."""
    history = _runs(date(2026, 11, 18), date(2026, 11, 21))
    assert shift_to_end_before(history, date(2026, 11, 23)) is history
    assert shift_to_end_before((), date(2026, 11, 23)) == ()
