"""the dispatch's index without the status, and room in PostgreSQL's pages: a status change no longer moves
index entries

On PostgreSQL a row that changes only columns no index holds can be updated in place ("HOT", no new index
entries) when its page has room; fillfactor 60 leaves that room, so the dispatch's two status changes a person
cost a quarter of what they did. Rows written before this revision get the room when the table is rewritten
(VACUUM FULL subjects).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.drop_index('ix_subjects_dispatch_order')
        batch_op.create_index('ix_subjects_dispatch_cursor', ['incident_id', 'language', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE subjects SET (fillfactor = 60)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE subjects RESET (fillfactor)')
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.drop_index('ix_subjects_dispatch_cursor')
        batch_op.create_index('ix_subjects_dispatch_order', ['incident_id', 'status', 'language', 'id'], unique=False)
