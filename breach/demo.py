"""`breach demo`: the whole response once, on the embedded defaults, in a fresh workspace."""

from __future__ import annotations

import os
import re
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from breach.runner import run_here
from breach.words import words
from incidents import services
from incidents.config import EXAMPLE_PROFILE, Settings
from incidents.errors import ConfigurationError
from incidents.export import register_rows
from incidents.model import AssessmentFacts, IncidentReport
from incidents.said import Said
from incidents.times import AMSTERDAM, now_utc
from incidents.validation import load_document, parse_model
from incidents.views import incident_view
from incidents.workspace import Workspace

EXAMPLES = EXAMPLE_PROFILE.parent
MARKER = ".breach-demo"
REGISTER_FIELDS = ("id", "status", "authority_track", "people_track", "aware_at", "authority_due_at",
                   "authority_clock", "categories", "count_min", "count_max", "notify_authority", "notify_subjects",
                   "authority_notice_prepared_at", "subjects_total", "subjects_sent", "subjects_unreachable")


def fresh_workspace(folder: Path) -> Path:
    folder = folder.resolve()
    if folder.exists():
        if not (folder / MARKER).exists() and any(folder.iterdir()):
            raise ConfigurationError(Said("cli_demo.not_a_demo_workspace", folder=folder))
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("created by `breach demo`; deleted by the next run\n")
    shutil.copy(EXAMPLE_PROFILE, folder / "profile.yaml")
    return folder


MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
_LONG = re.compile(r"\b(\d{1,2}) (" + "|".join(MONTHS) + r")(?: om (\d{2}):(\d{2}))?")
_SHORT = re.compile(r"\b(\d{1,2})-(\d{1,2})(?: (\d{2}):(\d{2}))?(?![\d-])")


def shift_story(text: str, shift: timedelta, year: int, anchors: tuple[datetime, ...] = ()) -> str:
    """The dates written in the example's Dutch story ("21 november om 09:05", "21-11 09:05", "6-10"), moved by
    the same `shift` as its timestamps, so the demo's notices do not contradict themselves."""
    def moved(day: str, month: int, hour: str | None, minute: str | None) -> datetime:
        if hour is None:  # a day without a time moves as the report's own moment of that day does (if it has one)
            same = next((a.astimezone(AMSTERDAM) for a in anchors if (a.astimezone(AMSTERDAM).month,
                                                                     a.astimezone(AMSTERDAM).day) == (month, int(day))), None)
            hour, minute = (str(same.hour), str(same.minute)) if same else ("12", "0")
        at = datetime(year, month, int(day), int(hour), int(minute or 0), tzinfo=AMSTERDAM)
        return (at.astimezone(UTC) + shift).astimezone(AMSTERDAM)

    def long(m: re.Match[str]) -> str:
        at = moved(m.group(1), MONTHS.index(m.group(2)) + 1, m.group(3), m.group(4))
        return f"{at.day} {MONTHS[at.month - 1]}" + (f" om {at:%H:%M}" if m.group(3) else "")

    def short(m: re.Match[str]) -> str:
        if not 1 <= int(m.group(2)) <= 12:
            return m.group(0)
        at = moved(m.group(1), int(m.group(2)), m.group(3), m.group(4))
        return f"{at.day}-{at.month}" + (f" {at:%H:%M}" if m.group(3) else "")

    return _SHORT.sub(short, _LONG.sub(long, text))


def demo_report(now) -> tuple[IncidentReport, timedelta]:  # type: ignore[no-untyped-def]
    """The example report, moved in time so that awareness was six hours ago, its story with it; and the shift."""
    what = Said("cli_demo.example_incident")
    data = load_document(EXAMPLES / "incident.yaml", what)
    report = parse_model(IncidentReport, data, what)
    assert report.aware_at is not None
    shift = (now - timedelta(hours=6)) - report.aware_at
    moved: dict[str, object] = {name: getattr(report, name) + shift for name in
                                ("occurred_from", "occurred_until", "discovered_at", "aware_at")
                                if getattr(report, name)}
    year = report.aware_at.astimezone(AMSTERDAM).year
    anchors = tuple(t for t in (report.occurred_from, report.occurred_until, report.discovered_at, report.aware_at) if t)
    moved["description"] = shift_story(report.description, shift, year, anchors)
    return report.model_copy(update=moved), shift


