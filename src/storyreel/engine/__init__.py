"""The job engine: drives providers through the persisted job lifecycle."""

from storyreel.engine.events import Event
from storyreel.engine.run import Engine, IllegalTransition, RunSummary, pending_jobs

__all__ = ["Engine", "Event", "IllegalTransition", "RunSummary", "pending_jobs"]
