"""People from a customer database: a read-only SELECT, streamed, validated and merged exactly like a CSV file."""

from __future__ import annotations

import argparse
import io
import sqlite3
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from breach import subjects_cmd
from incidents import services
from incidents.errors import BreachError, InvalidInput
from incidents.register.tables import AuditRow, SubjectRow
from incidents.services.people import worklist
from incidents.subjects import SqlSource, check_select
from incidents.workspace import Workspace
from tests.integration.test_register import a_report

CUSTOMERS = [  # naam, mail, taal: as a CRM keeps them, with its own column names
    ("An de Vries", "an@example.com", "nl"),
    ("Bo Jansen", "bo@example.com", "EN"),
    ("An (second record)", "AN@Example.com", None),  # the same address: merged
    ("Cas zonder adres", None, "nl"),  # no address: kept for a letter
    ("Dirk", "dirk@example", ""),  # unusable address: kept for a letter
    ("Eve\r\nBcc: x@evil.test", "eve@example.com", "nl"),  # a header injection attempt: inert text
    ("{{ 7*7 }}", "f@example.com", "en"),
]
QUERY = "SELECT naam AS name, mail AS email, taal AS language FROM klanten ORDER BY id"


def customer_db(path: Path, rows=CUSTOMERS) -> str:  # type: ignore[no-untyped-def]
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE klanten (id INTEGER PRIMARY KEY, naam TEXT, mail TEXT, taal TEXT)")
        db.executemany("INSERT INTO klanten (naam, mail, taal) VALUES (?, ?, ?)", rows)
    return f"sqlite:///{path}"


def linked(uow, incident_id: str) -> list[tuple[str, str | None, str, str]]:  # type: ignore[no-untyped-def]
    with uow:
        return [tuple(r) for r in uow.session.execute(  # type: ignore[misc]
            select(SubjectRow.name, SubjectRow.email, SubjectRow.language, SubjectRow.status)
            .where(SubjectRow.incident_id == incident_id).order_by(SubjectRow.id))]


def test_people_from_a_query_are_validated_and_merged_like_a_csv(uow, profile, now, tmp_path):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    result = services.import_subjects(uow, incident_id, SqlSource(customer_db(tmp_path / "crm.db"), QUERY), "po",
                                      now)
    assert (result.rows, result.added, result.duplicates) == (7, 6, 1)
    assert [position for position, _ in result.unreachable] == [4, 5]  # rows of the query's result
    people = linked(uow, incident_id)
    assert people[0] == ("An de Vries", "an@example.com", "nl", "pending")
    assert people[1][2] == "en"
    assert [p[3] for p in people if p[1] is None] == ["unreachable", "unreachable"]
    assert "\n" not in people[4][0] and people[5][0] == "{{ 7*7 }}"
    assert {row["name"] for row in worklist(uow, incident_id)} == {"Cas zonder adres", "Dirk"}


def test_the_import_is_audited_as_a_query_with_counts_only(uow, profile, now, tmp_path):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    services.import_subjects(uow, incident_id, SqlSource(customer_db(tmp_path / "crm.db"), QUERY), "po", now)
    with uow:
        details = uow.session.scalars(select(AuditRow.details).where(AuditRow.action == "subjects_imported")).one()
    assert '"source":"sql"' in details and "@" not in details and "crm.db" not in details


def test_a_large_result_is_streamed_and_reports_progress(uow, profile, now, tmp_path):
    rows = [(f"Person {i}", f"p{i}@example.com", "nl") for i in range(2500)]
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    seen: list[tuple[int, float | None]] = []
    result = services.import_subjects(uow, incident_id, SqlSource(customer_db(tmp_path / "crm.db", rows), QUERY),
                                      "po", now, progress=lambda done, fraction: seen.append((done, fraction)))
    assert result.added == 2500
    assert seen == [(1000, None), (2000, None), (2500, None)]  # a query does not say how long it is


def test_the_same_person_in_a_csv_and_a_query_is_linked_once(uow, profile, now, tmp_path):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    csv = tmp_path / "people.csv"
    csv.write_text("name,email\nAn,an@example.com\nZonder,\n", encoding="utf-8")
    services.import_subjects(uow, incident_id, csv, "po", now)
    result = services.import_subjects(uow, incident_id, SqlSource(customer_db(tmp_path / "crm.db"), QUERY), "po",
                                      now)
    assert result.already_linked == 1  # an@example.com
    with uow:
        total = uow.session.scalar(select(func.count()).where(SubjectRow.incident_id == incident_id))
    assert total == 2 + 5


