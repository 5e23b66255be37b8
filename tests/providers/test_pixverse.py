"""The PixVerse adapter against the loopback fake (tests/fakes/pixverse.py), over real HTTP on 127.0.0.1.

Assertions read the fake's view of the world (headers it saw, creates it billed), never the adapter's internals.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from PIL import Image

from storyreel.errors import (
    AuthFailed,
    ConcurrencyLimited,
    InputModerated,
    InvalidInput,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    ResultExpired,
    SubmitOutcomeUnknown,
    TransientFailure,
)
from storyreel.model import TakeSpec
from storyreel.providers import get_provider
from storyreel.providers.base import Handle, ProviderSettings
from storyreel.providers.pixverse import PixVerseErrCode, PixVerseProvider, trace_id_for
from tests.fakes.pixverse import API, FIRST_IMAGE_ID, FIRST_VIDEO_ID, PixVerseFake
from tests.fakes.server import serve

T2V, I2V, TRANSITION, UPLOAD, RESULT = (f"{API}/video/text/generate", f"{API}/video/img/generate",
                                        f"{API}/video/transition/generate", f"{API}/image/upload",
                                        f"{API}/video/result")


# -- fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture
def fake() -> PixVerseFake:
    return PixVerseFake()


class _Forward:
    """One loopback server for the module (starting and stopping uvicorn per test costs more than the tests);
    each test points it at its own fresh fake."""

    app: Any = None

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[str, _Forward]]:
    forward = _Forward()
    with serve(forward) as base:
        yield base, forward


@pytest.fixture
def url(fake: PixVerseFake, _server: tuple[str, _Forward]) -> str:
    base, forward = _server
    forward.app = fake.app
    return base


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, fake: PixVerseFake) -> None:
    monkeypatch.setenv("PIXVERSE_API_KEY", fake.api_key)
    monkeypatch.delenv("STORYREEL_PIXVERSE_BASE_URL", raising=False)


@pytest.fixture
def make(tmp_path: Path, url: str) -> Callable[..., PixVerseProvider]:
    def _make(**options: Any) -> PixVerseProvider:
        return PixVerseProvider(workdir=tmp_path, settings=ProviderSettings(base_url=f"{url}{API}", options=options))
    return _make


def drive(provider: PixVerseProvider, fn: Callable[[PixVerseProvider], Awaitable[Any]]) -> Any:
    """Run one async scenario on a fresh loop, closing the provider's client at the end."""
    async def main() -> Any:
        try:
            return await fn(provider)
        finally:
            await provider.aclose()
    return asyncio.run(main())


def spec(**kw: Any) -> TakeSpec:
    base: dict[str, Any] = dict(prompt="a paper boat drifts across a quiet pond", seed=42, frames=120, fps=24,
                                width=1280, height=720)
    base.update(kw)
    return TakeSpec(**base)


def image(path: Path, fmt: str = "PNG", size: tuple[int, int] = (64, 36)) -> str:
    Image.new("RGB", size, (200, 120, 40)).save(path, fmt)
    return str(path)


def ref() -> str:
    return uuid.uuid4().hex  # what the engine writes as client_ref


async def _until_done(p: PixVerseProvider, h: Handle, limit: int = 10):
    for _ in range(limit):
        st = await p.poll(h)
        if st.state != "running":
            return st
    raise AssertionError("still running")


# -- the happy paths -------------------------------------------------------------------------------------------


def test_every_request_carries_the_key_and_a_fresh_trace_id(make, fake: PixVerseFake, tmp_path: Path) -> None:
    first = image(tmp_path / "first.png")
    client_ref = ref()

    async def scenario(p: PixVerseProvider):
        h = await p.submit(spec(first_frame=first), client_ref=client_ref)
        await _until_done(p, h)
        return await p.fetch(h, spec(first_frame=first), tmp_path / "out")

    drive(make(), scenario)
    api = fake.api_requests()
    assert [s.path.removeprefix(API).split("/")[1:3] for s in api] == \
        [["image", "upload"], ["video", "img"], ["video", "result"], ["video", "result"], ["video", "result"]]
    assert all(s.api_key == fake.api_key for s in api)
    traces = [s.trace_id for s in api]
    assert len(set(traces)) == len(traces) and all(uuid.UUID(t) for t in traces)
    # The create, and only the create, carries our client_ref as its trace id.
    assert fake.api_requests(I2V)[0].trace_id == str(uuid.UUID(client_ref)) == trace_id_for(client_ref)
    # The result URL is fetched without the key: the key never travels to the storage host.
    media = [s for s in fake.seen if s.path.startswith("/media/")]
    assert len(media) == 1 and media[0].api_key is None


