"""The register's tables, typed ORM. Facts are columns and rows, never blobs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

STORED_LENGTH = len("2026-11-25 09:00:00.000000")  # SQLAlchemy's SQLite DATETIME text, always to the microsecond


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused by the register: attach a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if getattr(dialect, "name", "") == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Any, coltype: object) -> Any:
        """On SQLite, the stored text (UTC, no offset) read as an aware datetime in one step: the same value as
        SQLAlchemy's DATETIME then process_result_value, whose `replace(tzinfo=...)` alone cost a twentieth of
        the register's CSV export (some 130 000 times for 10 000 incidents)."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            if len(value) == STORED_LENGTH:  # as the register writes it: 2026-11-25 09:00:00.000000
                try:
                    return datetime.fromisoformat(value + "+00:00")
                except ValueError:
                    pass
            return self.process_result_value(datetime.fromisoformat(value), dialect)  # text written otherwise

        return process


class Base(DeclarativeBase):
    pass


class IdCounter(Base):
    """The last sequence number handed out per year, for ids like DL-2026-0001."""

    __tablename__ = "id_counters"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class OrganisationRow(Base):
    """An organisation whose breaches the register keeps: one per installation by default, several for a
    privacy officer serving clients. The one of id 1 ("default") is the workspace's own (BREACH_PROFILE)."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProfileVersionRow(Base):
    """One version of an organisation's profile, as validated when it was recorded (canonical JSON): incidents
    name the version they were handled under, so a later edit of the profile does not change their documents."""

    __tablename__ = "profile_versions"
    __table_args__ = (UniqueConstraint("organisation_id", "version", name="uq_profile_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(200))


class IncidentRow(Base):
    __tablename__ = "incidents"
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    # the organisation whose breach it is, and the version of its profile it was handled under
    # (an integer, not a foreign key: see migration 0020)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True, default=1, server_default="1")
    profile_version: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(String(20))
    source_processor: Mapped[str | None] = mapped_column(String(200))
    reported_by: Mapped[str] = mapped_column(String(200))
    occurred_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    occurred_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discovered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    aware_at: Mapped[datetime] = mapped_column(UTCDateTime)
    awareness_reason: Mapped[str | None] = mapped_column(Text)  # why awareness came later than discovery
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    authority_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(30), index=True)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closing_reason: Mapped[str | None] = mapped_column(Text)
    closed_despite: Mapped[str | None] = mapped_column(Text)  # why it was closed with a duty still open
    lessons: Mapped[str | None] = mapped_column(Text)  # the evaluation at closing: what we learn
    improvements: Mapped[str | None] = mapped_column(Text)  # and what we change
    # GDPR art. 5(1)(e): when the people's names and addresses were deleted (incidents.services.retention), and
    # a postponement of that by a person, with the reason (a complaint or a court case that needs the list)
    people_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purge_postponed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purge_postponed_reason: Mapped[str | None] = mapped_column(Text)

    systems: Mapped[list[IncidentSystemRow]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentSystemRow.position"
    )


class IncidentSystemRow(Base):
    __tablename__ = "incident_systems"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    system: Mapped[str] = mapped_column(String(200))
    incident: Mapped[IncidentRow] = relationship(back_populates="systems")


class AssessmentRow(Base):
    """One recorded IT assessment; a later one supersedes an earlier one, both stay."""

    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    confidentiality: Mapped[str] = mapped_column(String(30))
    integrity: Mapped[str] = mapped_column(String(30))
    availability: Mapped[str] = mapped_column(String(30))
    malicious: Mapped[bool] = mapped_column(Boolean)
    endangers_safety: Mapped[bool] = mapped_column(Boolean)  # the recipient can locate or reach a person at risk
    ease_of_identification: Mapped[str] = mapped_column(String(20))
    profiling_possible: Mapped[bool] = mapped_column(Boolean)
    reveals_sensitive_insight: Mapped[bool] = mapped_column(Boolean)
    vulnerable_subjects: Mapped[bool] = mapped_column(Boolean)
    publicly_available: Mapped[bool] = mapped_column(Boolean)
    limited_insight: Mapped[bool] = mapped_column(Boolean)
    full_financial_details: Mapped[bool] = mapped_column(Boolean)
    count_min: Mapped[int] = mapped_column(Integer)
    count_max: Mapped[int] = mapped_column(Integer)
    contact_effort: Mapped[str] = mapped_column(String(20))
    encryption: Mapped[str] = mapped_column(String(30))
    key_compromised: Mapped[bool] = mapped_column(Boolean)
    hashing: Mapped[str] = mapped_column(String(30))
    backup_available: Mapped[bool] = mapped_column(Boolean)
    exfiltration: Mapped[str] = mapped_column(String(20))
    recovered: Mapped[bool] = mapped_column(Boolean)
    recipient_trusted: Mapped[bool] = mapped_column(Boolean)
    restored_within_hours: Mapped[float | None] = mapped_column(Float)
    measures_make_high_risk_unlikely: Mapped[bool] = mapped_column(Boolean)
    measures: Mapped[str] = mapped_column(Text)

    categories: Mapped[list[AssessmentCategoryRow]] = relationship(
        cascade="all, delete-orphan", order_by="AssessmentCategoryRow.position"
    )
    groups: Mapped[list[AssessmentGroupRow]] = relationship(
        cascade="all, delete-orphan", order_by="AssessmentGroupRow.position"
    )


class AssessmentCategoryRow(Base):
    __tablename__ = "assessment_categories"
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(100))  # as the IT expert wrote it (own or vocabulary name)
    vocabulary: Mapped[str] = mapped_column(String(40))  # the assessment vocabulary term it means


class AssessmentGroupRow(Base):
    __tablename__ = "assessment_groups"
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    group: Mapped[str] = mapped_column("group_label", String(100))


class DecisionRow(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    notify_authority: Mapped[bool] = mapped_column(Boolean)
    notify_subjects: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendations.id", name="fk_decisions_recommendation_id"))
    follows_recommendation: Mapped[bool | None] = mapped_column(Boolean)  # None: no recommendation was made


class RecommendationRow(Base):
    """The engine's recommendation for one assessment: severity (ENISA) and art. 33/34 advice, with reasons."""

    __tablename__ = "recommendations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    score: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(20))  # low | medium | high | very_high
    dpc: Mapped[float] = mapped_column(Float)
    ei: Mapped[float] = mapped_column(Float)
    cb: Mapped[float] = mapped_column(Float)
    notify_authority: Mapped[bool] = mapped_column(Boolean)
    notify_subjects: Mapped[bool] = mapped_column(Boolean)
    public_communication: Mapped[bool] = mapped_column(Boolean)
    # the legal findings the advice rests on (incidents.legal.Findings), read by every document
    risk: Mapped[bool] = mapped_column(Boolean)  # art. 33(1)
    high_risk: Mapped[bool] = mapped_column(Boolean)  # art. 34(1)
    high_risk_grounds: Mapped[str] = mapped_column(String(300))  # reason codes, comma-separated
    unintelligible: Mapped[str | None] = mapped_column(String(20))  # art. 34(3)(a): encryption | hashing
    later_measures: Mapped[bool] = mapped_column(Boolean)  # art. 34(3)(b)
    disproportionate_effort: Mapped[bool] = mapped_column(Boolean)  # art. 34(3)(c)
    special_categories: Mapped[bool] = mapped_column(Boolean)  # art. 9
    criminal_data: Mapped[bool] = mapped_column(Boolean)  # art. 10
    reasons: Mapped[list[RecommendationReasonRow]] = relationship(
        cascade="all, delete-orphan", order_by="RecommendationReasonRow.position"
    )


