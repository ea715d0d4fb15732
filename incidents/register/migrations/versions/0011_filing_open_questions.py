"""how many questions of the AP form each filed notice left open, so the AP track tells phased from complete

Earlier filings keep NULL (not recorded): their track reads "filed". Both tracks are otherwise derived from the
rows the register already holds (incidents/tracks.py), so nothing else needs migrating.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('authority_filings', sa.Column('open_questions', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.execute('ALTER TABLE authority_filings DROP COLUMN open_questions')  # no table copy (see 0010)