@pytest.mark.parametrize("query", [
    "DELETE FROM klanten",
    "UPDATE klanten SET mail = NULL",
    "SELECT naam AS name, mail AS email FROM klanten; DROP TABLE klanten",
    "WITH gone AS (DELETE FROM klanten RETURNING naam, mail) SELECT naam AS name, mail AS email FROM gone",
    "SELECT naam AS name, mail AS email INTO kopie FROM klanten",
    "SELECT naam AS name, mail AS email FROM klanten FOR UPDATE",
    "PRAGMA writable_schema = 1",
    "   ",
])
def test_a_query_that_is_not_a_single_read_only_select_is_refused_before_connecting(query):
    with pytest.raises(InvalidInput) as err:
        SqlSource("sqlite:////nonexistent/crm.db", query)
    assert err.value.errors[0].field == "--query"


@pytest.mark.parametrize("query", [
    "select naam as name, mail as email from klanten where naam like 'A%' and mail <> 'x;y'",
    "SELECT 'delete' AS name, mail AS email FROM klanten -- update later",
    'SELECT "update" AS name, mail AS email FROM klanten /* ; drop */',
    "WITH k AS (SELECT * FROM klanten) SELECT naam AS name, mail AS email FROM k;",
    "SELECT naam AS name, mail AS email, '10:30' AS note FROM klanten",
])
def test_reading_queries_with_words_of_writing_in_strings_or_comments_are_accepted(query):
    assert check_select(query)


def test_the_source_database_is_opened_read_only(tmp_path):
    url = customer_db(tmp_path / "crm.db")
    engine = SqlSource(url, QUERY)._engine()
    with engine.connect() as connection, pytest.raises(Exception, match="readonly|read-only|query_only"):
        connection.exec_driver_sql("DELETE FROM klanten")
    engine.dispose()
    with sqlite3.connect(tmp_path / "crm.db") as db:
        assert db.execute("SELECT count(*) FROM klanten").fetchone() == (len(CUSTOMERS),)


def test_a_query_without_an_email_column_names_what_is_missing(uow, profile, now, tmp_path):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    source = SqlSource(customer_db(tmp_path / "crm.db"), "SELECT naam AS name, mail FROM klanten")
    with pytest.raises(InvalidInput) as err:
        services.import_subjects(uow, incident_id, source, "po", now)
    assert err.value.errors[0].field == "query" and "'email'" in err.value.errors[0].message
    assert "AS" in err.value.errors[0].message


def test_an_unsupported_language_names_the_row_and_links_nobody(uow, profile, now, tmp_path):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    url = customer_db(tmp_path / "crm.db", [*CUSTOMERS, ("Jean", "jean@example.fr", "fr")])
    with pytest.raises(InvalidInput) as err:
        services.import_subjects(uow, incident_id, SqlSource(url, QUERY), "po", now)
    assert err.value.errors[0].field == "row 8: language"
    assert linked(uow, incident_id) == []


@pytest.mark.parametrize("url, problem", [
    ("not a url", "is not a database URL"),
    ("sqlite:///{tmp}/missing.db", "no SQLite database"),
    ("sqlite://", "name the SQLite database file"),
    ("mysql://reader:secret@localhost/crm", "cannot be opened read-only"),
])
def test_a_wrong_database_url_is_named_without_its_password(url, problem, tmp_path):
    with pytest.raises(InvalidInput) as err:
        source = SqlSource(url.format(tmp=tmp_path), QUERY)
        with source.open():
            pass
    assert err.value.errors[0].field == "--sql" and problem in err.value.errors[0].message
    assert "secret" not in str(err.value)


def test_an_unreachable_server_is_reported_without_the_password(tmp_path):
    source = SqlSource("postgresql+psycopg://reader:s3cret-pw@127.0.0.1:1/crm?connect_timeout=2", QUERY)
    with pytest.raises(InvalidInput) as err, source.open():
        pass
    assert err.value.errors[0].field == "--sql" and "s3cret-pw" not in str(err.value)


# --- PostgreSQL as the customer database -------------------------------------------------------------------

@pytest.fixture
def crm(postgres_url: str):  # type: ignore[no-untyped-def]
    """A customer table in its own schema of the test's PostgreSQL database."""
    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS crm CASCADE"))
        connection.execute(text("CREATE SCHEMA crm"))
        connection.execute(text("CREATE TABLE crm.klanten (id serial PRIMARY KEY, naam text, mail text, taal text)"))
        connection.execute(text("CREATE SEQUENCE crm.teller"))
        connection.execute(text("INSERT INTO crm.klanten (naam, mail, taal) SELECT 'Klant ' || g, "
                                "'klant' || g || '@example.com', CASE WHEN g % 3 = 0 THEN 'en' END "
                                "FROM generate_series(1, 3500) g"))
    yield postgres_url
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA crm CASCADE"))
    engine.dispose()


