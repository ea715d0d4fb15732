"""The message to the people, reviewed before it is sent (GDPR art. 34(2)): a draft per language proposed from the
templates, edited part by part into new versions, previewed, test-sent to the team, and approved by a person;
the dispatch sends only the approved version's texts (incidents/messages.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from incidents.errors import FieldError, InvalidInput, InvalidTransition
from incidents.lifecycle import Status
from incidents.messages import PARTS_OF, SUBJECT_NOTICE, SUBJECT_UPDATE, Rendered, approval_problems, digest
from incidents.notify.email import Address, EmailBackend, Message, Recipient
from incidents.notify.render import LANGUAGES, environment, render, render_email
from incidents.profile import Profile, categories_of
from incidents.register.tables import MessagePartRow, MessageRenderRow, MessageVersionRow, SubjectRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said
from incidents.services.common import sender_of
from incidents.subjects import ACCEPTED
from incidents.views import IncidentView, incident_view


@dataclass(frozen=True)
class MessageVersion:
    """One version of the message to the people, as the review shows it."""

    incident_id: str
    version: int
    digest: str
    created_at: datetime
    created_by: str
    approved_at: datetime | None
    approved_by: str | None
    parts: dict[str, dict[str, str]]  # language -> part -> text
    proposed: dict[str, dict[str, str]]
    rendered: dict[str, Rendered]
    problems: list[FieldError] = field(default_factory=list)  # what keeps it from being approved
    kind: str = SUBJECT_NOTICE  # or SUBJECT_UPDATE, the follow-up when the investigation ends

    @property
    def languages(self) -> list[str]:
        return [lang for lang in LANGUAGES if lang in self.rendered]

    @property
    def approved(self) -> bool:
        return self.approved_at is not None

    @property
    def short_digest(self) -> str:
        return self.digest[:12]


def _as_version(row: MessageVersionRow) -> MessageVersion:
    parts: dict[str, dict[str, str]] = {}
    proposed: dict[str, dict[str, str]] = {}
    for p in row.parts:
        parts.setdefault(p.language, {})[p.part] = p.text
        proposed.setdefault(p.language, {})[p.part] = p.proposed
    rendered = {r.language: Rendered(r.subject, r.text, r.html) for r in row.renders}
    return MessageVersion(row.incident_id, row.version, row.digest, row.created_at, row.created_by, row.approved_at,
                          row.approved_by, parts, proposed, rendered,
                          approval_problems(parts, proposed, PARTS_OF[row.kind]), row.kind)


def _latest_row(uow: UnitOfWork, incident_id: str, kind: str = SUBJECT_NOTICE) -> MessageVersionRow | None:
    return uow.session.scalars(select(MessageVersionRow).where(
        MessageVersionRow.incident_id == incident_id, MessageVersionRow.kind == kind)
        .order_by(MessageVersionRow.version.desc()).limit(1)).first()


def latest_version(uow: UnitOfWork, incident_id: str, kind: str = SUBJECT_NOTICE) -> MessageVersion | None:
    """The newest version of the message to the people of an incident, approved or not."""
    with uow:
        row = _latest_row(uow, uow.incident(incident_id).id, kind)
        return None if row is None else _as_version(row)


def version_of(uow: UnitOfWork, incident_id: str, version: int, kind: str = SUBJECT_NOTICE) -> MessageVersion | None:
    """One version of the message to the people of an incident, or None."""
    with uow:
        row = uow.session.scalars(select(MessageVersionRow).where(
            MessageVersionRow.incident_id == uow.incident(incident_id).id, MessageVersionRow.kind == kind,
            MessageVersionRow.version == version)).first()
        return None if row is None else _as_version(row)


def languages_to_send(uow: UnitOfWork, incident_id: str, profile: Profile, kind: str = SUBJECT_NOTICE) -> list[str]:
    """The languages the message will be read in: those of the people linked (a letter uses the same texts), or
    the organisation's language while no list is linked; for the update, those of the people told by e-mail."""
    told = (SubjectRow.status.in_(ACCEPTED),) if kind == SUBJECT_UPDATE else ()
    found = set(uow.session.scalars(select(SubjectRow.language).where(SubjectRow.incident_id == incident_id, *told)
                                    .group_by(SubjectRow.language)))
    return [lang for lang in LANGUAGES if lang in (found or {profile.language})]


