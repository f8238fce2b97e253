"""Per-frame camera-view classification from 2-D landmark geometry.

Features (all from pixel coordinates, so they do not depend on the frame's aspect ratio):

* **torso axis**: mid-hip -> mid-shoulder vector ``t``; torso length ``Lt = |t|``.
* **lying**: the torso axis is within ``LYING_MAX_TILT_DEG`` (45 deg) of the image
  horizontal -> ``View.LYING`` (a bridge filmed from the side; a supine body is assumed
  when a measure needs "up", see :mod:`hipform.core.kinematics`).
* **apparent width**: ``w = (shoulder width + hip width) / (2 Lt)`` in the image. Facing
  the camera (or back to it) ``w`` is about 0.5-0.6 for adults (shoulder joints about
  0.65 Lt apart, BlazePose hip points about 0.45 Lt); it falls toward 0 as the body turns
  side-on (roughly ``w ~ w0 cos(yaw)``). ``w >= FRONTAL_MIN_WIDTH`` (0.42, yaw below
  about 40 deg) -> FRONTAL; ``w <= SAGITTAL_MAX_WIDTH`` (0.25, yaw above about 63 deg)
  -> SAGITTAL_*; in between -> OBLIQUE.
* **near side** (which side faces the camera, for SAGITTAL_LEFT / SAGITTAL_RIGHT): a
  vote of three cues, each squashed with ``tanh`` and summed:
  BlazePose depth (``z`` smaller = nearer) of shoulders and hips, the visibility
  asymmetry of shoulder/hip/knee/ankle/ear, and where the nose points relative to the
  ears (the face points anterior, and for an upright body with the left side to the
  camera the anterior is image-left). No cue at all -> UNKNOWN.
* **one side hidden**: when only one side's shoulder and hip pass the visibility
  threshold (BlazePose often marks the far side invisible in a side view) the frame is
  SAGITTAL with the visible side nearer (or LYING), at half confidence.

The thresholds are geometric heuristics, not fitted on real clips: see
docs/README_core.md. Confidence in [0, 1] is the margin from the nearest decision
threshold (saturating) times the mean visibility of the four torso landmarks; 0 for
UNKNOWN.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

import numpy as np

from hipform.core import _block as b

__all__ = [
    "View",
    "VIEW_NAMES",
    "LYING_MAX_TILT_DEG",
    "FRONTAL_MIN_WIDTH",
    "SAGITTAL_MAX_WIDTH",
    "ViewResult",
    "classify_view",
]


class View(IntEnum):
    """Camera view of the body, per frame."""

    UNKNOWN = 0
    FRONTAL = 1          # facing the camera (or back to it)
    SAGITTAL_LEFT = 2    # subject's left side toward the camera
    SAGITTAL_RIGHT = 3   # subject's right side toward the camera
    OBLIQUE = 4
    LYING = 5            # body axis roughly horizontal in the image


#: lower-case names by code, as written to analysis.json.
VIEW_NAMES: tuple[str, ...] = tuple(v.name.lower() for v in View)

LYING_MAX_TILT_DEG = 45.0  # fixed: the test is |ty| < |tx|
FRONTAL_MIN_WIDTH = 0.42
SAGITTAL_MAX_WIDTH = 0.25
_F = np.float32(FRONTAL_MIN_WIDTH)
_S = np.float32(SAGITTAL_MAX_WIDTH)
_HALF_OBLIQUE = np.float32((FRONTAL_MIN_WIDTH - SAGITTAL_MAX_WIDTH) / 2)
_R = np.float32(180.0 / np.pi)
_Z = np.float32(0.0)
_ONE = np.float32(1.0)
_TWO = np.float32(2.0)
_FIVE = np.float32(5.0)
_TEN = np.float32(10.0)
_TWENTY = np.float32(20.0)
_HALF = np.float32(0.5)
_QUARTER = np.float32(0.25)
_45 = np.float32(LYING_MAX_TILT_DEG)
_1_15 = np.float32(1.0 / 15.0)
_INF = np.float32(np.inf)
_I2, _I3, _I4, _I5 = np.int8(2), np.int8(3), np.int8(4), np.int8(5)


class ViewResult(NamedTuple):
    """Per-frame view classification plus the torso quantities the kernel reuses.

    code: int8 (n,) View codes; confidence: float32 (n,) in [0, 1];
    near: float32 (n,) +1 = subject's left side nearer the camera, -1 = right, NaN = no cue;
    lying: bool (n,); tx, ty: float32 (n,) torso vector mid-hip -> mid-shoulder (px);
    torso_len: float32 (n,) px; rx, ry: float32 (n,) pelvis vector left hip -> right hip (px).
    """

    code: np.ndarray
    confidence: np.ndarray
    near: np.ndarray
    lying: np.ndarray
    tx: np.ndarray
    ty: np.ndarray
    torso_len: np.ndarray
    rx: np.ndarray
    ry: np.ndarray


def _view_block(x: np.ndarray, y: np.ndarray, z: np.ndarray, v: np.ndarray,
                vis: np.ndarray, code_out: np.ndarray | None = None,
                conf_out: np.ndarray | None = None) -> ViewResult:
    """Classify the frames of one gathered block (x, y, z, v: (K, n); vis: (>= 8, n)).

    ``code_out`` / ``conf_out``: optional (n,) int8 / float32 destinations for the code
    and the confidence. Call under ``np.errstate(invalid="ignore", divide="ignore")``.

    Written for speed (one pass per operation, in place where possible); every value is
    bit-for-bit the one of the plain formulas in the comments.
    """
    # torso vector t = mid-shoulder - mid-hip: (xls + xrs - xlh - xrh) * 0.5
    tx = x[b.L_SH] + x[b.R_SH]
    tx -= x[b.L_HIP]
    tx -= x[b.R_HIP]
    tx *= _HALF
    ty = y[b.L_SH] + y[b.R_SH]
    ty -= y[b.L_HIP]
    ty -= y[b.R_HIP]
    ty *= _HALF
    # sqrt(x*x + y*y), not np.hypot: float32 hypot is ~20x slower (pixel values cannot
    # overflow float32 here)
    lt = tx * tx
    tmp = ty * ty
    lt += tmp
    np.sqrt(lt, out=lt)
    rx = x[b.R_HIP] - x[b.L_HIP]
    ry = y[b.R_HIP] - y[b.L_HIP]
    inv = _ONE / lt
    # width = (|shoulder line| + |hip line|) * inv * 0.5
    width = x[b.R_SH] - x[b.L_SH]
    width *= width
    np.subtract(y[b.R_SH], y[b.L_SH], out=tmp)
    tmp *= tmp
    width += tmp
    np.sqrt(width, out=width)
    np.multiply(rx, rx, out=tmp)
    hw = ry * ry
    tmp += hw
    np.sqrt(tmp, out=tmp)
    width += tmp
    width *= inv
    width *= _HALF
    atx = np.abs(tx)
    aty = np.abs(ty)
    lying = aty < atx  # == torso tilt below 45 deg, exact (no trig rounding)
    lying_tmp = np.empty_like(lying)
    # m_lie = |tilt_h - 45| / 15, tilt_h = atan2(|ty|, |tx|) in degrees (90 = upright)
    m_lie = np.arctan2(aty, atx, out=atx)
    m_lie *= _R
    m_lie -= _45
    np.abs(m_lie, out=m_lie)
    m_lie *= _1_15

    # near-side vote (+ = left side nearer the camera); a missing cue counts 0
    cz = z[b.R_SH] + z[b.R_HIP]
    cz -= z[b.L_SH]
    cz -= z[b.L_HIP]
    cz *= inv
    cz *= _FIVE
    np.tanh(cz, out=cz)
    # (sum of the left slots) - (sum of the right slots), summed in slot order as
    # v[LEFTS].sum(axis=0) does
    cv = v[0] + v[2]
    cv += v[4]
    cv += v[6]
    cv += v[8]
    cr = v[1] + v[3]
    cr += v[5]
    cr += v[7]
    cr += v[9]
    cv -= cr
    cv *= _TWO
    np.tanh(cv, out=cv)
    ex = x[b.L_EAR] + x[b.R_EAR]
    ex *= _HALF
    ey = y[b.L_EAR] + y[b.R_EAR]
    ey *= _HALF
    np.subtract(x[b.NOSE], ex, out=ex)
    ex *= ty
    np.subtract(y[b.NOSE], ey, out=ey)
    ey *= tx
    ex -= ey
    np.multiply(inv, inv, out=ey)
    ey *= _TWENTY
    ex *= ey
    cn = np.tanh(ex, out=ex)
    # NaN -> 0 in place (a masked store of the few NaN is cheaper than np.where)
    for cue in (cz, cv, cn):
        np.isnan(cue, out=lying_tmp)
        np.copyto(cue, _Z, where=lying_tmp)
    score = cz + cv
    score += cn
    near = np.abs(score, out=cv)
    np.divide(score, near, out=near)  # NaN where no cue

    ok_l = vis[b.L_SH] & vis[b.L_HIP]
    ok_r = vis[b.R_SH] & vis[b.R_HIP]
    pos = lt > 0
    ok = ok_l & ok_r
    ok &= pos
    # one side hidden (far shoulder and/or hip below the threshold): a side view, the
    # visible side is the near one
    half = ok_l ^ ok_r
    half &= pos
    any_half = bool(half.any())  # usually none: skip the work for them
    if any_half:
        sgn_l = np.multiply(ok_l, _TWO, dtype=np.float32)
        sgn_l -= _ONE
        near = np.where(half, sgn_l, near)
    nly = ~lying
    up = ok & nly
    hup = half & nly
    frontal = width >= _F
    sag = width <= _S
    obl = ~(frontal | sag)
    code = np.empty(lying.shape, np.int8) if code_out is None else code_out
    # 5 lying, 1 frontal, 2 / 3 sagittal left / right, 4 oblique, 0 unknown
    t1 = ok | half
    t1 &= lying
    np.multiply(t1, _I5, out=code)
    np.bitwise_and(up, frontal, out=t1)
    code += t1
    up_sag = up & sag
    np.greater(score, _Z, out=t1)
    t1 &= up_sag
    t2 = hup & ok_l
    t1 |= t2
    code += t1 * _I2
    np.less(score, _Z, out=t1)
    t1 &= up_sag
    np.bitwise_and(hup, ok_r, out=t2)
    t1 |= t2
    code += t1 * _I3
    np.bitwise_and(up, obl, out=t1)
    code += t1 * _I4

    # confidence: margin to the nearest decision threshold (saturating) x mean torso
    # visibility, for the ok frames with a code; half confidence for one-side-hidden
    # frames; 0 elsewhere. The class margin is (width - F) * 10 for frontal,
    # (S - width) * 10 * min(|score|, 1) for sagittal, min(width - S, F - width) / H for
    # oblique: in an ok frame (all finite) it is the largest of the three, because the
    # other two are <= 0 there.
    wf = width - _F
    sw = np.subtract(_S, width, out=width)
    m_o = np.maximum(sw, wf)
    m_o /= _HALF_OBLIQUE
    np.negative(m_o, out=m_o)
    wf *= _TEN
    sw *= _TEN
    np.abs(score, out=score)
    np.minimum(score, _ONE, out=score)
    sw *= score
    np.maximum(wf, sw, out=wf)
    m_cls = np.maximum(wf, m_o, out=wf)
    # margin = m_lie if lying else min(m_lie, m_cls)  (lying * inf: inf / NaN)
    np.multiply(lying, _INF, out=m_o)
    np.fmax(m_cls, m_o, out=m_cls)
    margin = np.minimum(m_lie, m_cls, out=m_cls)
    # clip to [0, 1], NaN -> 0, and 0 outside (ok & code > 0): fmin/fmax skip NaN
    np.greater(code, 0, out=t1)
    t1 &= ok
    np.multiply(t1, _ONE, out=sw)
    np.fmax(margin, _Z, out=margin)
    np.fmin(margin, sw, out=margin)
    vm = v[b.L_SH] + v[b.R_SH]
    vm += v[b.L_HIP]
    vm += v[b.R_HIP]
    vm *= _QUARTER
    np.fmax(vm, _Z, out=vm)
    np.fmin(vm, _ONE, out=vm)
    conf = np.multiply(margin, vm, out=conf_out)
    if not any_half:  # the half-confidence term below is +0 everywhere
        conf += _Z
        return ViewResult(code, conf, near, lying, tx, ty, lt, rx, ry)
    # one side hidden: clip(m_lie, 0, 1) * clip(vside, 0, 0.5), vside = that side's
    # (shoulder + hip visibility) / 4
    vside = np.add(v[b.L_SH], v[b.L_HIP], out=vm)
    np.add(v[b.R_SH], v[b.R_HIP], out=wf)
    vside = np.where(ok_l, vside, wf)
    vside *= _QUARTER
    np.fmax(vside, _Z, out=vside)
    np.fmin(vside, _HALF, out=vside)
    np.multiply(half, _ONE, out=sw)
    np.fmax(m_lie, _Z, out=m_lie)
    np.fmin(m_lie, sw, out=m_lie)
    m_lie *= vside
    conf += m_lie
    return ViewResult(code, conf, near, lying, tx, ty, lt, rx, ry)


def classify_view(lm, *, visibility_min: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame camera view of a clip.

    Args:
        lm: :class:`hipform.landmarks.Landmarks` or an xyzv array float32 (T, 33, 4), pixels.
        visibility_min: torso landmarks below this visibility -> UNKNOWN.
    Returns:
        (code int8 (T,) of :class:`View` values, confidence float32 (T,) in [0, 1]).
    """
    xyzv = getattr(lm, "xyzv", lm)
    blk = b.gather(np.asarray(xyzv, dtype=np.float32))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        r = _view_block(blk[0], blk[1], blk[2], blk[3], blk[3] >= visibility_min)
    return r.code, r.confidence
