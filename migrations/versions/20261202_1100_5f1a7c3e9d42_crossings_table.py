"""Border crossings become a table, owned by the directory, seeded from crossings.json

Revision ID: 5f1a7c3e9d42
Revises: 2e8d5b1f6c34
Create Date: 2026-12-02 11:00:00

"""
import json
from pathlib import Path

from alembic import op
import sqlalchemy as sa

# The release's own file, as shipped with this migration.
CROSSINGS = Path(__file__).resolve().parents[2] / "server" / "reference" / "data" / "crossings.json"


# revision identifiers, used by Alembic.
revision = '5f1a7c3e9d42'
down_revision = '2e8d5b1f6c34'
branch_labels = None
depends_on = None


def upgrade():
    crossings = op.create_table(
        'crossings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('border', sa.String(length=5), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('names', sa.JSON(), nullable=False),
        sa.Column('sides', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    # Records already name these keys: the table starts with every one of them.
    items = json.loads(CROSSINGS.read_text(encoding="utf-8"))["items"]
    op.bulk_insert(crossings, [{name: item.get(name) for name in ("key", "border", "status", "names", "sides", "note")}
                               for item in items])


def downgrade():
    op.drop_table('crossings')
