"""The pages: incidents, one incident, the register, and the forms to act; each action calls the service layer."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from breach.web import auth, forms
from breach.web.auth import Chosen, CurrentUser, require, require_user
from breach.web.session import Session
from breach.web.templating import form_time, language_of
from incidents import services
from incidents.errors import Blame, FieldError, InvalidInput, InvalidTransition
from incidents.export import csv_lines, overview_csv
from incidents.lifecycle import Step
from incidents.messages import PARTS_OF, SUBJECT_NOTICE, SUBJECT_UPDATE
from incidents.model import IncidentReport
from incidents.register.tables import IncidentRow
from incidents.register.unit_of_work import UnitOfWork
from incidents.said import Said
from incidents.services import organisations, retention
from incidents.services import users as user_service
from incidents.services.recommendation import describe_latest
from incidents.services.users import User
from incidents.subjects import OTHER_CHANNEL, notified
from incidents.times import now_utc, parse_time
from incidents.users import LANGUAGES
from incidents.views import (
    ClockView,
    IncidentView,
    incident_view,
    incident_views,
    open_clocks,
    open_count,
)
from incidents.views import history as incident_history
from incidents.workspace import Workspace

log = logging.getLogger("breach.web")

public = APIRouter(dependencies=[Depends(auth.check_csrf)], include_in_schema=False)
router = APIRouter(dependencies=[Depends(require_user), Depends(auth.check_csrf)], include_in_schema=False)

AMBER_HOURS = 24  # fewer hours left than this on the AP clock: amber
RED_HOURS = 6  # and this: red


def urgency(clock: ClockView) -> str:
    """How the AP clock looks: ok, amber (< 24 h left), red (< 6 h), overdue, done (filed) or none (not required)."""
    if clock.state in ("met", "met_late"):
        return "done"
    if clock.state == "not_required":
        return "none"
    if clock.state == "overdue" or clock.hours_left is None:
        return "overdue"
    if clock.hours_left < RED_HOURS:
        return "red"
    if clock.hours_left < AMBER_HOURS:
        return "amber"
    return "ok"


@dataclass(frozen=True)
class Row:
    """One incident in a list: the view plus what a list shows about it."""

    view: IncidentView
    urgency: str
    notified: int
    total: int
    waiting: list[Step]
    organisation: str | None  # its organisation's name, when the user serves several


def workspace(request: Request) -> Workspace:
    return request.app.state.workspace  # type: ignore[no-any-return]


async def launch(request: Request, incident_id: str, step: str | None = None,
                 run_input: dict[str, Any] | None = None) -> None:
    """Continue the response flow the way the CLI does; what was recorded stays recorded if that fails."""
    try:
        await run_in_threadpool(request.app.state.launcher, workspace(request), incident_id, step, run_input)
    except Exception:  # the flow can be run again (`breach flow run ID`): what was recorded stays recorded
        log.exception("dashboard: could not start the response flow for %s", incident_id)


def done(incident_id: str, what: str) -> RedirectResponse:
    return RedirectResponse(f"/incidents/{quote(incident_id)}?{urlencode({'done': what})}", status_code=303)


PAGE_SIZE = 50  # incidents per page of the lists
# the open list's order, the most urgent AP clock first: the database sorts it (incidents.views.open_clocks), and
# tests/integration/test_dashboard_lists.py holds that sort to this order of urgency()
URGENCY_ORDER = ("overdue", "red", "amber", "ok", "done", "none")


@dataclass(frozen=True)
class Paged:
    """One page of a list: its rows, its number (from 1), how many pages and incidents there are in all."""

    rows: list[Row]
    number: int
    pages: int
    total: int


def _page_of(number: int, total: int) -> tuple[int, int]:
    """(the page shown, the number of pages): a number past the end shows the last page."""
    pages = max(1, -(-total // PAGE_SIZE))
    return min(max(number, 1), pages), pages


def _rows(ws: Workspace, uow: UnitOfWork, incidents: list[IncidentRow], now: datetime,
          names: dict[int, str] | None) -> list[Row]:
    organisation_of = {row.id: row.organisation_id for row in incidents}
    views = incident_views(uow, incidents, now)
    waiting = services.waiting_for_views(uow, views)
    return [Row(v, urgency(v.authority_clock), notified(v.subjects), sum(v.subjects.values()), waiting[v.id],
                names.get(organisation_of[v.id]) if names else None)
            for v in views]


def _names(ws: Workspace, organisation_ids: list[int]) -> dict[int, str] | None:
    """The names of the user's organisations, when there are several to tell apart in a list."""
    return None if len(organisation_ids) < 2 else organisations.names(ws.reader())


def _open_rows(ws: Workspace, number: int, organisation_ids: list[int]) -> Paged:
    """The open incidents of these organisations in one list, the most urgent AP clock first (overdue, then red,
    amber, running, then the clocks that stopped), each kind by its due time; one page of them, every one on
    some page. The order is the database's (incidents.views.open_clocks): only the page shown is read."""
    now = now_utc()
    names = _names(ws, organisation_ids)
    with ws.reader() as uow:
        number, pages = _page_of(number, total := open_count(uow, organisation_ids))
        shown = open_clocks(uow, organisation_ids, (number - 1) * PAGE_SIZE, PAGE_SIZE)
        return Paged(_rows(ws, uow, shown, now, names), number, pages, total)


