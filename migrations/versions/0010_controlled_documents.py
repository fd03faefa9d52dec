"""controlled documents: a document's code, type and scope, its writers, checkers and approvers,
the circuits of its versions with their decisions, its lock, and its reading campaigns

- controlled_documents: one row beside a Document that is controlled (code unique in the group);
- controlled_roles, controlled_circuits (one open at most), controlled_decisions (added, never changed);
- reading_campaigns, reading_requirements: who must read which version in force, and who did;
- activities.verb gains 'in_force'; notifications.kind gains 'circuit' and 'reading', and notifications
  say which step (event) of which version they are about.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 15:08:20.970696

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('controlled_documents',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('code_key', sa.String(length=40), nullable=False),
    sa.Column('doc_type', sa.String(length=16), nullable=False),
    sa.Column('applies_to', sa.JSON(), nullable=False),
    sa.Column('approval_rule', sa.String(length=3), nullable=False),
    sa.Column('review_months', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('in_force_number', sa.Integer(), nullable=True),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_reminded_for', sa.Date(), nullable=True),
    sa.Column('locked_by_id', sa.Integer(), nullable=True),
    sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lock_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("approval_rule IN ('all', 'any')", name=op.f('ck_controlled_documents_approval_rule')),
    sa.CheckConstraint("doc_type IN ('protocol', 'procedure', 'instruction', 'form', 'record', 'other')", name=op.f('ck_controlled_documents_doc_type')),
    sa.CheckConstraint("status IN ('draft', 'in_force', 'withdrawn')", name=op.f('ck_controlled_documents_status')),
    sa.CheckConstraint('review_months BETWEEN 1 AND 120', name=op.f('ck_controlled_documents_review_months')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_controlled_documents_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_controlled_documents_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['locked_by_id'], ['users.id'], name=op.f('fk_controlled_documents_locked_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_controlled_documents')),
    sa.UniqueConstraint('code_key', name=op.f('uq_controlled_documents_code_key'))
    )
    with op.batch_alter_table('controlled_documents', schema=None) as batch_op:
        batch_op.create_index('ix_controlled_documents_community_id', ['community_id'], unique=False)

    op.create_table('controlled_circuits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('renewal', sa.Boolean(), nullable=False),
    sa.Column('stage', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("stage IN ('checking', 'approval', 'approved', 'returned', 'cancelled')", name=op.f('ck_controlled_circuits_stage')),
    sa.ForeignKeyConstraint(['document_id'], ['controlled_documents.document_id'], name=op.f('fk_controlled_circuits_document_id_controlled_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_controlled_circuits_submitted_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_controlled_circuits'))
    )
    with op.batch_alter_table('controlled_circuits', schema=None) as batch_op:
        batch_op.create_index('ix_controlled_circuits_document_id', ['document_id', 'id'], unique=False)
        batch_op.create_index('uq_controlled_circuits_open', ['document_id'], unique=True, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))

    op.create_table('controlled_roles',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.CheckConstraint("role IN ('writer', 'checker', 'approver')", name=op.f('ck_controlled_roles_role')),
    sa.ForeignKeyConstraint(['document_id'], ['controlled_documents.document_id'], name=op.f('fk_controlled_roles_document_id_controlled_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_controlled_roles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', 'user_id', 'role', name=op.f('pk_controlled_roles'))
    )
    with op.batch_alter_table('controlled_roles', schema=None) as batch_op:
        batch_op.create_index('ix_controlled_roles_user_id', ['user_id'], unique=False)

    op.create_table('reading_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reading_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['controlled_documents.document_id'], name=op.f('fk_reading_campaigns_document_id_controlled_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_campaigns'))
    )
    with op.batch_alter_table('reading_campaigns', schema=None) as batch_op:
        batch_op.create_index('ix_reading_campaigns_document_id', ['document_id'], unique=False)

    op.create_table('controlled_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circuit_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=10), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('verdict', sa.String(length=8), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("stage IN ('checking', 'approval')", name=op.f('ck_controlled_decisions_stage')),
    sa.CheckConstraint("verdict IN ('approve', 'return')", name=op.f('ck_controlled_decisions_verdict')),
    sa.ForeignKeyConstraint(['circuit_id'], ['controlled_circuits.id'], name=op.f('fk_controlled_decisions_circuit_id_controlled_circuits'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['controlled_documents.document_id'], name=op.f('fk_controlled_decisions_document_id_controlled_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_controlled_decisions_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_controlled_decisions')),
    sa.UniqueConstraint('circuit_id', 'stage', 'user_id', name=op.f('uq_controlled_decisions_circuit_id_stage_user_id'))
    )
    op.create_table('reading_requirements',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_version', sa.Integer(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('via_communities', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['reading_campaigns.id'], name=op.f('fk_reading_requirements_campaign_id_reading_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['controlled_documents.document_id'], name=op.f('fk_reading_requirements_document_id_controlled_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reading_requirements_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'user_id', name=op.f('pk_reading_requirements'))
    )
    with op.batch_alter_table('reading_requirements', schema=None) as batch_op:
        batch_op.create_index('ix_reading_requirements_document_id', ['document_id'], unique=False)
        batch_op.create_index('ix_reading_requirements_user_pending', ['user_id', 'confirmed_at'], unique=False)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event', sa.String(length=16), server_default='', nullable=False))
        batch_op.add_column(sa.Column('version_number', sa.Integer(), nullable=True))
    _checks("verb IN ('published', 'edited', 'uploaded', 'suggested', 'in_force')",
            "kind IN ('mention', 'suggestion', 'comment', 'answer', 'followed', 'version', 'circuit', 'reading')")


def _checks(verb: str, kind: str) -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_activities_verb'), type_='check')
        batch_op.create_check_constraint(op.f('ck_activities_verb'), verb)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_kind'), kind)


def downgrade():
    op.execute("DELETE FROM notifications WHERE kind IN ('circuit', 'reading')")
    op.execute("DELETE FROM activities WHERE verb = 'in_force'")
    _checks("verb IN ('published', 'edited', 'uploaded', 'suggested')",
            "kind IN ('mention', 'suggestion', 'comment', 'answer', 'followed', 'version')")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('version_number')
        batch_op.drop_column('event')
    with op.batch_alter_table('reading_requirements', schema=None) as batch_op:
        batch_op.drop_index('ix_reading_requirements_user_pending')
        batch_op.drop_index('ix_reading_requirements_document_id')

    op.drop_table('reading_requirements')
    op.drop_table('controlled_decisions')
    with op.batch_alter_table('reading_campaigns', schema=None) as batch_op:
        batch_op.drop_index('ix_reading_campaigns_document_id')

    op.drop_table('reading_campaigns')
    with op.batch_alter_table('controlled_roles', schema=None) as batch_op:
        batch_op.drop_index('ix_controlled_roles_user_id')

    op.drop_table('controlled_roles')
    with op.batch_alter_table('controlled_circuits', schema=None) as batch_op:
        batch_op.drop_index('uq_controlled_circuits_open', sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index('ix_controlled_circuits_document_id')

    op.drop_table('controlled_circuits')
    with op.batch_alter_table('controlled_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_controlled_documents_community_id')

    op.drop_table('controlled_documents')
