"""the legal findings stored with each recommendation: art. 33(1) risk, art. 34(1) high risk and its grounds,
each art. 34(3) condition, art. 9 and art. 10 data

Existing recommendations get them from what was stored with them: the reason codes that found a high risk, and
the assessment's protection, containment, contact effort and categories (the rules of incidents.legal, written
out here so this migration keeps meaning what it meant when the code moves on).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BOOLEANS = ('risk', 'high_risk', 'later_measures', 'disproportionate_effort', 'special_categories', 'criminal_data')
HIGH_RISK_CODES = ('subjects_high_risk', 'subjects_high_risk_factor')
HIGH_RISK_FACTORS = ('factor_special_categories', 'factor_criminal_data', 'factor_identity_fraud',
                     'factor_exfiltration_confirmed',
                     'factor_vulnerable_subjects')
SPECIAL = {'health', 'special_category', 'genetic', 'biometric', 'sexual_life', 'political', 'religious',
           'union_membership', 'ethnic_origin'}


def upgrade() -> None:
    # plain ALTER TABLE ... ADD COLUMN: a batch operation would copy the table (see downgrade)
    for name in BOOLEANS:
        op.add_column('recommendations', sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('recommendations', sa.Column('high_risk_grounds', sa.String(length=300), nullable=False,
                                               server_default=''))
    op.add_column('recommendations', sa.Column('unintelligible', sa.String(length=20), nullable=True))
    bind = op.get_bind()
    recommendations = sa.table('recommendations', sa.column('id', sa.Integer), sa.column('assessment_id', sa.Integer),
                               *(sa.column(n, sa.Boolean) for n in BOOLEANS),
                               sa.column('high_risk_grounds', sa.String), sa.column('unintelligible', sa.String))
    reasons = sa.table('recommendation_reasons', sa.column('recommendation_id', sa.Integer),
                       sa.column('position', sa.Integer), sa.column('code', sa.String))
    assessments = sa.table('assessments', sa.column('id', sa.Integer), sa.column('encryption', sa.String),
                           sa.column('key_compromised', sa.Boolean), sa.column('hashing', sa.String),
                           sa.column('measures_make_high_risk_unlikely', sa.Boolean),
                           sa.column('contact_effort', sa.String))
    categories = sa.table('assessment_categories', sa.column('assessment_id', sa.Integer),
                          sa.column('vocabulary', sa.String))
    codes: dict[int, list[str]] = {}
    for rid, code in bind.execute(sa.select(reasons.c.recommendation_id, reasons.c.code)
                                  .order_by(reasons.c.recommendation_id, reasons.c.position)):
        codes.setdefault(rid, []).append(code.partition(':')[0])
    terms: dict[int, list[str]] = {}
    for aid, term in bind.execute(sa.select(categories.c.assessment_id, categories.c.vocabulary)):
        terms.setdefault(aid, []).append(term)
    rows = bind.execute(sa.select(recommendations.c.id, assessments.c.id, assessments.c.encryption,
                                  assessments.c.key_compromised, assessments.c.hashing,
                                  assessments.c.measures_make_high_risk_unlikely, assessments.c.contact_effort)
                        .join(assessments, assessments.c.id == recommendations.c.assessment_id)).all()
    for rid, aid, encryption, key_compromised, hashing, measures, effort in rows:
        found, kinds = codes.get(rid, []), terms.get(aid, [])
        high = [c for c in found if c in HIGH_RISK_CODES]
        grounds = high + [c for c in found if high and c in HIGH_RISK_FACTORS]
        unintelligible = None
        if encryption == 'state_of_the_art' and not key_compromised:
            unintelligible = 'encryption'
        elif hashing == 'salted_state_of_the_art' and kinds and all(t == 'account_credentials' for t in kinds):
            unintelligible = 'hashing'
        bind.execute(recommendations.update().where(recommendations.c.id == rid).values(
            risk='authority_required' in found, high_risk=bool(high), high_risk_grounds=','.join(grounds),
            unintelligible=unintelligible, later_measures=bool(measures),
            disproportionate_effort=effort == 'disproportionate', special_categories=bool(SPECIAL & set(kinds)),
            criminal_data='criminal' in kinds))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN on both databases (SQLite 3.35 and later): a batch operation would copy the
    # table, which SQLite refuses while decisions and reasons refer to its rows
    for name in ('unintelligible', 'high_risk_grounds', *reversed(BOOLEANS)):
        op.execute(f'ALTER TABLE recommendations DROP COLUMN {name}')
