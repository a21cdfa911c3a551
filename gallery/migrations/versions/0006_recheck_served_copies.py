"""served originals made again for every asset: the cleaners of 0006 remove what older ones kept

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Before this revision GIFs were served as stored, and JPEG, TIFF, HEIC and MP4 copies kept
    # IPTC sub-location, maker notes and GPS in later TIFF pages. Forgetting the record makes
    # served.ensure build a clean copy on first use (same key: the old file is replaced); a copy
    # no longer needed is left for `gallery check --repair` to remove as an orphan.
    assets = sa.table('assets', sa.column('served_key', sa.String),
                      sa.column('served_bytes', sa.BigInteger),
                      sa.column('served_crc32', sa.BigInteger))
    op.execute(assets.update().values(served_key=None, served_bytes=None, served_crc32=None))


def downgrade() -> None:
    pass  # nothing to undo: the clean copies stay valid for the older code too
