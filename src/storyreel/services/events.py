"""The film's event stream (``take:new``, ``job:state``, ``take:rated`` …) as readers take it: the studio's
server-sent events, or anything that follows the film from another process."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from storyreel.services.film import Film
from storyreel.store import EventRow


def latest_event_id(film: Film) -> int:
    with film.store.session() as s:
        return s.scalar(select(func.max(EventRow.id))) or 0


def events_after(film: Film, after: int, *, limit: int = 200) -> list[dict[str, Any]]:
    """Events with an id above ``after``, oldest first, at most ``limit``."""
    with film.store.session() as s:
        rows = s.scalars(select(EventRow).where(EventRow.id > after).order_by(EventRow.id).limit(limit))
        return [{"id": r.id, "type": r.type, "payload": r.payload,
                 "created_at": r.created_at.isoformat() if r.created_at else None} for r in rows]
