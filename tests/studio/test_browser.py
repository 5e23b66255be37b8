"""The studio in a real browser (Debian's Chromium through Playwright): cull a shot from the keyboard, compare two
takes in sync, drag a bin take into the cut, reorder, render and play it, and switch the language.

Every outcome is checked through the JSON API (the same cookie as the page), not only on screen. Skipped when
Playwright or /usr/bin/chromium is missing.
"""

from __future__ import annotations

from tests.studio.browser_kit import api, browser, page, when  # noqa: F401  (pytest fixtures)


def open_shot(page, code: str) -> list[str]:
    page.goto(f"{page.base}/shot/{code}", wait_until="load")
    labels = page.locator("#sheet .take").evaluate_all("els => els.map(e => e.dataset.label)")
    for _ in labels:  # focus starts on the selected take; walk to the first one
        page.keyboard.press("ArrowLeft")
    return labels


def test_cull_a_shot_with_the_keyboard(page) -> None:
    labels = open_shot(page, "1B")
    assert len(labels) == 3
    first, second, third = labels

    with page.expect_response(when("POST", f"/api/takes/{first}/rating")) as r:
        page.keyboard.press("4")
    assert r.value.ok
    # Optimistic: the stars are on the card before any reload.
    assert page.locator(f'.take[data-label="{first}"] .stars span:not(.off)').count() == 4

    page.keyboard.press("ArrowRight")
    with page.expect_response(when("POST", f"/api/takes/{second}/reject")) as r:
        page.keyboard.press("x")
    assert r.value.ok
    assert "is-rejected" in page.locator(f'.take[data-label="{second}"]').get_attribute("class")

    page.keyboard.press("ArrowRight")
    with page.expect_response(when("POST", f"/api/takes/{third}/select")) as r:
        page.keyboard.press("p")
    assert r.value.ok

    assert api(page, f"/api/takes/{first}")["rating"] == 4
    assert api(page, f"/api/takes/{second}")["status"] == "rejected"
    shot = api(page, "/api/shots/1B")
    assert shot["selected_take"] == third
    # What the server now says and what the page shows agree after a reload.
    page.reload(wait_until="load")
    assert page.locator(".take.is-selected").get_attribute("data-label") == third


def test_compare_two_takes_plays_them_in_sync(page) -> None:
    labels = open_shot(page, "1A")
    page.keyboard.press("c")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("c")
    page.keyboard.press("Shift+C")
    overlay = page.locator("#compare.open")
    overlay.wait_for()
    videos = overlay.locator("video")
    assert videos.count() == 2
    assert videos.evaluate_all("vs => vs.map(v => v.dataset.label)") == labels[:2]

    page.click("[data-act=compare-play]")
    page.wait_for_function("() => { const v = document.querySelectorAll('#compare video');"
                           " return v[0].currentTime > 0.8 && v[1].currentTime > 0.5; }", timeout=20_000)
    page.click("[data-act=compare-play]")  # pause: the follower is snapped to the master's frame
    page.wait_for_function("() => { const v = document.querySelectorAll('#compare video');"
                           " return v[0].paused && v[1].paused && !v[1].seeking &&"
                           " Math.abs(v[0].currentTime - v[1].currentTime) <= 0.1; }", timeout=10_000)
    page.keyboard.press("Escape")
    assert page.locator("#compare.open").count() == 0


def test_bin_to_cut_reorder_render_and_play(page) -> None:
    # Drag a take from the bin onto the cut strip.
    page.goto(f"{page.base}/bin", wait_until="load")
    label = "1B-t002"
    card = page.locator(f'#bin .card[data-label="{label}"]')
    assert card.count() == 1
    with page.expect_response(when("POST", "/api/cut/clips")) as r:
        card.drag_to(page.locator("#strip"))
    assert r.value.ok, r.value.text()
    cut = api(page, "/api/cut")
    order = [c["take"]["label"] for c in cut["clips"]]
    assert cut["edited"] and order == ["1A-t001", "1B-t001", "1C-t001", label]
    assert card.count() == 0  # it left the bin

    # Reorder on the cut page: the first clip goes to the end.
    page.goto(f"{page.base}/cut", wait_until="load")
    clips = page.locator("#strip .clip")
    assert clips.count() == 4
    last = clips.nth(3)
    box = last.bounding_box()
    with page.expect_response(when("PATCH", "/api/cut/clips/" + str(cut["clips"][0]["id"]))) as r:
        clips.nth(0).drag_to(last, target_position={"x": box["width"] - 4, "y": box["height"] / 2})
    assert r.value.ok, r.value.text()
    expected = order[1:] + order[:1]
    assert [c["take"]["label"] for c in api(page, "/api/cut")["clips"]] == expected
    page.wait_for_function(f"() => [...document.querySelectorAll('#strip .clip')].map(c => c.dataset.take).join() "
                           f"=== {','.join(expected)!r}")

    # Render, following the task to its end.
    page.click("[data-act=render]")
    page.wait_for_selector('#render-msg[data-state="done"], #render-msg[data-state="failed"]', timeout=240_000)
    assert page.get_attribute("#render-msg", "data-state") == "done", page.text_content("#render-msg")

    # Play the whole cut in the page: the player advances through the first clip's proxy.
    page.click("[data-act=play-cut]")
    page.wait_for_function("() => { const v = document.getElementById('player');"
                           " return !v.paused && v.currentTime > 0.3; }", timeout=20_000)
    assert page.locator("#strip .clip.playing").get_attribute("data-take") == expected[0]


def test_switch_language_to_chinese_and_back(page) -> None:
    page.goto(f"{page.base}/", wait_until="load")
    assert page.locator("header nav").inner_text().find("Board") >= 0
    page.click("a[data-lang=zh]")
    page.wait_for_load_state("load")
    assert page.get_attribute("html", "lang") == "zh-CN"
    nav = page.locator("header nav a").first
    assert nav.inner_text() == "镜头板" and nav.is_visible()
    # The glyphs are drawn from a CJK font: a run of Chinese is as wide as its characters, not zero-width boxes.
    width = page.evaluate("() => { const r = document.querySelector('header nav a').getBoundingClientRect();"
                          " return r.width; }")
    assert width > 30
    page.goto(f"{page.base}/shot/1A", wait_until="load")
    assert "镜头 1A" in page.locator("h1").inner_text()
    page.click("a[data-lang=en]")
    page.wait_for_load_state("load")
    assert page.get_attribute("html", "lang") == "en"
