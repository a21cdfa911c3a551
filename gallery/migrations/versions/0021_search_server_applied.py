"""search_servers.cursor_applied: the entries a server applied past its cursor's position

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('search_servers') as batch:
        batch.add_column(sa.Column('cursor_applied', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('search_servers') as batch:
        batch.drop_column('cursor_applied')
