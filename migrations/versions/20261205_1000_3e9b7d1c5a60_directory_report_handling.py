"""Directory report handling: a maintainer marks an officer's wrong-number report handled, with a note

Revision ID: 3e9b7d1c5a60
Revises: 9a4c1e7b2d58
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e9b7d1c5a60'
down_revision = '9a4c1e7b2d58'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'directory_report_handling',
        sa.Column('rid', sa.String(length=36), nullable=False),
        sa.Column('handled_at', sa.DateTime(), nullable=False),
        sa.Column('handled_by', sa.String(length=80), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('rid'),
    )


def downgrade():
    op.drop_table('directory_report_handling')
