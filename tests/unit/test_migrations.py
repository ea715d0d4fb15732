"""The register's schema comes from Alembic migrations, and the code knows which one is newest."""

from alembic.script import ScriptDirectory

from incidents.register.db import SCHEMA_HEAD, alembic_config


def test_schema_head_names_the_newest_migration():
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert scripts.get_current_head() == SCHEMA_HEAD
