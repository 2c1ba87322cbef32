"""Seizure items: what became of the specimens, from seizure v3 (the ITR's disposal column)

Revision ID: a9c3e7f1d254
Revises: f5b8d2e6a913
Create Date: 2026-12-10 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9c3e7f1d254'
down_revision = 'f5b8d2e6a913'
branch_labels = None
depends_on = None


def upgrade():
    # Empty for every item filed before: v1 and v2 did not ask.
    with op.batch_alter_table('seizure_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disposal', sa.String(length=30), nullable=True))


def downgrade():
    with op.batch_alter_table('seizure_items', schema=None) as batch_op:
        batch_op.drop_column('disposal')