def test_image_to_video_uploads_the_frame_then_creates_with_its_exact_img_id(make, fake, tmp_path) -> None:
    first = image(tmp_path / "first.jpg", "JPEG")
    h = drive(make(), lambda p: p.submit(spec(first_frame=first, negative_prompt="blurry"), client_ref=ref()))
    upload = fake.api_requests(UPLOAD)[0]
    assert upload.form_fields == ("image",)
    assert fake.uploads[FIRST_IMAGE_ID].startswith(b"\xff\xd8\xff")
    body = fake.api_requests(I2V)[0].json
    assert body == {"prompt": "a paper boat drifts across a quiet pond", "model": "v5", "duration": 5,
                    "quality": "720p", "motion_mode": "normal", "seed": 42, "negative_prompt": "blurry",
                    "img_id": FIRST_IMAGE_ID}  # no aspect_ratio: the image sets it
    assert h.remote_id == str(FIRST_VIDEO_ID)
    assert h.data["kind"] == "i2v" and h.data["credits"] == 60 and h.data["trace_id"]
    json.dumps(h.data)  # the engine persists it


def test_text_to_video_sends_pixverse_field_names(make, fake) -> None:
    drive(make(), lambda p: p.submit(spec(width=720, height=1280, frames=192, fps=24, model="v4.5"),
                                     client_ref=ref()))
    assert fake.api_requests(I2V) == [] and fake.api_requests(UPLOAD) == []
    assert fake.api_requests(T2V)[0].json == {"prompt": "a paper boat drifts across a quiet pond", "model": "v4.5",
                                              "duration": 8, "quality": "720p", "motion_mode": "normal",
                                              "seed": 42, "aspect_ratio": "9:16"}
    assert fake.credits_charged == 120


def test_transition_uploads_both_frames_and_names_them(make, fake, tmp_path) -> None:
    first, last = image(tmp_path / "a.png"), image(tmp_path / "b.webp", "WEBP")
    h = drive(make(), lambda p: p.submit(spec(first_frame=first, last_frame=last), client_ref=ref()))
    ids = list(fake.uploads)
    body = fake.api_requests(TRANSITION)[0].json
    assert (body["first_frame_img"], body["last_frame_img"]) == (ids[0], ids[1])
    assert "img_id" not in body and "aspect_ratio" not in body
    assert h.data["kind"] == "first_last"


def test_draft_renders_cheaper_with_the_same_seed_and_inputs(make, fake, tmp_path) -> None:
    first = image(tmp_path / "first.png")
    full = spec(first_frame=first, metadata={"pixverse": {"motion_mode": "fast"}})  # 720p, fast: ×2
    draft = full.model_copy(update={"draft": True})
    p = make()
    assert (p.estimate(full).amount, p.estimate(draft).amount) == (120, 45)
    drive(p, lambda p: p.submit(draft, client_ref=ref()))
    body = fake.api_requests(I2V)[0].json
    assert (body["quality"], body["motion_mode"], body["seed"]) == ("540p", "normal", 42)
    assert fake.credits_charged == 45


def test_video_ids_above_2_53_stay_exact_both_ways(make, fake, url) -> None:
    assert FIRST_VIDEO_ID > 2**53 and float(FIRST_VIDEO_ID) != FIRST_VIDEO_ID  # a float would corrupt it
    # The fake writes the id as a bare JSON number, as PixVerse does.
    raw = httpx2.post(f"{url}{T2V}", headers={"API-KEY": fake.api_key, "Ai-trace-id": str(uuid.uuid4())},
                      json={"prompt": "x", "model": "v5", "duration": 5, "quality": "540p", "aspect_ratio": "16:9"})
    assert f'"video_id": {FIRST_VIDEO_ID}'.encode() in raw.content

    async def scenario(p: PixVerseProvider):
        h = await p.submit(spec(), client_ref=ref())
        return h, await p.poll(h)

    h, status = drive(make(), scenario)
    second = FIRST_VIDEO_ID + 7_919
    assert h.remote_id == str(second) and isinstance(h.remote_id, str)
    # The poll found the task: the fake looked it up by the exact integer the adapter sent back.
    assert status.state == "running"
    assert fake.api_requests(RESULT)[-1].path == f"{RESULT}/{second}"


