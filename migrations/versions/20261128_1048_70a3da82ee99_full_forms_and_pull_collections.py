"""Full seizure and market observation forms; versioned pull collections

Revision ID: 70a3da82ee99
Revises: 1b580e82688f
Create Date: 2026-11-28 10:48:50.278075

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '70a3da82ee99'
down_revision = '1b580e82688f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reference_collections',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('floor', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_reference_collections'))
    )
    reference_head = op.create_table('reference_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('history', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_head'))
    )
    op.bulk_insert(reference_head, [{'id': 1, 'version': 0, 'history': secrets.token_hex(16)}])
    op.create_table('reference_items',
    sa.Column('collection', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('collection', 'key', name=op.f('pk_reference_items'))
    )
    with op.batch_alter_table('reference_items', schema=None) as batch_op:
        batch_op.create_index('ix_reference_items_collection_version', ['collection', 'version'], unique=False)

    op.create_table('market_observations',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('observing_agency', sa.String(length=40), nullable=False),
    sa.Column('market_kind', sa.String(length=10), nullable=False),
    sa.Column('place', sa.Text(), nullable=True),
    sa.Column('province', sa.String(length=10), nullable=True),
    sa.Column('place_country', sa.String(length=2), nullable=True),
    sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('accuracy_m', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('platform', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('observation_mode', sa.String(length=10), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_market_observations_record_id_records')),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_market_observations'))
    )
    with op.batch_alter_table('market_observations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_market_observations_observed_on'), ['observed_on'], unique=False)

    op.create_table('market_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('species', sa.Text(), nullable=False),
    sa.Column('term', sa.String(length=3), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=6), nullable=True),
    sa.Column('unit', sa.String(length=10), nullable=True),
    sa.Column('price', sa.Numeric(precision=20, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('claimed_origin', sa.String(length=2), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['market_observations.record_id'], name=op.f('fk_market_items_record_id_market_observations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_market_items'))
    )
    with op.batch_alter_table('market_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_market_items_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_market_items_species'), ['species'], unique=False)

    with op.batch_alter_table('seizure_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('term', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('count', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('weight_kg', sa.Numeric(precision=18, scale=6), nullable=True))
        batch_op.add_column(sa.Column('state', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_seizure_items_species'), ['species'], unique=False)

    with op.batch_alter_table('seizures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_type', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('crossing', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('province', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('place_country', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=True))
        batch_op.add_column(sa.Column('accuracy_m', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('seizure_point', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('detection_method', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('transport_mode', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('concealment', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('route', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('value_amount', sa.Numeric(precision=20, scale=2), nullable=True))
        batch_op.add_column(sa.Column('value_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('legal_follow_up', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('source_reliability', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('source_credibility', sa.String(length=1), nullable=True))
        batch_op.create_index(batch_op.f('ix_seizures_crossing'), ['crossing'], unique=False)
        batch_op.create_index(batch_op.f('ix_seizures_seized_on'), ['seized_on'], unique=False)



def downgrade():
    with op.batch_alter_table('seizures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seizures_seized_on'))
        batch_op.drop_index(batch_op.f('ix_seizures_crossing'))
        batch_op.drop_column('source_credibility')
        batch_op.drop_column('source_reliability')
        batch_op.drop_column('legal_follow_up')
        batch_op.drop_column('value_currency')
        batch_op.drop_column('value_amount')
        batch_op.drop_column('route')
        batch_op.drop_column('concealment')
        batch_op.drop_column('transport_mode')
        batch_op.drop_column('detection_method')
        batch_op.drop_column('seizure_point')
        batch_op.drop_column('accuracy_m')
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
        batch_op.drop_column('place_country')
        batch_op.drop_column('province')
        batch_op.drop_column('crossing')
        batch_op.drop_column('location_type')

    with op.batch_alter_table('seizure_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seizure_items_species'))
        batch_op.drop_column('description')
        batch_op.drop_column('state')
        batch_op.drop_column('weight_kg')
        batch_op.drop_column('count')
        batch_op.drop_column('term')

    with op.batch_alter_table('market_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_market_items_species'))
        batch_op.drop_index(batch_op.f('ix_market_items_record_id'))

    op.drop_table('market_items')
    with op.batch_alter_table('market_observations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_market_observations_observed_on'))

    op.drop_table('market_observations')
    with op.batch_alter_table('reference_items', schema=None) as batch_op:
        batch_op.drop_index('ix_reference_items_collection_version')

    op.drop_table('reference_items')
    op.drop_table('reference_head')
    op.drop_table('reference_collections')
