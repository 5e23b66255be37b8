"""Join normalised clips into a preview by stream copy, with the dialogue as a soft (mov_text) subtitle track.

Why a packet-level remux in PyAV and not ffmpeg's concat demuxer: the concat demuxer offsets each file by its
container start time, which AAC priming makes negative (−1024 samples), and it copies every clip's priming and
end-padding packets. Players that play audio packets back to back then drift by ~20–40 ms per cut (more than a
second after sixty shots). Here every packet is placed by arithmetic instead:

- video: clip k's packets are shifted so its first frame lands exactly on its record frame (all clips share one
  time base, so this is an integer offset; nothing is rounded);
- audio: each clip's priming packet is dropped (only the first clip keeps it, so the file gets one edit list) and
  packets are laid end to end, taking or leaving each clip's last packet (or adding a silent one) so the running
  total stays within half a packet (~10.7 ms) of the picture at every cut: the error never accumulates;
- subtitles: one mov_text sample per cue, timed with the same flooring rule as the SRT.

The result is checked afterwards: the exact frame count, and a keyframe at every clip's first frame.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from storyreel.errors import MediaError
from storyreel.media.ffmpeg import run_ffmpeg
from storyreel.media.files import atomic_target, atomic_write_text
from storyreel.media.normalise import AUDIO_FRAME, AUDIO_RATE, avcc
from storyreel.media.subtitles import Cue, cue_text, frame_to_ms, srt_text

__all__ = ["Segment", "concat_copy", "keyframe_starts", "silent_packet"]


@dataclass(frozen=True)
class Segment:
    path: Path  # a normalised clip (media.normalise) of exactly ``frames`` frames
    frames: int


def _bad(path: Path, what: str, zh: str) -> MediaError:
    return MediaError(f"Cannot stream-copy {path}: {what}. Normalise it again (delete it from the cache).",
                      zh=f"无法直接拼接 {path}：{zh}。请重新规范化（从缓存中删除它）。", path=str(path))


def silent_packet(reference: Path) -> bytes:
    """One AAC packet of silence from the middle of the reference clip (past the encoder's warm-up)."""
    with av.open(str(reference)) as c:
        packets = [bytes(p) for p in c.demux(c.streams.audio[0]) if p.size]
    if len(packets) < 3:
        raise _bad(reference, "its audio track is too short", "其音轨太短")
    return packets[len(packets) // 2]


def _mov_text_template(workdir: Path) -> Path:
    """A subtitle-only MP4 whose mov_text stream we copy (PyAV cannot open the mov_text encoder itself)."""
    srt = workdir / "template.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\n.\n\n", "utf-8")
    out = workdir / "template.mp4"
    run_ffmpeg(["-i", str(srt), "-c:s", "mov_text", "-f", "mp4", str(out)], output=out)
    return out


def _mov_text_sample(text: str) -> bytes:
    data = text.encode("utf-8")[:65535]
    return struct.pack(">H", len(data)) + data


def concat_copy(
    segments: Sequence[Segment],
    cues: Sequence[Cue],
    *,
    out: Path,
    srt: Path,
    fps: int,
    silence: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write ``segments`` end to end to ``out`` (MP4, +faststart) and ``cues`` to ``srt``; returns the frames.

    Every segment must carry the same H.264 parameter sets and an AAC 48 kHz track; ``silence`` is one silent
    AAC packet of the same encoder settings, used where a clip's audio falls short of its picture.
    """
    if not segments:
        raise MediaError("The cut has no clips to preview.", zh="剪辑中没有可预览的片段。")
    total = sum(s.frames for s in segments)
    reference = avcc(segments[0].path)
    with tempfile.TemporaryDirectory(prefix="storyreel-preview-") as work, atomic_target(Path(out)) as tmp:
        template = av.open(str(_mov_text_template(Path(work)))) if cues else None
        first = av.open(str(segments[0].path))
        try:
            v_in, a_in = first.streams.video[0], first.streams.audio[0]
            timescale = Fraction(v_in.time_base).denominator  # keep the clips' time base: offsets stay integers
            with av.open(str(tmp), "w", format="mp4", options={
                    "movflags": "+faststart", "video_track_timescale": str(timescale)}) as dst:
                v_out = dst.add_stream_from_template(v_in)
                a_out = dst.add_stream_from_template(a_in)
                s_out = dst.add_stream_from_template(template.streams.subtitles[0]) if template else None
                _copy_segments(dst, segments, v_out, a_out, fps=fps, time_base=Fraction(v_in.time_base),
                               reference=reference, silence=silence,
                               progress=(lambda done: progress(done, total)) if progress else None)
                if s_out is not None:
                    _write_cues(dst, s_out, cues, fps)
        finally:
            first.close()
            if template is not None:
                template.close()
        _verify(tmp, segments, fps, out)
    atomic_write_text(srt, srt_text(cues, fps))
    return total


def _copy_segments(dst: av.container.OutputContainer, segments: Sequence[Segment], v_out: av.VideoStream,
                   a_out: av.AudioStream, *, fps: int, time_base: Fraction, reference: bytes, silence: bytes,
                   progress: Callable[[int], None] | None) -> None:
    record = 0  # first frame of the current segment in the cut
    emitted = 0  # audio packets written after the first clip's priming packet
    for seg in segments:
        with av.open(str(seg.path)) as src:
            if not src.streams.video or not src.streams.audio:
                raise _bad(seg.path, "it lacks a video or an audio track", "缺少视频或音频轨")
            v, a = src.streams.video[0], src.streams.audio[0]
            if bytes(v.codec_context.extradata or b"") != reference:
                raise _bad(seg.path, "its H.264 parameters differ from the first clip's", "其 H.264 参数与第一个片段不同")
            if a.codec_context.sample_rate != AUDIO_RATE or a.codec_context.name != "aac":
                raise _bad(seg.path, "its audio is not AAC 48 kHz", "其音频不是 AAC 48 kHz")
            if Fraction(v.time_base) != time_base or time_base.denominator % fps:
                raise _bad(seg.path, f"its time base {v.time_base} differs from {time_base}",
                           f"其时间基 {v.time_base} 与 {time_base} 不同")
            ticks = time_base.denominator // fps
            shift = record * ticks - (v.start_time or 0)
            end_samples = round(Fraction((record + seg.frames) * AUDIO_RATE, fps))
            want = round(Fraction(end_samples, AUDIO_FRAME))  # audio packets the cut should have by this clip's end
            for packet in src.demux(v, a):
                if not packet.size:
                    continue
                if packet.stream.type == "video":
                    packet.pts += shift
                    packet.dts += shift
                    packet.stream = v_out
                    dst.mux(packet)
                    continue
                if packet.pts is not None and packet.pts < 0:
                    if record:
                        continue  # a later clip's priming packet: its warm-up would be heard as a click
                    packet.stream = a_out  # the first clip's priming stays: it becomes the file's edit list
                    dst.mux(packet)
                    continue
                if emitted >= want:
                    continue  # the clip's padded last packet, when the running total is already ahead
                packet.pts = packet.dts = emitted * AUDIO_FRAME
                packet.duration = AUDIO_FRAME
                packet.stream = a_out
                dst.mux(packet)
                emitted += 1
            while emitted < want:
                pad = av.Packet(silence)
                pad.stream = a_out
                pad.time_base = a_out.time_base
                pad.pts = pad.dts = emitted * AUDIO_FRAME
                pad.duration = AUDIO_FRAME
                dst.mux(pad)
                emitted += 1
        record += seg.frames
        if progress is not None:
            progress(record)


def _write_cues(dst: av.container.OutputContainer, stream: av.stream.Stream, cues: Sequence[Cue], fps: int) -> None:
    tb = Fraction(stream.time_base)
    for cue in sorted(cues, key=lambda c: (c.start_frame, c.end_frame)):
        start = Fraction(frame_to_ms(cue.start_frame, fps), 1000)
        end = Fraction(frame_to_ms(cue.end_frame, fps), 1000)
        packet = av.Packet(_mov_text_sample(cue_text(cue)))
        packet.stream = stream
        packet.time_base = stream.time_base
        packet.pts = packet.dts = round(start / tb)
        packet.duration = max(1, round((end - start) / tb))
        dst.mux(packet)


def keyframe_starts(path: Path, fps: int) -> tuple[int, set[int]]:
    """(video frames, frame indices of keyframes) by demuxing only: fast enough to check every preview."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        tb = Fraction(v.time_base)
        start = v.start_time or 0
        frames, keys = 0, set()
        for p in c.demux(v):
            if not p.size:
                continue
            frames += 1
            if p.is_keyframe and p.pts is not None:
                keys.add(round((p.pts - start) * tb * fps))
    return frames, keys


def _verify(tmp: Path, segments: Sequence[Segment], fps: int, out: Path) -> None:
    frames, keys = keyframe_starts(tmp, fps)
    total = sum(s.frames for s in segments)
    starts, pos = [], 0
    for seg in segments:
        starts.append(pos)
        pos += seg.frames
    missing = [s for s in starts if s not in keys]
    if frames != total or missing:
        raise MediaError(
            f"The preview has {frames} frames (expected {total})"
            + (f"; clips do not start on frames {missing[:5]}" if missing else "") + "; the previous one was kept.",
            zh=f"预览有 {frames} 帧（应为 {total}）" + (f"；片段未从第 {missing[:5]} 帧开始" if missing else "")
            + "；已保留之前的预览。",
            path=str(out),
        )
