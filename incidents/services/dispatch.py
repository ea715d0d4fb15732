"""Telling the people one by one (GDPR art. 34): their notices rendered once per language and sent in batches of
up to 1 000, each batch claimed before it is sent, so a crash resumes without losing or doubling anyone."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Table, bindparam, exists, func, select, update

from incidents.errors import DispatchFailed
from incidents.messages import SUBJECT_NOTICE, SUBJECT_UPDATE
from incidents.notify.email import Address, EmailBackend, Message, named_recipients
from incidents.notify.render import render
from incidents.profile import Profile
from incidents.register.tables import (
    DispatchBatchRow,
    MessageVersionRow,
    SubjectRow,
)
from incidents.register.unit_of_work import UnitOfWork
from incidents.services.common import (
    SEND_BATCH,
    Outcome,
    chunks,
    claim_notice,
    keep_text,
    location_of,
    send,
    sender_of,
    upsert,
)
from incidents.services.people import OnProgress
from incidents.services.review import approved_texts
from incidents.subjects import notified
from incidents.views import message_approval

WAITING_FOR_APPROVAL = "waiting for a person to approve the message (breach subjects preview, then approve)"


def notify_update(uow: UnitOfWork, profile: Profile, mailer: EmailBackend, templates: Path, incident_id: str,
                  mail_from: str | None, now: datetime) -> Outcome:
    """The follow-up when the investigation ends (GDPR art. 34(2), in phases): once a person approved it, to
    everyone the first message reached by e-mail, in their language, in batches claimed before they are sent, so
    a crash resumes without losing or doubling anyone (as notify_subjects). Each person's `update_status` keeps
    how far it got; the first message's status is left as it was."""
    with uow:
        row = uow.incident(incident_id)
        if uow.session.scalar(select(MessageVersionRow.id).where(
                MessageVersionRow.incident_id == row.id, MessageVersionRow.kind == SUBJECT_UPDATE).limit(1)) is None:
            return Outcome(SUBJECT_UPDATE, False, detail="no update written", why="no_update")
        approved = approved_texts(uow, row.id, SUBJECT_UPDATE)
        if approved is None:
            return Outcome(SUBJECT_UPDATE, False, detail=WAITING_FOR_APPROVAL, why="awaiting_approval")
        # the people it goes to, once: those the first message reached by e-mail (not those it bounced for)
        uow.session.execute(update(SubjectRow).where(
            SubjectRow.incident_id == row.id, SubjectRow.status.in_(("sent", "deferred", "delivered")),
            SubjectRow.update_status.is_(None)).values(update_status="pending"))
        counts = uow.update_counts(row.id, in_flight=False)  # 'sending': people of an earlier release's batch
        open_work = counts.get("pending", 0) + counts.get("sending", 0)
        if not open_work and (n := uow.notice(row.id, SUBJECT_UPDATE)) and n.status == "done":
            uow.commit()
            return Outcome(SUBJECT_UPDATE, True, n.recipients, detail="already sent", why="already_sent")
        claim_notice(uow, row.id, SUBJECT_UPDATE, mailer.name, now)
        uow.commit()
    total = 0
    dispatch = _Dispatch(uow, row.id, now, SUBJECT_UPDATE, legacy=counts.get("sending", 0) > 0)
    for language in approved.languages:
        rendered = approved.rendered[language]
        message = Message(sender=sender_of(profile, mail_from), subject=rendered.subject, text=rendered.text,
                          html=rendered.html, kind=SUBJECT_UPDATE, incident_id=row.id,
                          reply_to=Address(str(profile.privacy_contact.email), profile.privacy_contact.name),
                          custom_args={"organisation": str(row.organisation_id)})  # checked on its events
        fallback = render(templates, language, "subjects/anonymous_name.txt.j2").strip()
        batch = dispatch.first(language)
        if batch is not None:
            with uow:
                keep_text(uow, row.id, SUBJECT_UPDATE, approved.version, language, rendered.subject, rendered.text,
                          now)
                uow.commit()
        while batch is not None:
            recipients = named_recipients(batch.people, "subject", fallback)
            try:
                sent = send(uow, row.id, SUBJECT_UPDATE, mailer, message, recipients, now)
            except DispatchFailed as exc:
                dispatch.refused(batch, getattr(exc, "accepted", []), str(exc))
                raise
            total += len(sent.accepted)
            batch = dispatch.next(batch, sent.accepted, message_ids=sent.message_ids)
    with uow:
        notice = uow.notice(row.id, SUBJECT_UPDATE)
        assert notice is not None
        updated = uow.session.scalar(select(func.count()).select_from(SubjectRow).where(
            SubjectRow.incident_id == row.id, SubjectRow.update_status == "sent")) or 0
        notice.status, notice.finished_at, notice.recipients = "done", now, updated
        if total:
            uow.record(at=now, actor="response-flow", incident_id=row.id, action="subjects_updated", sent=total,
                       total_sent=sent, version=approved.version, backend=mailer.name)
        uow.commit()
    return Outcome(SUBJECT_UPDATE, True, total)


