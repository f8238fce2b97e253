"""Stance-side detection and exercise recognition from landmarks (vectorised over frames).

Feet are compared through their ankle heights in the image (pixels, y down) divided by
the leg length (median hip-ankle distance), so the rules do not depend on frame size or
distance from the camera.

* Lying vs standing: the body axis (shoulders -> hips) is closer to the image horizontal,
  or the knees are above the hips in the image (knees bent up, seen side-on or from the
  feet), or the metrics' view says LYING.
* Stance side, standing: the stance ankle stays put while the free one moves (motion
  rule); with little motion, a single-leg squat's free foot is the raised one, a
  step-down's stance foot is the higher one (on the step).
* Stance side, bridge: a single-leg bridge's free foot is raised; otherwise "both".
* Step-down vs single-leg squat: in a step-down the free foot goes clearly below the
  stance foot (toward the floor beside the step); in a single-leg squat it never does
  (both feet start near the same floor level and the free foot is held off the floor).
* Not an exercise (``None``): the body travels across the image (walking, running: the
  mid-hip's horizontal range exceeds ``_TRAVEL`` leg lengths; all three exercises are
  done on the spot), or a standing clip is mostly seen side-on / obliquely (the standing
  exercises are filmed from the front; needs the metrics' view codes).
"""

from __future__ import annotations

import numpy as np

from hipform.core.metrics import Metrics, View
from hipform.landmarks import LM, Landmarks

__all__ = ["detect_side", "recognize_exercise", "is_lying", "travel"]

_MOVE = 0.08      # ankle vertical range (x leg length) that counts as moving
_RAISED = 0.05    # height difference (x leg length) that counts as a raised/lower foot
#: mid-hip horizontal range (5th-95th percentile, x leg length) above which the body is
#: travelling (walking) rather than exercising on the spot. The sample exercise clips move
#: 0.07-0.16 leg lengths; the walking sample 6.7.
_TRAVEL = 0.6
#: a standing clip whose frames with a known view are less than this share FRONTAL is
#: not a (frontal) step-down or single-leg squat
_FRONTAL_MIN = 0.3


def _pts(xyzv: np.ndarray, idx: int, vmin: float) -> np.ndarray:
    p = xyzv[:, idx, :2].astype(np.float64)
    bad = ~(xyzv[:, idx, 3] >= vmin)
    p[bad] = np.nan
    return p


def _quantile_sorted(a: np.ndarray, q: float) -> float:
    """``np.percentile(a, 100 * q)`` (linear) of a sorted, NaN-free float64 (N >= 1,)
    array, with numpy's arithmetic (``_quantile``/``_lerp``) but without its per-call
    overhead (detect_side runs every 15 live frames)."""
    n = len(a)
    vi = (n - 1) * q
    if vi >= n - 1:
        x = y = a[-1]
        g = 1.0
    else:
        lo = int(np.floor(vi))
        x, y, g = a[lo], a[lo + 1], vi - lo
    d = y - x
    return float(y - d * (1.0 - g)) if g >= 0.5 else float(x + d * g)


def _nanmedian(x: np.ndarray) -> float:
    """``np.nanmedian`` of a float64 1-D array with at least one finite value (same
    arithmetic: the middle value, or ``(a + b) / 2`` of the two middle ones)."""
    a = np.sort(x[~np.isnan(x)])
    n, m = len(a), len(a) // 2
    return float(a[m]) if n % 2 else float((a[m - 1] + a[m]) / 2.0)


def _leg_len(xyzv: np.ndarray, vmin: float) -> float:
    d = []
    for h, a in ((LM.LEFT_HIP, LM.LEFT_ANKLE), (LM.RIGHT_HIP, LM.RIGHT_ANKLE)):
        d.append(np.hypot(*(_pts(xyzv, h, vmin) - _pts(xyzv, a, vmin)).T))
    dd = np.concatenate(d)
    return _nanmedian(dd) if np.isfinite(dd).any() else float("nan")


