"""Audit log (append-only, anchored in the ledger), expiring tokens and disabled users, PIN
reset counters, reader pagination without ledger positions

Revision ID: c41e8a2b7d53
Revises: 9d3a6f1c7e20
Create Date: 2026-11-30 18:00:00

"""
from alembic import op
import sqlalchemy as sa

from server.sync import guard

# revision identifiers, used by Alembic.
revision = 'c41e8a2b7d53'
down_revision = '9d3a6f1c7e20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_log',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_kind', sa.String(length=10), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=120), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor'), ['actor'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_target'), ['target'], unique=False)
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('anchored_seq', sa.BigInteger(), nullable=False),
    sa.Column('anchored_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.bulk_insert(sa.table('audit_head', sa.column('id'), sa.column('seq'), sa.column('hash'), sa.column('anchored_seq')),
                   [{'id': 1, 'seq': 0, 'hash': bytes(32), 'anchored_seq': 0}])

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pin_resets', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pin_resets_confirmed', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pin_resets', sa.Integer(), nullable=True))
        batch_op.drop_index('ix_records_received_at')
        batch_op.create_index('ix_records_received_at_rid', ['received_at', 'rid'], unique=False)

    # Audit anchors are rows of the log without a device. The ledger's guard is lifted for
    # the one schema change, in this transaction: no row changes.
    connection = op.get_bind()
    guard.uninstall(connection, ["ledger"])
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.alter_column('device_id', existing_type=sa.String(length=36), nullable=True)
    guard.install(connection, ["ledger", "audit_log"])


def downgrade():
    connection = op.get_bind()
    guard.uninstall(connection, ["ledger", "audit_log"])
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.alter_column('device_id', existing_type=sa.String(length=36), nullable=False)
    guard.install(connection, ["ledger"])
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_received_at_rid')
        batch_op.create_index('ix_records_received_at', ['received_at'], unique=False)
        batch_op.drop_column('pin_resets')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('pin_resets_confirmed')
        batch_op.drop_column('pin_resets')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_target'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_actor'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))
    op.drop_table('audit_log')
