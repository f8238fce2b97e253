"""The pose-estimator seam and the replay estimator (no mediapipe here)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from hipform.landmarks import N_LANDMARKS, Landmarks

#: One frame's result: xyzv (33, 4) pixels + visibility, world (33, 3) metres or None.
FramePose = tuple[np.ndarray, np.ndarray | None]

NAN_XYZV = np.full((N_LANDMARKS, 4), np.nan, np.float32)
NAN_WORLD = np.full((N_LANDMARKS, 3), np.nan, np.float32)


class PoseEstimator(Protocol):
    """Turns one BGR frame into one person's landmarks.

    ``process`` takes a BGR uint8 image (H, W, 3) and its timestamp in ms (strictly
    increasing within a stream), and returns ``(xyzv, world)``: float32 (33, 4) with
    x, y in pixels, z relative depth (x scale), visibility; and float32 (33, 3) world
    metres or None. No person: rows of NaN.
    """

    name: str
    sha256: str

    def process(self, bgr: np.ndarray, t_ms: int) -> FramePose: ...

    def close(self) -> None: ...


class ReplayEstimator:
    """Serves saved landmarks frame by frame, so everything downstream can be tested
    and re-scored without running the model. Frames are matched by call order."""

    def __init__(self, lm: Landmarks) -> None:
        self.lm = lm
        self._i = 0
        meta_model = lm.meta.get("model", {}) if isinstance(lm.meta, dict) else {}
        self.name = str(meta_model.get("name", "replay"))
        self.sha256 = str(meta_model.get("sha256", ""))

    def process(self, bgr: np.ndarray | None, t_ms: int) -> FramePose:
        i = self._i
        self._i += 1
        if i >= len(self.lm):
            return NAN_XYZV.copy(), None
        world = None if self.lm.world is None else self.lm.world[i]
        return self.lm.xyzv[i], world

    def close(self) -> None:
        pass

    def __enter__(self) -> ReplayEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
