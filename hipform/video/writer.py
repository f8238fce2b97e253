"""Video sink: writes BGR frames to a file atomically (``<name>.part`` then rename)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hipform.errors import OutputError

#: fourcc tried in order. 'mp4v' always exists in opencv-contrib-python wheels (the pip
#: wheels have no H.264 encoder; trying 'avc1' only prints FFmpeg errors).
CODECS = {".mp4": ("mp4v",), ".avi": ("MJPG",), ".webm": ("VP90",)}


class VideoSink:
    """Write frames of one size to ``path``; nothing appears at ``path`` unless
    :meth:`close` completes (``abort`` discards the partial file)."""

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        import cv2

        self.path = Path(path)
        self.size = (int(size[0]), int(size[1]))
        self._part = self.path.with_name(self.path.stem + ".part" + self.path.suffix)
        self._w = None
        self.codec = ""
        fps = float(fps) if fps and fps > 0 else 30.0
        for cc in CODECS.get(self.path.suffix.lower(), ("mp4v",)):
            w = cv2.VideoWriter(str(self._part), cv2.VideoWriter_fourcc(*cc), fps, self.size)
            if w.isOpened():
                self._w, self.codec = w, cc
                break
            w.release()
        if self._w is None:
            raise OutputError(f"{self.path}: cannot open a video writer")
        self.frames = 0

    def write(self, bgr: np.ndarray) -> None:
        if bgr.shape[1] != self.size[0] or bgr.shape[0] != self.size[1]:
            raise OutputError(
                f"{self.path}: frame size {bgr.shape[1]}x{bgr.shape[0]} "
                f"!= {self.size[0]}x{self.size[1]}"
            )
        self._w.write(bgr)
        self.frames += 1

    def close(self) -> Path:
        if self._w is not None:
            self._w.release()
            self._w = None
            self._part.replace(self.path)
        return self.path

    def abort(self) -> None:
        if self._w is not None:
            self._w.release()
            self._w = None
        self._part.unlink(missing_ok=True)
