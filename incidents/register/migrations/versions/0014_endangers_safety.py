"""the assessment records whether the disclosure endangers a person's physical safety (the recipient can locate
or reach someone who must be protected from them); earlier assessments did not say so (false)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('assessments', sa.Column('endangers_safety', sa.Boolean(), nullable=False,
                                           server_default=sa.false()))


def downgrade() -> None:
    op.execute('ALTER TABLE assessments DROP COLUMN endangers_safety')  # no table copy (see 0010)