# -- polling ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("script", "state", "error"), [
    ((5, 5, 1), "succeeded", None),
    ((5, 7), "failed", InputModerated),
    ((8,), "failed", ProviderError),
    ((5, 3), "unknown", None),  # a status PixVerse never documented: keep polling, never success
])
def test_poll_maps_integer_statuses(make, fake, script, state, error) -> None:
    fake.script_next(*script)

    async def scenario(p: PixVerseProvider):
        h = await p.submit(spec(), client_ref=ref())
        return [await p.poll(h) for _ in script]

    states = drive(make(), scenario)
    assert [s.state for s in states[:-1]] == ["running"] * (len(script) - 1)
    assert states[-1].state == state
    if error is None:
        assert states[-1].error is None
    else:
        assert type(states[-1].error) is error and states[-1].error.zh


def test_deleted_video_is_result_expired(make, fake) -> None:
    async def scenario(p: PixVerseProvider):
        h = await p.submit(spec(), client_ref=ref())
        fake.delete(h.remote_id)
        return await p.poll(h)

    status = drive(make(), scenario)
    assert status.state == "failed" and isinstance(status.error, ResultExpired)


def test_running_poll_suggests_pixverse_cadence(make) -> None:
    async def scenario(p: PixVerseProvider):
        return await p.poll(await p.submit(spec(), client_ref=ref()))

    assert drive(make(), scenario).retry_after == 5.0


# -- fetch and cost --------------------------------------------------------------------------------------------


def test_fetch_downloads_the_clip_and_settles_reported_credits(make, fake, tmp_path) -> None:
    fake.charge_override = 77  # PixVerse's own figure wins over our rate card

    async def scenario(p: PixVerseProvider):
        h = await p.submit(spec(), client_ref=ref())
        await _until_done(p, h)
        return await p.fetch(h, spec(), tmp_path / "out")

    result = drive(make(), scenario)
    assert result.clip == tmp_path / "out" / "clip.mp4"
    assert result.clip.read_bytes() == fake._video_bytes(next(iter(fake.tasks.values())))
    assert (result.cost, result.usage["credits"], result.usage["usd"]) == (77.0, 77.0, 0.77)


def test_fetch_uses_the_rate_card_when_no_credits_are_reported(make, fake, tmp_path) -> None:
    fake.report_credits = False
    s = spec(width=1920, height=1080, frames=192)  # v5, 1080p, 8 s

    async def scenario(p: PixVerseProvider):
        h = await p.submit(s, client_ref=ref())
        await _until_done(p, h)
        return await p.fetch(h, s, tmp_path / "out")

    assert drive(make(), scenario).cost == 240.0 == fake.credits_charged


def test_expired_result_url_is_result_expired(make, fake, tmp_path) -> None:
    async def scenario(p: PixVerseProvider):
        h = await p.submit(spec(), client_ref=ref())
        await _until_done(p, h)
        fake.clock.advance(fake.url_ttl + 1)
        return await p.fetch(h, spec(), tmp_path / "out")

    with pytest.raises(ResultExpired):
        drive(make(), scenario)
    assert not (tmp_path / "out" / "clip.mp4").exists()


def test_video_deleted_before_fetch_is_result_expired(make, fake, tmp_path) -> None:
    async def scenario(p: PixVerseProvider):
        h = await p.submit(spec(), client_ref=ref())
        await _until_done(p, h)
        fake.delete(h.remote_id)
        return await p.fetch(h, spec(), tmp_path / "out")

    with pytest.raises(ResultExpired):
        drive(make(), scenario)


def test_truncated_download_is_transient_and_stores_nothing(make, fake, tmp_path) -> None:
    fake.truncate_downloads = True

    async def scenario(p: PixVerseProvider):
        h = await p.submit(spec(), client_ref=ref())
        await _until_done(p, h)
        return await p.fetch(h, spec(), tmp_path / "out")

    with pytest.raises(TransientFailure):
        drive(make(), scenario)
    assert list((tmp_path / "out").glob("*")) == []


