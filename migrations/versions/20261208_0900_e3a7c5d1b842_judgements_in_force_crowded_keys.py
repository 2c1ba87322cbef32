"""Judgements in force, "same" and "not the same", each on a partial index (the network splits
partly hidden entities by the first, resolution asks the second for every batch); name readings
known to be crowded, which resolution looks up no more; mentions carry their record's handling
code, and the network reads an entity's mentions and a record's off covering indexes

Revision ID: e3a7c5d1b842
Revises: d4f8a1c6e925
Create Date: 2026-12-08 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3a7c5d1b842'
down_revision = 'd4f8a1c6e925'
branch_labels = None
depends_on = None


MENTION_INDEXES = {'ix_mentions_entity_id': ('entity_id', ['id', 'key', 'record_id', 'country', 'agency_id', 'handling']),
                   'ix_mentions_record_id': ('record_id', ['id', 'entity_id', 'role'])}


def upgrade():
    with op.batch_alter_table('mentions') as batch:
        batch.add_column(sa.Column('handling', sa.String(length=20), nullable=True))
    op.execute("UPDATE mentions SET handling = (SELECT records.handling FROM records WHERE records.id = mentions.record_id) "
               "WHERE record_id IN (SELECT id FROM records WHERE handling IS NOT NULL)")
    for name, (column, included) in MENTION_INDEXES.items():
        op.drop_index(name, table_name='mentions')
        op.create_index(name, 'mentions', [column], postgresql_include=included)
    op.create_table('crowded_keys', sa.Column('key', sa.String(length=200), nullable=False),
                    sa.PrimaryKeyConstraint('key'))
    for verdict in ('same', 'not_same'):
        condition = sa.text(f"verdict = '{verdict}' AND undone_at IS NULL")
        op.create_index(f'ix_judgements_{verdict}', 'judgements', ['left_key', 'right_key'],
                        postgresql_where=condition, sqlite_where=condition)


def downgrade():
    for verdict in ('same', 'not_same'):
        op.drop_index(f'ix_judgements_{verdict}', table_name='judgements')
    op.drop_table('crowded_keys')
    for name, (column, _included) in MENTION_INDEXES.items():
        op.drop_index(name, table_name='mentions')
        op.create_index(name, 'mentions', [column])
    with op.batch_alter_table('mentions') as batch:
        batch.drop_column('handling')
