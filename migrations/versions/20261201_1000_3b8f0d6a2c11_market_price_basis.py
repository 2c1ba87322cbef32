"""Market items: what a price refers to (per unit or for the whole quantity), from market observation v2

Revision ID: 3b8f0d6a2c11
Revises: e755ebe9dcc9
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b8f0d6a2c11'
down_revision = 'e755ebe9dcc9'
branch_labels = None
depends_on = None


def upgrade():
    # Empty for every item filed before: a v1 observation did not say, and guessing would
    # make prices look comparable when they are not.
    with op.batch_alter_table('market_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_basis', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('market_items', schema=None) as batch_op:
        batch_op.drop_column('price_basis')
