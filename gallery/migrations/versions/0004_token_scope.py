"""api_tokens.scope: the kind of a token (editor or download), so token lists can show it

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(sa.Column('scope', sa.String(length=20), nullable=False,
                                   server_default='editor'))
    # Only the hash of a token is stored, but its creation was logged with its scope.
    log = sa.table('activity_log', sa.column('action', sa.String), sa.column('details', sa.JSON))
    tokens = sa.table('api_tokens', sa.column('id', sa.Integer), sa.column('scope', sa.String))
    conn = op.get_bind()
    download = [row.details.get('token_id') for row in
                conn.execute(sa.select(log.c.details).where(log.c.action == 'token.create'))
                if isinstance(row.details, dict) and row.details.get('scope') == 'download']
    if download:
        conn.execute(tokens.update().where(tokens.c.id.in_(download)).values(scope='download'))


def downgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_column('scope')
