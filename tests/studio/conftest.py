"""A tiny shot film for the studio's API and browser tests, and the studio serving it on 127.0.0.1.

``studio_film``: a fresh copy per test of one film built once per session: three shots in one scene (1A
establishing, 1B action with 林晓, 1C 老周's line "你来了。"), three previz takes each at 160x90, 12 fps, landed
(thumbnails and proxies made). Nothing is selected explicitly, so the cut is derived from each shot's first take.

``studio_server``: that film served by uvicorn on a random loopback port in a thread, with a fixed token and CSRF
value; yields a ``StudioServer`` (unpacks as ``base_url, token``).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import small_profile, write_script

SCRIPT = """Title: 测试片

INT. 茶馆 - 夜

林晓坐在画面左侧，看着窗外。

@老周
你来了。
"""
SHOTS = ("1A", "1B", "1C")
TAKES = 3
TOKEN = "test-token-0123456789"
CSRF = "test-csrf-0123456789"


def build_studio_film(root: Path) -> Path:
    from storyreel.services.film import new_film, open_film
    from storyreel.services.plan import list_shots, plan_film
    from storyreel.services.shoot import shoot

    new_film(root, language="zh", title="测试片")
    small_profile(root, width=160, height=90, fps=12)
    write_script(root, SCRIPT)
    with open_film(root) as film:
        plan_film(film)
        assert tuple(s.code for s in list_shots(film)) == SHOTS
        report = shoot(film, takes=TAKES)  # lands every take: thumbnails and proxies are made here
        assert report.summary.done == len(SHOTS) * TAKES
    return root


@pytest.fixture(scope="session")
def _studio_film_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_studio_film(tmp_path_factory.mktemp("studio-template") / "film")


@pytest.fixture
def studio_film(_studio_film_template: Path, tmp_path: Path) -> Path:
    """Path of a fresh copy of the studio film (tests may change it freely)."""
    return Path(shutil.copytree(_studio_film_template, tmp_path / "film"))


@dataclass
class StudioServer:
    base_url: str  # http://127.0.0.1:PORT
    token: str
    csrf: str
    root: Path  # the film folder

    @property
    def url(self) -> str:
        """The URL ``storyreel studio`` would print: the token in the query string."""
        return f"{self.base_url}/?token={self.token}"

    def __iter__(self) -> Iterator[str]:
        return iter((self.base_url, self.token))


@pytest.fixture
def studio_server(studio_film: Path) -> Iterator[StudioServer]:
    import uvicorn

    from storyreel.studio import create_app

    app = create_app(studio_film, token=TOKEN, csrf=CSRF)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the studio server did not start")
        time.sleep(0.02)
    try:
        yield StudioServer(f"http://127.0.0.1:{port}", TOKEN, CSRF, studio_film)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
