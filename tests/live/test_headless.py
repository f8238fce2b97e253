"""`hipform live --no-window` end to end (subprocess, real model): the reps and fault
codes it prints agree with `hipform analyze` on the same clip; the session folder
holds the same analysis.json as analyze (raw landmarks scored the same way); Ctrl-C
ends a session cleanly with everything seen so far saved."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hipform.landmarks import Landmarks

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_videos"
HIPFORM = str(Path(sys.executable).with_name("hipform"))
COMPARE = ("sls_faulty.mp4", "stepdown_hipdrop.mp4", "bridge_arching.mp4")

pytestmark = pytest.mark.model


def _clips() -> list[Path]:
    found = [SAMPLES / n for n in COMPARE if (SAMPLES / n).exists()]
    return found or [SAMPLES / "real_sports2d_demo.mp4"]


def _exercise(clip: Path) -> str:
    truth = clip.with_suffix(".truth.json")
    if truth.exists():
        return str(json.loads(truth.read_text())["exercise"])
    return "auto"


def _run(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("DISPLAY", None)  # headless must not need a display
    r = subprocess.run([HIPFORM, *args], capture_output=True, text=True, timeout=timeout,
                       env=env, cwd=ROOT)
    assert r.returncode == 0, f"hipform {' '.join(args)} failed:\n{r.stderr[-3000:]}"
    return r


def _fault_codes(reps: list[dict]) -> set[str]:
    return {f["code"] for r in reps for f in r.get("faults", [])}


@pytest.mark.slow
@pytest.mark.parametrize("clip", _clips(), ids=lambda p: p.stem)
def test_live_agrees_with_analyze(clip: Path, tmp_path: Path):
    ex = _exercise(clip)
    live_out, an_out = tmp_path / "live", tmp_path / "analyze"
    r = _run(["live", "--source", str(clip), "--no-window", "--json", "--no-drop", "--fast",
              "--no-save", "--exercise", ex, "--out", str(live_out)])
    lines = [json.loads(s) for s in r.stdout.splitlines() if s.strip()]
    assert lines and lines[-1]["kind"] == "end", r.stdout[-2000:]
    printed_reps = [ln["rep"] for ln in lines if ln["kind"] == "rep"]
    printed_cues = [ln["cue"] for ln in lines if ln["kind"] == "cue"]
    assert lines[-1]["reps"] == len(printed_reps)
    assert lines[-1]["frames_dropped"] == 0

    _run(["analyze", str(clip), "--out", str(an_out), "--no-video", "--no-report",
          "--no-save", "--exercise", ex])
    offline = json.loads((an_out / "analysis.json").read_text())

    # what live printed (One Euro, frame by frame) == what analyze found (zero-phase)
    assert len(printed_reps) == len(offline["reps"]), (
        f"live printed {len(printed_reps)} reps, analyze found {len(offline['reps'])}")
    assert _fault_codes(printed_reps) == _fault_codes(offline["reps"])
    cue_codes = {c["code"] for c in printed_cues}
    assert _fault_codes(printed_reps) & {"knee_valgus", "hip_drop", "lumbar_arch"} <= (
        cue_codes | _fault_codes(printed_reps))

    # the session folder: raw landmarks identical to analyze's, same scoring
    a_live = json.loads((live_out / "analysis.json").read_text())
    lm_live = Landmarks.load(live_out / "landmarks.npz")
    lm_an = Landmarks.load(an_out / "landmarks.npz")
    assert len(lm_live) == len(lm_an)
    np.testing.assert_array_equal(lm_live.t_ms, lm_an.t_ms)
    np.testing.assert_allclose(lm_live.xyzv, lm_an.xyzv, atol=1e-3, equal_nan=True)
    assert len(a_live["reps"]) == len(offline["reps"])
    assert _fault_codes(a_live["reps"]) == _fault_codes(offline["reps"])
    assert a_live["live"]["frames_processed"] == len(lm_live)
    assert len(a_live["live"]["reps"]) == len(printed_reps)

    truth = clip.with_suffix(".truth.json")
    if truth.exists() and not offline["reps"]:
        n_true = json.loads(truth.read_text())["n_reps"]
        if n_true:  # agreement on zero reps says nothing about live vs offline
            pytest.xfail(f"{clip.name}: the exercise engine found no reps (truth: {n_true}), "
                         "so live/offline agreement was only checked on zero reps")


def test_human_readable_lines(tmp_path: Path):
    clip = _clips()[0]
    r = _run(["live", "--source", str(clip), "--no-window", "--no-drop", "--fast",
              "--no-save", "--exercise", _exercise(clip), "--out", str(tmp_path / "o"),
              "--max-seconds", "60"])
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith("end  (end of source): reps "), last
    assert (tmp_path / "o" / "analysis.json").exists()


def test_ctrl_c_saves_what_was_seen(tmp_path: Path):
    clip = _clips()[0]
    out = tmp_path / "s"
    db = tmp_path / "h.db"
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    p = subprocess.Popen([HIPFORM, "live", "--source", str(clip), "--no-window", "--json",
                          "--exercise", _exercise(clip), "--db", str(db), "--out", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                         cwd=ROOT)
    assert p.stdout is not None
    first = p.stdout.readline()  # the loop is running once it prints
    assert first, p.stderr.read() if p.stderr else ""
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    rest, err = p.communicate(timeout=120)
    assert p.returncode == 0, err[-2000:]
    end = json.loads(rest.strip().splitlines()[-1])
    assert end["kind"] == "end" and end["stop_reason"] == "interrupted"
    a = json.loads((out / "analysis.json").read_text())
    lm = Landmarks.load(out / "landmarks.npz")
    assert 0 < len(lm) == a["live"]["frames_processed"]
    truth = clip.with_suffix(".truth.json")
    if truth.exists():  # interrupted well before the end of the clip
        assert a["live"]["frames_captured"] < json.loads(truth.read_text())["n_frames"]
    assert end["stored"] is not None  # stored in the history database
    from hipform.store import open_store

    with open_store(db) as st:
        sessions = st.list_sessions()
    assert len(sessions) == 1