def notify_subjects(uow: UnitOfWork, profile: Profile, mailer: EmailBackend, templates: Path, incident_id: str,
                    mail_from: str | None, now: datetime, progress: OnProgress | None = None,
                    max_batches: int | None = None) -> Outcome:
    """GDPR art. 34(1)-(2): tell each affected person, in their language, in batches; resumable after a crash.

    Each batch is claimed in the register (a batch row) before it goes to the mail service and marked when the
    service accepted it, so a run that is killed at any moment and started again finishes the job: nobody is
    skipped, and the only people who can get the message twice are those of the one batch that was in flight
    at the crash. They are sent again, counted, and reported. `progress` hears after each batch how many
    people were handled and which part of all reachable people has been notified.

    With `max_batches` it stops after that many requests, between two batches (nothing left claimed), and
    says `more`: the flow runs the dispatch as a few coarse task runs, each continuing where the last stopped.
    """
    with uow:
        row = uow.incident(incident_id)
        decision = uow.latest_decision(row.id)
        if decision is None or not decision.notify_subjects:
            return Outcome("subject_notice", False, detail="no decision to notify the people", why="no_decision")
        counts = uow.subject_counts(row.id, in_flight=False)  # 'sending': people of an earlier release's batch
        if not counts:
            return Outcome("subject_notice", False, detail="waiting for the list of affected people", why="no_list")
        open_work = counts.get("pending", 0) + counts.get("sending", 0)
        done_before = notified(counts)
        if not open_work and (n := uow.notice(row.id, "subject_notice")) and n.status == "done":
            return Outcome("subject_notice", True, notified(counts), detail="already sent", why="already_sent")
        approved = approved_texts(uow, row.id)
        if approved is None:  # nothing reaches a person before a person approved what they will read
            return Outcome("subject_notice", False, detail=WAITING_FOR_APPROVAL, why="awaiting_approval")
        claim_notice(uow, row.id, "subject_notice", mailer.name, now)
        uow.commit()
    total = handled = requests = 0
    dispatch = _Dispatch(uow, row.id, now, legacy=counts.get("sending", 0) > 0)
    with _heap_frozen():
        for language in approved.languages:
            rendered = approved.rendered[language]
            message = Message(sender=sender_of(profile, mail_from), subject=rendered.subject, text=rendered.text,
                              html=rendered.html, kind="subject_notice", incident_id=row.id,
                              reply_to=Address(str(profile.privacy_contact.email), profile.privacy_contact.name),
                              custom_args={"organisation": str(row.organisation_id)})  # checked on its events
            fallback = render(templates, language, "subjects/anonymous_name.txt.j2").strip()
            batch = dispatch.first(language)
            if batch is not None:  # someone gets it in this language: keep its words (the AP asks for them)
                with uow:
                    keep_text(uow, row.id, "subject_notice", approved.version, language, rendered.subject,
                              rendered.text, now)
                    uow.commit()
            while batch is not None:
                recipients = named_recipients(batch.people, "subject", fallback)
                try:
                    sent = send(uow, row.id, "subject_notice", mailer, message, recipients, now)
                    accepted = sent.accepted
                except DispatchFailed as exc:
                    dispatch.refused(batch, getattr(exc, "accepted", []), str(exc))
                    raise
                total += len(accepted)
                handled += len(batch.people)
                requests += 1
                stop = max_batches is not None and requests >= max_batches
                batch = dispatch.next(batch, accepted, claim_next=not stop, message_ids=sent.message_ids)
                if progress is not None:
                    progress(handled, min(1.0, (done_before + handled) / (done_before + open_work)))
                if stop:
                    return Outcome("subject_notice", False, total, more=True,
                                   detail=f"{requests} request(s) sent; the dispatch continues", why="continues",
                                   again=requests)
    with uow:
        notice = uow.notice(row.id, "subject_notice")
        assert notice is not None
        counts = uow.subject_counts(row.id)
        notice.status, notice.finished_at = "done", now
        notice.recipients = notified(counts)
        notice.location = location_of(mailer, Message(sender=Address(""), subject="", text="", html=None,
                                                      kind="subject_notice", incident_id=row.id))
        # every resend of a batch that was in flight when a run stopped, over all runs (attempts - 1 each)
        resent = int(uow.session.scalar(select(func.coalesce(func.sum(
            DispatchBatchRow.recipients * (DispatchBatchRow.attempts - 1)), 0)).where(
            DispatchBatchRow.incident_id == row.id, DispatchBatchRow.kind == "subject_notice")) or 0)
        uow.record(at=now, actor="response-flow", incident_id=row.id, action="subjects_notified", sent=total,
                   total_sent=notified(counts), unreachable=counts.get("unreachable", 0),
                   sent_again_after_crash=resent, backend=mailer.name)
        uow.commit()
    detail = f"{resent} sent again after an interruption (possible duplicates)" if resent else ""
    return Outcome("subject_notice", True, total, detail=detail, why="resent" if resent else "", again=resent)




