"""Motion generators: faults of the requested size in the truth measures, reps, phases,
rigid bones, planted feet, quiet stance."""

from __future__ import annotations

import numpy as np
import pytest

from hipform.synth.body import J, two_bone_ik
from hipform.synth.clip import ClipRenderer, ClipSpec
from hipform.synth.motion import MotionParams, generate


def _truth(**kw) -> tuple[ClipRenderer, dict]:
    kw.setdefault("reps", 2)
    cr = ClipRenderer(ClipSpec("t", MotionParams(**kw)))
    return cr, cr.truth()


def _at_bottoms(truth: dict, measure: str, side: str | None = None) -> np.ndarray:
    m = truth["frames"]["metrics"][measure]
    v = np.asarray(m[side] if side else m, float)
    return v[[r["bottom_frame"] for r in truth["reps"]]]


@pytest.mark.parametrize("side", ["left", "right"])
def test_faulty_sls_hits_valgus_and_hip_drop_in_truth(side: str) -> None:
    _, tr = _truth(exercise="single_leg_squat", side=side, valgus=15.0, hip_drop=6.0, depth=65)
    assert np.allclose(_at_bottoms(tr, "knee_valgus", side), 15.0, atol=1.0)
    assert np.allclose(_at_bottoms(tr, "hip_drop", side), 6.0, atol=1.0)
    other = "right" if side == "left" else "left"
    # the free leg is not the one being measured; the stance knee flexes to the depth
    assert np.allclose(_at_bottoms(tr, "knee_flexion", side), 65.0, atol=3.0)
    assert tr["stance_side"] == side
    faults = {f["code"]: f for f in tr["reps"][0]["faults"]}
    assert faults["knee_valgus"]["side"] == side and faults["knee_valgus"]["size"] == 15.0
    assert faults["hip_drop"]["drop_side"] == other


def test_clean_sls_stays_clean_in_truth() -> None:
    _, tr = _truth(exercise="single_leg_squat", side="left", depth=65)
    v = np.asarray(tr["frames"]["metrics"]["knee_valgus"]["left"], float)
    d = np.asarray(tr["frames"]["metrics"]["hip_drop"]["left"], float)
    assert np.nanmax(np.abs(v)) < 3.0
    assert np.nanmax(np.abs(d)) < 2.0
    assert tr["reps"][0]["faults"] == []


@pytest.mark.parametrize("size", [0.0, 15.0, 25.0])
def test_bridge_lumbar_extension_at_top(size: float) -> None:
    _, tr = _truth(exercise="bridge", lumbar=size, side="right")
    assert np.allclose(_at_bottoms(tr, "lumbar_extension"), size, atol=1.0)
    # lying flat between reps: hips well below the shoulder-knee line
    lum = np.asarray(tr["frames"]["metrics"]["lumbar_extension"], float)
    assert lum[0] < size - 20


def test_stepdown_hip_drop_and_heel_reaches_floor() -> None:
    cr, tr = _truth(exercise="step_down", side="left", depth=0.15, hip_drop=8.0)
    assert np.allclose(_at_bottoms(tr, "hip_drop", "left"), 8.0, atol=1.0)
    heel = cr.motion.skeleton.j("r_heel")
    bottoms = [r.bottom for r in cr.motion.reps]
    assert np.allclose(heel[bottoms, 1], 0.02, atol=0.012)  # clean tap: 2 cm clearance
    # the stance foot stays on the 15 cm step
    assert np.allclose(cr.motion.skeleton.j("l_heel")[:, 1], 0.15, atol=0.01)


def test_stepdown_touchdown_fault() -> None:
    cr, tr = _truth(exercise="step_down", side="right", depth=0.15, touchdown_s=0.4)
    heel = cr.motion.skeleton.j("l_heel")[:, 1]
    assert heel.min() < 0.005
    assert any(f["code"] == "foot_touchdown" and f["side"] == "left"
               for f in tr["reps"][0]["faults"])


