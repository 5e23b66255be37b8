"""ArkProvider against the loopback Ark fake: real HTTP on 127.0.0.1, nothing patched inside the adapter.

Assertions are made on what the fake received and billed (its view of the world), and on what the adapter
returned or raised.
"""

from __future__ import annotations

import asyncio
import base64
import sys
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
    ProviderError,
    QuotaExhausted,
    RateLimited,
    ResultExpired,
    SubmitOutcomeUnknown,
    TransientFailure,
)
from storyreel.model import Lane, TakeSpec
from storyreel.providers import get_provider
from storyreel.providers.ark import (
    PRICES,
    SEEDANCE_15_PRO,
    SEEDANCE_LITE_I2V,
    SEEDANCE_LITE_T2V,
    SEEDANCE_PRO,
    SEEDREAM_40,
    ArkProvider,
)
from storyreel.providers.base import Handle, ProviderSettings
from tests.fakes.ark import JPEG, MP4, PNG, Fault, make_app
from tests.fakes.server import FakeClock, serve

KEY = "test-key"
T0 = 1_760_000_000.0


class Rig:
    def __init__(self, fake, url: str, tmp_path: Path) -> None:
        self.fake, self.url, self.tmp = fake, url, tmp_path

    def provider(self, **options) -> ArkProvider:
        return ArkProvider(workdir=self.tmp, settings=ProviderSettings(base_url=f"{self.url}/api/v3",
                                                                       options=options))

    def api(self):
        return self.fake.api_requests()


@pytest.fixture(scope="module")
def served():
    app, fake = make_app(clock=FakeClock(T0), key=KEY)
    with serve(app) as url:
        yield fake, url


@pytest.fixture
def rig(served, tmp_path, monkeypatch) -> Rig:
    fake, url = served
    fake.reset()
    fake.clock.now = T0
    monkeypatch.setenv("ARK_API_KEY", KEY)
    monkeypatch.delenv("STORYREEL_ARK_BASE_URL", raising=False)
    return Rig(fake, url, tmp_path)


def run(provider: ArkProvider, scenario):
    async def go():
        try:
            return await scenario()
        finally:
            await provider.aclose()

    return asyncio.run(go())


def video(**kw) -> TakeSpec:
    base = dict(lane=Lane.VIDEO, prompt="a ferry leaves the pier at night", seed=42, frames=120, fps=24,
                width=1920, height=1080, model=SEEDANCE_PRO)
    return TakeSpec(**{**base, **kw})


def image(**kw) -> TakeSpec:
    base = dict(lane=Lane.IMAGE, prompt="the ferry captain, portrait", seed=7, frames=1, fps=24, width=2560,
                height=1440, model=SEEDREAM_40)
    return TakeSpec(**{**base, **kw})


def picture(path: Path, size=(640, 360), fmt="PNG") -> str:
    Image.new("RGB", size, (30, 60, 90)).save(path, fmt)
    return str(path)


def data_uri_format(uri: str) -> str:
    return uri.split(";", 1)[0].removeprefix("data:image/")


async def poll_all(provider: ArkProvider, handle: Handle, limit: int = 20) -> list[str]:
    states = []
    for _ in range(limit):
        status = await provider.poll(handle)
        states.append(status.state)
        if status.state in ("succeeded", "failed"):
            break
    return states