class RecommendationReasonRow(Base):
    """One line of the explanation: a breakdown step or a legal reason, by code (the words live in templates/)."""

    __tablename__ = "recommendation_reasons"
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # breakdown | reason
    code: Mapped[str] = mapped_column(String(80))
    points: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(120))  # the article, guideline or ENISA section it rests on


class NoticeRow(Base):
    """A message the response produced: the team alert, the AP notice, the subject notices.

    (incident_id, kind, version) is unique: that is what makes every side effect of the flow happen once
    per incident; a later version (a follow-up AP notice) is a new row, the earlier one is never overwritten.
    """

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "version", name="uq_notice_incident_kind_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # team_alert | authority_notice | subject_notice
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20))  # sending | done | failed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    backend: Mapped[str] = mapped_column(String(20))
    location: Mapped[str | None] = mapped_column(Text)  # where it was written (file or folder), or the service
    error: Mapped[str | None] = mapped_column(Text)


class MessageTextRow(Base):
    """The words a message said, kept as sent: the notice to the people per language (with the person's name as
    a token), each version of the public communication. The AP's form asks for the text sent (question 10.1)."""

    __tablename__ = "message_texts"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "version", "language",
                                       name="uq_message_text_incident_kind_version_language"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # subject_notice | public_notice
    version: Mapped[int] = mapped_column(Integer, default=1)
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(Text)  # the e-mail's subject line, or the short message
    text: Mapped[str] = mapped_column(Text)  # the plain-text body
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageVersionRow(Base):
    """One version of a message to the people, as a person reviews it, and who approved it. Its parts per
    language (edited or as proposed) and the texts rendered from them exactly as recipients get them are rows of
    their own; `digest` fingerprints the rendered texts. An edit makes a new version; nothing is sent of a
    version that is not approved (incidents.messages)."""

    __tablename__ = "message_versions"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "version", name="uq_message_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # subject_notice
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    parts: Mapped[list[MessagePartRow]] = relationship(order_by="MessagePartRow.id", cascade="all, delete-orphan")
    renders: Mapped[list[MessageRenderRow]] = relationship(order_by="MessageRenderRow.language",
                                                           cascade="all, delete-orphan")


