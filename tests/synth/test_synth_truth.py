"""Truth file schema, rounding, round trips; the bundled truth files are current."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hipform.errors import LandmarksError
from hipform.landmarks import LM, Landmarks
from hipform.synth.clip import ClipRenderer, ClipSpec
from hipform.synth.motion import MotionParams
from hipform.synth.samples import SAMPLES
from hipform.synth.truth import (
    JOINT_LANDMARK,
    MEASURES,
    SCHEMA,
    joint_2d,
    load_truth,
    true_landmarks,
    truth_landmarks,
    write_truth,
)

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_videos"


@pytest.fixture(scope="module")
def sls() -> tuple[ClipRenderer, dict]:
    cr = ClipRenderer(ClipSpec("sls", MotionParams("single_leg_squat", reps=2, valgus=15.0,
                                                   hip_drop=6.0, side="right")))
    return cr, cr.truth()


def test_schema(sls: tuple[ClipRenderer, dict]) -> None:
    cr, tr = sls
    T = len(cr)
    assert tr["schema"] == SCHEMA
    for k in ("clip", "exercise", "view", "stance_side", "fps", "width", "height", "n_frames",
              "params", "body", "camera", "tempo", "quiet_frames", "baseline_obliquity_deg",
              "n_reps", "reps", "faults", "frames"):
        assert k in tr, k
    assert tr["n_frames"] == T and tr["n_reps"] == 2 == len(tr["reps"])
    fr = tr["frames"]
    assert len(fr["t_ms"]) == len(fr["phase"]) == len(fr["view"]) == T
    assert np.asarray(fr["landmarks_2d"]).shape == (T, 33, 2)
    for n, track in fr["joints_3d"].items():
        assert np.asarray(track).shape == (T, 3), n
    for k, paired in MEASURES.items():
        v = fr["metrics"][k]
        if paired:
            assert len(v["left"]) == len(v["right"]) == T
        else:
            assert len(v) == T
    for r in tr["reps"]:
        assert r["start_ms"] < r["bottom_ms"] < r["end_ms"]
        assert {"eccentric_s", "hold_s", "concentric_s", "peak", "faults"} <= set(r)
        assert r["peak"]["knee_valgus"]["right"] == pytest.approx(15.0, abs=1.0)
    assert tr["faults"] == ["hip_drop", "knee_valgus"]


def test_rounding_keeps_files_small(sls: tuple[ClipRenderer, dict], tmp_path: Path) -> None:
    _, tr = sls
    p = tmp_path / "x.truth.json"
    write_truth(tr, p)
    assert not (tmp_path / "x.truth.json.part").exists()
    txt = p.read_text()
    lm = json.loads(txt)["frames"]["landmarks_2d"]
    assert all(abs(round(v, 1) - v) < 1e-9 for v in np.asarray(lm).ravel()[:500])
    assert len(txt) / tr["n_frames"] < 1400  # bytes per frame


def test_landmarks_round_trip(sls: tuple[ClipRenderer, dict]) -> None:
    cr, tr = sls
    lm = truth_landmarks(tr)
    assert isinstance(lm, Landmarks) and len(lm) == len(cr)
    exact = true_landmarks(cr.motion, cr.camera)
    assert np.abs(lm.xy - exact.xy).max() <= 0.05 + 1e-4
    assert np.allclose(joint_2d(tr, "r_knee"), lm.xy[:, LM.RIGHT_KNEE])
    uv = cr.camera.project(cr.motion.skeleton.j("pelvis"))[:, :2]
    assert np.abs(joint_2d(tr, "pelvis") - uv).max() <= 0.05 + 1e-4
    assert JOINT_LANDMARK["l_toe"] == LM.LEFT_FOOT_INDEX


def test_load_truth_rejects_other_json(tmp_path: Path) -> None:
    p = tmp_path / "other.json"
    p.write_text('{"schema": "something/1"}')
    with pytest.raises(LandmarksError, match="other.json"):
        load_truth(p)
    with pytest.raises(LandmarksError, match="missing.json"):
        load_truth(tmp_path / "missing.json")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_bundled_truth_is_current(name: str) -> None:
    """The committed sample truth equals what the generator produces now."""
    path = SAMPLE_DIR / f"{name}.truth.json"
    if not path.exists():
        pytest.skip(f"{path} not generated yet (run `hipform samples`)")
    spec, _ = SAMPLES[name]
    fresh = json.loads(json.dumps(ClipRenderer(spec).truth()))
    stored = load_truth(path)
    hint = f"{path.name} is stale: run `hipform samples --only {name}`"
    assert [r["bottom_ms"] for r in stored["reps"]] == [r["bottom_ms"] for r in fresh["reps"]]
    assert stored["reps"][0]["faults"] == fresh["reps"][0]["faults"], hint
    a = np.asarray(stored["frames"]["landmarks_2d"], float)
    b = np.asarray(fresh["frames"]["landmarks_2d"], float)
    assert a.shape == b.shape and np.abs(a - b).max() <= 0.11, hint
    for k, v in fresh["frames"]["metrics"].items():
        x = np.asarray(v["left"] if isinstance(v, dict) else v, float)
        y = np.asarray(stored["frames"]["metrics"][k]["left"] if isinstance(v, dict)
                       else stored["frames"]["metrics"][k], float)
        assert np.allclose(x, y, atol=0.05, equal_nan=True), f"{k}: {hint}"
