"""gallery_tallies: galleries counted per (category, country), kept before each commit; galleries.asset_count

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('galleries', sa.Column('asset_count', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE galleries SET asset_count = (SELECT COUNT(*) FROM assets "
               "WHERE assets.gallery_id = galleries.id AND assets.deleted_at IS NULL)")
    op.create_index('ix_galleries_asset_count', 'galleries', ['asset_count'], unique=False)
    op.create_table(
        'gallery_tallies',
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('country_code', sa.String(length=3), nullable=False),
        sa.Column('galleries', sa.Integer(), nullable=False),
        sa.Column('image_galleries', sa.Integer(), nullable=False),
        sa.Column('video_galleries', sa.Integer(), nullable=False),
        sa.Column('audio_galleries', sa.Integer(), nullable=False),
        sa.Column('items', sa.Integer(), nullable=False),
        sa.Column('drafts', sa.Integer(), nullable=False),
        sa.Column('published', sa.Integer(), nullable=False),
        sa.Column('next_change', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('category_id', 'country_code'),
    )
    # The counts of the galleries already there, as services/tallies.py keeps them.
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    op.execute(sa.text("""
        INSERT INTO gallery_tallies (category_id, country_code, galleries, image_galleries,
            video_galleries, audio_galleries, items, drafts, published, next_change)
        SELECT category_id, COALESCE(country_code, ''),
            SUM(CASE WHEN pub THEN 1 ELSE 0 END),
            SUM(CASE WHEN pub AND image_count > 0 THEN 1 ELSE 0 END),
            SUM(CASE WHEN pub AND video_count > 0 THEN 1 ELSE 0 END),
            SUM(CASE WHEN pub AND audio_count > 0 THEN 1 ELSE 0 END),
            SUM(CASE WHEN pub THEN image_count + video_count + audio_count ELSE 0 END),
            SUM(CASE WHEN status = 'draft' THEN 1 ELSE 0 END),
            SUM(CASE WHEN status = 'published' THEN 1 ELSE 0 END),
            MIN(CASE WHEN status = 'published' AND embargo_until > :now THEN embargo_until END)
        FROM (SELECT g.*, (status = 'published' AND (embargo_until IS NULL OR embargo_until <= :now))
                  AS pub FROM galleries g WHERE deleted_at IS NULL) AS live
        GROUP BY category_id, COALESCE(country_code, '')
    """).bindparams(now=now))


def downgrade() -> None:
    op.drop_table('gallery_tallies')
    op.drop_index('ix_galleries_asset_count', table_name='galleries')
    with op.batch_alter_table('galleries') as batch:
        batch.drop_column('asset_count')