def _range(y: np.ndarray) -> float:
    y = y[np.isfinite(y)]
    if len(y) < 2:
        return 0.0
    ys = np.sort(y)
    return float(_quantile_sorted(ys, 0.95) - _quantile_sorted(ys, 0.05))


def is_lying(xyzv: np.ndarray, metrics: Metrics | None = None, vmin: float = 0.5) -> float:
    """Fraction of frames (with a person) that look lying, in [0, 1]."""
    sh = (_pts(xyzv, LM.LEFT_SHOULDER, vmin) + _pts(xyzv, LM.RIGHT_SHOULDER, vmin)) / 2
    hp = (_pts(xyzv, LM.LEFT_HIP, vmin) + _pts(xyzv, LM.RIGHT_HIP, vmin)) / 2
    kn = (_pts(xyzv, LM.LEFT_KNEE, vmin) + _pts(xyzv, LM.RIGHT_KNEE, vmin)) / 2
    # with one side hidden (side-on), fall back to whichever side is visible
    for arr, (a, b) in ((sh, (LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)),
                        (hp, (LM.LEFT_HIP, LM.RIGHT_HIP)), (kn, (LM.LEFT_KNEE, LM.RIGHT_KNEE))):
        miss = ~np.isfinite(arr[:, 0])
        if miss.any():
            pa, pb = _pts(xyzv, a, vmin), _pts(xyzv, b, vmin)
            alt = np.where(np.isfinite(pa), pa, pb)
            arr[miss] = alt[miss]
    axis = hp - sh
    ok = np.isfinite(axis).all(axis=1)
    horizontal = np.abs(axis[:, 0]) > np.abs(axis[:, 1])
    knees_up = kn[:, 1] < hp[:, 1]
    lying = (horizontal | knees_up) & ok
    if metrics is not None and len(metrics) == len(xyzv):
        lying = lying | (np.asarray(metrics.view) == int(View.LYING))
        ok = ok | (np.asarray(metrics.view) != int(View.UNKNOWN))
    n = int(ok.sum())
    return float(lying[ok].sum() / n) if n else 0.0


def detect_side(exercise: str, xyzv: np.ndarray, vmin: float = 0.5) -> tuple[str | None, float]:
    """Stance side from a window of frames.

    Args:
        exercise: "bridge", "step_down" or "single_leg_squat".
        xyzv: float32 (T, 33, 4) pixel landmarks.
    Returns:
        (side, confidence): side "left"/"right" (or "both" for a double-leg bridge), None
        when undecided; confidence in [0, 1].
    """
    xyzv = np.asarray(xyzv, np.float32)
    if len(xyzv) == 0:
        return None, 0.0
    L = _leg_len(xyzv, vmin)
    if not np.isfinite(L) or L <= 0:
        return None, 0.0
    yl = _pts(xyzv, LM.LEFT_ANKLE, vmin)[:, 1] / L
    yr = _pts(xyzv, LM.RIGHT_ANKLE, vmin)[:, 1] / L
    dy = yl - yr  # + = left ankle lower in the image
    med = _nanmedian(dy) if np.isfinite(dy).any() else 0.0
    if exercise == "bridge":
        if abs(med) > 0.15:
            return ("left" if med > 0 else "right"), min(1.0, abs(med) / 0.3)
        return "both", float(np.clip(1.0 - abs(med) / 0.15, 0.0, 1.0))
    rl, rr = _range(yl), _range(yr)
    motion_side, motion_conf = None, 0.0
    if max(rl, rr) > _MOVE:
        motion_side = "left" if rl < rr else "right"
        motion_conf = float(np.clip((max(rl, rr) - min(rl, rr)) / max(rl, rr), 0.0, 1.0))
    height_side, height_conf = None, 0.0
    if abs(med) > _RAISED:
        lower = "left" if med > 0 else "right"
        higher = "right" if lower == "left" else "left"
        height_side = lower if exercise == "single_leg_squat" else higher
        height_conf = float(min(1.0, abs(med) / (2 * _RAISED)))
    if exercise == "step_down":
        order = [(motion_side, motion_conf), (height_side, 0.5 * height_conf)]
    else:
        order = [(height_side, height_conf), (motion_side, motion_conf)]
    (s1, c1), (s2, c2) = order
    if s1 is not None and s2 is not None:
        return (s1, min(1.0, c1 + 0.5 * c2)) if s1 == s2 else ((s1, c1) if c1 >= c2 else (s2, c2))
    if s1 is not None:
        return s1, c1
    if s2 is not None:
        return s2, c2
    return None, 0.0


