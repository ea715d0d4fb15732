"""The incident team's alert on detection."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from incidents.lifecycle import OPEN, Status
from incidents.notify.email import Address, EmailBackend, Message, Recipient
from incidents.notify.render import render_email
from incidents.profile import Profile
from incidents.register.tables import IncidentRow, NoticeRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.services.common import (
    Outcome,
    claim_notice,
    location_of,
    move_status,
    send,
    sender_of,
)
from incidents.views import incident_view


def team_recipients(profile: Profile, privacy_contact_too: bool = False) -> list[Recipient]:
    """The incident team (and, escalated, the privacy contact), each address once; keys, not addresses, name them."""
    people = [*profile.incident_team, *([profile.privacy_contact] if privacy_contact_too else [])]
    seen: set[str] = set()
    recipients = []
    for i, person in enumerate(people):
        if str(person.email).lower() not in seen:
            seen.add(str(person.email).lower())
            recipients.append(Recipient(f"team-{i}", Address(str(person.email), person.name), {"name": person.name}))
    return recipients


def unalerted(uow: UnitOfWork, now: datetime, waited: timedelta, organisation_id: int | None = None) -> list[str]:
    """Open incidents reported at least `waited` ago whose team alert was never begun: the response that should
    have alerted the team did not start (its event lost, its process killed first). An alert begun and not
    finished is the response's own to finish, under its lock."""
    begun = select(NoticeRow.incident_id).where(NoticeRow.kind == "team_alert")
    which = [IncidentRow.status.in_([s.value for s in OPEN]), IncidentRow.reported_at <= now - waited,
             IncidentRow.id.not_in(begun)]
    if organisation_id is not None:
        which.append(IncidentRow.organisation_id == organisation_id)
    with uow:
        return list(uow.session.scalars(select(IncidentRow.id).where(*which).order_by(IncidentRow.id)))


def alert_team(uow: UnitOfWork, profile: Profile, mailer: EmailBackend, templates: Path, incident_id: str,
               mail_from: str | None, now: datetime) -> Outcome:
    """Tell the incident team on detection, once, and open the assessment."""
    with uow:
        row = uow.incident(incident_id)
        notice = claim_notice(uow, row.id, "team_alert", mailer.name, now)
        if notice is None:
            return Outcome("team_alert", True, detail="already sent")
        view = incident_view(uow, row.id, now)
        uow.commit()
    rendered = render_email(templates, profile.language, "team/alert", incident=view,
                            organisation=profile.organisation, privacy_contact=profile.privacy_contact,
                            clock=view.authority_clock)
    message = Message(sender=sender_of(profile, mail_from), subject=rendered.subject, text=rendered.text,
                      html=rendered.html, kind="team_alert", incident_id=row.id)
    recipients = team_recipients(profile)
    sent = send(uow, row.id, "team_alert", mailer, message, recipients, now).accepted
    with uow:
        row = uow.incident(incident_id)
        notice = uow.notice(row.id, "team_alert")
        assert notice is not None
        notice.status, notice.finished_at = "done", now
        notice.recipients, notice.location = len(sent), location_of(mailer, message)
        uow.record(at=now, actor="response-flow", incident_id=row.id, action="team_alerted",
                   recipients=len(sent), backend=mailer.name)
        if row.status == Status.DETECTED:
            move_status(uow, row, Status.UNDER_ASSESSMENT, "response-flow", now)
        uow.commit()
    return Outcome("team_alert", True, len(sent))


def tell_team_advice_changed(uow: UnitOfWork, profile: Profile, mailer: EmailBackend, templates: Path,
                             incident_id: str, mail_from: str | None, now: datetime) -> Outcome:
    """A replaced assessment changed the advice's outcome: the team hears it once per new recommendation,
    before anyone decides on the old advice (accountability, GDPR art. 5(2))."""
    from sqlalchemy import select

    from incidents.register.tables import NoticeRow
    from incidents.services.recommendation import recommendation_of

    advice = recommendation_of(uow, incident_id)
    if advice is None or not advice.changed or advice.id is None:
        return Outcome("advice_changed", False)
    with uow:
        row = uow.incident(incident_id)
        done = uow.session.scalars(select(NoticeRow).where(
            NoticeRow.incident_id == row.id, NoticeRow.kind == "advice_changed", NoticeRow.version == advice.id,
            NoticeRow.status == "done")).first()
        if done is not None:
            return Outcome("advice_changed", True, detail="already sent")
        notice = uow.session.scalars(select(NoticeRow).where(
            NoticeRow.incident_id == row.id, NoticeRow.kind == "advice_changed",
            NoticeRow.version == advice.id)).first()
        if notice is None:
            notice = NoticeRow(incident_id=row.id, kind="advice_changed", version=advice.id, status="sending",
                               started_at=now, recipients=0, backend=mailer.name)
            uow.session.add(notice)
        view = incident_view(uow, row.id, now)
        uow.commit()
    rendered = render_email(templates, profile.language, "team/advice_changed", incident=view, advice=advice,
                             organisation=profile.organisation)
    message = Message(sender=sender_of(profile, mail_from), subject=rendered.subject, text=rendered.text,
                      html=rendered.html, kind=f"advice_changed-{advice.id}", incident_id=row.id)
    recipients = team_recipients(profile)
    sent = send(uow, row.id, "advice_changed", mailer, message, recipients, now).accepted
    with uow:
        notice = uow.session.scalars(select(NoticeRow).where(
            NoticeRow.incident_id == row.id, NoticeRow.kind == "advice_changed",
            NoticeRow.version == advice.id)).one()
        notice.status, notice.finished_at, notice.recipients = "done", now, len(sent)
        notice.location = location_of(mailer, message)
        uow.record(at=now, actor="response-flow", incident_id=row.id, action="team_told_advice_changed",
                   recommendation=advice.id, recipients=len(sent))
        uow.commit()
    return Outcome("advice_changed", True, len(sent))
