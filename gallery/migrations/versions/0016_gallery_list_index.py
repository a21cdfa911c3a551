"""galleries: one index that answers the public gallery lists and their counts without reading rows

Revision ID: 0016
Revises: 0010
Create Date: 2026-12-05
"""
from alembic import op

revision = '0016'
down_revision = '0010'
branch_labels = None
depends_on = None

COLUMNS = ['status', 'created_at', 'id', 'deleted_at', 'embargo_until', 'category_id', 'country_code']


def upgrade() -> None:
    op.create_index('ix_galleries_listing', 'galleries', COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index('ix_galleries_listing', table_name='galleries')
