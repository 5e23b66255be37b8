"""Normalise a take to the film's profile once, when it lands, so the preview cut is a pure stream copy.

Joining H.264 streams without re-encoding is only valid when every piece shares one set of parameter sets (the
SPS/PPS in the MP4 ``avcC`` box, which a decoder reads once, from the first clip), one frame size and rate, one
time base, and starts on an IDR frame. So every normalised clip is written by the same encoder with the same
options (H.264 High, yuv420p, BT.709 tags, a closed GOP of one second with no scene-cut keyframes, CRF) and
carries an AAC 48 kHz stereo track of exactly the picture's length: silence when the take has none, so the
concatenated file never gains or loses an audio track halfway.

A take that already matches (decided by comparing its ``avcC`` bytes with those of a reference clip this module
encodes for the profile, plus size, rate, pixel format and codec) is *remuxed*: its video is copied bit for bit
and only the audio track and time base are added. The previz renderer writes with the same x264 settings, so its
takes land in milliseconds. Its GOP may contain extra scene-cut keyframes; concatenation does not care, so we do
not re-encode just to remove them.

Trimmed segments (``source_in``/``source_out``) and the timing of render-time effects are re-encoded with the
very same parameters, so they concatenate with the whole clips.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from storyreel.errors import MediaError
from storyreel.media.ffmpeg import BT709_FILTER, BT709_FLAGS, run_ffmpeg
from storyreel.media.files import atomic_target
from storyreel.media.probe import VideoInfo, probe

__all__ = [
    "AUDIO_FRAME", "AUDIO_RATE", "IMAGE_EXTS", "NormProfile", "Treatment", "avcc", "matches_profile",
    "normalise_clip", "reference_clip",
]

AUDIO_RATE = 48000
AUDIO_FRAME = 1024  # samples per AAC-LC packet
IMAGE_EXTS = frozenset({"png", "jpg", "jpeg", "webp"})
# Bump when the encoder options below change: the profile key (and so the cache folder) changes with it, and
# clips normalised with the old options are never mixed with new ones.
_VERSION = 1


# Encoder settings of every normalised clip. A generator that encodes with them (previz does) lands takes whose
# H.264 parameter sets already match, so normalising them is a remux instead of a re-encode.
NORM_CRF = 20
NORM_PRESET = "veryfast"


@dataclass(frozen=True)
class NormProfile:
    """The one set of encoder parameters every normalised clip of a film shares."""

    width: int
    height: int
    fps: int
    crf: int = NORM_CRF
    preset: str = NORM_PRESET
    audio_bitrate: str = "128k"

    @property
    def gop(self) -> int:
        return self.fps  # one second: a cut point never needs more than a second of decoding

    @property
    def timescale(self) -> int:
        # Time base 1/(fps·100): whole ticks per frame for any integer rate, and the same for every clip.
        return self.fps * 100

    @property
    def key(self) -> str:
        """Names the cache folder; changes whenever anything that affects the bitstream changes."""
        text = f"{self.width}x{self.height}@{self.fps}/crf{self.crf}/{self.preset}/{self.audio_bitrate}/v{_VERSION}"
        return f"{self.width}x{self.height}p{self.fps}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"

    def audio_samples(self, frames: int) -> int:
        return round(Fraction(frames * AUDIO_RATE, self.fps))


@dataclass(frozen=True)
class Treatment:
    """What a re-encoded segment does to its source range, in source frames; the identity by default.

    Only what changes timing or is a simple grade is applied here (trim, speed, freeze, hold, fades); motion
    effects (handheld, Ken Burns) and dissolves are the delivery render's job and are previewed as straight cuts.
    """

    source_in: int = 0
    source_out: int | None = None
    speed: float = 1.0
    freeze_at: int | None = None
    freeze_frames: int = 0
    hold_frames: int = 0
    fade_in_frames: int = 0
    fade_out_frames: int = 0

    @property
    def is_identity(self) -> bool:
        return self == Treatment(source_out=self.source_out) and self.source_in == 0

    def cache_tag(self) -> str:
        return hashlib.sha256(repr(self).encode()).hexdigest()[:12]


def avcc(path: Path) -> bytes:
    """The H.264 parameter sets (``avcC``) of the first video stream: b"" when there is none."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return b""
            return bytes(container.streams.video[0].codec_context.extradata or b"")
    except (av.FFmpegError, OSError) as exc:
        raise MediaError(f"Cannot read video {path}: {exc}.", zh=f"无法读取视频 {path}：{exc}。",
                         path=str(path)) from None


def _encoder_args(p: NormProfile) -> list[str]:
    args = ["-c:v", "libx264", "-preset", p.preset, "-crf", str(p.crf), "-profile:v", "high", "-pix_fmt", "yuv420p"]
    # No scene-cut keyframes, closed GOP: every clip has the same structure, whatever it shows.
    args += ["-g", str(p.gop), "-keyint_min", str(p.gop), "-sc_threshold", "0"]
    return args + BT709_FLAGS


def _audio_args(p: NormProfile) -> list[str]:
    return ["-c:a", "aac", "-b:a", p.audio_bitrate, "-ar", str(AUDIO_RATE), "-ac", "2"]


def _mux_args(p: NormProfile, out: Path) -> list[str]:
    return ["-video_track_timescale", str(p.timescale), "-movflags", "+faststart", "-sn", "-dn", "-f", "mp4", str(out)]


def _silence(samples: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"anullsrc=r={AUDIO_RATE}:cl=stereo,atrim=end_sample={samples}"]


