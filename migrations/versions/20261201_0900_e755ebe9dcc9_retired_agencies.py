"""Retired agencies: the day an agency ceased and its successor, instead of deleting it

Revision ID: e755ebe9dcc9
Revises: c41e8a2b7d53
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e755ebe9dcc9'
down_revision = 'c41e8a2b7d53'
branch_labels = None
depends_on = None


def upgrade():
    # Both columns start empty: every agency in the store is in use until `agencies load`
    # reads the retirements from agencies.json. On SQLite the foreign key makes batch mode
    # copy the table (env.py turns foreign keys off around it).
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('successor_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_agencies_successor_id_agencies'), 'agencies',
                                    ['successor_id'], ['id'])


def downgrade():
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agencies_successor_id_agencies'), type_='foreignkey')
        batch_op.drop_column('successor_id')
        batch_op.drop_column('retired_on')
