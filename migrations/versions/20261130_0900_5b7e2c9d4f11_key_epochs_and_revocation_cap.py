"""Intake keys carry a monotonic epoch; a revoked device remembers its highest seq

Revision ID: 5b7e2c9d4f11
Revises: 8e1f3b6c2a47
Create Date: 2026-11-30 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7e2c9d4f11'
down_revision = '8e1f3b6c2a47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('server_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('epoch', sa.Integer(), nullable=True))
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_seq', sa.BigInteger(), nullable=True))

    connection = op.get_bind()
    # Existing intake keys are numbered in the order they were created: the newest seals.
    intake = connection.execute(sa.text(
        "SELECT id FROM server_keys WHERE purpose = 'intake' ORDER BY created_at, id")).scalars().all()
    for epoch, key_id in enumerate(intake, start=1):
        connection.execute(sa.text("UPDATE server_keys SET epoch = :epoch WHERE id = :id"),
                           {"epoch": epoch, "id": key_id})
    # Phones revoked before this revision: the cap counts from what the ledger held.
    connection.execute(sa.text(
        "UPDATE devices SET revoked_seq = (SELECT COALESCE(MAX(seq), 0) FROM ledger WHERE ledger.device_id = devices.id)"
        " WHERE revoked_at IS NOT NULL"))


def downgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('revoked_seq')
    with op.batch_alter_table('server_keys', schema=None) as batch_op:
        batch_op.drop_column('epoch')
