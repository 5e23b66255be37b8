"""The cut's soundtrack: music beds and temp dialogue from film.toml's ``[sound]``, mixed to the loudness target.

    [sound]
    dialogue = "tts"              # none | tts (espeak-ng) | files (sound/dialogue/<shot>-<n>.wav)
    target_lufs = -14             # -23 for broadcast (EBU R128)
    true_peak = -1                # dBTP ceiling
    [sound.voices]
    "林晓" = "cmn"                 # character → espeak-ng voice
    [[sound.music]]
    file = "music/theme.mp3"      # relative to the film folder
    start = 0.0                   # seconds into the cut
    gain_db = -6
    fade_in = 1.0
    fade_out = 2.0
    duck_db = -12                 # level change while someone speaks

Each music bed plays from its ``start`` until the next bed starts (or the cut ends), looping when the file is
shorter, fading in at its start and out at its end.

Dialogue timing drives the subtitles. A spoken line starts at its cue's first frame; the returned cue then shows
for as long as the line is heard: ``end = start + ceil(seconds * fps)``, but never past the next cue's start (the
next line takes over the screen) or the end of the cut, and never shorter than one frame. With ``dialogue =
"none"`` the cues come back unchanged.

TTS lines are cached under ``.storyreel/cache/tts/`` by voice and text, so re-rendering does not speak them again.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from storyreel.errors import FilmConfigError, FilmError, MediaError
from storyreel.media.audio import Bed, DialogueClip, audio_duration, mix_to_target
from storyreel.media.files import atomic_target
from storyreel.media.loudness import Loudness
from storyreel.media.subtitles import Cue
from storyreel.media.tts import default_voice, speak
from storyreel.model import MusicBed
from storyreel.services.film import FILM_TOML, Film

__all__ = ["Soundtrack", "VoiceLine", "build_soundtrack", "dialogue_path", "retime_cues"]


@dataclass(frozen=True)
class VoiceLine:
    """One line of dialogue in the cut. ``index`` is 1-based within its shot (``3A-2`` is 3A's second line)."""

    shot: str
    index: int
    cue: Cue


@dataclass(frozen=True)
class Soundtrack:
    wav: Path | None  # None when there is nothing to play (no music, dialogue = "none")
    cues: list[Cue]  # the lines' cues, retimed to the spoken dialogue; same order as the lines given
    loudness: Loudness | None  # measured on ``wav``


def dialogue_path(film: Film, shot: str, index: int) -> Path:
    """Where a provided dialogue line lives: ``sound/dialogue/<shot>-<index>.wav`` under the film folder."""
    return film.root / "sound" / "dialogue" / f"{shot}-{index}.wav"


# --- music ----------------------------------------------------------------------------------------------------

def _toml_line(film: Film, value: str) -> int | None:
    """Line of film.toml where ``file = "<value>"`` is written, to point the director at it."""
    try:
        text = (film.root / FILM_TOML).read_text(encoding="utf-8")
    except OSError:
        return None
    pattern = re.compile(rf"^\s*file\s*=\s*[\"']{re.escape(value)}[\"']", re.MULTILINE)
    m = pattern.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _bed_error(film: Film, n: int, bed: MusicBed, path: Path, why: str, zh_why: str) -> FilmConfigError:
    line = _toml_line(film, bed.file)
    where = f"{film.root / FILM_TOML}:{line}" if line else str(film.root / FILM_TOML)
    return FilmConfigError(
        f"{where}: [[sound.music]] #{n} file = {bed.file!r}: {why} ({path}). Fix the path or remove the entry.",
        zh=f"{where}：[[sound.music]] 第 {n} 项 file = {bed.file!r}：{zh_why}（{path}）。请修改路径或删除该项。",
        path=str(path),
    )


def _beds(film: Film, seconds: float) -> list[Bed]:
    music = film.config.sound.music
    order = sorted(range(len(music)), key=lambda i: music[i].start)
    beds: list[Bed] = []
    for pos, i in enumerate(order):
        bed = music[i]
        if bed.start >= seconds:
            continue  # starts after the cut ends
        path = (film.root / bed.file).resolve()
        if not path.is_file():
            raise _bed_error(film, i + 1, bed, path, "the file does not exist", "文件不存在")
        try:
            audio_duration(path)
        except MediaError as exc:
            raise _bed_error(film, i + 1, bed, path, f"it cannot be read as audio: {exc.message}",
                             "无法作为音频读取") from None
        # A bed plays until the next one takes over: two beds never play at once.
        end = music[order[pos + 1]].start if pos + 1 < len(order) else None
        beds.append(Bed(path=path, start=bed.start, end=end, gain_db=bed.gain_db, fade_in=bed.fade_in,
                        fade_out=bed.fade_out, duck_db=bed.duck_db))
    return beds


# --- dialogue -------------------------------------------------------------------------------------------------

def _voice_for(film: Film, speaker: str | None, text: str) -> str:
    voices = film.config.sound.voices
    if speaker:
        names = [speaker]
        character = film.bible.character(speaker)
        if character is not None:
            names += [character.name, *character.aliases]
        folded = {k.casefold(): v for k, v in voices.items()}
        for name in names:
            voice = voices.get(name) or folded.get(name.casefold())
            if voice:
                return voice
    return default_voice(text)


def _spoken_tts(film: Film, line: VoiceLine) -> Path:
    voice = _voice_for(film, line.cue.speaker, line.cue.text)
    key = hashlib.sha256(f"espeak-ng\0{voice}\0{line.cue.text.strip()}".encode()).hexdigest()[:32]
    path = film.state_dir / "cache" / "tts" / f"{key}.wav"
    if not path.is_file():
        speak(line.cue.text, voice, path)
    return path


def _spoken_file(film: Film, line: VoiceLine) -> Path:
    path = dialogue_path(film, line.shot, line.index)
    if not path.is_file():
        raise FilmError(
            f"No dialogue recording for shot {line.shot}, line {line.index} ({line.cue.text[:40]!r}): expected "
            f"{path}. Record it there, or set dialogue = \"tts\" or \"none\" under [sound] in film.toml.",
            zh=f"镜头 {line.shot} 第 {line.index} 句台词（{line.cue.text[:40]!r}）没有录音：应在 {path}。"
               f"请把录音放到那里，或在 film.toml 的 [sound] 中设置 dialogue = \"tts\" 或 \"none\"。",
            path=str(path),
        )
    return path


def retime_cues(cues: Sequence[Cue], seconds: Sequence[float | None], *, fps: int, frames: int) -> list[Cue]:
    """Cues that show while their line is spoken (see the module docstring). ``None`` seconds: cue unchanged."""
    starts = sorted({c.start_frame for c in cues})
    out: list[Cue] = []
    for cue, spoken in zip(cues, seconds, strict=True):
        if spoken is None or cue.start_frame >= frames:
            out.append(cue)
            continue
        later = [s for s in starts if s > cue.start_frame]
        limit = min(later[0], frames) if later else frames
        end = min(cue.start_frame + max(1, math.ceil(spoken * fps - 1e-9)), limit)
        out.append(replace(cue, end_frame=max(end, cue.start_frame + 1)))
    return out


def _dialogue(film: Film, lines: Sequence[VoiceLine]) -> list[Path | None]:
    mode = film.config.sound.dialogue
    if mode == "none":
        return [None] * len(lines)
    speak_line = _spoken_tts if mode == "tts" else _spoken_file
    return [speak_line(film, line) if line.cue.text.strip() else None for line in lines]


# --- the soundtrack -------------------------------------------------------------------------------------------

def build_soundtrack(film: Film, lines: Sequence[VoiceLine], *, frames: int, fps: int, out: Path) -> Soundtrack:
    """Mix the film's music and dialogue for a cut of ``frames`` at ``fps`` into ``out`` (48 kHz stereo WAV).

    Raises ``FilmConfigError`` for a music file that is missing or unreadable (naming its film.toml entry),
    ``FilmError`` for a missing dialogue recording (naming the expected path), ``MediaError`` when espeak-ng is
    missing or ffmpeg fails. ``out`` is written atomically; it is not written when there is nothing to play.
    """
    sound = film.config.sound
    beds = _beds(film, frames / fps)
    recordings = _dialogue(film, lines)
    seconds = [audio_duration(p, exact=True) if p is not None else None for p in recordings]
    cues = retime_cues([line.cue for line in lines], seconds, fps=fps, frames=frames)
    clips = [DialogueClip(path=p, start_frame=line.cue.start_frame)
             for line, p in zip(lines, recordings, strict=True) if p is not None]
    if not beds and not clips:
        return Soundtrack(wav=None, cues=cues, loudness=None)
    out = Path(out)
    with atomic_target(out) as tmp:
        loudness = mix_to_target(beds, clips, frames=frames, fps=fps, out_wav=tmp, target_lufs=sound.target_lufs,
                                 true_peak=sound.true_peak)
    return Soundtrack(wav=out, cues=cues, loudness=loudness)
