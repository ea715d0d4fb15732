"""the register's first tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('audit_log',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('incident_id', sa.String(length=20), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_incident_id'), ['incident_id'], unique=False)

    op.create_table('id_counters',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('incidents',
    sa.Column('id', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source_kind', sa.String(length=20), nullable=False),
    sa.Column('source_processor', sa.String(length=200), nullable=True),
    sa.Column('reported_by', sa.String(length=200), nullable=False),
    sa.Column('occurred_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('occurred_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('discovered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('aware_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('authority_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closing_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_status'), ['status'], unique=False)

    op.create_table('assessments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.String(length=20), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('confidentiality', sa.String(length=30), nullable=False),
    sa.Column('integrity', sa.String(length=30), nullable=False),
    sa.Column('availability', sa.String(length=30), nullable=False),
    sa.Column('malicious', sa.Boolean(), nullable=False),
    sa.Column('ease_of_identification', sa.String(length=20), nullable=False),
    sa.Column('profiling_possible', sa.Boolean(), nullable=False),
    sa.Column('reveals_sensitive_insight', sa.Boolean(), nullable=False),
    sa.Column('vulnerable_subjects', sa.Boolean(), nullable=False),
    sa.Column('publicly_available', sa.Boolean(), nullable=False),
    sa.Column('limited_insight', sa.Boolean(), nullable=False),
    sa.Column('full_financial_details', sa.Boolean(), nullable=False),
    sa.Column('count_min', sa.Integer(), nullable=False),
    sa.Column('count_max', sa.Integer(), nullable=False),
    sa.Column('contact_effort', sa.String(length=20), nullable=False),
    sa.Column('encryption', sa.String(length=30), nullable=False),
    sa.Column('key_compromised', sa.Boolean(), nullable=False),
    sa.Column('hashing', sa.String(length=30), nullable=False),
    sa.Column('backup_available', sa.Boolean(), nullable=False),
    sa.Column('exfiltration', sa.String(length=20), nullable=False),
    sa.Column('recovered', sa.Boolean(), nullable=False),
    sa.Column('recipient_trusted', sa.Boolean(), nullable=False),
    sa.Column('restored_within_hours', sa.Float(), nullable=True),
    sa.Column('measures_make_high_risk_unlikely', sa.Boolean(), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessments_incident_id'), ['incident_id'], unique=False)

    op.create_table('incident_systems',
    sa.Column('incident_id', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('incident_id', 'position')
    )
    op.create_table('notices',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('backend', sa.String(length=20), nullable=False),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'kind', 'version', name='uq_notice_incident_kind_version')
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_incident_id'), ['incident_id'], unique=False)

    op.create_table('subjects',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('email_key', sa.String(length=320), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.Column('source_line', sa.Integer(), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'email_key', name='uq_subject_incident_email')
    )
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.create_index('ix_subjects_incident_status', ['incident_id', 'status'], unique=False)

    op.create_table('assessment_categories',
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('vocabulary', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], ),
    sa.PrimaryKeyConstraint('assessment_id', 'position')
    )
    op.create_table('assessment_groups',
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('group_label', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], ),
    sa.PrimaryKeyConstraint('assessment_id', 'position')
    )
    op.create_table('authority_filings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.String(length=20), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('filed_by', sa.String(length=200), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('delay_reason', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('authority_filings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authority_filings_incident_id'), ['incident_id'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.String(length=20), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('notify_authority', sa.Boolean(), nullable=False),
    sa.Column('notify_subjects', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], ),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_incident_id'), ['incident_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_incident_id'))

    op.drop_table('decisions')
    with op.batch_alter_table('authority_filings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authority_filings_incident_id'))

    op.drop_table('authority_filings')
    op.drop_table('assessment_groups')
    op.drop_table('assessment_categories')
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.drop_index('ix_subjects_incident_status')

    op.drop_table('subjects')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_incident_id'))

    op.drop_table('notices')
    op.drop_table('incident_systems')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_incident_id'))

    op.drop_table('assessments')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_status'))

    op.drop_table('incidents')
    op.drop_table('id_counters')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_incident_id'))

    op.drop_table('audit_log')

