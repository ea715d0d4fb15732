"""Rehearsing an organisation's own wording before it is accepted (incidents/wording.py): every message that
wording can change is made for sample incidents in a throwaway register, with the wording in place, in each
language and each form of address, through the same services that make the real ones. A template that does not
render refuses the profile, naming the template, the line and the problem; nothing is recorded then."""

from __future__ import annotations

import tempfile
import traceback
from datetime import timedelta
from pathlib import Path

import jinja2

from incidents.errors import FieldError, InvalidInput
from incidents.messages import SUBJECT_UPDATE
from incidents.model import AssessmentFacts, Decision, IncidentReport
from incidents.notify.email import OutboxBackend
from incidents.notify.render import LANGUAGES
from incidents.profile import Profile
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said
from incidents.times import now_utc
from incidents.wording import OVERRIDABLE, overlay

ACTOR = "wording rehearsal"
# Sample facts, never shown to anyone: they only give every template of the messages something to render.
SAMPLE_PEOPLE = "name,email,language\nA,a@example.com,nl\nB,b@example.com,en\n"


def rehearse(profile: Profile, shipped: Path) -> None:
    """Render every message the profile's wording replaces a template of (InvalidInput when one does not)."""
    if not profile.wording:
        return
    missing = sorted(name for name in profile.wording if not (shipped / name).is_file())
    if missing:  # (a template of OVERRIDABLE that this release does not ship)
        raise InvalidInput("wording", [FieldError(f"wording.{name}", Said(
            "profile.wording_not_replaceable", name=name, choices=sorted(OVERRIDABLE))) for name in missing])
    with tempfile.TemporaryDirectory(prefix="breach-wording-") as tmp:
        folder = Path(tmp)
        templates = overlay(folder / "wording", shipped, profile.wording)
        try:
            _messages(profile, templates, folder)
        except Exception as exc:  # what one of the organisation's templates raised: said with its name and line
            blamed = _blame(exc, templates)
            if blamed is None:
                raise  # not the wording's doing
            raise InvalidInput("wording", [blamed]) from None


def _blame(exc: Exception, templates: Path) -> FieldError | None:
    """The problem in the organisation's template that raised `exc`; None when none of its templates did."""
    name, line = "", 0
    if isinstance(exc, jinja2.TemplateSyntaxError):
        name, line = (exc.name or ""), exc.lineno
    else:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            path = Path(frame.filename)
            if path.is_relative_to(templates):
                name, line = path.relative_to(templates).as_posix(), frame.lineno or 0
                if line > len(path.read_text(encoding="utf-8").splitlines()):
                    line = 0  # a frame of the compiled template that Jinja did not map back to a line
                break
    if name not in OVERRIDABLE and not isinstance(exc, jinja2.TemplateError):
        return None
    problem = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc) or type(exc).__name__
    return FieldError(f"wording.{name}" if name else "wording",
                      Said("wording.does_not_render", line=line, problem=problem))


def _messages(profile: Profile, templates: Path, folder: Path) -> None:
    from incidents import services
    from incidents.services.public_notice import prepare_public_notice

    uow = UnitOfWork(f"sqlite:///{folder / 'rehearsal.db'}")
    mailer = OutboxBackend(folder / "outbox")
    notices = folder / "notices"
    people = folder / "people.csv"
    people.write_text(SAMPLE_PEOPLE, encoding="utf-8")
    now = now_utc()
    for language in LANGUAGES:  # the team's alert is in the organisation's language: each in turn
        speaking = profile.model_copy(update={"language": language})
        incident_id = _reported(uow, speaking, now)
        services.alert_team(uow, speaking, mailer, templates, incident_id, None, now)
    for form in ("u", "je"):  # the message to the people and its follow-up, in each form of address
        addressing = profile.model_copy(update={"organisation": profile.organisation.model_copy(
            update={"address_form": form})})
        incident_id = _reported(uow, addressing, now)
        _assessed_and_decided(uow, addressing, incident_id, "individual", people, now)
        draft, _paths = services.write_preview(uow, addressing, templates, notices, incident_id, ACTOR, now)
        services.approve_message(uow, incident_id, ACTOR, now, version=draft.version)
        services.notify_subjects(uow, addressing, mailer, templates, incident_id, None, now)
        services.write_preview(uow, addressing, templates, notices, incident_id, ACTOR, now, kind=SUBJECT_UPDATE)
    incident_id = _reported(uow, profile, now)  # the public communication, for people not reachable one by one
    _assessed_and_decided(uow, profile, incident_id, "disproportionate", people, now)
    prepare_public_notice(uow, profile, templates, notices, incident_id, ACTOR, now)


def _reported(uow: UnitOfWork, profile: Profile, now) -> str:  # type: ignore[no-untyped-def]
    from incidents import services

    aware = now - timedelta(hours=2)
    report = IncidentReport.model_validate({
        "title": "Rehearsal", "description": "A sample incident to render the messages with.",
        "discovered_at": aware, "aware_at": aware, "awareness_reason": "A sample.", "source": "internal",
        "reported_by": ACTOR, "systems": [profile.data_inventory[0].name]})
    return services.report_incident(uow, profile, report, ACTOR, now)


def _assessed_and_decided(uow: UnitOfWork, profile: Profile, incident_id: str, effort: str, people: Path,
                          now) -> None:  # type: ignore[no-untyped-def]
    from incidents import services

    categories = [c.name for c in profile.data_categories][:1] or ["contact"]
    facts = AssessmentFacts.model_validate({
        "summary": "A sample assessment.", "breach": {"confidentiality": "unknown_recipients"},
        "data": {"categories": categories}, "subjects": {"count_min": 2, "count_max": 2, "contact_effort": effort},
        "measures": "Sample measures."})
    services.record_assessment(uow, profile, incident_id, facts, ACTOR, now)
    services.import_subjects(uow, incident_id, people, ACTOR, now)
    services.record_decision(uow, incident_id, Decision(notify_authority=True, notify_subjects=True,
                                                        reason="A sample decision to tell everyone."), ACTOR, now)
