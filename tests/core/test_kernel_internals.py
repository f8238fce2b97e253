"""The speed-ups inside the vectorised kernel give the same numbers as the plain forms."""

from __future__ import annotations

import numpy as np
import pytest

from hipform.core import _block as b
from hipform.core.metrics import _frame_step, _window_all, compute_metrics
from hipform.landmarks import LM, Landmarks
from tests.core.core_poses import frontal_pose, lying_pose, sagittal_pose

FIELDS = ("knee_valgus", "pelvic_obliquity", "hip_drop", "lumbar_extension",
          "trunk_lean_frontal", "trunk_lean_sagittal", "knee_flexion", "hip_flexion",
          "view_confidence")


def _random_xyzv(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(600, 150, (n, 33, 4)).astype(np.float32)
    x[..., 3] = rng.random((n, 33))
    x[rng.random(n) < 0.1] = np.nan
    x[rng.random((n, 33, 4)) < 0.02] = np.nan
    return x


def _filled_rows_equal(a: np.ndarray, ref: np.ndarray) -> bool:
    rows = ((0, b.K), (1, b.K), (2, b.N_Z), (3, b.N_V))
    return all(np.array_equal(a[c, :r], ref[c, :r], equal_nan=True) for c, r in rows)


@pytest.mark.parametrize("cap", [1, 7, 64, 1000])
def test_gatherer_equals_gather(cap):
    x = _random_xyzv(300)
    g = b.Gatherer(x, cap)
    assert g._units is not None  # the 16-byte fast path
    for s in range(0, 300, cap):
        e = min(300, s + cap)
        assert _filled_rows_equal(g(s, e), b.gather(x, s, e))


def test_gatherer_fallback_for_unaligned_or_strided_input():
    base = np.zeros(300 * 132 + 1, np.float32)
    x = base[1:].reshape(300, 33, 4)  # 4 bytes off 16-byte alignment
    x[...] = _random_xyzv(300, seed=1)
    assert b.Gatherer(x, 50)._units is None
    y = _random_xyzv(600, seed=2)[::2]  # every other frame: strided, still aligned
    for arr in (x, y):
        g = b.Gatherer(arr, 50)
        for s in range(0, 300, 50):
            assert _filled_rows_equal(g(s, s + 50), b.gather(arr, s, s + 50))


@pytest.mark.parametrize("seed", range(5))
def test_window_all_equals_cumsum_definition(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n = int(rng.integers(1, 200))
        w = int(rng.integers(1, n + 1))
        q = rng.random(n) < rng.choice([0.5, 0.9, 0.99])
        cq = np.concatenate(([0], np.cumsum(q.astype(np.int64))))
        want = (cq[w:] - cq[:-w]) == w
        np.testing.assert_array_equal(_window_all(q, w), want)


def test_frame_step_equals_median_of_intervals():
    even = np.arange(50, dtype=np.int64) * 33
    assert _frame_step(even) == float(np.median(np.diff(even))) == 33.0
    rng = np.random.default_rng(3)
    jitter = np.cumsum(rng.integers(30, 37, 51)).astype(np.int64)
    assert _frame_step(jitter) == float(np.median(np.diff(jitter)))


def _mixed_clip(n: int, seed: int = 0) -> np.ndarray:
    """Constructed poses of every view with jitter, missing people, hidden landmarks,
    duplicated points (zero-length segments) and coordinates on a coarse grid (exact
    zeros in cross and dot products)."""
    rng = np.random.default_rng(seed)
    bases = np.stack([
        frontal_pose(valgus=(8, -3), obliquity=3, lean=5),
        frontal_pose(facing="back", valgus=(-2, 14), obliquity=-4),
        sagittal_pose(facing=-1, lean=15, thigh=40, knee=60),
        sagittal_pose(facing=1, lean=5, thigh=10, knee=20, far_vis=0.2),
        lying_pose(extension=8),
        frontal_pose(),  # straight legs, level pelvis: exact zeros
    ])
    x = bases[rng.integers(0, len(bases), n)]
    x[..., :2] += rng.normal(0, 2.0, (n, 33, 2)).astype(np.float32)
    grid = rng.random(n) < 0.2
    x[grid, :, :2] = np.round(x[grid, :, :2] / 4) * 4
    x[rng.random(n) < 0.05, LM.LEFT_KNEE, 3] = 0.2
    x[rng.random(n) < 0.05, LM.RIGHT_SHOULDER, 3] = 0.1
    d = rng.random(n) < 0.03
    x[d, LM.LEFT_KNEE, :2] = x[d, LM.LEFT_HIP, :2]
    d = rng.random(n) < 0.03
    x[d, LM.RIGHT_HIP, :2] = x[d, LM.LEFT_HIP, :2]
    x[rng.random(n) < 0.02] = np.nan
    x[rng.random((n, 33)) < 0.01, 2] = np.nan  # missing depth: a cue of the view vote
    return x


def test_clip_kernel_equals_single_frame_twin_on_a_mixed_clip():
    """The fused clip kernel against the plain per-frame (math module) twin that the live
    path uses, frame by frame, on every field, the view and the NaN reasons."""
    x = _mixed_clip(400)
    clip = compute_metrics(Landmarks(x, np.arange(400, dtype=np.int64) * 33, 1280, 720),
                           baseline_obliquity=0.4)
    for i in range(400):
        one = compute_metrics(Landmarks(x[i:i + 1], np.zeros(1, np.int64), 1280, 720),
                              baseline_obliquity=0.4)
        assert one.view[0] == clip.view[i], i
        for f in FIELDS:
            a, c = getattr(one, f)[0], getattr(clip, f)[i]
            np.testing.assert_array_equal(np.isnan(a), np.isnan(c), err_msg=f"{f} {i}")
            np.testing.assert_allclose(a, c, atol=2e-3, equal_nan=True, err_msg=f"{f} {i}")
        for k, r in one.nan_reason.items():
            np.testing.assert_array_equal(r[0], clip.nan_reason[k][i], err_msg=f"{k} {i}")