def _context(uow: UnitOfWork, profile: Profile, incident_id: str, now: datetime,
             view: IncidentView | None = None) -> dict[str, object]:
    view = view or incident_view(uow, incident_id, now)
    return {"incident": view, "organisation": profile.organisation, "privacy_contact": profile.privacy_contact,
            "categories": categories_of(profile, view.assessment.categories if view.assessment else [])}


TEMPLATES_OF = {SUBJECT_NOTICE: ("subjects/_proposal.j2", "subjects/notice"),
                SUBJECT_UPDATE: ("subjects/_update_proposal.j2", "subjects/update")}


def propose(templates: Path, language: str, context: Mapping[str, object], kind: str = SUBJECT_NOTICE) \
        -> dict[str, str]:
    """What the templates propose for each part in `language` (templates/<lang>/subjects/_proposal.j2, or
    _update_proposal.j2 for the update)."""
    name = TEMPLATES_OF[kind][0]
    organisation = context.get("organisation")
    if language == "nl" and kind == SUBJECT_NOTICE and getattr(organisation, "address_form", "u") == "je":
        name = name.replace(".j2", "_je.j2")  # the organisation says "je" to the people
    module = environment(templates).get_template(f"{language}/{name}").make_module(dict(context))
    proposal = module.parts  # type: ignore[attr-defined]
    return {part: str(proposal[part]).strip() for part in PARTS_OF[kind]}


def _render(templates: Path, language: str, context: Mapping[str, object], parts: Mapping[str, str],
            kind: str = SUBJECT_NOTICE) -> Rendered:
    mail = render_email(templates, language, TEMPLATES_OF[kind][1], **context, parts=dict(parts))
    return Rendered(mail.subject, mail.text, mail.html)


def _require(uow: UnitOfWork, incident_id: str, now: datetime, kind: str, view: IncidentView | None = None) -> None:
    if kind == SUBJECT_UPDATE:
        _require_someone_told(uow, incident_id)
    else:
        _require_told_by_email(uow, incident_id, now, view)


def _require_someone_told(uow: UnitOfWork, incident_id: str) -> None:
    """The update goes to the people who were told by e-mail; it needs some."""
    row = uow.incident(incident_id)
    if row.status == Status.DISMISSED:
        raise InvalidTransition(Said("review.dismissed_no_update", id=row.id))
    told = uow.session.scalar(select(func.count()).select_from(SubjectRow).where(
        SubjectRow.incident_id == row.id, SubjectRow.status.in_(ACCEPTED))) or 0
    if not told:
        raise InvalidTransition(Said("review.nobody_told_yet", id=row.id))


def _require_told_by_email(uow: UnitOfWork, incident_id: str, now: datetime,
                           view: IncidentView | None = None) -> None:
    row = uow.incident(incident_id)
    if row.status in (Status.CLOSED, Status.DISMISSED):
        raise InvalidTransition(Said("review.no_message_any_more", id=row.id, status=str(row.status)))
    decision = uow.latest_decision(row.id)
    if decision is None or not decision.notify_subjects:
        raise InvalidTransition(Said("review.not_told_one_by_one", id=row.id))
    if (view or incident_view(uow, row.id, now)).tracks.people.details.get("channel") == "public_communication":
        raise InvalidTransition(Said("review.told_publicly", id=row.id))


def _new_version(uow: UnitOfWork, templates: Path, incident_id: str, context: Mapping[str, object],
                 parts: Mapping[str, Mapping[str, str]], proposed: Mapping[str, Mapping[str, str]], actor: str,
                 now: datetime, kind: str = SUBJECT_NOTICE) -> MessageVersionRow:
    last = uow.session.scalar(select(func.max(MessageVersionRow.version)).where(
        MessageVersionRow.incident_id == incident_id, MessageVersionRow.kind == kind)) or 0
    rendered = {lang: _render(templates, lang, context, parts[lang], kind) for lang in parts}
    row = MessageVersionRow(incident_id=incident_id, kind=kind, version=last + 1, digest=digest(rendered),
                            created_at=now, created_by=actor)
    row.parts = [MessagePartRow(language=lang, part=part, text=parts[lang][part], proposed=proposed[lang][part])
                 for lang in parts for part in PARTS_OF[kind]]
    row.renders = [MessageRenderRow(language=lang, subject=r.subject, text=r.text, html=r.html)
                   for lang, r in rendered.items()]
    uow.session.add(row)
    uow.session.flush()  # a second writer of the same version fails here (unique), before anything is committed
    return row