# -- faults on the create --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "cls", "retry_after", "billed"), [
    (dict(status=429, retry_after="7"), RateLimited, 7.0, 0),
    (dict(status=429), RateLimited, None, 0),
    (dict(errcode=500044, retry_after="30"), ConcurrencyLimited, 30.0, 0),
    (dict(errcode=500054), InputModerated, None, 0),
    (dict(errcode=500090), QuotaExhausted, None, 0),
    (dict(errcode=500043), QuotaExhausted, None, 0),
    (dict(errcode=400012), AuthFailed, None, 0),
    (dict(errcode=500069), TransientFailure, None, 0),
    (dict(status=503, retry_after="2"), TransientFailure, 2.0, 0),
    (dict(status=500), TransientFailure, None, 0),
    # A gateway timeout may have handed the create on: unknown, never retried.
    (dict(status=504, after_accept=True), SubmitOutcomeUnknown, None, 1),
    # Dropped after sending: the client cannot tell whether PixVerse took it.
    (dict(reset=True), SubmitOutcomeUnknown, None, 0),
    (dict(reset=True, after_accept=True), SubmitOutcomeUnknown, None, 1),
])
def test_create_faults_are_classified(make, fake, fault, cls, retry_after, billed) -> None:
    fake.fail_next(T2V, **fault)
    with pytest.raises(cls) as info:
        drive(make(), lambda p: p.submit(spec(), client_ref=ref()))
    assert type(info.value) is cls
    assert getattr(info.value, "retry_after", None) == retry_after
    assert fake.billable_creates == billed
    assert info.value.zh and fake.api_key not in str(info.value)


def test_http_200_with_an_error_code_is_an_error_chained_to_the_vendor_words(make, fake) -> None:
    fake.fail_next(T2V, errcode=400017, errmsg="invalid param: quality")
    with pytest.raises(InvalidInput) as info:
        drive(make(), lambda p: p.submit(spec(), client_ref=ref()))
    cause = info.value.__cause__
    assert isinstance(cause, PixVerseErrCode) and cause.code == 400017 and "quality" in cause.message
    assert "400017" in str(info.value) and info.value.context["errcode"] == 400017


def test_an_unknown_error_code_is_invalid_input_naming_the_code(make, fake) -> None:
    fake.fail_next(T2V, errcode=987654, errmsg="something new")
    with pytest.raises(InvalidInput, match="987654"):
        drive(make(), lambda p: p.submit(spec(), client_ref=ref()))


def test_exhausted_balance_is_quota_and_charges_nothing(make, fake) -> None:
    fake.balance = 50
    with pytest.raises(QuotaExhausted):
        drive(make(), lambda p: p.submit(spec(), client_ref=ref()))  # 720p 5 s costs 60
    assert (fake.billable_creates, fake.credits_charged, fake.balance) == (0, 0, 50)


def test_concurrency_limit_of_the_plan(make, fake) -> None:
    fake.concurrency_limit = 1
    fake.default_script = [5, 5, 5, 1]

    async def scenario(p: PixVerseProvider):
        await p.submit(spec(), client_ref=ref())
        await p.submit(spec(), client_ref=ref())

    with pytest.raises(ConcurrencyLimited):
        drive(make(), scenario)
    assert fake.billable_creates == 1


def test_timeout_after_an_accepted_create_is_submit_outcome_unknown(make, fake) -> None:
    fake.fail_next(T2V, delay=1.5, after_accept=True)
    with pytest.raises(SubmitOutcomeUnknown):
        drive(make(timeout=0.5), lambda p: p.submit(spec(), client_ref=ref()))
    assert fake.billable_creates == 1


def test_wrong_key_is_auth_failed_without_echoing_it(make, fake, monkeypatch) -> None:
    monkeypatch.setenv("PIXVERSE_API_KEY", "sk-wrong-secret")
    with pytest.raises(AuthFailed) as info:
        drive(make(), lambda p: p.submit(spec(), client_ref=ref()))
    assert "sk-wrong-secret" not in str(info.value) and "sk-wrong-secret" not in (info.value.zh or "")
    fake.auth_status = 401
    with pytest.raises(AuthFailed):
        drive(make(), lambda p: p.submit(spec(), client_ref=ref()))


