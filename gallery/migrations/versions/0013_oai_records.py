"""oai records: each harvestable asset's OAI-PMH datestamp and fingerprint, kept as a tombstone
after it stops being public or is purged; the one row that orders datestamps

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'oai_records',
        sa.Column('asset_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('datestamp', sa.DateTime(), nullable=False),
        sa.Column('deleted', sa.Boolean(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('category', sa.String(length=120), nullable=True),
        sa.Column('country', sa.String(length=3), nullable=True),
        sa.Column('gallery_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('asset_id'),
    )
    op.create_index('ix_oai_records_datestamp', 'oai_records', ['datestamp', 'asset_id'])
    op.create_index('ix_oai_records_category', 'oai_records', ['category', 'datestamp', 'asset_id'])
    op.create_index('ix_oai_records_country', 'oai_records', ['country', 'datestamp', 'asset_id'])
    op.create_index('ix_oai_records_gallery', 'oai_records', ['gallery_id', 'datestamp', 'asset_id'])
    state = op.create_table(
        'oai_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('built', sa.Boolean(), nullable=False),
        sa.Column('touched_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    # Not built: the first harvest (or `gallery oai-rebuild`) gives every public asset a record.
    op.execute(state.insert().values(id=1, built=False, touched_at=sa.func.current_timestamp()))


def downgrade() -> None:
    op.drop_table('oai_state')
    op.drop_table('oai_records')
