"""embargo, rights expiry and usage terms: galleries.embargo_until; assets.embargo_until, rights_expire_on,
withdrawn_at; licence, usage_terms and restrictions on both

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('galleries') as batch_op:
        batch_op.add_column(sa.Column('embargo_until', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_galleries_embargo_until'), ['embargo_until'], unique=False)
        _rights_columns(batch_op)
    with op.batch_alter_table('assets') as batch_op:
        batch_op.add_column(sa.Column('embargo_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('rights_expire_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        _rights_columns(batch_op)
        batch_op.create_index(batch_op.f('ix_assets_embargo_until'), ['embargo_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_rights_expire_on'), ['rights_expire_on'], unique=False)


def _rights_columns(batch_op) -> None:
    batch_op.add_column(sa.Column('licence', sa.String(length=32), nullable=False, server_default=''))
    batch_op.add_column(sa.Column('usage_terms', sa.String(length=500), nullable=False, server_default=''))
    batch_op.add_column(sa.Column('restrictions', sa.String(length=500), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('assets') as batch_op:
        for name in ('restrictions', 'usage_terms', 'licence'):
            batch_op.drop_column(name)
        batch_op.drop_index(batch_op.f('ix_assets_rights_expire_on'))
        batch_op.drop_index(batch_op.f('ix_assets_embargo_until'))
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('rights_expire_on')
        batch_op.drop_column('embargo_until')
    with op.batch_alter_table('galleries') as batch_op:
        for name in ('restrictions', 'usage_terms', 'licence'):
            batch_op.drop_column(name)
        batch_op.drop_index(batch_op.f('ix_galleries_embargo_until'))
        batch_op.drop_column('embargo_until')
