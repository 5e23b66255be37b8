"""Persistence: the film database (SQLite/WAL via SQLAlchemy, Alembic migrations) and the media store."""

from storyreel.store.db import Store, table_names
from storyreel.store.media import MediaStore
from storyreel.store.tables import CutClipRow, EventRow, JobRow, KeyframeRow, LedgerRow, ShotRow, TakeRow

__all__ = ["CutClipRow", "EventRow", "JobRow", "KeyframeRow", "LedgerRow", "MediaStore", "ShotRow", "Store", "TakeRow", "table_names"]
