"""Devices keep what the phone last said about itself (app version, storage)

Revision ID: 8e1f3b6c2a47
Revises: 4c2d9e7a1f05
Create Date: 2026-11-28 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e1f3b6c2a47'
down_revision = '4c2d9e7a1f05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('app_state', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('app_state_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('app_state_at')
        batch_op.drop_column('app_state')
