"""Letters for the people the e-mail does not reach, on SQLite and PostgreSQL: the approved message as one A4 PDF,
a letter per person in their language with the address in the window of a Dutch envelope; posted, they count as
told."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from incidents import services
from incidents.errors import InvalidTransition
from incidents.model import Decision
from incidents.register.tables import AuditRow, SubjectRow
from incidents.services.letters import record_posted, write_letters
from incidents.views import incident_view
from tests.integration.test_register import TEMPLATES, a_report, the_assessment

pytest.importorskip("weasyprint")
pypdf = pytest.importorskip("pypdf")

PEOPLE = """voornaam;tussenvoegsel;achternaam;e-mailadres;taal;straat;huisnummer;postcode;woonplaats;land
Gerrit;de;Vries;;nl;Dorpsstraat;12;1234ab;Ergenshuizen;
Anna;;Jansen;anna.jansen@example.nl;nl;Kerkweg;3;4321 CD;Dorp;
Paul;;Smith;not-an-address;en;High Street;7;;London;United Kingdom
Zonder;;Adres;;nl;;;;;
"""
MM = 72 / 25.4  # PDF points per millimetre


@pytest.fixture
def approved(uow, profile, now, tmp_path):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    services.record_assessment(uow, profile, incident_id, the_assessment(), "it", now)
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE, encoding="utf-8")
    services.import_subjects(uow, incident_id, people, "po", now)
    services.record_decision(uow, incident_id, Decision(notify_authority=True, notify_subjects=True,
                                                        reason="coaching reports open to anyone"), "po", now)
    services.edit_message(uow, profile, TEMPLATES, incident_id, {
        "nl": {"done": "Wij hebben de map dezelfde dag afgesloten."},
        "en": {"done": "We closed the folder the same day."}}, "po", now)
    return incident_id


def pages(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def position_of(pdf: bytes, page: int, text: str) -> tuple[float, float]:
    """Where `text` starts on a page, in millimetres from the paper's left and top edges."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    found: list[tuple[float, float]] = []
    height = float(reader.pages[page].mediabox.height)

    def visit(chunk, cm, tm, font, size):  # type: ignore[no-untyped-def]
        if text in chunk and not found:
            x, y = pypdf.mult(tm, cm)[4:6]
            found.append((x / MM, (height - y) / MM))

    reader.pages[page].extract_text(visitor_text=visit)
    assert found, f"{text!r} is not on page {page + 1}"
    return found[0]


def test_nothing_is_printed_before_the_message_is_approved(uow, profile, now, approved):
    with pytest.raises(InvalidTransition, match="not approved yet"):
        write_letters(uow, profile, TEMPLATES, approved, "po", now)


def test_a_letter_per_person_in_their_language_with_the_address_in_the_window(uow, profile, now, approved):
    services.approve_message(uow, approved, "po", now)

    letters = write_letters(uow, profile, TEMPLATES, approved, "po", now)

    assert letters.pdf.startswith(b"%PDF") and (letters.letters, letters.without_address) == (2, 1)
    dutch, english = pages(letters.pdf)[0], pages(letters.pdf)[-1]
    assert len(pages(letters.pdf)) >= 2
    assert "Gerrit de Vries Dorpsstraat 12 1234 AB ERGENSHUIZEN" in dutch
    assert "Beste Gerrit de Vries," in dutch and "In deze brief leest u" in dutch and approved in dutch
    assert "Paul Smith High Street 7 London UNITED KINGDOM" in " ".join(pages(letters.pdf))
    assert "Dear Paul Smith," in english or any("Dear Paul Smith," in p for p in pages(letters.pdf))
    assert "We closed the folder the same day." in " ".join(pages(letters.pdf))
    assert "Anna Jansen" not in " ".join(pages(letters.pdf))  # she was reached by e-mail
    left, top = position_of(letters.pdf, 0, "Dorpsstraat 12")  # the second line of the address
    assert 21 <= left <= 24 and 54 <= top <= 62, (left, top)  # in the window of a Dutch envelope: 22 mm, 50 mm


def test_letters_posted_count_as_told_and_the_audit_keeps_counts_only(uow, profile, now, approved):
    services.approve_message(uow, approved, "po", now)
    write_letters(uow, profile, TEMPLATES, approved, "po", now)

    assert record_posted(uow, approved, "po", now + timedelta(hours=2), posted_at=now + timedelta(hours=1)) == 2
    assert record_posted(uow, approved, "po", now + timedelta(hours=2)) == 0  # once

    with uow:
        statuses = dict(uow.session.execute(select(SubjectRow.name, SubjectRow.status)
                                            .where(SubjectRow.incident_id == approved)).all())
        view = incident_view(uow, approved, now)
        details = [json.loads(d) for d in uow.session.scalars(select(AuditRow.details).where(
            AuditRow.action.in_(["letters_written", "letters_posted"])))]
    assert (statuses["Gerrit de Vries"], statuses["Paul Smith"], statuses["Zonder Adres"]) == (
        "posted", "posted", "unreachable")
    assert view.people_notified == 2  # Anna's e-mail has not gone out in this test: the letters count
    assert details[0]["letters"] == 2 and details[1]["letters"] == 2
    assert "Vries" not in json.dumps(details) and "Dorpsstraat" not in json.dumps(details)


def test_nobody_without_a_postal_address_gets_a_letter_and_that_is_said(uow, profile, now, tmp_path):
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    services.record_assessment(uow, profile, incident_id, the_assessment(), "it", now)
    people = tmp_path / "people.csv"
    people.write_text("name,email\nAn,an@example.nl\nBo,\n", encoding="utf-8")
    services.import_subjects(uow, incident_id, people, "po", now)
    services.record_decision(uow, incident_id, Decision(notify_authority=True, notify_subjects=True,
                                                        reason="coaching reports open to anyone"), "po", now)
    services.draft_message(uow, profile, TEMPLATES, incident_id, "po", now)
    services.approve_message(uow, incident_id, "po", now)
    with pytest.raises(InvalidTransition, match="1 people the e-mail does not reach have no postal address"):
        write_letters(uow, profile, TEMPLATES, incident_id, "po", now)
