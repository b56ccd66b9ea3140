"""procrastinate 3.10.0 schema (the pipeline engine's tables, functions and triggers)

Applied from a pinned copy (migrations/sql/procrastinate_3.10.0.sql, taken from
SchemaManager.get_schema() of 3.10.0) rather than the installed package, so this revision never changes
under us. An upgrade of procrastinate adds a revision with that version's migration SQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA_SQL = Path(__file__).resolve().parent.parent / "sql" / "procrastinate_3.10.0.sql"


def upgrade() -> None:
    # exec_driver_sql hands the text to psycopg as a query with parameters: '%' must be doubled.
    op.get_bind().exec_driver_sql(SCHEMA_SQL.read_text(encoding="utf-8").replace("%", "%%"))


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
            procrastinate_workers CASCADE;
        DROP FUNCTION IF EXISTS
            procrastinate_defer_jobs_v1, procrastinate_defer_periodic_job_v2, procrastinate_fetch_job_v2,
            procrastinate_finish_job_v1, procrastinate_cancel_job_v1, procrastinate_retry_job_v1,
            procrastinate_retry_job_v2, procrastinate_notify_queue_job_inserted_v1,
            procrastinate_notify_queue_abort_job_v1, procrastinate_trigger_function_status_events_insert_v1,
            procrastinate_trigger_function_status_events_update_v1,
            procrastinate_trigger_function_scheduled_events_v1,
            procrastinate_trigger_abort_requested_events_procedure_v1, procrastinate_unlink_periodic_defers_v1,
            procrastinate_register_worker_v1, procrastinate_unregister_worker_v1,
            procrastinate_update_heartbeat_v1, procrastinate_prune_stalled_workers_v1 CASCADE;
        DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
            procrastinate_job_status CASCADE;
        """
    )
