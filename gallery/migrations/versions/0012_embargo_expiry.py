"""embargo and rights expiry: galleries.embargo_until; assets.embargo_until, rights_expire_on, withdrawn_at

Revision ID: 0012
Revises: 0008
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('galleries') as batch_op:
        batch_op.add_column(sa.Column('embargo_until', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_galleries_embargo_until'), ['embargo_until'], unique=False)
    with op.batch_alter_table('assets') as batch_op:
        batch_op.add_column(sa.Column('embargo_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('rights_expire_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_assets_embargo_until'), ['embargo_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_rights_expire_on'), ['rights_expire_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('assets') as batch_op:
        batch_op.drop_index(batch_op.f('ix_assets_rights_expire_on'))
        batch_op.drop_index(batch_op.f('ix_assets_embargo_until'))
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('rights_expire_on')
        batch_op.drop_column('embargo_until')
    with op.batch_alter_table('galleries') as batch_op:
        batch_op.drop_index(batch_op.f('ix_galleries_embargo_until'))
        batch_op.drop_column('embargo_until')
