"""The cut as editors exchange it: clips on one picture track and subtitle cues, all in frames at one rate.

This is the neutral value every export adapter reads. It knows nothing of the film folder or the database:
``services.export`` builds it from the rough cut (``services.cut.assemble``), and each adapter turns it into a
file. Time is whole frames at ``Cut.fps`` (STYLE 9); seconds never appear here.

Ranges are half-open, like ``media.subtitles.Cue``: a clip uses source frames ``[source_in, source_out)`` and
occupies record frames ``[record_start, record_start + frames)`` of the cut.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class Clip:
    """One event of the picture track: part of one take's media file, placed at ``record_start``."""

    name: str  # the take label, 3A-t002: what the editor sees on the clip
    shot: str  # the shot code, 3A
    media: Path  # the take's media file (absolute, so a file URL can be made from it)
    source_in: int  # first frame used from the media
    source_out: int  # first frame no longer used (exclusive)
    record_start: int  # first frame of the clip in the cut
    sha: str | None = None  # content hash of the media file (the media store's name for it)
    media_frames: int | None = None  # length of the whole media file, when known

    def __post_init__(self) -> None:
        if self.source_in < 0 or self.source_out <= self.source_in:
            raise ValueError(f"clip {self.name}: source frames must satisfy 0 <= in < out, "
                             f"got [{self.source_in}, {self.source_out})")
        if self.record_start < 0:
            raise ValueError(f"clip {self.name}: record_start must be >= 0, got {self.record_start}")
        if self.media_frames is not None and self.media_frames < self.source_out:
            raise ValueError(f"clip {self.name}: uses frames up to {self.source_out} of a {self.media_frames}-frame "
                             "media file")

    @property
    def frames(self) -> int:
        return self.source_out - self.source_in

    @property
    def record_end(self) -> int:
        """First frame of the cut after this clip (exclusive)."""
        return self.record_start + self.frames


@dataclass(frozen=True)
class Subtitle:
    """One dialogue line on screen over record frames ``[start, end)``; ``speaker`` as written in the script."""

    start: int
    end: int
    text: str
    speaker: str | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start:
            raise ValueError(f"subtitle frames must satisfy 0 <= start < end, got [{self.start}, {self.end})")


@dataclass(frozen=True)
class AudioClip:
    """A sound file under the picture (voice-over, music bed, a mixed soundtrack): ``frames`` frames of it from
    ``source_in``, placed at record frame ``record_start``. Audio clips may overlap each other; an adapter that
    has lanes puts overlapping ones on separate audio tracks."""

    name: str  # what the editor sees on the clip: "soundtrack", "music", "3A voice"
    media: Path  # the sound file (absolute)
    record_start: int
    frames: int
    source_in: int = 0

    def __post_init__(self) -> None:
        if self.record_start < 0 or self.source_in < 0 or self.frames < 1:
            raise ValueError(f"audio {self.name}: need record_start >= 0, source_in >= 0 and frames >= 1, got "
                             f"{self.record_start}, {self.source_in}, {self.frames}")

    @property
    def record_end(self) -> int:
        return self.record_start + self.frames


@dataclass(frozen=True)
class Cut:
    """A titled cut at ``fps`` (whole frames per second): clips in record order, then subtitles, then audio.

    Clips may leave gaps between them (an editor sees black there) but may not overlap: there is one picture
    track. ``audio`` is sound laid under the picture besides the takes' own sound; empty by default.
    """

    title: str
    fps: int
    clips: tuple[Clip, ...]
    subtitles: tuple[Subtitle, ...] = ()
    audio: tuple[AudioClip, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.fps, bool) or not isinstance(self.fps, int) or self.fps < 1:
            raise ValueError(f"fps must be a whole number of frames per second >= 1, got {self.fps!r}")
        object.__setattr__(self, "clips", tuple(self.clips))
        object.__setattr__(self, "subtitles", tuple(self.subtitles))
        object.__setattr__(self, "audio", tuple(self.audio))
        end = 0
        for clip in self.clips:
            if clip.record_start < end:
                raise ValueError(f"clip {clip.name} starts at frame {clip.record_start}, before the previous clip "
                                 f"ends at {end}: clips must be in record order and must not overlap")
            end = clip.record_end

    @property
    def frames(self) -> int:
        """Length of the cut: the end of its last clip."""
        return self.clips[-1].record_end if self.clips else 0

    def at_rate(self, rate: int) -> Cut:
        """The same cut counted at ``rate``, a whole multiple of ``fps``: every frame becomes ``rate // fps`` frames.

        Positions stay exact (frame ``f`` at 12 fps is frame ``2f`` at 24 fps). Used where a format only counts
        in SMPTE timecode rates, which 8 or 12 fps are not.
        """
        if rate % self.fps:
            raise ValueError(f"{rate} is not a whole multiple of {self.fps} fps")
        k = rate // self.fps
        if k == 1:
            return self
        clips = tuple(replace(c, source_in=c.source_in * k, source_out=c.source_out * k,
                              record_start=c.record_start * k,
                              media_frames=None if c.media_frames is None else c.media_frames * k)
                      for c in self.clips)
        subs = tuple(replace(s, start=s.start * k, end=s.end * k) for s in self.subtitles)
        audio = tuple(replace(a, record_start=a.record_start * k, frames=a.frames * k, source_in=a.source_in * k)
                      for a in self.audio)
        return Cut(title=self.title, fps=rate, clips=clips, subtitles=subs, audio=audio)