def travel(xyzv: np.ndarray, vmin: float = 0.5) -> float:
    """How far the body travels sideways across the image: the mid-hip's horizontal range
    (5th to 95th percentile) in leg lengths (hip-ankle distance, median); 0 if unknown.

    Args:
        xyzv: float32 (T, 33, 4) pixel landmarks.
    """
    xyzv = np.asarray(xyzv, np.float32)
    if len(xyzv) == 0:
        return 0.0
    L = _leg_len(xyzv, vmin)
    if not np.isfinite(L) or L <= 0:
        return 0.0
    hx = (_pts(xyzv, LM.LEFT_HIP, vmin)[:, 0] + _pts(xyzv, LM.RIGHT_HIP, vmin)[:, 0]) / 2
    return _range(hx / L)


def recognize_exercise(lm: Landmarks, metrics: Metrics | None = None,
                       vmin: float = 0.5) -> tuple[str | None, float]:
    """Which exercise a clip shows (for ``--exercise auto``).

    Args:
        lm: the clip's landmarks (pixels).
        metrics: its metrics (the view codes help recognise lying and reject standing
            clips not filmed from the front), or None.
    Returns:
        (name, confidence): name in "bridge", "step_down", "single_leg_squat", or None when
        the clip shows none of them (no person; the body travels across the image, e.g.
        walking; a standing clip seen mostly side-on). Confidence in [0, 1] (<= 0.3 means
        a guess: no raised foot and no movement seen); for None it is the confidence that
        the clip is *not* one of the exercises (0 when there is no person at all).
    """
    xyzv = lm.xyzv
    if len(xyzv) == 0 or not lm.detected.any():
        return None, 0.0
    L = _leg_len(xyzv, vmin)
    trav = travel(xyzv, vmin)
    if trav > _TRAVEL:
        return None, float(min(1.0, trav / (2 * _TRAVEL)))
    lying = is_lying(xyzv, metrics, vmin)
    if lying >= 0.5:
        return "bridge", lying
    if not np.isfinite(L) or L <= 0:
        return "single_leg_squat", 0.0
    if metrics is not None and len(metrics) == len(xyzv):
        views = np.asarray(metrics.view)
        known = views[(views != int(View.UNKNOWN)) & (views != int(View.LYING))]
        if known.size:
            frontal = float(np.mean(known == int(View.FRONTAL)))
            if frontal < _FRONTAL_MIN:
                return None, float(1.0 - frontal)
    yl = _pts(xyzv, LM.LEFT_ANKLE, vmin)[:, 1] / L
    yr = _pts(xyzv, LM.RIGHT_ANKLE, vmin)[:, 1] / L
    standing = 1.0 - lying
    rl, rr = _range(yl), _range(yr)
    if max(rl, rr) > _MOVE:
        stance_y, free_y = (yl, yr) if rl < rr else (yr, yl)
        rel = free_y - stance_y  # + = free foot lower than the stance foot
        rel = rel[np.isfinite(rel)]
        if len(rel):
            below = _quantile_sorted(np.sort(rel), 0.95)
            if below > _RAISED:
                return "step_down", standing * float(min(1.0, 0.5 + below / (4 * _RAISED)))
            return "single_leg_squat", standing * float(
                min(1.0, 0.5 + max(0.0, -_nanmedian(rel)) / (2 * _RAISED)))
    dy = yl - yr
    med = _nanmedian(dy) if np.isfinite(dy).any() else 0.0
    if abs(med) > _RAISED:
        # no movement yet: a raised foot suggests a single-leg squat
        return "single_leg_squat", 0.6 * standing
    return "single_leg_squat", 0.2 * standing
