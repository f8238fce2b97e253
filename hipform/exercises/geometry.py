"""Small per-frame landmark helpers used by the engines (pixel space, one frame).

Rows are float (33, 4) arrays: x, y pixels, z, visibility. A landmark whose visibility is
below ``vmin`` (or NaN) is treated as missing and yields NaN.
"""

from __future__ import annotations

import math

import numpy as np

from hipform.landmarks import LM

__all__ = [
    "LEG",
    "other_side",
    "point",
    "Points",
    "mid",
    "dist",
    "medial_sign",
    "line_angle",
    "angle_from_vertical",
]

#: Landmark indices of each side's limb points.
LEG: dict[str, dict[str, int]] = {
    "left": {
        "shoulder": LM.LEFT_SHOULDER, "hip": LM.LEFT_HIP, "knee": LM.LEFT_KNEE,
        "ankle": LM.LEFT_ANKLE, "heel": LM.LEFT_HEEL, "toe": LM.LEFT_FOOT_INDEX,
        "wrist": LM.LEFT_WRIST,
    },
    "right": {
        "shoulder": LM.RIGHT_SHOULDER, "hip": LM.RIGHT_HIP, "knee": LM.RIGHT_KNEE,
        "ankle": LM.RIGHT_ANKLE, "heel": LM.RIGHT_HEEL, "toe": LM.RIGHT_FOOT_INDEX,
        "wrist": LM.RIGHT_WRIST,
    },
}

_NAN2 = np.array([np.nan, np.nan])


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"


def point(row: np.ndarray, idx: int, vmin: float = 0.5) -> np.ndarray:
    """(2,) float64 pixel position of landmark ``idx``, NaN if missing or not visible."""
    v = row[idx, 3]
    if not (v >= vmin):  # also False for NaN
        return _NAN2.copy()
    return row[idx, :2].astype(np.float64)


class Points:
    """:func:`point` for many landmarks of one row: the visibility test and the float64
    copy are done once for the whole row. ``Points(row, vmin)(idx) == point(row, idx,
    vmin)`` (same values, a fresh (2,) array each call).

    Args:
        row: float (33, 4) landmarks (x, y pixels, z, visibility); vmin: visibility floor.
    """

    __slots__ = ("vis", "xy")

    def __init__(self, row: np.ndarray, vmin: float = 0.5) -> None:
        self.vis = (row[:, 3] >= vmin).tolist()  # same comparison as point() (row dtype)
        self.xy = row[:, :2].astype(np.float64)

    def __call__(self, idx: int) -> np.ndarray:
        if not self.vis[idx]:
            return _NAN2.copy()
        return self.xy[idx].copy()


def mid(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a + b) / 2.0


def dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.hypot(*(a - b)))


def medial_sign(row: np.ndarray, side: str, vmin: float = 0.5) -> float:
    """+1 or -1: the image-x direction from this side's hip toward the other hip (medial).

    NaN when either hip is missing or the hips overlap (sagittal view).
    """
    h = point(row, LEG[side]["hip"], vmin)
    o = point(row, LEG[other_side(side)]["hip"], vmin)
    d = o[0] - h[0]
    if not np.isfinite(d) or d == 0:
        return float("nan")
    return 1.0 if d > 0 else -1.0


def line_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Signed deviation (degrees) of ``b`` from the straight line a -> c.

    0 when a, b, c are collinear; ``180 - angle(a, b, c)``, positive when ``b`` lies above
    the a-c line in the image (smaller y), negative below. NaN if a point is missing.
    """
    ba, bc = a - b, c - b
    na, nc = np.hypot(*ba), np.hypot(*bc)
    if not (na > 0 and nc > 0):
        return float("nan")
    cosang = float(np.clip(np.dot(ba, bc) / (na * nc), -1.0, 1.0))
    dev = 180.0 - math.degrees(math.acos(cosang))
    # y of the a-c line at b's x (fall back to the perpendicular side test)
    cross = (c[0] - a[0]) * (b[1] - a[1]) - (c[1] - a[1]) * (b[0] - a[0])
    # for a line running left -> right (c.x > a.x), cross < 0 means b is above (smaller y)
    above = cross < 0 if c[0] >= a[0] else cross > 0
    return dev if above else -dev


def angle_from_vertical(top: np.ndarray, bottom: np.ndarray) -> float:
    """Unsigned angle (degrees) of the bottom -> top segment from the image vertical."""
    d = top - bottom
    if not np.all(np.isfinite(d)) or (d[0] == 0 and d[1] == 0):
        return float("nan")
    return math.degrees(math.atan2(abs(d[0]), -d[1])) if d[1] != 0 else 90.0
