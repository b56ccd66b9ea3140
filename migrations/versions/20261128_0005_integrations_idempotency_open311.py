"""integrations, API keys, idempotency keys and Open311 tokens

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('idempotency_record',
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=False),
    sa.Column('response_body', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_record')),
    sa.UniqueConstraint('owner', 'key', name=op.f('uq_idempotency_record_owner_key'))
    )
    op.create_index('ix_idempotency_record_expires_at', 'idempotency_record', ['expires_at'], unique=False)
    op.create_table('integration',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('callback_url', sa.Text(), nullable=True),
    sa.Column('callback_secret', sa.String(length=128), nullable=False),
    sa.Column('area_id', sa.BigInteger(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_integration_area_id_area'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration')),
    sa.UniqueConstraint('name', name=op.f('uq_integration_name'))
    )
    op.create_table('integration_key',
    sa.Column('integration_id', sa.BigInteger(), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['integration.id'], name=op.f('fk_integration_key_integration_id_integration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_integration_key_key_hash'))
    )
    op.create_index('ix_integration_key_integration_id', 'integration_key', ['integration_id'], unique=False)
    op.create_table('open311_token',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name=op.f('fk_open311_token_request_id_service_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_open311_token'))
    )
    op.create_index('ix_open311_token_request_id', 'open311_token', ['request_id'], unique=False)
    op.create_foreign_key(op.f('fk_service_request_integration_id_integration'), 'service_request', 'integration', ['integration_id'], ['id'], ondelete='RESTRICT')
    op.add_column('webhook_delivery', sa.Column('integration_id', sa.BigInteger(), nullable=True))
    op.create_index('ix_webhook_delivery_integration_id_id', 'webhook_delivery', ['integration_id', 'id'], unique=False)
    op.create_foreign_key(op.f('fk_webhook_delivery_integration_id_integration'), 'webhook_delivery', 'integration', ['integration_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    op.drop_constraint(op.f('fk_webhook_delivery_integration_id_integration'), 'webhook_delivery', type_='foreignkey')
    op.drop_index('ix_webhook_delivery_integration_id_id', table_name='webhook_delivery')
    op.drop_column('webhook_delivery', 'integration_id')
    op.drop_constraint(op.f('fk_service_request_integration_id_integration'), 'service_request', type_='foreignkey')
    op.drop_index('ix_open311_token_request_id', table_name='open311_token')
    op.drop_table('open311_token')
    op.drop_index('ix_integration_key_integration_id', table_name='integration_key')
    op.drop_table('integration_key')
    op.drop_table('integration')
    op.drop_index('ix_idempotency_record_expires_at', table_name='idempotency_record')
    op.drop_table('idempotency_record')
