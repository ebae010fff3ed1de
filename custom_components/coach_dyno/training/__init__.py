"""
Pure training science: activities in, the numbers a running coach lives on out.

Nothing here imports Home Assistant: the engine is plain Python, fed by the store and read by the
coordinator, the sensors and the coach.
"""

from __future__ import annotations

from ._common import resolve_time_zone
from .activity import (
    RUN_SPORT_TYPES,
    Activity,
    AthleteProfile,
    GoalRace,
    HrHistogram,
    Sex,
    Streams,
    StreamSummary,
)
from .load import (
    PmcDay,
    acwr,
    daily_loads,
    loads_by_day,
    monotony,
    pmc,
    pmc_state,
    strain,
)
from .performance import TrainingPaces, race_time, riegel_time, training_paces, vdot
from .race import (
    Effort,
    RaceOutlook,
    TrainingPhase,
    best_recent_effort,
    race_outlook,
    training_phase,
)
from .similar import similar_runs
from .snapshot import (
    DailyLoad,
    LoadSummary,
    RunSummary,
    TrainingSnapshot,
    compute_snapshot,
    run_summary,
)
from .streams import (
    activity_efficiency_factor,
    aerobic_decoupling,
    efficiency_factor,
    summarize_streams,
)
from .trimp import (
    BanisterModel,
    PaceModel,
    activity_trimp,
    banister_trimp,
    banister_trimp_histogram,
    banister_trimp_stream,
    edwards_trimp,
    edwards_trimp_histogram,
    hr_histogram,
    running_tss,
)
from .volume import (
    Period,
    Volume,
    VolumeSummary,
    dated_activities,
    period_start,
    volume_by_period,
    volume_summary,
)

__all__ = [
    "RUN_SPORT_TYPES",
    "Activity",
    "AthleteProfile",
    "BanisterModel",
    "DailyLoad",
    "Effort",
    "GoalRace",
    "HrHistogram",
    "LoadSummary",
    "PaceModel",
    "Period",
    "PmcDay",
    "RaceOutlook",
    "RunSummary",
    "Sex",
    "StreamSummary",
    "Streams",
    "TrainingPaces",
    "TrainingPhase",
    "TrainingSnapshot",
    "Volume",
    "VolumeSummary",
    "activity_efficiency_factor",
    "activity_trimp",
    "acwr",
    "aerobic_decoupling",
    "banister_trimp",
    "banister_trimp_histogram",
    "banister_trimp_stream",
    "best_recent_effort",
    "compute_snapshot",
    "daily_loads",
    "dated_activities",
    "edwards_trimp",
    "edwards_trimp_histogram",
    "efficiency_factor",
    "hr_histogram",
    "loads_by_day",
    "monotony",
    "period_start",
    "pmc",
    "pmc_state",
    "race_outlook",
    "race_time",
    "resolve_time_zone",
    "riegel_time",
    "run_summary",
    "running_tss",
    "similar_runs",
    "strain",
    "summarize_streams",
    "training_paces",
    "training_phase",
    "vdot",
    "volume_by_period",
    "volume_summary",
]