def draft_message(uow: UnitOfWork, profile: Profile, templates: Path, incident_id: str, actor: str,
                  now: datetime, kind: str = SUBJECT_NOTICE) -> MessageVersion | None:
    """GDPR art. 34(2): once the decision is to tell the people one by one, a first version of their message,
    proposed from the templates in every language they read, for a person to review. When the list brings a
    language the newest version lacks, a new version adds it (to be approved again). Returns the newest version
    (None when the people are not told by e-mail); calling it again changes nothing."""
    with uow:
        row = uow.incident(incident_id)
        # the incident as the message's words see it, read once: it counts the people, a walk over all of them
        view = incident_view(uow, row.id, now) if kind == SUBJECT_NOTICE else None
        try:
            _require(uow, row.id, now, kind, view)
        except InvalidTransition:
            if kind == SUBJECT_UPDATE:
                raise  # the update is written on request: say why it cannot be
            return None
        latest = _latest_row(uow, row.id, kind)
        languages = languages_to_send(uow, row.id, profile, kind)
        have = set() if latest is None else {r.language for r in latest.renders}
        if latest is not None and set(languages) <= have:
            return _as_version(latest)
        context = _context(uow, profile, row.id, now, view)
        before = _as_version(latest) if latest is not None else None
        parts = dict(before.parts) if before else {}
        proposed = dict(before.proposed) if before else {}
        for lang in languages:
            if lang not in parts:
                parts[lang] = proposed[lang] = propose(templates, lang, context, kind)
        new = _new_version(uow, templates, row.id, context, parts, proposed, actor, now, kind)
        uow.record(at=now, actor=actor, incident_id=row.id, action="message_drafted", kind=kind,
                   version=new.version, languages=",".join(sorted(parts)), digest=new.digest)
        uow.commit()
        return _as_version(new)


def _draft_or_refuse(uow: UnitOfWork, profile: Profile, templates: Path, incident_id: str, actor: str,
                     now: datetime, kind: str = SUBJECT_NOTICE) -> None:
    with uow:
        _require(uow, uow.incident(incident_id).id, now, kind)
    draft_message(uow, profile, templates, incident_id, actor, now, kind)


def edit_message(uow: UnitOfWork, profile: Profile, templates: Path, incident_id: str,
                 changes: Mapping[str, Mapping[str, str]], actor: str, now: datetime,
                 kind: str = SUBJECT_NOTICE) -> MessageVersion:
    """A person rewrites parts of the message (language -> part -> text): one new version, which needs approval
    again (an approval names the digest of what it approved). Texts that did not change make no new version."""
    names = PARTS_OF[kind]
    unknown = [FieldError(f"{lang}.{p}", Said("review.not_a_part", parts=list(names)))
               for lang, own in changes.items() for p in own if p not in names]
    if unknown:
        raise InvalidInput("message to the people", unknown)
    _draft_or_refuse(uow, profile, templates, incident_id, actor, now, kind)
    with uow:
        row = uow.incident(incident_id)
        _require(uow, row.id, now, kind)
        latest = _latest_row(uow, row.id, kind)
        assert latest is not None  # written just now
        before = _as_version(latest)
        foreign = [lang for lang in changes if lang not in before.parts]
        if foreign:
            raise InvalidInput("message to the people", [FieldError("--language", Said(
                "review.not_in_language", id=row.id, languages=before.languages, foreign=foreign))])
        changed = {lang: {p: t.replace("\r\n", "\n").strip() for p, t in own.items()
                          if t.replace("\r\n", "\n").strip() != before.parts[lang][p]}
                   for lang, own in changes.items()}
        changed = {lang: own for lang, own in changed.items() if own}
        if not changed:
            return before
        parts = {lang: {**own, **changed.get(lang, {})} for lang, own in before.parts.items()}
        new = _new_version(uow, templates, row.id, _context(uow, profile, row.id, now), parts, before.proposed,
                           actor, now, kind)
        uow.record(at=now, actor=actor, incident_id=row.id, action="message_edited", kind=kind,
                   version=new.version, parts=",".join(f"{lang}.{p}" for lang, own in changed.items() for p in own),
                   digest=new.digest)
        uow.commit()
        return _as_version(new)


