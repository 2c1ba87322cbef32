"""Console sign-in: users' password hash, wrapped TOTP secret, recovery codes and set-up link; console sessions

Revision ID: 6c2e8f4a1d93
Revises: 4d7a2c9e1b68
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6c2e8f4a1d93'
down_revision = '4d7a2c9e1b68'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('password_hash', sa.Text(), nullable=True))
        batch.add_column(sa.Column('totp_secret', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('recovery_codes', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('setup_token_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('setup_expires_at', sa.DateTime(), nullable=True))
        batch.create_unique_constraint('uq_users_setup_token_hash', ['setup_token_hash'])
    op.create_table(
        'console_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('verified_at', sa.DateTime(), nullable=True),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_console_sessions_user_id', 'console_sessions', ['user_id'])


def downgrade():
    op.drop_index('ix_console_sessions_user_id', table_name='console_sessions')
    op.drop_table('console_sessions')
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint('uq_users_setup_token_hash', type_='unique')
        for column in ('setup_expires_at', 'setup_token_hash', 'recovery_codes', 'totp_last_step', 'totp_secret',
                       'password_hash'):
            batch.drop_column(column)
