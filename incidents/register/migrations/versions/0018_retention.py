"""retention of the people's data (GDPR art. 5(1)(e)): when they were deleted, a postponement and its reason

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('incidents', sa.Column('people_purged_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('incidents', sa.Column('purge_postponed_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('incidents', sa.Column('purge_postponed_reason', sa.Text(), nullable=True))
    op.add_column('subjects', sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('dispatch_batches', sa.Column('provider_message_id', sa.String(length=200), nullable=True))


def downgrade() -> None:
    for table, column in (('dispatch_batches', 'provider_message_id'), ('subjects', 'purged_at'), ('incidents', 'purge_postponed_reason'),
                          ('incidents', 'purge_postponed_until'), ('incidents', 'people_purged_at')):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')  # no table copy (see 0010)
