"""contacts: a person chooses whether colleagues see their phone, the directory filters by site
and job, and an invitation keeps the language its email was written in

- users.phone_visible: shown by default (a professional number), hidden on request;
- ix_users_site, ix_users_job_title: the directory's filters (organisation has its index);
- invitations.locale: the acceptance page and the account it creates follow it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('phone_visible', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_index('ix_users_site', 'users', ['site'], unique=False)
    op.create_index('ix_users_job_title', 'users', ['job_title'], unique=False)
    op.add_column('invitations', sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('locale')
    op.drop_index('ix_users_job_title', table_name='users')
    op.drop_index('ix_users_site', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone_visible')
