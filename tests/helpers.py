"""Small test helpers shared by test modules (import as tests.helpers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def make_video(path: Path, n: int, fps: float = 25.0, size: tuple[int, int] = (160, 120),
               fourcc: str | None = None) -> Path:
    """Write a small synthetic video (frame number drawn on a changing grey)."""
    import cv2

    cc = fourcc or ("MJPG" if path.suffix == ".avi" else "mp4v")
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*cc), fps, size)
    assert w.isOpened(), path
    for i in range(n):
        img = np.full((size[1], size[0], 3), (i * 7) % 255, np.uint8)
        cv2.putText(img, str(i), (10, 60), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2)
        w.write(img)
    w.release()
    return path