def check_reviewed(newest: MessageVersionRow, version: int | None, digest_prefix: str | None,
                   review: Said | str) -> None:
    """What an approval must name: the newest version (`version`), with the digest the approver saw, of texts that
    still have it. `review` says where the newest version is shown (a command, or a `Said` about the files)."""
    if version is not None and version != newest.version:
        raise InvalidInput("approval", [FieldError("--version", Said(
            "review.not_the_newest", version=version, newest=newest.version, review=review))])
    if digest_prefix and not newest.digest.startswith(digest_prefix.strip().lower()):
        raise InvalidInput("approval", [FieldError("--digest", Said(
            "review.digest_changed", newest=newest.version, digest=newest.digest[:12], review=review))])
    rendered = {r.language: Rendered(r.subject, r.text, r.html) for r in newest.renders}
    if digest(rendered) != newest.digest:
        raise InvalidTransition(Said("review.stored_texts_altered", version=newest.version, id=newest.incident_id))


def _newest(uow: UnitOfWork, incident_id: str, kind: str) -> MessageVersion:
    """The newest version of a message (inside a uow), or a refusal that says how one is written."""
    latest = _latest_row(uow, incident_id, kind)
    if latest is None:
        raise InvalidTransition(Said("review.no_draft_yet", id=incident_id))
    return _as_version(latest)


@dataclass(frozen=True)
class Approved:
    version: int
    digest: str
    approved_by: str
    approved_at: datetime

    def run_input(self) -> dict[str, object]:
        """What a response run waiting for the approval is resumed with (flows/inputs.py ApprovalInput)."""
        return {"version": self.version, "digest": self.digest, "approved_by": self.approved_by}


def approve_message(uow: UnitOfWork, incident_id: str, actor: str, now: datetime, version: int | None = None,
                    digest_prefix: str | None = None, kind: str = SUBJECT_NOTICE) -> Approved:
    """A person approves the newest version of the message to the people, as rendered: the register keeps who,
    when, and the digest of the texts approved. Refused for an older version, a digest that is not this
    version's, or a version with a problem (an empty part, Dutch in the English text)."""
    with uow:
        row = uow.incident(incident_id)
        _require(uow, row.id, now, kind)
        latest = _latest_row(uow, row.id, kind)
        if latest is None:
            raise InvalidTransition(Said("review.no_draft_to_approve", id=row.id))
        check_reviewed(latest, version, digest_prefix, f"breach subjects preview {row.id}")
        current = _as_version(latest)
        if current.problems:
            raise InvalidInput("message to the people", current.problems)
        return record_approval(uow, latest, actor, now)


def record_approval(uow: UnitOfWork, reviewed: MessageVersionRow, actor: str, now: datetime) -> Approved:
    """Keep who approved a reviewed version and when, once, with the digest in the audit trail (inside the
    caller's uow; approving it again changes nothing)."""
    if reviewed.approved_at is None:
        reviewed.approved_at, reviewed.approved_by = now, actor
        uow.record(at=now, actor=actor, incident_id=reviewed.incident_id, action="message_approved",
                   kind=reviewed.kind, version=reviewed.version, digest=reviewed.digest)
        uow.commit()
    assert reviewed.approved_by is not None and reviewed.approved_at is not None
    return Approved(reviewed.version, reviewed.digest, reviewed.approved_by, reviewed.approved_at)


