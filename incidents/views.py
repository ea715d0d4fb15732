"""Read models: an incident as people and scripts see it, built from the register and the profile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import case, exists, false, func, select

from incidents.deadlines import authority_clock, processor_clock
from incidents.legal import NO_FINDINGS, Findings
from incidents.lifecycle import OPEN, Status
from incidents.profile import Profile
from incidents.register.tables import (
    AssessmentRow,
    AuthorityFilingRow,
    DecisionRow,
    IncidentRow,
    NoticeRow,
    RecommendationRow,
)
from incidents.register.unit_of_work import UnitOfWork, any_of, as_sending
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
    def of(cls, row: AssessmentRow, categories: list[tuple[str, str]] | None = None,
           groups: list[str] | None = None) -> AssessmentView:
        """From the row; `categories` (as written, vocabulary term) and `groups` when read already."""
        if categories is None:
            categories = [(c.category, c.vocabulary) for c in row.categories]
        if groups is None:
            groups = [g.group for g in row.groups]
        context_names = ("profiling_possible", "reveals_sensitive_insight", "vulnerable_subjects",
                         "publicly_available", "limited_insight", "full_financial_details")
        return cls(
            recorded_at=row.recorded_at, recorded_by=row.recorded_by, summary=row.summary,
            confidentiality=row.confidentiality, integrity=row.integrity, availability=row.availability,
            malicious=row.malicious, categories=[c for c, _ in categories],
            vocabulary=sorted({v for _, v in categories}),
            ease_of_identification=row.ease_of_identification,
            context={name: getattr(row, name) for name in context_names},
            count_min=row.count_min, count_max=row.count_max, groups=list(groups),
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


@lru_cache(maxsize=4096)
def _line(kind: str, full_code: str, points: float | None, source: str) -> RecommendationLineView:
    """One stored reason as a line; the same few hundred lines recur in every recommendation, and a line does
    not change, so each is made once and shared."""
    code, _, detail = full_code.partition(":")
    return RecommendationLineView(kind, code, detail or None, points, source)


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
    def of(cls, row: RecommendationRow, previous: RecommendationRow | None = None,
           reasons: list[tuple[str, str, float | None, str]] | None = None) -> RecommendationView:
        """From the row; `reasons` (kind, code, points, source, in order) when read already."""
        if reasons is None:
            reasons = [(r.kind, r.code, r.points, r.source) for r in row.reasons]
        lines = [_line(kind, full_code, points, source) for kind, full_code, points, source in reasons]
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

    @cached_property
    def people_notified(self) -> int:
        """People the mail service took the notice for, whatever the delivery events said since (counted once:
        the view does not change)."""
        from incidents.subjects import notified

        return notified(self.subjects)

    @property
    def public_notice(self) -> NoticeView | None:
        """The public communication that went online (the newest published version), if any."""
        return published_public_notice(self.notices)

    def notice(self, kind: str) -> NoticeView | None:
        return next((n for n in self.notices if n.kind == kind), None)

    @cached_property
    def tracks(self) -> Tracks:
        """The frame and the two duties' tracks (incidents.tracks), from what this view holds (worked out once:
        the view does not change)."""
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


# the phases of the AP clock, in the order a list of open clocks shows them: the running ones (the nearest
# deadline first, so overdue, then fewer hours left), then the stopped ones (filed), then the moot ones
CLOCK_RUNNING, CLOCK_STOPPED, CLOCK_MOOT = 0, 1, 2


def authority_clock_phase() -> Any:
    """authority_clock_view's three outcomes as a SQL expression over incidents, for sorting a list of many
    clocks in the database: moot (CLOCK_MOOT) when the newest decision says no notice or the incident was
    dismissed, stopped (CLOCK_STOPPED) once a notice was filed, else running (CLOCK_RUNNING). Running clocks in
    order of `authority_due_at` are in order of urgency too (overdue, red, amber, ok are bands of hours left).
    tests/integration/test_dashboard_lists.py holds it to authority_clock_view on incidents in every state."""
    newest = (select(DecisionRow.notify_authority).where(DecisionRow.incident_id == IncidentRow.id)
              .order_by(DecisionRow.id.desc()).limit(1).correlate(IncidentRow).scalar_subquery())
    filed = exists().where(AuthorityFilingRow.incident_id == IncidentRow.id)
    return case((newest == false(), CLOCK_MOOT), (IncidentRow.status == Status.DISMISSED.value, CLOCK_MOOT),
                (filed, CLOCK_STOPPED), else_=CLOCK_RUNNING)


def open_clocks(uow: UnitOfWork, organisation_ids: list[int], offset: int, limit: int,
                running_only: bool = False) -> list[IncidentRow]:
    """One page of the open incidents of these organisations, the most urgent AP clock first (see
    authority_clock_phase), each phase by its deadline, then in the order reported; with `running_only`, only
    those whose clock still runs (or ran out)."""
    wanted = running_of(organisation_ids) if running_only else open_of(organisation_ids)
    return list(uow.session.scalars(
        select(IncidentRow).where(*wanted)
        .order_by(authority_clock_phase(), IncidentRow.authority_due_at, IncidentRow.reported_at, IncidentRow.id)
        .offset(offset).limit(limit)))


def open_count(uow: UnitOfWork, organisation_ids: list[int]) -> int:
    return uow.session.scalar(select(func.count()).select_from(IncidentRow).where(*open_of(organisation_ids))) or 0


def open_of(organisation_ids: list[int]) -> tuple[Any, ...]:
    """The conditions of an open incident of these organisations."""
    return (IncidentRow.status.in_([s.value for s in OPEN]), IncidentRow.organisation_id.in_(organisation_ids))


def running_of(organisation_ids: list[int]) -> tuple[Any, ...]:
    """The conditions of an open incident of these organisations whose AP clock runs (or ran out)."""
    return (*open_of(organisation_ids), authority_clock_phase() == CLOCK_RUNNING)


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
    recommendations = latest_recommendations(uow, row.id)
    return _view(row, [s.system for s in row.systems], uow.latest_assessment(row.id), uow.latest_decision(row.id),
                 uow.notices(row.id), uow.authority_filings(row.id), uow.subject_counts(row.id), recommendations,
                 message_approval(uow, row.id), public_notice_approved(uow, row.id), now, profile)


def _view(row: IncidentRow, systems: list[str], assessment: AssessmentRow | None, decision: DecisionRow | None,
          notices: list[NoticeRow], filings: list[AuthorityFilingRow], subjects: dict[str, int],
          recommendations: list[RecommendationRow], message: MessageApproval | None, public_approved: bool,
          now: datetime, profile: Profile | None, read: dict[str, Any] | None = None) -> IncidentView:
    """The view of what was read; `read` holds the assessment's categories and groups and the newest
    recommendation's reasons when incident_views read them for many incidents at once."""
    read = read or {}
    filing = filings[0] if filings else None
    return IncidentView(
        id=row.id, title=row.title, description=row.description, status=Status(row.status),
        status_changed_at=row.status_changed_at, source_kind=row.source_kind,
        source_processor=row.source_processor, reported_by=row.reported_by,
        systems=systems, occurred_from=row.occurred_from,
        occurred_until=row.occurred_until, discovered_at=row.discovered_at, aware_at=row.aware_at,
        reported_at=row.reported_at, closing_reason=row.closing_reason,
        authority_clock=authority_clock_view(row, decision, filing.filed_at if filing else None, now),
        authority_reference=filing.reference if filing else None,
        assessment=(AssessmentView.of(assessment, read.get("categories"), read.get("groups"))
                    if assessment else None),
        decision=DecisionView.of(decision) if decision else None,
        notices=[NoticeView.of(n) for n in notices],
        subjects=subjects,
        recommendation=(RecommendationView.of(recommendations[0], recommendations[1] if len(recommendations) > 1
                                              else None, read.get("reasons")) if recommendations else None),
        awareness_reason=row.awareness_reason,
        filings=[FilingFact(f.kind, f.filed_at, f.reference, f.open_questions) for f in filings],
        computed_at=now,
        processor_clock=processor_clock_view(row, profile, now),
        closed_despite=row.closed_despite, lessons=row.lessons, improvements=row.improvements,
        message=message,
        public_approved=public_approved,
    )


