"""asset_work: the state of each piece of an asset's derived work (large, served), the truth behind the job queue

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'asset_work',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('asset_id', sa.Integer(), nullable=False),
        sa.Column('piece', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.Column('not_before', sa.DateTime(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('asset_id', 'piece', name='uq_asset_work_asset_piece'),
    )
    op.create_index('ix_asset_work_state_lease', 'asset_work', ['state', 'lease_until'])
    # Existing assets: their missing large renditions and served copies become pending pieces
    # with no lease, so the first sweep (worker or embedded thread) queues them.
    op.execute(
        "INSERT INTO asset_work (asset_id, piece, state, attempts, reason, updated_at) "
        "SELECT id, 'large', 'pending', 0, '', CURRENT_TIMESTAMP FROM assets "
        "WHERE media_type = 'image' AND deleted_at IS NULL AND id NOT IN "
        "(SELECT asset_id FROM renditions WHERE size = 'large')")
    op.execute(
        "INSERT INTO asset_work (asset_id, piece, state, attempts, reason, updated_at) "
        "SELECT id, 'served', 'pending', 0, '', CURRENT_TIMESTAMP FROM assets "
        "WHERE served_key IS NULL AND deleted_at IS NULL")


def downgrade() -> None:
    op.drop_index('ix_asset_work_state_lease', table_name='asset_work')
    op.drop_table('asset_work')