# ---- Seedream: images -----------------------------------------------------------------------------------------
def test_text_to_image_sends_key_and_explicit_watermark_false_then_fetches(rig, tmp_path):
    p = rig.provider()

    async def scenario():
        handle = await p.submit(image(), client_ref="ref-1")
        assert (await p.poll(handle)).state == "succeeded"
        return handle, await p.fetch(handle, image(), tmp_path / "out")

    handle, result = run(p, scenario)
    [create] = rig.api()
    assert create.path == "/api/v3/images/generations" and create.method == "POST"
    assert create.headers["authorization"] == f"Bearer {KEY}"
    assert create.body["watermark"] is False  # sent, not left to Ark's default of true
    assert create.body["size"] == "2560x1440" and create.body["response_format"] == "url"
    assert create.body["model"] == SEEDREAM_40 and create.body["sequential_image_generation"] == "disabled"
    assert "seed" not in create.body and "image" not in create.body  # 4.0 takes no seed
    assert rig.fake.watermarked_images == 0 and rig.fake.images_billed == 1
    assert handle.remote_id == "seedream-ref-1" and len(handle.data["urls"]) == 1
    assert result.images[0].read_bytes() == JPEG + bytes([0]) and result.keyframe == result.images[0]
    assert result.clip is None
    assert result.cost == pytest.approx(PRICES["CNY"][SEEDREAM_40]) and result.usage["generated_images"] == 1
    # The key goes to the API only, never to the result host.
    downloads = [r for r in rig.fake.received if r.path.startswith("/files/")]
    assert downloads and all("authorization" not in r.headers for r in downloads)


def test_fetch_after_a_restart_needs_only_the_handle(rig, tmp_path):
    first = rig.provider()
    handle = run(first, lambda: first.submit(image(), client_ref="ref-2"))
    stored = Handle(remote_id=handle.remote_id, data=dict(handle.data))  # what the engine persisted
    second = rig.provider()
    result = run(second, lambda: second.fetch(stored, image(), tmp_path / "after"))
    assert len(result.images) == 1 and rig.fake.billable_creates == 1


def test_edit_sends_the_source_and_references_as_data_uris(rig, tmp_path):
    src = picture(tmp_path / "source.png")
    ref = picture(tmp_path / "ref.jpg", fmt="JPEG")
    p = rig.provider()
    run(p, lambda: p.submit(image(edit_source=src), client_ref="one"))
    run(p, lambda: p.submit(image(edit_source=src, references=[ref]), client_ref="two"))
    single, double = (r.body for r in rig.api())
    assert isinstance(single["image"], str) and data_uri_format(single["image"]) == "png"
    assert base64.b64decode(single["image"].split(",", 1)[1]) == Path(src).read_bytes()
    assert [data_uri_format(u) for u in double["image"]] == ["png", "jpeg"]
    assert single["watermark"] is False and double["watermark"] is False


def test_group_generation_keeps_the_good_images_and_pays_only_for_them(rig, tmp_path):
    rig.fake.image_errors = {1: "OutputImageSensitiveContentDetected"}
    p = rig.provider()

    async def scenario():
        handle = await p.submit(image(count=3), client_ref="group")
        return handle, await p.fetch(handle, image(count=3), tmp_path / "group")

    handle, result = run(p, scenario)
    body = rig.api()[0].body
    assert body["sequential_image_generation"] == "auto"
    assert body["sequential_image_generation_options"] == {"max_images": 3}
    assert len(handle.data["urls"]) == 2 and handle.data["errors"] == ["OutputImageSensitiveContentDetected"]
    assert len(result.images) == 2 and rig.fake.images_billed == 2
    assert result.cost == pytest.approx(2 * PRICES["CNY"][SEEDREAM_40])
    assert result.usage["failed_images"] == 1


def test_every_image_refused_is_output_moderation(rig):
    rig.fake.image_errors = {0: "OutputImageSensitiveContentDetected"}
    p = rig.provider()
    with pytest.raises(OutputModerated):
        run(p, lambda: p.submit(image(), client_ref="nope"))
    assert rig.fake.images_billed == 0


def test_image_url_dead_after_its_lifetime_is_result_expired(rig, tmp_path):
    p = rig.provider()
    handle = run(p, lambda: p.submit(image(), client_ref="late"))
    rig.fake.clock.advance(24 * 3600 + 1)
    with pytest.raises(ResultExpired):
        run(p, lambda: p.fetch(handle, image(), tmp_path / "late"))


