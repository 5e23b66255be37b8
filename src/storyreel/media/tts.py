"""Temp dialogue with espeak-ng: offline, free, robotic, and good enough to time a cut and its subtitles.

espeak-ng is a system program (Debian/Ubuntu: ``apt install espeak-ng``), called as a subprocess; nothing is
downloaded. ``STORYREEL_ESPEAK`` names another binary. The text goes in through a file rather than the command line,
so a line that starts with ``-`` is spoken, not read as an option, and no length limit applies.

Voices are espeak-ng's names (``espeak-ng --voices`` lists them): ``cmn`` is Mandarin, ``en`` English,
``en-us``, ``yue`` Cantonese, and variants such as ``en+f3``. Without a voice, text containing Chinese characters
is spoken with ``cmn`` and anything else with ``en``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from storyreel.errors import MediaError
from storyreel.media.files import atomic_target
from storyreel.media.programs import program_from_env
from storyreel.media.textlayout import has_cjk

__all__ = ["ENV_VAR", "default_voice", "espeak_exe", "speak"]

ENV_VAR = "STORYREEL_ESPEAK"

INSTALL_HINT = (
    "espeak-ng is needed for temp dialogue ([sound] dialogue = \"tts\") but was not found. Install it "
    "(Debian/Ubuntu: sudo apt install espeak-ng; macOS: brew install espeak-ng), set STORYREEL_ESPEAK to its path, "
    "or set dialogue = \"files\" or \"none\" in film.toml."
)
INSTALL_HINT_ZH = (
    "临时对白（[sound] dialogue = \"tts\"）需要 espeak-ng，但没有找到。请安装（Debian/Ubuntu：sudo apt install "
    "espeak-ng；macOS：brew install espeak-ng），或将 STORYREEL_ESPEAK 设为它的路径，或在 film.toml 中把 dialogue "
    "设为 \"files\" 或 \"none\"。"
)


def espeak_exe() -> str:
    """Path of the espeak-ng binary. Raises ``MediaError`` saying how to install it when there is none."""
    chosen = program_from_env(ENV_VAR)
    if chosen:
        return chosen
    found = shutil.which("espeak-ng")
    if found:
        return found
    raise MediaError(INSTALL_HINT, zh=INSTALL_HINT_ZH)


def default_voice(text: str) -> str:
    """The voice for ``text`` when none is configured: Mandarin for Chinese text, English otherwise."""
    return "cmn" if has_cjk(text) else "en"


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def speak(text: str, voice: str | None, out_wav: Path) -> float:
    """Speak ``text`` with espeak-ng ``voice`` (``None``: ``default_voice(text)``) into ``out_wav``; return seconds.

    The WAV is espeak-ng's own format (mono 16-bit, 22.05 kHz); the mixer resamples it. It is written atomically.
    """
    text = text.strip()
    if not text:
        raise ValueError("speak() needs some text")
    voice = voice or default_voice(text)
    exe = espeak_exe()
    out_wav = Path(out_wav)
    with tempfile.TemporaryDirectory(prefix="storyreel-tts-") as tmp:
        script = Path(tmp) / "line.txt"
        script.write_text(text, encoding="utf-8")
        with atomic_target(out_wav) as part:
            try:
                proc = subprocess.run([exe, "-v", voice, "-b", "1", "-f", str(script), "-w", str(part)],
                                      check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                      encoding="utf-8", errors="replace", timeout=300)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise MediaError(f"Could not run espeak-ng ({exe}): {exc}.",
                                 zh=f"无法运行 espeak-ng（{exe}）：{exc}。") from None
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            if proc.returncode != 0 or part.stat().st_size == 0:
                why = detail[-1] if detail else f"exit code {proc.returncode}"
                if "voice does not exist" in why.lower():
                    raise MediaError(
                        f"espeak-ng has no voice '{voice}'. See `espeak-ng --voices` for the names "
                        f"(cmn = Mandarin, en = English) and fix [sound.voices] in film.toml.",
                        zh=f"espeak-ng 没有名为 '{voice}' 的声音。用 `espeak-ng --voices` 查看可用名称"
                           f"（cmn = 普通话，en = 英语），并修改 film.toml 中的 [sound.voices]。",
                        voice=voice,
                    )
                raise MediaError(f"espeak-ng could not speak the line {text[:40]!r}: {why}",
                                 zh=f"espeak-ng 无法朗读台词 {text[:40]!r}：{why}", voice=voice)
            seconds = _wav_seconds(part)
    return seconds
