"""Find and run the ffmpeg command-line tool, turning its failures into errors a director can read.

PyAV (no libass, no text filters) cannot burn subtitles, so assembly and burn-in go through the ffmpeg binary.
We prefer, in order: ``STORYREEL_FFMPEG`` (an explicit choice always wins), an ``ffmpeg`` on ``PATH`` (a system
build usually ships ffprobe and fontconfig set up for the machine), then the static build inside the
``imageio-ffmpeg`` wheel, so a bare ``pip install`` still works.

``run_ffmpeg`` never lets a traceback or a screen of ffmpeg log reach the user: a full disk, a file-size limit
or a read-only folder becomes ``OutputNotWritable`` naming the output; anything else becomes ``MediaError`` with
the last line of ffmpeg's stderr that says something.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from storyreel.errors import MediaError
from storyreel.media.files import not_writable, oserror_not_writable
from storyreel.media.programs import program_from_env

ENV_VAR = "STORYREEL_FFMPEG"

# Tags written both as encoder options (read by older ffmpeg) and through setparams (ffmpeg 8+ takes colour
# properties from the frames and ignores -color_primaries / -color_trc on the command line).
BT709_FILTER = "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv"
BT709_FLAGS = ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv"]


def escape_filter_path(value: str) -> str:
    """Escape ``value`` for use as an option value inside an ffmpeg filtergraph string.

    Two parsers read it, each with backslash escapes: first the filtergraph (where ``[ ] , ; ' \\`` are special),
    then the filter's own option list (where ``: ' \\`` are special). So we escape for the inner level first and
    then escape the result again for the outer one. ``/tmp/it's: 片`` becomes ``/tmp/it\\\\\\'s\\\\: 片``.
    """
    inner = re.sub(r"([\\':])", r"\\\1", value)
    return re.sub(r"([\\'\[\],;])", r"\\\1", inner)


def concat_quote(path: Path) -> str:
    """Quote a path for a concat-demuxer list: single quotes, with ``'`` written as ``'\\''`` (shell-style)."""
    text = str(path)
    if "\n" in text or "\r" in text:
        raise MediaError(
            f"Clip path {text!r} contains a line break, which ffmpeg's concat list cannot hold. Rename the file.",
            zh=f"片段路径 {text!r} 含有换行符，ffmpeg 的拼接列表无法处理。请重命名该文件。",
        )
    return "'" + text.replace("'", "'\\''") + "'"


INSTALL_HINT = (
    "ffmpeg was not found. Install it (Debian/Ubuntu: sudo apt-get install ffmpeg), reinstall storyreel so its "
    "imageio-ffmpeg dependency is present, or set STORYREEL_FFMPEG=/path/to/ffmpeg."
)
INSTALL_HINT_ZH = (
    "找不到 ffmpeg。请安装（Debian/Ubuntu：sudo apt-get install ffmpeg），重新安装 storyreel 以带上 imageio-ffmpeg，"
    "或设置 STORYREEL_FFMPEG=/ffmpeg/路径。"
)

# How many stderr lines we keep: enough to find the real error above ffmpeg's closing summary lines.
_STDERR_TAIL = 64

# Lines ffmpeg prints after the real error; they say that something failed, not what.
# ffmpeg 7+ runs each stage on a thread, and every thread reports the failure again on its way out.
_GENERIC_LINES = re.compile(
    r"^(conversion failed!?|exiting normally.*|error splitting the argument list.*|"
    r"error opening (input|output) files:.*|error opening output file .*|error initializing filters|"
    r"error while filtering.*|error closing logfile.*|"
    r"\[?aborting.*|nothing was written into output file.*|task finished with error code.*|"
    r"terminating thread with return code.*|error sending frames to consumers.*|"
    r"could not open encoder before eof.*|.*error code: -?\d+ \(.*\)|error while processing the decoded data.*)$",
    re.IGNORECASE,
)
# "[out#0/mp4 @ 0x55d…] " — the context prefix ffmpeg puts before log lines; noise for a director.
_LOG_PREFIX = re.compile(r"^(\[[^\]]*@\s*0x[0-9a-f]+\]\s*)+", re.IGNORECASE)

# Messages (from strerror, as ffmpeg prints them) that mean "the output cannot be written".
_DISK_FULL = ("no space left on device", "disk quota exceeded")
_TOO_LARGE = ("file too large",)
_READ_ONLY = ("read-only file system",)
_PERMISSION = ("permission denied", "operation not permitted")


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary to run. Raises ``MediaError`` with an install hint when there is none."""
    chosen = program_from_env(ENV_VAR)
    if chosen:
        return chosen
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    try:
        import imageio_ffmpeg  # imported lazily: only needed when no system ffmpeg exists

        bundled = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError, OSError):
        bundled = None
    if bundled and Path(bundled).is_file():
        return str(bundled)
    raise MediaError(INSTALL_HINT, zh=INSTALL_HINT_ZH)


