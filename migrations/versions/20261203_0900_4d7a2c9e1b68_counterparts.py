"""Counterparts across crossings, and what the directory needs to know of an agency: its level, the provinces it covers, the crossings it works at, and whether a maintainer changed it (or a crossing) by hand

Revision ID: 4d7a2c9e1b68
Revises: 8b3e6d2a4f57
Create Date: 2026-12-03 09:00:00

The new agency columns and the counterparts stay empty until `flask agencies load` fills them
from the reference data of the release (make run and `demo load` call it): the directory
shows no counterpart before that, and nothing else reads them.
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '4d7a2c9e1b68'
down_revision = '8b3e6d2a4f57'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agencies') as batch:
        batch.add_column(sa.Column('level', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('provinces', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('crossings', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('maintained_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('crossings') as batch:
        batch.add_column(sa.Column('maintained_at', sa.DateTime(), nullable=True))
    op.create_table(
        'counterparts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('agencies', sa.JSON(), nullable=False),
        sa.Column('functions', sa.JSON(), nullable=False),
        sa.Column('basis', sa.String(length=40), nullable=True),
        sa.Column('crossings', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('maintained_at', sa.DateTime(), nullable=True),
        sa.Column('removed_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )


def downgrade():
    op.drop_table('counterparts')
    with op.batch_alter_table('crossings') as batch:
        batch.drop_column('maintained_at')
    with op.batch_alter_table('agencies') as batch:
        for column in ('maintained_at', 'crossings', 'provinces', 'level'):
            batch.drop_column(column)
