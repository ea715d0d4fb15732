"""The composition root: settings, profile, register and mailer for one process, built from the environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from incidents.config import Settings
from incidents.errors import ConfigurationError
from incidents.notify.email import EmailBackend, OutboxBackend
from incidents.profile import Profile, load_profile
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said


@dataclass
class Workspace:
    settings: Settings = field(default_factory=Settings.from_env)
    _migrated: bool = field(default=False, init=False, repr=False)

    @cached_property
    def profile(self) -> Profile:
        path = self.settings.profile_path
        if not path.exists():
            raise ConfigurationError(Said("workspace.no_profile", path=path))
        return load_profile(path)

    def uow(self) -> UnitOfWork:
        if self.settings.database_url.startswith("sqlite"):
            self.settings.home.mkdir(parents=True, exist_ok=True)
        uow = UnitOfWork(self.settings.database_url, prepare=not self._migrated)  # migrate once per process
        self._migrated = True
        return uow

    @property
    def lock_dir(self):  # type: ignore[no-untyped-def]
        return self.settings.home / "locks"

    @cached_property
    def mailer(self) -> EmailBackend:
        s = self.settings
        if s.email_backend == "sendgrid":
            from incidents.notify.sendgrid_backend import backend_from_settings

            return backend_from_settings(s.sendgrid_api_key, s.sendgrid_host, s.sendgrid_sandbox)
        return OutboxBackend(s.outbox)
