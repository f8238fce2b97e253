"""Stand-ins injected into batch workers (``BatchOptions.analyze_fn`` / ``estimator_fn``).

``fake_analyze`` checks the clip with the real :func:`hipform.video.probe_video` (so bad
files fail with the real typed errors), then writes an output folder atomically with an
analysis dict derived deterministically from the file's bytes (a few reps with peaks,
tempo, faults, rubric). ``HIPFORM_FAKE_SLEEP`` (seconds) makes each clip take longer,
for the interruption tests.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any


class FakeEstimator:
    name = "fake"
    sha256 = "0" * 64

    def __init__(self) -> None:
        self.closed = False

    def process(self, bgr: Any, t_ms: int) -> Any:  # pragma: no cover - never run
        raise AssertionError("the fake analysis does not run the model")

    def close(self) -> None:
        self.closed = True


def open_fake_estimator(model: Any = None, mode: str = "video") -> FakeEstimator:
    return FakeEstimator()


def fake_analysis(video: Path, exercise: str, side: str | None) -> dict[str, Any]:
    from hipform.video import probe_video

    info = probe_video(video)
    digest = hashlib.sha256(Path(video).read_bytes()).digest()
    n_reps = 1 + digest[0] % 4
    reps = []
    for i in range(n_reps):
        b = digest[1 + 4 * i: 5 + 4 * i]
        faults = []
        if b[0] % 3 == 0:
            faults.append({"code": "knee_valgus", "side": side or "left",
                           "value": 10.0 + b[0] % 10, "severity": "mild"})
        if b[1] % 4 == 0:
            faults.append({"code": "hip_drop", "side": side or "left",
                           "value": 5.0 + b[1] % 5, "severity": "severe"})
        reps.append({
            "index": i, "start_ms": 1000 * i, "bottom_ms": 1000 * i + 400,
            "end_ms": 1000 * i + 900, "eccentric_s": 0.4 + b[2] / 1000,
            "hold_s": 0.1, "concentric_s": 0.5 + b[3] / 1000,
            "peak_knee_valgus": {"left": b[0] / 10.0, "right": b[1] / 20.0},
            "peak_hip_drop": b[1] / 25.0, "peak_lumbar_extension": None,
            "trunk_lean": (b[2] - 128) / 20.0, "faults": faults,
            "rubric": {"total": b[3] % 5},
        })
    return {
        "schema": "hipform.analysis/1",
        "source": {"path": str(video), "fps": info.fps, "frames": info.frames,
                   "width": info.width, "height": info.height, "frames_lost": 0},
        "model": {"name": "fake", "sha256": None},
        "exercise": "single_leg_squat" if exercise == "auto" else exercise,
        "side": side or ("left" if digest[5] % 2 else "right"),
        "view": "frontal",
        "frames": {"t_ms": [], "detected": []},
        "reps": reps, "cues": [],
        "summary": {"reps": n_reps, "rubric_total": sum(r["rubric"]["total"] for r in reps)},
    }


def fake_analyze(video: Any, out_dir: Any, options: Any = None, *, estimator: Any = None,
                 **kw: Any) -> dict[str, Any]:
    """Same signature and output-folder contract as hipform.pipeline.analyze_video."""
    assert estimator is None or isinstance(estimator, FakeEstimator | object)
    out = Path(out_dir)
    analysis = fake_analysis(Path(video), options.exercise, options.side)
    analysis["subject"] = options.subject
    analysis["session"] = options.session
    time.sleep(float(os.environ.get("HIPFORM_FAKE_SLEEP", "0")))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}-{time.monotonic_ns()}")
    tmp.mkdir()
    try:
        (tmp / "analysis.json").write_text(json.dumps(analysis))
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return analysis
