"""recommendations, dispatch batches, reminders, users, filing history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('dispatch_batches',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.String(length=20), nullable=False),
    sa.Column('batch_key', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'batch_key', name='uq_batch_incident_key')
    )
    with op.batch_alter_table('dispatch_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispatch_batches_incident_id'), ['incident_id'], unique=False)

    op.create_table('reminders',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.String(length=20), nullable=False),
    sa.Column('clock', sa.String(length=40), nullable=False),
    sa.Column('step', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('incident_id', 'clock', 'step', name='uq_reminder_incident_clock_step')
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_incident_id'), ['incident_id'], unique=False)

    op.create_table('recommendations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('incident_id', sa.String(length=20), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('dpc', sa.Float(), nullable=False),
    sa.Column('ei', sa.Float(), nullable=False),
    sa.Column('cb', sa.Float(), nullable=False),
    sa.Column('notify_authority', sa.Boolean(), nullable=False),
    sa.Column('notify_subjects', sa.Boolean(), nullable=False),
    sa.Column('public_communication', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], ),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendations_incident_id'), ['incident_id'], unique=False)

    op.create_table('recommendation_reasons',
    sa.Column('recommendation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('points', sa.Float(), nullable=True),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['recommendation_id'], ['recommendations.id'], ),
    sa.PrimaryKeyConstraint('recommendation_id', 'position')
    )
    with op.batch_alter_table('authority_filings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('previous_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_authority_filings_previous_id', 'authority_filings', ['previous_id'], ['id'])

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recommendation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('follows_recommendation', sa.Boolean(), nullable=True))
        batch_op.create_foreign_key('fk_decisions_recommendation_id', 'recommendations', ['recommendation_id'], ['id'])




def downgrade() -> None:

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_decisions_recommendation_id', type_='foreignkey')
        batch_op.drop_column('follows_recommendation')
        batch_op.drop_column('recommendation_id')

    with op.batch_alter_table('authority_filings', schema=None) as batch_op:
        batch_op.drop_constraint('fk_authority_filings_previous_id', type_='foreignkey')
        batch_op.drop_column('previous_id')
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('changes')

    op.drop_table('recommendation_reasons')
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendations_incident_id'))

    op.drop_table('recommendations')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_incident_id'))

    op.drop_table('reminders')
    with op.batch_alter_table('dispatch_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispatch_batches_incident_id'))

    op.drop_table('dispatch_batches')
    op.drop_table('users')

