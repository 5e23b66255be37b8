"""The studio application: one film, one launch token, the routers, and the one place errors become HTTP.

``create_app(film_root, token=..., csrf=...)`` opens the film and wires the pieces:

    security.StudioGuard   Host check, launch token, CSRF (outermost, so nothing answers without it)
    pages                  server-rendered pages (templates/ + static/)
    api                    the JSON API (documented at /docs, schema at /openapi.json)
    events                 /api/events, server-sent events
    media                  /media, /thumbs, /proxy

Errors: a ``StoryreelError`` becomes ``{error, message, message_zh}`` with a status chosen by its class
(``status_for``); request validation errors get the same shape with the details; anything else is a 500 with a
plain message and no traceback (the traceback goes to the server log).
"""

from __future__ import annotations

import logging
import secrets as _secrets
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from storyreel.errors import (
    BudgetExceeded,
    FilmConfigError,
    InvalidInput,
    MediaError,
    ProviderError,
    ScriptError,
    ShotListError,
    StoryreelError,
    UnknownProvider,
)
from storyreel.services.film import open_film
from storyreel.services.landing import LandingWorker
from storyreel.studio.security import Secrets, StudioGuard
from storyreel.studio.tasks import TaskRunner, error_body

log = logging.getLogger("storyreel.studio")

HERE = Path(__file__).resolve().parent


def status_for(exc: StoryreelError) -> int:
    """HTTP status of a director-facing error, by class; names ending in NotFound are 404 wherever they live."""
    name = type(exc).__name__
    if name.endswith("NotFound"):
        return 404
    if name == "UploadRefused":
        return 413
    if isinstance(exc, BudgetExceeded):
        return 402
    if isinstance(exc, InvalidInput | UnknownProvider | FilmConfigError | ScriptError | ShotListError) or \
            name in ("InvalidEdit", "InvalidReroll", "ChainError"):
        return 422
    if isinstance(exc, MediaError):
        return 500
    if isinstance(exc, ProviderError):
        return 409
    return 409  # the request was understood but the film's state does not allow it now (locked, already done)


def _json_error(status: int, body: dict, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


async def _storyreel_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StoryreelError)
    return _json_error(status_for(exc), error_body(exc))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
               for e in exc.errors()]
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(p for p in first["loc"] if p not in ("body", "query", "path")) or "request"
    return _json_error(422, {"error": "ValidationError", "message": f"{where}: {first['msg']}",
                             "message_zh": f"{where}：请求内容不合法（{first['msg']}）", "detail": details})


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    text = exc.detail if isinstance(exc.detail, str) else "HTTP error"
    zh = {404: "没有这个地址。", 405: "不支持这种请求方法。"}.get(exc.status_code, text)
    return _json_error(exc.status_code, {"error": text.replace(" ", ""), "message": text, "message_zh": zh},
                       headers=getattr(exc, "headers", None))


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("studio request failed")
    return _json_error(500, error_body(exc))


def create_app(film_root: Path, *, token: str, csrf: str | None = None) -> FastAPI:
    """The studio for the film at ``film_root``. ``token`` is the per-launch secret printed in the URL; ``csrf``
    (random when not given) is what pages send back in ``X-CSRF-Token``."""
    from storyreel.studio import api, api_cut, api_jobs, events, media, pages  # api_* add their routes to api.router

    del api_cut, api_jobs

    film = open_film(film_root)
    runner = TaskRunner()
    lander = LandingWorker(film)  # re-makes thumbnails/proxies a request found missing, off the request

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        try:
            yield
        finally:
            runner.shutdown()
            lander.close()
            film.close()

    app = FastAPI(
        title=f"storyreel studio · {film.config.title}",
        version="1",
        description="The JSON API behind the web studio. Every call needs the launch token (cookie or "
                    "`Authorization: Bearer`); every POST/PATCH/DELETE also needs `X-CSRF-Token`.",
        lifespan=lifespan,
    )
    app.state.film = film
    app.state.tasks = runner
    app.state.landing = lander
    app.state.landing_lock = threading.Lock()
    app.state.landing_requested = set()
    app.state.secrets = Secrets(token=token, csrf=csrf or _secrets.token_urlsafe(24))
    app.add_exception_handler(StoryreelError, _storyreel_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.include_router(api.router)
    app.include_router(events.router)
    app.include_router(media.router)
    app.include_router(pages.router)
    static = HERE / "static"
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")
    app.add_middleware(StudioGuard, secrets=app.state.secrets)
    return app
