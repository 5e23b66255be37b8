"""External programs (ffmpeg, espeak-ng): a path from an environment variable, or the one on PATH."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from storyreel.errors import MediaError


def program_from_env(env_var: str) -> str | None:
    """The program ``env_var`` names (a path or a name on PATH), or None when the variable is unset.

    An explicit setting that is wrong fails loudly: silently falling back would hide the typo.
    """
    override = os.environ.get(env_var)
    if not override:
        return None
    path = Path(override).expanduser()
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    found = shutil.which(override)
    if found:
        return found
    raise MediaError(f"{env_var} is set to {override}, which is not an executable file.",
                     zh=f"{env_var} 设置为 {override}，但它不是可执行文件。", variable=env_var)
