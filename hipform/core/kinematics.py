"""Kinematic measures from pose landmarks: one fused, vectorised kernel plus thin public
functions, one per measure.

Every measure is float32 degrees, shape (T,) or (T, 2) with column 0 = the subject's left
and column 1 = the subject's right. All geometry is done on **pixel** coordinates
(``Landmarks.xyzv[..., :2]``), never on normalised 0..1 coordinates. A value is NaN when a
landmark it needs is NaN or has visibility below ``visibility_min``, or the geometry is
degenerate (zero-length segment, undefined side). The public functions here return the
raw geometry (no view gating); :func:`hipform.core.metrics.compute_metrics` adds view
gating and the reasons for every NaN.

Definitions and sign conventions (image y grows downward; "medial", "left", "anterior"
follow the subject's own body, not the image):

knee_valgus (T, 2)
    2-D frontal plane projection angle (FPPA, Munro et al. 2012): the angle between the
    hip->knee and knee->ankle lines, 0 = straight. **+ = valgus** (knee medial to the
    hip-ankle line), - = varus. "Medial" is the direction of the other hip (the pelvis
    left->right line), so the sign holds facing the camera and with the back to it.
pelvic_obliquity (T,)
    tilt of the left-hip -> right-hip line from the image horizontal,
    **+ = the subject's left hip is lower** (larger image y) than the right.
hip_drop (T, 2)
    ``pelvic_obliquity - baseline``, column k = "stance leg = side k", **+ = the pelvis
    drops on the side away from the stance leg** (contralateral drop, Trendelenburg sign):
    column 0 = -(obliquity - baseline), column 1 = +(obliquity - baseline).
trunk_lean_frontal (T, 2)
    mid-hip -> mid-shoulder line from the image vertical, column k = "stance leg = side
    k", **+ = leaning toward that stance side**.
trunk_lean_sagittal (T,)
    the same line from vertical in a side view, **+ = forward** (toward the way the
    person faces; facing = image-left when the subject's left side is nearer the camera).
knee_flexion (T, 2)
    180 - hip-knee-ankle angle, >= 0, 0 = straight. 2-D from pixels (meaningful in side
    views), or 3-D from ``Landmarks.world`` when given (any view).
hip_flexion (T, 2)
    180 - shoulder-hip-knee angle (same side), **+ = thigh in front of the trunk line**
    (flexion), - = extension. "In front" = anterior: for an upright body the way it faces
    (from the near side: left side nearer -> image-left), for a lying body image-up
    (supine assumed, as in a bridge). 2-D, or 3-D from ``world`` when given.
lumbar_extension (T,)
    bridge / side view: how far the shoulder-hip-knee angle passes the straight line,
    **+ = hips above / in front of the shoulder-knee line (arching)**, 0 = straight line,
    negative = hips below the line (e.g. resting before the lift). It equals
    ``-hip_flexion_2d`` averaged over the visible sides. In a standing side view the same
    number is a **trunk-thigh proxy**: + = the trunk is extended behind the thigh line
    (sway-back / hips pushed forward). Landmarks cannot separate lumbar from hip
    extension, so this is a proxy for both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hipform.core import _block as b
from hipform.core.view import View, _view_block

__all__ = [
    "knee_valgus",
    "pelvic_obliquity",
    "hip_drop",
    "trunk_lean_frontal",
    "trunk_lean_sagittal",
    "knee_flexion",
    "hip_flexion",
    "lumbar_extension",
    "NanReason",
]

_NAN = np.float32(np.nan)
_LR = np.array([[-1.0], [1.0]], dtype=np.float32)
_V_FRONTAL = np.int8(View.FRONTAL)
_V_SAG_L = np.int8(View.SAGITTAL_LEFT)
_V_SAG_R = np.int8(View.SAGITTAL_RIGHT)
_V_LYING = np.int8(View.LYING)


class NanReason:
    """Bit flags explaining a NaN (``Metrics.nan_reason[field]``, uint8, field's shape).

    Several bits can be set. 0 = the value is valid.
    """

    NO_PERSON = 1        # no pose detected in the frame
    LOW_VISIBILITY = 2   # a landmark the measure needs is missing / below visibility_min
    WRONG_VIEW = 4       # the measure needs another camera view (e.g. valgus: frontal)
    DEGENERATE = 8       # geometry undefined (zero-length segment, no near-side cue...)

    TEXT = {
        1: "no person detected in this frame",
        2: "a landmark it needs is missing or below the visibility threshold",
        4: "the camera view does not allow this measure",
        8: "the geometry is degenerate (zero-length segment or undefined side)",
    }

    @classmethod
    def explain(cls, code: int) -> str:
        """Human-readable text for a reason code (bit combination)."""
        code = int(code)
        if code == 0:
            return "valid"
        return "; ".join(t for bit, t in cls.TEXT.items() if code & bit)


def _undef(ang: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Set NaN where the angle from atan2(c, d) is undefined (both zero)."""
    np.copyto(ang, _NAN, where=(c == 0) & (d == 0))
    return ang


def _unit_sign(a: np.ndarray) -> np.ndarray:
    """+1 / -1, NaN where a == 0 or NaN."""
    return a / np.abs(a)


def _reasons(val, nodet, visok, viewok):
    """uint8 NanReason bits for one measure (all arguments broadcast to val's shape)."""
    r = nodet * np.uint8(1) + (~visok) * np.uint8(2)
    if viewok is not None:
        r = r + (~viewok) * np.uint8(4)
    r = r.astype(np.uint8, copy=False)
    r += (np.isnan(val) & (r == 0)) * np.uint8(8)
    return r


def _kernel(blk: np.ndarray, vmin: float, gating: bool, wblk: np.ndarray | None = None,
            quiet: bool = False, reasons: bool = True) -> dict[str, Any]:
    """All measures of one gathered block (see :mod:`hipform.core._block`).

    blk: float32 (4, K, n); wblk: float32 (3, 8, n) world metres or None.
    Returns a dict of arrays shaped (n,) or (2, n) (row 0 = left). Call under
    ``np.errstate(all="ignore")``.
    """
    x, y, z, v = blk[0], blk[1], blk[2], blk[3]
    vis = v >= vmin
    nodet = np.isnan(x[b.L_HIP])
    vr = _view_block(x, y, z, v, vis)
    code, lying, tx, ty, rx, ry, near = vr.code, vr.lying, vr.tx, vr.ty, vr.rx, vr.ry, vr.near

    sx, sy = x[b.SHOULDERS], y[b.SHOULDERS]
    hx, hy = x[b.HIPS], y[b.HIPS]
    kx, ky = x[b.KNEES], y[b.KNEES]
    ax, ay = x[b.ANKLES], y[b.ANKLES]
    vs, vh, vk, va = vis[b.SHOULDERS], vis[b.HIPS], vis[b.KNEES], vis[b.ANKLES]

    # ---- legs: thigh g = knee - hip, shank q = ankle - knee, leg axis l = ankle - hip
    gx = kx - hx
    gy = ky - hy
    qx = ax - kx
    qy = ay - ky
    c = gx * qy - gy * qx
    d = gx * qx + gy * qy
    theta = _undef(np.degrees(np.arctan2(c, d)), c, d)  # signed, (2, n)
    lx = ax - hx
    ly = ay - hy
    medial = _unit_sign(lx * ry - ly * rx) * _LR  # sign flipping theta to "+ = medial knee"
    valgus = theta * medial
    knee_flex = np.abs(theta)
    leg_vis = vh & vk & va

    # ---- pelvis
    arx = np.abs(rx)
    dyh = y[b.L_HIP] - y[b.R_HIP]
    obliq = _undef(np.degrees(np.arctan2(dyh, arx)), dyh, arx)
    hips_vis = vh[0] & vh[1]

    # ---- trunk
    torso_vis = hips_vis & vs[0] & vs[1]
    lean_left = np.degrees(np.arctan2(-tx * _unit_sign(rx), -ty))
    lean_f = np.stack((lean_left, -lean_left))
    lean_s = np.degrees(np.arctan2(-tx * near, -ty))  # facing_x = -near when upright

    # ---- hip (2-D): trunk-down d = hip - shoulder per side, thigh g
    dx = hx - sx
    dy = hy - sy
    c2 = dx * gy - dy * gx
    d2 = dx * gx + dy * gy
    phi = _undef(np.degrees(np.arctan2(c2, d2)), c2, d2)
    ant_x = np.where(lying, np.float32(0.0), near * ty)   # anterior, up to a positive scale
    ant_y = np.where(lying, np.float32(-1.0), -near * tx)
    hip_flex2 = phi * _unit_sign(dx * ant_y - dy * ant_x)
    hip_vis = vs & vh & vk
    lum_sides = np.where(hip_vis, -hip_flex2, np.float32(0.0))
    lumbar = (lum_sides[0] + lum_sides[1]) / (hip_vis[0] * np.float32(1.0) + hip_vis[1])

    # ---- 3-D flexion from world landmarks (metres), any view
    if wblk is not None:
        wx, wy, wz = wblk[0], wblk[1], wblk[2]
        g3 = (wx[4:6] - wx[2:4], wy[4:6] - wy[2:4], wz[4:6] - wz[2:4])
        q3 = (wx[6:8] - wx[4:6], wy[6:8] - wy[4:6], wz[6:8] - wz[4:6])
        d3 = (wx[2:4] - wx[0:2], wy[2:4] - wy[0:2], wz[2:4] - wz[0:2])

        def _cn(u, w):
            cx = u[1] * w[2] - u[2] * w[1]
            cy = u[2] * w[0] - u[0] * w[2]
            cz = u[0] * w[1] - u[1] * w[0]
            return np.sqrt(cx * cx + cy * cy + cz * cz), u[0] * w[0] + u[1] * w[1] + u[2] * w[2]

        cn, dn = _cn(g3, q3)
        knee_flex = _undef(np.degrees(np.arctan2(cn, dn)), cn, dn)
        cn, dn = _cn(d3, g3)
        un = _undef(np.degrees(np.arctan2(cn, dn)), cn, dn)
        left = (wx[2] - wx[3], wy[2] - wy[3], wz[2] - wz[3])
        sup = ((wx[0] + wx[1] - wx[2] - wx[3]) * 0.5, (wy[0] + wy[1] - wy[2] - wy[3]) * 0.5,
               (wz[0] + wz[1] - wz[2] - wz[3]) * 0.5)
        a3 = (left[1] * sup[2] - left[2] * sup[1], left[2] * sup[0] - left[0] * sup[2],
              left[0] * sup[1] - left[1] * sup[0])  # anterior = left x superior
        ga = g3[0] * a3[0] + g3[1] * a3[1] + g3[2] * a3[2]
        da = d3[0] * a3[0] + d3[1] * a3[1] + d3[2] * a3[2]
        dd = d3[0] * d3[0] + d3[1] * d3[1] + d3[2] * d3[2]
        hip_flex = un * _unit_sign(ga - dn * da / dd)
        flex3d = True
    else:
        hip_flex = hip_flex2
        flex3d = False

    # ---- view gating
    if gating:
        frontal = code == _V_FRONTAL
        sag = (code == _V_SAG_L) | (code == _V_SAG_R)
        side_ok = sag | (code == _V_LYING)
        flex_ok = None if flex3d else side_ok
    else:
        frontal = sag = side_ok = flex_ok = None

    def gate(val, visok, viewok):
        ok = visok if viewok is None else (visok & viewok)
        return np.where(ok, val, _NAN)

    lean_vis2 = np.broadcast_to(torso_vis, (2,) + torso_vis.shape)
    frontal2 = None if frontal is None else np.broadcast_to(frontal, lean_vis2.shape)
    lum_vis = hip_vis[0] | hip_vis[1]
    out: dict[str, Any] = {
        "knee_valgus": gate(valgus, leg_vis, frontal),
        "pelvic_obliquity": gate(obliq, hips_vis, frontal),
        "trunk_lean_frontal": gate(lean_f, lean_vis2, frontal2),
        "trunk_lean_sagittal": gate(lean_s, torso_vis, sag),
        "knee_flexion": gate(knee_flex, leg_vis, flex_ok),
        "hip_flexion": gate(hip_flex, hip_vis, flex_ok),
        "lumbar_extension": gate(lumbar, lum_vis, side_ok),
        "view": code,
        "view_confidence": vr.confidence,
    }
    if reasons:
        nd2 = np.broadcast_to(nodet, lean_vis2.shape)
        out["nan_reason"] = {
            "knee_valgus": _reasons(out["knee_valgus"], nd2, leg_vis, frontal),
            "pelvic_obliquity": _reasons(out["pelvic_obliquity"], nodet, hips_vis, frontal),
            "trunk_lean_frontal": _reasons(out["trunk_lean_frontal"], nd2, lean_vis2, frontal2),
            "trunk_lean_sagittal": _reasons(out["trunk_lean_sagittal"], nodet, torso_vis, sag),
            "knee_flexion": _reasons(out["knee_flexion"], nd2, leg_vis, flex_ok),
            "hip_flexion": _reasons(out["hip_flexion"], nd2, hip_vis, flex_ok),
            "lumbar_extension": _reasons(out["lumbar_extension"], nodet, lum_vis, side_ok),
        }
    if quiet:
        leg_len = (np.hypot(lx[0], ly[0]) + np.hypot(lx[1], ly[1])) * 0.5
        out["quiet_ok"] = (
            (code == _V_FRONTAL) & leg_vis[0] & leg_vis[1]
            & (np.abs(ay[0] - ay[1]) < 0.05 * leg_len)
            & (np.abs(theta[0]) < 15.0) & (np.abs(theta[1]) < 15.0)
            & np.isfinite(out["pelvic_obliquity"])
        )
        out["quiet_sig"] = np.stack((hx[0] + hx[1], hy[0] + hy[1], kx[0], ky[0], kx[1], ky[1]))
        out["leg_len"] = leg_len
    return out


# --------------------------------------------------------------------------- public API
def _run(lm, visibility_min: float, use_world: bool = False) -> dict[str, Any]:
    xyzv = np.asarray(getattr(lm, "xyzv", lm), dtype=np.float32)
    if xyzv.ndim != 3 or xyzv.shape[1:] != (33, 4):
        from hipform.errors import LandmarksError

        raise LandmarksError(f"xyzv must have shape (T, 33, 4), got {tuple(xyzv.shape)}")
    world = getattr(lm, "world", None) if use_world else None
    with np.errstate(all="ignore"):
        return _kernel(b.gather(xyzv), visibility_min, False,
                       None if world is None else b.gather_world(world), reasons=False)


def _t2(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.T)


def knee_valgus(lm, *, visibility_min: float = 0.5) -> np.ndarray:
    """Knee FPPA per leg, float32 (T, 2) degrees, columns (left, right).

    **+ = valgus** (knee medial to the hip-ankle line), - = varus; 0 = straight leg.
    Needs a frontal view (not checked here; see compute_metrics). ``lm``: Landmarks or
    xyzv float32 (T, 33, 4) pixels. NaN where hip, knee or ankle is not visible.
    """
    return _t2(_run(lm, visibility_min)["knee_valgus"])


def pelvic_obliquity(lm, *, visibility_min: float = 0.5) -> np.ndarray:
    """Pelvic obliquity float32 (T,) degrees: tilt of the left-hip -> right-hip line from
    the image horizontal, **+ = the subject's left hip lower** than the right."""
    return _run(lm, visibility_min)["pelvic_obliquity"]


def hip_drop(obliquity: np.ndarray, baseline: float = 0.0) -> np.ndarray:
    """Hip drop float32 (T, 2) from obliquity (T,) and a quiet-stance baseline (degrees).

    Column k = "stance leg = side k"; **+ = the pelvis drops on the side away from the
    stance leg** (contralateral drop). Column 0 = -(obl - baseline), column 1 = +(...).
    """
    rel = np.asarray(obliquity, dtype=np.float32) - np.float32(baseline)
    return np.stack((-rel, rel), axis=-1)


def trunk_lean_frontal(lm, *, visibility_min: float = 0.5) -> np.ndarray:
    """Lateral trunk lean float32 (T, 2) degrees, mid-hip -> mid-shoulder from the image
    vertical; column k = "stance leg = side k", **+ = leaning toward that side**."""
    return _t2(_run(lm, visibility_min)["trunk_lean_frontal"])


def trunk_lean_sagittal(lm, *, visibility_min: float = 0.5) -> np.ndarray:
    """Forward trunk lean float32 (T,) degrees in a side view, **+ = forward** (toward the
    way the person faces). NaN when the facing direction cannot be told."""
    return _run(lm, visibility_min)["trunk_lean_sagittal"]


def knee_flexion(lm, *, visibility_min: float = 0.5, use_world: bool = True) -> np.ndarray:
    """Knee flexion float32 (T, 2) degrees = 180 - hip-knee-ankle angle, >= 0.

    3-D from ``lm.world`` when present and ``use_world``, else 2-D pixels (side views).
    """
    return _t2(_run(lm, visibility_min, use_world)["knee_flexion"])


def hip_flexion(lm, *, visibility_min: float = 0.5, use_world: bool = True) -> np.ndarray:
    """Hip flexion float32 (T, 2) degrees = 180 - shoulder-hip-knee angle (same side),
    **+ = thigh in front of the trunk line** (flexion), - = extension."""
    return _t2(_run(lm, visibility_min, use_world)["hip_flexion"])


def lumbar_extension(lm, *, visibility_min: float = 0.5) -> np.ndarray:
    """Lumbar extension proxy float32 (T,) degrees: how far the shoulder-hip-knee angle
    passes straight, **+ = hips above / in front of the shoulder-knee line (arching)**;
    mean of the visible sides. Needs a side or lying view (not checked here)."""
    return _run(lm, visibility_min)["lumbar_extension"]
