"""The incident team's alert on detection."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from incidents.lifecycle import Status
from incidents.notify.email import Address, EmailBackend, Message, Recipient
from incidents.notify.render import render_email
from incidents.profile import Profile
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
    recipients = [Recipient(f"team-{i}", Address(str(m.email), m.name), {"name": m.name})
                  for i, m in enumerate(profile.incident_team)]
    sent = send(uow, row.id, "team_alert", mailer, message, recipients, now)
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
