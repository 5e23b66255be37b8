#!/usr/bin/env bash
# Set up storyreel in ./.venv on a fresh Debian/Ubuntu machine (idempotent; re-run any time).
#   bash scripts/setup.sh          runtime only
#   bash scripts/setup.sh --dev    plus the test tools
# System packages: a CJK font (Chinese subtitles and previz captions), fontconfig, espeak-ng (temp dialogue);
# with --dev also Chromium (browser tests). ffmpeg comes from wheels
# (PyAV + imageio-ffmpeg); a system ffmpeg is used instead when present.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"

need_pkgs=()
command -v fc-list >/dev/null 2>&1 || need_pkgs+=(fontconfig)
if ! (command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh family | grep -q .); then
  need_pkgs+=(fonts-noto-cjk)
fi
# Temp dialogue (storyreel render with [sound] dialogue = "tts") speaks through espeak-ng.
command -v espeak-ng >/dev/null 2>&1 || need_pkgs+=(espeak-ng)
# Browser tests drive Debian's Chromium through Playwright (Playwright cannot download its own browsers here).
if [ "${1:-}" = "--dev" ] && ! command -v chromium >/dev/null 2>&1; then
  need_pkgs+=(chromium)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "storyreel setup: installing ${need_pkgs[*]} (apt)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    echo "storyreel setup: please install a CJK font (e.g. Noto Sans CJK) and fontconfig; see README" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"
echo "storyreel setup: ready (.venv/bin/storyreel)"
