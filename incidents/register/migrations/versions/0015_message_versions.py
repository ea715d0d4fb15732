"""messages to the people are reviewed and approved before they are sent: versions, their parts per language,
the texts rendered from them, and who approved which digest

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'message_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('approved_by', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('incident_id', 'kind', 'version', name='uq_message_version'),
    )
    op.create_index('ix_message_versions_incident_id', 'message_versions', ['incident_id'])
    op.create_table(
        'message_parts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('part', sa.String(length=20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('proposed', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['message_versions.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'language', 'part', name='uq_message_part'),
    )
    op.create_index('ix_message_parts_version_id', 'message_parts', ['version_id'])
    op.create_table(
        'message_renders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('html', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['message_versions.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'language', name='uq_message_render'),
    )
    op.create_index('ix_message_renders_version_id', 'message_renders', ['version_id'])


def downgrade() -> None:
    op.drop_index('ix_message_renders_version_id', table_name='message_renders')
    op.drop_table('message_renders')
    op.drop_index('ix_message_parts_version_id', table_name='message_parts')
    op.drop_table('message_parts')
    op.drop_index('ix_message_versions_incident_id', table_name='message_versions')
    op.drop_table('message_versions')
