"""The composition root: settings, profile, register and mailer for one process, built from the environment.

The register may keep several organisations (incidents.services.organisations). The workspace speaks for one:
the one BREACH_ORG (or `breach --org`) names, the only one when there is one, or, once `focus(incident_id)` was
called, the organisation of that incident, under the version of its profile the incident is handled with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from incidents.config import Settings
from incidents.errors import ConfigurationError, UnknownIncident
from incidents.notify.email import EmailBackend, OutboxBackend
from incidents.profile import Profile, load_profile
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said
from incidents.wording import overlay


@dataclass
class Workspace:
    settings: Settings = field(default_factory=Settings.from_env)
    organisation: str | None = field(default_factory=lambda: os.environ.get("BREACH_ORG", "").strip() or None)
    _migrated: bool = field(default=False, init=False, repr=False)
    _focus: str | None = field(default=None, init=False, repr=False)
    _mailers: dict[str | None, EmailBackend] = field(default_factory=dict, init=False, repr=False)
    _by_version: dict[object, tuple[Profile, int | None]] = field(default_factory=dict, init=False, repr=False)

    @property
    def profile(self) -> Profile:
        """The profile of the organisation this workspace speaks for (see the module's docstring)."""
        if self._focus is not None:
            return self.profile_for(self._focus)
        return self._organisation_profile(self.organisation_id)[0]

    @property
    def organisation_profile(self) -> Profile:
        """The profile of the organisation spoken for, whatever incident the workspace is focused on."""
        return self._organisation_profile(self.organisation_id)[0]

    @property
    def profile_version(self) -> int | None:
        """The version of `profile` (of the organisation spoken for, not focused on an incident)."""
        return self._organisation_profile(self.organisation_id)[1]

    def newest_profile(self, organisation_id: int) -> tuple[Profile, int | None]:
        """An organisation's newest profile and its version, for what is recorded for it now (a new report)."""
        return self._organisation_profile(organisation_id)

    def check_profiles(self) -> None:
        """Every organisation's newest profile loads (a missing or broken one raises, naming it)."""
        from incidents.services.organisations import organisation_ids

        for organisation_id in sorted(organisation_ids(self.reader())) or [1]:
            self._organisation_profile(organisation_id)

    def focus(self, incident_id: str) -> None:
        """From here on, speak for the organisation of this incident (and check it is the one --org named)."""
        self._focus = incident_id

    @cached_property
    def organisation_id(self) -> int:
        """The organisation named by BREACH_ORG / --org, else the only one in the register."""
        from sqlalchemy import select

        from incidents.register.tables import OrganisationRow
        from incidents.services.organisations import DEFAULT_ID

        with self.reader() as uow:
            rows = uow.session.execute(select(OrganisationRow.id, OrganisationRow.slug)
                                       .order_by(OrganisationRow.slug)).all()
        if self.organisation is not None:
            wanted = self.organisation.lower()
            for oid, slug in rows:
                if slug == wanted:
                    return int(oid)
            raise ConfigurationError(Said("organisations.unknown", slug=self.organisation,
                                          known=[slug for _, slug in rows]))
        if len(rows) > 1:
            raise ConfigurationError(Said("organisations.choose", known=[slug for _, slug in rows]))
        return int(rows[0][0]) if rows else DEFAULT_ID

    def _organisation_profile(self, organisation_id: int, version: int | None = None) -> tuple[Profile, int | None]:
        """An organisation's profile and its version (the newest when `version` is None): the default
        organisation's is its file (each version of it recorded in the register as it is read, once per
        process), the others' are stored in the register (a stored version never changes, so it is kept)."""
        from incidents.services import organisations
        from incidents.times import now_utc

        path = self.settings.profile_path
        if organisation_id == organisations.DEFAULT_ID and version is None and path.exists():
            if "file" not in self._by_version:
                profile = load_profile(path)
                version = organisations.file_profile_recorded(self.reader(), profile)  # a look, no write lock
                if version is None:  # the file changed: its new version recorded (under the write lock)
                    version = organisations.record_file_profile(self.uow(), profile, now_utc(),
                                                                self.settings.templates_dir)
                self._by_version["file"] = profile, version
            return self._by_version["file"]
        if version is None:
            version = organisations.newest_version(self.reader(), organisation_id)
        if version is not None and (organisation_id, version) not in self._by_version:
            found = organisations.profile_of(self.reader(), organisation_id, version)
            if found is not None:
                self._by_version[(organisation_id, version)] = found
        if version is None or (organisation_id, version) not in self._by_version:
            if organisation_id == organisations.DEFAULT_ID:
                raise ConfigurationError(Said("workspace.no_profile", path=path))
            raise ConfigurationError(Said("organisations.no_profile", id=organisation_id))
        return self._by_version[(organisation_id, version)]

    def profile_for(self, incident_id: str) -> Profile:
        """The profile an incident is handled under: its organisation's newest while it is open (noted with the
        incident), the version it was closed under once it is closed."""
        from incidents.services import organisations

        handled = organisations.handled(self.reader(), incident_id)
        if self.organisation is not None and handled.slug != self.organisation.lower():
            raise UnknownIncident(incident_id)  # another organisation's incident is not there for this one
        profile, version = self._organisation_profile(handled.organisation_id, handled.frozen_version)
        if handled.frozen_version is None and version != handled.version:
            organisations.note_version(self.uow(), incident_id, version)
        return profile

    @property
    def templates(self) -> Path:
        """The templates of the messages sent for the organisation spoken for (the incident's, once focused): the
        shipped ones, with the organisation's own wording in place of some (incidents/wording.py)."""
        profile = self.profile_for(self._focus) if self._focus is not None else self.organisation_profile
        return overlay(self.settings.home / "wording", self.settings.templates_dir, profile.wording)

    def templates_for(self, incident_id: str) -> Path:
        """The templates of the messages of this incident (its organisation's wording, as it is handled under)."""
        return overlay(self.settings.home / "wording", self.settings.templates_dir, self.profile_for(incident_id).wording)

    def uow(self) -> UnitOfWork:
        if self.settings.database_url.startswith("sqlite"):
            self.settings.home.mkdir(parents=True, exist_ok=True)
        uow = UnitOfWork(self.settings.database_url, prepare=not self._migrated)  # migrate once per process
        self._migrated = True
        return uow

    def reader(self) -> UnitOfWork:
        """A unit of work that only reads (the dashboard's pages): it holds up no writer and no writer holds it up."""
        if not self._migrated:
            self.uow()  # the first use brings the schema up to date
        return UnitOfWork(self.settings.database_url, prepare=False, reading=True)

    @property
    def lock_dir(self):  # type: ignore[no-untyped-def]
        return self.settings.home / "locks"

    @property
    def mailer(self) -> EmailBackend:
        """The mail backend of the organisation spoken for (see mailer_of)."""
        if self.settings.email_backend != "sendgrid":
            return self.mailer_of(None)
        return self.mailer_of(self.profile)

    def mailer_for(self, incident_id: str) -> EmailBackend:
        """The mail backend of the incident's organisation."""
        if self.settings.email_backend != "sendgrid":
            return self.mailer_of(None)
        return self.mailer_of(self.profile_for(incident_id))

    def mailer_of(self, profile: Profile | None) -> EmailBackend:
        """SendGrid with the organisation's own key when its profile names the variable that holds one
        (sending.sendgrid_key_env), else with the installation's key; or the outbox."""
        s = self.settings
        if s.email_backend != "sendgrid":
            return self._mailers.setdefault("outbox", OutboxBackend(s.outbox))
        from incidents.notify.sendgrid_backend import backend_from_settings

        variable = profile.sending.sendgrid_key_env if profile is not None else None
        if variable not in self._mailers:
            if variable is not None:
                key = os.environ.get(variable, "").strip()
                if not key:
                    raise ConfigurationError(Said("workspace.no_organisation_key", variable=variable,
                                                  organisation=profile.organisation.name if profile else ""))
            else:
                key = s.sendgrid_api_key or ""
            self._mailers[variable] = backend_from_settings(key, s.sendgrid_host, s.sendgrid_sandbox)
        return self._mailers[variable]
