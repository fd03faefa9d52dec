"""delivered notification emails: a notification points at its email in the outbox

- notifications.email_id: the immediate email queued for it; the digest leaves its item out once
  that email was delivered (outbound_emails.sent_at), not when it was queued;
- notifications.emailed_at goes: it said "queued", which the digest took for "received";
- digest_deliveries.lease_until goes: a send's row is committed just before its last line leaves,
  so nothing is leased any more (rse.digest.deliveries).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 02:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notifications_email_id_outbound_emails'), 'outbound_emails',
                                    ['email_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_column('emailed_at')
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.drop_column('lease_until')


def downgrade():
    with op.batch_alter_table('digest_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f('fk_notifications_email_id_outbound_emails'), type_='foreignkey')
        batch_op.drop_column('email_id')
