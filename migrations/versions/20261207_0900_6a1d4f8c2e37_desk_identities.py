"""Desk identities: a device row may be a console user's desk (kind "desk"), the signing identity
they file information reports under from the office, with its private key wrapped under the KEK

Revision ID: 6a1d4f8c2e37
Revises: 2c7e9a4b6d80
Create Date: 2026-12-07 09:00:00

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a1d4f8c2e37'
down_revision = '2c7e9a4b6d80'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        # Every device enrolled so far is a phone.
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='phone', nullable=False))
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('wrapped_key', sa.LargeBinary(), nullable=True))
        batch_op.create_index('ix_devices_user_id', ['user_id'])
        batch_op.create_foreign_key('fk_devices_user_id_users', 'users', ['user_id'], ['id'])


def downgrade():
    # Before this revision every device is a phone: a desk identity stays, for the ledger rows
    # that name it and its public key that verifies them, as a revoked device (its private key
    # goes with the column), so that nothing seals under it and no alert waits for it to sync.
    op.get_bind().execute(sa.text(
        "UPDATE devices SET revoked_at = :now, revoked_seq = "
        "(SELECT COALESCE(MAX(ledger.seq), 0) FROM ledger WHERE ledger.device_id = devices.id) "
        "WHERE kind = 'desk' AND revoked_at IS NULL").bindparams(sa.bindparam("now", type_=sa.DateTime())),
        {"now": datetime.now(UTC).replace(tzinfo=None)})
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_constraint('fk_devices_user_id_users', type_='foreignkey')
        batch_op.drop_index('ix_devices_user_id')
        batch_op.drop_column('wrapped_key')
        batch_op.drop_column('user_id')
        batch_op.drop_column('kind')
