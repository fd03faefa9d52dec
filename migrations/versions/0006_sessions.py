"""sessions: a row per signed-in browser (logout deletes it); the per-user session stamp goes

Revision ID: 0006a
Revises: 0005
Create Date: 2026-12-07 01:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006a'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_user_sessions_user_id', ['user_id'], unique=False)

    # A plain ALTER TABLE, not a batch copy: on SQLite, recreating `users` would drop the old
    # table, and with foreign keys on that deletes every row that references a user.
    # Cookies of the "id:stamp" format are refused from now on: everybody signs in once more.
    op.drop_column('users', 'session_stamp')


def downgrade():
    op.add_column('users', sa.Column('session_stamp', sa.String(length=16), nullable=False,
                                     server_default='0000000000000000'))
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_user_sessions_user_id')

    op.drop_table('user_sessions')
