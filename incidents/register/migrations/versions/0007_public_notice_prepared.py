"""a public communication is 'prepared' when written and 'published' when put online

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # versions written before this revision were recorded 'done' with the moment they were written; they were
    # not published as far as the register knows
    op.execute("UPDATE notices SET status = 'prepared', finished_at = NULL "
               "WHERE kind = 'public_notice' AND status = 'done'")


def downgrade() -> None:
    op.execute("UPDATE notices SET status = 'done', finished_at = started_at "
               "WHERE kind = 'public_notice' AND status IN ('prepared', 'published')")
