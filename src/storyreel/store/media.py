"""The content-addressed media store: ``.storyreel/media/ab/<sha256>.<ext>``.

Files are copied in through a temporary name and renamed only after their hash is verified, so a crash or a full
disk never leaves a truncated file under a real name. Stored files are never modified or deleted by storyreel.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from storyreel.errors import MediaError, OutputNotWritable

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._dirs: set[Path] = set()  # shard folders known to exist: a mkdir per add costs more than the hash

    def path_for(self, sha: str, ext: str) -> Path:
        return self.root / sha[:2] / f"{sha}.{ext.lstrip('.')}"

    def add(self, src: Path, *, ext: str | None = None, move: bool = False) -> tuple[str, Path]:
        """Copy ``src`` in; returns (sha256, stored path). Adding the same content twice stores it once.

        ``move=True`` is for scratch files the caller no longer needs (a fresh download): on the same file system
        the file is renamed into place — one read to hash it instead of a copy and a second hash."""
        ext = (ext or src.suffix.lstrip(".") or "bin").lower()
        sha = sha256_file(src)
        dst = self.path_for(sha, ext)
        if dst.exists() and dst.stat().st_size == src.stat().st_size:
            return sha, dst
        tmp = dst.with_name(f".{dst.name}.{os.getpid()}.part")
        try:
            if dst.parent not in self._dirs:
                dst.parent.mkdir(parents=True, exist_ok=True)
                self._dirs.add(dst.parent)
            if move:
                try:
                    os.replace(src, dst)  # atomic, and the bytes hashed are the bytes stored
                    return sha, dst
                except OSError:
                    pass  # another file system: copy and verify below
            shutil.copyfile(src, tmp)
            if sha256_file(tmp) != sha:
                raise MediaError(f"Copy of {src} into the media store is corrupt (hash mismatch).",
                                 zh=f"{src} 复制到素材库后校验失败（哈希不一致）。")
            os.replace(tmp, dst)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise OutputNotWritable(f"Cannot write to the media store {self.root}: {exc.strerror or exc}.",
                                    zh=f"无法写入素材库 {self.root}：{exc.strerror or exc}。") from exc
        return sha, dst

    def verify(self, sha: str, ext: str) -> bool:
        p = self.path_for(sha, ext)
        return p.is_file() and sha256_file(p) == sha
