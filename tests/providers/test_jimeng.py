"""The Jimeng adapter against its loopback fake (tests/fakes/jimeng.py): real HTTP to 127.0.0.1, real signatures.

Every assertion about the request is made on what the fake received, never on adapter internals.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import httpx2
import pytest
from PIL import Image

from storyreel.errors import (
    AuthFailed,
    ConcurrencyLimited,
    InputModerated,
    InvalidInput,
    OutputModerated,
    RateLimited,
    ResultExpired,
    SubmitOutcomeUnknown,
    TransientFailure,
)
from storyreel.model import Lane, TakeSpec
from storyreel.providers import get_provider
from storyreel.providers.base import Handle, Provider, ProviderSettings
from storyreel.providers.jimeng import JimengProvider, sign
from tests.fakes.jimeng import JimengFake, Script, expected_signature
from tests.fakes.server import FakeClock, serve

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z on the fake clock


# -- fixtures ---------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    f = JimengFake()
    with serve(f.app) as url:
        yield f, url


@pytest.fixture
def fake(server, monkeypatch) -> JimengFake:
    f, url = server
    f.reset(clock=FakeClock(NOW))  # one server for the module; a fresh fake (tasks, faults, accounting) per test
    f.url = url
    monkeypatch.setenv("VOLC_ACCESSKEY", f.ak)
    monkeypatch.setenv("VOLC_SECRETKEY", f.sk)
    monkeypatch.delenv("STORYREEL_JIMENG_BASE_URL", raising=False)
    return f


def make(fake: JimengFake, tmp_path: Path, **options) -> JimengProvider:
    settings = ProviderSettings(base_url=fake.url, options={"clock": fake.clock, **options})
    return JimengProvider(workdir=tmp_path, settings=settings)


def run(provider: JimengProvider, coro):
    async def go():
        try:
            return await coro
        finally:
            await provider.aclose()

    return asyncio.run(go())


def video(**kw) -> TakeSpec:
    base = dict(lane=Lane.VIDEO, prompt="雨夜，渡轮靠岸，林晓回头", seed=42, frames=120, fps=24, width=1920, height=1080)
    return TakeSpec(**{**base, **kw})


def image(**kw) -> TakeSpec:
    base = dict(lane=Lane.IMAGE, prompt="茶馆内景，暖色灯光", seed=7, frames=1, fps=24, width=2048, height=1152)
    return TakeSpec(**{**base, **kw})


def picture(path: Path, size=(640, 360), fmt="PNG") -> str:
    Image.new("RGB", size, (200, 120, 40)).save(path, fmt)
    return str(path)


async def submit_and_finish(p: JimengProvider, spec: TakeSpec, dest: Path):
    handle = await p.submit(spec, client_ref="ref-1")
    states = []
    while True:
        status = await p.poll(handle)
        states.append(status.state)
        if status.state in ("succeeded", "failed"):
            break
    if status.state == "failed":
        return handle, states, status
    return handle, states, await p.fetch(handle, spec, dest)


# -- signing ----------------------------------------------------------------------------------------------------------

# volcengine.com/docs/6369/67270 (reproduced in HuangShaoyan/cloud-api-signer tests/test_volc.py); demo credentials.
VECTOR_AK = "AKLTMjI2ODVlYzI3ZGY1NGU4ZjhjYWRjMTlmNTM5OTZkYzE"
VECTOR_SK = "TnpCak5XWXpZV1U0WkRaaE5ERmxaR0ZpTmpjeVkyUXlZek0wTWpJMU1qWQ=="
VECTOR_NOW = 1609316285.0  # 20201230T081805Z
VECTOR_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
VECTOR_SIGNATURE = "28eeabbbd726b87002e0fe58ad8c1c768e619b06e2646f35b6ad7ed029a6d8a7"


def test_signer_reproduces_the_official_vector():
    s = sign(method="GET", host="iam.volcengineapi.com", path="/", content_type=VECTOR_TYPE, body=b"",
             query={"Offset": "0", "Version": "2018-01-01", "Action": "ListUsers", "Limit": "10"},
             access_key=VECTOR_AK, secret_key=VECTOR_SK, now=VECTOR_NOW, region="cn-north-1", service="iam")
    assert s.canonical_query == "Action=ListUsers&Limit=10&Offset=0&Version=2018-01-01"
    assert s.headers["X-Content-Sha256"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert s.headers["X-Date"] == "20201230T081805Z"
    assert s.credential_scope == "20201230/cn-north-1/iam/request"
    assert s.canonical_request_sha256 == "3a4d4dee07c3308a52da01bc12d7a83c3705bfa543f51648f46de880bb2a7447"
    assert s.signature == VECTOR_SIGNATURE
    assert s.headers["Authorization"] == (
        f"HMAC-SHA256 Credential={VECTOR_AK}/20201230/cn-north-1/iam/request, "
        f"SignedHeaders=content-type;host;x-content-sha256;x-date, Signature={VECTOR_SIGNATURE}")


def test_fake_verifier_reproduces_the_official_vector():
    headers = {"content-type": VECTOR_TYPE, "host": "iam.volcengineapi.com", "x-date": "20201230T081805Z",
               "x-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
    assert expected_signature(
        secret=VECTOR_SK, method="GET", path="/", raw_query="Limit=10&Action=ListUsers&Version=2018-01-01&Offset=0",
        headers=headers, signed=sorted(headers), payload_sha=headers["x-content-sha256"], x_date=headers["x-date"],
        region="cn-north-1", service="iam") == VECTOR_SIGNATURE


class _Tamper(httpx2.AsyncBaseTransport):
    """Changes the body after signing, as a broken proxy would."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = request.content.replace(b'"seed":42', b'"seed":43')
        tampered = httpx2.Request(request.method, request.url, headers=request.headers, content=body)
        return await self.inner.handle_async_request(tampered)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_wrong_secret_is_refused_and_the_message_holds_no_key(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("VOLC_SECRETKEY", "not-the-secret")
    with pytest.raises(AuthFailed) as info:
        run(p := make(fake, tmp_path), p.submit(video(), client_ref="r"))
    assert "SignatureDoesNotMatch" in str(info.value) and info.value.zh
    assert fake.ak not in str(info.value) and fake.ak not in info.value.zh and "not-the-secret" not in str(info.value)
    assert fake.billable_submits == 0


def test_a_body_changed_after_signing_is_refused(fake, tmp_path):
    p = JimengProvider(workdir=tmp_path, settings=ProviderSettings(
        base_url=fake.url, transport=_Tamper(), options={"clock": fake.clock}))
    with pytest.raises(AuthFailed, match="signature"):
        run(p, p.submit(video(), client_ref="r"))
    assert fake.billable_submits == 0


def test_an_unknown_access_key_is_refused(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("VOLC_ACCESSKEY", "AKLTsomeoneelse")
    with pytest.raises(AuthFailed, match="VOLC_ACCESSKEY"):
        run(p := make(fake, tmp_path), p.submit(video(), client_ref="r"))


def test_a_skewed_clock_is_refused_and_a_small_skew_is_not(fake, tmp_path):
    late = FakeClock(NOW - 3600)
    with pytest.raises(AuthFailed, match="clock") as info:
        run(p := make(fake, tmp_path, clock=late), p.submit(video(), client_ref="r"))
    assert "InvalidTimestamp" in str(info.value)
    assert fake.billable_submits == 0
    run(p := make(fake, tmp_path, clock=FakeClock(NOW - 300)), p.submit(video(), client_ref="r"))
    assert fake.billable_submits == 1


# -- request bodies ---------------------------------------------------------------------------------------------------

def test_text_to_image_body_and_req_json_as_a_string(fake, tmp_path):
    p = make(fake, tmp_path)
    handle, states, result = run(p, submit_and_finish(p, image(width=1280, height=720), tmp_path / "out"))
    body = fake.submitted()[0]
    assert body["req_key"] == "jimeng_t2i_v40" and body["prompt"] == "茶馆内景，暖色灯光" and body["seed"] == 7
    # 1280×720 is under 4.0's 1024² minimum: scaled up, same aspect ratio.
    assert body["width"] * body["height"] >= 1024 * 1024 and abs(body["width"] / body["height"] - 16 / 9) < 0.01
    assert body["force_single"] is True
    assert "image_urls" not in body and "binary_data_base64" not in body
    query = fake.queried()[0]
    assert query["req_key"] == "jimeng_t2i_v40" and query["task_id"] == handle.remote_id
    assert isinstance(query["req_json"], str) and json.loads(query["req_json"])["return_url"] is True
    assert handle.data["req_key"] == "jimeng_t2i_v40"


def test_draft_images_are_made_at_1k(fake, tmp_path):
    p = make(fake, tmp_path)
    run(p, p.submit(image(draft=True, count=4), client_ref="r"))
    body = fake.submitted()[0]
    assert 1024 * 1024 <= body["width"] * body["height"] < 1.01 * 1024 * 1024 and body["force_single"] is True


def test_image_edit_inlines_local_files_in_order(fake, tmp_path):
    src = picture(tmp_path / "src.png")
    ref = picture(tmp_path / "ref.jpg", fmt="JPEG")
    p = make(fake, tmp_path)
    run(p, p.submit(image(edit_source=src, references=[ref]), client_ref="r"))
    body = fake.submitted()[0]
    assert body["req_key"] == "jimeng_t2i_v40" and "image_urls" not in body
    assert [base64.b64decode(b) for b in body["binary_data_base64"]] == [Path(src).read_bytes(),
                                                                         Path(ref).read_bytes()]


def test_image_inputs_given_as_urls_go_in_image_urls_with_vendor_options(fake, tmp_path):
    p = make(fake, tmp_path)
    spec = image(references=["https://cdn.example/a.png"], metadata={"jimeng": {"scale": 0.8}})
    run(p, p.submit(spec, client_ref="r"))
    body = fake.submitted()[0]
    assert body["image_urls"] == ["https://cdn.example/a.png"] and body["scale"] == 0.8


def test_image_to_image_3_0_and_text_to_image_3_1(fake, tmp_path):
    src = picture(tmp_path / "src.png")
    p = make(fake, tmp_path)
    run(p, p.submit(image(model="jimeng-3.0", edit_source=src, width=1664, height=936), client_ref="r"))
    p = make(fake, tmp_path)
    run(p, p.submit(image(model="jimeng-3.1", width=320, height=180), client_ref="r"))
    i2i, t2i = fake.submitted()
    assert i2i["req_key"] == "jimeng_i2i_v30" and len(i2i["binary_data_base64"]) == 1
    assert (i2i["width"], i2i["height"]) == (1664, 936) and "force_single" not in i2i
    assert t2i["req_key"] == "jimeng_t2i_v31" and min(t2i["width"], t2i["height"]) == 512


def test_text_to_video_body(fake, tmp_path):
    p = make(fake, tmp_path)
    run(p, p.submit(video(), client_ref="r"))
    p = make(fake, tmp_path)
    run(p, p.submit(video(frames=250, fps=25, width=2560, height=1080), client_ref="r"))
    five, ten = fake.submitted()
    assert five == {"req_key": "jimeng_ti2v_v30_pro", "prompt": "雨夜，渡轮靠岸，林晓回头", "seed": 42, "frames": 121,
                    "aspect_ratio": "16:9"}
    assert ten["frames"] == 241 and ten["aspect_ratio"] == "21:9"


def test_image_to_video_bodies(fake, tmp_path):
    first = picture(tmp_path / "first.png")
    last = picture(tmp_path / "last.jpg", fmt="JPEG")
    for spec in (video(first_frame=first),
                 video(model="jimeng-video-3.0-1080p", first_frame=first, last_frame=last),
                 video(first_frame=first, draft=True)):
        p = make(fake, tmp_path)
        run(p, p.submit(spec, client_ref="r"))
    pro, first_last, draft = fake.submitted()
    assert pro["req_key"] == "jimeng_ti2v_v30_pro" and "aspect_ratio" not in pro
    assert base64.b64decode(pro["binary_data_base64"][0]) == Path(first).read_bytes()
    assert first_last["req_key"] == "jimeng_i2v_first_tail_v30_1080"
    assert [base64.b64decode(b) for b in first_last["binary_data_base64"]] == [Path(first).read_bytes(),
                                                                               Path(last).read_bytes()]
    assert draft["req_key"] == "jimeng_i2v_first_v30"  # the draft tier: video 3.0 at 720p


# -- polling, fetching, cost ------------------------------------------------------------------------------------------

def test_poll_follows_the_task_state_machine(fake, tmp_path):
    fake.script = Script(in_queue=2, generating=3)
    p = make(fake, tmp_path)
    handle, states, result = run(p, submit_and_finish(p, video(), tmp_path / "out"))
    assert states == ["queued", "queued", "running", "running", "running", "succeeded"]
    assert handle.data == {"req_key": "jimeng_ti2v_v30_pro", "model": "jimeng-video-3.0-pro", "lane": "video",
                           "kind": "t2v", "seconds": 5}


def test_fetch_downloads_the_video_and_settles_the_cost(fake, tmp_path):
    p = make(fake, tmp_path)
    handle, _, result = run(p, submit_and_finish(p, video(frames=240), tmp_path / "out"))
    task = fake.tasks[handle.remote_id]
    assert result.clip == tmp_path / "out" / "clip.mp4" and result.clip.read_bytes() == task.outputs[0][1]
    assert result.keyframe is None
    assert result.cost == pytest.approx(10.0) and result.usage == {"videos": 1.0, "seconds": 10.0}
    assert fake.billable_submits == 1 and fake.outputs_billed == 1
    assert p.estimate(video(frames=240)).amount == pytest.approx(result.cost)


def test_image_group_bills_every_image(fake, tmp_path):
    fake.script = Script(images=3)
    p = make(fake, tmp_path)
    _, _, result = run(p, submit_and_finish(p, image(count=3), tmp_path / "out"))
    assert "force_single" not in fake.submitted()[0]
    assert [i.name for i in result.images] == ["image-1.jpg", "image-2.jpg", "image-3.jpg"]
    assert result.keyframe == result.images[0] and result.clip is None
    assert result.cost == pytest.approx(0.6) and fake.outputs_billed == 3


def test_images_returned_as_base64_are_decoded(fake, tmp_path):
    fake.ignore_return_url = True
    p = make(fake, tmp_path)
    handle, _, result = run(p, submit_and_finish(p, image(model="jimeng-3.1"), tmp_path / "out"))
    assert result.images[0].name == "image-1.png"
    assert result.images[0].read_bytes() == fake.tasks[handle.remote_id].outputs[0][1]
    assert fake.downloads == 0


def test_a_result_url_past_its_lifetime_is_expired(fake, tmp_path):
    fake.url_ttl = 60
    p = make(fake, tmp_path)

    async def scenario():
        handle = await p.submit(image(), client_ref="r")
        while (await p.poll(handle)).state != "succeeded":
            pass
        fake.clock.advance(120)
        await p.fetch(handle, image(), tmp_path / "out")

    with pytest.raises(ResultExpired):
        run(p, scenario())


def test_tasks_older_than_the_window_are_not_found(fake, tmp_path):
    p = make(fake, tmp_path)

    async def scenario():
        handle = await p.submit(video(), client_ref="r")
        fake.clock.advance(13 * 3600)
        status = await p.poll(handle)
        with pytest.raises(ResultExpired, match="12 h"):
            await p.fetch(handle, video(), tmp_path / "out")
        unknown = await p.poll(Handle("123", {"req_key": "jimeng_ti2v_v30_pro"}))
        return status, unknown

    status, unknown = run(p, scenario())
    assert status.state == "failed" and isinstance(status.error, ResultExpired)
    assert unknown.state == "failed" and isinstance(unknown.error, ResultExpired)


def test_an_expired_task_is_expired(fake, tmp_path):
    p = make(fake, tmp_path)

    async def scenario():
        handle = await p.submit(video(), client_ref="r")
        fake.expire(handle.remote_id)
        return await p.poll(handle)

    assert isinstance(run(p, scenario()).error, ResultExpired)


@pytest.mark.parametrize("code, cls, retryable", [
    (50511, OutputModerated, True), (50512, OutputModerated, False), (50411, InputModerated, None),
    (50500, TransientFailure, None)])
def test_done_with_an_error_code_is_a_failed_take(fake, tmp_path, code, cls, retryable):
    fake.script = Script(in_queue=0, generating=1, final_code=code)
    p = make(fake, tmp_path)
    _, states, status = run(p, submit_and_finish(p, video(), tmp_path / "out"))
    assert states == ["running", "failed"] and type(status.error) is cls
    assert str(code) in str(status.error) and status.error.zh
    assert status.error.context.get("retryable") == retryable
    assert fake.billable_submits == 1 and fake.outputs_billed == 0


# -- injected faults --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code, retry_after, cls, hint", [
    (50411, None, InputModerated, None), (50412, None, InputModerated, None), (50413, None, InputModerated, None),
    (50429, "7", RateLimited, 7.0), (50429, None, RateLimited, None), (50430, None, ConcurrencyLimited, None),
    (50500, None, TransientFailure, None), (50501, "2", TransientFailure, 2.0)])
