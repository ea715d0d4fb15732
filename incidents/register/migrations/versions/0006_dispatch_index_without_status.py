"""the dispatch's index without the status: a status change no longer moves index entries

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


def downgrade() -> None:
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.drop_index('ix_subjects_dispatch_cursor')
        batch_op.create_index('ix_subjects_dispatch_order', ['incident_id', 'status', 'language', 'id'], unique=False)
