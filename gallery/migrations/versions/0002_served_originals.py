"""served originals: key, size and CRC-32 of the location-free copy every original download sends

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: assets ingested before this revision get their served copy on first use.
    with op.batch_alter_table('assets') as batch:
        batch.add_column(sa.Column('served_key', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('served_bytes', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('served_crc32', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('assets') as batch:
        batch.drop_column('served_crc32')
        batch.drop_column('served_bytes')
        batch.drop_column('served_key')
