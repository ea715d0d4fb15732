"""the words each message to the people said, kept as sent (the AP's question 10.1 asks for them)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'message_texts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('incident_id', 'kind', 'version', 'language',
                            name='uq_message_text_incident_kind_version_language'),
    )
    with op.batch_alter_table('message_texts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_texts_incident_id'), ['incident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('message_texts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_texts_incident_id'))
    op.drop_table('message_texts')
