"""The dashboard application: pages and API behind a login, with CSRF tokens and strict security headers."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from breach.web import api, auth, pages, webhooks
from breach.web.launch import Launcher, continue_flow
from breach.web.session import COOKIE, Session, SessionStore, save, secret_key
from breach.web.templating import Pages
from incidents.errors import FieldError, InvalidInput, UnknownIncident
from incidents.workspace import Workspace

STATIC = Path(__file__).parent / "static"
GC_YOUNG = 50_000  # new container objects between two sweeps of the youngest generation (Python: 700)

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# The preview of a message as recipients get it: an e-mail's inline styles, nothing else (no script, no image,
# no form, no link followed inside the frame), shown only in a frame of this site's review page.
PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'; "
               "form-action 'none'; sandbox allow-popups allow-popups-to-escape-sandbox")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


MAX_BODY = 1 << 20  # bytes: a form or a report; anything bigger is refused before it is read into memory
MAX_UPLOAD = 64 << 20  # the CSV of the people affected


def body_limit(path: str) -> int:
    return MAX_UPLOAD if path.endswith("/subjects") else MAX_BODY


class BodyTooLarge(Exception):
    pass


class Guard:
    """Loads the session for every request; adds the security headers and the session cookie to every answer;
    refuses bodies larger than the route needs."""

    def __init__(self, app: ASGIApp, store: SessionStore):
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        limit = body_limit(scope["path"])
        if int(request.headers.get("content-length") or 0) > limit:
            await Response("request body too large", status_code=413, headers=SECURITY_HEADERS)(scope, receive, send)
            return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:  # a chunked body that does not say its length
                raise BodyTooLarge()
            return message

        state = scope.setdefault("state", {})
        static = scope["path"].startswith("/static/")
        # the style sheet and the script need no session: no register read for them
        before = Session() if static else await run_in_threadpool(self.store.load, request.cookies.get(COOKIE))
        state["session"] = before

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if "x-breach-preview" in headers:  # set by the route that shows a message as recipients get it
                    del headers["x-breach-preview"]
                    headers["content-security-policy"] = PREVIEW_CSP
                    headers["x-frame-options"] = "SAMEORIGIN"
                # pages show incidents: no shared or browser cache keeps them after logout
                headers["cache-control"] = "no-cache" if static else "no-store"
                if request.url.scheme == "https":
                    headers["strict-transport-security"] = "max-age=31536000"
                if not static:  # a logout ends the session in the register before its answer leaves
                    sealed = await run_in_threadpool(self.store.persist, before, state["session"])
                    if sealed is not None:
                        cookie = Response()
                        save(cookie, request, sealed)
                        headers.append("set-cookie", cookie.headers["set-cookie"])
            await send(message)

        await self.app(scope, receive_limited, send_with_headers)


def create_app(workspace: Workspace | None = None, launcher: Launcher | None = None,
               trusted_proxies: str | None = None) -> FastAPI:
    """The dashboard for a workspace (default: from BREACH_* variables). `launcher(ws, incident_id, step,
    run_input)` continues the response flow after something was recorded (default: as the CLI does).
    `trusted_proxies` (default: BREACH_TRUSTED_PROXIES, else none) are the reverse proxies whose X-Forwarded-For
    and X-Forwarded-Proto are believed; without them the address is the connection's, whatever a header says."""
    ws = workspace or Workspace()
    proxies = auth.trusted_proxies(os.environ.get(auth.TRUSTED_PROXIES) if trusted_proxies is None
                                   else trusted_proxies)
    ws.uow()  # brings the register's schema up to date before the first request
    ws.check_profiles()  # a missing or broken profile is reported at start, not at the first form

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # every page's templates compiled before the server takes its first request: a worker's first visitors
        # otherwise waited most of a second each behind the compiling (a server waits for this to finish)
        await run_in_threadpool(app.state.pages.warm)
        # what a worker holds from its start (the app, its routes, the compiled templates: most of its objects)
        # is kept out of the collector's full sweeps, which never find anything to free there: sweeping it cost
        # a sixth of the register's CSV export of 10 000 incidents (benchmarks/dashboard.py); and the youngest
        # objects are swept after GC_YOUNG new ones instead of 700, so a page's own short-lived objects are
        # mostly freed before a sweep looks at them (another 5 % of the export)
        gc.collect()
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(GC_YOUNG, *thresholds[1:])
        try:
            yield
        finally:  # an app stopped in a process that goes on (the tests) leaves the collector as it found it
            gc.set_threshold(*thresholds)
            gc.unfreeze()

    app = FastAPI(title="breach", version="1", summary="GDPR data-breach response: intake and status",
                  docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.workspace = ws
    app.state.launcher = launcher or continue_flow
    key = secret_key(ws.settings.home)
    app.state.throttle = auth.Throttle(ws, key)
    app.state.pages = Pages(ws.settings.templates_dir)
    store = SessionStore(ws, key)
    app.state.sessions = store

    app.include_router(pages.public)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(webhooks.router)  # SendGrid's Event Webhook: signed, no login

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        await auth.require_user(request)
        return JSONResponse(app.openapi())

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _handlers(app)
    app.add_middleware(Guard, store=store)
    if proxies:  # outermost: the Guard and the throttle see the client's address and scheme, not the proxy's
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        schema.setdefault("components", {})["securitySchemes"] = {
            "basic": {"type": "http", "scheme": "basic", "description": "a dashboard user (`breach users add`)"},
            "session": {"type": "apiKey", "in": "cookie", "name": "breach_session",
                        "description": "the dashboard's login session; unsafe methods also need X-CSRF-Token"},
        }
        schema["security"] = [{"basic": []}, {"session": []}]
        app.openapi_schema = schema
    return app.openapi_schema


def _handlers(app: FastAPI) -> None:
    def page(request: Request, name: str, status: int, **context: Any) -> Response:
        return app.state.pages.render(request, name, status, **context)

    @app.exception_handler(auth.LoginRequired)
    async def login_required(request: Request, exc: auth.LoginRequired) -> Response:
        if auth.is_api(request):
            return JSONResponse({"detail": "log in: HTTP Basic with a dashboard user, or the dashboard's session",
                                 "errors": []}, status_code=401,
                                headers={"WWW-Authenticate": 'Basic realm="breach", charset="UTF-8"'})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> Response:
        return Response("request body too large", status_code=413)

    @app.exception_handler(auth.Throttled)
    async def throttled(request: Request, exc: auth.Throttled) -> Response:
        return JSONResponse({"detail": "too many wrong passwords; try again later", "errors": []}, status_code=429,
                            headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(auth.Forbidden)
    async def forbidden(request: Request, exc: auth.Forbidden) -> Response:
        if auth.is_api(request):
            return JSONResponse({"detail": f"your role may not {exc.action}", "errors": []}, status_code=403)
        return page(request, "error.html.j2", 403, problem="forbidden", action=exc.action)

    @app.exception_handler(auth.CsrfRefused)
    async def csrf_refused(request: Request, exc: auth.CsrfRefused) -> Response:
        if auth.is_api(request):
            return JSONResponse({"detail": "missing or wrong X-CSRF-Token", "errors": []}, status_code=403)
        return page(request, "error.html.j2", 403, problem="csrf", action="")

    @app.exception_handler(UnknownIncident)
    async def unknown(request: Request, exc: UnknownIncident) -> Response:
        if auth.is_api(request):
            return JSONResponse({"detail": str(exc), "errors": []}, status_code=404)
        return page(request, "error.html.j2", 404, problem="unknown_incident", action="")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [FieldError(".".join(str(p) for p in e["loc"] if p not in ("body", "path", "query")) or "(request)",
                             str(e["msg"])) for e in exc.errors()]
        if auth.is_api(request):
            return api.problem_response(InvalidInput("request", errors))
        return page(request, "error.html.j2", 422, problem="invalid_request", action="")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if auth.is_api(request):
            return JSONResponse({"detail": str(exc.detail), "errors": []}, status_code=exc.status_code,
                                headers=exc.headers)
        problem = "not_found" if exc.status_code == 404 else "http"
        return page(request, "error.html.j2", exc.status_code, problem=problem, action="")
