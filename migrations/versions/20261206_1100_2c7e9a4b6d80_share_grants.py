"""Share grants: need-to-know widened explicitly, record by record, with a purpose, a handling
code and an expiry

Revision ID: 2c7e9a4b6d80
Revises: 8f3a6c2d9b15
Create Date: 2026-12-06 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2c7e9a4b6d80'
down_revision = '8f3a6c2d9b15'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'share_grants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('granted_by', sa.Integer(), nullable=False),
        sa.Column('to_agency_id', sa.Integer(), nullable=True),
        sa.Column('to_country', sa.String(length=2), nullable=True),
        sa.Column('what', sa.String(length=20), nullable=False),
        sa.Column('about', sa.Text(), nullable=False),
        sa.Column('purpose', sa.Text(), nullable=False),
        sa.Column('handling', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_by', sa.Integer(), nullable=True),
        sa.Column('seen_by', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['granted_by'], ['users.id']),
        sa.ForeignKeyConstraint(['revoked_by'], ['users.id']),
        sa.ForeignKeyConstraint(['to_agency_id'], ['agencies.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_share_grants_to_agency_id', 'share_grants', ['to_agency_id'])
    op.create_index('ix_share_grants_to_country', 'share_grants', ['to_country'])
    op.create_table(
        'share_grant_records',
        sa.Column('grant_id', sa.Integer(), nullable=False),
        sa.Column('rid', sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(['grant_id'], ['share_grants.id']),
        sa.PrimaryKeyConstraint('grant_id', 'rid'),
    )
    op.create_index('ix_share_grant_records_rid', 'share_grant_records', ['rid'])


def downgrade():
    op.drop_index('ix_share_grant_records_rid', table_name='share_grant_records')
    op.drop_table('share_grant_records')
    op.drop_index('ix_share_grants_to_country', table_name='share_grants')
    op.drop_index('ix_share_grants_to_agency_id', table_name='share_grants')
    op.drop_table('share_grants')
