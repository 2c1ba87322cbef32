"""Agencies carry their functions (customs, forest law enforcement, ...), by which a counterpart across a border is found

Revision ID: 2e8d5b1f6c34
Revises: 7a4c1e9b3d20
Create Date: 2026-12-02 10:00:00

"""
import json
from pathlib import Path

from alembic import op
import sqlalchemy as sa

# The release's own file: agencies.json as shipped with this migration's release.
AGENCIES = Path(__file__).resolve().parents[2] / "server" / "reference" / "agencies.json"


# revision identifiers, used by Alembic.
revision = '2e8d5b1f6c34'
down_revision = '7a4c1e9b3d20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('functions', sa.JSON(), nullable=True))
    # The agencies a store holds get their functions now: deployments publish reference data
    # on start, but load agencies only when told (`flask agencies load` keeps them up to date).
    agencies = sa.table('agencies', sa.column('code', sa.String), sa.column('functions', sa.JSON))
    op.execute(agencies.update().values(functions=[]))  # one the file does not list does nothing known
    for row in json.loads(AGENCIES.read_text(encoding="utf-8")):
        op.execute(agencies.update().where(agencies.c.code == row["code"]).values(functions=row["functions"]))
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.alter_column('functions', existing_type=sa.JSON(), nullable=False)


def downgrade():
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_column('functions')
