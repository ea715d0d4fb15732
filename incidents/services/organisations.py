"""The organisations whose breaches the register keeps, each with the versions of its profile.

One installation may keep the registers of several organisations (a privacy officer serving clients). Each
incident belongs to one and names the version of its profile it was handled under: an open incident follows
the newest version, a closed one keeps its last, so its documents do not change with a later edit. A register of
one organisation has just "default" (id 1), the workspace's own, whose profile is the file BREACH_PROFILE; each
version of that file is recorded here as it is read.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from incidents.config import SHIPPED_TEMPLATES
from incidents.errors import ConfigurationError, FieldError, InvalidInput
from incidents.lifecycle import Status
from incidents.profile import Profile
from incidents.register.tables import IncidentRow, OrganisationRow, ProfileVersionRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said
from incidents.services.wording import rehearse

DEFAULT_ID = 1
DEFAULT_SLUG = "default"
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
FROZEN = (Status.CLOSED.value, Status.DISMISSED.value)


@dataclass(frozen=True)
class Organisation:
    id: int
    slug: str
    created_at: datetime
    profile_version: int | None  # the newest, None while the default organisation's file was never read
    name: str | None  # from the newest profile

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_ID


def canonical(profile: Profile) -> str:
    """The profile as stored: its validated content as canonical JSON (the digest is over this text)."""
    return json.dumps(profile.model_dump(mode="json"), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _digest(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def _row(uow: UnitOfWork, slug: str) -> OrganisationRow:
    row = uow.session.scalars(select(OrganisationRow).where(OrganisationRow.slug == slug.strip().lower())).first()
    if row is None:
        known = uow.session.scalars(select(OrganisationRow.slug).order_by(OrganisationRow.slug)).all()
        raise ConfigurationError(Said("organisations.unknown", slug=slug, known=list(known)))
    return row


def _newest(uow: UnitOfWork, organisation_id: int) -> ProfileVersionRow | None:
    return uow.session.scalars(select(ProfileVersionRow).where(ProfileVersionRow.organisation_id == organisation_id)
                               .order_by(ProfileVersionRow.version.desc()).limit(1)).first()


def _describe(uow: UnitOfWork, row: OrganisationRow) -> Organisation:
    newest = _newest(uow, row.id)
    name = json.loads(newest.document)["organisation"]["name"] if newest is not None else None
    return Organisation(row.id, row.slug, row.created_at, newest.version if newest else None, name)


def check_slug(slug: str) -> str:
    cleaned = slug.strip().lower()
    if not SLUG.fullmatch(cleaned):
        raise InvalidInput("organisation", [FieldError("SLUG", Said("organisations.bad_slug", slug=slug))])
    return cleaned


def add_organisation(uow: UnitOfWork, slug: str, profile: Profile, actor: str, now: datetime,
                     templates: Path = SHIPPED_TEMPLATES) -> Organisation:
    """A new organisation with its first profile version; its slug names it in every command (--org SLUG). Its own
    wording, if any, must render first (a rehearsal with `templates`, incidents.services.wording)."""
    slug = check_slug(slug)
    rehearse(profile, templates)  # slow (seconds): before the transaction
    with uow:
        if uow.session.scalar(select(func.count()).select_from(OrganisationRow)
                              .where(OrganisationRow.slug == slug)):
            raise InvalidInput("organisation", [FieldError("SLUG", Said("organisations.taken", slug=slug))])
        row = OrganisationRow(slug=slug, created_at=now)
        uow.session.add(row)
        uow.session.flush()
        version = _store(uow, row.id, profile, actor, now)
        uow.record(at=now, actor=actor, incident_id=None, action="organisation_added", organisation=slug,
                   profile_version=version)
        uow.commit()
        return _describe(uow, row)


def _store(uow: UnitOfWork, organisation_id: int, profile: Profile, actor: str, now: datetime) -> int:
    """Record the profile as the organisation's next version, unless it is the newest already; the version."""
    document = canonical(profile)
    digest = _digest(document)
    newest = _newest(uow, organisation_id)
    if newest is not None and newest.digest == digest:
        return newest.version
    version = (newest.version if newest else 0) + 1
    uow.session.add(ProfileVersionRow(organisation_id=organisation_id, version=version, document=document,
                                      digest=digest, recorded_at=now, recorded_by=actor))
    uow.session.flush()
    return version


