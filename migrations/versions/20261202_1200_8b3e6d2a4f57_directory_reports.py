"""Directory reports: an officer's "this number did not work", filed from the directory_feedback form

Revision ID: 8b3e6d2a4f57
Revises: 5f1a7c3e9d42
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8b3e6d2a4f57'
down_revision = '5f1a7c3e9d42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'directory_reports',
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('contact_key', sa.String(length=64), nullable=False),
        sa.Column('number', sa.String(length=40), nullable=True),
        sa.Column('problem', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['record_id'], ['records.id']),
        sa.PrimaryKeyConstraint('record_id'),
    )
    op.create_index('ix_directory_reports_contact_key', 'directory_reports', ['contact_key'])


def downgrade():
    op.drop_index('ix_directory_reports_contact_key', table_name='directory_reports')
    op.drop_table('directory_reports')
