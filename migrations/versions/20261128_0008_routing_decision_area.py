"""routing_decision.area_id: the round-robin pointer read off one index row

The latest assignee in an area was found by walking decisions backwards and joining each to its request:
as many rows as decisions made elsewhere since, which grows with the district. Each decision now keeps the
area it was made in, with a partial index of the assigned ones.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("routing_decision", sa.Column("area_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_routing_decision_area_id_area"), "routing_decision", "area", ["area_id"], ["id"],
        ondelete="SET NULL",
    )
    op.execute(
        "UPDATE routing_decision d SET area_id = r.area_id FROM service_request r WHERE r.id = d.request_id"
    )
    op.create_index(
        "ix_routing_decision_area_assigned", "routing_decision", ["area_id", "id"], unique=False,
        postgresql_where=sa.text("assignee_staff_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_routing_decision_area_assigned", table_name="routing_decision",
                  postgresql_where=sa.text("assignee_staff_id IS NOT NULL"))
    op.drop_constraint(op.f("fk_routing_decision_area_id_area"), "routing_decision", type_="foreignkey")
    op.drop_column("routing_decision", "area_id")
