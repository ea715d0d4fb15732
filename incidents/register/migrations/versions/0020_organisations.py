"""organisations in the register: every incident belongs to one, and names the version of its profile

A register of the previous release becomes the one organisation "default" (id 1), the workspace's own, whose
profile stays the file BREACH_PROFILE; its versions are recorded as they are read. No row changes otherwise,
so the audit chain verifies as before.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    organisations = op.create_table(
        'organisations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('slug'),
    )
    op.create_table(
        'profile_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('organisation_id', 'version', name='uq_profile_version'),
    )
    op.create_index(op.f('ix_profile_versions_organisation_id'), 'profile_versions', ['organisation_id'])
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)  # the register keeps UTC without a zone on SQLite (tables.UTCDateTime)
    op.bulk_insert(organisations, [{'id': 1, 'slug': 'default', 'created_at': now}])
    if op.get_bind().dialect.name == 'postgresql':  # the id given: move the sequence past it
        op.execute("SELECT setval(pg_get_serial_sequence('organisations', 'id'), (SELECT max(id) FROM organisations))")
    # plain ALTER TABLE ... ADD COLUMN (a batch operation would copy the table; see 0010): every incident so far
    # is the default organisation's
    # (no foreign key: SQLite cannot add one to an existing table without copying it; the services check it)
    op.add_column('incidents', sa.Column('organisation_id', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('incidents', sa.Column('profile_version', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_incidents_organisation_id'), 'incidents', ['organisation_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_incidents_organisation_id'), table_name='incidents')
    op.execute('ALTER TABLE incidents DROP COLUMN profile_version')  # no table copy (see 0010)
    op.execute('ALTER TABLE incidents DROP COLUMN organisation_id')
    op.drop_index(op.f('ix_profile_versions_organisation_id'), table_name='profile_versions')
    op.drop_table('profile_versions')
    op.drop_table('organisations')
