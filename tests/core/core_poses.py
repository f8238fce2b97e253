"""Synthetic BlazePose landmark frames with known geometry, built directly in pixels.

Each builder returns an xyzv float32 array (33, 4): x, y pixels, z (pixel-scale depth,
smaller = nearer the camera), visibility. Use :func:`to_landmarks` to stack frames.
"""

from __future__ import annotations

import math

import numpy as np

from hipform.landmarks import LM, Landmarks

LEFT_RIGHT_PAIRS = [
    (1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18),
    (19, 20), (21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32),
]
SWAP = np.arange(33)
for _a, _b in LEFT_RIGHT_PAIRS:
    SWAP[_a], SWAP[_b] = _b, _a


def _blank(vis: float = 0.99) -> np.ndarray:
    a = np.zeros((33, 4), np.float32)
    a[:, 3] = vis
    return a


def frontal_pose(*, cx=640.0, cy=400.0, scale=1.0, facing="front", valgus=(0.0, 0.0),
                 obliquity=0.0, lean=0.0, leg=(0.0, 0.0)) -> np.ndarray:
    """Person seen from the front ("front") or from behind ("back").

    valgus: (left, right) FPPA degrees, + = knee medial; obliquity: deg, + = left hip lower;
    lean: lateral trunk lean deg, + = toward the subject's left; leg: (left, right) tilt of
    each hip-ankle line, deg (whole leg rotated about the hip, + = ankle toward the
    subject's left).
    """
    a = _blank()
    el = 1.0 if facing == "front" else -1.0  # image x direction of the subject's left
    lt, hw, sw, ll = 200.0 * scale, 90.0 * scale, 130.0 * scale, 360.0 * scale
    o = math.radians(obliquity)
    c = np.array([cx, cy])
    half = 0.5 * hw * np.array([el * math.cos(o), math.sin(o)])
    hips = {LM.LEFT_HIP: c + half, LM.RIGHT_HIP: c - half}
    ls = math.radians(lean)
    ms = c + lt * np.array([el * math.sin(ls), -math.cos(ls)])
    a[LM.LEFT_SHOULDER, :2] = ms + [el * sw / 2, 0]
    a[LM.RIGHT_SHOULDER, :2] = ms - [el * sw / 2, 0]
    for side, (hip, knee, ank, heel, foot) in enumerate((
        (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX),
        (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX),
    )):
        h = hips[hip]
        medial = np.array([-el if side == 0 else el, 0.0])
        tl = math.radians(leg[side])
        down = np.array([el * math.sin(tl), math.cos(tl)])
        perp_m = medial - down * float(medial @ down)
        perp_m /= np.linalg.norm(perp_m)
        alpha = math.radians(valgus[side])
        k = h + down * ll / 2 + perp_m * (ll / 2) * math.tan(alpha / 2)
        an = h + down * ll
        a[hip, :2], a[knee, :2], a[ank, :2] = h, k, an
        a[heel, :2] = an + [0, 12 * scale]
        a[foot, :2] = an + [0, 25 * scale]
        a[heel, 2] = 8 * scale
        a[foot, 2] = -25 * scale
    a[LM.NOSE, :2] = ms + [0, -0.33 * lt]
    a[LM.NOSE, 2] = -60 * scale if facing == "front" else 60 * scale
    if facing != "front":
        a[LM.NOSE, 3] = 0.2
    for i, dx in ((LM.LEFT_EAR, 0.12), (LM.RIGHT_EAR, -0.12)):
        a[i, :2] = ms + [el * dx * lt, -0.35 * lt]
    for i in (1, 2, 3):
        a[i, :2] = a[LM.NOSE, :2] + [el * 8 * i * scale, -8 * scale]
    for i in (4, 5, 6):
        a[i, :2] = a[LM.NOSE, :2] - [el * 8 * (i - 3) * scale, 8 * scale]
    a[9, :2] = a[LM.NOSE, :2] + [el * 10 * scale, 15 * scale]
    a[10, :2] = a[LM.NOSE, :2] - [el * 10 * scale, -15 * scale]
    for sh, el_, wr, fingers in ((11, 13, 15, (17, 19, 21)), (12, 14, 16, (18, 20, 22))):
        a[el_, :2] = a[sh, :2] + [0, 0.55 * lt]
        a[wr, :2] = a[el_, :2] + [0, 0.5 * lt]
        for f in fingers:
            a[f, :2] = a[wr, :2] + [0, 15 * scale]
    return a