def test_error_inside_http_200_is_translated(rig):
    rig.fake.inject(Fault("images", kind="ok_error", code="InputTextSensitiveContentDetected"))
    p = rig.provider()
    with pytest.raises(InputModerated):
        run(p, lambda: p.submit(image(), client_ref="ok-error"))


# ---- Seedance: video bodies -----------------------------------------------------------------------------------
def test_text_to_video_parameters_are_text_commands(rig):
    p = rig.provider()
    handle = run(p, lambda: p.submit(video(camera_fixed=True), client_ref="t2v"))
    [create] = rig.api()
    assert create.path == "/api/v3/contents/generations/tasks"
    assert create.headers["authorization"] == f"Bearer {KEY}"
    assert create.body == {
        "model": SEEDANCE_PRO,
        "content": [{"type": "text", "text": "a ferry leaves the pier at night --rs 1080p --rt 16:9 --dur 5 "
                                             "--seed 42 --wm false --cf true"}],
        "return_last_frame": True,
    }
    assert handle.remote_id.startswith("cgt-") and rig.fake.billable_creates == 1


def test_first_frame_image_to_video(rig, tmp_path):
    first = picture(tmp_path / "first.png")
    p = rig.provider()
    run(p, lambda: p.submit(video(first_frame=first, width=1280, height=720), client_ref="i2v"))
    body = rig.api()[0].body
    assert body["content"][0]["text"].endswith("--rs 720p --rt 16:9 --dur 5 --seed 42 --wm false")
    [item] = body["content"][1:]
    assert item["type"] == "image_url" and item["role"] == "first_frame"
    assert data_uri_format(item["image_url"]["url"]) == "png"


def test_first_and_last_frame_on_lite_i2v(rig, tmp_path):
    first, last = picture(tmp_path / "a.png"), picture(tmp_path / "b.png")
    p = rig.provider()
    run(p, lambda: p.submit(video(model=SEEDANCE_LITE_I2V, first_frame=first, last_frame=last), client_ref="fl"))
    body = rig.api()[0].body
    assert body["model"] == SEEDANCE_LITE_I2V
    assert [c.get("role") for c in body["content"]] == [None, "first_frame", "last_frame"]


def test_reference_images_and_their_limits(rig, tmp_path):
    refs = [picture(tmp_path / f"r{i}.png") for i in range(5)]
    p = rig.provider()
    run(p, lambda: p.submit(video(model=SEEDANCE_LITE_I2V, references=refs[:3]), client_ref="refs"))
    body = rig.api()[0].body
    assert [c.get("role") for c in body["content"][1:]] == ["reference_image"] * 3
    assert "--rs 720p" in body["content"][0]["text"]  # a 1080p film gets 720p: reference mode has no 1080p
    with pytest.raises(InvalidInput, match="resolution"):  # and asking for it outright is refused
        p.check(video(model=SEEDANCE_LITE_I2V, references=refs[:2], metadata={"ark": {"resolution": "1080p"}}))
    with pytest.raises(InvalidInput, match="references"):
        p.check(video(model=SEEDANCE_LITE_I2V, references=refs, width=1280, height=720))
    assert len(rig.api()) == 1


def test_seedance_15_takes_body_fields(rig):
    p = rig.provider()
    run(p, lambda: p.submit(video(model=SEEDANCE_15_PRO, camera_fixed=False), client_ref="15"))
    body = rig.api()[0].body
    assert body["content"] == [{"type": "text", "text": "a ferry leaves the pier at night"}]
    assert (body["resolution"], body["ratio"], body["duration"], body["seed"]) == ("1080p", "16:9", 5, 42)
    assert body["watermark"] is False and body["generate_audio"] is False and body["camera_fixed"] is False


