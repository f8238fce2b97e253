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
                vis: np.ndarray) -> ViewResult:
    """Classify the frames of one gathered block (x, y, z, v, vis: (K, n)).

    Call under ``np.errstate(invalid="ignore", divide="ignore")``.
    """
    tx = (x[b.L_SH] + x[b.R_SH] - x[b.L_HIP] - x[b.R_HIP]) * 0.5
    ty = (y[b.L_SH] + y[b.R_SH] - y[b.L_HIP] - y[b.R_HIP]) * 0.5
    # sqrt(x*x + y*y), not np.hypot: float32 hypot is ~20x slower (pixel values cannot
    # overflow float32 here)
    lt = np.sqrt(tx * tx + ty * ty)
    rx = x[b.R_HIP] - x[b.L_HIP]
    ry = y[b.R_HIP] - y[b.L_HIP]
    sdx = x[b.R_SH] - x[b.L_SH]
    sdy = y[b.R_SH] - y[b.L_SH]
    inv = 1.0 / lt
    width = (np.sqrt(sdx * sdx + sdy * sdy) + np.sqrt(rx * rx + ry * ry)) * inv * 0.5
    tilt_h = np.arctan2(np.abs(ty), np.abs(tx)) * _R  # 90 = upright torso
    lying = np.abs(ty) < np.abs(tx)  # == tilt_h < 45 deg, exact (no trig rounding)

    # near-side vote (+ = left side nearer the camera)
    cz = np.tanh((z[b.R_SH] + z[b.R_HIP] - z[b.L_SH] - z[b.L_HIP]) * inv * 5.0)
    cv = np.tanh((v[b.LEFTS].sum(axis=0) - v[b.RIGHTS].sum(axis=0)) * 2.0)
    ex = (x[b.L_EAR] + x[b.R_EAR]) * 0.5
    ey = (y[b.L_EAR] + y[b.R_EAR]) * 0.5
    cn = np.tanh(((x[b.NOSE] - ex) * ty - (y[b.NOSE] - ey) * tx) * (inv * inv * 20.0))
    score = np.where(cz == cz, cz, _Z)  # a missing cue counts 0 (3x cheaper than nan_to_num)
    score += np.where(cv == cv, cv, _Z)
    score += np.where(cn == cn, cn, _Z)
    near = score / np.abs(score)  # NaN where no cue

    ok_l = vis[b.L_SH] & vis[b.L_HIP]
    ok_r = vis[b.R_SH] & vis[b.R_HIP]
    pos = lt > 0
    ok = ok_l & ok_r & pos
    # one side hidden (far shoulder and/or hip below the threshold): a side view, the
    # visible side is the near one
    half = (ok_l ^ ok_r) & pos
    near = np.where(half, np.where(ok_l, np.float32(1.0), np.float32(-1.0)), near)
    up = ok & ~lying
    hup = half & ~lying
    frontal = width >= _F
    sag = width <= _S
    obl = ~frontal & ~sag
    code = (
        ((ok | half) & lying) * np.int8(5)
        + (up & frontal) * np.int8(1)
        + ((up & sag & (score > 0)) | (hup & ok_l)) * np.int8(2)
        + ((up & sag & (score < 0)) | (hup & ok_r)) * np.int8(3)
        + (up & obl) * np.int8(4)
    ).astype(np.int8, copy=False)

    m_lie = np.abs(tilt_h - LYING_MAX_TILT_DEG) * (1.0 / 15.0)
    m_cls = (
        frontal * ((width - _F) * 10.0)
        + sag * ((_S - width) * 10.0 * np.minimum(np.abs(score), 1.0))
        + obl * (np.minimum(width - _S, _F - width) / _HALF_OBLIQUE)
    )
    margin = np.where(lying, m_lie, np.minimum(m_lie, m_cls))
    vmean = (v[b.L_SH] + v[b.R_SH] + v[b.L_HIP] + v[b.R_HIP]) * 0.25
    conf = np.clip(margin, 0.0, 1.0) * np.clip(vmean, 0.0, 1.0) * (ok & (code > 0))
    conf = np.nan_to_num(conf, copy=False)
    vside = np.where(ok_l, v[b.L_SH] + v[b.L_HIP], v[b.R_SH] + v[b.R_HIP]) * 0.25
    conf_half = np.clip(m_lie, 0.0, 1.0) * np.clip(vside, 0.0, 0.5) * half
    conf += np.nan_to_num(conf_half, copy=False)
    conf = conf.astype(np.float32, copy=False)
    return ViewResult(code, conf, near.astype(np.float32, copy=False), lying, tx, ty, lt, rx, ry)


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
