"""lightboxes: lightboxes, lightbox_items, lightbox_links (shared and press-kit links),
press_kit_acceptances; download_events.link_id

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'lightboxes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('is_default', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_lightboxes_user_id'), 'lightboxes', ['user_id'], unique=False)
    op.create_table(
        'lightbox_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lightbox_id', sa.Integer(), nullable=False),
        sa.Column('asset_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['lightbox_id'], ['lightboxes.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('lightbox_id', 'asset_id', name='uq_lightbox_items_asset'),
    )
    op.create_index(op.f('ix_lightbox_items_asset_id'), 'lightbox_items', ['asset_id'], unique=False)
    op.create_table(
        'lightbox_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lightbox_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('label', sa.String(length=120), nullable=False),
        sa.Column('sizes', sa.JSON(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['lightbox_id'], ['lightboxes.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index(op.f('ix_lightbox_links_lightbox_id'), 'lightbox_links', ['lightbox_id'], unique=False)
    op.create_table(
        'press_kit_acceptances',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('terms_version', sa.Integer(), nullable=False),
        sa.Column('accepted_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['link_id'], ['lightbox_links.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_press_kit_acceptances_link_id'), 'press_kit_acceptances', ['link_id'],
                    unique=False)
    with op.batch_alter_table('download_events') as batch_op:
        batch_op.add_column(sa.Column('link_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_download_events_link_id'), ['link_id'], unique=False)
        batch_op.create_foreign_key('fk_download_events_link_id', 'lightbox_links', ['link_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('download_events') as batch_op:
        batch_op.drop_constraint('fk_download_events_link_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_download_events_link_id'))
        batch_op.drop_column('link_id')
    op.drop_index(op.f('ix_press_kit_acceptances_link_id'), table_name='press_kit_acceptances')
    op.drop_table('press_kit_acceptances')
    op.drop_index(op.f('ix_lightbox_links_lightbox_id'), table_name='lightbox_links')
    op.drop_table('lightbox_links')
    op.drop_index(op.f('ix_lightbox_items_asset_id'), table_name='lightbox_items')
    op.drop_table('lightbox_items')
    op.drop_index(op.f('ix_lightboxes_user_id'), table_name='lightboxes')
    op.drop_table('lightboxes')