def test_draft_uses_the_cheap_tier_with_the_same_seed_and_inputs(rig, tmp_path):
    first = picture(tmp_path / "first.png")
    p = rig.provider()
    run(p, lambda: p.submit(video(draft=True), client_ref="d1"))
    run(p, lambda: p.submit(video(draft=True, first_frame=first), client_ref="d2"))
    t2v, i2v = (r.body for r in rig.api())
    assert t2v["model"] == SEEDANCE_LITE_T2V and "--rs 480p" in t2v["content"][0]["text"]
    assert "--seed 42" in t2v["content"][0]["text"]
    assert i2v["model"] == SEEDANCE_LITE_I2V and i2v["content"][1]["role"] == "first_frame"
    assert p.estimate(video(draft=True)).amount < p.estimate(video()).amount


def test_byteplus_region_drops_the_doubao_prefix_and_prices_in_usd(rig):
    p = rig.provider(region="intl")
    rig.fake.reset()
    with pytest.raises(InvalidInput):  # the fake knows only the Beijing ids: the prefix really was dropped
        run(p, lambda: p.submit(video(), client_ref="intl"))
    assert rig.api()[0].body["model"] == "seedance-1-0-pro-250528"
    assert p.capabilities().currency == "USD" and p.estimate(video()).currency == "USD"


# ---- Seedance: state machine, results, cancel -----------------------------------------------------------------
def test_poll_walks_the_scripted_states_then_fetch_downloads_and_prices_usage(rig, tmp_path):
    p = rig.provider()

    async def scenario():
        handle = await p.submit(video(), client_ref="sm")
        states = await poll_all(p, handle)
        return handle, states, await p.fetch(handle, video(), tmp_path / "sm")

    handle, states, result = run(p, scenario)
    assert states == ["queued", "queued", "running", "running", "running", "succeeded"]
    tokens = 1920 * 1088 * 24 * 5 // 1024
    assert rig.fake.tokens_billed == tokens == 244800
    assert result.clip.read_bytes() == MP4 + handle.remote_id.encode()
    assert result.last_frame.read_bytes() == PNG + handle.remote_id.encode()
    assert result.usage == {"completion_tokens": float(tokens)}
    assert result.cost == pytest.approx(tokens / 1e6 * PRICES["CNY"][SEEDANCE_PRO])
    queries = [r for r in rig.api() if r.method == "GET"]
    assert queries and all(r.headers["authorization"] == f"Bearer {KEY}" for r in queries)


def test_failed_task_carries_the_translated_error_and_costs_nothing(rig):
    rig.fake.script = ["running", "failed"]
    p = rig.provider()

    async def scenario():
        handle = await p.submit(video(), client_ref="fail")
        await p.poll(handle)
        return await p.poll(handle)

    status = run(p, scenario)
    assert status.state == "failed" and isinstance(status.error, OutputModerated)
    assert rig.fake.tokens_billed == 0


def test_unknown_status_keeps_polling_and_is_never_success(rig):
    rig.fake.script = ["queued", "paused_for_review", "succeeded"]
    p = rig.provider()

    async def scenario():
        handle = await p.submit(video(), client_ref="odd")
        return await poll_all(p, handle)

    assert run(p, scenario) == ["queued", "unknown", "succeeded"]


def test_cancelled_task_ends_as_a_failure_not_a_success(rig):
    rig.fake.script = ["cancelled"]
    p = rig.provider()

    async def scenario():
        return await p.poll(await p.submit(video(), client_ref="gone"))

    status = run(p, scenario)
    assert status.state == "failed" and type(status.error) is ProviderError


def test_cancel_deletes_only_a_queued_task(rig):
    p = rig.provider()
    rig.fake.script = ["queued", "queued", "succeeded"]

    async def queued():
        handle = await p.submit(video(), client_ref="q")
        await p.cancel(handle)
        return handle

    handle = run(p, queued)
    assert [r.method for r in rig.api()] == ["POST", "GET", "DELETE"]
    assert rig.fake.tasks[handle.remote_id].status == "cancelled"

    rig.fake.reset()
    rig.fake.script = ["running"]

    async def running():
        await p.cancel(await p.submit(video(), client_ref="r"))

    with pytest.raises(InvalidInput, match="already running"):
        run(p, running)
    assert "DELETE" not in [r.method for r in rig.api()]

    rig.fake.reset()
    rig.fake.script = ["succeeded"]

    async def finished():
        handle = await p.submit(video(), client_ref="s")
        await p.cancel(handle)  # nothing to stop; the result must survive
        return await p.poll(handle)

    assert run(p, finished).state == "succeeded"
    assert "DELETE" not in [r.method for r in rig.api()]