def _picture_filter(p: NormProfile, t: Treatment, frames: int) -> str:
    chain: list[str] = []
    if t.source_in or t.source_out is not None:
        end = f":end_frame={t.source_out}" if t.source_out is not None else ""
        chain.append(f"trim=start_frame={t.source_in}{end}")
    chain.append("setpts=PTS-STARTPTS")
    if t.speed != 1.0:
        chain.append(f"setpts=PTS/{t.speed:.6f}")
    # Letterbox/pillarbox into the profile: a take of another shape is never stretched.
    chain += [f"scale={p.width}:{p.height}:force_original_aspect_ratio=decrease",
              f"pad={p.width}:{p.height}:(ow-iw)/2:(oh-ih)/2",
              # SAR left unset, as the previz writer leaves it: a 1:1 SAR would add a VUI field and change the SPS.
              "setsar=0", f"fps={p.fps}"]
    if t.hold_frames or t.freeze_frames:
        # Freeze is previewed as a hold of the same length at the end: the frame count is what the cut relies on.
        chain.append(f"tpad=stop_mode=clone:stop={t.hold_frames + t.freeze_frames}")
    if t.fade_in_frames:
        chain.append(f"fade=t=in:s=0:n={t.fade_in_frames}")
    if t.fade_out_frames:
        chain.append(f"fade=t=out:s={max(0, frames - t.fade_out_frames)}:n={t.fade_out_frames}")
    chain += [BT709_FILTER, "format=yuv420p", f"settb=1/{p.fps},setpts=N"]
    # Pad with the last frame, then cut: exactly ``frames`` frames whatever the source's rate rounding did.
    chain.append(f"tpad=stop_mode=clone:stop={p.fps}")
    return ",".join(chain)


def _audio_filter(p: NormProfile, t: Treatment, src_fps: Fraction, samples: int) -> str:
    chain = [f"aresample={AUDIO_RATE}"]
    if t.source_in or t.source_out is not None:
        start = round(Fraction(t.source_in) / src_fps * AUDIO_RATE)
        end = f":end_sample={round(Fraction(t.source_out) / src_fps * AUDIO_RATE)}" if t.source_out is not None else ""
        chain.append(f"atrim=start_sample={start}{end}")
    chain.append("asetpts=PTS-STARTPTS")
    if t.speed != 1.0:
        chain.append(f"atempo={min(max(t.speed, 0.5), 100.0):.6f}")
    return ",".join(chain + [f"apad=whole_len={samples}", f"atrim=end_sample={samples}"])


def matches_profile(info: VideoInfo, extradata: bytes, p: NormProfile, reference: bytes) -> bool:
    """True when the video can be copied as it is: same parameter sets and the profile's size and rate."""
    return (info.codec == "h264" and info.pix_fmt == "yuv420p" and (info.width, info.height) == (p.width, p.height)
            and info.fps == p.fps and bool(reference) and extradata == reference)


def reference_clip(p: NormProfile, out: Path) -> bytes:
    """Encode a two-second black clip with the profile's parameters at ``out``; return its ``avcC`` bytes.

    It is the yardstick for ``matches_profile`` and its audio supplies a silent AAC packet for padding.
    """
    if not out.is_file():
        frames = 2 * p.fps
        with atomic_target(out) as tmp:
            args = ["-f", "lavfi", "-i", f"color=black:s={p.width}x{p.height}:r={p.fps}", *_silence(
                p.audio_samples(frames)), "-map", "0:v", "-map", "1:a", "-vf",
                f"setsar=0,{BT709_FILTER},format=yuv420p", "-frames:v", str(frames), *_encoder_args(p), *_audio_args(p),
                *_mux_args(p, tmp)]
            run_ffmpeg(args, output=out)
    return avcc(out)


def normalise_clip(src: Path, out: Path, p: NormProfile, *, frames: int, reference: bytes,
                   treatment: Treatment | None = None) -> bool:
    """Write ``src`` at profile ``p`` to ``out`` with exactly ``frames`` frames; True when the video was copied.

    ``src`` may be a video or a still image (an image take becomes a clip of ``frames`` frames). ``frames`` is
    what the timeline counts for this clip; the result is checked against it before it replaces ``out``.
    """
    t = treatment or Treatment()
    is_image = src.suffix.lower().lstrip(".") in IMAGE_EXTS
    info = None if is_image else probe(src)
    samples = p.audio_samples(frames)
    copy = (info is not None and t.is_identity and (t.source_out in (None, info.frames))
            and info.frames == frames and matches_profile(info, avcc(src), p, reference))
    with atomic_target(out) as tmp:
        if is_image:
            args = ["-loop", "1", "-framerate", str(p.fps), "-i", str(src)]
        else:
            args = ["-i", str(src)]
        has_audio = info is not None and info.has_audio
        if not has_audio:
            args += _silence(samples)
        args += ["-map", "0:v:0", "-map", "0:a:0" if has_audio else "1:a:0"]
        if copy:
            args += ["-c:v", "copy"]
        else:
            args += ["-filter:v", _picture_filter(p, t, frames), *_encoder_args(p)]
        if has_audio:
            assert info is not None
            args += ["-filter:a", _audio_filter(p, t, info.fps or Fraction(p.fps), samples)]
        args += ["-frames:v", str(frames), *_audio_args(p), *_mux_args(p, tmp)]
        run_ffmpeg(args, output=out)
        got = probe(tmp)
        if got.frames != frames or avcc(tmp) != reference:
            # A bug or an ffmpeg that encodes differently: refuse a clip that would corrupt a stream copy.
            raise MediaError(
                f"Normalising {src} gave {got.frames} frames (expected {frames}) or different H.264 parameters; "
                "the clip was not cached.",
                zh=f"规范化 {src} 得到 {got.frames} 帧（应为 {frames}）或 H.264 参数不一致；未写入缓存。",
                path=str(src),
            )
    return copy
