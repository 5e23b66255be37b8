"""``storyreel studio``: the local web studio, on 127.0.0.1 only, behind a token made for this launch."""

from __future__ import annotations

from typing import Annotated

import typer

from storyreel.cli.app import _film, app
from storyreel.cli.i18n import lang, t


@app.command()
def studio(
    port: Annotated[int, typer.Option("--port", min=0, max=65535,
                                      help="Port on 127.0.0.1 (0: any free port). 端口（0：任选空闲端口）。")] = 0,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser. 不自动打开浏览器。")] = False,
) -> None:
    """Open the web studio: board, takes, bin, cut, jobs. 打开网页工作室。"""
    import os
    import secrets
    import socket
    import threading
    import webbrowser

    import uvicorn

    from storyreel.studio import create_app

    with _film() as film:
        root = film.root
    # The studio's pages start in the language the CLI speaks (``--lang`` included).
    os.environ.setdefault("STORYREEL_LANG", lang())
    token = secrets.token_urlsafe(24)
    application = create_app(root, token=token)
    # Bound here, to loopback only, so the URL printed below names the port actually in use.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise typer.BadParameter(t(f"127.0.0.1:{port} is not free ({exc.strerror}); try --port 0.",
                                   f"127.0.0.1:{port} 已被占用（{exc.strerror}）；可改用 --port 0。"),
                                 param_hint="--port") from exc
    bound = sock.getsockname()[1]
    url = f"http://127.0.0.1:{bound}/?token={token}"
    print(t(f"storyreel studio for '{film.config.title}': {url}", f"《{film.config.title}》工作室：{url}"))
    print(t("Only this URL opens it (the token is new each launch). Ctrl-C stops it.",
            "只有这个网址能打开它（每次启动令牌都不同）。按 Ctrl-C 停止。"), flush=True)
    if not no_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    # SSE connections never end on their own; the grace period lets Ctrl-C stop the server anyway.
    config = uvicorn.Config(application, host="127.0.0.1", port=bound, log_level="warning",
                            timeout_graceful_shutdown=2)
    uvicorn.Server(config).run(sockets=[sock])
