"""Record reviews that reach the phone (a per-device pull collection), a note on a kept
quarantine row, carried-in outbox files and their progress

Revision ID: 9a4c1e7b2d58
Revises: 6c2e8f4a1d93
Create Date: 2026-12-05 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9a4c1e7b2d58'
down_revision = '6c2e8f4a1d93'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'record_reviews',
        sa.Column('rid', sa.String(length=36), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('reviewer_id', sa.Integer(), nullable=False),
        sa.Column('reviewed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['reviewer_id'], ['users.id']),
        sa.PrimaryKeyConstraint('rid'),
    )
    with op.batch_alter_table('reference_items') as batch:
        batch.add_column(sa.Column('device_id', sa.String(length=36), nullable=True))
    op.create_index('ix_reference_items_device', 'reference_items', ['device_id', 'collection', 'version'])
    with op.batch_alter_table('quarantine') as batch:
        batch.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch.add_column(sa.Column('noted_by', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('noted_at', sa.DateTime(), nullable=True))
        batch.create_foreign_key('fk_quarantine_noted_by', 'users', ['noted_by'], ['id'])
    op.create_table(
        'carried_uploads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('device_id', sa.String(length=36), nullable=False),
        sa.Column('uploaded_by', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('file_name', sa.Text(), nullable=True),
        sa.Column('file_sha256', sa.String(length=64), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('receipts', sa.JSON(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['device_id'], ['devices.id']),
        sa.ForeignKeyConstraint(['uploaded_by'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token'),
    )
    op.create_index('ix_carried_uploads_device_id', 'carried_uploads', ['device_id'])


def downgrade():
    op.drop_index('ix_carried_uploads_device_id', table_name='carried_uploads')
    op.drop_table('carried_uploads')
    with op.batch_alter_table('quarantine') as batch:
        batch.drop_constraint('fk_quarantine_noted_by', type_='foreignkey')
        for column in ('noted_at', 'noted_by', 'note'):
            batch.drop_column(column)
    op.drop_index('ix_reference_items_device', table_name='reference_items')
    with op.batch_alter_table('reference_items') as batch:
        batch.drop_column('device_id')
    op.drop_table('record_reviews')
