"""why awareness (the start of the AP's 72 hours) came later than the discovery

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('incidents', sa.Column('awareness_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    # not a batch operation: SQLite refuses to copy a table other tables refer to (see 0010)
    op.execute('ALTER TABLE incidents DROP COLUMN awareness_reason')
