"""roles per organisation: a user holds a role in each organisation it serves

Each user of the previous release keeps its role, now in the default organisation (id 1), the only one a
register of that release had; the role column of `users` goes. No audited row changes, so the chain verifies.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'user_roles',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'organisation_id', name='uq_user_role'),
    )
    op.create_index(op.f('ix_user_roles_user_id'), 'user_roles', ['user_id'])
    op.create_index(op.f('ix_user_roles_organisation_id'), 'user_roles', ['organisation_id'])
    op.execute("INSERT INTO user_roles (user_id, organisation_id, role) SELECT id, 1, role FROM users")
    op.execute('ALTER TABLE users DROP COLUMN role')  # plain ALTER TABLE: no table copy (see 0010)


def downgrade() -> None:
    # a user keeps its role in the default organisation, else its first one, else viewer
    op.add_column('users', sa.Column('role', sa.String(length=30), nullable=False, server_default='viewer'))
    op.execute("UPDATE users SET role = COALESCE((SELECT r.role FROM user_roles r WHERE r.user_id = users.id "
               "ORDER BY r.organisation_id LIMIT 1), 'viewer')")
    op.drop_index(op.f('ix_user_roles_organisation_id'), table_name='user_roles')
    op.drop_index(op.f('ix_user_roles_user_id'), table_name='user_roles')
    op.drop_table('user_roles')