class MessagePartRow(Base):
    """One part of a message version in one language: its text, and what the templates proposed for it."""

    __tablename__ = "message_parts"
    __table_args__ = (UniqueConstraint("version_id", "language", "part", name="uq_message_part"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("message_versions.id"), index=True)
    language: Mapped[str] = mapped_column(String(2))
    part: Mapped[str] = mapped_column(String(20))  # incidents.messages.PARTS
    text: Mapped[str] = mapped_column(Text)
    proposed: Mapped[str] = mapped_column(Text)


class MessageRenderRow(Base):
    """A message version in one language exactly as its recipients get it (the person's name still a token)."""

    __tablename__ = "message_renders"
    __table_args__ = (UniqueConstraint("version_id", "language", name="uq_message_render"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("message_versions.id"), index=True)
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)


class AuthorityFilingRow(Base):
    """The AP notice as filed through the AP's form: when, by whom, the AP's reference (meldnummer)."""

    __tablename__ = "authority_filings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    kind: Mapped[str] = mapped_column(String(20))  # first (later: follow_up, withdrawal)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_by: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(100))
    delay_reason: Mapped[str | None] = mapped_column(Text)  # art. 33(1): required when filed after 72 hours
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changes: Mapped[str | None] = mapped_column(Text)  # a follow-up: what changed since the previous notice
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)  # a withdrawal: why it is not reportable
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("authority_filings.id", name="fk_authority_filings_previous_id"))  # the notice it follows
    # questions of the AP form the notice as filed left open (art. 33(4): a follow-up is due); None: not recorded
    open_questions: Mapped[int | None] = mapped_column(Integer)


