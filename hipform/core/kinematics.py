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

import math
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
_Z = np.float32(0.0)
_R = np.float32(180.0 / np.pi)  # a multiply: float32 degrees() is ~30x slower
_M1 = np.float32(-1.0)
_HALF = np.float32(0.5)
_0_05 = np.float32(0.05)
_15 = np.float32(15.0)
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
    """NaN (in place) where the angle from atan2(c, d) is undefined (both zero).

    Usually no element is: one cheap test skips the masked store.
    """
    m = c == 0
    if m.any():
        m &= d == 0
        np.copyto(ang, _NAN, where=m)
    return ang


def _gate(val: np.ndarray, ok: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """val where ok, NaN elsewhere, into ``out`` (new array if None).

    ``0 / mask`` is 0 where mask is True and NaN (0/0) where False: adding it gates a
    float32 array several times faster than np.where / np.copyto with a scalar.
    """
    g = np.divide(_Z, ok, dtype=np.float32)
    return np.add(val, g, out=out)


def _sign_inplace(a: np.ndarray) -> np.ndarray:
    """a -> +1 / -1 in place, NaN where a == 0 or NaN."""
    return np.divide(a, np.abs(a), out=a)


def _deg_atan2(c: np.ndarray, d: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """degrees(atan2(c, d)) as float32, NaN where c == d == 0."""
    a = np.arctan2(c, d, out=out)
    a *= _R
    return _undef(a, c, d)


def _kernel(blk: np.ndarray, vmin: float, gating: bool, wblk: np.ndarray | None = None,
            quiet: bool = False, reasons: bool = True,
            dst: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """All measures of one gathered block (see :mod:`hipform.core._block`).

    blk: float32 (4, K, n); wblk: float32 (3, 8, n) world metres or None.
    Returns a dict of arrays shaped (n,) or (2, n) (row 0 = left); with ``reasons`` also
    "vis" (8, n) bool (row k = slot k visible) and "nodet" (n,) bool for the lazy NaN
    reasons. ``dst``: optional
    destinations (views of the clip's output arrays) for any of these keys; results are
    written there instead of new arrays. Call under ``np.errstate(all="ignore")``.

    Written for speed (in-place operations, shared intermediates); every value is
    bit-for-bit the one of the plain formulas in the comments.
    """
    dst = dst or {}
    x, y, z, v = blk[0], blk[1], blk[2], blk[3]
    vis = np.greater_equal(v[:b.N_VIS], vmin, out=dst.get("vis"))
    nodet = np.isnan(x[b.L_HIP], out=dst.get("nodet"))
    vr = _view_block(x, y, z, v, vis, dst.get("view"), dst.get("view_confidence"))
    code, lying, tx, ty, rx, ry, near = vr.code, vr.lying, vr.tx, vr.ty, vr.rx, vr.ry, vr.near

    hx, hy = x[b.HIPS], y[b.HIPS]
    vs, vh, vk, va = vis[b.SHOULDERS], vis[b.HIPS], vis[b.KNEES], vis[b.ANKLES]

    # ---- view gating masks
    if gating:
        frontal = code == _V_FRONTAL
        sag = code == _V_SAG_L
        sag |= code == _V_SAG_R
        side_ok = code == _V_LYING
        side_ok |= sag
    else:
        frontal = sag = side_ok = None

    def both(m1, m2):
        return m1 if m2 is None else m1 & m2

    # ---- legs: thigh g = knee - hip, shank q = ankle - knee, leg axis l = ankle - hip
    gx = x[b.KNEES] - hx
    gy = y[b.KNEES] - hy
    qx = x[b.ANKLES] - x[b.KNEES]
    qy = y[b.ANKLES] - y[b.KNEES]
    c = gx * qy
    t = gy * qx
    c -= t            # g x q
    d = np.multiply(gx, qx, out=t)
    t2 = gy * qy
    d += t2           # g . q
    theta = _deg_atan2(c, d, out=t2)  # signed, (2, n)
    lx = x[b.ANKLES] - hx
    ly = y[b.ANKLES] - hy
    leg_vis = vh & vk
    leg_vis &= va
    if quiet:
        leg_len = np.multiply(lx[0], lx[0])
        leg_len += ly[0] * ly[0]
        np.sqrt(leg_len, out=leg_len)
        t3 = lx[1] * lx[1]
        t3 += ly[1] * ly[1]
        np.sqrt(t3, out=t3)
        leg_len += t3
        leg_len *= _HALF
    # medial = sign(l x r) * (-1 left, +1 right): flips theta to "+ = medial knee";
    # the left row as sign(ly * rx - lx * ry), which is exactly -sign(lx * ry - ly * rx)
    lx *= ry
    ly *= rx
    np.subtract(ly[0], lx[0], out=ly[0])
    np.subtract(lx[1], ly[1], out=ly[1])
    medial = _sign_inplace(ly)
    valg = np.multiply(theta, medial, out=medial)
    knee_valgus = _gate(valg, both(leg_vis, frontal), dst.get("knee_valgus"))
    # knee flexion (2-D) = |theta|, computed below unless 3-D

    # ---- pelvis: obliquity = atan2(y_lh - y_rh, |rx|)
    arx = np.abs(rx)
    dyh = y[b.L_HIP] - y[b.R_HIP]
    obliq = _deg_atan2(dyh, arx)
    hips_vis = vh[0] & vh[1]
    pelvic_obliquity = _gate(obliq, both(hips_vis, frontal), dst.get("pelvic_obliquity"))
    if quiet:
        q_ok = np.isfinite(pelvic_obliquity)

    # ---- trunk, frontal: atan2(-tx * sign(rx), -ty) (lean toward the left, from up)
    torso_vis = hips_vis & vs[0]
    torso_vis &= vs[1]
    ntx = np.negative(tx)
    srx = np.abs(rx, out=arx)
    np.divide(rx, srx, out=srx)
    srx *= ntx
    nty = np.negative(ty)
    lean_left = np.arctan2(srx, nty, out=srx)
    lean_left *= _R
    _undef(lean_left, ntx, nty)
    g = np.divide(_Z, both(torso_vis, frontal), dtype=np.float32)
    lean_f = dst.get("trunk_lean_frontal")
    if lean_f is None:
        lean_f = np.empty((2,) + lean_left.shape, np.float32)
    np.add(lean_left, g, out=lean_f[0])
    np.subtract(g, lean_left, out=lean_f[1])  # == -lean_left + g, bit for bit

    # ---- hip (2-D): trunk-down d = hip - shoulder per side, thigh g
    dx = hx - x[b.SHOULDERS]
    dy = hy - y[b.SHOULDERS]
    c2 = np.multiply(dx, gy, out=c)
    t = dy * gx
    c2 -= t
    d2 = np.multiply(dx, gx, out=gx)
    np.multiply(dy, gy, out=t)
    d2 += t
    phi = _deg_atan2(c2, d2, out=gy)
    # anterior direction, up to a positive scale: lying -> (0, -1), else near * (ty, -tx)
    ant_x = near * ty
    ant_x = np.where(lying, _Z, ant_x)
    ant_y = near * tx
    np.negative(ant_y, out=ant_y)
    ant_y = np.where(lying, _M1, ant_y)
    hs = np.multiply(dx, ant_y, out=c2)
    np.multiply(dy, ant_x, out=t)
    hs -= t
    hip_flex2 = phi * _sign_inplace(hs)
    hip_vis = vs & vh
    side_vis = hip_vis.copy()  # shoulder and hip visible, per side
    hip_vis &= vk

    # sagittal lean per side from that side's shoulder-hip line (facing_x = -near),
    # mean of the sides whose shoulder and hip are visible
    lsx = np.multiply(dx, near, out=qx)
    # (undefined where dx * near == dy == 0, i.e. dx == dy == 0: near is +-1 or NaN)
    lean_sides = _deg_atan2(lsx, dy, out=qy)
    lean_sides = np.where(side_vis, lean_sides, _Z)
    lean_s = lean_sides[0] + lean_sides[1]
    cnt = np.add(side_vis[0], side_vis[1], dtype=np.float32)
    lean_s /= cnt
    lean_s_vis = side_vis[0] | side_vis[1]
    trunk_lean_sagittal = _gate(lean_s, both(lean_s_vis, sag),
                                dst.get("trunk_lean_sagittal"))
    # lumbar = mean over the sides with shoulder, hip, knee visible of -hip_flex2
    lum = np.negative(hip_flex2, out=lean_sides)
    lum = np.where(hip_vis, lum, _Z)
    lumbar = lum[0] + lum[1]
    np.add(hip_vis[0], hip_vis[1], dtype=np.float32, out=cnt)
    lumbar /= cnt
    lum_vis = hip_vis[0] | hip_vis[1]
    lumbar_extension = _gate(lumbar, both(lum_vis, side_ok), dst.get("lumbar_extension"))

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
        knee_flex = _deg_atan2(cn, dn)
        cn, dn = _cn(d3, g3)
        un = _deg_atan2(cn, dn)
        left = (wx[2] - wx[3], wy[2] - wy[3], wz[2] - wz[3])
        sup = ((wx[0] + wx[1] - wx[2] - wx[3]) * 0.5, (wy[0] + wy[1] - wy[2] - wy[3]) * 0.5,
               (wz[0] + wz[1] - wz[2] - wz[3]) * 0.5)
        a3 = (left[1] * sup[2] - left[2] * sup[1], left[2] * sup[0] - left[0] * sup[2],
              left[0] * sup[1] - left[1] * sup[0])  # anterior = left x superior
        ga = g3[0] * a3[0] + g3[1] * a3[1] + g3[2] * a3[2]
        da = d3[0] * a3[0] + d3[1] * a3[1] + d3[2] * a3[2]
        dd = d3[0] * d3[0] + d3[1] * d3[1] + d3[2] * d3[2]
        hip_flex = un * np.copysign(np.float32(1.0), ga - dn * da / dd)  # 0 stays 0
        flex_ok = None
    else:
        knee_flex = np.abs(theta)
        hip_flex = hip_flex2
        flex_ok = side_ok

    out: dict[str, Any] = {
        "knee_valgus": knee_valgus,
        "pelvic_obliquity": pelvic_obliquity,
        "trunk_lean_frontal": lean_f,
        "trunk_lean_sagittal": trunk_lean_sagittal,
        "knee_flexion": _gate(knee_flex, both(leg_vis, flex_ok), dst.get("knee_flexion")),
        "hip_flexion": _gate(hip_flex, both(hip_vis, flex_ok), dst.get("hip_flexion")),
        "lumbar_extension": lumbar_extension,
        "view": code,
        "view_confidence": vr.confidence,
    }
    if reasons:  # the reason codes are derived lazily from these (Metrics.nan_reason)
        out["vis"] = vis
        out["nodet"] = nodet
    if quiet:
        # quiet two-foot stance: frontal, legs visible, ankles level, knees near straight
        ay = y[b.ANKLES]
        q = code == _V_FRONTAL
        q &= leg_vis[0]
        q &= leg_vis[1]
        lvl = np.subtract(ay[0], ay[1], out=cnt)
        np.abs(lvl, out=lvl)
        q &= lvl < leg_len * _0_05
        ath = np.abs(theta, out=theta)
        q &= ath[0] < _15
        q &= ath[1] < _15
        q &= q_ok
        if "quiet_ok" in dst:
            np.copyto(dst["quiet_ok"], q)
            q = dst["quiet_ok"]
        out["quiet_ok"] = q
        out["leg_len"] = leg_len
    return out


def quiet_leg_len(xyzv: np.ndarray) -> np.ndarray:
    """float32 (T,): mean of the two hip-ankle lengths (px), as the kernel computes it."""
    lx = xyzv[:, 27, 0] - xyzv[:, 23, 0]
    ly = xyzv[:, 27, 1] - xyzv[:, 23, 1]
    ll = np.sqrt(lx * lx + ly * ly)
    lx = xyzv[:, 28, 0] - xyzv[:, 24, 0]
    ly = xyzv[:, 28, 1] - xyzv[:, 24, 1]
    ll += np.sqrt(lx * lx + ly * ly)
    ll *= _HALF
    return ll


def quiet_signal(xyzv: np.ndarray) -> np.ndarray:
    """float32 (6, T): mid-hip sum (x, y), left knee (x, y), right knee (x, y) in px, the
    positions whose stillness defines a quiet stance."""
    h = xyzv[:, 23, :2] + xyzv[:, 24, :2]
    return np.stack((h[:, 0], h[:, 1], xyzv[:, 25, 0], xyzv[:, 25, 1], xyzv[:, 26, 0],
                     xyzv[:, 26, 1])).astype(np.float32, copy=False)


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


# --------------------------------------------------------------------------- one frame
# A pure-Python (math) twin of _kernel for a single frame: numpy's per-call overhead
# (about 0.5 us per ufunc, ~250 calls) would make the live path (T = 1) cost hundreds of
# microseconds. tests/core/test_metrics.py checks both give the same numbers.
_nan = math.nan
_F32 = float(np.float32(0.42))  # thresholds as the float32 kernel sees them
_S32 = float(np.float32(0.25))


def _ad(c: float, d: float) -> float:
    """degrees(atan2(c, d)), NaN when both are 0."""
    if c == 0.0 and d == 0.0:
        return _nan
    return math.degrees(math.atan2(c, d))


def _sg(a: float) -> float:
    return 1.0 if a > 0.0 else (-1.0 if a < 0.0 else _nan)


def _tz(a: float) -> float:
    t = math.tanh(a)
    return 0.0 if t != t else t


def _bits(val: float, nodet: bool, visok: bool, viewok: bool | None) -> int:
    r = (1 if nodet else 0) | (0 if visok else 2)
    if viewok is not None and not viewok:
        r |= 4
    if val != val and r == 0:
        r = 8
    return r


def _kernel_row(r: list, vmin: float, gating: bool, w: list | None = None,
                reasons: bool = True) -> dict[str, Any]:
    """All measures of one frame. r: xyzv row as nested lists (33 x 4); w: world row
    (33 x 3) or None. Returns scalars / (left, right) tuples, same keys as _kernel."""
    ls, rs, lh, rh = r[11], r[12], r[23], r[24]
    lk, rk, la, ra = r[25], r[26], r[27], r[28]
    lear, rear, nose = r[7], r[8], r[0]
    nodet = lh[0] != lh[0]
    vls, vrs, vlh, vrh = ls[3] >= vmin, rs[3] >= vmin, lh[3] >= vmin, rh[3] >= vmin
    vlk, vrk, vla, vra = lk[3] >= vmin, rk[3] >= vmin, la[3] >= vmin, ra[3] >= vmin

    # ---- view (mirrors hipform.core.view._view_block)
    tx = (ls[0] + rs[0] - lh[0] - rh[0]) * 0.5
    ty = (ls[1] + rs[1] - lh[1] - rh[1]) * 0.5
    lt = math.hypot(tx, ty)
    rx = rh[0] - lh[0]
    ry = rh[1] - lh[1]
    ws = math.hypot(rs[0] - ls[0], rs[1] - ls[1])
    inv = 1.0 / lt if lt > 0.0 else (math.inf if lt == 0.0 else _nan)
    width = (ws + math.hypot(rx, ry)) * inv * 0.5
    tilt_h = math.degrees(math.atan2(abs(ty), abs(tx)))
    lying = abs(ty) < abs(tx)
    score = _tz((rs[2] + rh[2] - ls[2] - lh[2]) * inv * 5.0)
    score += _tz((ls[3] + lh[3] + lk[3] + la[3] + lear[3]
                  - rs[3] - rh[3] - rk[3] - ra[3] - rear[3]) * 2.0)
    ex = (lear[0] + rear[0]) * 0.5
    ey = (lear[1] + rear[1]) * 0.5
    score += _tz(((nose[0] - ex) * ty - (nose[1] - ey) * tx) * (inv * inv * 20.0))
    near = _sg(score)
    ok_l = vls and vlh
    ok_r = vrs and vrh
    ok = ok_l and ok_r and lt > 0.0
    half = (ok_l != ok_r) and lt > 0.0
    frontal = width >= _F32
    sag = width <= _S32
    code = 0
    conf = 0.0
    if half:
        near = 1.0 if ok_l else -1.0
        code = 5 if lying else (2 if ok_l else 3)
        vside = (ls[3] + lh[3]) if ok_l else (rs[3] + rh[3])
        conf = min(max(abs(tilt_h - 45.0) * (1.0 / 15.0), 0.0), 1.0) \
            * min(max(vside * 0.25, 0.0), 0.5)
    elif ok:
        m_lie = abs(tilt_h - 45.0) * (1.0 / 15.0)
        if lying:
            code, margin = 5, m_lie
        elif frontal:
            code, margin = 1, min(m_lie, (width - _F32) * 10.0)
        elif sag:
            code = 2 if score > 0 else (3 if score < 0 else 0)
            margin = min(m_lie, (_S32 - width) * 10.0 * min(abs(score), 1.0))
        else:
            code = 4
            margin = min(m_lie, min(width - _S32, _F32 - width) / ((_F32 - _S32) / 2))
        if code:
            vmean = (ls[3] + rs[3] + lh[3] + rh[3]) * 0.25
            conf = min(max(margin, 0.0), 1.0) * min(max(vmean, 0.0), 1.0)

    # ---- legs, pelvis, trunk, hips
    ant_x, ant_y = (0.0, -1.0) if lying else (near * ty, -near * tx)
    legs = []
    for h, k, a, s, sgn in ((lh, lk, la, ls, -1.0), (rh, rk, ra, rs, 1.0)):
        gx, gy = k[0] - h[0], k[1] - h[1]
        qx, qy = a[0] - k[0], a[1] - k[1]
        theta = _ad(gx * qy - gy * qx, gx * qx + gy * qy)
        lx, ly = a[0] - h[0], a[1] - h[1]
        valg = theta * _sg(lx * ry - ly * rx) * sgn
        dx, dy = h[0] - s[0], h[1] - s[1]
        phi = _ad(dx * gy - dy * gx, dx * gx + dy * gy)
        hf = phi * _sg(dx * ant_y - dy * ant_x)
        lsd = _ad(dx * near, dy)
        legs.append((theta, valg, hf, lsd))
    (th_l, vg_l, hf_l, ls_l), (th_r, vg_r, hf_r, ls_r) = legs
    n_lean = ok_l + ok_r
    lean_s = ((ls_l if ok_l else 0.0) + (ls_r if ok_r else 0.0)) / n_lean if n_lean else _nan
    leg_vis = (vlh and vlk and vla, vrh and vrk and vra)
    hip_vis = (vls and vlh and vlk, vrs and vrh and vrk)
    obliq = _ad(lh[1] - rh[1], abs(rx))
    hips_vis = vlh and vrh
    torso_vis = hips_vis and vls and vrs
    lean_left = _ad(-tx * _sg(rx), -ty)
    n_side = hip_vis[0] + hip_vis[1]
    lumbar = ((-hf_l if hip_vis[0] else 0.0) + (-hf_r if hip_vis[1] else 0.0)) / n_side \
        if n_side else _nan
    kf = (abs(th_l), abs(th_r))
    hflex = (hf_l, hf_r)

    if w is not None:
        kf_w, hf_w = [], []
        lft = [w[23][i] - w[24][i] for i in range(3)]
        sup = [(w[11][i] + w[12][i] - w[23][i] - w[24][i]) * 0.5 for i in range(3)]
        a3 = (lft[1] * sup[2] - lft[2] * sup[1], lft[2] * sup[0] - lft[0] * sup[2],
              lft[0] * sup[1] - lft[1] * sup[0])
        for si, hi, ki, ai in ((11, 23, 25, 27), (12, 24, 26, 28)):
            s3, h3, k3, a3p = w[si], w[hi], w[ki], w[ai]
            gv = (k3[0] - h3[0], k3[1] - h3[1], k3[2] - h3[2])
            qv = (a3p[0] - k3[0], a3p[1] - k3[1], a3p[2] - k3[2])
            dv = (h3[0] - s3[0], h3[1] - s3[1], h3[2] - s3[2])
            kf_w.append(_ad(_cross_norm(gv, qv), _dot3(gv, qv)))
            dn = _dot3(dv, gv)
            un = _ad(_cross_norm(dv, gv), dn)
            dd = _dot3(dv, dv)
            proj = _dot3(gv, a3) - dn * _dot3(dv, a3) / dd if dd > 0 else _nan
            hf_w.append(un * math.copysign(1.0, proj))
        kf, hflex, flex3d = (kf_w[0], kf_w[1]), (hf_w[0], hf_w[1]), True
    else:
        flex3d = False

    fr: bool | None = None
    sg_: bool | None = None
    side_ok: bool | None = None
    fo: bool | None = None
    if gating:
        fr = code == 1
        sg_ = code in (2, 3)
        side_ok = sg_ or code == 5
        fo = None if flex3d else side_ok

    def g(val: float, visok: bool, viewok: bool | None) -> float:
        return val if (visok and (viewok is None or viewok)) else _nan

    lum_vis = hip_vis[0] or hip_vis[1]
    out: dict[str, Any] = {
        "knee_valgus": (g(vg_l, leg_vis[0], fr), g(vg_r, leg_vis[1], fr)),
        "pelvic_obliquity": g(obliq, hips_vis, fr),
        "trunk_lean_frontal": (g(lean_left, torso_vis, fr), g(-lean_left, torso_vis, fr)),
        "trunk_lean_sagittal": g(lean_s, ok_l or ok_r, sg_),
        "knee_flexion": (g(kf[0], leg_vis[0], fo), g(kf[1], leg_vis[1], fo)),
        "hip_flexion": (g(hflex[0], hip_vis[0], fo), g(hflex[1], hip_vis[1], fo)),
        "lumbar_extension": g(lumbar, lum_vis, side_ok),
        "view": code,
        "view_confidence": conf,
    }
    if reasons:
        out["nan_reason"] = {
            "knee_valgus": tuple(_bits(out["knee_valgus"][i], nodet, leg_vis[i], fr)
                                 for i in (0, 1)),
            "pelvic_obliquity": _bits(out["pelvic_obliquity"], nodet, hips_vis, fr),
            "trunk_lean_frontal": tuple(_bits(out["trunk_lean_frontal"][i], nodet,
                                              torso_vis, fr) for i in (0, 1)),
            "trunk_lean_sagittal": _bits(out["trunk_lean_sagittal"], nodet, ok_l or ok_r,
                                         sg_),
            "knee_flexion": tuple(_bits(out["knee_flexion"][i], nodet, leg_vis[i], fo)
                                  for i in (0, 1)),
            "hip_flexion": tuple(_bits(out["hip_flexion"][i], nodet, hip_vis[i], fo)
                                 for i in (0, 1)),
            "lumbar_extension": _bits(out["lumbar_extension"], nodet, lum_vis, side_ok),
        }
    return out


def _cross_norm(u, v) -> float:
    return math.sqrt((u[1] * v[2] - u[2] * v[1]) ** 2 + (u[2] * v[0] - u[0] * v[2]) ** 2
                     + (u[0] * v[1] - u[1] * v[0]) ** 2)


def _dot3(u, v) -> float:
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]
