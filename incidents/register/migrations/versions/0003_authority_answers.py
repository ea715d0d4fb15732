"""answers to the AP form questions no other fact supplies

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('authority_answers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.String(length=20), nullable=False),
    sa.Column('question', sa.String(length=10), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('authority_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authority_answers_incident_id'), ['incident_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('authority_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authority_answers_incident_id'))

    op.drop_table('authority_answers')