def update_profile(uow: UnitOfWork, slug: str, profile: Profile, actor: str, now: datetime,
                   from_file: bool = False, templates: Path = SHIPPED_TEMPLATES) -> int:
    """A new version of the organisation's profile (the same content again changes nothing); open incidents
    follow it, closed ones keep theirs. The default organisation's profile is the workspace's file: edit that.
    A new wording must render first (a rehearsal with `templates`, incidents.services.wording)."""
    with uow:
        row = _row(uow, slug)
        if row.id == DEFAULT_ID and not from_file:
            raise InvalidInput("organisation", [FieldError("SLUG", Said("organisations.default_is_a_file"))])
        newest = _newest(uow, row.id)
        wording_changed = newest is None or json.loads(newest.document).get("wording", {}) != profile.wording
    if wording_changed:
        rehearse(profile, templates)  # slow (seconds): before the transaction
    with uow:
        row = _row(uow, slug)
        if row.id == DEFAULT_ID and not from_file:
            raise InvalidInput("organisation", [FieldError("SLUG", Said("organisations.default_is_a_file"))])
        before = _newest(uow, row.id)
        version = _store(uow, row.id, profile, actor, now)
        if not from_file and (before is None or version != before.version):  # (a file's versions: their rows)
            uow.record(at=now, actor=actor, incident_id=None, action="profile_recorded", organisation=row.slug,
                       profile_version=version, digest=_digest(canonical(profile)))
        uow.commit()
        return version


def file_profile_recorded(uow: UnitOfWork, profile: Profile) -> int | None:
    """The version of the default organisation's profile when the register has the file's as it is now (a
    reading unit of work: every command looks, and must not wait for a long write); None when it changed."""
    with uow:
        newest = _newest(uow, DEFAULT_ID)
        return newest.version if newest is not None and newest.digest == _digest(canonical(profile)) else None


def record_file_profile(uow: UnitOfWork, profile: Profile, now: datetime, templates: Path = SHIPPED_TEMPLATES) -> int:
    """The default organisation's profile as its file says now: a new version when the file changed."""
    recorded = file_profile_recorded(uow, profile)  # looked at again under the write lock: nobody recorded it since
    if recorded is not None:
        return recorded
    return update_profile(uow, DEFAULT_SLUG, profile, "profile file", now, from_file=True, templates=templates)


def organisations(uow: UnitOfWork) -> list[Organisation]:
    with uow:
        return [_describe(uow, row) for row in uow.session.scalars(select(OrganisationRow).order_by(OrganisationRow.id))]


def organisation(uow: UnitOfWork, slug: str) -> Organisation:
    with uow:
        return _describe(uow, _row(uow, slug))


def newest_version(uow: UnitOfWork, organisation_id: int) -> int | None:
    with uow:
        return uow.session.scalar(select(func.max(ProfileVersionRow.version))
                                  .where(ProfileVersionRow.organisation_id == organisation_id))


def profile_of(uow: UnitOfWork, organisation_id: int, version: int | None = None) -> tuple[Profile, int] | None:
    """A stored version of the organisation's profile and its number (the newest when `version` is None)."""
    with uow:
        if version is None:
            row = _newest(uow, organisation_id)
        else:
            row = uow.session.scalars(select(ProfileVersionRow).where(
                ProfileVersionRow.organisation_id == organisation_id, ProfileVersionRow.version == version)).first()
        return None if row is None else (Profile.model_validate(json.loads(row.document)), row.version)


@dataclass(frozen=True)
class Handled:
    """Under which organisation and profile version an incident is handled."""

    organisation_id: int
    slug: str
    frozen_version: int | None  # the version of a closed incident, which stays
    version: int | None  # the version noted with it so far


def handled(uow: UnitOfWork, incident_id: str) -> Handled:
    with uow:
        row = uow.incident(incident_id)
        slug = uow.session.scalar(select(OrganisationRow.slug).where(OrganisationRow.id == row.organisation_id))
        frozen = row.profile_version if row.status in FROZEN else None
        return Handled(row.organisation_id, slug or DEFAULT_SLUG, frozen, row.profile_version)


