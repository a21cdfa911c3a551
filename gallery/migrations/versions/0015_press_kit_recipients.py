"""press-kit recipients: name, organisation and intended use with each acceptance;
download_events.acceptance_id (who downloaded a press-kit file)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('press_kit_acceptances') as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('organisation', sa.String(length=120), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('intended_use', sa.String(length=32), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('download_events') as batch_op:
        batch_op.add_column(sa.Column('acceptance_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_download_events_acceptance_id'), ['acceptance_id'],
                              unique=False)
        batch_op.create_foreign_key('fk_download_events_acceptance_id', 'press_kit_acceptances',
                                    ['acceptance_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('download_events') as batch_op:
        batch_op.drop_constraint('fk_download_events_acceptance_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_download_events_acceptance_id'))
        batch_op.drop_column('acceptance_id')
    with op.batch_alter_table('press_kit_acceptances') as batch_op:
        batch_op.drop_column('intended_use')
        batch_op.drop_column('organisation')
        batch_op.drop_column('name')
