"""Saved sets of records: a supervisor's or analyst's named working set, kept and shared whole

Revision ID: b7e2d4a9c613
Revises: 6a1d4f8c2e37
Create Date: 2026-12-07 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2d4a9c613'
down_revision = '6a1d4f8c2e37'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'record_sets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_record_sets_owner_id', 'record_sets', ['owner_id'])
    op.create_table(
        'record_set_members',
        sa.Column('set_id', sa.Integer(), nullable=False),
        sa.Column('rid', sa.String(length=36), nullable=False),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['set_id'], ['record_sets.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('set_id', 'rid'),
    )
    op.create_index('ix_record_set_members_rid', 'record_set_members', ['rid'])


def downgrade():
    op.drop_index('ix_record_set_members_rid', table_name='record_set_members')
    op.drop_table('record_set_members')
    op.drop_index('ix_record_sets_owner_id', table_name='record_sets')
    op.drop_table('record_sets')
