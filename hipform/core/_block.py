"""Internal: the compact, coordinate-major landmark block the metric kernel works on.

``gather(xyzv)`` picks the 15 BlazePose landmarks the core needs and lays them out as a
contiguous float32 array ``(4, K, n)``: axis 0 = (x, y, z, visibility), axis 1 = the
landmark slot below, axis 2 = time. Left/right pairs sit next to each other so one slice
(e.g. ``x[HIPS]``, shape ``(2, n)``) carries both legs (row 0 = subject's left).
"""

from __future__ import annotations

import numpy as np

#: BlazePose indices gathered, in slot order.
IDX = np.array([11, 12, 23, 24, 25, 26, 27, 28, 7, 8, 29, 30, 31, 32, 0], dtype=np.intp)
K = int(IDX.size)

L_SH, R_SH, L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANK, R_ANK = range(8)
L_EAR, R_EAR, L_HEEL, R_HEEL, L_FOOT, R_FOOT, NOSE = range(8, 15)

SHOULDERS = slice(0, 2)
HIPS = slice(2, 4)
KNEES = slice(4, 6)
ANKLES = slice(6, 8)
#: left slots / right slots of (shoulder, hip, knee, ankle, ear), for visibility asymmetry.
LEFTS = slice(0, 10, 2)
RIGHTS = slice(1, 10, 2)


def gather(xyzv: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
    """float32 (T, 33, 4) -> contiguous float32 (4, K, n) for frames [start, stop)."""
    sub = xyzv[start:stop].take(IDX, axis=1)
    return np.ascontiguousarray(sub.transpose(2, 1, 0), dtype=np.float32)


def gather_world(world: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
    """float32 (T, 33, 3) metres -> contiguous float32 (3, 8, n): shoulders..ankles."""
    sub = world[start:stop].take(IDX[:8], axis=1)
    return np.ascontiguousarray(sub.transpose(2, 1, 0), dtype=np.float32)
