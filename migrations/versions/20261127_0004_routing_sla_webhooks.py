"""routing trace, SLA targets and calendars, the SLA timer on requests, webhook deliveries

Seeds the all-categories targets per priority (common hotline practice): urgent 15 min / 2 h, high 30 min /
24 h, normal 1 h / 7 days, low 4 h / 15 days.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 23:53:46.396848+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('area_calendar',
    sa.Column('area_id', sa.BigInteger(), nullable=False),
    sa.Column('config', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_area_calendar_area_id_area'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_calendar')),
    sa.UniqueConstraint('area_id', name=op.f('uq_area_calendar_area_id'))
    )
    op.create_table('sla_target',
    sa.Column('category_id', sa.BigInteger(), nullable=True),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('respond_minutes', sa.Integer(), nullable=False),
    sa.Column('resolve_minutes', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_sla_target_category_id_category'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_target')),
    sa.UniqueConstraint('category_id', 'priority', name=op.f('uq_sla_target_category_id_priority'))
    )
    op.create_index('uq_sla_target_priority_all_categories', 'sla_target', ['priority'], unique=True, postgresql_where=sa.text('category_id IS NULL'))
    op.create_table('routing_decision',
    sa.Column('request_id', sa.BigInteger(), nullable=False),
    sa.Column('trigger', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=True),
    sa.Column('assignee_staff_id', sa.BigInteger(), nullable=True),
    sa.Column('participant_staff_ids', sa.ARRAY(sa.BigInteger()), server_default='{}', nullable=False),
    sa.Column('escalation_level', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('steps', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.ForeignKeyConstraint(['assignee_staff_id'], ['staff.id'], name=op.f('fk_routing_decision_assignee_staff_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name=op.f('fk_routing_decision_request_id_service_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_decision'))
    )
    op.create_index('ix_routing_decision_request_id_id', 'routing_decision', ['request_id', 'id'], unique=False)
    op.create_table('webhook_delivery',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('target_url', sa.Text(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('request_id', sa.BigInteger(), nullable=True),
    sa.Column('recipient_staff_id', sa.BigInteger(), nullable=True),
    sa.Column('ordering_key', sa.String(length=128), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('attempts', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.ForeignKeyConstraint(['recipient_staff_id'], ['staff.id'], name=op.f('fk_webhook_delivery_recipient_staff_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name=op.f('fk_webhook_delivery_request_id_service_request'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery'))
    )
    op.create_index('ix_webhook_delivery_ordering_key_id', 'webhook_delivery', ['ordering_key', 'id'], unique=False)
    op.create_index('ix_webhook_delivery_pending', 'webhook_delivery', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_webhook_delivery_request_id', 'webhook_delivery', ['request_id'], unique=False)
    op.create_table('webhook_attempt',
    sa.Column('delivery_id', sa.BigInteger(), nullable=False),
    sa.Column('attempt', sa.SmallInteger(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_delivery.id'], name=op.f('fk_webhook_attempt_delivery_id_webhook_delivery'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempt'))
    )
    op.create_index('ix_webhook_attempt_delivery_id', 'webhook_attempt', ['delivery_id'], unique=False)
    op.add_column('category', sa.Column('clock', sa.String(length=16), server_default='calendar', nullable=False))
    op.add_column('service_request', sa.Column('escalation_level', sa.SmallInteger(), server_default='0', nullable=False))
    op.add_column('service_request', sa.Column('respond_warned_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('service_request', sa.Column('respond_breached_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('service_request', sa.Column('resolve_warned_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('service_request', sa.Column('resolve_breach_count', sa.SmallInteger(), server_default='0', nullable=False))
    op.add_column('service_request', sa.Column('breached', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('service_request', sa.Column('next_timer_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_service_request_next_timer_at', 'service_request', ['next_timer_at'], unique=False, postgresql_where=sa.text('next_timer_at IS NOT NULL'))


    _seed_targets()


SLA_DEFAULTS = [("urgent", 15, 120), ("high", 30, 24 * 60), ("normal", 60, 7 * 24 * 60), ("low", 240, 15 * 24 * 60)]


def _seed_targets() -> None:
    target = sa.table(
        "sla_target",
        sa.column("priority", sa.String),
        sa.column("respond_minutes", sa.Integer),
        sa.column("resolve_minutes", sa.Integer),
    )
    op.bulk_insert(
        target, [{"priority": p, "respond_minutes": r, "resolve_minutes": m} for p, r, m in SLA_DEFAULTS]
    )


def downgrade() -> None:
    op.drop_index('ix_service_request_next_timer_at', table_name='service_request', postgresql_where=sa.text('next_timer_at IS NOT NULL'))
    op.drop_column('service_request', 'next_timer_at')
    op.drop_column('service_request', 'breached')
    op.drop_column('service_request', 'resolve_breach_count')
    op.drop_column('service_request', 'resolve_warned_at')
    op.drop_column('service_request', 'respond_breached_at')
    op.drop_column('service_request', 'respond_warned_at')
    op.drop_column('service_request', 'escalation_level')
    op.drop_column('category', 'clock')
    op.drop_index('ix_webhook_attempt_delivery_id', table_name='webhook_attempt')
    op.drop_table('webhook_attempt')
    op.drop_index('ix_webhook_delivery_request_id', table_name='webhook_delivery')
    op.drop_index('ix_webhook_delivery_pending', table_name='webhook_delivery', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_webhook_delivery_ordering_key_id', table_name='webhook_delivery')
    op.drop_table('webhook_delivery')
    op.drop_index('ix_routing_decision_request_id_id', table_name='routing_decision')
    op.drop_table('routing_decision')
    op.drop_index('uq_sla_target_priority_all_categories', table_name='sla_target', postgresql_where=sa.text('category_id IS NULL'))
    op.drop_table('sla_target')
    op.drop_table('area_calendar')