def test_expired_video_url_is_result_expired(rig, tmp_path):
    rig.fake.script = ["succeeded"]
    p = rig.provider()

    async def scenario():
        handle = await p.submit(video(), client_ref="exp")
        await p.poll(handle)  # the fake makes the URL when it first reports success
        rig.fake.clock.advance(24 * 3600 + 1)
        await p.fetch(handle, video(), tmp_path / "exp")

    with pytest.raises(ResultExpired):
        run(p, scenario)


def test_truncated_download_is_transient_and_leaves_no_file(rig, tmp_path):
    rig.fake.script = ["succeeded"]
    rig.fake.truncate_downloads = 1
    p = rig.provider()

    async def scenario():
        handle = await p.submit(video(), client_ref="cut")
        await p.fetch(handle, video(), tmp_path / "cut")

    with pytest.raises(TransientFailure):
        run(p, scenario)
    assert not (tmp_path / "cut" / "clip.mp4").exists()


def test_task_unknown_to_ark_is_result_expired(rig):
    p = rig.provider()
    with pytest.raises(ResultExpired):
        run(p, lambda: p.poll(Handle(remote_id="cgt-20250101000000-gone", data={"api": "tasks"})))


# ---- faults → error classes -----------------------------------------------------------------------------------
FAULTS = [
    (Fault("create", status=429, code="RateLimitExceeded.EndpointRPMExceeded", retry_after="7"), RateLimited, 7.0),
    (Fault("create", status=429, code="RateLimitExceeded.EndpointTPMExceeded"), RateLimited, None),
    (Fault("create", status=429, code="ConcurrencyLimitExceeded", retry_after="30"), ConcurrencyLimited, 30.0),
    (Fault("create", status=400, code="InputTextSensitiveContentDetected"), InputModerated, None),
    (Fault("create", status=400, code="InputImageSensitiveContentDetected.PrivacyInformation"), InputModerated,
     None),
    (Fault("create", status=403, code="AccountOverdueError"), QuotaExhausted, None),
    (Fault("create", status=403, code="AccessDenied"), AuthFailed, None),
    (Fault("create", status=404, code="ModelNotOpen"), InvalidInput, None),
    (Fault("create", status=400, code="InvalidParameter"), InvalidInput, None),
    (Fault("create", status=500, code="InternalServiceError"), TransientFailure, None),
    (Fault("create", status=503, code="ServerOverloaded", retry_after="3"), TransientFailure, 3.0),
    (Fault("create", status=502, code=None), TransientFailure, None),
    (Fault("images", status=429, code="RateLimitExceeded.EndpointRPMExceeded", retry_after="2"), RateLimited, 2.0),
    (Fault("images", status=400, code="OutputImageSensitiveContentDetected"), OutputModerated, None),
    (Fault("query", status=503, code="ServerOverloaded"), TransientFailure, None),
    (Fault("query", status=429, code="RateLimitExceeded.EndpointRPMExceeded", retry_after="5"), RateLimited, 5.0),
]


@pytest.mark.parametrize(("fault", "cls", "retry_after"), FAULTS,
                         ids=[f"{f.op}-{f.status}-{f.code}" for f, _, _ in FAULTS])
