"""How fast is the studio with 2,000 takes? Goals (issue 4): board and a 64-take shot page reach first contentful
paint in ≤ 500 ms in Chromium; culling a take (key press → save answered) in ≤ 100 ms.

Baseline, same run, same server, same browser: the first paint of a static page that links the same stylesheet.
Run by hand (not part of the tests):

    .venv/bin/python bench/studio_paint.py [runs]

The film is built straight through the ORM: ~200 shots × 10 takes (one shot with 64), every take pointing at one
of a handful of real tiny JPEG thumbnails placed where ``services.landing`` keeps them, so the page requests are
the real ones and nothing is transcoded.
"""

from __future__ import annotations

import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BOARD_GOAL_MS = 500.0
SHOT_GOAL_MS = 500.0
CULL_GOAL_MS = 100.0
SHOTS = 200
TAKES = 2000
BIG_SHOT_TAKES = 64
CHROMIUM = "/usr/bin/chromium"


def build_film(root: Path) -> tuple[Path, str]:
    """A film with SHOTS shots and TAKES takes; returns (film folder, code of the 64-take shot)."""
    from PIL import Image

    from storyreel.model import Blocking, Shot
    from storyreel.services import landing
    from storyreel.services.film import new_film, open_film
    from storyreel.services.review import take_info
    from storyreel.store import ShotRow, TakeRow

    film_dir = new_film(root / "film", language="zh", title="基准片")
    rng = random.Random(7)
    jpegs = []
    for i in range(5):
        p = root / f"thumb{i}.jpg"
        Image.new("RGB", (160, 90), (40 * i, 90, 200 - 30 * i)).save(p, quality=70)
        jpegs.append(p)
    # One real 1 s proxy for every take, so no page asks for a take to be (re)landed while we measure.
    import imageio_ffmpeg

    proxy = root / "proxy.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=size=160x90:rate=12:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-movflags", "+faststart", str(proxy)], check=True)
    # One shot carries 64 takes; the rest share what is left, 9 or 10 each.
    counts = [BIG_SHOT_TAKES] + [(TAKES - BIG_SHOT_TAKES) // (SHOTS - 1)] * (SHOTS - 1)
    for i in range((TAKES - BIG_SHOT_TAKES) % (SHOTS - 1)):
        counts[1 + i] += 1
    names = ["林岚", "陈默", "Ada", "Ben"]
    with open_film(film_dir) as film:
        with film.store.session() as s:
            for i in range(SHOTS):
                scene, letter = divmod(i, 10)
                code = f"{scene + 1}{chr(ord('A') + letter)}"
                shot = Shot(code=code, scene=scene + 1, order=i + 1, heading=f"INT. 茶馆 - 夜 {scene + 1}",
                            description=f"镜头 {code}：{names[i % 4]} 看向窗外。", frames=48,
                            blocking=[Blocking(character=names[i % 4])], prompt=f"shot {code}, rain outside")
                s.add(ShotRow(code=code, scene=scene + 1, ord=i + 1, data=shot.model_dump(mode="json", by_alias=True)))
                for n in range(1, counts[i] + 1):
                    s.add(TakeRow(shot_code=code, number=n, provider="previz", model=None, seed=rng.randrange(1 << 30),
                                  frames=48, fps=24, width=320, height=180, clip_sha=secrets.token_hex(32),
                                  clip_ext="mp4", keyframe_sha=None, cost=round(rng.random(), 2),
                                  prompt=f"shot {code} take {n}", rating=rng.choice([None, 2, 3, 4]),
                                  tags=["雨"] if n % 3 == 0 else []))
        with film.store.session() as s:
            rows = list(s.scalars(__import__("sqlalchemy").select(TakeRow)))
            for k, row in enumerate(rows):
                # thumbnail_path answers only for thumbnails that exist; _thumb_file is where one would go.
                path = landing._thumb_file(film, take_info(row, selected=False, labels={}))
                if path is None:
                    continue
                info = take_info(row, selected=False, labels={})
                for dest, src in ((path, jpegs[k % len(jpegs)]), (landing._proxy_file(film, info), proxy)):
                    if dest is None or dest.exists():
                        continue
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    try:
                        dest.hardlink_to(src)
                    except OSError:
                        shutil.copyfile(src, dest)
    return film_dir, "1A"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(film_dir: Path, token: str) -> tuple[str, object]:
    import uvicorn
    from fastapi.responses import HTMLResponse

    from storyreel.studio.app import create_app

    app = create_app(film_dir, token=token)

    # The baseline: the same server, guard and stylesheet, with no data behind it.
    @app.get("/bench/baseline", include_in_schema=False)
    def baseline() -> HTMLResponse:
        return HTMLResponse('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
                            '<link rel="stylesheet" href="/static/studio.css"><title>baseline</title></head>'
                            '<body><header class="top"><span class="brand">storyreel</span></header>'
                            '<main><h1>镜头板 Board</h1><p class="muted">baseline</p></main></body></html>')

    # Routes are matched in order; the page router's catch-alls (if any) must not shadow the baseline.
    app.router.routes.insert(0, app.router.routes.pop())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline:
            raise SystemExit("studio did not start within 30 s")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


FCP_JS = "() => { const e = performance.getEntriesByType('paint').find(p => p.name === 'first-contentful-paint');" \
         " return e ? e.startTime : null; }"

# Key press → answer of the save request, both clocks in the page: the keydown is stamped in the capture phase
# before the page's own handler runs, and fetch is wrapped to stamp the moment the answer arrives.
CULL_PROBE = """
window.__cull = [];
window.addEventListener('keydown', (ev) => { window.__key = performance.now(); }, true);
const _fetch = window.fetch;
window.fetch = function (url, init) {
  const p = _fetch.apply(this, arguments);
  if (init && init.method === 'POST' && String(url).includes('/rating')) {
    const t0 = window.__key;
    p.then(() => window.__cull.push(performance.now() - t0));
  }
  return p;
};
"""


def fcp(page, url: str) -> float:
    page.goto(url, wait_until="load")
    value = page.evaluate(FCP_JS)
    if value is None:  # paint entries can land a moment after load
        page.wait_for_timeout(200)
        value = page.evaluate(FCP_JS)
    return float(value)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("playwright is not installed in this environment")
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install chromium")
    tmp = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    try:
        t0 = time.perf_counter()
        film_dir, big = build_film(tmp)
        print(f"film: {SHOTS} shots, {TAKES} takes, built in {time.perf_counter() - t0:.1f} s")
        token = secrets.token_urlsafe(16)
        base, server = start_server(film_dir, token)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            ctx = browser.new_context(viewport={"width": 1440, "height": 900})
            page = ctx.new_page()
            page.goto(f"{base}/?token={token}", wait_until="load")  # the token becomes a cookie
            results: dict[str, list[float]] = {"baseline": [], "board": [], "shot": []}
            targets = {"baseline": f"{base}/bench/baseline", "board": f"{base}/", "shot": f"{base}/shot/{big}"}
            for name, url in targets.items():
                fcp(page, url)  # warm-up: the server's first render and the browser's cache
            for _ in range(runs):
                for name, url in targets.items():
                    results[name].append(fcp(page, url))
            page.goto(f"{base}/shot/{big}", wait_until="load")
            cards = page.locator(".take").count()

            cull_page = ctx.new_page()
            cull_page.add_init_script(CULL_PROBE)
            cull_page.goto(f"{base}/shot/{big}", wait_until="load")
            presses = max(10, runs * 3)
            for i in range(presses):
                cull_page.keyboard.press(str(1 + i % 5))
                cull_page.wait_for_function(f"() => window.__cull.length >= {i + 1}", timeout=10_000)
                cull_page.keyboard.press("ArrowRight")
            cull = cull_page.evaluate("window.__cull")
            browser.close()
        server.should_exit = True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    base_ms = statistics.median(results["baseline"])
    board_ms = statistics.median(results["board"])
    shot_ms = statistics.median(results["shot"])
    cull_ms = statistics.median(cull)
    print(f"median of {runs} runs; shot page {big} shows {cards} takes; culling: median of {len(cull)} key presses")
    print(f"baseline first paint (static page, same CSS) {base_ms:7.1f} ms")
    print(f"board first paint                           {board_ms:7.1f} ms  {board_ms / BOARD_GOAL_MS:.2f}× goal "
          f"(≤ {BOARD_GOAL_MS:.0f} ms)  {board_ms / base_ms:.2f}× baseline")
    print(f"shot page first paint ({BIG_SHOT_TAKES} takes)            {shot_ms:7.1f} ms  {shot_ms / SHOT_GOAL_MS:.2f}× goal "
          f"(≤ {SHOT_GOAL_MS:.0f} ms)  {shot_ms / base_ms:.2f}× baseline")
    print(f"culling, key press → saved                  {cull_ms:7.1f} ms  {cull_ms / CULL_GOAL_MS:.2f}× goal "
          f"(≤ {CULL_GOAL_MS:.0f} ms)  max {max(cull):.1f} ms")


if __name__ == "__main__":
    main()