def note_version(uow: UnitOfWork, incident_id: str, version: int | None) -> None:
    """An open incident is handled under this version of its profile now (it keeps it once closed)."""
    if version is None:
        return
    with uow:
        row = uow.incident(incident_id)
        if row.status not in FROZEN and row.profile_version != version:
            row.profile_version = version
            uow.commit()


def organisation_of(uow: UnitOfWork, incident_id: str) -> int | None:
    """The organisation (id) an incident belongs to; None when there is no such incident."""
    with uow:
        return uow.session.scalar(select(IncidentRow.organisation_id).where(IncidentRow.id == incident_id))


def names(uow: UnitOfWork) -> dict[int, str]:
    """Each organisation's name (from its newest profile; its slug while it has none), by id."""
    return {org.id: org.name or org.slug for org in organisations(uow)}


def organisation_ids(uow: UnitOfWork) -> dict[int, str]:
    with uow:
        return dict(uow.session.execute(select(OrganisationRow.id, OrganisationRow.slug)).all())


def incidents_per_organisation(uow: UnitOfWork) -> dict[int, int]:
    with uow:
        return dict(uow.session.execute(select(IncidentRow.organisation_id, func.count())
                                        .group_by(IncidentRow.organisation_id)).all())


@dataclass(frozen=True)
class Overview:
    """One organisation at a glance, for a privacy officer who serves several (`breach org overview`)."""

    slug: str
    name: str | None
    open_incidents: int
    nearest_due_at: datetime | None  # the nearest AP deadline still running (or passed) of an open incident
    nearest_incident: str | None
    overdue: int  # open incidents whose AP deadline passed without a filing
    incidents_this_year: int
    notified_to_authority: int  # of this year's: filed at the AP
    not_notified_to_authority: int  # of this year's: no filing (not required, not yet, or withdrawn)
    people_told: int  # of this year's: people told (by e-mail, letter)


def overview(uow: UnitOfWork, now: datetime, organisation_ids: list[int] | None = None) -> list[Overview]:
    """Per organisation (those of `organisation_ids`, else all): its open incidents and the nearest AP deadline
    among them, and this year's incidents, notified to the AP or not, and the people told (the year in
    Europe/Amsterdam). Counted in the database, the AP clocks by incidents.views.authority_clock_phase: the
    overview of a register of ten thousand incidents no longer builds ten thousand views."""
    from incidents.register.tables import AuthorityFilingRow, SubjectRow
    from incidents.subjects import ACCEPTED, POSTED
    from incidents.times import year_bounds
    from incidents.views import open_clocks, open_count, running_of

    start, end = year_bounds(now)
    result = []
    for org in organisations(uow):
        if organisation_ids is not None and org.id not in organisation_ids:
            continue
        with uow:
            session, mine = uow.session, IncidentRow.organisation_id == org.id
            nearest = open_clocks(uow, [org.id], 0, 1, running_only=True)
            nearest_row = nearest[0] if nearest else None
            overdue = session.scalar(select(func.count()).select_from(IncidentRow).where(
                *running_of([org.id]), IncidentRow.authority_due_at < now)) or 0
            this_year = select(IncidentRow.id).where(mine, IncidentRow.reported_at >= start,
                                                     IncidentRow.reported_at < end)
            in_year = session.scalar(select(func.count()).select_from(this_year.subquery())) or 0
            filed = session.scalar(select(func.count(func.distinct(AuthorityFilingRow.incident_id))).where(
                AuthorityFilingRow.incident_id.in_(this_year))) or 0
            told = session.scalar(select(func.count()).select_from(SubjectRow).where(
                SubjectRow.incident_id.in_(this_year), SubjectRow.status.in_((*ACCEPTED, POSTED)))) or 0
            result.append(Overview(
                org.slug, org.name, open_count(uow, [org.id]), nearest_row.authority_due_at if nearest_row else None,
                nearest_row.id if nearest_row else None, overdue, in_year, filed, in_year - filed, told))
    return sorted(result, key=lambda o: (o.nearest_due_at is None, o.nearest_due_at or now, o.slug))
