"""The effects panel of the cut page and the keyframes strip of the shot page, in a real browser (Debian's
Chromium through Playwright). Outcomes are checked through the JSON API as well as on screen. Skipped when
Playwright or /usr/bin/chromium is missing.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.studio.browser_kit import api, browser, page, when  # noqa: F401  (pytest fixtures)


@pytest.fixture(autouse=True)
def english(page) -> None:
    """These tests read the English labels."""
    page.goto(f"{page.base}/lang/en", wait_until="load")


def test_set_handheld_and_a_dissolve_on_a_clip_and_they_persist(page) -> None:
    page.goto(f"{page.base}/cut", wait_until="load")
    panel = page.locator("#fx")
    assert panel.is_hidden()
    page.locator("#strip .clip").nth(1).click()
    assert panel.is_visible() and "1B-t001" in panel.locator(".fx-clip").inner_text()

    # ←/→ outside a field move between clips; keys typed into the panel's fields stay in the field.
    page.click("h1")
    page.keyboard.press("ArrowRight")
    assert "1C-t001" in panel.locator(".fx-clip").inner_text()
    page.keyboard.press("ArrowLeft")
    assert "1B-t001" in panel.locator(".fx-clip").inner_text()
    page.focus("#fx-form [name=hold_frames]")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Escape")
    assert panel.is_visible() and "1B-t001" in panel.locator(".fx-clip").inner_text()

    # A refusal is shown beside the fields, which keep what was typed; the derived cut gets clip ids first.
    page.fill("#fx-form [name=speed]", "0")
    with page.expect_response(when("POST", "/api/cut/materialise")), \
            page.expect_response(lambda r: r.request.method == "PATCH") as r:
        page.click("#fx-form button[type=submit]")
    assert r.value.status == 422
    error = page.locator("#fx .fx-error")
    error.wait_for(state="visible")
    assert "speed" in error.inner_text()
    assert page.input_value("#fx-form [name=speed]") == "0"


    page.fill("#fx-form [name=speed]", "1")
    page.fill("#fx-form [name=handheld]", "0.5")
    page.select_option("#fx-form [name=transition_in]", "dissolve")
    page.fill("#fx-form [name=transition_frames]", "12")
    with page.expect_response(lambda r: r.request.method == "PATCH") as r:
        page.click("#fx-form button[type=submit]")
    assert r.value.ok, r.value.text()
    assert error.is_hidden()
    clip = page.locator("#strip .clip").nth(1)
    assert "handheld" in clip.locator(".fx-badges").inner_text()
    assert "dissolve" in clip.locator(".fx-badges").inner_text()

    clips = api(page, "/api/cut")["clips"]
    assert clips[1]["take"]["label"] == "1B-t001"
    assert clips[1]["effects"] == {"handheld": 0.5, "transition_in": "dissolve", "transition_frames": 12}
    assert clips[0]["effects"] == {} and clips[2]["effects"] == {}

    page.reload(wait_until="load")
    page.locator("#strip .clip").nth(1).click()
    assert page.input_value("#fx-form [name=handheld]") == "0.5"
    assert page.input_value("#fx-form [name=transition_in]") == "dissolve"
    assert page.input_value("#fx-form [name=transition_frames]") == "12"
    assert page.input_value("#fx-form [name=ken_burns]") == "off"
    assert "handheld" in page.locator("#strip .clip").nth(1).locator(".fx-badges").inner_text()


def _png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (240, 180, 40)).save(buf, format="PNG")
    return buf.getvalue()


def test_upload_a_png_keyframe_and_approve_it(page) -> None:
    page.goto(f"{page.base}/shot/1B", wait_until="load")
    assert page.locator("#keyframes .kf").count() == 0

    # A refused file: the server's reason stays on the page.
    with page.expect_response(when("POST", "/api/shots/1B/keyframes")) as r:
        page.set_input_files("#kf-file", files=[{"name": "anim.gif", "mimeType": "image/gif",
                                                 "buffer": b"GIF89a" + b"\0" * 40}])
    assert r.value.status == 422
    msg = page.locator("#kf-msg.error")
    msg.wait_for(state="visible")
    assert "anim.gif" in msg.inner_text() and "png" in msg.inner_text().lower()

    with page.expect_response(when("POST", "/api/shots/1B/keyframes")) as r:
        page.set_input_files("#kf-file", files=[{"name": "ref.png", "mimeType": "image/png",
                                                 "buffer": _png(96, 54)}])
    assert r.value.status == 201, r.value.text()
    card = page.locator('#keyframes .kf[data-label="1B@k1"]')
    card.wait_for()
    assert "uploaded" in card.inner_text() and not page.locator("#kf-msg").get_attribute("class").endswith("error")

    with page.expect_response(when("POST", "/api/shots/1B/keyframes/1/approve")) as r:
        card.locator("[data-act=approve]").click()
    assert r.value.ok
    page.wait_for_selector('#keyframes .kf.is-approved[data-label="1B@k1"]')
    assert [(k["label"], k["origin"], k["approved"]) for k in api(page, "/api/shots/1B/keyframes")] == \
        [("1B@k1", "uploaded", True)]
    page.reload(wait_until="load")
    assert page.locator('#keyframes .kf.is-approved [data-act=approve]').is_hidden()


def test_dropping_a_video_makes_a_take_on_the_sheet(page) -> None:
    clip = page.request.get(page.base + api(page, "/api/takes/1A-t001")["media_url"]).body()
    page.goto(f"{page.base}/shot/1B", wait_until="load")
    with page.expect_response(when("POST", "/api/shots/1B/takes")) as r:
        page.set_input_files("#kf-file", files=[{"name": "mine.mp4", "mimeType": "video/mp4", "buffer": clip}])
    assert r.value.status == 201, r.value.text()
    card = page.locator('#sheet .take[data-label="1B-t004"]')
    card.wait_for()
    assert "uploaded" in card.inner_text()
    # The new card culls like the others: focus it from the keyboard and pick it.
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    with page.expect_response(when("POST", "/api/takes/1B-t004/select")) as r:
        page.keyboard.press("p")
    assert r.value.ok
    shot = api(page, "/api/shots/1B")
    assert shot["selected_take"] == "1B-t004" and shot["takes"][-1]["origin"] == "uploaded"
    assert page.locator("#keyframes .kf").count() == 0
