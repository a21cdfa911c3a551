"""proxies: every existing video and audio asset gets its web proxy piece, pending, for the sweeper; asset_work.progress

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('asset_work', sa.Column('progress', sa.Float(), nullable=True))
    # Those without a proxy yet (a database downgraded and upgraded again keeps its renditions):
    # pending with no lease: the first sweep (worker or embedded thread) queues them. Until each
    # is ready its asset is hidden from the public (policy.REQUIRED_PIECES), as a new upload is.
    op.execute(
        "INSERT INTO asset_work (asset_id, piece, state, attempts, reason, updated_at) "
        "SELECT id, 'proxy', 'pending', 0, '', CURRENT_TIMESTAMP FROM assets "
        "WHERE media_type IN ('video', 'audio') AND deleted_at IS NULL "
        "AND id NOT IN (SELECT asset_id FROM asset_work WHERE piece = 'proxy') "
        "AND id NOT IN (SELECT asset_id FROM renditions WHERE size IN ('web', 'audio'))")


def downgrade() -> None:
    op.execute("DELETE FROM asset_work WHERE piece = 'proxy'")
    with op.batch_alter_table('asset_work') as batch:
        batch.drop_column('progress')
