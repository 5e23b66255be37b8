"""The screenplay: storyreel's own Fountain parser and the scene/speech view the planner reads."""

from storyreel.script._model import Element, Kind, Scene, Screenplay, Speech
from storyreel.script.fountain import parse_fountain, read_fountain

__all__ = ["Element", "Kind", "Scene", "Screenplay", "Speech", "parse_fountain", "read_fountain"]