@contextmanager
def _heap_frozen() -> Iterator[None]:
    """Keep the cyclic garbage collector off the objects that existed before the dispatch began.

    Each batch's rows, recipients and request body outlive a young collection, so full collections come often,
    and each one walked every object of the process (the modules of SQLAlchemy, Jinja, Prefect...): a fifth of
    the dispatch's time. Frozen objects are skipped (gc.freeze) until the dispatch ends; what the dispatch
    itself allocates is collected as usual.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@dataclass(frozen=True)
class ClaimedBatch:
    key: str
    language: str
    first: int  # the claimed id range: the batch is its people of this language not yet marked
    last: int
    people: list[tuple[int, str, str]]  # (subject id, name, address) in id order: in memory for one request only


class _Dispatch:
    """The register's side of the dispatch, a batch at a time. A batch is the next 1 000 pending people of a
    language in id order. Its dispatch_batches row is the claim: 'sending', with the language and the id range,
    committed before the request goes to the mail service. When the service took it, its people go from
    pending to sent in one statement on the range and the row is closed; marking one batch and claiming the next
    are one transaction. Each person's row is written once, and every statement is a set operation on an id
    range, not a statement per person.

    `legacy`: people may be left 'sending' by a run of an earlier release, which marked each person of its
    batch before the request; they are sent again first.
    """

    def __init__(self, uow: UnitOfWork, incident_id: str, now: datetime, kind: str = SUBJECT_NOTICE,
                 legacy: bool = True):
        self.uow, self.incident_id, self.now, self.kind, self.legacy = uow, incident_id, now, kind, legacy
        self._statements: _Statements | None = None

    def first(self, language: str) -> ClaimedBatch | None:
        """The batch an interrupted run left in flight, if any (sent again), else the first new batch."""
        with self.uow:
            batch = self._in_flight(language) or self._claim_new(language)
            self.uow.commit()
        return batch

    def next(self, done: ClaimedBatch, accepted: list[str], claim_next: bool = True,
             message_ids: list[str] | None = None) -> ClaimedBatch | None:
        """Mark who the service accepted of `done` (and the service's id of the request) and claim the batch
        after it, in one transaction."""
        with self.uow:
            self._mark(done, accepted, error=None, message_ids=message_ids)
            batch = self._claim_new(done.language, after=done.last) if claim_next else None
            self.uow.commit()
        return batch

    def refused(self, done: ClaimedBatch, accepted: list[str], error: str) -> None:
        """The service refused the batch: those it took are marked, the others stay pending for the next run
        (the batch, 'failed', no longer claims them), and the batch keeps the service's error."""
        with self.uow:
            self._mark(done, accepted, error=error)
            self.uow.commit()

    # -- the statements --------------------------------------------------------------------------------------

    def _run(self, name: str, **values: object) -> CursorResult[Any]:
        """One of the dispatch's statements, built once, run on the session's connection in the session's
        transaction (Core: the ORM's per-row work cost a third of the dispatch's time)."""
        if self._statements is None:
            self._statements = _Statements(self.uow, self.kind)
        return self.uow.session.connection().execute(getattr(self._statements, name), {
            "incident": self.incident_id, "now": self.now, **values})

    def _people(self, language: str, status: str, after: int = 0) -> list[tuple[int, str, str]]:
        """The next 1 000 people of a language with this status, in id order, after id `after`: a walk along
        ix_subjects_dispatch_cursor from where the last batch ended."""
        return cast(list[tuple[int, str, str]], self._run("people", lang=language, state=status,
                                                          after=after).all())

    def _in_flight(self, language: str) -> ClaimedBatch | None:
        """A batch of this language an interrupted run claimed and did not mark: the mail service may have
        taken it, so its people not marked since are sent again, and its attempts count them. A claimed batch
        whose people all moved on (the service's events said it has their message) is closed as accepted."""
        if self.legacy and (people := self._people(language, "sending")):
            return self._claim(language, people[0][0], people[-1][0], people)
        for key, first, last in cast(list[tuple[str, int, int]], self._run("claimed", lang=language).all()):
            people = cast(list[tuple[int, str, str]], self._run("unmarked", lang=language, first=first,
                                                                last=last).all())
            if people:
                return self._claim(language, first, last, people, key)
            self._run("close_batch", key=key, state="accepted", problem=None, message_id=None)
        return None

    def _claim_new(self, language: str, after: int = 0) -> ClaimedBatch | None:
        people = self._people(language, "pending", after)
        if not people:
            return None
        return self._claim(language, people[0][0], people[-1][0], people)

    def _claim(self, language: str, first: int, last: int, people: list[tuple[int, str, str]],
               key: str | None = None) -> ClaimedBatch:
        """The batch row says which people are in flight: the id range says it without 1 000 parameters (the
        run lock keeps anyone else from changing these rows meanwhile). Claiming a batch again (a resend)
        counts one more attempt of its people."""
        key = key or f"{self.incident_id}:{self.kind}:{language}:{first}-{last}"
        self._run("open_batch", key=key, lang=language, first=first, last=last, recipients=len(people))
        return ClaimedBatch(key, language, first, last, people)

    def _mark(self, done: ClaimedBatch, accepted: list[str], error: str | None,
              message_ids: list[str] | None = None) -> None:
        """Only people still pending (or 'sending', of an earlier release's batch) change: a delivery event
        that came in first (incidents.services.deliveries) already moved a person on, and the stronger state
        it recorded stays."""
        if accepted and len(accepted) == len(done.people):  # all of them: the batch's id range, as claimed
            self._run("sent_range", lang=done.language, first=done.first, last=done.last)
            return self._close(done, error, message_ids)
        ids = [int(key.removeprefix("subject-")) for key in accepted]
        if ids:
            for chunk in chunks(ids, SEND_BATCH):
                self._run("sent_ids", lang=done.language, ids=chunk)
        if error is not None and self.legacy:  # an earlier release's people: back to pending, as it did
            taken = set(ids)
            for chunk in chunks([p[0] for p in done.people if p[0] not in taken], SEND_BATCH):
                self._run("back_to_pending", lang=done.language, ids=chunk)
        self._close(done, error, message_ids)

    def _close(self, done: ClaimedBatch, error: str | None, message_ids: list[str] | None) -> None:
        self._run("close_batch", key=done.key, state="failed" if error else "accepted", problem=error,
                  message_id=",".join(message_ids or [])[:200] or None)


def claimed(subjects: Table, kind: str) -> ColumnElement[bool]:
    """SQL: the person is in a batch of `kind` that a dispatch claimed and has not marked (its row still
    'sending'). The request may have reached the mail service, so the person may have the message while
    their own status still says pending."""
    b = cast(Table, DispatchBatchRow.__table__)
    return exists().where(b.c.incident_id == subjects.c.incident_id, b.c.kind == kind, b.c.status == "sending",
                          b.c.language == subjects.c.language, subjects.c.id.between(b.c.first_id, b.c.last_id))


class _Statements:
    """The dispatch's statements with their parameters named, built once per dispatch."""

    def __init__(self, uow: UnitOfWork, kind: str = SUBJECT_NOTICE):
        s, b = cast(Table, SubjectRow.__table__), cast(Table, DispatchBatchRow.__table__)
        p = bindparam
        # the first message moves `status`; the update its own `update_status`, the first one's stays as it was
        state, at = (s.c.status, "notified_at") if kind == SUBJECT_NOTICE else (s.c.update_status, "update_sent_at")
        name = state.name
        mine = (s.c.incident_id == p("incident"), s.c.language == p("lang"))
        unmarked = state.in_(("pending", "sending"))  # 'sending': a person of an earlier release's batch
        self.people = (select(s.c.id, s.c.name, s.c.email)
                       .where(*mine, s.c.id > p("after"), state == p("state"))
                       .order_by(s.c.id).limit(SEND_BATCH))
        in_range = s.c.id.between(p("first"), p("last"))
        self.unmarked = (select(s.c.id, s.c.name, s.c.email).where(*mine, unmarked, in_range)
                         .order_by(s.c.id).limit(SEND_BATCH))
        self.claimed = (select(b.c.batch_key, b.c.first_id, b.c.last_id)
                        .where(b.c.incident_id == p("incident"), b.c.kind == kind, b.c.status == "sending",
                               b.c.language == p("lang"), b.c.first_id.is_not(None))
                        .order_by(b.c.first_id))
        self.sent_range = s.update().where(*mine, unmarked, in_range).values({name: "sent", at: p("now")})
        self.sent_ids = (s.update().where(*mine, unmarked, s.c.id.in_(p("ids", expanding=True)))
                         .values({name: "sent", at: p("now")}))
        self.back_to_pending = (s.update().where(*mine, state == "sending",
                                                 s.c.id.in_(p("ids", expanding=True))).values({name: "pending"}))
        self.open_batch = upsert(uow, b, ["incident_id", "batch_key"], {
            "status": "sending", "attempts": b.c.attempts + 1, "error": None, "finished_at": None,
            "recipients": p("recipients"), "language": p("lang"), "first_id": p("first"), "last_id": p("last"),
        }).values(incident_id=p("incident"), batch_key=p("key"), kind=kind, status="sending",
                  recipients=p("recipients"), attempts=1, started_at=p("now"), language=p("lang"),
                  first_id=p("first"), last_id=p("last"))
        self.close_batch = (b.update().where(b.c.incident_id == p("incident"), b.c.batch_key == p("key"))
                            .values(status=p("state"), finished_at=p("now"), error=p("problem"),
                                    provider_message_id=p("message_id")))


def dispatch_plan(uow: UnitOfWork, incident_id: str) -> dict[str, int]:
    """A dry run: which version of the message, whether it is approved, who would get it per language, in how
    many requests; nothing is sent or changed."""
    with uow:
        row = uow.incident(incident_id)
        rows = uow.session.execute(select(SubjectRow.language, func.count()).where(
            SubjectRow.incident_id == row.id, SubjectRow.status.in_(("pending", "sending")))
            .group_by(SubjectRow.language)).all()
        approval = message_approval(uow, row.id)
    plan: dict[str, int] = {"message_version": approval.version if approval else 0,
                            "approved": int(bool(approval and approval.approved))}
    for language, count in rows:
        plan[f"{language}_people"] = count
        plan[f"{language}_requests"] = -(-count // SEND_BATCH)
    return plan
