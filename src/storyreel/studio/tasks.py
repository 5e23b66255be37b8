"""Long studio actions (re-roll, upgrade, render) run in worker threads, so a request answers at once.

A task is a service call plus what the page needs to follow it: a state (queued → running → done | failed), a
progress fraction, and on failure the same error body as any other studio error. Each change is appended to a
feed that ``/api/events`` streams beside the film's own events; the services keep writing their usual events
(``job:state``, ``take:new``) to the film's event table, where the stream reads them too.

Services are synchronous and open their own event loop (``asyncio.run``), which is why they get a thread of their
own instead of running on the server's loop.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from storyreel.errors import StoryreelError

ProgressFn = Callable[[float, str], None]
TaskBody = Callable[[ProgressFn], dict[str, Any]]

FEED_LIMIT = 2000  # task updates kept for late listeners; older ones are dropped


def error_body(exc: BaseException) -> dict[str, Any]:
    """The studio's error JSON for any exception: the director's message, or a plain one for a bug."""
    if isinstance(exc, StoryreelError):
        return {"error": type(exc).__name__, "message": exc.message, "message_zh": exc.zh}
    return {"error": "InternalError", "message": f"Unexpected error: {type(exc).__name__}: {exc}",
            "message_zh": f"意外错误：{type(exc).__name__}：{exc}"}


@dataclass
class Task:
    id: str
    kind: str  # reroll | upgrade | render
    subject: str  # what it works on: a shot code, a take label, "main"
    state: str = "queued"  # queued | running | done | failed
    progress: float = 0.0  # 0..1
    message: str = ""
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    def snapshot(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "subject": self.subject, "state": self.state,
                "progress": self.progress, "message": self.message, "result": self.result, "error": self.error,
                "created_at": self.created_at, "updated_at": self.updated_at}


class TaskRunner:
    """Runs task bodies in a small thread pool and keeps a numbered feed of their updates."""

    def __init__(self, *, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="studio-task")
        self._lock = threading.Lock()
        self._tasks: dict[str, Task] = {}
        self._feed: list[tuple[int, dict[str, Any]]] = []
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)

    def submit(self, kind: str, subject: str, body: TaskBody) -> Task:
        task = Task(id=f"t{next(self._ids)}", kind=kind, subject=subject)
        with self._lock:
            self._tasks[task.id] = task
            self._publish(task)
        self._pool.submit(self._run, task, body)
        return task

    def get(self, task_id: str) -> Task | None:
        with self._lock:
            return self._tasks.get(task_id)

    def list(self) -> list[Task]:
        with self._lock:
            return list(self._tasks.values())

    def feed_since(self, seq: int) -> list[tuple[int, dict[str, Any]]]:
        """Task updates after ``seq`` (0: all that are kept), oldest first."""
        with self._lock:
            return [item for item in self._feed if item[0] > seq]

    @property
    def last_seq(self) -> int:
        with self._lock:
            return self._feed[-1][0] if self._feed else 0

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _update(self, task: Task, **changes: Any) -> None:
        with self._lock:
            for k, v in changes.items():
                setattr(task, k, v)
            task.updated_at = time.time()
            self._publish(task)

    def _publish(self, task: Task) -> None:
        self._feed.append((next(self._seq), task.snapshot()))
        del self._feed[:-FEED_LIMIT]

    def _run(self, task: Task, body: TaskBody) -> None:
        self._update(task, state="running")

        def progress(fraction: float, message: str = "") -> None:
            self._update(task, progress=max(0.0, min(1.0, float(fraction))), message=message)

        try:
            result = body(progress)
        except BaseException as exc:  # noqa: BLE001  the page shows the error; the worker thread lives on
            self._update(task, state="failed", error=error_body(exc), message=error_body(exc)["message"])
            return
        self._update(task, state="done", progress=1.0, result=result)
