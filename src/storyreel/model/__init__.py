"""The domain model: plain pydantic values, no framework, no I/O."""

from storyreel.model.cut import ClipEffects, KenBurns, Transition
from storyreel.model.film import (Aspect, Bible, Character, FilmConfig, Limits, MusicBed, Profile, ProviderConfig,
                                  SoundConfig, Style)
from storyreel.model.money import Exchange, MissingRate
from storyreel.model.shot import Blocking, CameraMove, DialogueLine, Framing, Look, Shot, Side
from storyreel.model.take import JobState, Lane, TakeSpec, can_move

__all__ = [
    "Aspect", "Bible", "Exchange", "MissingRate", "Blocking", "CameraMove", "Character", "ClipEffects", "KenBurns", "MusicBed", "SoundConfig",
    "Transition", "DialogueLine", "FilmConfig", "Framing",
    "JobState", "Lane", "Limits", "Look", "Profile", "ProviderConfig", "Shot", "Side", "Style", "TakeSpec", "can_move",
]
