"""The job engine's SQL: its copy of a job row, and the hot path's statements.

Core statements against the ORM's tables (same columns, same defaults such as created_at/updated_at), compiled once
per engine for its database and run on the DB-API cursor (``store.prepared``). An ORM session per move (identity
map, get, flush) cost several times the SQL it ran; SQLAlchemy's statement execution still cost more than SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import String, bindparam, literal, select, update

from storyreel.model import JobState
from storyreel.model.take import TRANSITIONS
from storyreel.store import EventRow, JobRow, LedgerRow, Store, TakeRow
from storyreel.store.prepared import Prepared, insert_values, update_fill


@dataclass
class Job:
    """The engine's copy of one job row, read when the job gets its slot and then kept in step with every move the
    engine persists: nothing is read back between steps."""

    id: int
    shot_code: str
    take_number: int
    provider: str
    model: str | None
    lane: str
    state: str
    spec: dict
    client_ref: str
    remote_id: str | None
    remote_data: dict | None
    estimate: float
    draft: bool
    upgrade_of: int | None
    next_try_at: float | None
    error_class: str | None
    error: str | None
    attempts: int


_JOBS, _TAKES = JobRow.__table__, TakeRow.__table__
_LOAD_JOB = select(*(_JOBS.c[f.name] for f in fields(Job))).where(_JOBS.c.id == bindparam("job_id"))
_JOB_STATE = select(_JOBS.c.state).where(_JOBS.c.id == bindparam("job_id"))
_FIND_TAKE = select(_TAKES.c.id).where(_TAKES.c.shot_code == bindparam("shot"), _TAKES.c.number == bindparam("number"),
                                       _TAKES.c.job_id == bindparam("job_id"))  # (shot, number) is indexed


def _move_statement(dst: JobState):
    """``UPDATE jobs SET state = dst, … WHERE id = :job_id_ AND state IN (states that may move to dst)``; the other
    columns to set are the parameters given with it. The lifecycle check is in the WHERE clause, so it holds against
    the row as it is in the very transaction that writes the move (a director's cancel from another process
    included): no row updated means the move was illegal."""
    sources = sorted(src.value for src in JobState if src == dst or dst in TRANSITIONS[src])
    return update(_JOBS).where(_JOBS.c.id == bindparam("job_id_"),
                               _JOBS.c.state.in_([literal(s, String) for s in sources]))


_MOVES = {dst: _move_statement(dst) for dst in JobState}
_LEDGER_KEYS = ("job_id", "kind", "provider", "shot_code", "amount", "currency", "note", "basis")
_EVENT_KEYS = ("type", "payload")
_TAKE_KEYS = ("shot_code", "number", "job_id", "provider", "model", "seed", "frames", "fps", "width", "height",
              "clip_sha", "clip_ext", "keyframe_sha", "status", "prompt", "draft", "parent_take", "cost")


class JobSql:
    """The engine's statements for one database, each compiled on first use."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[object, Prepared] = {}

    def get(self, key: object) -> Prepared:
        """``"load"``, ``"state"``, ``"find_take"``, ``"ledger"``, ``"event"``, ``"take"``, or
        ``("move", dst, columns set besides state)``."""
        p = self._cache.get(key)
        if p is not None:
            return p
        if key == "load":
            p = self.store.prepare(_LOAD_JOB)
        elif key == "state":
            p = self.store.prepare(_JOB_STATE)
        elif key == "find_take":
            p = self.store.prepare(_FIND_TAKE)
        elif key in ("ledger", "event", "take"):
            table, keys = {"ledger": (LedgerRow.__table__, _LEDGER_KEYS), "event": (EventRow.__table__, _EVENT_KEYS),
                           "take": (_TAKES, _TAKE_KEYS)}[key]
            stmt, fill = insert_values(table, keys)
            p = self.store.prepare(stmt, fill=fill)
        else:  # ("move", dst, columns set besides state)
            _, dst, cols = key  # type: ignore[misc]
            keys = ("state", *cols)
            stmt = _MOVES[dst].values({k: bindparam(k) for k in (*keys, *update_fill(_JOBS, keys))})
            p = self.store.prepare(stmt, fill=update_fill(_JOBS, keys))
        self._cache[key] = p
        return p