BATCH = 2000  # incidents per round of incident_views' queries (each names them in one parameter, any_of); an
# export holds one round's views at a time. Fewer, larger rounds: a fifth less time on PostgreSQL


def incident_views(uow: UnitOfWork, rows: list[IncidentRow], now: datetime,
                   profile: Profile | None = None, *, lines: bool = True) -> list[IncidentView]:
    """incident_view() of many incidents at once, in the order of `rows`: a fixed number of queries per BATCH
    incidents instead of some twenty per incident (the lists, the register and its export). With `lines=False`
    the recommendations come without their coded lines (`lines` empty): the register shows an advice's level
    and findings, not its reasoning, and its export then reads a fifth less."""
    views: list[IncidentView] = []
    for start in range(0, len(rows), BATCH):
        views += _views(uow, rows[start:start + BATCH], now, profile, lines)
    return views


def _views(uow: UnitOfWork, rows: list[IncidentRow], now: datetime, profile: Profile | None,
           lines: bool = True) -> list[IncidentView]:
    from incidents.messages import SUBJECT_NOTICE
    from incidents.register.tables import (
        AssessmentCategoryRow,
        AssessmentGroupRow,
        IncidentSystemRow,
        MessageRenderRow,
        MessageVersionRow,
        RecommendationReasonRow,
        SubjectRow,
    )

    ids = [row.id for row in rows]
    connection = uow.session.connection()  # Core: the rows as the database gives them, no ORM on the way

    dialect = connection.dialect.name

    def among(column: Any, values: Any) -> Any:
        return any_of(column, values, dialect)

    def rows_of(query: Any) -> Sequence[Any]:
        return connection.execute(query).all()  # fetched at once: row by row cost a tenth of an export

    def plain(entity: Any) -> Any:
        """A query for the entity's table: its rows as plain rows, attribute names as the entity's (building
        entities cost a fifth of the register's export; the views only read the values)."""
        return select(entity.__table__)

    def grouped(query: Any) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for item in rows_of(query):
            found.setdefault(item.incident_id, []).append(item)
        return found

    systems: dict[str, list[str]] = {}
    for incident_id, system in rows_of(
            select(IncidentSystemRow.incident_id, IncidentSystemRow.system).where(among(IncidentSystemRow.incident_id, ids))
            .order_by(IncidentSystemRow.incident_id, IncidentSystemRow.position)):
        systems.setdefault(incident_id, []).append(system)
    newest_assessment = (select(func.max(AssessmentRow.id)).where(among(AssessmentRow.incident_id, ids))
                         .group_by(AssessmentRow.incident_id))
    assessments: dict[str, Any] = {a.incident_id: a for a in rows_of(
        plain(AssessmentRow).where(AssessmentRow.id.in_(newest_assessment)))}
    read: dict[str, dict[str, Any]] = {incident_id: {"categories": [], "groups": [], "reasons": []}
                                       for incident_id in ids}
    by_assessment = {a.id: a.incident_id for a in assessments.values()}
    if by_assessment:
        for assessment_id, category, vocabulary in rows_of(
                select(AssessmentCategoryRow.assessment_id, AssessmentCategoryRow.category,
                       AssessmentCategoryRow.vocabulary).where(among(AssessmentCategoryRow.assessment_id, by_assessment))
                .order_by(AssessmentCategoryRow.assessment_id, AssessmentCategoryRow.position)):
            read[by_assessment[assessment_id]]["categories"].append((category, vocabulary))
        for assessment_id, group in rows_of(
                select(AssessmentGroupRow.assessment_id, AssessmentGroupRow.group).where(
                    among(AssessmentGroupRow.assessment_id, by_assessment)).order_by(
                        AssessmentGroupRow.assessment_id, AssessmentGroupRow.position)):
            read[by_assessment[assessment_id]]["groups"].append(group)
    newest_decision = select(func.max(DecisionRow.id)).where(among(DecisionRow.incident_id, ids)).group_by(
        DecisionRow.incident_id)
    decisions: dict[str, Any] = {d.incident_id: d for d in rows_of(plain(DecisionRow).where(
        DecisionRow.id.in_(newest_decision)))}
    notices = grouped(plain(NoticeRow).where(among(NoticeRow.incident_id, ids)).order_by(NoticeRow.id))
    filings = grouped(plain(AuthorityFilingRow).where(among(AuthorityFilingRow.incident_id, ids))
                      .order_by(AuthorityFilingRow.id))
    counts: dict[str, dict[str, int]] = {}
    for incident_id, status, count in rows_of(
            select(SubjectRow.incident_id, SubjectRow.status, func.count()).where(among(SubjectRow.incident_id, ids))
            .group_by(SubjectRow.incident_id, SubjectRow.status)):
        counts.setdefault(incident_id, {})[status] = count
    for incident_id, in_flight in uow.in_flight(list(counts)).items():  # a batch on its way: 'sending'
        counts[incident_id] = as_sending(counts[incident_id], in_flight)
    # the newest two recommendations of each incident, the newest with its lines
    recommendation_ids: dict[str, list[int]] = {}
    for incident_id, rec_id in rows_of(
            select(RecommendationRow.incident_id, RecommendationRow.id).where(among(RecommendationRow.incident_id, ids))
            .order_by(RecommendationRow.id.desc())):
        if len(kept := recommendation_ids.setdefault(incident_id, [])) < 2:
            kept.append(rec_id)
    wanted = [i for kept in recommendation_ids.values() for i in kept]
    recommendations: dict[int, Any] = {r.id: r for r in rows_of(
        plain(RecommendationRow).where(among(RecommendationRow.id, wanted)))} if wanted else {}
    newest = {kept[0]: incident_id for incident_id, kept in recommendation_ids.items()}
    if newest and lines:
        for rec_id, kind, code, points, source in rows_of(
                select(RecommendationReasonRow.recommendation_id, RecommendationReasonRow.kind,
                       RecommendationReasonRow.code, RecommendationReasonRow.points, RecommendationReasonRow.source)
                .where(among(RecommendationReasonRow.recommendation_id, newest))
                .order_by(RecommendationReasonRow.recommendation_id, RecommendationReasonRow.position)):
            read[newest[rec_id]]["reasons"].append((kind, code, points, source))
    # the review of the message to the people: its newest version, approved for every language on the list
    versions: dict[str, Any] = {}
    for v in rows_of(plain(MessageVersionRow).where(
            among(MessageVersionRow.incident_id, ids), MessageVersionRow.kind == SUBJECT_NOTICE)
            .order_by(MessageVersionRow.version.desc())):
        versions.setdefault(v.incident_id, v)
    messages: dict[str, MessageApproval] = {}
    if versions:
        rendered: dict[int, set[str]] = {}
        for version_id, language in rows_of(
                select(MessageRenderRow.version_id, MessageRenderRow.language)
                .where(among(MessageRenderRow.version_id, [v.id for v in versions.values()]))):
            rendered.setdefault(version_id, set()).add(language)
        languages: dict[str, set[str]] = {}
        for incident_id, language in rows_of(
                select(SubjectRow.incident_id, SubjectRow.language).where(among(SubjectRow.incident_id, versions))
                .distinct()):
            languages.setdefault(incident_id, set()).add(language)
        for incident_id, v in versions.items():
            approved = v.approved_at is not None and not (languages.get(incident_id, set())
                                                          - rendered.get(v.id, set()))
            messages[incident_id] = MessageApproval(v.version, approved, v.approved_by if approved else None,
                                                    v.approved_at if approved else None)
    # the newest written version of the public communication, approved or written before reviews
    newest_public = {incident_id: max(n.version for n in found if n.kind == PUBLIC_KIND)
                     for incident_id, found in notices.items() if any(n.kind == PUBLIC_KIND for n in found)}
    reviews: dict[tuple[str, int], Any] = {}
    if newest_public:
        for review in rows_of(plain(MessageVersionRow).where(
                among(MessageVersionRow.incident_id, newest_public), MessageVersionRow.kind == PUBLIC_KIND)
                .order_by(MessageVersionRow.id)):
            reviews.setdefault((review.incident_id, review.version), review)
    public: dict[str, bool] = {}
    for incident_id, version in newest_public.items():
        reviewed = reviews.get((incident_id, version))
        public[incident_id] = reviewed is None or reviewed.approved_at is not None
    return [_view(row, systems.get(row.id, []), assessments.get(row.id), decisions.get(row.id),
                  notices.get(row.id, []), filings.get(row.id, []), counts.get(row.id, {}),
                  [recommendations[i] for i in recommendation_ids.get(row.id, [])], messages.get(row.id),
                  public.get(row.id, False), now, profile, read[row.id]) for row in rows]


def _recommendation(uow: UnitOfWork, incident_id: str) -> RecommendationView | None:
    rows = latest_recommendations(uow, incident_id)
    return RecommendationView.of(rows[0], rows[1] if len(rows) > 1 else None) if rows else None


def timeline(uow: UnitOfWork, incident_id: str) -> list[dict[str, Any]]:
    """The incident's history from the audit trail: when, who, what (ids and counts, never personal data)."""
    with uow:
        return history(uow, incident_id)


def history(uow: UnitOfWork, incident_id: str) -> list[dict[str, Any]]:
    """timeline() inside the caller's `with uow:`."""
    import json

    from incidents.register.tables import AuditRow

    rows = uow.session.scalars(select(AuditRow).where(AuditRow.incident_id == incident_id.strip().upper())
                               .order_by(AuditRow.seq))
    return [{"at": r.at, "actor": r.actor, "action": r.action, "details": json.loads(r.details)} for r in rows]
