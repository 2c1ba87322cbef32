"""Intelligence store, part one: mentions keep what their record said (schema, caption,
properties, owner), entities become what resolution makes of them; judgements between
mentions, candidates, and the keys mentions are found under

Today's store made one entity per mention. Each mention copies its entity's schema, caption,
properties, agency and country: that is what its record said; and gets its stable key,
"<rid>/<n>" (its place among its record's mentions), by which judgements name it. The entity rows stay, each the
entity of its one mention, until `flask intel resolve` (run by the task queue after intake,
and by housekeeping) resolves every mention not yet resolved, which is all of them after
this migration, and merges those that are one.

Revision ID: 5d2b8e4f1a37
Revises: 7c1d9e3a5b24
Create Date: 2026-12-06 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d2b8e4f1a37'
down_revision = '7c1d9e3a5b24'
branch_labels = None
depends_on = None

COPIED = ('schema', 'caption', 'properties', 'agency_id', 'country')


def upgrade():
    with op.batch_alter_table('entities') as batch:
        batch.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_entities_merged_into_id', 'entities', ['merged_into_id'], ['id'])
    with op.batch_alter_table('mentions') as batch:
        batch.add_column(sa.Column('schema', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('caption', sa.Text(), nullable=True))
        batch.add_column(sa.Column('properties', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('agency_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('country', sa.String(length=2), nullable=True))
        batch.add_column(sa.Column('resolved_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('key', sa.String(length=80), nullable=True))
    connection = op.get_bind()
    counts = {}
    for mention_id, rid in connection.execute(sa.text(
            "SELECT mentions.id, records.rid FROM mentions JOIN records ON records.id = mentions.record_id "
            "ORDER BY mentions.id")).all():
        counts[rid] = counts.get(rid, -1) + 1
        connection.execute(sa.text("UPDATE mentions SET key = :key WHERE id = :id"),
                           {"key": f"{rid}/{counts[rid]}", "id": mention_id})
    for column in COPIED:
        op.execute(f"UPDATE mentions SET {column} = (SELECT entities.{column} FROM entities "
                   f"WHERE entities.id = mentions.entity_id)")
    with op.batch_alter_table('mentions') as batch:
        for column, kind in (('schema', sa.String(length=20)), ('caption', sa.Text()), ('properties', sa.JSON()),
                             ('agency_id', sa.Integer()), ('country', sa.String(length=2)),
                             ('key', sa.String(length=80))):
            batch.alter_column(column, existing_type=kind, nullable=False)
        batch.create_unique_constraint('uq_mentions_key', ['key'])
        batch.create_foreign_key('fk_mentions_agency_id', 'agencies', ['agency_id'], ['id'])
    op.create_index('ix_mentions_agency_id', 'mentions', ['agency_id'])
    op.create_index('ix_mentions_unresolved', 'mentions', ['resolved_at', 'id'])
    op.create_table(
        'mention_keys',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('mention', sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint('key', 'mention'),
    )
    op.create_index('ix_mention_keys_mention', 'mention_keys', ['mention'])
    op.create_table(
        'judgements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('left_key', sa.String(length=80), nullable=False),
        sa.Column('right_key', sa.String(length=80), nullable=False),
        sa.Column('verdict', sa.String(length=10), nullable=False),
        sa.Column('automatic', sa.Boolean(), nullable=False),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('features', sa.JSON(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.Column('undone_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['undone_by'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_judgements_pair', 'judgements', ['left_key', 'right_key'])
    op.create_index('ix_judgements_right', 'judgements', ['right_key'])
    op.create_table(
        'candidates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('left_key', sa.String(length=80), nullable=False),
        sa.Column('right_key', sa.String(length=80), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('features', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('left_key', 'right_key'),
    )
    op.create_index('ix_candidates_right', 'candidates', ['right_key'])


def downgrade():
    op.drop_index('ix_candidates_right', table_name='candidates')
    op.drop_table('candidates')
    op.drop_index('ix_judgements_right', table_name='judgements')
    op.drop_index('ix_judgements_pair', table_name='judgements')
    op.drop_table('judgements')
    op.drop_index('ix_mention_keys_mention', table_name='mention_keys')
    op.drop_table('mention_keys')
    op.drop_index('ix_mentions_unresolved', table_name='mentions')
    op.drop_index('ix_mentions_agency_id', table_name='mentions')
    with op.batch_alter_table('mentions') as batch:
        batch.drop_constraint('fk_mentions_agency_id', type_='foreignkey')
        batch.drop_constraint('uq_mentions_key', type_='unique')
        for column in ('key', 'resolved_at', 'country', 'agency_id', 'properties', 'caption', 'schema'):
            batch.drop_column(column)
    with op.batch_alter_table('entities') as batch:
        batch.drop_constraint('fk_entities_merged_into_id', type_='foreignkey')
        batch.drop_column('merged_into_id')
