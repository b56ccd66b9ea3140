"""The reports' pipeline work: folding logged request changes into the rollups, every few seconds.

Any number of workers may run it: the queueing lock keeps one job waiting, the advisory lock one fold running.
Reports stay exact between folds (they add what is not folded yet); the fold keeps that remainder small.
"""

from __future__ import annotations

import logging

from app.pipeline.app import pipeline
from app.pipeline.jobs import job_session
from app.reports import repository

logger = logging.getLogger(__name__)

REPORT_FOLD_TASK = "report_fold"


async def fold_once(limit: int = repository.FOLD_BATCH) -> int:
    """One transaction: folds up to ``limit`` changes and deletes them. Returns how many."""
    async with job_session() as session:
        return await repository.fold_changes(session, limit=limit)


@pipeline.periodic(cron="* * * * * */10", periodic_id=REPORT_FOLD_TASK)
@pipeline.task(name=REPORT_FOLD_TASK, queue="reports", queueing_lock=REPORT_FOLD_TASK)
async def report_fold(timestamp: int) -> None:
    folded = await fold_once()
    total = folded
    while folded >= repository.FOLD_BATCH:  # a backlog: keep going until it is worked off
        folded = await fold_once()
        total += folded
    if total:
        logger.debug("report_fold: %s change(s) folded into the rollups", total)