def check_writable(folder: Path, *, output: Path | None = None) -> None:
    """Fail early, before minutes of encoding, when ``folder`` cannot take a new file.

    We create (and remove) a real file rather than trusting ``os.access``: root passes ``access`` on a chmod-ed
    folder, and ``access`` knows nothing about quotas or a full disk.
    """
    target = output or folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".storyreel-write-check-", dir=folder)
    except OSError as exc:
        raise oserror_not_writable(exc, target) from None
    try:
        os.close(fd)
    finally:
        try:
            os.unlink(probe)
        except OSError:
            pass


def classify_stderr(lines: Iterable[str], output: Path) -> MediaError | None:
    """An ``OutputNotWritable`` when ffmpeg's log says the output could not be written, else ``None``."""
    out_str = str(output)
    for line in lines:
        low = line.lower()
        if any(m in low for m in _DISK_FULL):
            return not_writable(output, "full")
        if any(m in low for m in _TOO_LARGE):
            return not_writable(output, "too_large")
        # Read-only / permission errors may concern an *input* too (an unreadable clip); only blame the output
        # when the line is about the output (ffmpeg tags those "out#N" or says "output").
        about_output = "out#" in low or "output" in low or out_str.lower() in low
        if about_output and any(m in low for m in _READ_ONLY):
            return not_writable(output, "read_only")
        if about_output and any(m in low for m in _PERMISSION):
            return not_writable(output, "denied")
    return None


def _meaningful(lines: Iterable[str]) -> list[str]:
    cleaned = [_LOG_PREFIX.sub("", line).strip() for line in lines]
    cleaned = [line for line in cleaned if line]
    useful = [line for line in cleaned if not _GENERIC_LINES.match(line)]
    return useful or cleaned[-1:]


def last_meaningful_line(lines: Iterable[str]) -> str | None:
    """The last stderr line that names the problem (skipping ffmpeg's generic closing lines)."""
    useful = _meaningful(lines)
    return useful[-1] if useful else None


def error_summary(lines: Iterable[str]) -> str | None:
    """The last meaningful line, preceded by the one before it when there is one.

    ffmpeg often says *what* failed on one line and *why* on the line before ("Error setting preset bogus" then
    "Error while opening encoder"), so one line alone is often a riddle.
    """
    useful = _meaningful(lines)
    if not useful:
        return None
    tail = list(dict.fromkeys(useful[-2:]))  # drop an exact repeat
    return " — ".join(tail)


def _collect(stream: Iterable[str], sink: deque[str]) -> None:
    for line in stream:
        sink.append(line.rstrip("\r\n"))


def run_ffmpeg(
    args: list[str],
    *,
    output: Path,
    progress: Callable[[int], None] | None = None,
    total_frames: int | None = None,
) -> None:
    """Run ffmpeg with ``args`` (inputs, filters and the output file; everything after the program name).

    ``output`` is the file the user asked for; errors name it even when ``args`` write to a temporary file.
    ``progress(frame)`` is called as frames are written (read from ``-progress pipe:1``), capped at
    ``total_frames`` when given, and once with ``total_frames`` on success.
    """
    exe = ffmpeg_exe()
    # -nostdin: ffmpeg otherwise reads keystrokes from our terminal (and blocks in the background).
    # -v error: stderr then holds only the errors we translate, not pages of stream info.
    cmd = [exe, "-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats", "-progress", "pipe:1", *args]
    stderr_tail: deque[str] = deque(maxlen=_STDERR_TAIL)
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        raise MediaError(
            f"Could not start ffmpeg ({exe}): {exc.strerror or exc}.",
            zh=f"无法启动 ffmpeg（{exe}）：{exc.strerror or exc}。",
        ) from None
    assert proc.stdout is not None and proc.stderr is not None
    # stderr is drained on a thread so a chatty ffmpeg can never fill the pipe and deadlock us.
    reader = threading.Thread(target=_collect, args=(proc.stderr, stderr_tail), daemon=True)
    reader.start()
    last_frame = -1
    try:
        for line in proc.stdout:
            key, _, value = line.strip().partition("=")
            if key != "frame" or progress is None:
                continue
            try:
                frame = int(value)
            except ValueError:
                continue
            if total_frames is not None:
                frame = min(frame, total_frames)
            if frame != last_frame:
                last_frame = frame
                progress(frame)
        returncode = proc.wait()
    finally:
        # Interrupted (Ctrl-C, an exception in the progress callback): do not leave ffmpeg writing behind us.
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
        proc.stdout.close()
        proc.stderr.close()
    if returncode == 0:
        if progress is not None and total_frames is not None and last_frame != total_frames:
            progress(total_frames)
        return
    if returncode == -getattr(signal, "SIGXFSZ", -1):
        # The kernel kills a process that writes past RLIMIT_FSIZE (Popen restores SIGXFSZ to its default in
        # the child, so ffmpeg never sees EFBIG): the output outgrew what this system lets us write.
        raise not_writable(output, "too_large")
    lines = list(stderr_tail)
    translated = classify_stderr(lines, output)
    if translated is not None:
        raise translated
    detail = error_summary(lines)
    if detail is None:
        detail = f"ffmpeg was stopped by signal {-returncode}" if returncode < 0 else f"exit code {returncode}"
    raise MediaError(
        f"ffmpeg failed while writing {output}: {detail}",
        zh=f"ffmpeg 写入 {output} 时失败：{detail}",
        path=str(output),
        returncode=returncode,
    )
