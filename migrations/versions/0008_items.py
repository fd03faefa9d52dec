"""items: real foreign keys for what a follow names and for a question's good answer, and one
"already opened" row per person and item

- follows: the followed person, document or tag in a column of its own (person_id and
  document_id are foreign keys, deleted in cascade with what they name), in place of an id
  written as text in `key`;
- publications.accepted_comment_id: a foreign key (set to NULL if the comment goes);
- item_views: unique per person and item (two views at the same moment inserted two rows),
  the duplicates merged into the latest.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 05:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    _follows_up()
    # A good answer that points at no comment is no answer.
    op.execute("UPDATE publications SET accepted_comment_id = NULL WHERE accepted_comment_id IS NOT NULL "
               "AND accepted_comment_id NOT IN (SELECT id FROM comments)")
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_publications_accepted_comment_id_comments'), 'comments',
                                    ['accepted_comment_id'], ['id'], ondelete='SET NULL', use_alter=True)
    for column in ('publication_id', 'document_id'):
        # Keep the latest view of each person and item.
        op.execute(f"DELETE FROM item_views WHERE {column} IS NOT NULL AND EXISTS (SELECT 1 FROM item_views AS later "
                   f"WHERE later.user_id = item_views.user_id AND later.{column} = item_views.{column} "
                   "AND (later.viewed_at > item_views.viewed_at "
                   "OR (later.viewed_at = item_views.viewed_at AND later.id > item_views.id)))")
    with op.batch_alter_table('item_views', schema=None) as batch_op:
        batch_op.drop_index('ix_item_views_user_id_publication_id')
        batch_op.drop_index('ix_item_views_user_id_document_id')
        batch_op.create_index('ix_item_views_user_id_publication_id', ['user_id', 'publication_id'], unique=True)
        batch_op.create_index('ix_item_views_user_id_document_id', ['user_id', 'document_id'], unique=True)
    _gather_sqlite_statistics(('follows', 'publications', 'item_views'))


def _gather_sqlite_statistics(tables):
    """SQLite alters a table by building a new one, and the query planner's statistics of the old
    one (sqlite_stat1) go with it: gather them again where the database kept any."""
    connection = op.get_bind()
    if connection.dialect.name != 'sqlite':
        return
    if connection.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first() is None:
        return
    for table in tables:
        op.execute(f'ANALYZE "{table}"')


def _follows_up():
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tag', sa.String(length=50), nullable=True))
    follows = sa.table('follows', sa.column('id', sa.Integer), sa.column('target', sa.String),
                       sa.column('key', sa.String), sa.column('person_id', sa.Integer),
                       sa.column('document_id', sa.Integer), sa.column('tag', sa.String))
    connection = op.get_bind()
    users = {row[0] for row in connection.execute(sa.text("SELECT id FROM users"))}
    documents = {row[0] for row in connection.execute(sa.text("SELECT id FROM documents"))}
    gone = []
    for follow_id, target, key in connection.execute(sa.select(follows.c.id, follows.c.target, follows.c.key)):
        if target == 'tag':
            values = {'tag': key}
        elif key.isdigit() and int(key) in (users if target == 'person' else documents):
            values = {'person_id' if target == 'person' else 'document_id': int(key)}
        else:  # a follow of a person or document deleted since: nothing left to follow
            gone.append(follow_id)
            continue
        connection.execute(sa.update(follows).where(follows.c.id == follow_id).values(**values))
    if gone:
        connection.execute(sa.delete(follows).where(follows.c.id.in_(gone)))
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.drop_index('ix_follows_target_key')
        batch_op.drop_constraint('uq_follows_user_id_target_key', type_='unique')
        batch_op.drop_column('key')
        batch_op.create_foreign_key(batch_op.f('fk_follows_person_id_users'), 'users', ['person_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_follows_document_id_documents'), 'documents', ['document_id'],
                                    ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(
            op.f('ck_follows_one_target'), "(target = 'person') = (person_id IS NOT NULL) AND (target = 'document') = "
                          "(document_id IS NOT NULL) AND (target = 'tag') = (tag IS NOT NULL)")
        batch_op.create_unique_constraint(batch_op.f('uq_follows_user_id_person_id'), ['user_id', 'person_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_follows_user_id_document_id'), ['user_id', 'document_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_follows_user_id_tag'), ['user_id', 'tag'])
        batch_op.create_index('ix_follows_person_id', ['person_id'], unique=False)
        batch_op.create_index('ix_follows_document_id', ['document_id'], unique=False)
        batch_op.create_index('ix_follows_tag', ['tag'], unique=False)


def downgrade():
    with op.batch_alter_table('item_views', schema=None) as batch_op:
        batch_op.drop_index('ix_item_views_user_id_document_id')
        batch_op.drop_index('ix_item_views_user_id_publication_id')
        batch_op.create_index('ix_item_views_user_id_publication_id', ['user_id', 'publication_id'], unique=False)
        batch_op.create_index('ix_item_views_user_id_document_id', ['user_id', 'document_id'], unique=False)
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_publications_accepted_comment_id_comments'), type_='foreignkey')
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=50), nullable=True))
    op.execute("UPDATE follows SET key = COALESCE(tag, CAST(COALESCE(person_id, document_id) AS VARCHAR(50)))")
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.drop_index('ix_follows_tag')
        batch_op.drop_index('ix_follows_document_id')
        batch_op.drop_index('ix_follows_person_id')
        batch_op.drop_constraint(batch_op.f('uq_follows_user_id_tag'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_follows_user_id_document_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_follows_user_id_person_id'), type_='unique')
        batch_op.drop_constraint(op.f('ck_follows_one_target'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_follows_document_id_documents'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_follows_person_id_users'), type_='foreignkey')
        batch_op.drop_column('tag')
        batch_op.drop_column('document_id')
        batch_op.drop_column('person_id')
        batch_op.alter_column('key', existing_type=sa.String(length=50), nullable=False)
        batch_op.create_unique_constraint('uq_follows_user_id_target_key', ['user_id', 'target', 'key'])
        batch_op.create_index('ix_follows_target_key', ['target', 'key'], unique=False)
    _gather_sqlite_statistics(('follows', 'publications', 'item_views'))
