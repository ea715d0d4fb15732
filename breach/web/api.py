"""The JSON API beside the pages, for intake from other systems: report an incident, read its status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from breach.web import auth
from breach.web.auth import CurrentUser, chosen_organisation, require_user
from breach.web.forms import validate
from breach.web.pages import launch, report_for
from incidents import services
from incidents.errors import FieldError, InvalidInput
from incidents.model import IncidentReport
from incidents.said import Said
from incidents.services.organisations import organisation_ids
from incidents.subjects import notified
from incidents.times import local, now_utc
from incidents.validation import Unreadable, parse_json
from incidents.views import BATCH, IncidentView, incident_view, incident_views, tracks_json

router = APIRouter(prefix="/api", tags=["incidents"], dependencies=[Depends(require_user), Depends(auth.check_csrf)])

INCIDENT_ID = r"^[A-Za-z]{2}-\d{4}-\d{4,6}$"


class FieldProblem(BaseModel):
    field: str = Field(description="the field, dotted for nested ones (e.g. systems.0)")
    message: str


class Problem(BaseModel):
    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)


class Clock(BaseModel):
    due_at: datetime = Field(description="ISO 8601 with offset, Europe/Amsterdam")
    state: str = Field(description="running | overdue | met | met_late | not_required")
    hours_left: float | None


class DecisionSummary(BaseModel):
    notify_authority: bool
    notify_subjects: bool
    decided_at: datetime
    decided_by: str


class SubjectCounts(BaseModel):
    """Counts only: the people themselves are never listed."""

    total: int
    pending: int
    sent: int  # the notice was handed to the mail service (whatever delivery events said since)
    unreachable: int
    by_status: dict[str, int]  # pending, sending, sent, delivered, deferred, bounced, dropped, unreachable


class IncidentStatus(BaseModel):
    id: str
    organisation: str = Field(description="the slug of the organisation whose incident it is")
    title: str
    status: str
    status_changed_at: datetime
    aware_at: datetime
    reported_at: datetime
    authority_clock: Clock
    authority_reference: str | None
    overdue: bool
    decision: DecisionSummary | None
    subjects: SubjectCounts
    waiting_for: list[str]
    tracks: dict[str, Any] = Field(default_factory=dict, description=(
        'where each duty stands: {"frame": ..., "authority": {"state": undecided|to_file|filed|phased|complete|'
        'withdrawn|not_required, ...}, "people": {"state": undecided|awaiting_approval|approved|sending|told|'
        'public_online|not_required, ...}} with the details of each state (deadline, counts, reason)'))
    url: str = Field(description="the incident's page on the dashboard")


class IncidentList(BaseModel):
    incidents: list[IncidentStatus]


def status_of(view: IncidentView, waiting: Sequence[str], organisation: str) -> IncidentStatus:
    c, d, s = view.authority_clock, view.decision, view.subjects
    return IncidentStatus(
        id=view.id, organisation=organisation, title=view.title, status=view.status.value,
        status_changed_at=local(view.status_changed_at),
        aware_at=local(view.aware_at), reported_at=local(view.reported_at),
        authority_clock=Clock(due_at=local(c.due_at), state=c.state, hours_left=c.hours_left),
        authority_reference=view.authority_reference, overdue=view.overdue,
        decision=None if d is None else DecisionSummary(notify_authority=d.notify_authority,
                                                        notify_subjects=d.notify_subjects,
                                                        decided_at=local(d.decided_at), decided_by=d.decided_by),
        subjects=SubjectCounts(total=sum(s.values()), pending=s.get("pending", 0), sent=notified(s),
                               unreachable=s.get("unreachable", 0), by_status=dict(s)),
        waiting_for=list(waiting), tracks=tracks_json(view.tracks), url=f"/incidents/{view.id}",
    )


def _status(request: Request, incident_id: str, slugs: dict[int, str] | None = None) -> IncidentStatus:
    ws = request.app.state.workspace
    slugs = slugs or organisation_ids(ws.reader())
    with ws.reader() as uow:
        view = incident_view(uow, incident_id, now_utc())
        organisation_id = uow.incident(incident_id).organisation_id
    return status_of(view, services.waiting_for(ws.reader(), view.id), slugs.get(organisation_id, ""))


def report_schema() -> dict[str, Any]:
    """IncidentReport's JSON schema, with the form of `source` (a validator's rule) and an example spelled out."""
    schema = IncidentReport.model_json_schema()
    schema["properties"]["source"]["pattern"] = r"^(internal|external|data_subject|processor:.*\S.*)$"
    schema["examples"] = [{
        "title": "Laptop stolen from a car", "description": "An unencrypted laptop with client files was stolen.",
        "discovered_at": "2026-11-24T09:30:00+01:00", "aware_at": "2026-11-24T10:00:00+01:00",
        "awareness_reason": "The car's owner confirmed the laptop was inside when the car was broken into.",
        "source": "internal", "reported_by": "Office manager", "systems": [],
    }]
    return schema


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no or wrong credentials (HTTP Basic, or the dashboard's session)"},
    403: {"model": Problem, "description": "the role may not do this, or the CSRF token is missing"},
    429: {"model": Problem, "description": "too many wrong passwords; try again after Retry-After seconds"},
}


@router.get("/incidents", response_model=IncidentList, responses=ERRORS,
            summary="The status of every incident of the organisations the user serves")
def list_incidents(request: Request, user: CurrentUser) -> IncidentList:
    ws = request.app.state.workspace
    slugs = organisation_ids(ws.reader())
    now, statuses = now_utc(), []
    with ws.reader() as uow:  # the views a few thousand at a time, as the register's export builds them
        rows = uow.incidents(user.organisation_ids)
        for start in range(0, len(rows), BATCH):
            chunk = rows[start:start + BATCH]
            views = incident_views(uow, chunk, now)
            waiting = services.waiting_for_views(uow, views)
            statuses += [status_of(v, waiting[v.id], slugs.get(row.organisation_id, ""))
                         for v, row in zip(views, chunk, strict=True)]
    return IncidentList(incidents=statuses)


@router.get("/incidents/{incident_id}", response_model=IncidentStatus, summary="One incident's status",
            responses={**ERRORS, 404: {"model": Problem, "description": "no incident with this id"},
                       422: {"model": Problem, "description": "the id is not of the form DL-2026-0001"}})
def get_incident(request: Request,
                 incident_id: str = Path(pattern=INCIDENT_ID, max_length=20, examples=["DL-2026-0001"])
                 ) -> IncidentStatus:
    return _status(request, incident_id)


@router.post(
    "/incidents", status_code=201, response_model=IncidentStatus, summary="Report an incident",
    description="The same report as `breach report FILE`, as JSON; times without an offset are Europe/Amsterdam. "
                "Answers 422 with the field errors when it is not valid; nothing is recorded then. Starts the "
                "response flow. With the dashboard's session cookie, send its CSRF token as X-CSRF-Token. A user "
                "who may report for several organisations names the one whose breach it is: ?org=SLUG.",
    responses={**ERRORS, 415: {"model": Problem, "description": "the body is not application/json"},
               422: {"model": Problem, "description": "the report is not valid; `errors` names each field"}},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": report_schema()}
    }}},
)
async def report_incident(request: Request, user: CurrentUser,
                          org: str = Query("", max_length=40, description="the organisation's slug")) -> Any:
    ws = request.app.state.workspace
    chosen = await run_in_threadpool(chosen_organisation, ws, user, "report", org)
    if isinstance(chosen, list):
        return problem_response(InvalidInput("request", [FieldError("org", Said(
            "web_api.choose_organisation", known=[c.slug for c in chosen]))]))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return JSONResponse({"detail": "send the report as application/json", "errors": []}, status_code=415)
    try:
        body = await request.body()
        report = await run_in_threadpool(read_report, body)  # json and pydantic: off the event loop
        incident_id = await run_in_threadpool(report_for, ws, chosen, report, user)
    except InvalidInput as exc:
        return problem_response(exc)
    await launch(request, incident_id)
    status = await run_in_threadpool(_status, request, incident_id)
    return JSONResponse(status.model_dump(mode="json"), status_code=201, headers={"Location": status.url})


def read_report(body: bytes) -> IncidentReport:
    """The posted report, parsed within the limits of incidents/validation.py (the body itself: at most MAX_BODY)
    and validated; the field errors otherwise. Blocking work: run it in a worker thread."""
    try:
        data = parse_json(body)
    except Unreadable as exc:
        said = Said("web_api.not_json") if exc.syntax else exc.said
        raise InvalidInput("incident report", [FieldError("(document)", said)]) from None
    return validate(IncidentReport, data, "incident report")


def problem_response(exc: InvalidInput, status_code: int = 422) -> JSONResponse:
    body = Problem(detail=str(exc).splitlines()[0].rstrip(":"),
                   errors=[FieldProblem(field=e.field, message=e.message) for e in exc.errors])
    return JSONResponse(body.model_dump(), status_code=status_code)
