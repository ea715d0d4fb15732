"""Deadline reminders: find every running clock, send each due rung of its ladder exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, select, update

from incidents.escalation import (
    Audience,
    Reminder,
    RunningClock,
    authority_clock,
    due_reminders,
    follow_up_clock,
    subject_clock,
)
from incidents.lifecycle import OPEN
from incidents.notify.email import EmailBackend, Message, Recipient
from incidents.notify.render import render_email
from incidents.profile import Profile
from incidents.register.tables import IncidentRow, ReminderRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.services.common import insert_ignoring_conflicts, sender_of
from incidents.services.team import team_recipients
from incidents.tracks import AuthorityState, PeopleState
from incidents.views import incident_view

# Art. 33(4) "without undue further delay": the internal target for the follow-up of a phased first notice.
FOLLOW_UP_TARGET = timedelta(days=7)

# A claim older than this belongs to a watch that died mid-send: the reminder is taken over and sent again.
STALE_CLAIM = timedelta(minutes=10)


def running_clocks(uow: UnitOfWork, now: datetime, subject_target: timedelta,
                   follow_ups: list[tuple[str, datetime]] | None = None,
                   organisation_id: int | None = None) -> list[RunningClock]:
    """The clocks still running (inside the caller's `with uow`), of one organisation when it is given; first
    filings that may owe a follow-up are added to `follow_ups`, for the caller to check after the transaction
    (the check reads the register anew)."""
    clocks = []
    which: list[ColumnElement[bool]] = [IncidentRow.status.in_([s.value for s in OPEN])]
    if organisation_id is not None:
        which.append(IncidentRow.organisation_id == organisation_id)
    ids = uow.session.scalars(select(IncidentRow.id).where(*which))
    for incident_id in list(ids):
        view = incident_view(uow, incident_id, now)
        tracks = view.tracks  # the clocks run while their track does (incidents.tracks)
        if tracks.authority.state in (AuthorityState.UNDECIDED, AuthorityState.TO_FILE):
            clocks.append(authority_clock(view.id, view.aware_at))
        if follow_ups is not None and [f.kind for f in view.filings] == ["first"]:
            follow_ups.append((view.id, view.filings[0].filed_at))  # chased until a follow-up or a withdrawal
        if view.decision is not None and tracks.people.state in (PeopleState.AWAITING_APPROVAL, PeopleState.APPROVED,
                                                                    PeopleState.SENDING):
            clocks.append(subject_clock(view.id, view.decision.decided_at, subject_target))
    return clocks


def _follow_up_owed(uow: UnitOfWork, profile: Profile, incident_id: str, now: datetime) -> bool:
    """A first notice was filed with questions still open, and no follow-up or withdrawal came after it."""
    from incidents.services.authority import check_authority_notice

    return check_authority_notice(uow, profile, incident_id, now).check.verdict == "follow_up"


def _settled(uow: UnitOfWork, now: datetime) -> set[tuple[str, str, str]]:
    """Reminders sent, superseded, or being sent by a live watch right now."""
    rows = uow.session.execute(select(ReminderRow.incident_id, ReminderRow.clock, ReminderRow.step,
                                      ReminderRow.status, ReminderRow.sent_at))
    return {(i, c, s) for i, c, s, status, at in rows if status != "sending" or at > now - STALE_CLAIM}


def _claim(uow: UnitOfWork, reminder: Reminder, now: datetime) -> bool:
    """Take the reminder for this watch; False when another watch has it. Missed rungs are recorded too."""
    table = ReminderRow.__table__
    with uow:
        for step in reminder.superseded:
            uow.session.execute(insert_ignoring_conflicts(uow, table, ["incident_id", "clock", "step"]).values(
                incident_id=reminder.incident_id, clock=reminder.clock, step=step, status="superseded",
                sent_at=now, recipients=0))
        # RETURNING says whether this watch inserted the row (rowcount does not: -1 on PostgreSQL here)
        inserted = uow.session.execute(insert_ignoring_conflicts(uow, table, ["incident_id", "clock", "step"]).values(
            incident_id=reminder.incident_id, clock=reminder.clock, step=reminder.step, status="sending",
            sent_at=now, recipients=0).returning(table.c.id)).first() is not None
        if not inserted:  # taken over only when the earlier claim is stale
            inserted = cast(CursorResult[Any], uow.session.execute(
                update(ReminderRow).where(
                    ReminderRow.incident_id == reminder.incident_id, ReminderRow.clock == reminder.clock,
                    ReminderRow.step == reminder.step, ReminderRow.status == "sending",
                    ReminderRow.sent_at <= now - STALE_CLAIM).values(sent_at=now))).rowcount > 0
        uow.commit()
    return bool(inserted)


def recipients_for(profile: Profile, audience: Audience) -> list[Recipient]:
    return team_recipients(profile, privacy_contact_too=audience == Audience.TEAM_AND_PRIVACY_CONTACT)

def send_due_reminders(uow: UnitOfWork, profile: Profile, mailer: EmailBackend, templates: Path,
                       mail_from: str | None, now: datetime, subject_target: timedelta,
                       organisation_id: int | None = None) -> dict[str, int]:
    """Send what the ladders say is due now, to the team of the organisation `profile` is of (only its
    incidents when `organisation_id` is given); safe to run late, twice, or twice at the same time."""
    follow_ups: list[tuple[str, datetime]] = []
    with uow:
        clocks = running_clocks(uow, now, subject_target, follow_ups, organisation_id)
        settled = _settled(uow, now)
    clocks += [follow_up_clock(incident_id, filed_at, FOLLOW_UP_TARGET) for incident_id, filed_at in follow_ups
               if _follow_up_owed(uow, profile, incident_id, now)]
    due = due_reminders(clocks, settled, now)
    sent = skipped = 0
    for reminder in due:
        if not _claim(uow, reminder, now):
            skipped += 1
            continue
        with uow:
            view = incident_view(uow, reminder.incident_id, now)
        hours_left = (reminder.due_at - now).total_seconds() / 3600
        rendered = render_email(templates, profile.language, "team/reminder", incident=view,
                                organisation=profile.organisation,
                                clock_name=reminder.clock, step=reminder.step, due_at=reminder.due_at,
                                hours_left=hours_left, escalated=reminder.audience != Audience.TEAM)
        message = Message(sender=sender_of(profile, mail_from), subject=rendered.subject, text=rendered.text,
                          html=rendered.html, kind=f"reminder-{reminder.clock}-{reminder.step}",
                          incident_id=reminder.incident_id)
        accepted = mailer.send(message, recipients_for(profile, reminder.audience)).accepted
        with uow:
            uow.session.execute(update(ReminderRow).where(
                ReminderRow.incident_id == reminder.incident_id, ReminderRow.clock == reminder.clock,
                ReminderRow.step == reminder.step).values(status="sent", recipients=len(accepted), sent_at=now))
            uow.record(at=now, actor="deadline-watch", incident_id=reminder.incident_id, action="reminder_sent",
                       clock=reminder.clock, step=reminder.step, recipients=len(accepted),
                       superseded=list(reminder.superseded))
            uow.commit()
        sent += 1
    return {"due": len(due), "sent": sent, "taken_by_another_watch": skipped}
