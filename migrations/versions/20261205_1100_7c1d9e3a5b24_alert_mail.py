"""Alerts by e-mail: a person's address, the console language they chose, and what was last
mailed to them

Revision ID: 7c1d9e3a5b24
Revises: 3e9b7d1c5a60
Create Date: 2026-12-05 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1d9e3a5b24'
down_revision = '3e9b7d1c5a60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('email', sa.Text(), nullable=True))
        batch.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('alerts_mailed', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('users') as batch:
        for column in ('alerts_mailed', 'language', 'email'):
            batch.drop_column(column)
