"""the follow-up message to the people when the investigation ends: how far it got per person

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('subjects', sa.Column('update_status', sa.String(length=20), nullable=True))
    op.add_column('subjects', sa.Column('update_sent_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute('ALTER TABLE subjects DROP COLUMN update_sent_at')  # no table copy (see 0010)
    op.execute('ALTER TABLE subjects DROP COLUMN update_status')