def approved_texts(uow: UnitOfWork, incident_id: str, kind: str = SUBJECT_NOTICE) -> MessageVersion | None:
    """The newest version when it is approved and its texts still have the digest approved (inside a uow):
    what the dispatch may send, covering every language of the people linked. None otherwise."""
    latest = _latest_row(uow, incident_id, kind)
    if latest is None or latest.approved_at is None:
        return None
    version = _as_version(latest)
    told = (SubjectRow.update_status.is_not(None),) if kind == SUBJECT_UPDATE else ()
    found = set(uow.session.scalars(select(SubjectRow.language).where(SubjectRow.incident_id == incident_id, *told)
                                    .group_by(SubjectRow.language)))
    if not found <= set(version.rendered) or digest(version.rendered) != latest.digest:
        return None
    return version


def preview_paths(notices_dir: Path, incident_id: str, version: int, kind: str = SUBJECT_NOTICE) \
        -> dict[str, list[Path]]:
    folder = notices_dir / incident_id
    stem = kind.replace("_", "-")
    return {lang: [folder / f"{stem}-v{version}.{lang}.html", folder / f"{stem}-v{version}.{lang}.txt"]
            for lang in LANGUAGES}


def write_preview(uow: UnitOfWork, profile: Profile, templates: Path, notices_dir: Path, incident_id: str,
                  actor: str, now: datetime, kind: str = SUBJECT_NOTICE) -> tuple[MessageVersion, list[Path]]:
    """The newest version exactly as a recipient gets it, HTML and text per language, as files to open (the
    first draft is written now if the response flow has not done so yet); a person without a name on the list
    is greeted as the message greets them (no real person's name is written)."""
    _draft_or_refuse(uow, profile, templates, incident_id, actor, now, kind)
    with uow:
        version = _newest(uow, uow.incident(incident_id).id, kind)
    written: list[Path] = []
    for lang, (html_path, text_path) in preview_paths(notices_dir, version.incident_id, version.version,
                                                      kind).items():
        if lang not in version.rendered:
            continue
        fallback = render(templates, lang, "subjects/anonymous_name.txt.j2").strip()
        r = version.rendered[lang]
        for path, body in ((html_path, personal(r.html, fallback, html=True)), (text_path, personal(r.text, fallback))):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(body, encoding="utf-8")
            tmp.replace(path)
            written.append(path)
    return version, written


def personal(body: str, name: str, *, html: bool = False) -> str:
    """A rendered text with the name token filled in, as the mail service does per recipient."""
    from incidents.notify.email import HTML_TOKENS, TEXT_TOKENS, substitutions

    subs = substitutions({"name": name})
    token = (HTML_TOKENS if html else TEXT_TOKENS)["name"]
    return body.replace(token, subs[token])


def test_send(uow: UnitOfWork, profile: Profile, mailer: EmailBackend, incident_id: str, to: str, actor: str,
              now: datetime, mail_from: str | None, kind: str = SUBJECT_NOTICE) -> list[str]:
    """The newest version, approved or not, sent as the real message (every language) to one address of the
    incident team or the privacy contact, greeted by their name; any other address is refused, so a draft can
    never reach a person it concerns. Returns the languages sent."""
    allowed = {str(p.email).lower(): p.name for p in [*profile.incident_team, profile.privacy_contact]}
    address = to.strip().lower()
    if address not in allowed:
        raise InvalidInput("test send", [FieldError("--to", Said("review.test_not_to_team"))])
    with uow:
        version = _newest(uow, uow.incident(incident_id).id, kind)
    for lang, r in version.rendered.items():
        message = Message(sender=sender_of(profile, mail_from), subject=r.subject, text=r.text, html=r.html,
                          kind=f"{kind}_test", incident_id=version.incident_id,
                          reply_to=Address(str(profile.privacy_contact.email), profile.privacy_contact.name))
        mailer.send(message, [Recipient(f"test-{lang}", Address(address, allowed[address]),
                                        {"name": allowed[address]})])
    with uow:
        uow.record(at=now, actor=actor, incident_id=version.incident_id, action="message_test_sent", kind=kind,
                   version=version.version, digest=version.digest, to=address,
                   languages=",".join(version.languages))
        uow.commit()
    return version.languages