def test_submit_business_errors(fake, tmp_path, code, retry_after, cls, hint):
    fake.fail_next("submit", code, retry_after=retry_after)
    with pytest.raises(cls) as info:
        run(p := make(fake, tmp_path), p.submit(video(), client_ref="r"))
    assert type(info.value) is cls and str(code) in str(info.value)
    assert getattr(info.value, "retry_after", None) == hint
    assert info.value.__cause__ is not None and fake.billable_submits == 0


@pytest.mark.parametrize("status, retry_after, cls, hint", [
    (503, "30", TransientFailure, 30.0), (502, None, TransientFailure, None), (429, "5", RateLimited, 5.0)])
def test_submit_bare_http_errors(fake, tmp_path, status, retry_after, cls, hint):
    fake.http_error_next("submit", status, retry_after=retry_after)
    with pytest.raises(cls) as info:
        run(p := make(fake, tmp_path), p.submit(video(), client_ref="r"))
    assert info.value.retry_after == hint and fake.billable_submits == 0


@pytest.mark.parametrize("code, cls", [(50429, RateLimited), (50430, ConcurrencyLimited), (50501, TransientFailure)])
def test_poll_errors_about_the_query_are_raised_not_reported_as_failures(fake, tmp_path, code, cls):
    p = make(fake, tmp_path)

    async def scenario():
        handle = await p.submit(video(), client_ref="r")
        fake.fail_next("result", code, retry_after="3")
        with pytest.raises(cls) as info:
            await p.poll(handle)
        assert info.value.retry_after == 3.0
        return await p.poll(handle)  # the task itself is fine

    assert run(p, scenario()).state == "queued"


