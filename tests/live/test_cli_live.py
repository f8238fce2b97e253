"""`hipform live` usage errors: one line on stderr and a meaningful exit code, before
any model is loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HIPFORM = str(Path(sys.executable).with_name("hipform"))
ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([HIPFORM, "live", *args], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env=env)


def test_missing_camera_is_one_line_exit_1():
    r = _run("--camera", "57", "--no-window", "--no-save")
    assert r.returncode == 1
    assert r.stderr.strip() == "hipform: error: camera 57: cannot be opened (no webcam, or in use)"


def test_no_display_is_one_line_exit_1(tmp_path: Path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    clip = ROOT / "sample_videos" / "real_sports2d_demo.mp4"
    r = _run("--source", str(clip), "--no-save", "--out", str(tmp_path / "o"), env=env)
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("hipform: error: no display") and "--no-window" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_bad_setting_and_bad_usage():
    r = _run("--camera", "57", "--no-window", "--set", "knee_valgus.flag=abc")
    assert r.returncode == 1 and "knee_valgus.flag" in r.stderr  # before opening the camera
    r = _run("--no-drop")
    assert r.returncode == 2 and "--source" in r.stderr
    r = _run("--json")
    assert r.returncode == 2 and "--no-window" in r.stderr
