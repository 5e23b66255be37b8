"""The one HTTP seam to providers: client factory, key lookup, base-URL overrides, and result downloads.

Every adapter builds its client with ``make_client`` (timeouts, proxies from the environment, user agent, secret
redaction in logs) and downloads results with ``download`` (streamed to a temporary file, size-checked, so a
truncated body is never stored as a take). Tests pass ``transport=`` or point ``base_url`` at a loopback fake.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

import httpx2

from storyreel import __version__
from storyreel.errors import AuthFailed, ResultExpired, TransientFailure

log = logging.getLogger("storyreel.providers")

USER_AGENT = f"storyreel/{__version__}"
# Generation creates can take a while to answer (Seedream is synchronous: 10–60 s).
DEFAULT_TIMEOUT = httpx2.Timeout(connect=10.0, read=120.0, write=60.0, pool=30.0)
_SECRET_HEADERS = {"authorization", "api-key", "x-api-key"}


def redact(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: ("***" if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}


async def _log_request(request: httpx2.Request) -> None:
    log.debug("%s %s %s", request.method, request.url.copy_with(query=None), redact(request.headers))


def base_url(provider: str, default: str, configured: str | None = None) -> str:
    """``STORYREEL_<PROVIDER>_BASE_URL`` beats film.toml's ``[providers.<name>] base_url`` beats the default,
    so a relay, a regional endpoint or a test fake can be used without editing code."""
    env = os.environ.get(f"STORYREEL_{re.sub(r'[^A-Z0-9]', '_', provider.upper())}_BASE_URL")
    return (env or configured or default).rstrip("/")


def api_key(provider: str, env_var: str) -> str:
    """The key from the environment, else the OS keyring (service 'storyreel', user = provider). Never film.toml."""
    key = os.environ.get(env_var)
    if key:
        return key.strip()
    try:
        import keyring  # optional: not every machine has a keyring backend

        key = keyring.get_password("storyreel", provider)
    except Exception:  # a missing or broken keyring backend is the same as no key
        key = None
    if key:
        return key.strip()
    raise AuthFailed(
        f"No API key for {provider}: set {env_var} (or store it with: keyring set storyreel {provider}).",
        zh=f"没有 {provider} 的 API 密钥：请设置环境变量 {env_var}（或用 keyring set storyreel {provider} 保存）。",
        provider=provider,
    )


def make_client(provider: str, *, base_url: str, transport: httpx2.AsyncBaseTransport | None = None,
                headers: Mapping[str, str] | None = None,
                timeout: httpx2.Timeout = DEFAULT_TIMEOUT) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        base_url=base_url, transport=transport, timeout=timeout,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        event_hooks={"request": [_log_request]}, trust_env=transport is None,
        limits=httpx2.Limits(max_keepalive_connections=8),
    )


async def download(client: httpx2.AsyncClient, url: str, dest: Path, *, provider: str) -> Path:
    """Stream ``url`` to ``dest`` via a temporary name; a short body or a dead URL raises, never stores.

    404/403/410 on a result URL means it expired (``ResultExpired``); a body shorter than its Content-Length,
    a dropped connection or a 5xx is ``TransientFailure`` (the engine retries while the URL lives).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    try:
        async with client.stream("GET", url) as resp:
            if resp.status_code in (403, 404, 410):
                raise ResultExpired(
                    f"{provider}: the result URL no longer works (HTTP {resp.status_code}); results expire, "
                    "so this take must be generated again.",
                    zh=f"{provider}：结果链接已失效（HTTP {resp.status_code}）；此条需要重新生成。", provider=provider)
            if resp.status_code >= 400:
                raise TransientFailure(f"{provider}: downloading the result failed with HTTP {resp.status_code}.",
                                       zh=f"{provider}：下载结果失败（HTTP {resp.status_code}）。", provider=provider)
            expected = resp.headers.get("content-length")
            received = 0
            with open(tmp, "wb") as f:
                async for chunk in resp.aiter_bytes():
                    f.write(chunk)
                    received += len(chunk)
        if expected is not None and received != int(expected):
            raise TransientFailure(f"{provider}: the result download was cut short ({received} of {expected} bytes).",
                                   zh=f"{provider}：结果下载不完整（{received}/{expected} 字节）。", provider=provider)
        if received == 0:
            raise TransientFailure(f"{provider}: the result download was empty.", zh=f"{provider}：下载的结果为空。",
                                   provider=provider)
        os.replace(tmp, dest)
        return dest
    except httpx2.TransportError as exc:
        raise TransientFailure(f"{provider}: the result download failed: {type(exc).__name__}.",
                               zh=f"{provider}：结果下载失败：{type(exc).__name__}。", provider=provider) from exc
    finally:
        tmp.unlink(missing_ok=True)


def transport_error(exc: httpx2.TransportError, *, provider: str, sent_create: bool):
    """Classify a network failure. Once a create request may have reached the provider, the outcome is unknown:
    retrying could pay twice, so it is ``SubmitOutcomeUnknown``, not ``TransientFailure``."""
    from storyreel.errors import SubmitOutcomeUnknown

    never_sent = isinstance(exc, (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout))
    if sent_create and not never_sent:
        return SubmitOutcomeUnknown(
            f"{provider}: the create request was sent but its answer was lost ({type(exc).__name__}); "
            "it will be reconciled, not sent again.",
            zh=f"{provider}：创建请求已发出但未收到回复（{type(exc).__name__}）；将核对而不会重复提交。", provider=provider)
    return TransientFailure(f"{provider}: network error ({type(exc).__name__}).",
                            zh=f"{provider}：网络错误（{type(exc).__name__}）。", provider=provider)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime
        from datetime import datetime, timezone

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