def test_a_connection_reset_while_polling_is_transient(fake, tmp_path):
    p = make(fake, tmp_path)

    async def scenario():
        handle = await p.submit(video(), client_ref="r")
        fake.reset_next("result")
        await p.poll(handle)

    with pytest.raises(TransientFailure):
        run(p, scenario())


def test_a_connection_reset_after_an_accepted_submit_is_an_unknown_outcome(fake, tmp_path):
    fake.reset_next("submit")
    with pytest.raises(SubmitOutcomeUnknown) as info:
        run(p := make(fake, tmp_path), p.submit(video(), client_ref="r"))
    assert isinstance(info.value.__cause__, httpx2.TransportError)
    assert fake.billable_submits == 1  # paid for: the engine must reconcile, never resubmit


def test_a_read_timeout_after_an_accepted_submit_is_an_unknown_outcome(fake, tmp_path):
    fake.delay_next_submit(1.5)
    with pytest.raises(SubmitOutcomeUnknown):
        run(p := make(fake, tmp_path, timeout=0.5), p.submit(video(), client_ref="r"))
    assert fake.billable_submits == 1


def test_a_truncated_download_is_transient_and_leaves_nothing(fake, tmp_path):
    p = make(fake, tmp_path)
    out = tmp_path / "out"

    async def scenario():
        handle = await p.submit(video(), client_ref="r")
        while (await p.poll(handle)).state != "succeeded":
            pass
        fake.truncate_next_download()
        with pytest.raises(TransientFailure):
            await p.fetch(handle, video(), out)
        assert not any(out.iterdir())
        return await p.fetch(handle, video(), out)  # the URL still lives: a second try works

    assert run(p, scenario()).clip.stat().st_size > 0
    assert fake.outputs_billed == 1