class AuthorityAnswerRow(Base):
    """An answer to an AP form question that no other fact supplies (1.3, 2.1, 2.2, 5.2); the latest counts."""

    __tablename__ = "authority_answers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    question: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(Text)  # JSON: a list of strings (5.2: one option key)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SubjectRow(Base):
    """An affected person linked to an incident, and how far their notification got."""

    __tablename__ = "subjects"
    __table_args__ = (
        UniqueConstraint("incident_id", "email_key", name="uq_subject_incident_email"),
        # the dispatch walks an incident's people of one language in id order along this index, from where its
        # last batch ended. The status is deliberately not in it: the dispatch changes 2 000 statuses a batch,
        # and with the status indexed each change moved an index entry (five times the cost of the update).
        Index("ix_subjects_dispatch_cursor", "incident_id", "language", "id"),
        # PostgreSQL: room in each page, so a status change is updated in place, without new index entries
        {"postgresql_with": {"fillfactor": 60}},
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320))  # normalised address, or "line:N" when unusable
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20))  # pending | sent | unreachable
    problem: Mapped[str | None] = mapped_column(Text)
    source_line: Mapped[int] = mapped_column(Integer)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the postal address, lines separated by "\n", for a letter to someone the e-mail does not reach
    postal_address: Mapped[str | None] = mapped_column(Text)
    letter_written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # in a letters PDF since then
    # the follow-up when the investigation ends (incidents.services.dispatch.notify_update): pending, sending, sent
    update_status: Mapped[str | None] = mapped_column(String(20))
    update_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the name and addresses deleted (GDPR art. 5(1)(e)); email_key is then the keyed hash of the address
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DispatchBatchRow(Base):
    """One request to the mail service for up to 1 000 people: claimed before sending, so a crash is resumable."""

    __tablename__ = "dispatch_batches"
    __table_args__ = (UniqueConstraint("incident_id", "batch_key", name="uq_batch_incident_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    batch_key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))  # sending | accepted | failed
    recipients: Mapped[int] = mapped_column(Integer)
    # the claim: while the row is 'sending', its people are the pending ones of this language in this id range
    # (empty in rows of a release that marked each person 'sending' instead)
    language: Mapped[str | None] = mapped_column(String(2))
    first_id: Mapped[int | None] = mapped_column(Integer)
    last_id: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    # the mail service's id of the request (SendGrid's X-Message-Id): proof of sending, kept after the purge
    provider_message_id: Mapped[str | None] = mapped_column(String(200))


class ReminderRow(Base):
    """A deadline reminder sent once: (incident, clock, step) is unique, so a late or doubled watch cannot repeat it."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("incident_id", "clock", "step", name="uq_reminder_incident_clock_step"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    clock: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(20))  # e.g. 24h, 48h, 66h, expired
    status: Mapped[str] = mapped_column(String(20))  # sending | sent
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)


class UserRow(Base):
    """A dashboard user. Passwords are stored as salted slow hashes only."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(2), default="nl")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class UserRoleRow(Base):
    """The role a user holds in one organisation (viewer | responder | privacy_officer): a consultant serving
    several clients holds one in each. Without a role in an organisation, a user sees nothing of it."""

    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", name="uq_user_role"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))


class AuditRow(Base):
    """The append-only audit trail; each entry's hash covers the previous entry's hash."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    incident_id: Mapped[str | None] = mapped_column(String(20), index=True)
    action: Mapped[str] = mapped_column(String(60))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON of ids, counts and states, never personal data
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class DashboardSessionRow(Base):
    """A logged-in dashboard session. The browser's cookie holds a random id; the register only its SHA-256, so
    a copy of the register opens no session. Ended by deleting the row (logout, a password or role change,
    disabling the user, `breach users sessions NAME --end`), or by time: idle and absolute expiry."""

    __tablename__ = "dashboard_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(2))  # chosen on the login page
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # updated at most once a minute


class LoginFailureRow(Base):
    """A wrong password (or an attempt still being checked), for the login throttle: one row per account and
    one per address, so every dashboard worker on the register counts the same. `key` is a keyed hash of the
    name or the address, never either itself; rows older than the throttle's window are deleted."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
