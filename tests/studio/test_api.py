"""Every studio endpoint, on the real services and a real (tiny) previz film: the board, shots, takes, the bin,
the cut, jobs, the ledger, tasks, server-sent events, media, pages and the language switch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from tests.studio.conftest import CSRF, TOKEN, StudioServer

BASE = "http://127.0.0.1:8765"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WRITE = {**AUTH, "X-CSRF-Token": CSRF}


@pytest.fixture
def client(studio_film: Path) -> Iterator[TestClient]:
    from storyreel.studio import create_app

    with TestClient(create_app(studio_film, token=TOKEN, csrf=CSRF), base_url=BASE, headers=AUTH) as c:
        yield c


def post(c: TestClient, url: str, body: dict | None = None):
    return c.post(url, json=body if body is not None else {}, headers=WRITE)


def wait_task(c: TestClient, task: dict) -> dict:
    """Follow a task until it ends (the runner's threads are real; each poll blocks on the service's work)."""
    import time

    for _ in range(2000):
        task = c.get(f"/api/tasks/{task['id']}").json()
        if task["state"] in ("done", "failed"):
            return task
        time.sleep(0.05)
    raise AssertionError(f"task never ended: {task}")


# -- board and shots ----------------------------------------------------------------------------------------------


def test_board_cards_and_filters(client: TestClient) -> None:
    board = client.get("/api/board").json()
    assert [c["code"] for c in board["cards"]] == ["1A", "1B", "1C"]
    card = board["cards"][1]
    assert card["take_count"] == 3 and card["status"] == "has_takes" and card["characters"] == ["林晓"]
    assert card["thumb_take"] == "1B-t001" and client.get(card["thumb_url"]).headers["content-type"] == "image/jpeg"
    assert board["scenes"] == [{"scene": 1, "heading": "INT. 茶馆 - 夜"}]
    assert board["summary"]["has_takes"] == 3 and set(board["characters"]) == {"林晓", "老周"}
    assert [c["code"] for c in client.get("/api/board", params={"character": "林晓"}).json()["cards"]] == ["1B"]
    assert client.get("/api/board", params={"scene": 2}).json()["cards"] == []
    post(client, "/api/takes/1C-t002/select")
    assert [c["code"] for c in client.get("/api/board?status=selected").json()["cards"]] == ["1C"]
    bad = client.get("/api/board?status=nonsense")
    assert bad.status_code == 422 and "planned" in bad.json()["message"] and bad.json()["message_zh"]


def test_shot_detail_has_takes_with_media_and_neighbours(client: TestClient) -> None:
    shot = client.get("/api/shots/1b").json()  # codes match case-insensitively
    assert shot["code"] == "1B" and shot["previous_shot"] == "1A" and shot["next_shot"] == "1C"
    assert [t["label"] for t in shot["takes"]] == ["1B-t001", "1B-t002", "1B-t003"]
    assert shot["selected_take"] == "1B-t001" and shot["chain"] == {} and shot["locked"] is False
    take = shot["takes"][1]
    assert take["landed"] and take["kind"] == "video" and take["frames"] == 26 and take["fps"] == 12
    proxy = client.get(take["proxy_url"], headers={"Range": "bytes=0-9"})
    assert proxy.status_code == 206 and proxy.headers["content-type"] == "video/mp4"
    assert client.get(take["thumb_url"]).status_code == 200
    missing = client.get("/api/shots/9Z")
    assert missing.status_code == 404 and missing.json()["error"] == "ShotNotFound" and "1A" in missing.json()["message"]


def test_unknown_thumbnail_and_proxy_are_json_404s(client: TestClient) -> None:
    for path in ("/thumbs/1A-t099.jpg", "/proxy/1A-t099.mp4", "/proxy/nonsense.mp4"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["error"] == "NotFound"


# -- takes ------------------------------------------------------------------------------------------------------


def test_rate_note_tag_a_take(client: TestClient) -> None:
    assert post(client, "/api/takes/1A-t002/rating", {"stars": 5}).json()["rating"] == 5
    assert post(client, "/api/takes/1A-t002/rating", {"stars": None}).json()["rating"] is None
    bad = post(client, "/api/takes/1A-t002/rating", {"stars": 6})
    assert bad.status_code == 422 and bad.json()["error"] == "ValidationError" and bad.json()["detail"]
    assert post(client, "/api/takes/1A-t002/note", {"text": " 光线好 "}).json()["note"] == "光线好"
    tagged = post(client, "/api/takes/1A-t002/tags", {"add": ["雨", "wide"], "remove": []}).json()
    assert tagged["tags"] == ["雨", "wide"]
    assert post(client, "/api/takes/1A-t002/tags", {"remove": ["WIDE"]}).json()["tags"] == ["雨"]
    bad_tag = post(client, "/api/takes/1A-t002/tags", {"add": ["two words"]})
    assert bad_tag.status_code == 422 and bad_tag.json()["error"] == "InvalidEdit"
    got = client.get("/api/takes/1a-t002").json()
    assert (got["note"], got["tags"]) == ("光线好", ["雨"])
    assert client.get("/api/takes/1A-t009").status_code == 404
    assert post(client, "/api/takes/nonsense/rating", {"stars": 1}).status_code == 404


def test_select_and_reject_move_the_pick(client: TestClient) -> None:
    picked = post(client, "/api/takes/1B-t003/select").json()
    assert picked["selected"] and picked["label"] == "1B-t003"
    assert client.get("/api/shots/1B").json()["selected_take"] == "1B-t003"
    rejected = post(client, "/api/takes/1B-t003/reject").json()
    assert rejected["status"] == "rejected" and not rejected["selected"]
    assert client.get("/api/shots/1B").json()["selected_take"] == "1B-t001"  # the first good take again
    assert post(client, "/api/takes/1B-t003/select").json()["status"] == "good"  # circling un-rejects


def test_grab_a_frame_as_the_next_shots_first_frame(client: TestClient) -> None:
    r = post(client, "/api/takes/1B-t001/grab", {"at": "last", "to_shot": "1C"})
    assert r.status_code == 200, r.text
    grab = r.json()
    assert grab["chained"] and grab["selected"] and grab["keyframe"]["shot"] == "1C"
    assert grab["keyframe"]["origin"] == "grab" and grab["keyframe"]["approved"]
    assert grab["exact"]  # previz takes have a keyframe every second: the take itself is read
    assert post(client, "/api/takes/1B-t001/grab", {"at": "first", "exact": True}).json()["exact"]
    assert client.get(grab["keyframe"]["url"]).headers["content-type"] == "image/png"
    shot = client.get("/api/shots/1C").json()
    assert shot["chain"]["first"]["shot"] == "1B" and shot["stale"]
    assert post(client, "/api/takes/1B-t001/grab", {"at": "soon"}).status_code == 422
    assert post(client, "/api/takes/1B-t001/grab", {"at": "first", "to_shot": "1B"}).status_code == 422


def test_upgrade_refuses_a_final_take(client: TestClient) -> None:
    r = post(client, "/api/takes/1A-t001/upgrade")
    assert r.status_code == 422 and "draft" in r.json()["message"]


# -- re-roll and lock -------------------------------------------------------------------------------------------


def test_reroll_with_an_edited_prompt_makes_more_takes_as_a_task(client: TestClient) -> None:
    r = post(client, "/api/shots/1C/reroll", {"takes": 1, "prompt": "老周在雨中，特写"})
    assert r.status_code == 202, r.text
    task = wait_task(client, r.json())
    assert task["state"] == "done" and task["progress"] == 1.0 and task["result"]["done"] == 1
    shot = client.get("/api/shots/1C").json()
    assert [t["label"] for t in shot["takes"]][-1] == "1C-t004"
    assert shot["takes"][-1]["prompt"] == "老周在雨中，特写" and shot["prompt_override"] == "老周在雨中，特写"
    assert shot["takes"][-1]["thumb_url"]  # landed like any shot take
    # The override stays for the next re-roll until cleared with an empty prompt.
    task = wait_task(client, post(client, "/api/shots/1C/reroll", {"takes": 1, "prompt": ""}).json())
    shot = client.get("/api/shots/1C").json()
    assert task["state"] == "done" and shot["prompt_override"] is None
    assert shot["takes"][-1]["prompt"] == shot["prompt"] != "老周在雨中，特写"
    assert client.get(f"/api/tasks/{task['id']}").json()["kind"] == "reroll"
    assert task["id"] in [t["id"] for t in client.get("/api/tasks").json()]


def test_reroll_refusals_are_immediate(client: TestClient) -> None:
    assert post(client, "/api/shots/1A/reroll", {"takes": 0}).status_code == 422
    unknown = post(client, "/api/shots/1A/reroll", {"takes": 1, "provider": "nope"})
    assert unknown.status_code == 422 and unknown.json()["error"] == "UnknownProvider"
    assert post(client, "/api/shots/9Z/reroll", {"takes": 1}).status_code == 404
    assert post(client, "/api/shots/1A/lock", {"locked": True}).json() == {"shot": "1A", "locked": True}
    locked = post(client, "/api/shots/1A/reroll", {"takes": 1})
    assert locked.status_code == 409 and locked.json()["error"] == "ShotLocked" and locked.json()["message_zh"]
    assert client.get("/api/shots/1A").json()["locked"] is True
    assert client.get("/api/board?status=locked").json()["cards"][0]["code"] == "1A"
    assert post(client, "/api/shots/1A/lock", {"locked": False}).json()["locked"] is False
    assert client.get("/api/tasks/t999").status_code == 404


# -- bin and cut ------------------------------------------------------------------------------------------------


def test_bin_lists_takes_not_in_the_cut_and_searches(client: TestClient) -> None:
    labels = [t["label"] for t in client.get("/api/bin").json()["takes"]]
    assert labels == ["1A-t002", "1A-t003", "1B-t002", "1B-t003", "1C-t002", "1C-t003"]
    post(client, "/api/takes/1C-t003/rating", {"stars": 4})
    post(client, "/api/takes/1B-t002/tags", {"add": ["moody"]})
    post(client, "/api/takes/1A-t003/note", {"text": "雾很美"})
    assert [t["label"] for t in client.get("/api/bin?min_rating=4").json()["takes"]] == ["1C-t003"]
    assert [t["label"] for t in client.get("/api/bin?tag=MOODY").json()["takes"]] == ["1B-t002"]
    assert [t["label"] for t in client.get("/api/bin", params={"q": "雾很美"}).json()["takes"]] == ["1A-t003"]
    assert [t["label"] for t in client.get("/api/bin", params={"character": "老周"}).json()["takes"]] == \
        ["1C-t002", "1C-t003"]
    assert client.get("/api/bin?min_rating=9").status_code == 422


def test_cut_place_move_trim_remove_reset(client: TestClient) -> None:
    cut = client.get("/api/cut").json()
    assert not cut["edited"] and [c["take"]["label"] for c in cut["clips"]] == ["1A-t001", "1B-t001", "1C-t001"]
    assert cut["frames"] == 36 + 26 + 18 and cut["fps"] == 12 and all(c["id"] is None for c in cut["clips"])

    placed = client.post("/api/cut/clips", json={"take": "1C-t002", "position": 0}, headers=WRITE)
    assert placed.status_code == 201 and placed.json()["position"] == 0
    cut = client.get("/api/cut").json()
    assert cut["edited"] and cut["clips"][0]["take"]["label"] == "1C-t002"
    assert "1C-t002" not in [t["label"] for t in client.get("/api/bin").json()["takes"]]
    first, second = cut["clips"][0]["id"], cut["clips"][1]["id"]

    moved = client.patch(f"/api/cut/clips/{first}", json={"position": 3}, headers=WRITE).json()
    assert [c["take"]["label"] for c in moved["clips"]] == ["1A-t001", "1B-t001", "1C-t001", "1C-t002"]
    trimmed = client.patch(f"/api/cut/clips/{second}", json={"source_in": 6, "source_out": 30}, headers=WRITE).json()
    clip = next(c for c in trimmed["clips"] if c["id"] == second)
    assert (clip["source_in"], clip["source_out"], clip["record_frames"]) == (6, 30, 24)
    assert trimmed["clips"][1]["record_start"] == 24
    fx = client.patch(f"/api/cut/clips/{second}", json={"effects": {"hold_frames": 6}}, headers=WRITE).json()
    assert next(c for c in fx["clips"] if c["id"] == second)["record_frames"] == 30
    bad = client.patch(f"/api/cut/clips/{second}", json={"source_in": 20, "source_out": 10}, headers=WRITE)
    assert bad.status_code == 422 and bad.json()["message_zh"]
    unknown = client.patch("/api/cut/clips/999", json={"position": 0}, headers=WRITE)
    assert unknown.status_code == 404 and "No clip 999" in unknown.json()["message"]  # services.timeline ClipNotFound

    after = client.delete(f"/api/cut/clips/{first}", headers=WRITE).json()
    assert [c["take"]["label"] for c in after["clips"]] == ["1A-t001", "1B-t001", "1C-t001"]
    reset = post(client, "/api/cut/reset").json()
    assert not reset["edited"] and reset["frames"] == 80


def test_materialise_gives_clip_ids_without_changing_what_plays(client: TestClient) -> None:
    before = client.get("/api/cut").json()
    after = post(client, "/api/cut/materialise").json()
    assert after["edited"] and all(c["id"] for c in after["clips"])
    assert [(c["take"]["label"], c["record_start"]) for c in after["clips"]] == \
        [(c["take"]["label"], c["record_start"]) for c in before["clips"]]


def test_subtitles_vtt_in_record_time(client: TestClient) -> None:
    r = client.get("/api/cut/subtitles.vtt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/vtt")
    lines = r.text.splitlines()
    assert lines[0] == "WEBVTT"
    cue = lines.index("老周：你来了。")
    start, _, end = lines[cue - 1].partition(" --> ")
    # 1C starts at frame 36 + 26 = 62 of the derived cut (5.166 s at 12 fps) and ends at frame 80 (6.666 s).
    assert "00:00:05.166" <= start < end <= "00:00:06.666"
    # Moving 1C to the front moves its line to the start.
    post(client, "/api/cut/materialise")
    clips = client.get("/api/cut").json()["clips"]
    client.patch(f"/api/cut/clips/{clips[2]['id']}", json={"position": 0}, headers=WRITE)
    moved = client.get("/api/cut/subtitles.vtt").text.splitlines()
    assert moved[moved.index("老周：你来了。") - 1] < "00:00:01.500"


def test_render_preview_as_a_task_and_serve_it(client: TestClient) -> None:
    r = post(client, "/api/cut/render", {"kind": "preview"})
    assert r.status_code == 202 and r.json()["kind"] == "render"
    task = wait_task(client, r.json())
    assert task["state"] == "done", task
    assert task["result"]["frames"] == 80 and task["result"]["video_url"] == "/renders/preview.mp4"
    video = client.get(task["result"]["video_url"], headers={"Range": "bytes=0-15"})
    assert video.status_code == 206 and video.content[4:8] == b"ftyp"
    assert client.get("/renders/nothing.mp4").status_code == 404


def test_render_is_refused_when_a_shot_has_no_usable_take(client: TestClient) -> None:
    for n in (1, 2, 3):
        post(client, f"/api/takes/1A-t00{n}/reject")
    cut = client.get("/api/cut").json()
    assert cut["clips"] == [] and cut["problem"]["error"] == "TakeNotFound" and "1A" in cut["problem"]["message"]
    r = post(client, "/api/cut/render", {})
    assert r.status_code == 404 and r.json()["error"] == "TakeNotFound"


# -- jobs, ledger -----------------------------------------------------------------------------------------------


def test_jobs_and_their_moves(client: TestClient) -> None:
    jobs = client.get("/api/jobs").json()
    assert len(jobs["jobs"]) == 9 and jobs["counts"] == {"done": 9}
    job = jobs["jobs"][0]
    assert job["take"] == "1A-t001" and job["provider"] == "previz"
    done = post(client, f"/api/jobs/{job['id']}/retry")
    assert done.status_code == 409 and "done" in done.json()["message"]
    assert post(client, f"/api/jobs/{job['id']}/cancel").status_code == 409
    assert post(client, "/api/jobs/999/retry").json()["error"] == "JobNotFound"


def test_jobs_retry_and_cancel_move_a_job(client: TestClient, studio_film: Path) -> None:
    from storyreel.services.film import open_film
    from storyreel.services.shoot import open_provider, plan_jobs, resolve_shots

    with open_film(studio_film) as film:  # an unsent job, as a run cut short leaves it
        shot = resolve_shots(film, ["1A"])[0]
        (job_id,) = plan_jobs(film, [(shot, 9)], provider=open_provider(film, "previz"), model=None, draft=False)
    canceled = post(client, f"/api/jobs/{job_id}/cancel").json()
    assert canceled["state"] == "canceled" and canceled["take"] == "1A-t009"
    assert post(client, f"/api/jobs/{job_id}/retry").json()["state"] == "planned"


def test_ledger(client: TestClient) -> None:
    ledger = client.get("/api/ledger").json()
    assert ledger["takes"] == 9 and ledger["generated_seconds"] == pytest.approx(3 * 80 / 12, abs=1e-3)
    assert ledger["used_seconds"] == pytest.approx(80 / 12, abs=1e-3)
    assert ledger["usage_ratio"] == pytest.approx(1 / 3) and ledger["spent"] == 0.0
    assert ledger["by_provider"] == {"previz": 0.0} and set(ledger["by_shot"]) == {"1A", "1B", "1C"}
    series = ledger["series"]
    assert len(series) == 9 and [p["at"] for p in series] == sorted(p["at"] for p in series)


# -- errors, docs, pages ----------------------------------------------------------------------------------------


def test_errors_are_json_with_both_languages_and_never_a_traceback(client: TestClient) -> None:
    r = client.post("/api/takes/1A-t001/note", content=b"{not json", headers={**WRITE, "Content-Type":
                                                                               "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "ValidationError" and "Traceback" not in r.text
    r = client.get("/api/no/such/route")
    assert r.status_code == 404 and r.json()["message_zh"]
    assert client.put("/api/board", headers=WRITE).status_code == 405


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/board", "/api/shots/{code}", "/api/takes/{label}/rating", "/api/shots/{code}/reroll",
                 "/api/bin", "/api/cut", "/api/cut/clips/{clip_id}", "/api/cut/render", "/api/cut/subtitles.vtt",
                 "/api/jobs", "/api/jobs/{job_id}/retry", "/api/ledger", "/api/tasks/{task_id}", "/api/events",
                 "/api/shots/{code}/keyframes", "/media/{sha}.{ext}", "/thumbs/{label}.jpg", "/proxy/{label}.mp4"):
        assert path in paths, path
    assert "ErrorOut" in spec["components"]["schemas"] and "ShotOut" in spec["components"]["schemas"]
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("path", ["/", "/?scene=1&status=&character=", "/shot/1B", "/bin?q=&min_rating=",
                                  "/cut", "/jobs"])
def test_pages_render_with_the_csrf_meta(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert f'<meta name="csrf-token" content="{CSRF}">' in r.text and "测试片" in r.text


def test_language_default_follows_the_system_locale_and_the_switch_sets_a_cookie(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from storyreel.studio.strings import EN, ZH

    for var in ("STORYREEL_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert 'lang="zh-CN"' in client.get("/").text and ZH["nav_bin"] in client.get("/").text
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert 'lang="en"' in client.get("/").text
    r = client.get("/lang/zh", headers={"Referer": f"{BASE}/shot/1B"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/shot/1B"
    assert "storyreel_lang=zh" in r.headers["set-cookie"]
    client.cookies.set("storyreel_lang", "zh")
    assert ZH["nav_bin"] in client.get("/bin").text and EN["nav_bin"] not in client.get("/bin").text.split("<main>")[0]
    evil = client.get("/lang/en", headers={"Referer": "http://evil.example/x"}, follow_redirects=False)
    assert evil.headers["location"] == "/"
    assert client.get("/lang/fr", follow_redirects=False).status_code == 422


# -- server-sent events -----------------------------------------------------------------------------------------


def _events(stream: httpx.Response) -> Iterator[dict]:
    event: dict = {}
    for line in stream.iter_lines():
        if line.startswith(":"):
            continue
        if not line:
            if "data" in event:
                yield event
            event = {}
            continue
        key, _, value = line.partition(": ")
        event[key] = json.loads(value) if key == "data" else value


def test_events_stream_film_events_and_task_progress(studio_server: StudioServer) -> None:
    headers = {**AUTH, "X-CSRF-Token": CSRF}
    with httpx.Client(base_url=studio_server.base_url, headers=AUTH, timeout=60) as c:
        # Replay from the start: the shoot's events are all there, with their ids.
        with c.stream("GET", "/api/events", headers={"Last-Event-ID": "0"}) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            first = next(_events(stream))
            assert first["event"] == first["data"]["type"] and int(first["id"]) == first["data"]["id"] >= 1
        # Live: a rating made now arrives as it happens, then a re-roll's task progress and its new take.
        with c.stream("GET", "/api/events") as stream:
            events = _events(stream)
            assert c.post("/api/takes/1B-t002/rating", json={"stars": 3}, headers=headers).status_code == 200
            ev = next(events)
            assert ev["event"] == "take:rated" and ev["data"]["payload"] == {"take": "1B-t002", "rating": 3}
            task = c.post("/api/shots/1B/reroll", json={"takes": 1}, headers=headers).json()
            seen: list[tuple[str, str]] = []
            for ev in events:
                if ev["event"] == "task":
                    seen.append(("task", ev["data"]["state"]))
                    if ev["data"]["state"] in ("done", "failed"):
                        assert ev["data"]["id"] == task["id"] and ev["data"]["state"] == "done"
                        break
                else:
                    seen.append((ev["event"], json.dumps(ev["data"]["payload"])))
            assert ("take:new", json.dumps({"shot": "1B", "take": 4})) in seen
            assert ("task", "running") in seen