# -- checks before anything is sent -----------------------------------------------------------------------------------

def _bad_specs(tmp: Path) -> dict[str, tuple[TakeSpec, str]]:
    """label -> (spec, words the refusal must contain)."""
    small = picture(tmp / "small.png", size=(300, 300))
    wide = picture(tmp / "wide.png", size=(1600, 400))
    gif = tmp / "anim.gif"
    Image.new("RGB", (640, 360)).save(gif, "GIF")
    webp_named_png = tmp / "really-webp.png"
    Image.new("RGB", (640, 360)).save(webp_named_png, "WEBP")
    huge = tmp / "huge.png"
    huge.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(5_000_000))
    ok = picture(tmp / "ok.png")
    return {
        "unknown model": (video(model="jimeng-9"), "Models: jimeng-video-3.0-pro, jimeng-video-3.0-1080p"),
        "7 s": (video(frames=168), "5 s or 10 s clips; this take asks for 7.00 s"),
        "2:1 text-to-video": (video(width=2000, height=1000), "2000×1000 is none of them"),
        "4:1 image": (image(width=4000, height=1000), "between 1:3 and 3:1"),
        "image too large": (image(width=5000, height=5000), "up to 4096×4096"),
        "first+last on pro": (video(first_frame=ok, last_frame=ok), "Models that can: jimeng-video-3.0-1080p"),
        "last frame alone": (video(model="jimeng-video-3.0", last_frame=ok), "needs a first frame"),
        "missing file": (video(first_frame=str(tmp / "nope.png")), "first_frame: no image file"),
        "file too big": (video(first_frame=str(huge)), "at most 4.7 MB"),
        "gif": (video(first_frame=str(gif)), "is a GIF file"),
        "webp named png": (video(first_frame=str(webp_named_png)), "is a WEBP file"),
        "short side under 320": (video(first_frame=small), "under 320 px"),
        "wider than 3:1": (video(first_frame=wide), "more elongated than 3:1"),
        "mixed url and file": (video(model="jimeng-video-3.0", first_frame=ok, last_frame="https://x/y.png"),
                               "not mixed"),
        "references on video": (video(references=[ok]), "only a first frame and a last frame"),
        "two inputs for 3.0": (image(model="jimeng-3.0", edit_source=ok, references=[ok], width=1664, height=936),
                               "at most 1 input image"),
        "reference kind on 3.1": (image(model="jimeng-3.1", references=[ok]), "cannot do reference images"),
        "count on 3.1": (image(model="jimeng-3.1", count=2), "at most 1 image(s)"),
        "count beyond 15 - inputs": (image(references=[ok] * 10, count=6), "at most 5 image(s)"),
        "prompt too long": (video(prompt="长" * 801), "801 characters"),
        "no prompt for text-to-video": (video(prompt=" "), "needs a prompt"),
        "unknown vendor option": (image(metadata={"jimeng": {"sharpness": 2}}), "sharpness"),
        "vendor option on video": (video(metadata={"jimeng": {"scale": 0.5}}), "Known: none"),
    }


