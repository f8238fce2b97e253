#!/usr/bin/env bash
# Set up hipform on a fresh machine: system packages (when root and missing), a venv in
# .venv with hipform installed editable plus its test/benchmark extras.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v sox >/dev/null 2>&1 || need+=(sox)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v xdotool >/dev/null 2>&1 || need+=(xdotool)
command -v import >/dev/null 2>&1 || need+=(imagemagick)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing system packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: optional system packages missing (${need[*]}); the tests that need them will skip" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,ray]'
.venv/bin/python -c "import hipform, mediapipe, cv2; print('setup: hipform', hipform.__version__, '| mediapipe', mediapipe.__version__, '| opencv', cv2.__version__)"