def sagittal_pose(*, cx=640.0, cy=400.0, scale=1.0, facing=-1, lean=0.0, thigh=0.0,
                  knee=0.0, far_vis=0.9) -> np.ndarray:
    """Upright person side-on; ``facing`` = image-x direction they face (-1 = left, then
    the subject's LEFT side is nearer the camera).

    lean: forward trunk lean from vertical (deg, + forward); thigh: thigh angle from
    vertical-down (deg, + forward) so hip flexion = thigh + lean; knee: knee flexion (deg).
    Both legs get the same angles.
    """
    a = _blank()
    f = float(facing)
    lt, lth, lsh = 200.0 * scale, 180.0 * scale, 180.0 * scale
    near_left = f < 0
    h = np.array([cx, cy])
    ls = math.radians(lean)
    ms = h + lt * np.array([f * math.sin(ls), -math.cos(ls)])
    th = math.radians(thigh)
    kn = h + lth * np.array([f * math.sin(th), math.cos(th)])
    sh_ = th - math.radians(knee)
    an = kn + lsh * np.array([f * math.sin(sh_), math.cos(sh_)])
    sides = (
        (11, 23, 25, 27, 29, 31, 7, 13, 15),
        (12, 24, 26, 28, 30, 32, 8, 14, 16),
    )
    for side, idx in enumerate(sides):
        near = (side == 0) == near_left
        off = np.array([0.04 * lt * (1 if side == 0 else -1) * -f, 0.0])  # tiny apparent width
        zz = -40.0 * scale if near else 40.0 * scale
        vv = 0.99 if near else far_vis
        s_, hp, k_, a_, he, fo, ear, elb, wr = idx
        for i, p in ((s_, ms), (hp, h), (k_, kn), (a_, an)):
            a[i, :2] = p + off
            a[i, 2] = zz
            a[i, 3] = vv
        a[he, :2] = an + off + [-f * 12 * scale, 10 * scale]
        a[fo, :2] = an + off + [f * 30 * scale, 12 * scale]
        a[ear, :2] = ms + off + [-f * 0.02 * lt, -0.33 * lt]
        a[ear, 2], a[ear, 3] = zz, (0.95 if near else 0.3)
        a[elb, :2] = ms + off + [0, 0.55 * lt]
        a[wr, :2] = a[elb, :2] + [0, 0.5 * lt]
        for i in (he, fo, elb, wr):
            a[i, 2], a[i, 3] = zz, vv
    a[LM.NOSE, :2] = ms + [f * 0.13 * lt, -0.3 * lt]
    for i in (1, 2, 3, 4, 5, 6, 9, 10, 17, 18, 19, 20, 21, 22):
        a[i, :2] = a[LM.NOSE, :2] if i < 11 else a[15 + (i % 2), :2]
    return a


def lying_pose(*, x0=300.0, yf=600.0, scale=1.0, head="left", trunk=25.0, extension=0.0,
               near="right") -> np.ndarray:
    """Supine bridge seen from the side. trunk: shoulder->hip angle above horizontal (deg);
    extension: lumbar extension (deg, + = hips above the shoulder-knee line)."""
    a = _blank()
    d = 1.0 if head == "left" else -1.0  # image-x direction from head to feet
    lt, lth, lsh = 200.0 * scale, 180.0 * scale, 170.0 * scale
    s = np.array([x0, yf])
    b_ = math.radians(trunk)
    h = s + lt * np.array([d * math.cos(b_), -math.sin(b_)])
    g = b_ - math.radians(extension)
    k = h + lth * np.array([d * math.cos(g), -math.sin(g)])
    an = np.array([k[0] + d * 0.3 * lsh, yf])
    for side, idx in enumerate(((11, 23, 25, 27, 29, 31, 7), (12, 24, 26, 28, 30, 32, 8))):
        is_near = (side == 1) == (near == "right")
        zz = -40.0 * scale if is_near else 40.0 * scale
        off = np.array([0.0, 0.03 * lt * (1 if is_near else -1)])
        for i, p in zip(idx, (s, h, k, an, an + [-d * 10, 8], an + [d * 25, 0],
                              s + [-d * 0.3 * lt, -0.02 * lt]), strict=True):
            a[i, :2] = p + off
            a[i, 2] = zz
    a[LM.NOSE, :2] = s + [-d * 0.33 * lt, -0.12 * lt]
    for i in (1, 2, 3, 4, 5, 6, 9, 10, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22):
        a[i, :2] = a[LM.NOSE, :2] if i < 11 else s + [d * 0.4 * lt, -0.05 * lt]
    return a


def to_landmarks(frames, width=1280, height=720, fps=30.0, world=None) -> Landmarks:
    """Stack (33, 4) frames into a Landmarks container at ``fps``."""
    xyzv = np.stack([np.asarray(f, np.float32) for f in frames])
    t = np.round(np.arange(len(xyzv)) * 1000.0 / fps).astype(np.int64)
    return Landmarks(xyzv, t, width, height, world)


def mirror(xyzv: np.ndarray, width: float) -> np.ndarray:
    """Mirror the image (x -> W - x) and swap BlazePose left/right indices."""
    out = np.array(xyzv, dtype=np.float32, copy=True)
    out[..., 0] = width - out[..., 0]
    return out[..., SWAP, :]