def test_injected_fault_becomes_the_right_error(rig, fault, cls, retry_after):
    rig.fake.inject(fault)
    p = rig.provider()

    async def scenario():
        if fault.op == "images":
            await p.submit(image(), client_ref="f")
        elif fault.op == "create":
            await p.submit(video(), client_ref="f")
        else:
            await p.poll(Handle(remote_id="cgt-any", data={"api": "tasks"}))

    with pytest.raises(cls) as caught:
        run(p, scenario)
    err = caught.value
    assert type(err) is cls
    assert getattr(err, "retry_after", None) == retry_after
    assert isinstance(err.__cause__, httpx2.HTTPStatusError)  # chained to the HTTP answer
    assert KEY not in str(err) and KEY not in (err.zh or "") and err.zh
    if fault.op in ("images", "create"):
        assert rig.fake.billable_creates == 0


def test_wrong_key_is_auth_failed_and_never_shown(rig, monkeypatch):
    monkeypatch.setenv("ARK_API_KEY", "sk-wrong-secret")
    p = rig.provider()
    with pytest.raises(AuthFailed) as caught:
        run(p, lambda: p.submit(video(), client_ref="bad-key"))
    assert "sk-wrong-secret" not in str(caught.value) and "AuthenticationError" in str(caught.value)
    assert rig.api()[0].headers["authorization"] == "Bearer sk-wrong-secret"


def test_concurrency_limit_of_the_account(rig):
    rig.fake.max_active_tasks = 1
    p = rig.provider()

    async def scenario():
        await p.submit(video(), client_ref="c1")
        await p.submit(video(), client_ref="c2")

    with pytest.raises(ConcurrencyLimited):
        run(p, scenario)
    assert rig.fake.billable_creates == 1


def test_connection_dropped_after_an_accepted_create_is_unknown_not_retryable(rig):
    rig.fake.inject(Fault("create", kind="reset", accept=True))
    p = rig.provider()
    with pytest.raises(SubmitOutcomeUnknown) as caught:
        run(p, lambda: p.submit(video(), client_ref="reset"))
    assert isinstance(caught.value.__cause__, httpx2.TransportError)
    assert rig.fake.billable_creates == 1 and len(rig.fake.tasks) == 1


def test_connection_dropped_on_a_query_is_transient(rig):
    rig.fake.inject(Fault("query", kind="reset"))
    p = rig.provider()

    async def scenario():
        handle = await p.submit(video(), client_ref="qr")
        await p.poll(handle)

    with pytest.raises(TransientFailure):
        run(p, scenario)


@pytest.mark.parametrize("lane", ["video", "image"])
def test_read_timeout_after_an_accepted_create_is_submit_outcome_unknown(rig, lane):
    op = "create" if lane == "video" else "images"
    rig.fake.inject(Fault(op, kind="delay", delay=1.0))
    p = rig.provider(timeout=0.3)
    spec = video() if lane == "video" else image()
    with pytest.raises(SubmitOutcomeUnknown) as caught:
        run(p, lambda: p.submit(spec, client_ref="slow"))
    assert isinstance(caught.value.__cause__, httpx2.ReadTimeout)
    assert rig.fake.billable_creates == 1  # Ark did the work and will bill it: it must not be sent again


def test_nothing_listening_is_transient_because_nothing_was_sent(rig, tmp_path):
    p = ArkProvider(workdir=tmp_path, settings=ProviderSettings(base_url="http://127.0.0.1:9/api/v3",
                                                                options={"timeout": 2}))
    with pytest.raises(TransientFailure):
        run(p, lambda: p.submit(video(), client_ref="closed"))


