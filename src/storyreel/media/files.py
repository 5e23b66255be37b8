"""Write output files atomically, and say in plain words why one could not be written.

A write goes to a hidden temporary file in the target's own folder (same file system, so the final
``os.replace`` is atomic) and is moved onto the real name only when complete: readers never see half a file, and
a failed or interrupted write leaves the previous file as it was and no temporary file behind.

Disk trouble (full disk, read-only folder, no permission, file-size limit, a file where a folder should be) is
raised as ``OutputNotWritable``, naming the path, the cause and what to do, in English and Chinese. Its context
carries ``reason`` (full, too_large, read_only, denied, missing, other) and, for an ``OSError``, ``errno``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from storyreel.errors import OutputNotWritable

__all__ = ["Reason", "atomic_target", "atomic_write_text", "not_writable", "oserror_not_writable"]

Reason = Literal["full", "too_large", "read_only", "denied", "missing", "other"]

# What to do about it, by reason: (English, Chinese).
_ADVICE: dict[Reason, tuple[str, str]] = {
    "full": ("Free some space and try again.", "请腾出空间后重试。"),
    "too_large": ("Free some space or raise the file-size limit and try again.",
                  "请腾出空间或提高文件大小限制后重试。"),
    "read_only": ("Choose another output folder.", "请选择其他输出文件夹。"),
    "denied": ("Check the folder's permissions or choose another output folder.",
               "请检查文件夹权限或选择其他输出文件夹。"),
    "missing": ("Check that the output folder exists and is a folder.", "请确认输出文件夹存在且确实是文件夹。"),
    "other": ("Check the disk and the output folder, then try again.", "请检查磁盘和输出文件夹后重试。"),
}

# What went wrong, by errno: (reason, English, Chinese).
_CAUSES: dict[int, tuple[Reason, str, str]] = {
    errno.ENOSPC: ("full", "the disk is full", "磁盘已满"),
    errno.EDQUOT: ("full", "the disk quota is exceeded", "超出磁盘配额"),
    errno.EFBIG: ("too_large", "the file is too large for this file system or the process's file-size limit",
                  "文件超过了文件系统或进程允许的大小"),
    errno.EROFS: ("read_only", "the folder is on a read-only file system", "该文件夹位于只读文件系统上"),
    errno.EACCES: ("denied", "permission denied", "没有写入权限"),
    errno.EPERM: ("denied", "permission denied", "没有写入权限"),
    errno.ENOENT: ("missing", "the folder does not exist", "文件夹不存在"),
    errno.ENOTDIR: ("missing", "a part of the path is a file, not a folder", "路径中有一部分是文件而不是文件夹"),
    errno.EISDIR: ("missing", "the path is a folder", "该路径是一个文件夹"),
    errno.EEXIST: ("missing", "a file stands where a folder is needed", "需要文件夹的位置上是一个文件"),  # mkdir
}

# The cause to name when only the reason is known (ffmpeg's log says "No space left on device", not an errno).
_TYPICAL_ERRNO: dict[Reason, int] = {
    "full": errno.ENOSPC, "too_large": errno.EFBIG, "read_only": errno.EROFS, "denied": errno.EACCES,
}


# --- errors ----------------------------------------------------------------------------------------------------

def _error(path: Path, reason: Reason, cause: str, zh_cause: str, **context: object) -> OutputNotWritable:
    advice, zh_advice = _ADVICE[reason]
    return OutputNotWritable(
        f"Cannot write {path}: {cause}. {advice}",
        zh=f"无法写入 {path}：{zh_cause}。{zh_advice}",
        path=str(path),
        reason=reason,
        **context,
    )


def not_writable(path: Path, reason: Reason) -> OutputNotWritable:
    """The error for an output that cannot be written, when only the reason is known (from a tool's log)."""
    code = _TYPICAL_ERRNO.get(reason)
    _, cause, zh_cause = _CAUSES[code] if code is not None else (reason, "it could not be written", "写入失败")
    return _error(path, reason, cause, zh_cause)


def oserror_not_writable(exc: OSError, path: Path) -> OutputNotWritable:
    """Translate an ``OSError`` raised while writing ``path`` (or making its folder)."""
    detail = exc.strerror or str(exc)
    reason, cause, zh_cause = _CAUSES.get(exc.errno or 0, ("other", detail, detail))
    return _error(path, reason, cause, zh_cause, errno=exc.errno)


# --- atomic writes ---------------------------------------------------------------------------------------------

def _create_temp(path: Path) -> Path:
    """Create an empty, unique hidden file next to ``path``: ``.film.1a2b3c4d.part.srt`` for ``film.srt``.

    The real suffix stays last so tools that pick a format by extension (Pillow, PyAV) still work on it. Not
    ``mkstemp``: its 0600 mode would stick to the final file; ``os.open`` with 0o666 honours the umask.
    """
    for _ in range(100):
        candidate = path.parent / f".{path.stem}.{secrets.token_hex(4)}.part{path.suffix}"
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return candidate
    raise OSError(errno.EEXIST, "could not create a temporary file", str(path.parent))


def _keep_mode(path: Path, tmp: Path) -> None:
    """Give ``tmp`` the permissions of the file it is about to replace, so a rewrite does not change them.

    Done after the body has written ``tmp`` (a read-only mode would stop the writer). Best effort: some file
    systems (FAT, SMB mounts) refuse chmod, and that is no reason to lose the output.
    """
    with contextlib.suppress(OSError):
        os.chmod(tmp, path.stat().st_mode & 0o7777)


@contextlib.contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it onto ``path``, on any failure delete it.

    Missing folders are created. ``OSError`` from the body or the final move becomes ``OutputNotWritable``;
    other exceptions pass through unchanged.
    """
    path = Path(path)
    tmp: Path | None = None
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = _create_temp(path)
            yield tmp
            _keep_mode(path, tmp)
            os.replace(tmp, path)
            tmp = None
        except OSError as exc:
            raise oserror_not_writable(exc, path) from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` as UTF-8 with ``\\n`` line ends, atomically. Returns ``path``."""
    path = Path(path)
    with atomic_target(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return path
