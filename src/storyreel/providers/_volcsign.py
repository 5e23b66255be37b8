"""Volcengine OpenAPI request signing ("HMAC-SHA256", modelled on AWS SigV4), and the gateway's answers to it.

Every service behind a Volcengine OpenAPI gateway (``*.volcengineapi.com``: the visual API Jimeng uses, and others)
authenticates the same way: an access key id and a secret key sign each request. Reference, with the official
test vector: volcengine.com/docs/6369/67270 (reproduced in HuangShaoyan/cloud-api-signer, tests/test_volc.py).

- The signed headers are content-type, host, x-content-sha256 and x-date, lowercased and sorted.
- The query is canonicalised RFC 3986 style (only ``-_.~`` stay unescaped), keys sorted.
- The secret key is used as given: no "AWS4" prefix, no base64 decoding. The scope is
  ``date/region/service/request``; the region and service are the caller's (Jimeng: ``cn-north-1``, ``cv``).
- The time is injected (``now``), so tests and fakes agree on X-Date.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote

from storyreel.errors import AuthFailed, ProviderError

__all__ = ["ACCESS_KEY_ENV", "GATEWAY_ERRORS", "SECRET_KEY_ENV", "SIGNED_HEADERS", "Signed", "sign"]

# The Volcengine SDKs' conventional names. The reference lists none, so we use these two and no others.
ACCESS_KEY_ENV, SECRET_KEY_ENV = "VOLC_ACCESSKEY", "VOLC_SECRETKEY"

SIGNED_HEADERS = ("content-type", "host", "x-content-sha256", "x-date")  # lowercased and sorted


@dataclass(frozen=True)
class Signed:
    """The headers to send, plus every intermediate value, so a test can compare with the published vector."""

    headers: dict[str, str]
    canonical_query: str
    canonical_request: str
    credential_scope: str
    signature: str

    @property
    def canonical_request_sha256(self) -> str:
        return hashlib.sha256(self.canonical_request.encode()).hexdigest()


def sign(*, method: str, host: str, path: str, query: Mapping[str, str], content_type: str, body: bytes,
         access_key: str, secret_key: str, now: float, region: str, service: str) -> Signed:
    """Sign one request at ``now`` (epoch seconds, injected so tests and fakes agree on the time)."""
    date = datetime.fromtimestamp(now, tz=timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    body_sha = hashlib.sha256(body).hexdigest()
    values = {"content-type": content_type, "host": host, "x-content-sha256": body_sha, "x-date": date}
    # Every header line ends in "\n". Joining adds one more, which leaves the empty line the format needs.
    header_block = "".join(f"{name}:{values[name].strip()}\n" for name in SIGNED_HEADERS)
    signed_headers = ";".join(SIGNED_HEADERS)
    # RFC 3986: only -_.~ stay unescaped.
    cq = "&".join(f"{quote(k, safe='-_.~')}={quote(str(v), safe='-_.~')}" for k, v in sorted(query.items()))
    canonical = "\n".join([method.upper(), path or "/", cq, header_block, signed_headers, body_sha])
    scope = f"{date[:8]}/{region}/{service}/request"
    to_sign = "\n".join(["HMAC-SHA256", date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = secret_key.encode()  # as given: no "AWS4" prefix, no base64 decoding
    for part in (date[:8], region, service, "request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers = {"Content-Type": content_type, "Host": host, "X-Date": date, "X-Content-Sha256": body_sha,
               "Authorization": f"HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed_headers}, "
                                f"Signature={signature}"}
    return Signed(headers, cq, canonical, scope, signature)


# The gateway's refusals of a signature or credential, in ``ResponseMetadata.Error.Code`` (the Volcengine OpenAPI
# common names [unverified]): (class, English, Chinese). A service adds its own codes next to these.
GATEWAY_ERRORS: dict[str, tuple[type[ProviderError], str, str]] = {
    "SignatureDoesNotMatch": (AuthFailed, f"the request signature was rejected; check {SECRET_KEY_ENV}",
                              f"请求签名被拒绝；请检查 {SECRET_KEY_ENV}"),
    "InvalidTimestamp": (AuthFailed, "the request time (X-Date) is too far from Volcengine's clock; fix this "
                                     "machine's clock", "请求时间（X-Date）与火山引擎时间相差过大；请校准本机时钟"),
    "RequestExpired": (AuthFailed, "the signed request expired; fix this machine's clock",
                       "签名请求已过期；请校准本机时钟"),
    "InvalidAccessKey": (AuthFailed, f"Volcengine does not know this access key; check {ACCESS_KEY_ENV}",
                         f"火山引擎不认识此 Access Key；请检查 {ACCESS_KEY_ENV}"),
    "InvalidCredential": (AuthFailed, f"the credential is malformed; check {ACCESS_KEY_ENV}",
                          f"凭证格式错误；请检查 {ACCESS_KEY_ENV}"),
    "MissingAuthenticationToken": (AuthFailed, "the request was not signed", "请求未签名"),
    "InvalidAuthorization": (AuthFailed, "the Authorization header was rejected", "Authorization 请求头无效"),
}
