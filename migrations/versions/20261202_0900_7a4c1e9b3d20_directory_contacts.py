"""The emergency contact directory: contacts of agencies, with their audience, hours and verification

Revision ID: 7a4c1e9b3d20
Revises: 3b8f0d6a2c11
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a4c1e9b3d20'
down_revision = '3b8f0d6a2c11'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'directory_contacts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('role', sa.JSON(), nullable=False),
        sa.Column('person_name', sa.Text(), nullable=True),
        sa.Column('person_name_latin', sa.Text(), nullable=True),
        sa.Column('phones', sa.JSON(), nullable=False),
        sa.Column('messaging', sa.JSON(), nullable=False),
        sa.Column('email', sa.Text(), nullable=True),
        sa.Column('languages', sa.JSON(), nullable=False),
        sa.Column('hours', sa.JSON(), nullable=False),
        sa.Column('time_zone', sa.String(length=64), nullable=False),
        sa.Column('closed', sa.JSON(), nullable=False),
        sa.Column('crossings', sa.JSON(), nullable=False),
        sa.Column('audience_countries', sa.JSON(), nullable=False),
        sa.Column('audience_agencies', sa.JSON(), nullable=False),
        sa.Column('supervisors_only', sa.Boolean(), nullable=False),
        sa.Column('verified_on', sa.Date(), nullable=True),
        sa.Column('verified_by', sa.Text(), nullable=True),
        sa.Column('demo', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('removed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_index('ix_directory_contacts_agency_id', 'directory_contacts', ['agency_id'])


def downgrade():
    op.drop_index('ix_directory_contacts_agency_id', table_name='directory_contacts')
    op.drop_table('directory_contacts')
