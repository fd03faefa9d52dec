"""runs: a run of like activities shows as one stream card, a batch of actions given to one person
as one notification

- activities.run_size, activities.folded: the run's newest activity counts the run, the others are
  folded into it (kept, out of the streams);
- notifications.run_size: how many items of one group a notification stands for.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 19:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('activities', sa.Column('run_size', sa.Integer(), nullable=True))
    op.add_column('activities', sa.Column('folded', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('notifications', sa.Column('run_size', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('run_size')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('folded')
        batch_op.drop_column('run_size')
