"""Renderer: determinism, z-buffer occlusion, the figure lands where its joints project."""

from __future__ import annotations

import numpy as np

from hipform.synth.body import BodyShape, Capsule, Ellipsoid, J
from hipform.synth.camera import Camera
from hipform.synth.clip import ClipRenderer, ClipSpec
from hipform.synth.motion import MotionParams
from hipform.synth.render import Renderer, Scene


def _spec(seed: int = 3, **kw) -> ClipSpec:
    return ClipSpec("t", MotionParams("single_leg_squat", reps=1, tempo=(0.5, 0.2, 0.5),
                                      quiet_s=0.3, seed=seed, **kw))


def test_render_is_deterministic() -> None:
    a = ClipRenderer(_spec(valgus=12.0))
    b = ClipRenderer(_spec(valgus=12.0))
    for i in (0, len(a) // 2, len(a) - 1):
        fa, fb = a.frame(i), b.frame(i)
        assert fa.dtype == np.uint8 and fa.shape == (480, 640, 3)
        assert np.array_equal(fa, fb)


def test_seed_changes_only_the_noise() -> None:
    a = ClipRenderer(_spec(seed=1)).motion.skeleton.joints
    b = ClipRenderer(_spec(seed=2)).motion.skeleton.joints
    assert a.shape == b.shape
    d = np.abs(a - b).max()
    assert 0 < d < 0.05  # metres: sway differs, the movement does not


def test_zbuffer_nearer_primitive_wins() -> None:
    cam = Camera(position=(0.0, 1.0, 3.0), focal_px=500, width=160, height=120)
    r = Renderer(cam, Scene(), blur=0)
    red, green = (0, 0, 255), (0, 255, 0)
    far = Ellipsoid(np.array([0.0, 1.0, 0.0]), np.eye(3), (0.3, 0.3, 0.3), red)
    near = Capsule(np.array([-0.1, 1.0, 1.0]), np.array([0.1, 1.0, 1.0]), 0.05, green)
    for order in ([far, near], [near, far]):
        img = r.render(order)
        px = img[60, 80].astype(int)  # image centre: both primitives cover it
        assert px[1] > px[2], f"nearer green capsule must win, got BGR {px}"
    img = r.render([far])
    assert img[60, 80, 2] > img[60, 80, 1]
    # outside both: background
    assert np.array_equal(r.render([])[5, 5], r.bg.clip(0, 255).astype(np.uint8)[5, 5])


def test_figure_covers_its_projected_joints() -> None:
    cr = ClipRenderer(_spec())
    cr.renderer.blur = 0
    i = cr.motion.reps[0].bottom
    img = cr.frame(i).astype(int)
    bg = cr.renderer.bg.clip(0, 255).astype(int)
    uv = cr.camera.project(cr.motion.skeleton.joints[i])[:, :2]
    for name in ("pelvis", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "neck", "head"):
        u, v = (int(round(x)) for x in uv[J[name]])
        assert np.abs(img[v, u] - bg[v, u]).sum() > 30, f"{name} at ({u},{v}) shows background"


def test_body_proportions_scale_with_height() -> None:
    short, tall = BodyShape(height_m=1.55), BodyShape(height_m=1.90)
    assert abs(tall.leg / short.leg - 1.90 / 1.55) < 1e-9
    a = ClipRenderer(ClipSpec("a", MotionParams("single_leg_squat", reps=1, quiet_s=0.3),
                              body=short)).motion.skeleton
    b = ClipRenderer(ClipSpec("b", MotionParams("single_leg_squat", reps=1, quiet_s=0.3),
                              body=tall)).motion.skeleton
    assert b.j("head")[0, 1] > a.j("head")[0, 1] + 0.25
