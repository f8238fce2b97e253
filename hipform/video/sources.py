"""Frame sources: a video file, a webcam, a folder of images.

Each yields :class:`Frame` = (index, t_ms, bgr) with ``bgr`` uint8 (H, W, 3).
Video-file timestamps come from the container (``CAP_PROP_POS_MSEC`` of each decoded
frame), never from an assumed frame rate. Errors are typed (see hipform.errors) and
name the file.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np

from hipform.errors import (
    CameraError,
    EmptyVideoError,
    NotAVideoError,
    TruncatedVideoError,
    VideoNotFoundError,
    VideoOpenError,
)

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_EXTS = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"}


class Frame(NamedTuple):
    index: int
    t_ms: int
    bgr: np.ndarray


class FrameSource(Protocol):
    """Anything that yields frames. ``info`` describes the source for analysis.json."""

    def __iter__(self) -> Iterator[Frame]: ...

    @property
    def info(self) -> dict: ...

    def close(self) -> None: ...


@dataclass
class VideoInfo:
    path: str
    fps: float
    frames: int  # frames announced by the container (0 if unknown)
    width: int
    height: int


def _cv2():  # noqa: ANN202 - lazy import keeps `import hipform.video` light
    import os

    # FFmpeg and OpenCV print their own warnings for bad files; our typed errors say it.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    import cv2

    return cv2


def probe_video(path: str | Path) -> VideoInfo:
    """Open a video and read its header; typed errors for every way that can fail."""
    cv2 = _cv2()
    p = Path(path)
    if not p.exists():
        raise VideoNotFoundError(f"{p}: no such file")
    if p.is_dir():
        raise NotAVideoError(f"{p}: is a folder, not a video file")
    if p.stat().st_size == 0:
        raise EmptyVideoError(f"{p}: file is empty (0 bytes)")
    cap = cv2.VideoCapture(str(p), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            raise NotAVideoError(
                f"{p}: not a video that can be decoded (unknown format, truncated or corrupt)"
            )
        w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if w <= 0 or h <= 0:
            raise NotAVideoError(f"{p}: no video stream")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        ok, _ = cap.read()  # fail early (before any model loads) on a frameless file
        if not ok:
            raise EmptyVideoError(f"{p}: video has no decodable frames")
        return VideoInfo(str(p), fps, max(n, 0), w, h)
    finally:
        cap.release()


class VideoFileSource:
    """Frames of a video file with container timestamps.

    After iteration, ``frames_read`` and ``frames_lost`` tell how decoding went:
    ``frames_lost`` = frames the container announced that did not decode (a truncated
    or corrupt file). With ``strict=True`` a loss raises TruncatedVideoError at the end
    (after every good frame was yielded). A file with no decodable frame raises
    EmptyVideoError.

    ``threads``: FFmpeg decoding threads (0: FFmpeg's default, one per core). One thread
    costs less CPU per frame (1.3 against 1.6 ms at 720p on the project machine) and
    leaves the other core to the pose model; the offline pipeline asks for it.
    """

    def __init__(self, path: str | Path, *, strict: bool = False, threads: int = 0) -> None:
        self.path = Path(path)
        self.vinfo = probe_video(self.path)
        self.strict = strict
        self.threads = int(threads)
        self.frames_read = 0
        self.frames_lost = 0
        self._cap = None

    @property
    def info(self) -> dict:
        v = self.vinfo
        return {
            "path": str(v.path),
            "fps": round(v.fps, 3),
            "frames": self.frames_read or v.frames,
            "width": v.width,
            "height": v.height,
            "frames_lost": self.frames_lost,
        }

    def __iter__(self) -> Iterator[Frame]:
        cv2 = _cv2()
        params = [cv2.CAP_PROP_N_THREADS, self.threads] if self.threads > 0 else []
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG, params)
        self._cap = cap
        if not cap.isOpened():
            raise NotAVideoError(f"{self.path}: cannot be opened for decoding")
        i = 0
        last_t = -1
        fps = self.vinfo.fps if self.vinfo.fps > 0 else 30.0
        try:
            while True:
                ok, img = cap.read()
                if not ok or img is None:
                    break
                t = cap.get(cv2.CAP_PROP_POS_MSEC)
                t_ms = int(round(t)) if t == t and t >= 0 else int(round(i * 1000 / fps))
                if t_ms <= last_t:  # some containers repeat/omit pts: keep time monotonic
                    t_ms = last_t + 1
                last_t = t_ms
                yield Frame(i, t_ms, img)
                i += 1
        finally:
            cap.release()
            self._cap = None
        self.frames_read = i
        announced = self.vinfo.frames
        # Containers round durations: a shortfall of one frame is not a loss.
        self.frames_lost = max(0, announced - i) if announced - i > 1 else 0
        if i == 0:
            raise EmptyVideoError(f"{self.path}: video has no decodable frames")
        if self.frames_lost and self.strict:
            raise TruncatedVideoError(
                f"{self.path}: truncated or corrupt: {self.frames_lost} of {announced} "
                f"frames could not be decoded ({i} kept)",
                frames_read=i,
                frames_lost=self.frames_lost,
            )

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()


def _natural_key(p: Path) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", p.name)]


class ImageFolderSource:
    """Images of a folder in natural order (frame_2 before frame_10).

    Images carry no timestamps: frame i gets ``round(i * 1000 / fps)`` ms (``fps``
    defaults to 30 and is recorded in analysis.json). Unreadable images are skipped and
    counted in ``frames_lost``.
    """

    def __init__(self, folder: str | Path, *, fps: float = 30.0) -> None:
        self.folder = Path(folder)
        if not self.folder.exists():
            raise VideoNotFoundError(f"{self.folder}: no such folder")
        self.files = sorted(
            (p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_EXTS), key=_natural_key
        )
        if not self.files:
            raise EmptyVideoError(f"{self.folder}: folder holds no images")
        self.fps = float(fps)
        self.frames_lost = 0
        cv2 = _cv2()
        first = cv2.imread(str(self.files[0]))
        if first is None:
            raise NotAVideoError(f"{self.files[0]}: not an image OpenCV can read")
        self.height, self.width = first.shape[:2]

    @property
    def info(self) -> dict:
        return {
            "path": str(self.folder),
            "fps": self.fps,
            "frames": len(self.files) - self.frames_lost,
            "width": self.width,
            "height": self.height,
            "frames_lost": self.frames_lost,
        }

    def __iter__(self) -> Iterator[Frame]:
        cv2 = _cv2()
        i = 0
        for k, f in enumerate(self.files):
            img = cv2.imread(str(f))
            if img is None or img.shape[:2] != (self.height, self.width):
                self.frames_lost += 1
                continue
            yield Frame(i, int(round(k * 1000 / self.fps)), img)
            i += 1

    def close(self) -> None:
        pass


class CameraSource:
    """A webcam by index. Timestamps are capture times (monotonic clock, ms since open).

    Raises CameraError when the camera cannot be opened; iteration ends (cleanly) when
    the camera stops delivering frames, with ``disconnected`` set.
    """

    def __init__(self, index: int = 0, *, width: int | None = None, height: int | None = None,
                 fps: float | None = None) -> None:
        cv2 = _cv2()
        self.index = int(index)
        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"camera {self.index}: cannot be opened (no webcam, or in use)")
        if width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            cap.set(cv2.CAP_PROP_FPS, fps)
        self._cap = cap
        self.width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.fps = float(cap.get(cv2.CAP_PROP_FPS) or 30.0)
        self.disconnected = False
        self.frames_lost = 0

    @property
    def info(self) -> dict:
        return {"path": f"camera:{self.index}", "fps": self.fps, "frames": 0,
                "width": self.width, "height": self.height, "frames_lost": self.frames_lost}

    def __iter__(self) -> Iterator[Frame]:
        t0 = time.monotonic()
        i = 0
        while True:
            ok, img = self._cap.read()
            if not ok or img is None:
                self.disconnected = True
                return
            yield Frame(i, int((time.monotonic() - t0) * 1000), img)
            i += 1

    def close(self) -> None:
        self._cap.release()


def read_frames_at(path: str | Path, indices: list[int]) -> dict[int, np.ndarray]:
    """Decode the frames with the given indices (sequential decode up to the last one;
    seeking is not frame-exact in every container)."""
    cv2 = _cv2()
    want = set(int(i) for i in indices)
    out: dict[int, np.ndarray] = {}
    if not want:
        return out
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        last = max(want)
        i = 0
        while i <= last:
            if i in want:
                ok, img = cap.read()
                if not ok:
                    break
                out[i] = img
            elif not cap.grab():
                break
            i += 1
    finally:
        cap.release()
    return out


def open_source(spec: str | int | Path, *, fps: float = 30.0, strict: bool = False,
                threads: int = 0) -> FrameSource:
    """A source from a path (video file or image folder) or a camera index (int or '0');
    ``threads``: a video file's decoding threads (see :class:`VideoFileSource`)."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return CameraSource(int(spec))
    p = Path(spec)
    if p.is_dir():
        return ImageFolderSource(p, fps=fps)
    if not p.exists():
        raise VideoNotFoundError(f"{p}: no such file")
    if p.suffix.lower() in IMAGE_EXTS:
        raise NotAVideoError(f"{p}: is a single image; pass the folder of images instead")
    return VideoFileSource(p, strict=strict, threads=threads)


__all__ = [
    "CameraSource", "Frame", "FrameSource", "ImageFolderSource", "VideoFileSource",
    "VideoInfo", "VideoOpenError", "open_source", "probe_video", "read_frames_at",
]
