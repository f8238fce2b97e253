"""Pinhole camera: projection formula, look-at, orbit, pixel rays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hipform.synth.camera import Camera


def test_identity_camera_matches_pinhole_formula() -> None:
    # yaw = pitch = roll = 0: camera x = world x, camera y = -world y, depth = -world z
    cam = Camera(position=(0.2, 1.0, 3.0), focal_px=500.0, width=640, height=480)
    X = np.array([0.5, 1.3, 0.5])
    x, y, z = 0.5 - 0.2, -(1.3 - 1.0), 3.0 - 0.5
    u, v, d = cam.project(X)
    assert u == pytest.approx(500.0 * x / z + 320.0)
    assert v == pytest.approx(500.0 * y / z + 240.0)
    assert d == pytest.approx(z)


def test_look_at_puts_target_at_principal_point() -> None:
    cam = Camera.look_at((1.3, 1.7, 2.4), (0.1, 0.6, -0.3), focal_px=600)
    u, v, _ = cam.project(np.array([0.1, 0.6, -0.3]))
    assert (u, v) == (pytest.approx(320.0, abs=1e-6), pytest.approx(240.0, abs=1e-6))


@pytest.mark.parametrize("yaw", [-20.0, 0.0, 10.0, 35.0])
def test_orbit_distance_height_and_rotation_orthonormal(yaw: float) -> None:
    cam = Camera.orbit((0.0, 0.9, 0.0), 3.0, 1.2, yaw)
    x, y, z = cam.position
    assert math.hypot(x, z) == pytest.approx(3.0)
    assert y == pytest.approx(1.2)
    R = cam.rotation
    assert np.allclose(R.T @ R, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    # positive azimuth moves the camera toward world +x (the subject's left)
    assert np.sign(x) == np.sign(yaw)


def test_roll_rotates_image_clockwise() -> None:
    base = Camera(position=(0, 1, 3), focal_px=500)
    rolled = Camera(position=(0, 1, 3), roll=10.0, focal_px=500)
    p = np.array([0.5, 1.0, 0.0])  # to the right of the optical axis
    u0, v0, _ = base.project(p)
    u1, v1, _ = rolled.project(p)
    assert v0 == pytest.approx(240.0)
    # the camera rotates by +roll, so the scene appears rotated the other way
    ang = math.degrees(math.atan2(v1 - 240.0, u1 - 320.0))
    assert ang == pytest.approx(-10.0, abs=1e-6)


def test_points_behind_camera_are_nan() -> None:
    cam = Camera(position=(0, 1, 3))
    assert np.isnan(cam.project(np.array([0.0, 1.0, 4.0]))).all()


def test_pixel_rays_hit_their_pixel_centres() -> None:
    cam = Camera.orbit((0, 0.9, 0), 2.5, 1.1, 15.0, focal_px=450, width=64, height=48)
    rays = cam.pixel_rays()
    assert rays.shape == (48, 64, 3)
    R = cam.rotation
    for (r, c) in [(0, 0), (10, 33), (47, 63)]:
        X = cam.center + R @ (rays[r, c].astype(np.float64) * 2.0)
        u, v, d = cam.project(X)
        assert (u, v, d) == (pytest.approx(c + 0.5, abs=1e-4), pytest.approx(r + 0.5, abs=1e-4),
                             pytest.approx(2.0, abs=1e-5))