def test_trunk_lean_and_arm_strategy() -> None:
    cr, tr = _truth(exercise="single_leg_squat", side="right", trunk_lean=12.0,
                    arm_abduction=50.0)
    lean = _at_bottoms(tr, "trunk_lean_frontal", "right")
    assert np.all(lean > 8.0)
    sk = cr.motion.skeleton
    b = cr.motion.reps[0].bottom
    span_bottom = abs(sk.j("l_wrist")[b, 0] - sk.j("r_wrist")[b, 0])
    span_top = abs(sk.j("l_wrist")[0, 0] - sk.j("r_wrist")[0, 0])
    assert span_bottom > span_top + 0.3


@pytest.mark.parametrize("exercise", ["single_leg_squat", "step_down", "bridge"])
def test_reps_phases_tempo(exercise: str) -> None:
    tempo = (1.0, 0.5, 0.8)
    p = MotionParams(exercise=exercise, reps=3, tempo=tempo,
                     depth=0.15 if exercise == "step_down" else 60)
    m = generate(p)
    assert len(m.reps) == 3
    fps = p.fps
    for r in m.reps:
        assert r.start < r.bottom < r.end
        assert (r.end - r.start) / fps == pytest.approx(sum(tempo), abs=2 / fps)
        assert m.depth[r.bottom] == pytest.approx(1.0)
        first = "up" if exercise == "bridge" else "down"
        assert m.phase[r.start] == first and m.phase[r.bottom] == "hold"
    assert m.depth[0] == 0.0


@pytest.mark.parametrize("exercise", ["single_leg_squat", "step_down", "bridge"])
def test_bones_are_rigid_and_stance_foot_planted(exercise: str) -> None:
    m = generate(MotionParams(exercise=exercise, reps=2, valgus=15.0, hip_drop=6.0,
                              lumbar=10.0, depth=0.15 if exercise == "step_down" else 60))
    sk = m.skeleton
    for a, b, length in [("l_hip", "l_knee", m.shape.thigh), ("r_knee", "r_ankle", m.shape.shank),
                         ("l_shoulder", "l_elbow", m.shape.upper_arm),
                         ("r_elbow", "r_wrist", m.shape.forearm)]:
        d = np.linalg.norm(sk.j(a) - sk.j(b), axis=-1)
        assert np.allclose(d, length, atol=2e-3), (a, b, d.min(), d.max())
    hips = np.linalg.norm(sk.j("l_hip") - sk.j("r_hip"), axis=-1)
    assert np.allclose(hips, 2 * m.shape.hip_half, atol=1e-6)
    if exercise != "bridge":
        st = "l" if m.params.side == "left" else "r"
        a = sk.j(f"{st}_ankle")
        assert np.ptp(a, axis=0).max() < 1e-9
    assert sk.joints[..., 1].min() > -0.01  # nothing under the floor


def test_quiet_stance_both_feet_down_and_still() -> None:
    m = generate(MotionParams("single_leg_squat", reps=1, quiet_s=1.0))
    a, b = m.quiet
    assert (a, b) == (0, 30)
    sk = m.skeleton
    for n in ("l_heel", "r_heel"):
        assert np.all(sk.j(n)[a:b, 1] < 0.01)
    assert np.ptp(sk.j("pelvis")[a:b], axis=0).max() < 0.02
    assert all(ph == "quiet" for ph in m.phase[a:b])


def test_two_bone_ik_reaches_target_with_pole() -> None:
    root = np.array([[0.0, 1.0, 0.0]])
    tgt = np.array([[0.0, 0.3, 0.1]])
    mid, end = two_bone_ik(root, tgt, 0.42, 0.42, np.array([[0.0, 0.0, 1.0]]))
    assert np.allclose(end, tgt)
    assert np.linalg.norm(mid - root) == pytest.approx(0.42)
    assert np.linalg.norm(end - mid) == pytest.approx(0.42)
    assert mid[0, 2] > 0.1  # bends toward the pole
    assert J["l_hip"] != J["r_hip"]
