"""The review step for tests that are about something after it: the draft written and approved as is."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from incidents import services
from incidents.profile import Profile
from incidents.register.unit_of_work import UnitOfWork

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def approve_as_drafted(uow: UnitOfWork, profile: Profile, incident_id: str, now: datetime,
                       templates: Path = TEMPLATES) -> int:
    """Write the draft of the message to the people (as the flow does) and approve it unchanged; its version."""
    services.draft_message(uow, profile, templates, incident_id, "response-flow", now)
    return services.approve_message(uow, incident_id, "po", now).version
