"""galleries: indexes that answer the public gallery lists, their counts and the dashboard without reading rows

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_galleries_listing': ['status', 'created_at', 'id', 'deleted_at', 'embargo_until',
                             'category_id', 'country_code'],
    'ix_galleries_category_place': ['category_id', 'country_code', 'status', 'deleted_at',
                                    'embargo_until'],
    'ix_galleries_country_place': ['country_code', 'category_id', 'status', 'deleted_at',
                                   'embargo_until'],
    'ix_galleries_updated': ['updated_at'],
    'ix_galleries_created_by': ['created_by_id'],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, 'galleries', columns, unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name='galleries')
