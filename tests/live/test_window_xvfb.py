"""The real live window under Xvfb: screenshots of the screen (ImageMagick ``import``)
while ``hipform live`` plays a sample clip must show the overlay -- skeleton pixels and
the cue/guidance box. The best screenshot is kept in test-artifacts/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hipform.report.overlay import FLAG, PANEL, SEVERE, SKELETON

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_videos"
HIPFORM = Path(sys.executable).with_name("hipform")

pytestmark = [pytest.mark.xvfb, pytest.mark.model]


def _clip() -> tuple[Path, str]:
    # the bridge clip cues twice for 2.5 s each in ~10 s: screenshots catch a cue
    for name, ex in (("bridge_arching.mp4", "bridge"), ("sls_faulty.mp4", "single_leg_squat")):
        if (SAMPLES / name).exists():
            return SAMPLES / name, ex
    return SAMPLES / "real_sports2d_demo.mp4", "single_leg_squat"


def _count(img: np.ndarray, bgr: tuple[int, int, int], tol: int = 10) -> int:
    d = np.abs(img.astype(np.int16) - np.array(bgr, np.int16)).max(axis=2)
    return int((d <= tol).sum())


def _crop(img: np.ndarray) -> np.ndarray:
    """The window area: bounding box of non-black pixels of the root screenshot."""
    nz = np.argwhere(img.max(axis=2) > 8)
    if not len(nz):
        return img
    (y0, x0), (y1, x1) = nz.min(0), nz.max(0)
    return img[y0:y1 + 1, x0:x1 + 1]


def _session_shots(display: str, folder: Path, clip: Path, ex: str, backend: str):
    """Run `hipform live` with the window (``backend``) on ``display`` and screenshot the screen
    every ~0.4 s while it runs. Returns (shots, log, returncode); each shot is
    (skeleton pixels, cue-box pixels, window crop BGR)."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DISPLAY=display, HIPFORM_WINDOW=backend)
    cmd = [str(HIPFORM), "live", "--source", str(clip), "--exercise", ex, "--window",
           "--no-save", "--out", str(folder / "out"), "--max-seconds", "20"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    shots: list[tuple[int, int, np.ndarray]] = []
    try:
        k = 0
        while proc.poll() is None and k < 40:
            time.sleep(0.4)
            p = folder / f"shot{k}.png"
            r = subprocess.run(["import", "-display", display, "-window", "root", str(p)],
                               capture_output=True, timeout=20)
            k += 1
            if r.returncode != 0 or not p.exists():
                continue
            img = cv2.imread(str(p))
            win = _crop(img)
            skel = _count(win, SKELETON)
            box = _count(win, FLAG) + _count(win, SEVERE)
            panel = _count(win, PANEL, 3)
            shots.append((skel, min(box, panel), win))
    finally:
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    return shots, (out + err).decode(errors="replace")[-2000:], proc.returncode


@pytest.mark.parametrize("backend", ["x11", "opencv"])
def test_window_shows_skeleton_and_cue(display: str, tmp_path: Path, artifacts: Path,
                                       backend: str):
    import cv2

    if shutil.which("import") is None:
        pytest.skip("ImageMagick `import` not installed")
    clip, ex = _clip()
    shots, log, rc = _session_shots(display, tmp_path / "run1", clip, ex, backend)
    if shots and all(float(s[2].max()) == 0 for s in shots):
        # Seen on a freshly started Xvfb without a window manager: the window is mapped
        # (xwininfo lists it) but the root screenshot stays black for the whole run.
        # A second session on the same display is captured normally.
        shots, log, rc = _session_shots(display, tmp_path / "run2", clip, ex, backend)
    assert shots, f"no screenshot could be taken; hipform said: {log}"
    # the artefact: the latest shot with both (mid-exercise: reps, tempo, a cue)
    k_best = max(range(len(shots)), key=lambda k: (shots[k][0] > 40, shots[k][1] > 300, k))
    skel, box, best = shots[k_best]
    cv2.imwrite(str(artifacts / ("live_window.png" if backend == "x11"
                                  else f"live_window_{backend}.png")), best)
    assert skel > 40, f"no skeleton: {skel} skeleton-colour pixels; hipform said: {log}"
    seen = [(sk, bx) for sk, bx, _ in shots]
    assert box > 300, f"no cue box drawn: (skeleton, cue-box) pixels per shot {seen}; {log}"
    assert best.shape[0] >= 300 and best.shape[1] >= 500, f"window only {best.shape[:2]}"
    # the window stayed open until the clip ended (not closed early, no crash)
    assert rc == 0 and "(end of source)" in log, log
    # ... and it was the backend asked for
    runs = sorted(tmp_path.glob("run*/out/analysis.json"))
    assert json.loads(runs[-1].read_text())["live"]["window"] == backend
    # more than one frame was shown: the picture changes over time
    assert len(shots) >= 3
    assert any(np.abs(s[2].astype(int).mean() - shots[0][2].astype(int).mean()) > 0.5
               or s[2].shape != shots[0][2].shape for s in shots[1:])


def test_display_lost_mid_session_saves_what_was_seen(own_display, tmp_path: Path):
    """The X server going away mid-session (a remote desktop dropped, the display
    manager restarted) ends the session like a closed window: exit 0, the reason said,
    analysis.json written with the frames seen until then."""
    xvfb, name = own_display
    clip, ex = _clip()
    out = tmp_path / "out"
    env = dict(os.environ, DISPLAY=name, HIPFORM_WINDOW="x11")
    cmd = [str(HIPFORM), "live", "--source", str(clip), "--exercise", ex, "--window",
           "--no-save", "--out", str(out), "--max-seconds", "30"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(4.0)  # model loaded, a few seconds of frames shown
        assert proc.poll() is None, proc.communicate()
        xvfb.kill()
        xvfb.wait(5)
        o, e = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    log = (o + e).decode(errors="replace")
    if proc.returncode != 0 and "cannot open the live window" in log:
        pytest.skip(f"the X11 window cannot be used here: {log[-300:]}")
    assert proc.returncode == 0, log[-2000:]
    assert "(display lost)" in log and "connection to the X display broke" in log, log[-2000:]
    a = json.loads((out / "analysis.json").read_text())
    assert a["live"]["stop_reason"] == "display lost"
    assert a["live"]["window"] == "x11"
    assert len(a["frames"]["t_ms"]) > 10
