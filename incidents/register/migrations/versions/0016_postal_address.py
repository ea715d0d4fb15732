"""a person may have a postal address, for a letter when the e-mail does not reach them, and the moment their
letter was written

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('subjects', sa.Column('postal_address', sa.Text(), nullable=True))
    op.add_column('subjects', sa.Column('letter_written_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute('ALTER TABLE subjects DROP COLUMN letter_written_at')  # no table copy (see 0010)
    op.execute('ALTER TABLE subjects DROP COLUMN postal_address')