def _register_rows(ws: Workspace, number: int, organisation_ids: list[int]) -> Paged:
    """Every incident of these organisations, in the order reported; one page of them."""
    now = now_utc()
    names = _names(ws, organisation_ids)
    theirs = IncidentRow.organisation_id.in_(organisation_ids)
    with ws.reader() as uow:
        total = uow.session.scalar(select(func.count()).select_from(IncidentRow).where(theirs)) or 0
        number, pages = _page_of(number, total)
        shown = list(uow.session.scalars(select(IncidentRow).where(theirs)
                                         .order_by(IncidentRow.reported_at, IncidentRow.id)
                                         .offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        return Paged(_rows(ws, uow, shown, now, names), number, pages, total)


def _incident(ws: Workspace, incident_id: str) -> IncidentView:
    profile = ws.profile_for(incident_id)  # its organisation's (UnknownIncident: 404)
    with ws.reader() as uow:
        return incident_view(uow, incident_id, now_utc(), profile)


# --- login, logout, language (the only routes without a user) -----------------------------------------------

def _safe_next(value: str) -> str:
    """Only a path on this site (no //host or scheme): nobody can use the login page to send people elsewhere."""
    if (value.startswith("/") and not value.startswith("//") and "\\" not in value
            and not any(ord(c) < 32 or ord(c) == 127 for c in value)):
        return value
    return "/incidents"


@public.get("/login")
def login_page(request: Request, next: str = "/incidents") -> Response:
    return request.app.state.pages.render(request, "login.html.j2", next=_safe_next(next), username="",
                                          problem=None)


@public.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    username, password = forms.text(form, "username"), form.get("password")
    target = _safe_next(forms.text(form, "next"))
    pages = request.app.state.pages
    if not username or not isinstance(password, str) or not password:
        return pages.render(request, "login.html.j2", 400, next=target, username=username, problem="missing")
    try:
        user = await auth.login(request, username, password)
    except auth.Throttled as exc:
        response = pages.render(request, "login.html.j2", 429, next=target, username=username, problem="throttled")
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if user is None:
        return pages.render(request, "login.html.j2", 401, next=target, username=username, problem="wrong")
    # a new session (and a new CSRF token) at login: a token seen before login is worth nothing after it
    request.state.session = Session(user=user.username, changed=True)
    log.info("dashboard: %s logged in", user.username)
    return RedirectResponse(target, status_code=303)


@public.post("/language")
async def choose_language(request: Request) -> Response:
    form = await request.form()
    language = forms.text(form, "language")
    if language in LANGUAGES:
        session = auth.session_of(request)
        if session.user:
            user = await run_in_threadpool(user_service.active_user, workspace(request).uow(), session.user)
            if user is not None:
                await run_in_threadpool(user_service.set_language, workspace(request).uow(), user.username,
                                        language)
        session.language, session.changed = language, True
    return RedirectResponse(_safe_next(forms.text(form, "next")), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.state.session = Session(changed=True)
    return RedirectResponse("/login", status_code=303)


# --- acting: report ----------------------------------------------------------------------------------------

def _report_form(request: Request, organisation: Chosen, values: dict[str, Any], errors: list[FieldError],
                 status: int = 200) -> Response:
    profile, _version = workspace(request).newest_profile(organisation.id)
    by_field, general = forms.place(errors, [*forms.REPORT_FIELDS, "source_kind", "source_processor"])
    if "source" in by_field:
        by_field.setdefault("source_kind", []).extend(by_field.pop("source"))
    return request.app.state.pages.render(
        request, "report.html.j2", status, values=values, errors=by_field, general=general,
        source_kinds=forms.SOURCE_KINDS, processors=[p.name for p in profile.processors],
        systems=[s.name for s in profile.data_inventory], organisation=organisation, choices=[])


@router.get("/incidents/new", name="report_form")
def report_form(request: Request, user: CurrentUser, org: str = Query("", max_length=40)) -> Response:
    chosen = auth.chosen_organisation(workspace(request), user, "report", org)
    if isinstance(chosen, list):  # several organisations: first whose breach it is
        return request.app.state.pages.render(request, "report.html.j2", choices=chosen)
    return _report_form(request, chosen, {"reported_by": user.username, "systems": []}, [])


@router.post("/incidents/new")
async def report(request: Request, user: CurrentUser) -> Response:
    form = await request.form()
    ws = workspace(request)
    chosen = await run_in_threadpool(auth.chosen_organisation, ws, user, "report", forms.text(form, "organisation"))
    if isinstance(chosen, list):  # a form without its organisation: choose it first
        return request.app.state.pages.render(request, "report.html.j2", 422, choices=chosen)
    values = forms.values_of(form)
    values["systems"] = [s for s in form.getlist("systems") if isinstance(s, str)]
    data = forms.report_data(form)
    try:
        parsed = await run_in_threadpool(forms.validate, IncidentReport, data, "incident report")
        incident_id = await run_in_threadpool(report_for, ws, chosen, parsed, user)
    except InvalidInput as exc:
        return _report_form(request, chosen, values, exc.errors, 422)
    await launch(request, incident_id)
    return done(incident_id, "reported")


def report_for(ws: Workspace, organisation: Chosen, report: IncidentReport, user: User) -> str:
    """Record a report for the organisation, under its newest profile (the CLI's `--org SLUG report`)."""
    profile, version = ws.newest_profile(organisation.id)
    return services.report_incident(ws.uow(), profile, report, user.username, now_utc(),
                                    organisation_id=organisation.id, profile_version=version)


# --- reading ------------------------------------------------------------------------------------------------

@router.get("/")
def home() -> Response:
    return RedirectResponse("/incidents", status_code=303)


@router.get("/incidents")
def incidents_page(request: Request, user: CurrentUser, page: int = Query(1, ge=1, le=10**6)) -> Response:
    """Every open clock of every organisation the user serves, in one list."""
    paged = _open_rows(workspace(request), page, user.organisation_ids)
    return request.app.state.pages.render(request, "incidents.html.j2", rows=paged.rows, paged=paged,
                                          amber=AMBER_HOURS, red=RED_HOURS)


@router.get("/register")
def register_page(request: Request, user: CurrentUser, page: int = Query(1, ge=1, le=10**6)) -> Response:
    ws = workspace(request)
    paged = _register_rows(ws, page, user.organisation_ids)
    return request.app.state.pages.render(request, "register.html.j2", rows=paged.rows, paged=paged,
                                          amber=AMBER_HOURS, red=RED_HOURS,
                                          exports=auth.organisations_for(ws, user, "view"))


@router.get("/register.csv")
def register_csv(request: Request, user: CurrentUser, org: str = Query("", max_length=40)) -> Response:
    """One organisation's register (GDPR art. 33(5): the controller's own) as CSV, streamed: written as it is
    read, a few thousand incidents at a time. A user who serves several names it (?org=SLUG)."""
    chosen = auth.chosen_organisation(workspace(request), user, "view", org)
    if isinstance(chosen, list):
        return request.app.state.pages.render(request, "error.html.j2", 400, problem="choose_organisation",
                                              action="", choices=chosen, link="/register.csv")
    stamp = now_utc().strftime("%Y%m%d")
    return StreamingResponse(csv_lines(workspace(request).reader(), now_utc(), chosen.id),
                             media_type="text/csv; charset=utf-8", headers={
                                 "Content-Disposition": f'attachment; filename="breach-register-{chosen.slug}-'
                                                        f'{stamp}.csv"'})


@router.get("/organisations")
def organisations_page(request: Request, user: CurrentUser) -> Response:
    """For a privacy officer who serves several organisations: each one at a glance, the nearest AP deadline
    first (the same overview as `breach org overview`)."""
    rows = organisations.overview(workspace(request).reader(), now_utc(), user.organisation_ids)
    return request.app.state.pages.render(request, "organisations.html.j2", rows=rows)


@router.get("/organisations.csv")
def organisations_csv(request: Request, user: CurrentUser) -> Response:
    rows = organisations.overview(workspace(request).reader(), now_utc(), user.organisation_ids)
    stamp = now_utc().strftime("%Y%m%d")
    return Response(overview_csv(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="breach-organisations-{stamp}.csv"'})


def prefect_runs_url(incident_id: str) -> str | None:
    """The Prefect UI's list of this incident's flow runs (named incident-<id>), when a Prefect server is set."""
    ui = os.environ.get("PREFECT_UI_URL", "").strip().rstrip("/")
    if not ui:
        api = os.environ.get("PREFECT_API_URL", "").strip().rstrip("/")
        ui = api.removesuffix("/api") if api else ""
    if not ui.startswith(("http://", "https://")):
        return None
    return f"{ui}/runs?{urlencode({'flow-run-search': f'incident-{incident_id}'})}"


def _notice_file(ws: Workspace, incident_id: str, language: str) -> Path | None:
    folder = ws.settings.notices_dir / incident_id
    files = sorted(folder.glob(f"authority-notice-v*.{language}.txt"),
                   key=lambda p: int(p.name.split("-v")[1].split(".")[0]) if p.name.split("-v")[1].split(".")[0]
                   .isdigit() else 0)
    return files[-1] if files else None


@router.get("/incidents/{incident_id}")
def incident_page(request: Request, incident_id: str, user: CurrentUser,
                  outcome: str = Query("", alias="done")) -> Response:
    ws = workspace(request)
    profile = ws.profile_for(incident_id)  # its organisation's (UnknownIncident: 404)
    with ws.reader() as uow:  # everything the page shows, read in one transaction: one moment, fewer queries
        view = incident_view(uow, incident_id, now_utc(), profile)
        waiting = services.waiting_for_views(uow, [view])[view.id]
        history = incident_history(uow, view.id)
        advice = describe_latest(uow, view.id, ws.settings.templates_dir, language_of(request))
        keeping = retention.keeping_in(uow, profile.retention, view.id)
    return request.app.state.pages.render(
        request, "incident.html.j2", view=view, urgency=urgency(view.authority_clock),
        waiting=waiting, timeline=history,
        prefect_url=prefect_runs_url(view.id), notice_ready=_notice_file(ws, view.id, "nl") is not None,
        done=outcome, amber=AMBER_HOURS, red=RED_HOURS,
        total=sum(view.subjects.values()), unreachable=view.subjects.get("unreachable", 0),
        sent=notified(view.subjects), advice=advice, keeping=keeping,
        # whose breach it is, beside the id, for a user who serves several organisations
        organisation=profile.organisation.name if len(user.roles) > 1 else None,
    )


@router.get("/incidents/{incident_id}/authority-notice")
def authority_notice_page(request: Request, incident_id: str, language: str = "nl") -> Response:
    ws = workspace(request)
    view = _incident(ws, incident_id)
    path = _notice_file(ws, view.id, language if language in LANGUAGES else "nl")
    return request.app.state.pages.render(
        request, "authority_notice.html.j2", view=view, notice=path.read_text(encoding="utf-8") if path else None,
        notice_language=language if language in LANGUAGES else "nl")


async def _acting(request: Request, incident_id: str, user: User, action: str
                  ) -> tuple[Workspace, IncidentView, FormData, dict[str, Any]]:
    """How each form that records something starts: the user's right to `action` (403 otherwise), the incident
    (404 when unknown), the posted form and its values to show again when something is refused."""
    require(user, action)
    ws = workspace(request)
    view = await run_in_threadpool(_incident, ws, incident_id)
    form = await request.form()
    return ws, view, form, forms.values_of(form)


def _form_page(request: Request, template: str, fields: list[str], view: IncidentView, values: dict[str, Any],
               errors: list[FieldError], problem: str | None, status: int, **extra: Any) -> Response:
    """A form about one incident, with what was entered and each error beside its field (the rest above)."""
    by_field, general = forms.place(errors, fields)
    return request.app.state.pages.render(request, template, status, view=view, values=values, errors=by_field,
                                          general=general, problem=problem, **extra)


# --- acting: assessment ------------------------------------------------------------------------------------

def _assessment_form(request: Request, view: IncidentView, values: dict[str, Any], errors: list[FieldError],
                     problem: str | None = None, status: int = 200) -> Response:
    profile = workspace(request).profile_for(view.id)
    pasted = bool(values.get("document"))
    names = ["document"] if pasted else forms.ASSESSMENT_FIELDS
    by_field, general = forms.place(errors, names)
    return request.app.state.pages.render(
        request, "assessment.html.j2", status, view=view, values=values, errors=by_field, general=general,
        problem=problem, choices=forms.CHOICES, flags=forms.FLAGS, categories=profile.data_categories,
        chosen=forms.chosen_categories(values, profile))


@router.get("/incidents/{incident_id}/assessment")
def assessment_form(request: Request, incident_id: str, user: CurrentUser) -> Response:
    require(user, "assess")
    view = _incident(workspace(request), incident_id)
    values: dict[str, Any] = {k: ("on" if v is True else v) for k, v in forms.DEFAULTS.items() if v is not False}
    return _assessment_form(request, view, values, [])


@router.post("/incidents/{incident_id}/assessment")
async def assess(request: Request, incident_id: str, user: CurrentUser) -> Response:
    ws, view, form, values = await _acting(request, incident_id, user, "assess")
    try:
        document = form.get("document")
        if not (isinstance(document, str) and document.strip()):
            values.pop("document", None)
        facts = await run_in_threadpool(forms.read_assessment, form)  # YAML and pydantic: off the event loop
        profile = await run_in_threadpool(ws.profile_for, view.id)
        await run_in_threadpool(services.record_assessment, ws.uow(), profile, view.id, facts, user.username,
                                now_utc())
    except InvalidInput as exc:
        return _assessment_form(request, view, values, exc.errors, status=422)
    except InvalidTransition:
        current = await run_in_threadpool(_incident, ws, incident_id)
        return _assessment_form(request, current, values, [], problem="state", status=409)
    await launch(request, view.id, "assessment", facts.model_dump(mode="json"))
    return done(view.id, "assessment")


# --- acting: decision (privacy officer) --------------------------------------------------------------------

def _decision_form(request: Request, view: IncidentView, values: dict[str, Any], errors: list[FieldError],
                   problem: str | None = None, status: int = 200) -> Response:
    return _form_page(request, "decision.html.j2", ["notify_authority", "notify_subjects", "reason"], view, values,
                      errors, problem, status)


@router.get("/incidents/{incident_id}/decision")
def decision_form(request: Request, incident_id: str, user: CurrentUser) -> Response:
    require(user, "decide")
    view = _incident(workspace(request), incident_id)
    r = view.recommendation  # the answers default to the advice, as `breach decide ID` does
    values = {} if r is None else {"notify_authority": "yes" if r.notify_authority else "no",
                                   "notify_subjects": "yes" if r.notify_subjects else "no"}
    return _decision_form(request, view, values, [])


def _answer(form: FormData, name: str) -> bool | None:
    """A yes/no field of the decision form; empty: the recommendation's answer (services.decide)."""
    value = forms.text(form, name)
    if not value:
        return None
    if value not in ("yes", "no"):
        raise InvalidInput("decision", [FieldError(name, Said("web_pages.choose_yes_or_no"))])
    return value == "yes"


@router.post("/incidents/{incident_id}/decision")
async def decide(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """The same service as `breach decide`, with the same defaults: each answer left out is the advice's, and a
    decision that follows the advice may leave the reason out (the advice's reasons are recorded)."""
    ws, view, form, values = await _acting(request, incident_id, user, "decide")
    try:
        decided = await run_in_threadpool(partial(
            services.decide, ws.uow(), view.id, user.username, now_utc(),
            notify_authority=_answer(form, "notify_authority"), notify_subjects=_answer(form, "notify_subjects"),
            reason=forms.text(form, "reason") or None, templates=ws.settings.templates_dir,
            language=ws.profile_for(view.id).language))
    except InvalidInput as exc:
        return _decision_form(request, view, values, exc.errors, status=422)
    except InvalidTransition:
        current = await run_in_threadpool(_incident, ws, incident_id)
        return _decision_form(request, current, values, [], problem="state", status=409)
    await launch(request, view.id, "decision", decided.run_input())
    return done(view.id, "decision")


def _moment(form: FormData, name: str, what: str, default: datetime) -> datetime:
    """A time field of a form (Europe/Amsterdam unless it has an offset); empty: `default`."""
    value = forms.text(form, name)
    if not value:
        return default
    try:
        return parse_time(value)
    except Blame as exc:  # parse_time says the form it expects, in the reader's language
        raise InvalidInput(what, [FieldError(name, p.said if isinstance(p, FieldError) else p)
                                  for p in exc.problems]) from None
    except OverflowError:
        raise InvalidInput(what, [FieldError(name, Said("web_pages.time_out_of_range", value=value))]) from None


# --- acting: the AP filing (privacy officer) ----------------------------------------------------------------

def _filing_form(request: Request, view: IncidentView, values: dict[str, Any], errors: list[FieldError],
                 problem: str | None = None, status: int = 200) -> Response:
    return _form_page(request, "filing.html.j2", ["reference", "filed_at", "delay_reason"], view, values, errors,
                      problem, status)


@router.get("/incidents/{incident_id}/filing")
def filing_form(request: Request, incident_id: str, user: CurrentUser) -> Response:
    require(user, "file")
    return _filing_form(request, _incident(workspace(request), incident_id), {"filed_at": form_time(now_utc())}, [])


@router.post("/incidents/{incident_id}/filing")
async def file_notice(request: Request, incident_id: str, user: CurrentUser) -> Response:
    ws, view, form, values = await _acting(request, incident_id, user, "file")
    now = now_utc()
    try:
        forms.guard(values, "filing")
        filed_at = _moment(form, "filed_at", "filing", now)
        filed = await run_in_threadpool(partial(
            services.record_filing, ws.uow(), view.id, forms.text(form, "reference"), filed_at,
            forms.text(form, "delay_reason") or None, user.username, now, profile=ws.profile_for(view.id),
            templates=ws.settings.templates_dir, notices_dir=ws.settings.notices_dir))
    except InvalidInput as exc:
        return _filing_form(request, view, values, exc.errors, status=422)
    except InvalidTransition:
        current = await run_in_threadpool(_incident, ws, incident_id)
        return _filing_form(request, current, values, [], problem="state", status=409)
    await launch(request, view.id, "authority_filing", filed.run_input())
    return done(view.id, "filing")


# --- acting: the affected people and their notices ---------------------------------------------------------

def _subjects_form(request: Request, view: IncidentView, errors: list[FieldError], problem: str | None = None,
                   status: int = 200, values: dict[str, Any] | None = None) -> Response:
    ws = workspace(request)
    by_field, general = forms.place(errors, ["until", "reason"])
    return request.app.state.pages.render(
        request, "subjects.html.j2", status, view=view, general=general, problem=problem,
        total=sum(view.subjects.values()), pending=view.subjects.get("pending", 0),
        unreachable=view.subjects.get("unreachable", 0), sent=notified(view.subjects),
        other_channel=sum(view.subjects.get(s, 0) for s in OTHER_CHANNEL), posted_at=form_time(now_utc()),
        keeping=retention.keeping(ws.reader(), ws.profile_for(view.id).retention, view.id),
        exports=retention.exports(ws.reader(), view.id), values=values or {}, errors=by_field)


@router.get("/incidents/{incident_id}/subjects")
def subjects_form(request: Request, incident_id: str, user: CurrentUser) -> Response:
    require(user, "dispatch")
    return _subjects_form(request, _incident(workspace(request), incident_id), [])


def _upload(form: FormData) -> UploadFile | None:
    upload = form.get("people")
    return upload if isinstance(upload, UploadFile) and upload.filename else None


@router.post("/incidents/{incident_id}/subjects")
async def import_people(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """Link the people in an uploaded CSV (never shown back: counts only), then start their notices."""
    require(user, "dispatch")
    ws = workspace(request)
    view = await run_in_threadpool(_incident, ws, incident_id)
    form = await request.form()
    upload = _upload(form)
    if upload is None:
        return _subjects_form(request, view, [FieldError("people", Said("web_pages.choose_the_csv"))], status=422)
    tmp_dir = ws.settings.home / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, name = tempfile.mkstemp(suffix=".csv", dir=tmp_dir)  # 0600: the file holds names and addresses
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await upload.read(1 << 20):
                out.write(chunk)
        await run_in_threadpool(services.import_subjects, ws.uow(), view.id, path, user.username, now_utc())
    except InvalidInput as exc:
        return _subjects_form(request, view, exc.errors, status=422)
    except InvalidTransition:
        current = await run_in_threadpool(_incident, ws, incident_id)
        return _subjects_form(request, current, [], problem="state", status=409)
    finally:
        path.unlink(missing_ok=True)
    await launch(request, view.id, "subjects_list")
    return done(view.id, "subjects")


@router.post("/incidents/{incident_id}/dispatch")
async def dispatch(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """Start (or resume) the notices to the people: the response flow sends what is still pending."""
    require(user, "dispatch")
    ws = workspace(request)
    view = await run_in_threadpool(_incident, ws, incident_id)
    try:
        await run_in_threadpool(services.request_dispatch, ws.uow(), view.id, user.username, now_utc())
    except InvalidTransition:
        return done(view.id, "dispatch_refused")
    await launch(request, view.id, "subject_notice")
    return done(view.id, "dispatch")


@router.get("/incidents/{incident_id}/worklist.csv")
def worklist_download(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """The people who need a letter or a phone call, for the roles that must contact them; the export is audited."""
    from incidents.export import worklist_csv
    from incidents.services.people import worklist

    require(user, "worklist")
    ws = workspace(request)
    view = _incident(ws, incident_id)
    rows = worklist(ws.uow(), view.id)
    services.record_request(ws.uow(), view.id, "worklist_exported", user.username, now_utc(), people=len(rows))
    return Response(worklist_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{view.id}-worklist.csv"',
                             "Cache-Control": "no-store"})


@router.get("/incidents/{incident_id}/letters.pdf")
def letters_download(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """The approved message as printable letters for the people the e-mail does not reach (one A4 PDF), for the
    roles that must write to them; the export is audited (counts only)."""
    from incidents.services.letters import write_letters

    require(user, "worklist")
    ws = workspace(request)
    view = _incident(ws, incident_id)
    try:
        letters = write_letters(ws.uow(), ws.profile_for(view.id), ws.templates_for(view.id), view.id, user.username, now_utc())
    except InvalidTransition as exc:
        return _subjects_form(request, view, [FieldError("(letters)", str(exc))], status=409)
    return Response(letters.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{view.id}-letters.pdf"',
                             "Cache-Control": "no-store"})


@router.post("/incidents/{incident_id}/letters/posted")
async def letters_posted(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """The letters written were posted: those people count as told, and the incident moves on."""
    from incidents.services.letters import record_posted

    ws, view, form, _values = await _acting(request, incident_id, user, "worklist")
    try:
        posted_at = _moment(form, "posted_at", "letters", now_utc())
        await run_in_threadpool(record_posted, ws.uow(), view.id, user.username, now_utc(), posted_at)
    except InvalidInput as exc:
        return _subjects_form(request, view, exc.errors, status=422)
    await launch(request, view.id, None)
    return done(view.id, "letters_posted")


@router.post("/incidents/{incident_id}/retention/postpone")
async def postpone_purge(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """Keep the people's data of an incident longer, with the reason (GDPR art. 5(1)(e); audited): the privacy
    officer's, like every decision on what the register keeps."""
    ws, view, form, values = await _acting(request, incident_id, user, "retention")
    try:
        if not forms.text(form, "until"):
            raise InvalidInput("postponement", [FieldError("until", Said("retention.until_missing"))])
        until = _moment(form, "until", "postponement", now_utc())
        await run_in_threadpool(retention.postpone, ws.uow(), ws.profile_for(view.id).retention, view.id, until,
                                forms.text(form, "reason"), user.username, now_utc())
    except InvalidInput as exc:
        return _subjects_form(request, view, exc.errors, status=422, values=values)
    except InvalidTransition:
        return _subjects_form(request, view, [], problem="state", status=409, values=values)
    return done(view.id, "purge_postponed")


# --- acting: the message to the people, reviewed and approved before anyone gets it (art. 34(2)) -------------

BASES = {"message": SUBJECT_NOTICE, "update": SUBJECT_UPDATE}  # the page of each message, by its path


def _message_page(request: Request, view: IncidentView, values: dict[str, Any] | None = None,
                  errors: list[FieldError] | None = None, problem: str | None = None, status: int = 200,
                  outcome: str = "", base: str = "message") -> Response:
    """The newest version of a message to the people (the first one, or the update): its preview per language,
    its parts to edit, a test send to the team and the privacy officer's approval, with what keeps it from being
    approved beside each part."""
    ws = workspace(request)
    kind = BASES[base]
    version = services.draft_message(ws.uow(), ws.profile_for(view.id), ws.templates_for(view.id), view.id, "response-flow",
                                     now_utc(), kind=kind)
    if version is None:
        raise HTTPException(status_code=404)  # the people are not told one by one: there is no message
    shown = values if values is not None else {f"{lang}.{part}": text for lang, own in version.parts.items()
                                              for part, text in own.items()}
    problems = errors if errors is not None else ([] if values is not None else version.problems)
    parts = PARTS_OF[kind]
    fields = [f"{lang}.{part}" for lang in version.languages for part in parts] + ["to"]
    profile = ws.profile_for(view.id)
    team = [(str(p.email), p.name) for p in [profile.privacy_contact, *profile.incident_team]]
    return _form_page(request, "message.html.j2", fields, view, shown, problems, problem, status,
                      version=version, parts=parts, team=list(dict(team).items()), outcome=outcome, base=base)


def _base(request: Request) -> str:
    """Which message a route is about, from its path: /incidents/ID/message/... or /incidents/ID/update/..."""
    base = request.url.path.split("/")[3]
    if base not in BASES:
        raise HTTPException(status_code=404)
    return base


@router.get("/incidents/{incident_id}/message")
@router.get("/incidents/{incident_id}/update")
def message_page(request: Request, incident_id: str, user: CurrentUser,
                 outcome: str = Query("", alias="done")) -> Response:
    base = _base(request)
    require(user, "dispatch")
    view = _incident(workspace(request), incident_id)
    try:
        return _message_page(request, view, outcome=outcome, base=base)
    except InvalidTransition:
        raise HTTPException(status_code=404) from None


@router.get("/incidents/{incident_id}/message/preview-v{version}.{language}.html")
@router.get("/incidents/{incident_id}/update/preview-v{version}.{language}.html")
def message_preview(request: Request, incident_id: str, version: int, language: str,
                    user: CurrentUser) -> Response:
    """One language of a version exactly as a recipient gets it, greeted as someone without a name on the list;
    shown in a frame of the review page (phone width) and on its own. No real person's name is in it."""
    from incidents.notify.render import render
    from incidents.services.review import personal, version_of

    base = _base(request)
    require(user, "dispatch")
    ws = workspace(request)
    found = version_of(ws.reader(), incident_id, version, BASES[base])
    if found is None or language not in found.rendered:
        raise HTTPException(status_code=404)
    fallback = render(ws.templates_for(incident_id), language, "subjects/anonymous_name.txt.j2").strip()
    return HTMLResponse(personal(found.rendered[language].html, fallback, html=True),
                        headers={"x-breach-preview": "1"})


def _stale(exc: InvalidInput) -> bool:
    return any(e.field in ("--version", "--digest") for e in exc.errors)


@router.post("/incidents/{incident_id}/message")
@router.post("/incidents/{incident_id}/update")
async def edit_message(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """Save the edited parts as a new version (it needs approval again); unchanged texts change nothing."""
    base = _base(request)
    ws, view, _form, values = await _acting(request, incident_id, user, "dispatch")
    kind = BASES[base]
    changes: dict[str, dict[str, str]] = {}
    for key, value in values.items():
        language, _, part = key.partition(".")
        if language in LANGUAGES and part in PARTS_OF[kind] and isinstance(value, str):
            changes.setdefault(language, {})[part] = value
    try:
        forms.guard(values, "message to the people")
        version = await run_in_threadpool(partial(services.edit_message, kind=kind), ws.uow(), ws.profile_for(view.id),
                                          ws.templates_for(view.id), view.id, changes, user.username, now_utc())
    except InvalidInput as exc:
        return _message_page(request, view, values, exc.errors, status=422, base=base)
    except InvalidTransition:
        raise HTTPException(status_code=404) from None
    return RedirectResponse(f"/incidents/{quote(view.id)}/{base}?{urlencode({'done': f'saved-{version.version}'})}",
                            status_code=303)


@router.post("/incidents/{incident_id}/message/test")
@router.post("/incidents/{incident_id}/update/test")
async def test_send_message(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """Send the newest version, as the real message, to one address of the team or the privacy contact."""
    base = _base(request)
    ws, view, form, _values = await _acting(request, incident_id, user, "dispatch")
    try:
        await run_in_threadpool(partial(services.test_send, kind=BASES[base]), ws.uow(), ws.profile_for(view.id),
                                ws.mailer_for(view.id), view.id, forms.text(form, "to"), user.username, now_utc(),
                                ws.settings.mail_from)
    except InvalidInput as exc:
        return _message_page(request, view, None, exc.errors, status=422, base=base)
    except InvalidTransition:
        raise HTTPException(status_code=404) from None
    return RedirectResponse(f"/incidents/{quote(view.id)}/{base}?done=tested", status_code=303)


@router.post("/incidents/{incident_id}/message/approve")
@router.post("/incidents/{incident_id}/update/approve")
async def approve_message(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """The privacy officer approves the version they reviewed (its number and digest come with the form, so a
    version someone saved meanwhile is never approved unseen); the response flow then sends it."""
    base = _base(request)
    ws, view, form, _values = await _acting(request, incident_id, user, "approve")
    kind = BASES[base]
    try:
        version = int(forms.text(form, "version") or "0")
        approved = await run_in_threadpool(partial(services.approve_message, kind=kind), ws.uow(), view.id,
                                           user.username, now_utc(), version, forms.text(form, "digest") or "-")
    except ValueError:
        raise HTTPException(status_code=422) from None
    except InvalidInput as exc:
        if _stale(exc):
            return _message_page(request, view, problem="stale", status=409, base=base)
        return _message_page(request, view, None, exc.errors, status=422, base=base)
    except InvalidTransition:
        raise HTTPException(status_code=404) from None
    step = "subject_update" if kind == SUBJECT_UPDATE else "subject_notice_approval"
    await launch(request, view.id, step, approved.run_input())
    return done(view.id, "update_approved" if kind == SUBJECT_UPDATE else "approved")


# --- acting: the public communication (art. 34(3)(c)) -------------------------------------------------------

def _public_page(request: Request, view: IncidentView, values: dict[str, Any], errors: list[FieldError],
                 problem: str | None = None, status: int = 200) -> Response:
    from incidents.services.public_notice import public_review

    return _form_page(request, "public.html.j2", ["url", "published_at"], view, values, errors, problem, status,
                      versions=[n for n in view.notices if n.kind == "public_notice"],
                      review=public_review(workspace(request).reader(), view.id))


@router.get("/incidents/{incident_id}/public")
def public_page(request: Request, incident_id: str, user: CurrentUser) -> Response:
    require(user, "dispatch")
    return _public_page(request, _incident(workspace(request), incident_id),
                        {"published_at": form_time(now_utc())}, [])


@router.get("/incidents/{incident_id}/public/{filename}")
def public_notice_file(request: Request, incident_id: str, filename: str, user: CurrentUser) -> Response:
    """One written file of the public communication (a web page, its plain text, the short message), to put
    online. Only the files the register knows of; no names or addresses are in them."""
    from incidents.services.public_notice import public_notice_paths

    ws = workspace(request)
    view = _incident(ws, incident_id)
    files = {path.name: path for n in view.notices if n.kind == "public_notice"
             for _, _, path in public_notice_paths(ws.settings.notices_dir, view.id, n.version)}
    path = files.get(filename)
    if path is None or not path.is_file():
        raise HTTPException(status_code=404)
    media = "text/html" if path.suffix == ".html" else "text/plain"
    return Response(path.read_bytes(), media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{path.name}"', "Cache-Control": "no-store"})


@router.post("/incidents/{incident_id}/public")
async def write_public_notice(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """Write a new version of the public communication (its texts go to the notices folder, never shown here)."""
    from incidents.services.public_notice import prepare_public_notice

    ws, view, form, values = await _acting(request, incident_id, user, "dispatch")
    try:
        forms.guard(values, "public communication")
        await run_in_threadpool(prepare_public_notice, ws.uow(), ws.profile_for(view.id), ws.templates_for(view.id),
                                ws.settings.notices_dir, view.id, user.username, now_utc(),
                                forms.text(form, "url") or None)
    except InvalidInput as exc:
        return _public_page(request, view, values, exc.errors, status=422)
    except InvalidTransition as exc:
        current = await run_in_threadpool(_incident, ws, incident_id)
        return _public_page(request, current, values, [FieldError("(incident)", str(exc))], problem="state",
                            status=409)
    return done(view.id, "public_written")


@router.post("/incidents/{incident_id}/public/approve")
async def approve_public_notice(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """The privacy officer approves the newest written version as written (its number and digest come with the
    form); only then can it be recorded as online."""
    from incidents.services.public_notice import approve_public_notice as approve

    ws, view, form, values = await _acting(request, incident_id, user, "approve")
    try:
        version = int(forms.text(form, "version") or "0")
        await run_in_threadpool(approve, ws.uow(), view.id, user.username, now_utc(), version,
                                forms.text(form, "digest") or "-")
    except ValueError:
        raise HTTPException(status_code=422) from None
    except InvalidInput as exc:
        current = await run_in_threadpool(_incident, ws, incident_id)
        return _public_page(request, current, values, [], problem="stale" if _stale(exc) else None, status=409)
    except InvalidTransition as exc:
        current = await run_in_threadpool(_incident, ws, incident_id)
        return _public_page(request, current, values, [FieldError("(incident)", str(exc))], problem="state",
                            status=409)
    await launch(request, view.id, None)
    return done(view.id, "public_approved")


@router.post("/incidents/{incident_id}/public/published")
async def publish_public_notice(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """Record that the newest written version is online: that tells the people, and the incident moves on."""
    from incidents.services.public_notice import publish_public_notice as publish

    ws, view, form, values = await _acting(request, incident_id, user, "dispatch")
    now = now_utc()
    try:
        forms.guard(values, "public communication")
        published_at = _moment(form, "published_at", "public communication", now)
        await run_in_threadpool(publish, ws.uow(), view.id, user.username, now, published_at)
    except InvalidInput as exc:
        return _public_page(request, view, values, exc.errors, status=422)
    except InvalidTransition as exc:
        current = await run_in_threadpool(_incident, ws, incident_id)
        return _public_page(request, current, values, [FieldError("(incident)", str(exc))], problem="state",
                            status=409)
    await launch(request, view.id, None)
    return done(view.id, "public_published")


# --- acting: closing or dismissing (privacy officer) ---------------------------------------------------------

def _closing_form(request: Request, view: IncidentView, values: dict[str, Any], errors: list[FieldError],
                  problem: str | None = None, status: int = 200) -> Response:
    return _form_page(request, "closing.html.j2", ["outcome", "reason", "lessons", "improvements", "despite"], view,
                      values, errors, problem, status)


@router.get("/incidents/{incident_id}/closing")
def closing_form(request: Request, incident_id: str, user: CurrentUser) -> Response:
    require(user, "close")
    return _closing_form(request, _incident(workspace(request), incident_id), {}, [])


@router.post("/incidents/{incident_id}/closing")
async def close_incident(request: Request, incident_id: str, user: CurrentUser) -> Response:
    """Close the incident when its follow-up is done, or dismiss it: not a personal-data breach after all. Either
    way it stays in the register with the reason (art. 33(5))."""
    ws, view, form, values = await _acting(request, incident_id, user, "close")
    outcome = forms.text(form, "outcome")
    try:
        forms.guard(values, "closing")
        if outcome not in ("close", "dismiss"):
            raise InvalidInput("closing", [FieldError("outcome", Said("web_pages.choose_the_outcome"))])
        reason, despite = forms.text(form, "reason"), forms.text(form, "despite") or None
        if outcome == "close":
            await run_in_threadpool(partial(
                services.close, ws.uow(), view.id, reason, user.username, now_utc(),
                lessons=forms.text(form, "lessons"), improvements=forms.text(form, "improvements"), despite=despite))
        else:
            await run_in_threadpool(services.dismiss, ws.uow(), view.id, reason, user.username, now_utc())
    except InvalidInput as exc:
        return _closing_form(request, view, values, exc.errors, status=422)
    except InvalidTransition as exc:
        current = await run_in_threadpool(_incident, ws, incident_id)
        return _closing_form(request, current, values, [FieldError("(incident)", str(exc))], problem="state",
                             status=409)
    return done(view.id, "closed" if outcome == "close" else "dismissed")