def test_check_refuses_bad_specs_by_name_and_sends_nothing(fake, tmp_path):
    p = make(fake, tmp_path)
    for label, (spec, words) in _bad_specs(tmp_path).items():
        with pytest.raises(InvalidInput) as info:
            p.check(spec)
        assert words in str(info.value) and info.value.zh, label
        with pytest.raises(InvalidInput):
            run(p, p.submit(spec, client_ref="r"))
    assert fake.requests == [] and fake.billable_submits == 0


def test_missing_keys_fail_the_check_without_sending(fake, tmp_path, monkeypatch):
    monkeypatch.delenv("VOLC_SECRETKEY")
    p = make(fake, tmp_path)
    with pytest.raises(AuthFailed, match="VOLC_SECRETKEY"):
        p.check(video())
    with pytest.raises(AuthFailed):
        run(p, p.submit(video(), client_ref="r"))
    assert fake.requests == []


# -- estimate, capabilities, registry ---------------------------------------------------------------------------------

def test_estimates_come_from_the_rate_card(tmp_path):
    p = JimengProvider(workdir=tmp_path, settings=ProviderSettings(options={"rates": {"jimeng-4.0": 0.25}}))
    assert p.estimate(video()).amount == pytest.approx(5.0)
    assert p.estimate(video(frames=240)).amount == pytest.approx(10.0)
    assert p.estimate(video(draft=True)).amount == pytest.approx(1.5)
    assert p.estimate(image(count=3)).amount == pytest.approx(0.75)
    assert p.estimate(image(count=3, draft=True)).amount == pytest.approx(0.25)
    assert "[unverified]" in p.estimate(image()).note


