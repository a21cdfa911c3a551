"""content in several languages: galleries.language (the original) and translations on galleries and assets

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('galleries') as batch:
        batch.add_column(sa.Column('language', sa.String(length=8), nullable=False,
                                   server_default='en'))
        batch.add_column(sa.Column('translations', sa.JSON(), nullable=False,
                                   server_default=sa.text("'{}'")))
    with op.batch_alter_table('assets') as batch:
        batch.add_column(sa.Column('translations', sa.JSON(), nullable=False,
                                   server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table('assets') as batch:
        batch.drop_column('translations')
    with op.batch_alter_table('galleries') as batch:
        batch.drop_column('language')
        batch.drop_column('translations')
