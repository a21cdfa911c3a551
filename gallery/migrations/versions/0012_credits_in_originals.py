"""served originals made again with the catalogue's credits written in: a "credits" piece for every asset with one

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Served copies made before this revision carry no caption or credit. A pending "credits"
    # piece with no lease is queued by the first sweep; it makes a credited copy (a new key) and
    # downloads send the old one until then. No file is touched here.
    op.execute(
        "UPDATE asset_work SET state = 'pending', attempts = 0, reason = '', lease_until = NULL, "
        "not_before = NULL WHERE piece = 'credits'")
    op.execute(
        "INSERT INTO asset_work (asset_id, piece, state, attempts, reason, updated_at) "
        "SELECT id, 'credits', 'pending', 0, '', CURRENT_TIMESTAMP FROM assets "
        "WHERE served_key IS NOT NULL AND deleted_at IS NULL AND id NOT IN "
        "(SELECT asset_id FROM asset_work WHERE piece = 'credits')")


def downgrade() -> None:
    pass  # the pieces are derived work: leaving them does no harm
