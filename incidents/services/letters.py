"""Letters for the people the e-mail does not reach (GDPR art. 34(2)): the approved message as printable letters,
one A4 PDF per incident with the address where a Dutch window envelope shows it; recording them as posted counts
those people as told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from markupsafe import Markup
from sqlalchemy import func, select, update

from incidents.errors import ConfigurationError, FieldError, InvalidInput, InvalidTransition
from incidents.notify.render import render
from incidents.profile import Profile, categories_of
from incidents.register.tables import SubjectRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said
from incidents.services.review import approved_texts
from incidents.subjects import OTHER_CHANNEL, POSTED
from incidents.views import incident_view


@dataclass(frozen=True)
class Letters:
    pdf: bytes
    letters: int  # people with a postal address, one letter each
    without_address: int  # people the e-mail does not reach and who have no postal address either


def write_letters(uow: UnitOfWork, profile: Profile, templates: Path, incident_id: str, actor: str,
                  now: datetime) -> Letters:
    """The letters to everyone the e-mail does not reach (no usable address, bounced, dropped) who has a postal
    address, from the approved message: nothing goes out before a person approved it. Each person is marked as
    having a letter (for `record_posted`); the audit trail keeps who wrote how many (no names)."""
    with uow:
        row = uow.incident(incident_id)
        approved = approved_texts(uow, row.id)
        if approved is None:
            raise InvalidTransition(Said("letters.message_not_approved", id=row.id))
        others = (SubjectRow.incident_id == row.id, SubjectRow.status.in_(OTHER_CHANNEL))
        people = uow.session.execute(select(SubjectRow.id, SubjectRow.name, SubjectRow.language,
                                            SubjectRow.postal_address)
                                     .where(*others, SubjectRow.postal_address.is_not(None))
                                     .order_by(SubjectRow.source_line)).all()
        without = uow.session.scalar(select(func.count()).select_from(SubjectRow)
                                     .where(*others, SubjectRow.postal_address.is_(None))) or 0
        if not people:
            raise InvalidTransition(Said("letters.nobody_needs_a_letter", id=row.id, without=without))
        view = incident_view(uow, row.id, now)
        context = {"incident": view, "organisation": profile.organisation, "privacy_contact": profile.privacy_contact,
                   "categories": categories_of(profile, view.assessment.categories if view.assessment else []),
                   "today": now}
        fallback = {lang: render(templates, lang, "subjects/anonymous_name.txt.j2").strip()
                    for lang in approved.languages}
        letters = [Markup(render(templates, language, "subjects/letter.html.j2", **context,
                                 parts=approved.parts[language], person={"name": name or fallback[language]},
                                 address=(address or "").split("\n")))
                   for _, name, language, address in people if language in approved.parts]
        html = render(templates, profile.language, "subjects/letters.html.j2", letters=letters, title=row.id)
        # the same people as the select, in one statement (no list of ids to bind)
        uow.session.execute(update(SubjectRow).where(*others, SubjectRow.postal_address.is_not(None))
                            .values(letter_written_at=now))
        uow.record(at=now, actor=actor, incident_id=row.id, action="letters_written", letters=len(letters),
                   without_address=without, message_version=approved.version)
        uow.commit()
    return Letters(_pdf(html), len(letters), without)


def _pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:  # not installed, or Pango missing
        raise ConfigurationError(Said("letters.weasyprint_missing", problem=str(exc))) from exc
    return bytes(HTML(string=html).write_pdf())


def record_posted(uow: UnitOfWork, incident_id: str, actor: str, now: datetime,
                  posted_at: datetime | None = None) -> int:
    """The letters written were posted: those people count as told (at `posted_at`, default now, not in the
    future). Returns how many; recording it again changes nothing."""
    when = posted_at or now
    if when > now:
        raise InvalidInput("letters", [FieldError("--at", Said("letters.posted_in_the_future"))])
    with uow:
        row = uow.incident(incident_id)
        result = uow.session.execute(update(SubjectRow).where(
            SubjectRow.incident_id == row.id, SubjectRow.status.in_(OTHER_CHANNEL),
            SubjectRow.letter_written_at.is_not(None),
            SubjectRow.letter_written_at < when + timedelta(minutes=1))  # a time given to the minute
            .values(status=POSTED, notified_at=when))
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            uow.record(at=now, actor=actor, incident_id=row.id, action="letters_posted", letters=count,
                       posted_at=when.isoformat())
        uow.commit()
        return count
