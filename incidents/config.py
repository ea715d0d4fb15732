"""Settings from BREACH_* environment variables, with defaults for a local workspace."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from incidents.errors import ConfigurationError
from incidents.said import Said

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PROFILE = REPO_ROOT / "examples" / "qoers" / "profile.yaml"
SHIPPED_TEMPLATES = REPO_ROOT / "templates"
BACKENDS = ("outbox", "sendgrid")


@dataclass(frozen=True)
class Settings:
    home: Path  # the workspace: register, outbox, rendered notices, flow logs
    database_url: str
    profile_path: Path
    email_backend: str
    outbox: Path
    notices_dir: Path
    templates_dir: Path
    mail_from: str | None
    sendgrid_api_key: str | None
    sendgrid_host: str | None
    sendgrid_sandbox: bool
    subject_target_hours: float  # internal target for "without undue delay" (art. 34(1)) after the decision
    batches_per_task: int = 50  # the flow's dispatch: one Prefect task run per this many batches of 1 000
    local_runs: int = 2  # the workspace's local runner (no Prefect server): response flows at once
    runner_idle_seconds: int = 60  # ... and how long it stays up with nothing to do

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        home = Path(env.get("BREACH_HOME", "breach-workspace")).resolve()
        backend = env.get("BREACH_EMAIL_BACKEND", "outbox").strip().lower()
        if backend not in BACKENDS:
            raise ConfigurationError(Said("config.unknown_backend", backend=backend, backends=list(BACKENDS)))
        key = env.get("BREACH_SENDGRID_API_KEY") or env.get("SENDGRID_API_KEY")
        return cls(
            home=home,
            database_url=env.get("BREACH_DATABASE_URL") or f"sqlite:///{home / 'register.db'}",
            profile_path=Path(env.get("BREACH_PROFILE") or home / "profile.yaml"),
            email_backend=backend,
            outbox=Path(env.get("BREACH_OUTBOX") or home / "outbox"),
            notices_dir=Path(env.get("BREACH_NOTICES") or home / "notices"),
            templates_dir=Path(env.get("BREACH_TEMPLATES") or SHIPPED_TEMPLATES),
            mail_from=env.get("BREACH_MAIL_FROM") or None,
            sendgrid_api_key=key,
            sendgrid_host=env.get("BREACH_SENDGRID_HOST") or None,
            sendgrid_sandbox=env.get("BREACH_SENDGRID_SANDBOX", "").lower() in ("1", "true", "yes"),
            subject_target_hours=_positive_hours(env.get("BREACH_SUBJECT_TARGET_HOURS", "24")),
            batches_per_task=_positive_count("BREACH_BATCHES_PER_TASK", env.get("BREACH_BATCHES_PER_TASK", "50")),
            local_runs=_positive_count("BREACH_LOCAL_RUNS", env.get("BREACH_LOCAL_RUNS", "2")),
            runner_idle_seconds=_positive_count("BREACH_RUNNER_IDLE_SECONDS", env.get("BREACH_RUNNER_IDLE_SECONDS", "60")),
        )

    def __repr__(self) -> str:  # never print the key
        return f"Settings(home={self.home}, database_url=<hidden>, email_backend={self.email_backend})"


def _positive_hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        hours = -1
    if hours <= 0:
        raise ConfigurationError(Said("config.not_positive_hours", text=text))
    return hours


def _positive_count(name: str, text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count <= 0:
        raise ConfigurationError(Said("config.not_positive_count", name=name, text=text))
    return count
