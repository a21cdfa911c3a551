"""search log: the search outbox becomes an append-only change log in (txid, id) order; servers' cursors; the pruning floor

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The writing transaction's id (xid8, never wraps), as a number: a follower only passes entries
# of transactions older than every one still running, so a lower id committed later is never skipped.
PG_TXID = "(pg_current_xact_id()::text::bigint)"


def upgrade() -> None:
    # Rows already there are the pending ones of the old outbox: txid 0 puts them first, and an
    # index without a cursor file starts at (0, 0), so it applies exactly those.
    sqlite = op.get_bind().dialect.name == 'sqlite'
    # SQLite: the table is copied to gain AUTOINCREMENT; PostgreSQL keeps its table and sequence.
    with op.batch_alter_table('search_outbox', recreate='always' if sqlite else 'auto',
                              table_kwargs={'sqlite_autoincrement': True}) as batch:
        batch.add_column(sa.Column('txid', sa.BigInteger(), nullable=False, server_default='0'))
    if not sqlite:
        op.execute(f"ALTER TABLE search_outbox ALTER COLUMN txid SET DEFAULT {PG_TXID}")
    op.create_index('ix_search_outbox_position', 'search_outbox', ['txid', 'id'])
    op.create_index('ix_search_outbox_queued_at', 'search_outbox', ['queued_at'])
    op.create_table(
        'search_servers',
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('cursor_txid', sa.BigInteger(), nullable=False),
        sa.Column('cursor_id', sa.BigInteger(), nullable=False),
        sa.Column('last_seen', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_table(
        'search_log_floor',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('txid', sa.BigInteger(), nullable=False),
        sa.Column('entry_id', sa.BigInteger(), nullable=False),
        sa.Column('pruned_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('search_log_floor')
    op.drop_table('search_servers')
    op.drop_index('ix_search_outbox_queued_at', table_name='search_outbox')
    op.drop_index('ix_search_outbox_position', table_name='search_outbox')
    with op.batch_alter_table('search_outbox') as batch:
        batch.drop_column('txid')
