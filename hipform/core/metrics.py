"""Per-frame metrics (contract; implementation in progress)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class View(IntEnum):
    """Camera view of the body, per frame."""

    UNKNOWN = 0
    FRONTAL = 1          # facing the camera (or back to it)
    SAGITTAL_LEFT = 2    # subject's left side toward the camera
    SAGITTAL_RIGHT = 3   # subject's right side toward the camera
    OBLIQUE = 4
    LYING = 5            # body axis roughly horizontal in the image


@dataclass(frozen=True)
class Metrics:
    """All per-frame measures of one clip. float32 degrees; (T, 2) columns = (left, right).

    Fields:
        t_ms: int64 (T,)
        knee_valgus: (T, 2) FPPA, + = knee medial to the hip-ankle line (valgus).
        pelvic_obliquity: (T,) tilt of the left-hip->right-hip line from the image
            horizontal, + = the subject's left hip is lower than the right.
        hip_drop: (T, 2) obliquity relative to the quiet-stance baseline; column k is
            "stance leg = side k", + = pelvis drops on the side away from that stance leg.
        lumbar_extension: (T,) + = hips above the shoulder-knee line (arching).
        trunk_lean_frontal: (T, 2) column k = "stance leg = side k", + = trunk leans
            toward that stance side.
        trunk_lean_sagittal: (T,) + = trunk leans forward.
        knee_flexion, hip_flexion: (T, 2), 0 = straight.
        view: int8 (T,) View codes; view_confidence: float32 (T,) in [0, 1].
    """

    t_ms: np.ndarray
    knee_valgus: np.ndarray
    pelvic_obliquity: np.ndarray
    hip_drop: np.ndarray
    lumbar_extension: np.ndarray
    trunk_lean_frontal: np.ndarray
    trunk_lean_sagittal: np.ndarray
    knee_flexion: np.ndarray
    hip_flexion: np.ndarray
    view: np.ndarray
    view_confidence: np.ndarray

    def __len__(self) -> int:
        return int(self.t_ms.shape[0])
