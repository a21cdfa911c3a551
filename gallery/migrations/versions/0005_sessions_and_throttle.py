"""rate_limits: log-in failure counters in the database, shared by every worker without Redis

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rate_limits',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('window_ends', sa.Float(), nullable=False),
        sa.Column('last_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index('ix_rate_limits_window_ends', 'rate_limits', ['window_ends'])


def downgrade() -> None:
    op.drop_index('ix_rate_limits_window_ends', table_name='rate_limits')
    op.drop_table('rate_limits')
