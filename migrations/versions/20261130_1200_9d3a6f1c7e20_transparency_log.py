"""The ledger becomes a transparency log: leaves over every column, stored perfect subtrees,
a head with its frontier, restore epochs, and a database that refuses to rewrite them

Revision ID: 9d3a6f1c7e20
Revises: 5b7e2c9d4f11
Create Date: 2026-11-30 12:00:00

The hash chain (chain_hash, which covered idx, rid, env_sha256 and received_at only) is
replaced by an RFC 9162 Merkle tree whose leaves cover every column (PROTOCOL.md §9). Rows
that exist become leaves, in idx order, with status "received"; the tree is built over them
here, before the triggers forbid rewriting them. The leaf and node hashes are written out
below rather than imported, so that this migration keeps building the tree of leaf rule v1
whatever the code says later.
"""
import base64
import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import op

from server.sync import guard

# revision identifiers, used by Alembic.
revision = '9d3a6f1c7e20'
down_revision = '5b7e2c9d4f11'
branch_labels = None
depends_on = None

BATCH = 5000
_EPOCH, _MICROSECOND = datetime(1970, 1, 1), timedelta(microseconds=1)


def _b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _leaf_v1(row):
    received_us = (row.received_at - _EPOCH) // _MICROSECOND  # stored as naive UTC
    fields = [str(row.idx), row.rid, row.device_id, str(row.seq), _b64u(bytes(row.env_sha256)), str(received_us),
              "" if row.clock_offset_ms is None else str(row.clock_offset_ms), "received"]
    return hashlib.sha256(b"\x00" + b"wildledger/v1/leaf\x00" + "\n".join(fields).encode("utf-8")).digest()


def _node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def _build_tree(connection):
    """Leaves in idx order; every perfect subtree stored; the head's size, root, frontier."""
    nodes = sa.table("ledger_nodes", sa.column("level", sa.SmallInteger), sa.column("idx", sa.BigInteger),
                     sa.column("hash", sa.LargeBinary))
    frontier, size, pending = [], 0, []
    ledger = sa.table("ledger", sa.column("idx", sa.BigInteger), sa.column("rid", sa.String),
                      sa.column("device_id", sa.String), sa.column("seq", sa.BigInteger),
                      sa.column("env_sha256", sa.LargeBinary), sa.column("received_at", sa.DateTime),
                      sa.column("clock_offset_ms", sa.BigInteger))
    rows = connection.execute(sa.select(ledger).order_by(ledger.c.idx)
                              .execution_options(stream_results=True, yield_per=BATCH))
    for row in rows:
        if row.idx != size + 1:
            raise RuntimeError(f"ledger row {size + 1} is missing: run `flask ledger verify` on the old "
                               "release and restore the ledger before upgrading")
        carry, level, index = _leaf_v1(row), 0, size
        pending.append({"level": 0, "idx": index, "hash": carry})
        while (size >> level) & 1:
            carry = _node(frontier.pop(), carry)
            level, index = level + 1, index >> 1
            pending.append({"level": level, "idx": index, "hash": carry})
        frontier.append(carry)
        size += 1
        if len(pending) >= BATCH:
            connection.execute(nodes.insert(), pending)
            pending = []
    rows.close()
    if pending:
        connection.execute(nodes.insert(), pending)
    root = hashlib.sha256(b"").digest()
    if frontier:
        root = frontier[-1]
        for left in reversed(frontier[:-1]):
            root = _node(left, root)
    connection.execute(sa.text("UPDATE ledger_head SET size = :size, root = :root, frontier = :frontier, epoch = 0"),
                       {"size": size, "root": root, "frontier": b"".join(frontier)})


def upgrade():
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), server_default='received', nullable=False))
        batch_op.drop_constraint('uq_ledger_rid', type_='unique')
        batch_op.create_unique_constraint('uq_ledger_rid_env_sha256', ['rid', 'env_sha256'])
        batch_op.drop_column('chain_hash')
    op.create_index('uq_ledger_rid_primary', 'ledger', ['rid'], unique=True,
                    sqlite_where=sa.text("status <> 'conflict'"), postgresql_where=sa.text("status <> 'conflict'"))

    op.create_table('ledger_nodes',
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('level', 'idx', name=op.f('pk_ledger_nodes'))
    )
    op.create_table('ledger_epochs',
    sa.Column('epoch', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('previous', sa.BigInteger(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('time_ms', sa.BigInteger(), nullable=False),
    sa.Column('kid', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('epoch', name=op.f('pk_ledger_epochs'))
    )
    with op.batch_alter_table('ledger_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('size', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('root', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('frontier', sa.LargeBinary(), nullable=False, server_default=sa.text("''")
                                      if op.get_bind().dialect.name == "sqlite" else sa.text("''::bytea")))
        batch_op.add_column(sa.Column('epoch', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.drop_column('chain_hash')
        batch_op.drop_column('idx')

    connection = op.get_bind()
    if connection.execute(sa.text("SELECT count(*) FROM ledger_head")).scalar() == 0:
        connection.execute(sa.text("INSERT INTO ledger_head (id, size, frontier, epoch) VALUES (1, 0, :empty, 0)"),
                           {"empty": b""})
    _build_tree(connection)
    with op.batch_alter_table('ledger_head', schema=None) as batch_op:
        batch_op.alter_column('root', existing_type=sa.LargeBinary(length=32), nullable=False)
        batch_op.alter_column('size', server_default=None)
        batch_op.alter_column('frontier', server_default=None)
        batch_op.alter_column('epoch', server_default=None)
    guard.install(connection, ["ledger", "ledger_nodes", "ledger_epochs"])


def downgrade():
    connection = op.get_bind()
    guard.uninstall(connection)
    op.drop_table('ledger_epochs')
    op.drop_table('ledger_nodes')
    # The chain cannot be recomputed here: the old release's `ledger verify` would fail.
    with op.batch_alter_table('ledger_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idx', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('chain_hash', sa.LargeBinary(length=32), nullable=True))
        batch_op.drop_column('epoch')
        batch_op.drop_column('frontier')
        batch_op.drop_column('root')
        batch_op.drop_column('size')
    op.drop_index('uq_ledger_rid_primary', table_name='ledger')
    with op.batch_alter_table('ledger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_hash', sa.LargeBinary(length=32), nullable=True))
        batch_op.drop_constraint('uq_ledger_rid_env_sha256', type_='unique')
        batch_op.create_unique_constraint('uq_ledger_rid', ['rid'])
        batch_op.drop_column('status')

