"""The domain model: plain pydantic values, no framework, no I/O."""

from storyreel.model.cut import ClipEffects, KenBurns, Transition
from storyreel.model.film import (
    Aspect, Bible, Character, FilmConfig, Limits, MusicBed, Profile, ProviderConfig, SoundConfig, Style,
)
from storyreel.model.money import Exchange, MissingRate
from storyreel.model.shot import Blocking, CameraMove, DialogueLine, Framing, Look, Shot, Side
from storyreel.model.take import JobState, Lane, TakeSpec, can_move, parse_take_label

__all__ = [
    "Aspect", "Bible", "Blocking", "CameraMove", "Character", "ClipEffects", "DialogueLine", "Exchange", "FilmConfig",
    "Framing", "JobState", "KenBurns", "Lane", "Limits", "Look", "MissingRate", "MusicBed", "Profile", "ProviderConfig",
    "Shot", "Side", "SoundConfig", "Style", "TakeSpec", "Transition", "can_move", "parse_take_label",
]
