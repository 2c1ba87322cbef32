"""initial store

Revision ID: 1b580e82688f
Revises: 
Create Date: 2026-11-28 09:25:53.868762

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1b580e82688f'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('province', sa.String(length=80), nullable=True),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('name_vi', sa.Text(), nullable=False),
    sa.Column('name_lo', sa.Text(), nullable=False),
    sa.Column('name_zh_hans', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['agencies.id'], name=op.f('fk_agencies_parent_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies')),
    sa.UniqueConstraint('code', name=op.f('uq_agencies_code'))
    )
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agencies_country'), ['country'], unique=False)

    ledger_head = op.create_table('ledger_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idx', sa.BigInteger(), nullable=False),
    sa.Column('chain_hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_head'))
    )
    # The chain starts from 32 zero bytes (server/sync/ledger.py GENESIS).
    op.bulk_insert(ledger_head, [{'id': 1, 'idx': 0, 'chain_hash': bytes(32)}])
    op.create_table('server_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('wrapped_private_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_server_keys')),
    sa.UniqueConstraint('kid', name=op.f('uq_server_keys_kid'))
    )
    with op.batch_alter_table('server_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_server_keys_purpose'), ['purpose'], unique=False)

    op.create_table('devices',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('officer_name', sa.Text(), nullable=True),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.Column('clock_offset_ms', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_devices_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_agency_id'), ['agency_id'], unique=False)

    op.create_table('entities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schema', sa.String(length=20), nullable=False),
    sa.Column('caption', sa.Text(), nullable=False),
    sa.Column('properties', sa.JSON(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_entities_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entities'))
    )
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entities_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entities_schema'), ['schema'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_users_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_agency_id'), ['agency_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('enrollment_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('officer_name', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_enrollment_tokens_agency_id_agencies')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_enrollment_tokens_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollment_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_enrollment_tokens_token_hash'))
    )
    op.create_table('ledger',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('rid', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('header', sa.LargeBinary(), nullable=False),
    sa.Column('ct', sa.LargeBinary(), nullable=False),
    sa.Column('sig', sa.LargeBinary(), nullable=False),
    sa.Column('env_sha256', sa.LargeBinary(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('clock_offset_ms', sa.BigInteger(), nullable=True),
    sa.Column('chain_hash', sa.LargeBinary(length=32), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_ledger_device_id_devices')),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_ledger')),
    sa.UniqueConstraint('rid', name=op.f('uq_ledger_rid'))
    )
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_device_seq', ['device_id', 'seq'], unique=False)

    op.create_table('request_nonces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_request_nonces_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_nonces')),
    sa.UniqueConstraint('device_id', 'nonce', name=op.f('uq_request_nonces_device_id_nonce'))
    )
    with op.batch_alter_table('request_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_nonces_seen_at'), ['seen_at'], unique=False)

    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.Column('rid', sa.String(length=64), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('ledger_idx', sa.BigInteger(), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('envelope', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.Column('released_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_quarantine_device_id_devices')),
    sa.ForeignKeyConstraint(['ledger_idx'], ['ledger.idx'], name=op.f('fk_quarantine_ledger_idx_ledger')),
    sa.ForeignKeyConstraint(['released_by'], ['users.id'], name=op.f('fk_quarantine_released_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine')),
    sa.UniqueConstraint('ledger_idx', name=op.f('uq_quarantine_ledger_idx'))
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantine_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quarantine_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_quarantine_rid'), ['rid'], unique=False)

    op.create_table('records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rid', sa.String(length=36), nullable=False),
    sa.Column('ledger_idx', sa.BigInteger(), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('officer_name', sa.Text(), nullable=True),
    sa.Column('form', sa.String(length=40), nullable=False),
    sa.Column('form_version', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('device_time', sa.DateTime(), nullable=False),
    sa.Column('clock_offset_ms', sa.BigInteger(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('supersedes', sa.String(length=36), nullable=True),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_records_agency_id_agencies')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_records_device_id_devices')),
    sa.ForeignKeyConstraint(['ledger_idx'], ['ledger.idx'], name=op.f('fk_records_ledger_idx_ledger')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_records')),
    sa.UniqueConstraint('ledger_idx', name=op.f('uq_records_ledger_idx')),
    sa.UniqueConstraint('rid', name=op.f('uq_records_rid'))
    )
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_records_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_country'), ['country'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_supersedes'), ['supersedes'], unique=False)

    op.create_table('mentions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['entity_id'], ['entities.id'], name=op.f('fk_mentions_entity_id_entities')),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_mentions_record_id_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentions'))
    )
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentions_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentions_record_id'), ['record_id'], unique=False)

    op.create_table('seizures',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('seized_on', sa.Date(), nullable=False),
    sa.Column('seizing_agency', sa.String(length=40), nullable=False),
    sa.Column('place', sa.Text(), nullable=False),
    sa.Column('narrative', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_seizures_record_id_records')),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_seizures'))
    )
    op.create_table('seizure_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('species', sa.Text(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=18, scale=6), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['seizures.record_id'], name=op.f('fk_seizure_items_record_id_seizures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seizure_items'))
    )
    with op.batch_alter_table('seizure_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seizure_items_record_id'), ['record_id'], unique=False)



def downgrade():
    with op.batch_alter_table('seizure_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seizure_items_record_id'))

    op.drop_table('seizure_items')
    op.drop_table('seizures')
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentions_record_id'))
        batch_op.drop_index(batch_op.f('ix_mentions_entity_id'))

    op.drop_table('mentions')
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_records_supersedes'))
        batch_op.drop_index(batch_op.f('ix_records_received_at'))
        batch_op.drop_index(batch_op.f('ix_records_device_id'))
        batch_op.drop_index(batch_op.f('ix_records_country'))
        batch_op.drop_index(batch_op.f('ix_records_agency_id'))

    op.drop_table('records')
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantine_rid'))
        batch_op.drop_index(batch_op.f('ix_quarantine_received_at'))
        batch_op.drop_index(batch_op.f('ix_quarantine_device_id'))

    op.drop_table('quarantine')
    with op.batch_alter_table('request_nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_nonces_seen_at'))

    op.drop_table('request_nonces')
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_device_seq')

    op.drop_table('ledger')
    op.drop_table('enrollment_tokens')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_agency_id'))

    op.drop_table('users')
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entities_schema'))
        batch_op.drop_index(batch_op.f('ix_entities_agency_id'))

    op.drop_table('entities')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_agency_id'))

    op.drop_table('devices')
    with op.batch_alter_table('server_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_server_keys_purpose'))

    op.drop_table('server_keys')
    op.drop_table('ledger_head')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agencies_country'))

    op.drop_table('agencies')