# -- uploads are free: their failures are safe to retry --------------------------------------------------------


@pytest.mark.parametrize(("fault", "cls"), [
    (dict(status=503), TransientFailure),
    (dict(reset=True), TransientFailure),  # not SubmitOutcomeUnknown: nothing billable was sent
    (dict(errcode=400017, errmsg="Unsupported image format"), InvalidInput),
])
def test_upload_failures_never_reach_the_create(make, fake, tmp_path, fault, cls) -> None:
    fake.fail_next(UPLOAD, **fault)
    first = image(tmp_path / "first.png")
    with pytest.raises(cls) as info:
        drive(make(), lambda p: p.submit(spec(first_frame=first), client_ref=ref()))
    assert type(info.value) is cls
    assert fake.api_requests(I2V) == [] and fake.billable_creates == 0


# -- faults while polling --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "cls"), [
    (dict(status=429, retry_after="4"), RateLimited),
    (dict(reset=True), TransientFailure),
    (dict(status=502), TransientFailure),  # a poll is not a create: a gateway error is simply transient
])
def test_poll_faults_are_classified(make, fake, fault, cls) -> None:
    async def scenario(p: PixVerseProvider):
        h = await p.submit(spec(), client_ref=ref())
        fake.fail_next(RESULT, **fault)
        return await p.poll(h)

    with pytest.raises(cls) as info:
        drive(make(), scenario)
    assert type(info.value) is cls


# -- the trace id as client reference -------------------------------------------------------------------------


def test_a_repeated_create_is_refused_when_pixverse_rejects_reused_trace_ids(make, fake) -> None:
    fake.reused_trace = "reject"
    client_ref = ref()

    async def scenario(p: PixVerseProvider):
        await p.submit(spec(), client_ref=client_ref)
        await p.submit(spec(), client_ref=client_ref)

    with pytest.raises(InvalidInput):
        drive(make(), scenario)
    assert fake.billable_creates == 1


def test_a_repeated_create_returns_the_original_when_pixverse_deduplicates(make, fake) -> None:
    fake.reused_trace = "original"
    client_ref = ref()

    async def scenario(p: PixVerseProvider):
        return await p.submit(spec(), client_ref=client_ref), await p.submit(spec(), client_ref=client_ref)

    a, b = drive(make(), scenario)
    assert a.remote_id == b.remote_id and fake.billable_creates == 1


@pytest.mark.parametrize("mode", ["reject", "original"])
def test_a_retry_after_a_definite_refusal_gets_a_new_trace_id(make, fake, mode) -> None:
    # What the engine does after ConcurrencyLimited: the same job (same client_ref) is sent again later.
    fake.reused_trace = mode
    fake.fail_next(T2V, errcode=500044)
    client_ref = ref()

    async def scenario(p: PixVerseProvider):
        with pytest.raises(ConcurrencyLimited):
            await p.submit(spec(), client_ref=client_ref)
        return await p.submit(spec(), client_ref=client_ref)

    h = drive(make(), scenario)
    first, second = (s.trace_id for s in fake.api_requests(T2V))
    assert first == trace_id_for(client_ref) != second
    assert h.remote_id == str(FIRST_VIDEO_ID) and fake.billable_creates == 1


def test_no_lookup_by_client_ref(make) -> None:
    p = make()
    caps = p.capabilities()
    assert (caps.can_lookup_by_client_ref, caps.resubmit_is_free, caps.can_cancel) == (False, False, False)
    assert caps.currency == "credits" and caps.key_env == "PIXVERSE_API_KEY"
    assert caps.model(None, spec().lane).name == "v5"
    with pytest.raises(SubmitOutcomeUnknown):  # never "not found": that would invite a second payment
        drive(p, lambda p: p.lookup(ref()))


def test_the_fake_requires_a_trace_id(fake, url) -> None:
    resp = httpx2.get(f"{url}{RESULT}/1", headers={"API-KEY": fake.api_key})
    assert resp.status_code == 200 and resp.json()["ErrCode"] == 400011 and resp.json()["Resp"] is None


def test_a_non_uuid_client_ref_still_gives_a_stable_uuid_trace() -> None:
    assert trace_id_for("job-7") == trace_id_for("job-7") != trace_id_for("job-8")
    uuid.UUID(trace_id_for("job-7"))


