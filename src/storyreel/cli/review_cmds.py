"""Review and editing commands: rate, note, reject, lock, the bin, and the edited cut (cutlist)."""

from __future__ import annotations

from storyreel.cli.app import app  # noqa: F401  commands register on the one app
