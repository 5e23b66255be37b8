"""The film's settings (film.toml) and its bible, as validated values."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from storyreel.model.money import Exchange


class Aspect(StrEnum):
    WIDE = "16:9"
    VERTICAL = "9:16"
    SCOPE = "2.39:1"
    PORTRAIT = "3:4"


class Profile(BaseModel):
    """The delivery profile every take is rendered at, so a cut can join them frame-exactly."""

    width: int = Field(1280, ge=64, le=7680)
    height: int = Field(720, ge=64, le=4320)
    fps: int = Field(24, ge=1, le=120)
    aspect: Aspect = Aspect.WIDE

    @field_validator("width", "height")
    @classmethod
    def _even(cls, v: int) -> int:
        # H.264 yuv420p needs even dimensions.
        if v % 2:
            raise ValueError(f"must be even for H.264 yuv420p, got {v}")
        return v


class Limits(BaseModel):
    """Film-level caps the planner respects, so a long script cannot plan a two-hour animatic."""

    max_shots: int = Field(200, ge=1)
    max_seconds: float = Field(600.0, gt=0)
    min_shot_seconds: float = Field(1.5, gt=0)
    max_shot_seconds: float = Field(8.0, gt=0)


class ProviderConfig(BaseModel):
    """``[providers.<name>]`` in film.toml. Keys never go here: they come from the environment or the keyring."""

    base_url: str | None = None
    model: str | None = None  # default model for the video lane
    image_model: str | None = None
    poll_interval: float = Field(5.0, gt=0, le=600)  # seconds between status checks (vendors ask for ~5 s)
    options: dict = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {v!r}")
        return v


class MusicBed(BaseModel):
    """``[[sound.music]]``: a music file under the film folder, placed at ``start`` seconds of the cut."""

    file: str
    start: float = Field(0.0, ge=0)
    gain_db: float = Field(0.0, ge=-60, le=20)
    fade_in: float = Field(1.0, ge=0)
    fade_out: float = Field(2.0, ge=0)
    duck_db: float = Field(-12.0, ge=-60, le=0)  # level change under dialogue


class SoundConfig(BaseModel):
    """``[sound]``: music beds, temp dialogue, and the loudness target the render is normalised to."""

    music: list[MusicBed] = Field(default_factory=list)
    dialogue: str = "none"  # none | tts (espeak-ng) | files (sound/dialogue/<shot>-<n>.wav)
    voices: dict[str, str] = Field(default_factory=dict)  # character → espeak-ng voice
    target_lufs: float = Field(-14.0, ge=-40, le=-5)  # online platforms; -23 for broadcast (EBU R128)
    true_peak: float = Field(-1.0, ge=-9, le=0)  # dBTP ceiling

    @field_validator("dialogue")
    @classmethod
    def _dialogue(cls, v: str) -> str:
        if v not in {"none", "tts", "files"}:
            raise ValueError(f"must be 'none', 'tts' or 'files', got {v!r}")
        return v


class FilmConfig(BaseModel):
    title: str
    language: str = "zh"  # "zh" or "en": reading speed and UI language
    profile: Profile = Field(default_factory=Profile)
    provider: str = "previz"
    style: str | None = None  # a key of bible/styles.toml
    limits: Limits = Field(default_factory=Limits)
    budget: float | None = Field(None, ge=0)  # in ``currency``; None = no cap
    currency: str = "CNY"  # what the budget and the ledger's totals are counted in
    # ``[rates]``: one unit of another billing currency, in ``currency`` (credits = 0.05, USD = 7.1)
    rates: dict[str, float] = Field(default_factory=dict)
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    sound: SoundConfig = Field(default_factory=SoundConfig)
    delivery: str | None = None  # default delivery profile for ``storyreel render`` (douyin, bilibili, ...)

    @field_validator("rates")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        for k, rate in v.items():
            if not rate > 0:
                raise ValueError(f"rate for {k!r} must be > 0, got {rate}")
        return v

    @property
    def exchange(self) -> Exchange:
        return Exchange(self.currency, dict(self.rates))

    @field_validator("language")
    @classmethod
    def _language(cls, v: str) -> str:
        if v not in {"zh", "en"}:
            raise ValueError(f"must be 'zh' or 'en', got {v!r}")
        return v


class Character(BaseModel):
    """A character of the bible: ``name`` as written in the script cue; ``aliases`` other spellings."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    description: str = ""
    color: str = "#c8553d"  # silhouette colour in previz

    def matches(self, cue: str) -> bool:
        cue = cue.strip().casefold()
        return cue == self.name.casefold() or cue in {a.casefold() for a in self.aliases}


class Style(BaseModel):
    name: str
    description: str = ""
    palette: list[str] = Field(default_factory=lambda: ["#1d2633", "#3a4a5c", "#e0c36f", "#f2efe6"])

    @field_validator("palette")
    @classmethod
    def _palette(cls, v: list[str]) -> list[str]:
        for c in v:
            if not (c.startswith("#") and len(c) == 7 and all(ch in "0123456789abcdefABCDEF" for ch in c[1:])):
                raise ValueError(f"colours are '#rrggbb', got {c!r}")
        if len(v) < 2:
            raise ValueError("a palette needs at least 2 colours")
        return v


class Bible(BaseModel):
    characters: list[Character] = Field(default_factory=list)
    styles: list[Style] = Field(default_factory=list)

    def character(self, cue: str) -> Character | None:
        return next((c for c in self.characters if c.matches(cue)), None)

    def style(self, name: str | None) -> Style:
        for s in self.styles:
            if s.name == name:
                return s
        return self.styles[0] if self.styles else Style(name="default")
