"""community names: unique among the communities a person sees (checked by the service), no longer
across the whole platform, where refusing a name told anyone that a secret community had it

Revision ID: 0007
Revises: 0006a
Create Date: 2026-12-07 02:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_constraint('uq_communities_name', type_='unique')
        batch_op.create_index('ix_communities_name', ['name'], unique=False)


def downgrade():
    # Names that now appear twice cannot be made unique again without renaming one: refuse.
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_index('ix_communities_name')
        batch_op.create_unique_constraint('uq_communities_name', ['name'])