# ---- check(): refused before any money ------------------------------------------------------------------------
def test_check_refuses_bad_specs_without_sending_anything(rig, tmp_path):
    p = rig.provider()
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024))
    gif = tmp_path / "really-a-gif.png"
    Image.new("RGB", (640, 360)).save(gif, "GIF")
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    refs = [picture(tmp_path / f"r{i}.png") for i in range(11)]
    tiny = picture(tmp_path / "tiny.png", size=(200, 200))

    cases = [
        (image(model="seedream-9"), "model", "doubao-seedream-4-0-250828"),
        (video(model="doubao-seedance-9"), "model", SEEDANCE_PRO),
        (video(frames=48), "duration", "3 … 12"),
        (video(frames=24 * 13), "duration", "13s"),
        (image(edit_source=str(big)), "image", "bytes"),
        (image(edit_source=str(gif)), "image", "gif"),
        (video(first_frame=str(text)), "image", "unknown format"),
        (image(edit_source=str(tmp_path / "missing.png")), "image", "existing"),
        (image(references=refs), "references", "10"),
        (image(width=320, height=180), "size", "1280x720"),
        (image(edit_source=refs[0], count=15), "count", "15"),
        (video(first_frame=tiny), "image", "200x200"),
        (video(model=SEEDANCE_PRO, last_frame=refs[0]), "last_frame", "first frame"),
        (video(model=SEEDANCE_PRO, references=refs[:2]), "model", SEEDANCE_LITE_I2V),
        (video(count=2), "count", "1"),
        (video(prompt="storm --dur 10"), "prompt", "--dur"),
        (video(metadata={"ark": {"resolution": "4k"}}), "resolution", "480p"),
    ]
    for spec, field, hint in cases:
        with pytest.raises(InvalidInput) as caught:
            p.check(spec)
        assert caught.value.context.get("field") == field, (spec, caught.value)
        assert hint in str(caught.value), str(caught.value)
        assert caught.value.zh
    with pytest.raises(InvalidInput):  # submit checks first, too
        run(p, lambda: p.submit(video(frames=48), client_ref="never"))
    assert rig.fake.received == []


def test_missing_key_is_auth_failed_before_anything_is_sent(rig, monkeypatch):
    monkeypatch.delenv("ARK_API_KEY")
    monkeypatch.setitem(sys.modules, "keyring", None)  # no OS keyring to fall back on
    p = rig.provider()
    with pytest.raises(AuthFailed, match="ARK_API_KEY"):
        p.check(video())
    with pytest.raises(AuthFailed):
        run(p, lambda: p.submit(video(), client_ref="nokey"))
    assert rig.fake.received == []


# ---- estimate, capabilities, registry -------------------------------------------------------------------------
def test_estimates_follow_the_rate_card(rig):
    p = rig.provider()
    pro = p.estimate(video())  # 1080p 16:9 is 1920x1088 at 24 fps: 244,800 tokens for 5 s
    assert pro.currency == "CNY" and pro.amount == pytest.approx(0.2448 * PRICES["CNY"][SEEDANCE_PRO])
    assert "244800 tokens" in pro.note
    small = p.estimate(video(width=1280, height=720, frames=240))  # 720p: 1248x704, 10 s
    assert small.amount == pytest.approx(1248 * 704 * 24 * 10 / 1024 / 1e6 * PRICES["CNY"][SEEDANCE_PRO])
    draft = p.estimate(video(draft=True))  # lite at 480p: 864x480
    assert draft.amount == pytest.approx(864 * 480 * 24 * 5 / 1024 / 1e6 * PRICES["CNY"][SEEDANCE_LITE_T2V])
    assert p.estimate(image(count=4)).amount == pytest.approx(4 * PRICES["CNY"][SEEDREAM_40])


def test_capabilities_and_lookup(rig, tmp_path):
    p = get_provider("ark", workdir=tmp_path, settings=ProviderSettings(base_url=f"{rig.url}/api/v3"))
    caps = p.capabilities()
    assert p.name == "ark" and caps.lanes == {Lane.IMAGE, Lane.VIDEO}
    assert caps.can_lookup_by_client_ref is False and caps.can_cancel and not caps.resubmit_is_free
    assert caps.key_env == "ARK_API_KEY" and caps.currency == "CNY"
    assert caps.model(SEEDANCE_LITE_T2V, Lane.VIDEO).draft_of == SEEDANCE_PRO
    assert caps.model(None, Lane.IMAGE).name == SEEDREAM_40
    assert asyncio.run(p.lookup("anything")) is None
