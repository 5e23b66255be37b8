"""Who may drive the studio (issue 4, "Safety"): the director's browser, and nothing else on the machine.

One ASGI middleware in front of every route, static file and media file; in order:

1. **Host.** The Host header must name the loopback address and the port the server is bound to
   (``127.0.0.1:PORT`` or ``localhost:PORT``). A web page that rebinds its own DNS name to 127.0.0.1 still sends
   its own name as Host, so DNS rebinding fails here (421).
2. **Token.** Each launch makes a random token and prints it in the URL it opens. A page request carrying
   ``?token=`` that matches gets the token as an HttpOnly, SameSite=Strict cookie and a redirect to the same URL
   without it, so the token leaves the address bar and the history at once. Every request after that needs the
   cookie or ``Authorization: Bearer <token>``; anything else is 401, /docs and /openapi.json included. The cookie
   name carries the port, so two studios on one machine do not overwrite each other's cookie.
3. **CSRF.** Every POST, PUT, PATCH and DELETE needs ``X-CSRF-Token`` equal to the per-launch CSRF value (pages
   carry it in ``<meta name="csrf-token">``), and an Origin or Referer, when sent, must be the server's own origin;
   otherwise 403. SameSite=Strict already keeps the cookie off other sites' requests; the header is the second lock
   (a header cannot be set by a plain form post from another page).

Answers are JSON ``{error, message, message_zh}`` like every other studio error. Responses also carry headers
that keep pages out of frames, stop MIME sniffing, send a Referer only to this origin and allow
scripts, styles and media from this origin only: nothing is loaded from a CDN.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost"})
CSRF_HEADER = "x-csrf-token"

CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", CSP.encode()),
]


def cookie_name(port: int) -> str:
    return f"storyreel_token_{port}"


@dataclass(frozen=True)
class Secrets:
    """The per-launch values: ``token`` proves who you are, ``csrf`` proves the request came from our own page."""

    token: str
    csrf: str


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in scope.get("headers", []):
        out.setdefault(k.decode("latin-1").lower(), v.decode("latin-1"))
    return out


def _split_host(host: str) -> tuple[str, int | None]:
    name, sep, port = host.rpartition(":")
    if not sep or "]" in port:
        return host.lower(), None
    try:
        return name.lower(), int(port)
    except ValueError:
        return host.lower(), -1


def server_port(scope: Scope) -> int:
    server = scope.get("server")
    return int(server[1]) if server and server[1] is not None else 80


def host_ok(scope: Scope, host: str | None) -> bool:
    if not host:
        return False
    name, port = _split_host(host)
    own = server_port(scope)
    return name in LOOPBACK_NAMES and (port == own or (port is None and own == 80))


def own_origin(scope: Scope, host: str) -> str:
    return f"{scope.get('scheme', 'http')}://{host.lower()}"


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _error(status: int, error: str, message: str, message_zh: str,
           extra: list[tuple[bytes, bytes]] | None = None) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = json.dumps({"error": error, "message": message, "message_zh": message_zh}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(extra or [])]
    return status, headers, body


class StudioGuard:
    """The ASGI middleware described in the module docstring."""

    def __init__(self, app: ASGIApp, *, secrets: Secrets) -> None:
        self.app = app
        self.secrets = secrets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.check(scope)
        if refusal is not None:
            await self._answer(send, *refusal)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def check(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """None when the request may go on, else the answer to send instead."""
        headers = _headers(scope)
        host = headers.get("host")
        if not host_ok(scope, host):
            return _error(421, "WrongHost",
                          f"This studio answers only at 127.0.0.1:{server_port(scope)} or localhost:"
                          f"{server_port(scope)}; open the URL that `storyreel studio` printed.",
                          f"工作室只响应 127.0.0.1:{server_port(scope)} 或 localhost:{server_port(scope)}；"
                          "请打开 `storyreel studio` 打印的网址。")
        assert host is not None
        port = server_port(scope)
        method = scope["method"].upper()
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))

        # 2. The token arrives once in the URL of a page request; it is swapped for a cookie at once.
        if method == "GET" and "token" in query and not scope["path"].startswith("/api/"):
            if not _same(query["token"], self.secrets.token):
                return self._unauthorized()
            rest = urlencode([(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                                             keep_blank_values=True) if k != "token"])
            location = scope.get("root_path", "") + scope["path"] + (f"?{rest}" if rest else "")
            cookie = (f"{cookie_name(port)}={self.secrets.token}; HttpOnly; SameSite=Strict; Path=/").encode()
            return 303, [(b"location", location.encode()), (b"set-cookie", cookie), (b"cache-control", b"no-store"),
                         (b"content-length", b"0"), *SECURITY_HEADERS], b""
        if not self._authenticated(headers, port):
            return self._unauthorized()

        # 3. State changes must come from our own page.
        if method in UNSAFE_METHODS:
            if not _same(headers.get(CSRF_HEADER), self.secrets.csrf):
                return _error(403, "CsrfRejected",
                              "Missing or wrong X-CSRF-Token header; reload the studio page and try again.",
                              "缺少或错误的 X-CSRF-Token 请求头；请刷新工作室页面后重试。")
            origin = own_origin(scope, host)
            for name in ("origin", "referer"):
                sent = headers.get(name)
                if sent is not None and _origin_of(sent) != origin:
                    return _error(403, "CsrfRejected",
                                  f"The request came from {sent!r}, not from this studio ({origin}).",
                                  f"请求来自 {sent!r}，而不是本工作室（{origin}）。")
        return None

    def _authenticated(self, headers: dict[str, str], port: int) -> bool:
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer " and _same(auth[7:].strip(), self.secrets.token):
            return True
        raw = headers.get("cookie")
        if raw:
            jar = SimpleCookie()
            try:
                jar.load(raw)
            except Exception:  # noqa: BLE001  a malformed Cookie header is simply no cookie
                return False
            morsel = jar.get(cookie_name(port))
            return morsel is not None and _same(morsel.value, self.secrets.token)
        return False

    @staticmethod
    def _unauthorized() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        return _error(401, "Unauthorized",
                      "This studio needs its launch token: open the URL that `storyreel studio` printed "
                      "(it ends in ?token=…).",
                      "需要本次启动的令牌：请打开 `storyreel studio` 打印的网址（以 ?token=… 结尾）。",
                      [(b"www-authenticate", b"Bearer")])

    @staticmethod
    async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
