"""places people requests audit

Revision ID: 0001
Revises:
Create Date: 2026-11-27 23:43:57.548756+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('account',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('username', name=op.f('uq_account_username'))
    )
    op.create_table('area',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.BigInteger(), nullable=True),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('depth', sa.SmallInteger(), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('building_number', sa.String(length=32), nullable=True),
    sa.Column('unit_count', sa.SmallInteger(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['area.id'], name=op.f('fk_area_parent_id_area'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area')),
    sa.UniqueConstraint('code', name=op.f('uq_area_code'))
    )
    op.create_index('ix_area_kind_name', 'area', ['kind', 'name'], unique=False)
    op.create_index('ix_area_parent_id', 'area', ['parent_id'], unique=False)
    op.create_index('ix_area_path_prefix', 'area', ['path'], unique=False, postgresql_ops={'path': 'text_pattern_ops'})
    op.create_table('audit_entry',
    sa.Column('actor_account_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.BigInteger(), nullable=True),
    sa.Column('changes', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    op.create_index('ix_audit_entry_table_name_row_id', 'audit_entry', ['table_name', 'row_id'], unique=False)
    op.create_table('category',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('default_priority', sa.String(length=16), nullable=False),
    sa.Column('respond_minutes', sa.Integer(), nullable=False),
    sa.Column('resolve_minutes', sa.Integer(), nullable=False),
    sa.Column('routing_rule', sa.String(length=32), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=True),
    sa.Column('keywords', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('sort_order', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category')),
    sa.UniqueConstraint('code', name=op.f('uq_category_code'))
    )
    op.create_table('resident',
    sa.Column('account_id', sa.BigInteger(), nullable=True),
    sa.Column('full_name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('building_id', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.SmallInteger(), nullable=True),
    sa.Column('room', sa.String(length=32), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_resident_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['building_id'], ['area.id'], name=op.f('fk_resident_building_id_area'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resident')),
    sa.UniqueConstraint('account_id', name=op.f('uq_resident_account_id'))
    )
    op.create_index('ix_resident_building_id', 'resident', ['building_id'], unique=False)
    op.create_table('staff',
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('full_name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_staff_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('account_id', name=op.f('uq_staff_account_id'))
    )
    op.create_table('workstation',
    sa.Column('compound_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['compound_id'], ['area.id'], name=op.f('fk_workstation_compound_id_area'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workstation')),
    sa.UniqueConstraint('compound_id', name=op.f('uq_workstation_compound_id'))
    )
    op.create_table('service_request',
    sa.Column('reference', sa.String(length=16), sa.Computed("'DS' || lpad(id::text, 10, '0')", persisted=True), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('integration_id', sa.BigInteger(), nullable=True),
    sa.Column('external_reference', sa.String(length=100), nullable=True),
    sa.Column('category_id', sa.BigInteger(), nullable=True),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('area_id', sa.BigInteger(), nullable=True),
    sa.Column('area_path', sa.String(length=512), nullable=True),
    sa.Column('building_id', sa.BigInteger(), nullable=True),
    sa.Column('street_id', sa.BigInteger(), nullable=True),
    sa.Column('unit', sa.SmallInteger(), nullable=True),
    sa.Column('room', sa.String(length=32), nullable=True),
    sa.Column('address_text', sa.Text(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('reporter_resident_id', sa.BigInteger(), nullable=True),
    sa.Column('reporter_name', sa.String(length=100), nullable=True),
    sa.Column('reporter_phone', sa.String(length=32), nullable=True),
    sa.Column('photos', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('created_by_account_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('needs_triage', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('assignee_staff_id', sa.BigInteger(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('respond_by_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolve_by_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_seconds', sa.Integer(), server_default='0', nullable=False),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('duplicate_of_id', sa.BigInteger(), nullable=True),
    sa.Column('satisfaction', sa.String(length=24), nullable=True),
    sa.Column('satisfaction_comment', sa.Text(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopened_count', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('latitude IS NULL OR latitude BETWEEN -90 AND 90', name=op.f('ck_service_request_latitude_range')),
    sa.CheckConstraint('longitude IS NULL OR longitude BETWEEN -180 AND 180', name=op.f('ck_service_request_longitude_range')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_service_request_area_id_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['assignee_staff_id'], ['staff.id'], name=op.f('fk_service_request_assignee_staff_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['building_id'], ['area.id'], name=op.f('fk_service_request_building_id_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_service_request_category_id_category'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_account_id'], ['account.id'], name=op.f('fk_service_request_created_by_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['service_request.id'], name=op.f('fk_service_request_duplicate_of_id_service_request'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reporter_resident_id'], ['resident.id'], name=op.f('fk_service_request_reporter_resident_id_resident'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['street_id'], ['area.id'], name=op.f('fk_service_request_street_id_area'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_request')),
    sa.UniqueConstraint('integration_id', 'external_reference', name=op.f('uq_service_request_integration_id_external_reference')),
    sa.UniqueConstraint('reference', name=op.f('uq_service_request_reference'))
    )
    op.create_index('ix_service_request_area_path', 'service_request', ['area_path', 'created_at'], unique=False, postgresql_ops={'area_path': 'text_pattern_ops'})
    op.create_index('ix_service_request_assignee_open', 'service_request', ['assignee_staff_id', 'status'], unique=False)
    op.create_index('ix_service_request_created_at_id', 'service_request', ['created_at', 'id'], unique=False)
    op.create_index('ix_service_request_reporter_resident_id', 'service_request', ['reporter_resident_id', 'created_at'], unique=False)
    op.create_index('ix_service_request_status', 'service_request', ['status'], unique=False, postgresql_where=sa.text("status = 'submitted'"))
    op.create_table('staff_absence',
    sa.Column('staff_id', sa.BigInteger(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('backup_staff_id', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('backup_staff_id IS NULL OR backup_staff_id <> staff_id', name=op.f('ck_staff_absence_backup_not_self')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_staff_absence_dates_ordered')),
    sa.ForeignKeyConstraint(['backup_staff_id'], ['staff.id'], name=op.f('fk_staff_absence_backup_staff_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_absence_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_absence'))
    )
    op.create_index('ix_staff_absence_staff_id_dates', 'staff_absence', ['staff_id', 'starts_on', 'ends_on'], unique=False)
    op.create_table('staff_role',
    sa.Column('staff_id', sa.BigInteger(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('area_id', sa.BigInteger(), nullable=False),
    sa.Column('units', sa.ARRAY(sa.SmallInteger()), nullable=True),
    sa.Column('department', sa.String(length=32), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_staff_role_area_id_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_role_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_role'))
    )
    op.create_index('ix_staff_role_area_id_role', 'staff_role', ['area_id', 'role'], unique=False)
    op.create_index('ix_staff_role_staff_id', 'staff_role', ['staff_id'], unique=False)
    op.create_table('request_event',
    sa.Column('request_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('actor_account_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.ForeignKeyConstraint(['actor_account_id'], ['account.id'], name=op.f('fk_request_event_actor_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name=op.f('fk_request_event_request_id_service_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_event'))
    )
    op.create_index('ix_request_event_request_id_id', 'request_event', ['request_id', 'id'], unique=False)
    op.create_table('request_participant',
    sa.Column('request_id', sa.BigInteger(), nullable=False),
    sa.Column('staff_id', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name=op.f('fk_request_participant_request_id_service_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_request_participant_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_participant')),
    sa.UniqueConstraint('request_id', 'staff_id', name=op.f('uq_request_participant_request_id_staff_id'))
    )
    op.create_index('ix_request_participant_staff_id', 'request_participant', ['staff_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_request_participant_staff_id', table_name='request_participant')
    op.drop_table('request_participant')
    op.drop_index('ix_request_event_request_id_id', table_name='request_event')
    op.drop_table('request_event')
    op.drop_index('ix_staff_role_staff_id', table_name='staff_role')
    op.drop_index('ix_staff_role_area_id_role', table_name='staff_role')
    op.drop_table('staff_role')
    op.drop_index('ix_staff_absence_staff_id_dates', table_name='staff_absence')
    op.drop_table('staff_absence')
    op.drop_index('ix_service_request_status', table_name='service_request', postgresql_where=sa.text("status = 'submitted'"))
    op.drop_index('ix_service_request_reporter_resident_id', table_name='service_request')
    op.drop_index('ix_service_request_created_at_id', table_name='service_request')
    op.drop_index('ix_service_request_assignee_open', table_name='service_request')
    op.drop_index('ix_service_request_area_path', table_name='service_request', postgresql_ops={'area_path': 'text_pattern_ops'})
    op.drop_table('service_request')
    op.drop_table('workstation')
    op.drop_table('staff')
    op.drop_index('ix_resident_building_id', table_name='resident')
    op.drop_table('resident')
    op.drop_table('category')
    op.drop_index('ix_audit_entry_table_name_row_id', table_name='audit_entry')
    op.drop_table('audit_entry')
    op.drop_index('ix_area_path_prefix', table_name='area', postgresql_ops={'path': 'text_pattern_ops'})
    op.drop_index('ix_area_parent_id', table_name='area')
    op.drop_index('ix_area_kind_name', table_name='area')
    op.drop_table('area')
    op.drop_table('account')
