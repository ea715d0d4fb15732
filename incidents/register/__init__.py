"""The breach register (GDPR art. 33(5)): SQLAlchemy tables, the unit of work and the migrations."""
