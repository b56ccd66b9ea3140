"""report rollups: daily/monthly counts and time histograms, the change log that keeps them current, and an
index of requests by area and submission time

``report_capture_change`` copies, on every insert, delete or update of a request that changes something a
report counts, the old row state (sign -1) and the new one (+1) into ``report_change``, in the writer's own
transaction. The pipeline folds those rows into ``report_rollup`` (app/reports/repository.py explains the
design). Requests already there are queued in the change log here, so the first fold rolls them up.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The inputs of the report facts, as the trigger copies them from a row (OLD or NEW).
_CAPTURED = (
    "{row}.submitted_at, {row}.area_path, {row}.category_id, {row}.status IN ('rejected', 'duplicate'), "
    "{row}.accepted_at, CASE WHEN {row}.accepted_at IS NOT NULL THEN {row}.respond_by_at END, "
    "{row}.respond_breached_at, {row}.resolved_at, {row}.paused_seconds, {row}.satisfaction, "
    "{row}.reopened_count, {row}.breached"
)
_COLUMNS = (
    "submitted_at, area_path, category_id, set_aside, accepted_at, respond_by_at, respond_breached_at, "
    "resolved_at, paused_seconds, satisfaction, reopened_count, breached"
)


def upgrade() -> None:
    op.create_table(
        "report_rollup",
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("area_depth", sa.SmallInteger(), nullable=False),
        sa.Column("period_on", sa.Date(), nullable=False),
        sa.Column("area_id", sa.BigInteger(), nullable=False),
        sa.Column("area_path", sa.String(length=512), nullable=False),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        sa.Column("every_category", sa.Boolean(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("set_aside", sa.Integer(), nullable=False),
        sa.Column("respond_due", sa.Integer(), nullable=False),
        sa.Column("responded_in_time", sa.Integer(), nullable=False),
        sa.Column("resolve_due", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("rated", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("breached", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("accept_histogram", sa.ARRAY(sa.Integer()), nullable=False),
        sa.Column("resolve_histogram", sa.ARRAY(sa.Integer()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_rollup")),
    )
    # Folds update rows in place (HOT) when their page has room, so a period's rows stay together on disk.
    op.execute("ALTER TABLE report_rollup SET (fillfactor = 90)")
    op.create_index(
        "uq_report_rollup_key",
        "report_rollup",
        ["period", "area_depth", "every_category", "period_on", "area_path", "category_id"],
        unique=True,
        postgresql_nulls_not_distinct=True,
        postgresql_ops={"area_path": "text_pattern_ops"},
    )
    op.create_index(
        "ix_service_request_area_path_submitted_at",
        "service_request",
        ["area_path", "submitted_at"],
        postgresql_ops={"area_path": "text_pattern_ops"},
    )
    op.create_table(
        "report_change",
        sa.Column("sign", sa.SmallInteger(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("area_path", sa.String(length=512), nullable=True),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        sa.Column("set_aside", sa.Boolean(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("respond_by_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("respond_breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.String(length=24), nullable=True),
        sa.Column("reopened_count", sa.SmallInteger(), nullable=False),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_change")),
    )
    old, new = _CAPTURED.format(row="OLD"), _CAPTURED.format(row="NEW")
    op.execute(
        f"""
        CREATE FUNCTION report_capture_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- Reports are rollups kept current by the pipeline: it takes the old state out and puts the new in.
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                INSERT INTO report_change (sign, {_COLUMNS}) VALUES (-1, {old});
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                INSERT INTO report_change (sign, {_COLUMNS}) VALUES (1, {new});
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER report_capture_insert_delete AFTER INSERT OR DELETE ON service_request "
        "FOR EACH ROW EXECUTE FUNCTION report_capture_change()"
    )
    # Most updates (assignment, timers, notes, status moves within the open states) change nothing counted.
    op.execute(
        "CREATE TRIGGER report_capture_update AFTER UPDATE ON service_request FOR EACH ROW "
        f"WHEN (ROW({old}) IS DISTINCT FROM ROW({new})) EXECUTE FUNCTION report_capture_change()"
    )
    # Requests already there go in through the change log; the pipeline's first fold rolls them up.
    op.execute(f"INSERT INTO report_change (sign, {_COLUMNS}) SELECT 1, {_CAPTURED.format(row='r')} FROM service_request r")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS report_capture_update ON service_request")
    op.execute("DROP TRIGGER IF EXISTS report_capture_insert_delete ON service_request")
    op.execute("DROP FUNCTION IF EXISTS report_capture_change()")
    op.drop_table("report_change")
    op.drop_index("ix_service_request_area_path_submitted_at", table_name="service_request")
    op.drop_index("uq_report_rollup_key", table_name="report_rollup")
    op.drop_table("report_rollup")
