"""volunteers, tasks, the hours ledger, elders, care records, wristband readings and alarms

Also: a trigger that keeps the hours ledger append-only (UPDATE and DELETE are refused; corrections are new
entries), and the ``wristband_alarm`` category the wristband gateway files its urgent requests under (urgent,
respond within 5 minutes, resolve within 2 hours, building captain; inactive, so not offered for intake).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = """
CREATE FUNCTION volunteer_hours_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'volunteer_hours_entry is append-only: write a correction entry instead'
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER volunteer_hours_entry_append_only
    BEFORE UPDATE OR DELETE ON volunteer_hours_entry
    FOR EACH ROW EXECUTE FUNCTION volunteer_hours_entry_append_only();
"""

category = sa.table(
    "category",
    sa.column("code", sa.String),
    sa.column("name_zh", sa.String),
    sa.column("name_en", sa.String),
    sa.column("default_priority", sa.String),
    sa.column("respond_minutes", sa.Integer),
    sa.column("resolve_minutes", sa.Integer),
    sa.column("routing_rule", sa.String),
    sa.column("keywords", sa.ARRAY(sa.Text)),
    sa.column("is_active", sa.Boolean),
    sa.column("sort_order", sa.SmallInteger),
)


def upgrade() -> None:
    op.create_table('area_care_setting',
    sa.Column('area_id', sa.BigInteger(), nullable=False),
    sa.Column('visit_interval_days', sa.SmallInteger(), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('visit_interval_days > 0', name=op.f('ck_area_care_setting_visit_interval_positive')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_area_care_setting_area_id_area'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_care_setting')),
    sa.UniqueConstraint('area_id', name=op.f('uq_area_care_setting_area_id'))
    )
    op.create_table('volunteer_team',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('compound_id', sa.BigInteger(), nullable=False),
    sa.Column('area_path', sa.String(length=512), nullable=False),
    sa.Column('leader_volunteer_id', sa.BigInteger(), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['compound_id'], ['area.id'], name=op.f('fk_volunteer_team_compound_id_area'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_team'))
    )
    op.create_index('ix_volunteer_team_area_path', 'volunteer_team', ['area_path'], unique=False, postgresql_ops={'area_path': 'text_pattern_ops'})
    op.create_index('uq_volunteer_team_compound_id_name', 'volunteer_team', ['compound_id', 'name'], unique=True)
    op.create_table('volunteer',
    sa.Column('account_id', sa.BigInteger(), nullable=True),
    sa.Column('full_name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('skills', sa.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('compound_id', sa.BigInteger(), nullable=False),
    sa.Column('area_path', sa.String(length=512), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("skills <@ ARRAY['errands', 'health', 'counselling', 'companionship', 'tech_help', 'meal_delivery']::varchar[]", name=op.f('ck_volunteer_known_skills')),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_volunteer_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['compound_id'], ['area.id'], name=op.f('fk_volunteer_compound_id_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['team_id'], ['volunteer_team.id'], name=op.f('fk_volunteer_team_id_volunteer_team'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer')),
    sa.UniqueConstraint('account_id', name=op.f('uq_volunteer_account_id'))
    )
    op.create_index('ix_volunteer_area_path', 'volunteer', ['area_path'], unique=False, postgresql_ops={'area_path': 'text_pattern_ops'})
    op.create_index('ix_volunteer_team_id', 'volunteer', ['team_id'], unique=False)
    # The team's leader is a volunteer, and a volunteer's team a team: the second key of the cycle comes last.
    op.create_foreign_key(op.f('fk_volunteer_team_leader_volunteer_id_volunteer'), 'volunteer_team', 'volunteer', ['leader_volunteer_id'], ['id'], ondelete='SET NULL')
    op.create_table('elder',
    sa.Column('resident_id', sa.BigInteger(), nullable=False),
    sa.Column('birth_year', sa.SmallInteger(), nullable=False),
    sa.Column('lives_alone', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('mobility', sa.String(length=16), server_default='independent', nullable=False),
    sa.Column('conditions', sa.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('emergency_contacts', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('captain_staff_id', sa.BigInteger(), nullable=True),
    sa.Column('volunteer_id', sa.BigInteger(), nullable=True),
    sa.Column('services', sa.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('wristband_device_id', sa.String(length=64), nullable=True),
    sa.Column('vital_thresholds', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('safe_zone_latitude', sa.Float(), nullable=True),
    sa.Column('safe_zone_longitude', sa.Float(), nullable=True),
    sa.Column('safe_zone_radius_m', sa.Integer(), nullable=True),
    sa.Column('visit_interval_days', sa.SmallInteger(), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('(safe_zone_latitude IS NULL) = (safe_zone_longitude IS NULL) AND (safe_zone_latitude IS NULL) = (safe_zone_radius_m IS NULL)', name=op.f('ck_elder_safe_zone_complete')),
    sa.CheckConstraint('safe_zone_radius_m IS NULL OR safe_zone_radius_m > 0', name=op.f('ck_elder_safe_zone_radius_positive')),
    sa.CheckConstraint('visit_interval_days IS NULL OR visit_interval_days > 0', name=op.f('ck_elder_visit_interval_positive')),
    sa.ForeignKeyConstraint(['captain_staff_id'], ['staff.id'], name=op.f('fk_elder_captain_staff_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_elder_resident_id_resident'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_elder_volunteer_id_volunteer'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_elder')),
    sa.UniqueConstraint('resident_id', name=op.f('uq_elder_resident_id')),
    sa.UniqueConstraint('wristband_device_id', name=op.f('uq_elder_wristband_device_id'))
    )
    op.create_index('ix_elder_captain_staff_id', 'elder', ['captain_staff_id'], unique=False)
    op.create_index('ix_elder_lives_alone', 'elder', ['id'], unique=False, postgresql_where=sa.text('lives_alone AND is_active'))
    op.create_index('ix_elder_volunteer_id', 'elder', ['volunteer_id'], unique=False)
    op.create_table('volunteer_availability',
    sa.Column('volunteer_id', sa.BigInteger(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.CheckConstraint('end_time > start_time', name=op.f('ck_volunteer_availability_times_ordered')),
    sa.CheckConstraint('weekday BETWEEN 1 AND 7', name=op.f('ck_volunteer_availability_weekday_range')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_volunteer_availability_volunteer_id_volunteer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_availability'))
    )
    op.create_index('ix_volunteer_availability_volunteer_id', 'volunteer_availability', ['volunteer_id'], unique=False)
    op.create_table('care_record',
    sa.Column('elder_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('service', sa.String(length=32), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('staff_id', sa.BigInteger(), nullable=True),
    sa.Column('volunteer_id', sa.BigInteger(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('systolic', sa.SmallInteger(), nullable=True),
    sa.Column('diastolic', sa.SmallInteger(), nullable=True),
    sa.Column('heart_rate', sa.SmallInteger(), nullable=True),
    sa.Column('recorded_by_account_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.CheckConstraint("(kind = 'service') = (service IS NOT NULL)", name=op.f('ck_care_record_service_for_service_kind')),
    sa.ForeignKeyConstraint(['elder_id'], ['elder.id'], name=op.f('fk_care_record_elder_id_elder'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_account_id'], ['account.id'], name=op.f('fk_care_record_recorded_by_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_care_record_staff_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_care_record_volunteer_id_volunteer'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_record'))
    )
    op.create_index('ix_care_record_elder_id_kind_occurred_at', 'care_record', ['elder_id', 'kind', 'occurred_at'], unique=False)
    op.create_table('sensitive_read_log',
    sa.Column('elder_id', sa.BigInteger(), nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('basis', sa.String(length=32), nullable=False),
    sa.Column('resource', sa.String(length=32), nullable=False),
    sa.Column('fields', sa.ARRAY(sa.String(length=64)), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_sensitive_read_log_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['elder_id'], ['elder.id'], name=op.f('fk_sensitive_read_log_elder_id_elder'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sensitive_read_log'))
    )
    op.create_index('ix_sensitive_read_log_elder_id_read_at', 'sensitive_read_log', ['elder_id', 'read_at'], unique=False)
    op.create_table('volunteer_task',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('area_id', sa.BigInteger(), nullable=False),
    sa.Column('area_path', sa.String(length=512), nullable=False),
    sa.Column('compound_id', sa.BigInteger(), nullable=False),
    sa.Column('needed_skill', sa.String(length=32), nullable=True),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expected_minutes', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.BigInteger(), nullable=True),
    sa.Column('elder_id', sa.BigInteger(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('volunteer_id', sa.BigInteger(), nullable=True),
    sa.Column('coordinator_staff_id', sa.BigInteger(), nullable=True),
    sa.Column('created_by_account_id', sa.BigInteger(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completion_note', sa.Text(), nullable=True),
    sa.Column('completion_seconds', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status IN ('open', 'cancelled')) OR volunteer_id IS NOT NULL", name=op.f('ck_volunteer_task_volunteer_when_taken')),
    sa.CheckConstraint('expected_minutes IS NULL OR expected_minutes > 0', name=op.f('ck_volunteer_task_expected_minutes_positive')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_volunteer_task_area_id_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['compound_id'], ['area.id'], name=op.f('fk_volunteer_task_compound_id_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['coordinator_staff_id'], ['staff.id'], name=op.f('fk_volunteer_task_coordinator_staff_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_account_id'], ['account.id'], name=op.f('fk_volunteer_task_created_by_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['elder_id'], ['elder.id'], name=op.f('fk_volunteer_task_elder_id_elder'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name=op.f('fk_volunteer_task_request_id_service_request'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_volunteer_task_volunteer_id_volunteer'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_task'))
    )
    op.create_index('ix_volunteer_task_area_path', 'volunteer_task', ['area_path', 'created_at'], unique=False, postgresql_ops={'area_path': 'text_pattern_ops'})
    op.create_index('ix_volunteer_task_completed_at', 'volunteer_task', ['completed_at'], unique=False, postgresql_where=sa.text('completed_at IS NOT NULL'))
    op.create_index('ix_volunteer_task_compound_id_status', 'volunteer_task', ['compound_id', 'status'], unique=False)
    op.create_index('ix_volunteer_task_elder_id', 'volunteer_task', ['elder_id', 'kind', 'status'], unique=False)
    op.create_index('ix_volunteer_task_request_id', 'volunteer_task', ['request_id'], unique=False)
    op.create_index('ix_volunteer_task_volunteer_id_status', 'volunteer_task', ['volunteer_id', 'status'], unique=False)
    op.create_table('care_alarm',
    sa.Column('elder_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), server_default='1', nullable=False),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('request_id', sa.BigInteger(), nullable=True),
    sa.Column('captain_staff_id', sa.BigInteger(), nullable=True),
    sa.Column('volunteer_id', sa.BigInteger(), nullable=True),
    sa.Column('volunteer_task_id', sa.BigInteger(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_account_id', sa.BigInteger(), nullable=True),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cleared_by_account_id', sa.BigInteger(), nullable=True),
    sa.Column('clear_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.CheckConstraint('count >= 1', name=op.f('ck_care_alarm_count_positive')),
    sa.ForeignKeyConstraint(['acknowledged_by_account_id'], ['account.id'], name=op.f('fk_care_alarm_acknowledged_by_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['captain_staff_id'], ['staff.id'], name=op.f('fk_care_alarm_captain_staff_id_staff'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cleared_by_account_id'], ['account.id'], name=op.f('fk_care_alarm_cleared_by_account_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['elder_id'], ['elder.id'], name=op.f('fk_care_alarm_elder_id_elder'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name=op.f('fk_care_alarm_request_id_service_request'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_care_alarm_volunteer_id_volunteer'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['volunteer_task_id'], ['volunteer_task.id'], name=op.f('fk_care_alarm_volunteer_task_id_volunteer_task'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_alarm'))
    )
    op.create_index('ix_care_alarm_elder_id_kind_status', 'care_alarm', ['elder_id', 'kind', 'status'], unique=False)
    op.create_index('ix_care_alarm_open', 'care_alarm', ['status', 'first_at'], unique=False, postgresql_where=sa.text("status <> 'cleared'"))
    op.create_index('ix_care_alarm_volunteer_id', 'care_alarm', ['volunteer_id'], unique=False)
    op.create_table('visit_watch',
    sa.Column('elder_id', sa.BigInteger(), nullable=False),
    sa.Column('gap_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('task_id', sa.BigInteger(), nullable=True),
    sa.Column('interval_days', sa.SmallInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.ForeignKeyConstraint(['elder_id'], ['elder.id'], name=op.f('fk_visit_watch_elder_id_elder'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['volunteer_task.id'], name=op.f('fk_visit_watch_task_id_volunteer_task'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_watch')),
    sa.UniqueConstraint('elder_id', 'gap_started_at', name=op.f('uq_visit_watch_elder_id_gap_started_at'))
    )
    op.create_table('volunteer_hours_entry',
    sa.Column('volunteer_id', sa.BigInteger(), nullable=False),
    sa.Column('team_id', sa.BigInteger(), nullable=True),
    sa.Column('task_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=False),
    sa.Column('served_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('corrects_entry_id', sa.BigInteger(), nullable=True),
    sa.Column('created_by_account_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.CheckConstraint("kind <> 'correction' OR reason IS NOT NULL", name=op.f('ck_volunteer_hours_entry_correction_reason')),
    sa.CheckConstraint("kind <> 'task' OR (duration_seconds > 0 AND task_id IS NOT NULL)", name=op.f('ck_volunteer_hours_entry_task_entry')),
    sa.CheckConstraint('duration_seconds <> 0', name=op.f('ck_volunteer_hours_entry_duration_not_zero')),
    sa.ForeignKeyConstraint(['corrects_entry_id'], ['volunteer_hours_entry.id'], name=op.f('fk_volunteer_hours_entry_corrects_entry_id_volunteer_hours_entry'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_account_id'], ['account.id'], name=op.f('fk_volunteer_hours_entry_created_by_account_id_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['task_id'], ['volunteer_task.id'], name=op.f('fk_volunteer_hours_entry_task_id_volunteer_task'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['team_id'], ['volunteer_team.id'], name=op.f('fk_volunteer_hours_entry_team_id_volunteer_team'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_volunteer_hours_entry_volunteer_id_volunteer'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_hours_entry'))
    )
    op.create_index('ix_volunteer_hours_entry_team_id_served_on', 'volunteer_hours_entry', ['team_id', 'served_on'], unique=False)
    op.create_index('ix_volunteer_hours_entry_volunteer_id_served_on', 'volunteer_hours_entry', ['volunteer_id', 'served_on'], unique=False)
    op.create_index('uq_volunteer_hours_entry_task_id', 'volunteer_hours_entry', ['task_id'], unique=True, postgresql_where=sa.text("kind = 'task'"))
    op.create_table('wristband_reading',
    sa.Column('elder_id', sa.BigInteger(), nullable=False),
    sa.Column('integration_id', sa.BigInteger(), nullable=True),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('values', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('alarm_id', sa.BigInteger(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.ForeignKeyConstraint(['alarm_id'], ['care_alarm.id'], name=op.f('fk_wristband_reading_alarm_id_care_alarm'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['elder_id'], ['elder.id'], name=op.f('fk_wristband_reading_elder_id_elder'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], name=op.f('fk_wristband_reading_integration_id_integration'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wristband_reading')),
    sa.UniqueConstraint('device_id', 'kind', 'recorded_at', name=op.f('uq_wristband_reading_device_id_kind_recorded_at'))
    )
    op.create_index('ix_wristband_reading_elder_id_recorded_at', 'wristband_reading', ['elder_id', 'recorded_at'], unique=False)
    op.execute(APPEND_ONLY)
    op.bulk_insert(
        category,
        [{"code": "wristband_alarm", "name_zh": "手环报警", "name_en": "Wristband alarm", "default_priority": "urgent",
          "respond_minutes": 5, "resolve_minutes": 120, "routing_rule": "building_captain", "keywords": [],
          "is_active": False, "sort_order": 100}],
    )


def downgrade() -> None:
    op.execute("DELETE FROM category WHERE code = 'wristband_alarm' AND NOT EXISTS (SELECT 1 FROM service_request r WHERE r.category_id = category.id)")
    op.execute('DROP TRIGGER IF EXISTS volunteer_hours_entry_append_only ON volunteer_hours_entry')
    op.execute('DROP FUNCTION IF EXISTS volunteer_hours_entry_append_only()')
    op.drop_constraint(op.f('fk_volunteer_team_leader_volunteer_id_volunteer'), 'volunteer_team', type_='foreignkey')
    op.drop_index('ix_wristband_reading_elder_id_recorded_at', table_name='wristband_reading')
    op.drop_table('wristband_reading')
    op.drop_index('uq_volunteer_hours_entry_task_id', table_name='volunteer_hours_entry', postgresql_where=sa.text("kind = 'task'"))
    op.drop_index('ix_volunteer_hours_entry_volunteer_id_served_on', table_name='volunteer_hours_entry')
    op.drop_index('ix_volunteer_hours_entry_team_id_served_on', table_name='volunteer_hours_entry')
    op.drop_table('volunteer_hours_entry')
    op.drop_table('visit_watch')
    op.drop_index('ix_care_alarm_volunteer_id', table_name='care_alarm')
    op.drop_index('ix_care_alarm_open', table_name='care_alarm', postgresql_where=sa.text("status <> 'cleared'"))
    op.drop_index('ix_care_alarm_elder_id_kind_status', table_name='care_alarm')
    op.drop_table('care_alarm')
    op.drop_index('ix_volunteer_task_volunteer_id_status', table_name='volunteer_task')
    op.drop_index('ix_volunteer_task_request_id', table_name='volunteer_task')
    op.drop_index('ix_volunteer_task_elder_id', table_name='volunteer_task')
    op.drop_index('ix_volunteer_task_compound_id_status', table_name='volunteer_task')
    op.drop_index('ix_volunteer_task_completed_at', table_name='volunteer_task', postgresql_where=sa.text('completed_at IS NOT NULL'))
    op.drop_index('ix_volunteer_task_area_path', table_name='volunteer_task', postgresql_ops={'area_path': 'text_pattern_ops'})
    op.drop_table('volunteer_task')
    op.drop_index('ix_sensitive_read_log_elder_id_read_at', table_name='sensitive_read_log')
    op.drop_table('sensitive_read_log')
    op.drop_index('ix_care_record_elder_id_kind_occurred_at', table_name='care_record')
    op.drop_table('care_record')
    op.drop_index('ix_volunteer_availability_volunteer_id', table_name='volunteer_availability')
    op.drop_table('volunteer_availability')
    op.drop_index('ix_elder_volunteer_id', table_name='elder')
    op.drop_index('ix_elder_lives_alone', table_name='elder', postgresql_where=sa.text('lives_alone AND is_active'))
    op.drop_index('ix_elder_captain_staff_id', table_name='elder')
    op.drop_table('elder')
    op.drop_index('ix_volunteer_team_id', table_name='volunteer')
    op.drop_index('ix_volunteer_area_path', table_name='volunteer', postgresql_ops={'area_path': 'text_pattern_ops'})
    op.drop_table('volunteer')
    op.drop_index('uq_volunteer_team_compound_id_name', table_name='volunteer_team')
    op.drop_index('ix_volunteer_team_area_path', table_name='volunteer_team', postgresql_ops={'area_path': 'text_pattern_ops'})
    op.drop_table('volunteer_team')
    op.drop_table('area_care_setting')
