"""why an incident was closed while a duty (the AP notice or the people's notice) was still open

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('incidents', sa.Column('closed_despite', sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute('ALTER TABLE incidents DROP COLUMN closed_despite')  # no table copy (see 0010)
