"""Read models: an incident as people and scripts see it, built from the register and the profile."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import select

from incidents.deadlines import authority_clock, processor_clock
from incidents.legal import NO_FINDINGS, Findings
from incidents.lifecycle import OPEN, Status
from incidents.profile import Profile
from incidents.register.tables import AssessmentRow, DecisionRow, IncidentRow, NoticeRow, RecommendationRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.times import iso
from incidents.tracks import FilingFact, Tracks, authority_track, frame_of, people_track


@dataclass(frozen=True)
class AssessmentView:
    recorded_at: datetime
    recorded_by: str
    summary: str
    confidentiality: str
    integrity: str
    availability: str
    malicious: bool
    categories: list[str]  # as written (own names included)
    vocabulary: list[str]  # what they mean in the assessment vocabulary
    ease_of_identification: str
    context: dict[str, bool]
    count_min: int
    count_max: int
    groups: list[str]
    contact_effort: str
    encryption: str
    key_compromised: bool
    hashing: str
    backup_available: bool
    exfiltration: str
    recovered: bool
    recipient_trusted: bool
    restored_within_hours: float | None
    measures_make_high_risk_unlikely: bool
    measures: str
    endangers_safety: bool = False  # the recipient can locate or reach a person who must be protected from them

    @classmethod
    def of(cls, row: AssessmentRow) -> AssessmentView:
        context_names = ("profiling_possible", "reveals_sensitive_insight", "vulnerable_subjects",
                         "publicly_available", "limited_insight", "full_financial_details")
        return cls(
            recorded_at=row.recorded_at, recorded_by=row.recorded_by, summary=row.summary,
            confidentiality=row.confidentiality, integrity=row.integrity, availability=row.availability,
            malicious=row.malicious, categories=[c.category for c in row.categories],
            vocabulary=sorted({c.vocabulary for c in row.categories}),
            ease_of_identification=row.ease_of_identification,
            context={name: getattr(row, name) for name in context_names},
            count_min=row.count_min, count_max=row.count_max, groups=[g.group for g in row.groups],
            contact_effort=row.contact_effort, encryption=row.encryption, key_compromised=row.key_compromised,
            hashing=row.hashing, backup_available=row.backup_available, exfiltration=row.exfiltration,
            recovered=row.recovered, recipient_trusted=row.recipient_trusted,
            restored_within_hours=row.restored_within_hours,
            measures_make_high_risk_unlikely=row.measures_make_high_risk_unlikely, measures=row.measures,
            endangers_safety=row.endangers_safety,
        )


@dataclass(frozen=True)
class DecisionView:
    notify_authority: bool
    notify_subjects: bool
    reason: str
    decided_by: str
    decided_at: datetime

    @classmethod
    def of(cls, row: DecisionRow) -> DecisionView:
        return cls(row.notify_authority, row.notify_subjects, row.reason, row.decided_by, row.decided_at)


@dataclass(frozen=True)
class RecommendationLineView:
    """One coded line: a step of the score (breakdown) or a reason; templates/*/recommendation/lines.j2 words it."""

    kind: str  # breakdown | reason
    code: str
    detail: str | None
    points: float | None
    source: str


@dataclass(frozen=True)
class RecommendationView:
    """The engine's advice on art. 33/34 for an assessment (incidents/recommendation.py), as stored."""

    score: float
    level: str
    dpc: float
    ei: float
    cb: float
    notify_authority: bool
    notify_subjects: bool
    public_communication: bool
    lines: list[RecommendationLineView]
    id: int | None = None  # None: evaluated on its own (`breach recommend FILE`), not stored
    assessment_id: int | None = None
    computed_at: datetime | None = None
    changed: bool = False  # the outcome differs from the recommendation for the assessment before
    previous: dict[str, bool] | None = None  # that earlier outcome, when it differs
    findings: Findings = NO_FINDINGS  # the legal findings the advice rests on (incidents.legal)

    @property
    def outcome(self) -> dict[str, bool]:
        return {"notify_authority": self.notify_authority, "notify_subjects": self.notify_subjects,
                "public_communication": self.public_communication}

    @classmethod
    def of(cls, row: RecommendationRow, previous: RecommendationRow | None = None) -> RecommendationView:
        lines = []
        for r in row.reasons:
            code, _, detail = r.code.partition(":")
            lines.append(RecommendationLineView(r.kind, code, detail or None, r.points, r.source))
        before = None
        if previous is not None:
            before = {"notify_authority": previous.notify_authority, "notify_subjects": previous.notify_subjects,
                      "public_communication": previous.public_communication}
        view = cls(score=row.score, level=row.level, dpc=row.dpc, ei=row.ei, cb=row.cb,
                   notify_authority=row.notify_authority, notify_subjects=row.notify_subjects,
                   public_communication=row.public_communication, lines=lines, id=row.id,
                   assessment_id=row.assessment_id, computed_at=row.computed_at, findings=findings_of(row))
        if before is not None and before != view.outcome:
            return replace(view, changed=True, previous=before)
        return view


def findings_of(row: RecommendationRow) -> Findings:
    """The legal findings as the register stores them with a recommendation."""
    return Findings(risk=row.risk, high_risk=row.high_risk,
                    high_risk_grounds=tuple(g for g in row.high_risk_grounds.split(",") if g),
                    unintelligible=row.unintelligible, later_measures=row.later_measures,
                    disproportionate_effort=row.disproportionate_effort, special_categories=row.special_categories,
                    criminal_data=row.criminal_data)


def latest_recommendations(uow: UnitOfWork, incident_id: str) -> list[RecommendationRow]:
    """The newest recommendation of an incident and the one before it (newest first)."""
    return list(uow.session.scalars(
        select(RecommendationRow).where(RecommendationRow.incident_id == incident_id)
        .order_by(RecommendationRow.id.desc()).limit(2)))


# The public communication of art. 34(3)(c) is kept in versions: each is 'prepared' (its texts written), and
# the one the organisation put online is 'published', which tells the people.
PUBLIC_KIND = "public_notice"
PREPARED, PUBLISHED = "prepared", "published"


class _Notice(Protocol):  # a NoticeRow or a NoticeView
    @property
    def kind(self) -> str: ...

    @property
    def status(self) -> str: ...


N = TypeVar("N", bound=_Notice)


def published_public_notice(notices: list[N]) -> N | None:
    """The newest version of the public communication that went online, of notices in the order kept."""
    published = [n for n in notices if n.kind == PUBLIC_KIND and n.status == PUBLISHED]
    return published[-1] if published else None


@dataclass(frozen=True)
class NoticeView:
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    recipients: int
    backend: str
    location: str | None
    error: str | None
    version: int = 1

    @classmethod
    def of(cls, row: NoticeRow) -> NoticeView:
        return cls(row.kind, row.status, row.started_at, row.finished_at, row.recipients, row.backend,
                   row.location, row.error, row.version)


@dataclass(frozen=True)
class ClockView:
    name: str
    due_at: datetime
    state: str  # running | overdue | met | met_late | not_required
    hours_left: float | None


@dataclass(frozen=True)
class IncidentView:
    id: str
    title: str
    description: str
    status: Status
    status_changed_at: datetime
    source_kind: str
    source_processor: str | None
    reported_by: str
    systems: list[str]
    occurred_from: datetime | None
    occurred_until: datetime | None
    discovered_at: datetime
    aware_at: datetime
    reported_at: datetime
    closing_reason: str | None
    authority_clock: ClockView
    authority_reference: str | None  # the AP's meldnummer once the notice is filed
    assessment: AssessmentView | None
    decision: DecisionView | None
    notices: list[NoticeView] = field(default_factory=list)
    subjects: dict[str, int] = field(default_factory=dict)
    recommendation: RecommendationView | None = None  # the advice for the latest assessment
    awareness_reason: str | None = None  # why awareness came later than discovery (EDPB Guidelines 9/2022)
    filings: list[FilingFact] = field(default_factory=list)  # the AP filings, oldest first
    processor_clock: ClockView | None = None  # art. 33(2): when the processor had to tell us, if agreed
    closed_despite: str | None = None  # why it was closed with a duty still open (services.intake.close)
    lessons: str | None = None  # the evaluation at closing: what we learn
    improvements: str | None = None  # and what we change
    computed_at: datetime | None = None  # the moment this view was made ("now" for the clocks)
    message: MessageApproval | None = None  # the newest version of the message to the people, if any
    public_approved: bool = False  # the newest written version of the public communication is approved

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def overdue(self) -> bool:
        return self.authority_clock.state == "overdue"

    @property
    def people_notified(self) -> int:
        """People the mail service took the notice for, whatever the delivery events said since."""
        from incidents.subjects import notified

        return notified(self.subjects)

    @property
    def public_notice(self) -> NoticeView | None:
        """The public communication that went online (the newest published version), if any."""
        return published_public_notice(self.notices)

    def notice(self, kind: str) -> NoticeView | None:
        return next((n for n in self.notices if n.kind == kind), None)

    @property
    def tracks(self) -> Tracks:
        """The frame and the two duties' tracks (incidents.tracks), from what this view holds."""
        rec, d = self.recommendation, self.decision
        dismissed = self.status == Status.DISMISSED
        subject_notice = self.notice("subject_notice")
        public = self.public_notice
        now = self.computed_at or self.authority_clock.due_at
        return Tracks(
            frame=frame_of(self.status.value, d is not None),
            authority=authority_track(dismissed=dismissed, notify_authority=d.notify_authority if d else None,
                                      due_at=self.authority_clock.due_at, filings=self.filings, now=now),
            people=people_track(
                dismissed=dismissed, notify_subjects=d.notify_subjects if d else None,
                findings=rec.findings if rec else NO_FINDINGS, public_advised=bool(rec and rec.public_communication),
                counts=self.subjects, notified=self.people_notified,
                dispatch_done=subject_notice is not None and subject_notice.status == "done",
                dispatch_started=subject_notice is not None,
                public_prepared=any(n.kind == PUBLIC_KIND for n in self.notices),
                public_published_at=public.finished_at if public else None,
                message_version=self.message.version if self.message else None,
                message_approved=bool(self.message and self.message.approved),
                public_approved=self.public_approved),
        )

    def as_json(self) -> dict[str, Any]:
        """Machine-readable: times ISO 8601 with offset, every deadline with its due time, both tracks."""
        data = asdict(self)
        data["status"] = self.status.value
        data["overdue"] = self.overdue
        data["tracks"] = tracks_json(self.tracks)
        if self.processor_clock is not None:
            data["processor_clock"]["told_at"] = self.aware_at
        return _isoify(data)


def tracks_json(tracks: Tracks) -> dict[str, Any]:
    """`"frame"` and `"tracks": {"authority": {"state": ..., ...}, "people": {"state": ..., ...}}` for scripts."""
    return _isoify({"frame": tracks.frame.value,
                    "authority": {"state": tracks.authority.state.value, **tracks.authority.details},
                    "people": {"state": tracks.people.state.value, **tracks.people.details}})


def _isoify(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: _isoify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_isoify(v) for v in value]
    return value


def authority_clock_view(row: IncidentRow, decision: DecisionRow | None, filed_at: datetime | None,
                         now: datetime) -> ClockView:
    """The AP clock: running from awareness until the notice is filed, or moot once the decision says no."""
    if decision is not None and not decision.notify_authority:
        return ClockView("authority_notice", row.authority_due_at, "not_required", None)
    if row.status == Status.DISMISSED:
        return ClockView("authority_notice", row.authority_due_at, "not_required", None)
    clock = authority_clock(row.aware_at, filed_at)
    return ClockView("authority_notice", clock.due_at, clock.state(now), round(clock.hours_left(now), 2))


def processor_clock_view(row: IncidentRow, profile: Profile | None, now: datetime) -> ClockView | None:
    """GDPR art. 33(2): a processor tells the controller without undue delay; the processing agreement in the
    profile fixes the hours. It ran from the processor's discovery to its message to us (our awareness)."""
    agreed = profile.processor(row.source_processor) if profile is not None and row.source_processor else None
    if agreed is None or not agreed.notice_hours:
        return None
    clock = processor_clock(row.discovered_at, row.aware_at, agreed.notice_hours)
    return ClockView(clock.name, clock.due_at, clock.state(now), round(clock.hours_left(now), 2))


@dataclass(frozen=True)
class MessageApproval:
    """Where the review of the message to the people stands: its newest version and whether a person approved
    it for every language the people on the list read (incidents.services.review)."""

    version: int
    approved: bool
    approved_by: str | None
    approved_at: datetime | None


def message_approval(uow: UnitOfWork, incident_id: str) -> MessageApproval | None:
    from incidents.messages import SUBJECT_NOTICE
    from incidents.register.tables import MessageRenderRow, MessageVersionRow, SubjectRow

    row = uow.session.scalars(select(MessageVersionRow).where(
        MessageVersionRow.incident_id == incident_id, MessageVersionRow.kind == SUBJECT_NOTICE)
        .order_by(MessageVersionRow.version.desc()).limit(1)).first()
    if row is None:
        return None
    missing = uow.session.scalar(select(SubjectRow.id).where(
        SubjectRow.incident_id == incident_id, SubjectRow.language.not_in(
            select(MessageRenderRow.language).where(MessageRenderRow.version_id == row.id))).limit(1))
    approved = row.approved_at is not None and missing is None
    return MessageApproval(row.version, approved, row.approved_by if approved else None,
                           row.approved_at if approved else None)


def public_notice_approved(uow: UnitOfWork, incident_id: str) -> bool:
    """The newest written version of the public communication is approved (or was written before reviews)."""
    from incidents.register.tables import MessageVersionRow

    newest = max((n.version for n in uow.notices(incident_id) if n.kind == PUBLIC_KIND), default=None)
    if newest is None:
        return False
    review = uow.session.scalars(select(MessageVersionRow).where(
        MessageVersionRow.incident_id == incident_id, MessageVersionRow.kind == PUBLIC_KIND,
        MessageVersionRow.version == newest)).first()
    return review is None or review.approved_at is not None


def incident_view(uow: UnitOfWork, incident_id: str, now: datetime, profile: Profile | None = None) -> IncidentView:
    """The incident as people and scripts see it; with the organisation's `profile`, also the processor's
    clock its processing agreement sets."""
    row = uow.incident(incident_id)
    assessment = uow.latest_assessment(row.id)
    decision = uow.latest_decision(row.id)
    notices = uow.notices(row.id)
    filings = uow.authority_filings(row.id)
    filing = filings[0] if filings else None
    return IncidentView(
        id=row.id, title=row.title, description=row.description, status=Status(row.status),
        status_changed_at=row.status_changed_at, source_kind=row.source_kind,
        source_processor=row.source_processor, reported_by=row.reported_by,
        systems=[s.system for s in row.systems], occurred_from=row.occurred_from,
        occurred_until=row.occurred_until, discovered_at=row.discovered_at, aware_at=row.aware_at,
        reported_at=row.reported_at, closing_reason=row.closing_reason,
        authority_clock=authority_clock_view(row, decision, filing.filed_at if filing else None, now),
        authority_reference=filing.reference if filing else None,
        assessment=AssessmentView.of(assessment) if assessment else None,
        decision=DecisionView.of(decision) if decision else None,
        notices=[NoticeView.of(n) for n in notices],
        subjects=uow.subject_counts(row.id),
        recommendation=_recommendation(uow, row.id),
        awareness_reason=row.awareness_reason,
        filings=[FilingFact(f.kind, f.filed_at, f.reference, f.open_questions) for f in filings],
        computed_at=now,
        processor_clock=processor_clock_view(row, profile, now),
        closed_despite=row.closed_despite, lessons=row.lessons, improvements=row.improvements,
        message=message_approval(uow, row.id),
        public_approved=public_notice_approved(uow, row.id),
    )


def _recommendation(uow: UnitOfWork, incident_id: str) -> RecommendationView | None:
    rows = latest_recommendations(uow, incident_id)
    return RecommendationView.of(rows[0], rows[1] if len(rows) > 1 else None) if rows else None




def timeline(uow: UnitOfWork, incident_id: str) -> list[dict[str, Any]]:
    """The incident's history from the audit trail: when, who, what (ids and counts, never personal data)."""
    import json

    from sqlalchemy import select

    from incidents.register.tables import AuditRow

    with uow:
        rows = uow.session.scalars(select(AuditRow).where(AuditRow.incident_id == incident_id.strip().upper())
                                   .order_by(AuditRow.seq))
        return [{"at": r.at, "actor": r.actor, "action": r.action, "details": json.loads(r.details)} for r in rows]
