"""served originals of HEIC, HEIF and WebM assets made again: they used to be served as stored

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# Before this revision these types were served as stored, GPS and Matroska location tags included.
RECHECKED = ('image/heic', 'image/heif', 'video/webm')


def upgrade() -> None:
    # Forget the recorded copy (it was the original itself): served.ensure makes a clean one on
    # first use. A separate served file can only come from the new cleaners: it stays.
    assets = sa.table('assets', sa.column('mime_type', sa.String),
                      sa.column('storage_key', sa.String), sa.column('served_key', sa.String),
                      sa.column('served_bytes', sa.BigInteger),
                      sa.column('served_crc32', sa.BigInteger))
    op.execute(assets.update()
               .where(assets.c.mime_type.in_(RECHECKED),
                      assets.c.served_key == assets.c.storage_key)
               .values(served_key=None, served_bytes=None, served_crc32=None))


def downgrade() -> None:
    pass  # nothing to undo: the clean copies stay valid for the older code too
