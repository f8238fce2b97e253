"""Metrics on synthetic landmarks with known geometry, plus invariance properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hipform.core import metrics as metrics_mod
from hipform.core.kinematics import NanReason
from hipform.core.metrics import (
    Metrics,
    View,
    compute_metrics,
    find_quiet_stance,
    find_quiet_stance_baseline,
)
from hipform.landmarks import LM, Landmarks
from tests.core.core_poses import (
    frontal_pose,
    lying_pose,
    mirror,
    sagittal_pose,
    to_landmarks,
)

TOL = 0.1  # degrees
ANGLES = [-25.0, -12.0, -4.0, 0.0, 3.0, 8.0, 15.0, 30.0]


def _m(frames, **kw) -> Metrics:
    kw.setdefault("baseline_obliquity", 0.0)
    return compute_metrics(to_landmarks(frames), **kw)


# ------------------------------------------------------------------ frontal measures
@pytest.mark.parametrize("facing", ["front", "back"])
def test_knee_valgus_grid_both_legs(facing):
    frames, want = [], []
    for a in ANGLES:
        for b in ANGLES[::-1]:
            for scale in (0.6, 1.7):
                frames.append(frontal_pose(facing=facing, valgus=(a, b), scale=scale))
                want.append((a, b))
    m = _m(frames)
    assert np.all(m.view == View.FRONTAL)
    np.testing.assert_allclose(m.knee_valgus, np.array(want), atol=TOL)


@pytest.mark.parametrize("facing", ["front", "back"])
def test_knee_valgus_with_tilted_legs_and_pelvis(facing):
    # the whole leg abducted / adducted must not change the FPPA
    frames, want = [], []
    for a in (-10.0, 0.0, 12.0):
        for tilt in (-8.0, 0.0, 9.0):
            frames.append(frontal_pose(facing=facing, valgus=(a, -a), leg=(tilt, -tilt),
                                       obliquity=tilt / 2))
            want.append((a, -a))
    np.testing.assert_allclose(_m(frames).knee_valgus, np.array(want), atol=TOL)


def test_valgus_sign_means_knee_medial_in_image():
    # facing the camera the subject's left leg is on image-right; valgus = knee toward
    # the image centre line. Back to the camera it is mirrored, the sign is not.
    front = frontal_pose(facing="front", valgus=(15.0, 15.0))
    back = frontal_pose(facing="back", valgus=(15.0, 15.0))
    cx = 640.0
    for pose in (front, back):
        for hip, knee, ank in ((23, 25, 27), (24, 26, 28)):
            line_x = (pose[hip, 0] + pose[ank, 0]) / 2
            assert abs(pose[knee, 0] - cx) < abs(line_x - cx)  # knee nearer the midline
    m = _m([front, back])
    assert np.all(m.knee_valgus > 14.9)


@pytest.mark.parametrize("facing", ["front", "back"])
def test_pelvic_obliquity_and_hip_drop(facing):
    obl = [-12.0, -5.0, -1.0, 0.0, 2.0, 6.5, 14.0]
    m = _m([frontal_pose(facing=facing, obliquity=o) for o in obl], baseline_obliquity=1.5)
    np.testing.assert_allclose(m.pelvic_obliquity, obl, atol=TOL)
    rel = np.array(obl) - 1.5
    np.testing.assert_allclose(m.hip_drop[:, 0], -rel, atol=TOL)
    np.testing.assert_allclose(m.hip_drop[:, 1], rel, atol=TOL)
    assert m.baseline_source == "given" and m.baseline_obliquity == 1.5


def test_obliquity_sign_left_hip_lower():
    p = frontal_pose(obliquity=7.0)
    assert p[LM.LEFT_HIP, 1] > p[LM.RIGHT_HIP, 1]  # left lower in the image (y down)
    m = _m([p])
    assert m.pelvic_obliquity[0] > 0
    # stance on the right leg, left side drops: positive drop in the "stance right" column
    assert m.hip_drop[0, 1] > 0 and m.hip_drop[0, 0] < 0


@pytest.mark.parametrize("facing", ["front", "back"])
def test_trunk_lean_frontal(facing):
    leans = [-20.0, -9.0, 0.0, 4.0, 11.0, 25.0]
    m = _m([frontal_pose(facing=facing, lean=x) for x in leans])
    np.testing.assert_allclose(m.trunk_lean_frontal[:, 0], leans, atol=TOL)
    np.testing.assert_allclose(m.trunk_lean_frontal[:, 1], -np.array(leans), atol=TOL)


# ------------------------------------------------------------------ side views
@pytest.mark.parametrize("facing", [-1, 1])
def test_sagittal_measures_grid(facing):
    frames, want = [], []
    for lean in (-10.0, 0.0, 12.0, 35.0):
        for thigh in (-15.0, 0.0, 40.0, 80.0):
            for knee in (0.0, 25.0, 70.0, 110.0):
                frames.append(sagittal_pose(facing=facing, lean=lean, thigh=thigh, knee=knee))
                want.append((lean, thigh, knee))
    m = _m(frames)
    want = np.array(want)
    expect_view = View.SAGITTAL_LEFT if facing < 0 else View.SAGITTAL_RIGHT
    assert np.all(m.view == expect_view)
    np.testing.assert_allclose(m.trunk_lean_sagittal, want[:, 0], atol=TOL)
    hip = want[:, 0] + want[:, 1]
    np.testing.assert_allclose(m.hip_flexion, np.stack([hip, hip], 1), atol=TOL)
    np.testing.assert_allclose(m.knee_flexion, np.stack([want[:, 2]] * 2, 1), atol=TOL)
    np.testing.assert_allclose(m.lumbar_extension, -hip, atol=TOL)


@pytest.mark.parametrize("head", ["left", "right"])
def test_bridge_lumbar_extension_grid(head):
    ext = [-40.0, -15.0, -2.0, 0.0, 5.0, 12.0, 20.0]
    frames = [lying_pose(head=head, extension=e, trunk=t) for e in ext for t in (10.0, 30.0)]
    m = _m(frames)
    assert np.all(m.view == View.LYING)
    np.testing.assert_allclose(m.lumbar_extension, np.repeat(ext, 2), atol=TOL)
    # the same number as -hip flexion (2-D) on each side
    np.testing.assert_allclose(m.hip_flexion[:, 0], -np.repeat(ext, 2), atol=TOL)


def test_lumbar_uses_visible_side_only():
    p = sagittal_pose(facing=-1, lean=5, thigh=20)
    q = p.copy()
    q[LM.RIGHT_HIP, :2] += [0, 60]  # corrupt the far side, then hide it
    q[[LM.RIGHT_SHOULDER, LM.RIGHT_HIP, LM.RIGHT_KNEE], 3] = 0.1
    m = _m([p, q])
    np.testing.assert_allclose(m.lumbar_extension, [-25.0, -25.0], atol=TOL)


def test_world_flexion_any_view():
    """3-D knee / hip flexion from world landmarks, here in a frontal view."""
    frames, worlds, want = [], [], []
    for hipf in (-10.0, 0.0, 30.0, 75.0):
        for kf in (0.0, 20.0, 60.0):
            w = np.zeros((33, 3), np.float32)
            th, sh = math.radians(hipf), math.radians(hipf - kf)
            for side, (s, h, k, a) in enumerate(((11, 23, 25, 27), (12, 24, 26, 28))):
                x = 0.1 if side == 0 else -0.1  # facing the camera: subject's left = +x
                w[h] = (x, 0.0, 0.0)
                w[s] = (x, -0.5, 0.0)
                # anterior = toward the camera = -z; superior = -y
                w[k] = w[h] + 0.45 * np.array([0, math.cos(th), -math.sin(th)])
                w[a] = w[k] + 0.42 * np.array([0, math.cos(sh), -math.sin(sh)])
            worlds.append(w)
            frames.append(frontal_pose())
            want.append((hipf, kf))
    lm = to_landmarks(frames, world=np.stack(worlds))
    m = compute_metrics(lm, baseline_obliquity=0.0)
    assert m.flexion_3d
    want = np.array(want)
    np.testing.assert_allclose(m.hip_flexion, np.stack([want[:, 0]] * 2, 1), atol=TOL)
    np.testing.assert_allclose(m.knee_flexion, np.stack([want[:, 1]] * 2, 1), atol=TOL)
    m2 = compute_metrics(lm, baseline_obliquity=0.0, use_world=False)
    assert not m2.flexion_3d and np.all(np.isnan(m2.knee_flexion))  # 2-D needs a side view


# ------------------------------------------------------------------ view + gating
def test_view_classifier_labels():
    frames = [
        frontal_pose(facing="front"), frontal_pose(facing="back", scale=0.5),
        sagittal_pose(facing=-1), sagittal_pose(facing=1, lean=30, thigh=60, knee=90),
        lying_pose(head="left"), lying_pose(head="right", trunk=35, extension=10),
    ]
    obl = frontal_pose().copy()
    obl[:, 0] = 640 + (obl[:, 0] - 640) * 0.55  # turned about 55 deg: narrower in the image
    frames.append(obl)
    hidden = frontal_pose()
    hidden[[11, 12, 23, 24], 3] = 0.1
    frames.append(hidden)
    m = _m(frames)
    assert [View(v) for v in m.view] == [
        View.FRONTAL, View.FRONTAL, View.SAGITTAL_LEFT, View.SAGITTAL_RIGHT,
        View.LYING, View.LYING, View.OBLIQUE, View.UNKNOWN,
    ]
    assert np.all((m.view_confidence >= 0) & (m.view_confidence <= 1))
    assert np.all(m.view_confidence[:6] > 0.5)
    assert m.view_confidence[7] == 0


def test_view_gating_nan_with_reason_and_raw_geometry_when_off():
    side = sagittal_pose(facing=-1, thigh=30, knee=40)
    front = frontal_pose(valgus=(10, 10))
    m = _m([side, front])
    assert np.all(np.isnan(m.knee_valgus[0]))
    assert m.nan_reason["knee_valgus"][0, 0] == NanReason.WRONG_VIEW
    assert "view" in m.explain_nan("knee_valgus", 0, 0)
    assert np.isnan(m.lumbar_extension[1]) and np.isnan(m.knee_flexion[1, 0])
    assert m.nan_reason["lumbar_extension"][1] == NanReason.WRONG_VIEW
    assert m.explain_nan("knee_valgus", 1, 0) == "valid"
    raw = _m([side, front], view_gating=False)
    assert np.all(np.isfinite(raw.knee_valgus)) and np.isfinite(raw.knee_flexion[1, 0])
    assert raw.nan_reason["knee_valgus"].max() == 0
    # facing the camera there is no in-plane "anterior": still NaN, but for geometry
    assert np.isnan(raw.lumbar_extension[1])
    assert raw.nan_reason["lumbar_extension"][1] == NanReason.DEGENERATE


def test_nan_reasons_missing_person_and_low_visibility():
    p = frontal_pose(valgus=(5, 5))
    lowk = p.copy()
    lowk[LM.LEFT_KNEE, 3] = 0.3
    empty = np.full((33, 4), np.nan, np.float32)
    m = _m([p, lowk, empty])
    assert np.isfinite(m.knee_valgus[1, 1]) and np.isnan(m.knee_valgus[1, 0])
    assert m.nan_reason["knee_valgus"][1, 0] == NanReason.LOW_VISIBILITY
    assert m.nan_reason["knee_valgus"][2, 0] & NanReason.NO_PERSON
    assert m.view[2] == View.UNKNOWN
    assert "no person" in m.explain_nan("pelvic_obliquity", 2)
    assert "no person" in m.explain_nan("hip_drop", 2, 1)
    # visibility threshold is a parameter
    m2 = _m([lowk], visibility_min=0.2)
    assert np.isfinite(m2.knee_valgus[0, 0])


def test_degenerate_geometry_is_nan_not_zero():
    p = frontal_pose()
    p[LM.LEFT_KNEE, :2] = p[LM.LEFT_HIP, :2]  # zero-length thigh
    m = _m([p, p])
    assert np.isnan(m.knee_valgus[0, 0]) and np.isfinite(m.knee_valgus[0, 1])
    assert m.nan_reason["knee_valgus"][0, 0] == NanReason.DEGENERATE


# ------------------------------------------------------------------ properties
_coord = st.integers(0, 1000)
_pose = st.lists(st.tuples(_coord, _coord, st.integers(-200, 200),
                           st.sampled_from([0.0, 0.3, 0.6, 0.9, 1.0])),
                 min_size=33, max_size=33)
_poses = st.lists(_pose, min_size=2, max_size=4)
FIELDS = ("knee_valgus", "pelvic_obliquity", "hip_drop", "lumbar_extension",
          "trunk_lean_frontal", "trunk_lean_sagittal", "knee_flexion", "hip_flexion",
          "view_confidence")


def _arr(poses) -> np.ndarray:
    return np.array(poses, dtype=np.float32)


def _same(a: np.ndarray, b: np.ndarray, tol: float = 1e-3) -> None:
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    d = np.abs(np.nan_to_num(a) - np.nan_to_num(b))
    d = np.minimum(d, 360.0 - d)  # +180 and -180 are the same angle
    assert d.max(initial=0.0) <= tol


def _lm(x: np.ndarray, width: int = 1280, height: int = 720) -> Landmarks:
    return Landmarks(x, np.arange(len(x), dtype=np.int64) * 33, width, height)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_poses, st.integers(-3000, 3000), st.integers(-3000, 3000),
       st.sampled_from([0.5, 2.0, 4.0]), st.booleans())
def test_translation_and_scale_invariance(poses, dx, dy, s, gating):
    x = _arr(poses)
    y = x.copy()
    y[..., :3] *= s  # z is pixel-scale depth: it scales with the image
    y[..., 0] += dx
    y[..., 1] += dy
    a = compute_metrics(_lm(x), baseline_obliquity=0.0, view_gating=gating)
    b = compute_metrics(_lm(y), baseline_obliquity=0.0, view_gating=gating)
    for f in FIELDS:
        _same(getattr(a, f), getattr(b, f))
    assert np.array_equal(a.view, b.view)


_SWAP_VIEW = np.array([0, 1, 3, 2, 4, 5], np.int8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_poses, st.booleans())
def test_mirror_symmetry(poses, gating):
    """Mirroring the image and swapping BlazePose left/right swaps the columns; the signs
    keep their meaning (valgus stays +, obliquity (left lower) flips)."""
    x = _arr(poses)
    a = compute_metrics(_lm(x), baseline_obliquity=0.0, view_gating=gating)
    b = compute_metrics(_lm(mirror(x, 1280)), baseline_obliquity=0.0, view_gating=gating)
    for f in ("knee_valgus", "hip_drop", "trunk_lean_frontal", "knee_flexion", "hip_flexion"):
        _same(getattr(a, f)[:, ::-1], getattr(b, f))
    _same(a.pelvic_obliquity, -b.pelvic_obliquity)
    _same(a.trunk_lean_sagittal, b.trunk_lean_sagittal)
    _same(a.lumbar_extension, b.lumbar_extension)
    _same(a.view_confidence, b.view_confidence)
    assert np.array_equal(_SWAP_VIEW[a.view], b.view)


def test_mirror_symmetry_on_constructed_poses():
    frames = [frontal_pose(valgus=(12, -4), obliquity=5, lean=7),
              frontal_pose(facing="back", valgus=(-6, 18), obliquity=-3, lean=-9),
              sagittal_pose(facing=-1, lean=10, thigh=30, knee=45)]
    x = np.stack(frames)
    a = compute_metrics(_lm(x), baseline_obliquity=0.0)
    b = compute_metrics(_lm(mirror(x, 1280)), baseline_obliquity=0.0)
    np.testing.assert_allclose(a.knee_valgus[:2], [[12, -4], [-6, 18]], atol=TOL)
    np.testing.assert_allclose(b.knee_valgus[:2], [[-4, 12], [18, -6]], atol=TOL)
    assert a.view[2] == View.SAGITTAL_LEFT
    np.testing.assert_allclose(b.pelvic_obliquity[:2], [-5, 3], atol=TOL)
    assert b.view[2] == View.SAGITTAL_RIGHT
    np.testing.assert_allclose(b.trunk_lean_sagittal[2], 10, atol=TOL)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_pose, st.booleans(), st.booleans(), st.sampled_from([0.3, 0.5, 0.8]))
def test_live_single_frame_path_equals_vector_kernel(pose, gating, with_world, vmin):
    """T = 1 uses a pure-Python twin of the numpy kernel; both must agree."""
    x = _arr([pose])
    rng = np.random.default_rng(len(pose) + int(x.sum()) % 1000)
    world = rng.normal(0, 0.3, (1, 33, 3)).astype(np.float32) if with_world else None
    one = compute_metrics(Landmarks(x, np.zeros(1, np.int64), 1280, 720, world),
                          baseline_obliquity=0.7, view_gating=gating, visibility_min=vmin)
    two = compute_metrics(Landmarks(np.concatenate([x, x]), np.array([0, 33]), 1280, 720,
                                    None if world is None else np.concatenate([world] * 2)),
                          baseline_obliquity=0.7, view_gating=gating, visibility_min=vmin)
    assert np.array_equal(one.view, two.view[:1])
    for f in FIELDS:
        _same(getattr(one, f), getattr(two, f)[:1], tol=2e-3)
    for k, r in one.nan_reason.items():
        assert np.array_equal(r, two.nan_reason[k][:1]), k


def test_live_path_on_constructed_poses():
    for p in (frontal_pose(valgus=(9, -3), obliquity=2, lean=4), sagittal_pose(lean=9),
              lying_pose(extension=6)):
        one = _m([p])
        two = _m([p, p])
        for f in FIELDS:
            _same(getattr(one, f), getattr(two, f)[:1], tol=2e-3)
        assert one.view[0] == two.view[0]


def test_live_path_nan_rows_match_vector_kernel():
    empty = np.full((33, 4), np.nan, np.float32)
    partial = frontal_pose(valgus=(5, 5))
    partial[[LM.LEFT_KNEE, LM.NOSE, LM.LEFT_EAR]] = np.nan  # e.g. after gap filling
    for row, world in ((empty, None), (partial, None),
                       (partial, np.full((1, 33, 3), np.nan, np.float32))):
        lm1 = Landmarks(row[None], np.zeros(1, np.int64), 1280, 720, world)
        lm2 = Landmarks(np.stack([row, row]), np.array([0, 33]), 1280, 720,
                        None if world is None else np.concatenate([world] * 2))
        one = compute_metrics(lm1, baseline_obliquity=0.0)
        two = compute_metrics(lm2, baseline_obliquity=0.0)
        assert one.view[0] == two.view[0]
        for f in FIELDS:
            _same(getattr(one, f), getattr(two, f)[:1])
        for k, r in one.nan_reason.items():
            assert np.array_equal(r, two.nan_reason[k][:1]), k
    assert one.nan_reason["knee_valgus"][0, 0] & NanReason.LOW_VISIBILITY


def test_metrics_pickle_round_trip():
    import pickle

    m = _m([frontal_pose(valgus=(6, 1)), sagittal_pose()])
    m2 = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(m2.knee_valgus, m.knee_valgus)
    np.testing.assert_array_equal(m2.nan_reason["knee_valgus"], m.nan_reason["knee_valgus"])


def test_chunked_equals_single_pass(monkeypatch):
    rng = np.random.default_rng(1)
    base = np.stack([frontal_pose(valgus=(6, 2)), sagittal_pose(), lying_pose()])
    x = base[rng.integers(0, 3, 200)] + rng.normal(0, 3, (200, 33, 4)).astype(np.float32)
    x[..., 3] = np.clip(x[..., 3], 0, 1)
    x[17] = np.nan
    lm = _lm(x)
    a = compute_metrics(lm)
    monkeypatch.setattr(metrics_mod, "CHUNK", 7)
    b = compute_metrics(lm)
    for f in FIELDS + ("view",):
        _same(getattr(a, f), getattr(b, f), tol=0.0)
    for k in a.nan_reason:
        assert np.array_equal(a.nan_reason[k], b.nan_reason[k])


# ------------------------------------------------------------------ baseline
def _stance_then_squat(fps=30.0, quiet_s=2.0, base=2.0, seed=0):
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(int(quiet_s * fps)):
        p = frontal_pose(obliquity=base)
        p[:, :2] += rng.normal(0, 0.5, (33, 2))
        frames.append(p)
    for i in range(90):  # single-leg squat: pelvis drops and rises
        ph = math.sin(math.pi * i / 45.0)
        p = frontal_pose(obliquity=base - 8 * abs(ph), valgus=(0, 12 * abs(ph)),
                         cx=640 + 20 * ph, cy=400 + 60 * abs(ph))
        p[LM.LEFT_ANKLE, 1] -= 80 * abs(ph)  # left foot lifted
        frames.append(p)
    return to_landmarks(frames, fps=fps)


def test_quiet_stance_baseline_found():
    lm = _stance_then_squat(base=2.0)
    b = find_quiet_stance_baseline(lm)
    assert abs(b - 2.0) < 0.2
    m = compute_metrics(lm)
    assert m.baseline_source == "quiet_stance" and abs(m.baseline_obliquity - 2.0) < 0.2
    s, e = m.baseline_window
    assert e <= 60 and e - s >= 14
    np.testing.assert_allclose(m.hip_drop[:, 1], m.pelvic_obliquity - m.baseline_obliquity,
                               atol=1e-4)
    assert find_quiet_stance(lm) == (m.baseline_obliquity, m.baseline_window)


def test_no_quiet_stance_uses_zero_and_says_so():
    lm = _stance_then_squat(quiet_s=0.1)
    assert math.isnan(find_quiet_stance_baseline(lm))
    m = compute_metrics(lm)
    assert m.baseline_source == "none_found" and m.baseline_obliquity == 0.0
    one = compute_metrics(lm.slice(0, 1))
    assert one.baseline_source == "none_found"
    np.testing.assert_allclose(one.hip_drop[0, 1], one.pelvic_obliquity[0], atol=1e-5)


def test_swaying_stance_is_not_quiet():
    # both feet down and frontal the whole time, but the body sways 40 px at 1 Hz
    frames = [frontal_pose(obliquity=3.0, cx=640 + 40 * math.sin(2 * math.pi * i / 30))
              for i in range(90)]
    lm = to_landmarks(frames)
    assert math.isnan(find_quiet_stance_baseline(lm))
    still = to_landmarks([frontal_pose(obliquity=3.0)] * 20 + frames)
    assert find_quiet_stance_baseline(still) == pytest.approx(3.0, abs=0.05)


# ------------------------------------------------------------------ export / access
def test_to_json_frames_keys_rounding_and_none():
    frames = [frontal_pose(valgus=(12.3456, -3.21)), np.full((33, 4), np.nan, np.float32)]
    j = _m(frames).to_json_frames()
    assert set(j) == {"knee_valgus_deg", "pelvic_obliquity_deg", "hip_drop_deg",
                      "lumbar_extension_deg", "trunk_lean_deg", "knee_flexion_deg",
                      "hip_flexion_deg", "view", "view_confidence"}
    assert set(j["knee_valgus_deg"]) == {"left", "right"}
    assert set(j["trunk_lean_deg"]) == {"frontal", "sagittal"}
    assert set(j["trunk_lean_deg"]["frontal"]) == {"left", "right"}
    assert j["knee_valgus_deg"]["left"] == [12.35, None]
    assert j["knee_valgus_deg"]["right"] == [-3.21, None]
    assert j["view"] == ["frontal", "unknown"]
    assert j["lumbar_extension_deg"] == [None, None]
    import json

    json.dumps(j, allow_nan=False)


def test_csv_columns_and_row():
    m = _m([frontal_pose(valgus=(4, 5)), sagittal_pose()])
    header, rows = m.csv_columns()
    assert rows.shape == (2, len(header)) and header[:2] == ["frame", "t_ms"]
    assert rows[0, header.index("knee_valgus_right_deg")] == pytest.approx(5, abs=TOL)
    assert rows[1, header.index("view")] == View.SAGITTAL_LEFT
    r = m.row(0)
    assert r.knee_valgus_right == pytest.approx(5, abs=TOL) and r.view is View.FRONTAL
    assert math.isnan(m.row(1).knee_valgus_left)


def test_empty_clip():
    m = compute_metrics(Landmarks.empty(640, 480))
    assert len(m) == 0 and m.knee_valgus.shape == (0, 2) and m.view.shape == (0,)
    assert m.to_json_frames()["view"] == []


def test_inputs_not_mutated():
    lm = _stance_then_squat()
    before = lm.xyzv.copy()
    compute_metrics(lm)
    compute_metrics(lm.slice(0, 1))
    from hipform.core import kinematics as k

    for f in (k.knee_valgus, k.pelvic_obliquity, k.trunk_lean_frontal, k.trunk_lean_sagittal,
              k.knee_flexion, k.hip_flexion, k.lumbar_extension):
        f(lm)
    assert np.array_equal(before, lm.xyzv, equal_nan=True)


def test_public_functions_match_ungated_compute_metrics():
    from hipform.core import kinematics as k

    lm = to_landmarks([frontal_pose(valgus=(7, 3), lean=4), sagittal_pose(thigh=20)])
    m = compute_metrics(lm, baseline_obliquity=0.0, view_gating=False)
    np.testing.assert_array_equal(k.knee_valgus(lm), m.knee_valgus)
    np.testing.assert_array_equal(k.pelvic_obliquity(lm), m.pelvic_obliquity)
    np.testing.assert_array_equal(k.lumbar_extension(lm), m.lumbar_extension)
    np.testing.assert_array_equal(k.hip_drop(m.pelvic_obliquity, 0.0), m.hip_drop)