def demo_assessment(shift: timedelta, year: int) -> AssessmentFacts:
    """The example assessment, its dates moved like the report's."""
    what = Said("cli_demo.example_assessment")
    facts = parse_model(AssessmentFacts, load_document(EXAMPLES / "assessment.yaml", what), what)
    return facts.model_copy(update={"summary": shift_story(facts.summary, shift, year),
                                    "measures": shift_story(facts.measures, shift, year)})


def run_demo(folder: Path) -> int:
    home = fresh_workspace(folder)
    env = {"BREACH_HOME": str(home), "BREACH_PROFILE": str(home / "profile.yaml"),
           "BREACH_EMAIL_BACKEND": "outbox", "BREACH_DATABASE_URL": f"sqlite:///{home / 'register.db'}"}
    os.environ.update(env)
    ws = Workspace(Settings.from_env({**os.environ, **env}))
    out = sys.stdout.write
    profile = ws.profile
    w = words(ws)
    out(w("demo_workspace", home=home, organisation=profile.organisation, profile=home / "profile.yaml") + "\n\n")

    now = now_utc()
    report, shift = demo_report(now)
    year = (report.aware_at - shift).astimezone(AMSTERDAM).year if report.aware_at else now.year
    incident_id = services.report_incident(ws.uow(), profile, report, "privacy officer (demo)", now)
    out(w("demo_reported", id=incident_id, title=report.title) + "\n")
    run_here(ws, incident_id)
    out(w("demo_alerted", count=len(profile.incident_team)) + "\n")

    facts = demo_assessment(shift, year)
    services.record_assessment(ws.uow(), profile, incident_id, facts, "IT expert (demo)", now_utc())
    out(w("demo_assessed", summary=facts.summary) + "\n")
    result = services.import_subjects(ws.uow(), incident_id, EXAMPLES / "subjects.csv", "privacy officer (demo)",
                                      now_utc())
    out(w("demo_people", r=result) + "\n")
    advice = services.recommendation_of(ws.uow(), incident_id)
    assert advice is not None
    out(w("demo_advice", advice=advice) + "\n")
    decided = services.decide(ws.uow(), incident_id, "privacy officer (demo)", now_utc(),
                              templates=ws.settings.templates_dir, language=profile.language)
    out(w("demo_decided", d=decided) + "\n")
    run_here(ws, incident_id)  # the AP notice, and the draft of the message to the people, which waits
    if decided.notify_subjects:
        draft, paths = services.write_preview(ws.uow(), profile, ws.settings.templates_dir, ws.settings.notices_dir,
                                              incident_id, "privacy officer (demo)", now_utc())
        out(w("demo_reviewed", v=draft, path=paths[0]) + "\n")
        approved = services.approve_message(ws.uow(), incident_id, "privacy officer (demo)", now_utc(),
                                            version=draft.version, digest_prefix=draft.short_digest)
        out(w("demo_approved", a=approved) + "\n")
        run_here(ws, incident_id)

    with ws.uow() as uow:
        view = incident_view(uow, incident_id, now_utc())
    notice = view.notice("authority_notice")
    mails = [(folder, sorted(folder.glob("*.eml"), key=lambda p: (len(p.name), p.name)))
             for folder in sorted(p for p in (ws.settings.outbox / view.id).iterdir() if p.is_dir())]
    row = next(r for r in register_rows(ws.uow(), now_utc()) if r["id"] == view.id)
    out(w.text("demo.txt.j2", view=view, clock=view.authority_clock, notice=notice, mails=mails, row=row,
               fields=REGISTER_FIELDS, home=home))
    return 0
