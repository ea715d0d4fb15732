"""The fast paths of a large list, on SQLite and PostgreSQL: the first import of an incident (PostgreSQL: COPY)
writes the same rows as an import into an incident that already has people (INSERT ... ON CONFLICT), a source
that breaks halfway writes nothing, and a batch claims only who is still waiting when it is claimed."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import create_engine, func, select, update

from incidents import services
from incidents.errors import InvalidInput
from incidents.notify.email import Sent
from incidents.register.tables import SubjectRow
from tests.integration.test_register import TEMPLATES, a_report
from tests.support.decided import ready_to_tell

PEOPLE = (
    "naam;e-mailadres;taal;straat;huisnummer;postcode;woonplaats\n"
    "An de Vries;an@example.com;nl;Dorpsstraat;1;1234ab;Ergens\n"
    "An again;AN@Example.COM;nl;;;;\n"  # the same address: merged
    "\"Vries, Gerrit de\";gerrit@example.nl;EN;;;;\n"
    "Zonder adres;;nl;Kerkweg;3;4321 CD;Dorp\n"
    "Dirk;dirk@example;nl;;;;\n"  # unusable: kept for a letter
    "=HYPERLINK(\"\"http://x\"\");f@example.com;en;;;;\n"
    "Eve  \t Bcc;eve@example.com;nl;;;;\n"
)
COLUMNS = (SubjectRow.source_line, SubjectRow.name, SubjectRow.email, SubjectRow.email_key, SubjectRow.language,
           SubjectRow.status, SubjectRow.problem, SubjectRow.postal_address)


def rows_of(uow, incident_id: str) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    with uow:
        return [tuple(r) for r in uow.session.execute(
            select(*COLUMNS).where(SubjectRow.incident_id == incident_id).order_by(SubjectRow.source_line)).all()]


def test_the_first_import_writes_what_an_import_into_a_linked_incident_writes(uow, profile, now, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE, encoding="utf-8")
    first = services.report_incident(uow, profile, a_report(now), "po", now)
    later = services.report_incident(uow, profile, a_report(now), "po", now)
    earlier = tmp_path / "earlier.csv"
    earlier.write_text("name,email\nSomeone else,someone@example.org\n", encoding="utf-8")
    services.import_subjects(uow, later, earlier, "po", now)

    a = services.import_subjects(uow, first, people, "po", now)
    b = services.import_subjects(uow, later, people, "po", now)

    assert (a.rows, a.added, a.duplicates, a.unreachable) == (b.rows, b.added, b.duplicates, b.unreachable)
    assert (a.added, a.duplicates, len(a.unreachable)) == (6, 1, 2)
    assert rows_of(uow, first) == [r for r in rows_of(uow, later) if r[2] != "someone@example.org"]
    again = services.import_subjects(uow, first, people, "po", now)  # the same list again: linked once
    assert (again.added, again.already_linked) == (0, 6)


def test_a_source_that_breaks_halfway_through_a_large_list_writes_nothing(uow, profile, now, tmp_path):
    people = tmp_path / "people.csv"
    people.write_bytes(b"name,email\n" + b"".join(b"P%d,p%d@example.com\n" % (i, i) for i in range(5000))
                       + b"Broken,\xff\xfe@example.com\n")
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    with pytest.raises(InvalidInput):
        services.import_subjects(uow, incident_id, people, "po", now)
    assert rows_of(uow, incident_id) == []


class ChangingMailer:
    """Takes every request; while the first is sent, someone else marks a person of the next batch as
    unreachable (as a letter or a correction would), through a connection of its own."""

    name = "test"

    def __init__(self, url: str, changed_id: int):
        self.url, self.changed_id = url, changed_id
        self.sent: Counter[str] = Counter()

    def send(self, message, recipients) -> Sent:  # type: ignore[no-untyped-def]
        if not self.sent:
            engine = create_engine(self.url)
            with engine.begin() as connection:
                connection.execute(update(SubjectRow).where(SubjectRow.id == self.changed_id)
                                   .values(status="unreachable"))
            engine.dispose()
        self.sent.update(r.key for r in recipients)
        return Sent(accepted=[r.key for r in recipients], location="test")


def test_a_person_changed_while_a_batch_is_sent_is_not_claimed_with_the_next(uow, profile, now, tmp_path,
                                                                                database_url):
    incident_id = ready_to_tell(uow, profile, now, 2500, tmp_path)
    with uow:
        ids = list(uow.session.scalars(select(SubjectRow.id).where(SubjectRow.incident_id == incident_id)
                                       .order_by(SubjectRow.id)))
    changed = ids[1500]  # in the second batch
    mailer = ChangingMailer(database_url, changed)

    outcome = services.notify_subjects(uow, profile, mailer, TEMPLATES, incident_id, None, now)

    assert outcome.count == 2499 and f"subject-{changed}" not in mailer.sent
    assert set(mailer.sent.values()) == {1}  # nobody twice
    with uow:
        statuses = dict(uow.session.execute(select(SubjectRow.status, func.count())
                                            .where(SubjectRow.incident_id == incident_id)
                                            .group_by(SubjectRow.status)).all())
    assert statuses == {"sent": 2499, "unreachable": 1}