@pytest.mark.postgres
def test_people_from_postgresql_are_streamed_in_a_read_only_transaction(uow, profile, now, crm):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    query = "SELECT naam AS name, mail AS email, taal AS language FROM crm.klanten WHERE naam LIKE 'Klant%'"
    result = services.import_subjects(uow, incident_id, SqlSource(crm, query), "po", now)
    assert (result.rows, result.added) == (3500, 3500)
    with uow:
        languages = dict(uow.session.execute(select(SubjectRow.language, func.count()).where(
            SubjectRow.incident_id == incident_id).group_by(SubjectRow.language)).all())
    assert languages == {"nl": 2334, "en": 1166}


@pytest.mark.postgres
def test_a_select_that_would_write_is_stopped_by_the_read_only_transaction(uow, profile, now, crm):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    query = "SELECT naam AS name, mail AS email, nextval('crm.teller') AS n FROM crm.klanten"
    with pytest.raises(InvalidInput) as err:
        services.import_subjects(uow, incident_id, SqlSource(crm, query), "po", now)
    assert err.value.errors[0].field == "--query" and "read-only" in err.value.errors[0].message
    assert linked(uow, incident_id) == []


@pytest.mark.postgres
def test_a_query_failing_halfway_links_nobody(uow, profile, now, crm):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    query = "SELECT naam AS name, mail AS email, 1 / (id - 2500) AS boom FROM crm.klanten ORDER BY id"
    with pytest.raises(InvalidInput) as err:
        services.import_subjects(uow, incident_id, SqlSource(crm, query), "po", now)
    assert "division by zero" in err.value.errors[0].message
    assert linked(uow, incident_id) == []


# --- the command -------------------------------------------------------------------------------------------

def breach(*argv: str, stderr: io.StringIO | None = None) -> tuple[int, str, str]:
    """`breach subjects ...` with this module's commands, as breach.cli.main runs them."""
    parser = argparse.ArgumentParser(prog="breach")
    parser.add_argument("--as", dest="actor")
    subjects = parser.add_subparsers(dest="command").add_parser("subjects").add_subparsers(dest="subcommand")
    subjects_cmd.add_commands(subjects)
    out, err = io.StringIO(), io.StringIO() if stderr is None else stderr
    with redirect_stdout(out), redirect_stderr(err):
        args = parser.parse_args(["subjects", *argv])
        try:
            code = args.func(Workspace(), args)
        except BreachError as exc:
            err.write(f"error: {exc}\n")
            code = 2
    return code, out.getvalue(), err.getvalue()


def test_breach_subjects_import_from_a_query(workspace_env, now, tmp_path):
    ws = Workspace()
    incident_id = services.report_incident(ws.uow(), ws.profile, a_report(now), "po", now)
    url = customer_db(tmp_path / "crm.db")
    code, out, err = breach("import", incident_id, "--sql", url, "--query", QUERY, "--no-flow")
    assert code == 0, err
    assert "7 rows read: 6 people linked" in out and "row 4: no e-mail address" in out
    assert "\r" not in err  # not a terminal: no progress bar


@pytest.mark.parametrize("argv, field", [
    (["people.csv", "--sql", "sqlite:///x.db", "--query", QUERY], "FILE / --sql"),
    ([], "FILE / --sql"),
    (["--sql", "sqlite:///x.db"], "--query"),
    (["--query", QUERY], "--sql"),
])
def test_breach_subjects_import_needs_either_a_file_or_a_query(workspace_env, now, argv, field):
    ws = Workspace()
    incident_id = services.report_incident(ws.uow(), ws.profile, a_report(now), "po", now)
    code, _, err = breach("import", incident_id, *argv, "--no-flow")
    assert code == 2 and field in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_an_import_shows_its_progress(workspace_env, now, tmp_path):
    ws = Workspace()
    incident_id = services.report_incident(ws.uow(), ws.profile, a_report(now), "po", now)
    terminal = Terminal()
    code, _, _ = breach("import", incident_id, "--sql", customer_db(tmp_path / "crm.db"), "--query", QUERY,
                        "--no-flow", stderr=terminal)
    assert code == 0
    assert terminal.getvalue().startswith("\r\x1b[Kimporting 7 rows") and terminal.getvalue().endswith("\n")

    csv = tmp_path / "people.csv"
    csv.write_text("name,email\n" + "".join(f"P{i},p{i}@example.com\n" for i in range(3000)), encoding="utf-8")
    terminal = Terminal()
    breach("import", incident_id, str(csv), "--no-flow", stderr=terminal)
    assert terminal.getvalue().rstrip("\n").endswith("[##############################] 100% 3000 rows")
