"""Server-rendered pages: thin over the same service calls as the API, in the director's language.

Every template gets this context (templates/ are written against it):

    request       the Starlette request
    lang          "zh" | "en": the ``storyreel_lang`` cookie (set by /lang/zh|en), else the system locale
                  (STORYREEL_LANG, LC_ALL, LC_MESSAGES, LANG, read the way the CLI reads them), else "en"
    t             dict of UI strings in that language (studio.strings), e.g. ``{{ t.board_title }}``
    csrf, csrf_token   the per-launch CSRF value, for ``<meta name="csrf-token">``; every POST/PATCH/DELETE
                  sends it back as ``X-CSRF-Token``
    token         the launch token (pages never need it: the browser holds it as an HttpOnly cookie)
    film_title    the film's title
    page          "board" | "shot" | "bin" | "cut" | "jobs"
    fps           the film's frame rate

and per page (JSON-able dicts, the same shapes as the API's responses, see studio.schemas):

    board.html  board (BoardOut), cards, statuses, scenes, characters, summary, filters {scene, status, character}
    shot.html   shot (ShotOut), takes, keyframes, locked, stale, next_shot, previous_shot, providers (names)
    bin.html    bin (BinOut), takes, filters {q, character, tag, min_rating}, characters, cut (CutOut), clips
    cut.html    cut (CutOut), clips, clips_json, edited, profiles (ProfilesOut: the render's delivery profiles)
    jobs.html   jobs (list of JobOut), counts, ledger (LedgerOut), ledger_json, tasks (list of TaskOut)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from storyreel.studio import api, api_cut, api_jobs
from storyreel.studio.strings import strings

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))

LANG_COOKIE = "storyreel_lang"
LANGS = ("zh", "en")


def system_lang() -> str:
    """The language of the machine's locale, read the same way as ``storyreel.cli.i18n`` (not imported: the
    studio and the CLI are sibling shells)."""
    for var in ("STORYREEL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def page_lang(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGS else system_lang()


def render(request: Request, template: str, page: str, **data: Any) -> HTMLResponse:
    film = request.app.state.film
    lang = page_lang(request)
    secrets = request.app.state.secrets
    context = {"lang": lang, "t": strings(lang), "csrf": secrets.csrf, "csrf_token": secrets.csrf,
               "token": secrets.token, "film_title": film.config.title, "page": page,
               "fps": film.config.profile.fps, **data}
    return templates.TemplateResponse(request, template, context, headers={"Cache-Control": "no-store"})


@router.get("/", response_class=HTMLResponse)
def board_page(request: Request, scene: Annotated[int | None, Query(ge=0, le=100_000)] = None,
               status: str | None = None, character: str | None = None) -> HTMLResponse:
    # An empty <select> submits "", which means "all".
    board = api.get_board(request, scene=scene, status=status or None, character=character or None)
    data = board.model_dump(mode="json")
    return render(request, "board.html", "board", board=data, cards=data["cards"], statuses=data["statuses"],
                  scenes=data["scenes"], characters=data["characters"], summary=data["summary"],
                  filters={"scene": scene, "status": status or None, "character": character or None})


@router.get("/shot/{code}", response_class=HTMLResponse)
def shot_page(code: str, request: Request) -> HTMLResponse:
    from storyreel.providers import provider_names

    shot = api.get_shot(code, request).model_dump(mode="json")
    return render(request, "shot.html", "shot", shot=shot, takes=shot["takes"], keyframes=shot["keyframes"],
                  locked=shot["locked"], stale=shot["stale"], next_shot=shot["next_shot"],
                  previous_shot=shot["previous_shot"], providers=list(provider_names()))


@router.get("/bin", response_class=HTMLResponse)
def bin_page(request: Request, q: Annotated[str | None, Query(max_length=200)] = None,
             character: Annotated[str | None, Query(max_length=100)] = None,
             tag: Annotated[str | None, Query(max_length=64)] = None,
             min_rating: Annotated[str | None, Query(max_length=2)] = None) -> HTMLResponse:
    rating = int(min_rating) if min_rating and min_rating.isdigit() and 1 <= int(min_rating) <= 5 else None
    data = api.get_bin(request, q=q or None, character=character or None, tag=tag or None,
                       min_rating=rating).model_dump(mode="json")
    film = request.app.state.film
    cut = api_cut.cut_out(film).model_dump(mode="json")
    return render(request, "bin.html", "bin", bin=data, takes=data["takes"], cut=cut, clips=cut["clips"],
                  characters=[c.name for c in film.bible.characters],
                  filters={"q": q or "", "character": character or "", "tag": tag or "", "min_rating": rating})


@router.get("/cut", response_class=HTMLResponse)
def cut_page(request: Request) -> HTMLResponse:
    film = request.app.state.film
    cut = api_cut.cut_out(film).model_dump(mode="json")
    return render(request, "cut.html", "cut", cut=cut, clips=cut["clips"], clips_json=cut["clips"],
                  edited=cut["edited"], problem=cut["problem"],
                  profiles=api_cut.delivery_profiles(film).model_dump(mode="json"))


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request) -> HTMLResponse:
    jobs = api_jobs.get_jobs(request).model_dump(mode="json")
    ledger = api_jobs.get_ledger(request).model_dump(mode="json")
    tasks = [t.model_dump(mode="json") for t in api_jobs.list_tasks(request)]
    return render(request, "jobs.html", "jobs", jobs=jobs["jobs"], counts=jobs["counts"], ledger=ledger,
                  ledger_json=ledger, tasks=tasks)


@router.get("/lang/{lang}")
def set_lang(lang: Literal["zh", "en"], request: Request) -> RedirectResponse:
    """Switch the studio's language (a cookie) and go back to the page the switch was pressed on."""
    back = "/"
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        if parts.netloc.lower() == (request.headers.get("host") or "").lower() and parts.path.startswith("/") \
                and not parts.path.startswith("//") and not parts.path.startswith("/lang/"):
            back = parts.path + (f"?{parts.query}" if parts.query else "")
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="strict", path="/")
    return response
