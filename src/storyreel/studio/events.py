"""``GET /api/events``: the film's event stream and the studio's task progress, as server-sent events.

Two sources, one stream:

- the film's ``events`` table (``job:state``, ``take:new``, ``take:selected``, ``shot:stale`` …), written by the
  engine and the services, whichever process ran them (a ``storyreel shoot`` in a terminal shows up too). Each is
  sent with ``id: <row id>`` and ``event: <type>``, so the browser's automatic reconnect resumes after the last
  one it saw (``Last-Event-ID``). ``?since=ID`` asks for the same explicitly; with neither, the stream starts now.
- studio tasks (``event: task``, no id, so a task update never moves the resume point): their state and progress.

Data is JSON: ``{"id", "type", "payload", "created_at"}`` for film events, the task snapshot for tasks. A comment
line every ``HEARTBEAT_S`` keeps proxies and the browser from timing the connection out.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from storyreel.services.events import events_after, latest_event_id
from storyreel.services.film import Film
from storyreel.studio.tasks import TaskRunner

POLL_S = 0.4
HEARTBEAT_S = 15.0
BATCH = 200

router = APIRouter()


def sse(data: dict[str, Any], *, event: str | None = None, id: int | None = None) -> bytes:
    lines = []
    if id is not None:
        lines.append(f"id: {id}")
    if event:
        lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False, default=str))
    return ("\n".join(lines) + "\n\n").encode()


async def event_stream(request: Request, film: Film, runner: TaskRunner, after: int | None) -> AsyncIterator[bytes]:
    if after is None:
        after = await to_thread.run_sync(latest_event_id, film)
    task_seq = runner.last_seq
    # The browser waits this long before reconnecting after a drop.
    yield b"retry: 2000\n\n"
    for task in runner.list():
        if task.state in ("queued", "running"):
            yield sse(task.snapshot(), event="task")
    beat = time.monotonic()
    while True:
        if await request.is_disconnected():
            return
        sent = False
        for ev in await to_thread.run_sync(events_after, film, after):
            after = ev["id"]
            sent = True
            yield sse(ev, event=ev["type"], id=ev["id"])
        for seq, snap in runner.feed_since(task_seq):
            task_seq = seq
            sent = True
            yield sse(snap, event="task")
        now = time.monotonic()
        if sent:
            beat = now
        elif now - beat >= HEARTBEAT_S:
            beat = now
            yield b": heartbeat\n\n"
        await asyncio.sleep(POLL_S)


@router.get(
    "/api/events",
    response_class=StreamingResponse,
    responses={200: {"description": "Server-sent events (film events by id, task progress, heartbeats).",
                     "content": {"text/event-stream": {"schema": {"type": "string"}}}}},
    tags=["events"],
)
async def events(request: Request, since: int | None = Query(None, ge=0, le=2**62, description="Replay events after this id."),
                 last_event_id: str | None = Header(None, description="Sent by the browser on reconnect.")
                 ) -> StreamingResponse:
    after = since
    if after is None and last_event_id and last_event_id.strip().isdigit():
        after = int(last_event_id.strip())
    state = request.app.state
    return StreamingResponse(event_stream(request, state.film, state.tasks, after), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
