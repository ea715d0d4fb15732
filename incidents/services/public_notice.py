"""A public communication instead of telling each person (GDPR art. 34(3)(c)): written in versions, published,
and then the people count as told."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from incidents import legal
from incidents.errors import FieldError, InvalidInput, InvalidTransition
from incidents.lifecycle import Status
from incidents.messages import Rendered, digest
from incidents.notify.render import render
from incidents.profile import Profile, categories_of
from incidents.register.tables import (
    MessageRenderRow,
    MessageVersionRow,
    NoticeRow,
)
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said
from incidents.services.common import (
    keep_text,
)
from incidents.services.recommendation import current_recommendation
from incidents.services.review import Approved, check_reviewed, record_approval
from incidents.views import PREPARED, PUBLIC_KIND, PUBLISHED, findings_of, incident_view

_URL = re.compile(r"https?://[^\s<>\"'\\\x00-\x1f\x7f]{1,300}")
from incidents.notify.render import LANGUAGES


@dataclass(frozen=True)
class PublicNotice:
    version: int
    paths: list[Path]  # per language: the web page (HTML, then plain text) and the short message; Dutch first


def public_notice_paths(notices_dir: Path, incident_id: str, version: int) -> list[tuple[str, str, Path]]:
    """(language, template, file) of one version of the public communication, Dutch first."""
    folder = notices_dir / incident_id
    return [(language, template, folder / f"{stem}-v{version}.{language}.{suffix}")
            for language in LANGUAGES
            for template, stem, suffix in (("public/notice.html.j2", "public-notice", "html"),
                                           ("public/notice.txt.j2", "public-notice", "txt"),
                                           ("public/message.txt.j2", "public-message", "txt"))]


def prepare_public_notice(uow: UnitOfWork, profile: Profile, templates: Path, notices_dir: Path, incident_id: str,
                          actor: str, now: datetime, url: str | None = None) -> PublicNotice:
    """Render the public communication of art. 34(3)(c): the text for a web page and a short message for social
    media or a banner on the website, in Dutch and English, as a new kept version (an earlier one stays).

    Allowed once the decision is recorded, when the assessment says contacting the people individually would
    take disproportionate effort (or the recommendation advises a public communication). `url` is where the
    page will be published (default: the organisation's website); the short message points there.
    """
    page_url = (url or "").strip() or profile.organisation.website.strip()
    if page_url and not _URL.fullmatch(page_url):
        raise InvalidInput("public communication", [FieldError("--url", Said("public_notice.url_not_https"))])
    with uow:
        row = uow.incident(incident_id)
        if row.status in (Status.CLOSED, Status.DISMISSED):
            raise InvalidTransition(Said("public_notice.closed_no_prepare", id=row.id, status=str(row.status)))
        assessment = uow.latest_assessment(row.id)
        if assessment is None:
            raise InvalidTransition(Said("public_notice.no_assessment", id=row.id))
        if uow.latest_decision(row.id) is None:
            raise InvalidTransition(Said("public_notice.no_decision", id=row.id))
        advice = current_recommendation(uow, row.id, now)
        assert advice is not None  # there is an assessment
        if not legal.public_communication_allowed(findings_of(advice), advice.public_communication):
            raise InvalidTransition(Said("public_notice.contact_individually", id=row.id))
        last = uow.session.scalar(select(func.max(NoticeRow.version)).where(
            NoticeRow.incident_id == row.id, NoticeRow.kind == PUBLIC_KIND)) or 0
        notice = NoticeRow(incident_id=row.id, kind=PUBLIC_KIND, version=last + 1, status="sending",
                           started_at=now, recipients=0, backend="file")
        uow.session.add(notice)
        uow.session.flush()  # a concurrent second writer of this version fails here, before writing files
        view = incident_view(uow, row.id, now)
        context = {"incident": view, "organisation": profile.organisation,
                   "privacy_contact": profile.privacy_contact, "page_url": page_url, "published_at": now,
                   "categories": categories_of(profile, view.assessment.categories if view.assessment else [])}
        written = []
        bodies: dict[tuple[str, str], str] = {}
        for language, template, path in public_notice_paths(notices_dir, row.id, notice.version):
            body = bodies[language, template] = render(templates, language, template, **context)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(body, encoding="utf-8")
            tmp.replace(path)  # a crash leaves no half-written notice
            written.append(path)
        notice.status, notice.location = PREPARED, str(written[0])
        rendered = {language: Rendered(bodies[language, "public/message.txt.j2"].strip(),
                                       bodies[language, "public/notice.txt.j2"], bodies[language, "public/notice.html.j2"])
                    for language in LANGUAGES}
        review = MessageVersionRow(incident_id=row.id, kind=PUBLIC_KIND, version=notice.version,
                                   digest=digest(rendered), created_at=now, created_by=actor)
        review.renders = [MessageRenderRow(language=lang, subject=r.subject, text=r.text, html=r.html)
                          for lang, r in rendered.items()]
        uow.session.add(review)  # what the approval names (approve_public_notice)
        for language in LANGUAGES:
            keep_text(uow, row.id, PUBLIC_KIND, notice.version, language,
                      bodies[language, "public/message.txt.j2"].strip(), bodies[language, "public/notice.txt.j2"], now)
        version = notice.version
        uow.record(at=now, actor=actor, incident_id=row.id, action="public_notice_prepared",
                   version=version, files=len(written), recommended=advice.public_communication)
        uow.commit()
    return PublicNotice(version, written)


def _review_of(uow: UnitOfWork, incident_id: str, version: int) -> MessageVersionRow | None:
    return uow.session.scalars(select(MessageVersionRow).where(
        MessageVersionRow.incident_id == incident_id, MessageVersionRow.kind == PUBLIC_KIND,
        MessageVersionRow.version == version)).first()


@dataclass(frozen=True)
class PublicReview:
    """The newest written version of the public communication as a review sees it."""

    version: int
    digest: str
    approved_by: str | None
    approved_at: datetime | None


def public_review(uow: UnitOfWork, incident_id: str) -> PublicReview | None:
    with uow:
        newest = uow.session.scalars(select(MessageVersionRow).where(
            MessageVersionRow.incident_id == uow.incident(incident_id).id, MessageVersionRow.kind == PUBLIC_KIND)
            .order_by(MessageVersionRow.version.desc()).limit(1)).first()
        return None if newest is None else PublicReview(newest.version, newest.digest, newest.approved_by,
                                                        newest.approved_at)


def approve_public_notice(uow: UnitOfWork, incident_id: str, actor: str, now: datetime, version: int | None = None,
                          digest_prefix: str | None = None) -> Approved:
    """GDPR art. 34(3)(c), reviewed like the message to each person: a person approves the newest written version
    of the public communication as written (its digest over every file); only an approved version can be
    recorded as published. Refused for an older version or a digest that is not this version's."""
    with uow:
        row = uow.incident(incident_id)
        if row.status in (Status.CLOSED, Status.DISMISSED):
            raise InvalidTransition(Said("public_notice.closed_no_approve", id=row.id, status=str(row.status)))
        newest = uow.session.scalars(select(MessageVersionRow).where(
            MessageVersionRow.incident_id == row.id, MessageVersionRow.kind == PUBLIC_KIND)
            .order_by(MessageVersionRow.version.desc()).limit(1)).first()
        if newest is None:
            raise InvalidTransition(Said("public_notice.nothing_to_approve", id=row.id))
        check_reviewed(newest, version, digest_prefix, Said("public_notice.review_files", version=newest.version))
        return record_approval(uow, newest, actor, now)


def publish_public_notice(uow: UnitOfWork, incident_id: str, actor: str, now: datetime,
                          published_at: datetime | None = None, version: int | None = None) -> int:
    """Record that the public communication was put online (GDPR art. 34(3)(c)), once a person approved that
    version (approve_public_notice): that is what tells the people,
    so from then on the incident counts them as informed. `version` defaults to the newest prepared one;
    `published_at` (default: now) may lie in the past, not in the future nor before the version was prepared.
    Returns the version recorded; recording the same version twice changes nothing."""
    when = published_at or now
    with uow:
        row = uow.incident(incident_id)
        if row.status in (Status.CLOSED, Status.DISMISSED):
            raise InvalidTransition(Said("public_notice.closed_no_publish", id=row.id, status=str(row.status)))
        versions = list(uow.session.scalars(select(NoticeRow).where(  # locked: two recordings cannot both count
            NoticeRow.incident_id == row.id, NoticeRow.kind == PUBLIC_KIND).order_by(NoticeRow.version)
            .with_for_update()))
        if not versions:
            raise InvalidTransition(Said("public_notice.nothing_to_publish", id=row.id))
        chosen = versions[-1] if version is None else next((n for n in versions if n.version == version), None)
        if chosen is None:
            raise InvalidInput("public communication", [FieldError("--version", Said(
                "public_notice.unknown_version", id=row.id, versions=[n.version for n in versions], version=version))])
        if chosen.status == PUBLISHED:
            return chosen.version
        review = _review_of(uow, row.id, chosen.version)
        if review is not None and review.approved_at is None:  # (versions written before reviews existed: none)
            raise InvalidTransition(Said("public_notice.not_approved", id=row.id, version=chosen.version))
        if when > now:
            raise InvalidInput("public communication", [FieldError("--at", Said("public_notice.at_in_future"))])
        written = chosen.started_at
        if when < written.replace(second=0, microsecond=0):  # a time given to the minute: the minute it was written
            raise InvalidInput("public communication", [FieldError("--at", Said("public_notice.at_before_written"))])
        when = max(when, written)
        chosen.status, chosen.finished_at = PUBLISHED, when
        uow.record(at=now, actor=actor, incident_id=row.id, action="public_notice_published",
                   version=chosen.version, published_at=when.isoformat())
        uow.commit()
        return chosen.version
