"""Entities merged into another are found by an index: resolution repoints them at every merge

Revision ID: d4f8a1c6e925
Revises: b7e2d4a9c613
Create Date: 2026-12-07 11:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4f8a1c6e925'
down_revision = 'b7e2d4a9c613'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_entities_merged_into_id', 'entities', ['merged_into_id'])


def downgrade():
    op.drop_index('ix_entities_merged_into_id', table_name='entities')