def test_capabilities_and_protocol(tmp_path):
    p = get_provider("jimeng", workdir=tmp_path)
    assert isinstance(p, JimengProvider) and isinstance(p, Provider)
    caps = p.capabilities()
    assert caps.can_lookup_by_client_ref is False and caps.can_cancel is False and caps.key_env == "VOLC_ACCESSKEY"
    assert caps.model(None, Lane.VIDEO).name == "jimeng-video-3.0-pro"
    assert caps.model(None, Lane.IMAGE).name == "jimeng-4.0"
    assert caps.model("jimeng-video-3.0", Lane.VIDEO).draft_of == "jimeng-video-3.0-1080p"
    assert asyncio.run(p.lookup("ref-1")) is None


def test_the_fake_gateway_routes_and_refuses_like_the_vendor(fake):
    unsigned = httpx2.post(f"{fake.url}/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31", json={})
    assert unsigned.status_code == 401
    assert unsigned.json()["ResponseMetadata"]["Error"]["Code"] == "MissingAuthenticationToken"
    wrong = httpx2.post(f"{fake.url}/?Action=CVSync2AsyncSubmitTask&Version=2024-01-01", json={})
    assert wrong.json()["ResponseMetadata"]["Error"]["Code"] == "InvalidActionOrVersion"

    def signed_post(body: dict) -> httpx2.Response:
        content = json.dumps(body).encode()
        query = {"Action": "CVSync2AsyncGetResult", "Version": "2022-08-31"}
        s = sign(method="POST", host=fake.url.removeprefix("http://"), path="/", query=query,
                 content_type="application/json", body=content, access_key=fake.ak, secret_key=fake.sk, now=NOW)
        return httpx2.post(f"{fake.url}/", params=query, content=content, headers=s.headers)

    as_object = signed_post({"req_key": "jimeng_t2i_v40", "task_id": "1", "req_json": {"return_url": True}})
    assert as_object.status_code == 400 and "req_json must be a JSON string" in as_object.json()["message"]
    unknown = signed_post({"req_key": "jimeng_t2i_v40", "task_id": "1", "req_json": '{"return_url":true}'})
    assert unknown.json()["code"] == 10000 and unknown.json()["data"]["status"] == "not_found"
