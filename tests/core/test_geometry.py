"""Geometry helpers, and why angles must be computed in pixels (16:9 frames)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hipform.core import geometry as g
from hipform.core.metrics import compute_metrics
from hipform.landmarks import LM
from tests.core.core_poses import frontal_pose, sagittal_pose, to_landmarks


@pytest.mark.parametrize("deg", [0.0, 0.5, 30.0, 89.0, 90.0, 135.0, 179.5, 180.0])
def test_angle_between_known(deg):
    r = math.radians(deg)
    u = np.array([3.0, 0.0])
    v = np.array([2 * math.cos(r), 2 * math.sin(r)])
    assert g.angle_between(u, v) == pytest.approx(deg, abs=1e-9)
    assert g.angle_between(np.r_[u, 0], np.r_[v, 0]) == pytest.approx(deg, abs=1e-9)


def test_signed_angle_is_clockwise_on_screen():
    right = np.array([1.0, 0.0])
    down = np.array([0.0, 1.0])  # image y grows downward: right -> down is clockwise
    assert g.signed_angle(right, down) == pytest.approx(90.0)
    assert g.signed_angle(down, right) == pytest.approx(-90.0)


def test_nan_and_zero_vectors_give_nan():
    assert np.isnan(g.angle_between(np.array([0.0, 0.0]), np.array([1.0, 0.0])))
    assert np.isnan(g.signed_angle(np.array([np.nan, 0.0]), np.array([1.0, 0.0])))
    assert np.isnan(g.angle_between(np.zeros(3), np.ones(3)))
    out = g.angle_between(np.array([[1.0, 0], [0, 0]]), np.array([[0, 1.0], [1, 1]]))
    assert out[0] == pytest.approx(90.0) and np.isnan(out[1])


def test_joint_angle_and_deviation():
    a, b, c = np.array([0.0, 0.0]), np.array([0.0, 10.0]), np.array([10.0, 10.0])
    assert g.joint_angle(a, b, c) == pytest.approx(90.0)
    assert g.deviation_from_straight(a, b, c) == pytest.approx(90.0)
    assert g.deviation_from_straight(a, b, np.array([0.0, 20.0])) == pytest.approx(0.0)


def test_height_tilt_sign_and_order():
    low_left = np.array([100.0, 210.0])
    high_right = np.array([200.0, 200.0])
    t = g.height_tilt(low_left, high_right)
    assert t == pytest.approx(math.degrees(math.atan2(10, 100)))
    assert g.height_tilt(high_right, low_left) == pytest.approx(-t)
    # the same with the points swapped left/right in the image (person facing away)
    assert g.height_tilt(np.array([200.0, 210.0]), np.array([100.0, 200.0])) \
        == pytest.approx(t)


def test_float32_stays_float32():
    u = np.ones((4, 2), np.float32)
    assert g.angle_between(u, u * np.array([1, -1], np.float32)).dtype == np.float32
    assert g.signed_angle_xy(u[:, 0], u[:, 1], u[:, 0], -u[:, 1]).dtype == np.float32


def test_16_9_frame_angles_right_in_pixels_wrong_normalised():
    """On a 1920x1080 frame, normalised (x/W, y/H) coordinates squash x by 16/9 relative
    to y: the naive angle is wrong by degrees, ours (pixels) is right."""
    w, h = 1920, 1080
    frames = [frontal_pose(cx=960, cy=360, valgus=(12.0, 18.0), obliquity=5.0, lean=8.0),
              sagittal_pose(cx=960, cy=400, facing=-1, lean=20.0, thigh=45.0, knee=70.0)]
    lm = to_landmarks(frames, width=w, height=h)
    m = compute_metrics(lm, baseline_obliquity=0.0)
    np.testing.assert_allclose(m.knee_valgus[0], [12.0, 18.0], atol=0.1)
    assert m.pelvic_obliquity[0] == pytest.approx(5.0, abs=0.1)
    assert m.trunk_lean_frontal[0, 0] == pytest.approx(8.0, abs=0.1)
    assert m.knee_flexion[1, 0] == pytest.approx(70.0, abs=0.1)

    norm = lm.xyzv[..., :2] / np.array([w, h], np.float32)  # the mistake we avoid

    def dev(i, a, b, c):
        return float(g.deviation_from_straight(norm[i, a], norm[i, b], norm[i, c]))

    naive_valgus = dev(0, LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE)
    naive_obl = float(g.height_tilt(norm[0, LM.LEFT_HIP], norm[0, LM.RIGHT_HIP]))
    naive_knee = dev(1, LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE)
    assert abs(naive_valgus - 18.0) > 5.0     # measured: 10.2 instead of 18
    assert abs(naive_obl - 5.0) > 3.0         # measured: 8.8 instead of 5
    assert abs(naive_knee - 70.0) > 5.0       # measured: 44.1 instead of 70
    # and the pixel-space helper on the same points is right
    px = lm.xyzv[..., :2]
    assert float(g.deviation_from_straight(px[0, LM.RIGHT_HIP], px[0, LM.RIGHT_KNEE],
                                           px[0, LM.RIGHT_ANKLE])) == pytest.approx(18, abs=0.1)
