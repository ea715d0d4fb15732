"""a dispatch batch names its people: language and id range, so the batch row alone is the claim

Until now each person of a batch was set 'sending' before the request and 'sent' after it, two updates per
person; now the batch row ('sending', committed before the request) says which people it is for, and the people
go from pending to sent once. People left 'sending' by a run of the previous release are still sent again by
the next run (the batch rows of that release keep empty columns: their people say they are in flight).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN: no table copy (see 0010)
    op.add_column('dispatch_batches', sa.Column('language', sa.String(length=2), nullable=True))
    op.add_column('dispatch_batches', sa.Column('first_id', sa.Integer(), nullable=True))
    op.add_column('dispatch_batches', sa.Column('last_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    # the previous release knows a batch in flight by its people: the claimed people of a batch left 'sending'
    # become 'sending' again, so that release's next run sends them again as it would have
    for kind, column in (('subject_notice', 'status'), ('subject_update', 'update_status')):
        op.execute(f"UPDATE subjects SET {column} = 'sending' WHERE {column} = 'pending' AND EXISTS ("
                   "SELECT 1 FROM dispatch_batches b WHERE b.incident_id = subjects.incident_id "
                   f"AND b.kind = '{kind}' AND b.status = 'sending' AND b.language = subjects.language "
                   "AND subjects.id BETWEEN b.first_id AND b.last_id)")
    for column in ('last_id', 'first_id', 'language'):
        op.drop_column('dispatch_batches', column)  # plain ALTER TABLE DROP COLUMN (see 0021)
