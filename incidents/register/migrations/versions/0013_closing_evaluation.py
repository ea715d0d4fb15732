"""the evaluation kept at closing (art. 33(5): the register documents the remedial action): what the
organisation learns from the breach and what it changes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('incidents', sa.Column('lessons', sa.Text(), nullable=True))
    op.add_column('incidents', sa.Column('improvements', sa.Text(), nullable=True))


def downgrade() -> None:
    for name in ('improvements', 'lessons'):
        op.execute(f'ALTER TABLE incidents DROP COLUMN {name}')  # no table copy (see 0010)