# -- check and estimate: nothing is sent -----------------------------------------------------------------------


def _bad_specs(tmp: Path) -> dict[str, TakeSpec]:
    gif = tmp / "frame.png"
    gif.write_bytes(b"GIF89a" + b"\0" * 64)  # named .png, is a GIF
    huge = tmp / "huge.png"
    with open(huge, "wb") as f:  # 20 MB without writing 20 MB
        f.write(b"\x89PNG\r\n\x1a\n")
        f.truncate(20 * 1024 * 1024)
    wide = image(tmp / "wide.png", size=(4001, 8))
    broken = tmp / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff" + b"\0" * 32)
    ok = image(tmp / "ok.png")
    return {
        "unknown model": spec(model="v9"),
        "rate card missing": spec(model="v6"),
        "3 s": spec(frames=72),
        "8 s at 1080p on v4.5": spec(model="v4.5", frames=192, width=1920, height=1080),
        "fast 8 s": spec(frames=192, metadata={"pixverse": {"motion_mode": "fast"}}),
        "unknown motion": spec(metadata={"pixverse": {"motion_mode": "slow"}}),
        "unknown quality": spec(metadata={"pixverse": {"quality": "4k"}}),
        "beyond 1080p": spec(width=3840, height=2160),
        "21:9 text to video": spec(width=2520, height=1080),
        "seed": spec(seed=2**31),
        "empty prompt": spec(prompt="  "),
        "long prompt": spec(prompt="x" * 2049),
        "missing image": spec(first_frame=str(tmp / "nope.png")),
        "wrong format": spec(first_frame=str(gif)),
        "too big": spec(first_frame=str(huge)),
        "too many pixels": spec(first_frame=wide),
        "unreadable": spec(first_frame=str(broken)),
        "last frame only": spec(last_frame=ok),
        "references": spec(references=[ok]),
        "extend": spec(metadata={"pixverse": {"extend_from": "123"}}),
        "unknown option": spec(metadata={"pixverse": {"style": "anime"}}),
        "image lane": spec(lane="image"),
    }


def test_check_refuses_bad_specs_before_sending_anything(make, fake, tmp_path) -> None:
    p = make()
    for name, bad in _bad_specs(tmp_path).items():
        with pytest.raises(InvalidInput) as info:
            p.check(bad)
        assert info.value.zh and str(info.value).startswith("PixVerse"), name
    # submit validates the same way, still before any request.
    with pytest.raises(InvalidInput):
        drive(p, lambda p: p.submit(spec(first_frame=str(tmp_path / "nope.png")), client_ref=ref()))
    assert fake.seen == []


def test_check_without_a_key_is_auth_failed(make, fake, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("PIXVERSE_API_KEY")
    with pytest.raises(AuthFailed, match="PIXVERSE_API_KEY"):
        make().check(spec(first_frame=image(tmp_path / "a.png")))
    assert fake.seen == []


def test_check_accepts_good_specs(make, tmp_path) -> None:
    p = make()
    p.check(spec())
    p.check(spec(first_frame=image(tmp_path / "a.png"), last_frame=image(tmp_path / "b.jpg", "JPEG")))
    p.check(spec(width=1080, height=1080, model="v3.5"))


@pytest.mark.parametrize(("kw", "credits"), [
    (dict(), 60),                                                            # v5 720p 5 s
    (dict(frames=192), 120),                                                 # v5 720p 8 s
    (dict(width=1920, height=1080, frames=192), 240),                        # v5 1080p 8 s
    (dict(width=640, height=360), 45),                                       # 360p
    (dict(model="v4.5", width=960, height=540, metadata={"pixverse": {"motion_mode": "fast"}}), 90),  # fast ×2
    (dict(width=1920, height=1080, draft=True), 45),                         # draft → 540p
])
def test_estimate_from_the_rate_card(make, fake, kw, credits) -> None:
    est = make().estimate(spec(**kw))
    assert (est.amount, est.currency) == (credits, "credits")
    assert f"${credits / 100:.2f}" in est.note
    assert fake.seen == []


def test_registered_under_its_name(tmp_path: Path) -> None:
    p = get_provider("pixverse", workdir=tmp_path)
    assert isinstance(p, PixVerseProvider) and p.base_url == "https://app-api.pixverse.ai/openapi/v2"
