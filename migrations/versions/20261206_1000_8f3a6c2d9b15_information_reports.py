"""Information reports (a third form, graded, with a handling code) and the handling code on
every record, which the one access rule narrows by

Revision ID: 8f3a6c2d9b15
Revises: 5d2b8e4f1a37
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8f3a6c2d9b15'
down_revision = '5d2b8e4f1a37'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('records') as batch:
        batch.add_column(sa.Column('handling', sa.String(length=20), nullable=True))
    op.create_table(
        'information_reports',
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('reported_on', sa.Date(), nullable=False),
        sa.Column('reporting_agency', sa.String(length=40), nullable=False),
        sa.Column('narrative', sa.Text(), nullable=False),
        sa.Column('place', sa.Text(), nullable=True),
        sa.Column('crossing', sa.String(length=80), nullable=True),
        sa.Column('source_type', sa.String(length=30), nullable=False),
        sa.Column('source_reliability', sa.String(length=1), nullable=False),
        sa.Column('source_credibility', sa.String(length=1), nullable=False),
        sa.Column('handling', sa.String(length=20), nullable=False),
        sa.Column('species', sa.JSON(), nullable=False),
        sa.Column('province', sa.String(length=10), nullable=True),
        sa.Column('place_country', sa.String(length=2), nullable=True),
        sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column('accuracy_m', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.ForeignKeyConstraint(['record_id'], ['records.id']),
        sa.PrimaryKeyConstraint('record_id'),
    )
    op.create_index('ix_information_reports_reported_on', 'information_reports', ['reported_on'])
    op.create_index('ix_information_reports_crossing', 'information_reports', ['crossing'])


def downgrade():
    op.drop_index('ix_information_reports_crossing', table_name='information_reports')
    op.drop_index('ix_information_reports_reported_on', table_name='information_reports')
    op.drop_table('information_reports')
    with op.batch_alter_table('records') as batch:
        batch.drop_column('handling')
