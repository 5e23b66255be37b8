"""The job engine: drives providers through the persisted job lifecycle."""

from storyreel.engine.events import Event
from storyreel.engine.policy import POLICY, Rule, rule_for
from storyreel.engine.run import Engine, IllegalTransition, RunSummary, committed_spend, pending_jobs

__all__ = ["POLICY", "Engine", "Event", "IllegalTransition", "Rule", "RunSummary", "committed_spend", "pending_jobs",
           "rule_for"]
