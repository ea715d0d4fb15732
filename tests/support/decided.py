"""An incident as tests about what follows the decision need it: assessed, its people linked (the example list),
the decision to tell the AP and the people, and, as the response flow then does, the AP notice prepared."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from incidents import services
from incidents.model import Decision
from incidents.profile import Profile
from incidents.register.unit_of_work import UnitOfWork
from incidents.workspace import Workspace
from tests.conftest import EXAMPLES
from tests.integration.test_register import the_assessment


def decided(ws: Workspace, incident_id: str, now: datetime, *, actor: str = "po", notice: bool = True) -> None:
    profile = ws.profile_for(incident_id)
    services.record_assessment(ws.uow(), profile, incident_id, the_assessment(), "it", now)
    services.import_subjects(ws.uow(), incident_id, EXAMPLES / "subjects.csv", actor, now)
    services.record_decision(ws.uow(), incident_id, Decision(notify_authority=True, notify_subjects=True,
                                                             reason="coaching reports open to anyone"), actor, now)
    if notice:
        services.prepare_authority_notice(ws.uow(), profile, ws.settings.templates_dir, ws.settings.notices_dir,
                                          incident_id, now)


def ready_to_tell(uow: UnitOfWork, profile: Profile, now: datetime, people: int, folder: Path) -> str:
    """An incident whose `people` people (P0..., p0@example.com...) are to be told one by one and whose message is
    approved as drafted: what a dispatch starts from. Its id."""
    from tests.integration.test_register import TEMPLATES, a_report

    listed = folder / "people.csv"
    listed.write_text("name,email\n" + "".join(f"P{i},p{i}@example.com\n" for i in range(people)), encoding="utf-8")
    incident_id = services.report_incident(uow, profile, a_report(now), "po", now)
    services.record_assessment(uow, profile, incident_id, the_assessment(), "it", now)
    services.import_subjects(uow, incident_id, listed, "po", now)
    services.record_decision(uow, incident_id, Decision(notify_authority=False, notify_subjects=True,
                                                        reason="coaching reports open to anyone"), "po", now)
    services.draft_message(uow, profile, TEMPLATES, incident_id, "po", now)
    services.approve_message(uow, incident_id, "po", now)
    return incident_id
