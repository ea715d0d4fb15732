"""An incident as tests about what follows the decision need it: assessed, its people linked (the example list),
the decision to tell the AP and the people, and, as the response flow then does, the AP notice prepared."""

from __future__ import annotations

from datetime import datetime

from incidents import services
from incidents.model import Decision
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
