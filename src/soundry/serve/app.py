"""The FastAPI application: ``create_app(home, ...)``.

``/api/...`` needs the bearer token; ``/`` and ``/static/`` serve the web page (plain HTML,
CSS and JS, nothing fetched from the internet); ``/openapi.json`` describes the API. Every
error answers ``{"error": {"status": N, "message": "..."}}`` with a message that says what
to do.
"""

from __future__ import annotations

import fcntl
import logging
import os
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from soundry import __version__
from soundry.errors import SoundryError
from soundry.serve.auth import check_bearer, load_or_create_token
from soundry.serve.feed import FeedCache
from soundry.serve.jobs import JobManager
from soundry.serve.readiness import Readiness
from soundry.serve.samples import Samples
from soundry.serve.settings import Home, ServeError, ServeSettings
from soundry.serve.store import Store

log = logging.getLogger("soundry.serve")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


@dataclass
class Services:
    settings: ServeSettings
    home: Home
    store: Store
    samples: Samples
    readiness: Readiness
    jobs: JobManager
    token: str | None


def static_dir() -> Path:
    return Path(str(resources.files("soundry.serve") / "static"))


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": {"status": status, "message": message, **extra}}, status_code=status,
                        headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[int, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "the request body is not valid JSON; send a JSON object"
    parts = []
    for e in errors[:5]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return 422, "invalid request: " + "; ".join(parts)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServeError)
    async def serve_error(request: Request, exc: ServeError):
        return _error(exc.status, exc.message)

    @app.exception_handler(SoundryError)
    async def soundry_error(request: Request, exc: SoundryError):
        return _error(422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        status, message = _validation_message(exc)
        return _error(status, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        messages = {404: f"no such address: {request.url.path}", 405: f"{request.method} is not allowed here"}
        return _error(exc.status_code, messages.get(exc.status_code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _error(500, f"internal error ({type(exc).__name__}); the server log has the details")


class SecurityHeaders:
    """Adds CSP and friends to every response (plain ASGI: cheaper than ``@app.middleware``)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        api = scope["path"].startswith("/api")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                         (b"content-security-policy", CSP.encode())]
                if api:
                    extra.append((b"cache-control", b"no-store"))
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _lock_home(home: Home):
    fh = open(home.root / "serve.lock", "w")  # noqa: SIM115 - held for the server's lifetime
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise ServeError(409, f"another soundry serve uses {home.root}; stop it or give another --home") from None
    fh.write(str(os.getpid()))
    fh.flush()
    return fh


def create_app(home: str | Path | None = None, settings: ServeSettings | None = None, **options: Any) -> FastAPI:
    """The web application for the server home ``home`` (made if missing).

    ``options`` are :class:`ServeSettings` fields (``max_jobs``, ``max_upload_mb``,
    ``import_roots``, ``auto_resume``, ``cors_origins``, ``auth``). The token is read from (or
    written to) ``home/token``. Start-up marks jobs left running by a dead server as
    ``interrupted`` and starts the job supervisor.
    """
    settings = settings or ServeSettings(home=home, **options)
    paths = Home(settings.home).create()
    store = Store(paths.db).init()
    token = load_or_create_token(paths.token_file) if settings.auth else None
    feeds = FeedCache()
    svc = Services(settings, paths, store, Samples(store, paths, settings), Readiness(store, paths),
                   JobManager(store, paths, settings, feeds), token)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        lock = _lock_home(paths)
        try:
            svc.jobs.recover()
            svc.jobs.start_supervisor()
            yield
        finally:
            svc.jobs.stop()
            lock.close()

    bearer = HTTPBearer(auto_error=False, description="the token in the server's home folder, file 'token'")

    def require_token(request: Request, _=Depends(bearer)) -> None:
        check_bearer(request.headers.get("authorization"), svc.token)

    app = FastAPI(title="soundry serve", version=__version__, lifespan=lifespan, docs_url=None,
                  redoc_url=None, description="Train audio models from the browser or over HTTP: projects, "
                  "samples, readiness, jobs with live progress, and the trained bundle.")
    app.state.services = svc
    _install_handlers(app)
    from soundry.serve.routes_jobs import router as jobs_router
    from soundry.serve.routes_projects import router as projects_router

    deps = [Depends(require_token)]
    app.include_router(projects_router, prefix="/api", dependencies=deps, tags=["projects and samples"])
    app.include_router(jobs_router, prefix="/api", dependencies=deps, tags=["jobs and results"])

    @app.get("/api/health", dependencies=deps, tags=["server"], summary="Server version and limits")
    def health() -> dict[str, Any]:
        return {"ok": True, "version": __version__, "max_upload_mb": settings.max_upload_mb,
                "max_jobs": settings.max_jobs, "import": bool(settings.import_roots)}

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(static_dir() / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=static_dir()), name="static")

    app.add_middleware(SecurityHeaders)

    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["Authorization", "Content-Type"])
    return app
