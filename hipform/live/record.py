"""Recording during a live session: the raw clip and the annotated clip.

Both are written by :class:`hipform.video.VideoSink` (atomic: ``.part`` then rename) on
a writer thread each, so encoding never stalls capture or the overlay. The raw clip
receives every captured frame (also the ones the loop dropped), at the source frame
rate, so a session can be re-analysed offline later with ``hipform analyze``.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Recorder", "ThreadedSink"]


class ThreadedSink:
    """A VideoSink fed through a bounded queue on its own thread.

    ``write`` never blocks: when the queue is full the frame is dropped and counted in
    ``dropped`` (the machine cannot encode in real time).
    """

    def __init__(self, path: Path, fps: float, size: tuple[int, int],
                 queue_size: int = 64) -> None:
        from hipform.video import VideoSink

        self.sink = VideoSink(path, fps, size)
        self.path = Path(path)
        self.dropped = 0
        self.error: BaseException | None = None
        self._q: queue.Queue = queue.Queue(maxsize=queue_size)
        self._t = threading.Thread(target=self._run, name="hipform-rec", daemon=True)
        self._t.start()

    def _run(self) -> None:
        while True:
            img = self._q.get()
            if img is None:
                return
            if self.error is None:
                try:
                    self.sink.write(img)
                except BaseException as e:  # noqa: BLE001 - reported at close
                    self.error = e

    def write(self, bgr: np.ndarray) -> None:
        """Queue one BGR uint8 (H, W, 3) frame (the caller must not modify it after)."""
        try:
            self._q.put_nowait(bgr)
        except queue.Full:
            self.dropped += 1

    def close(self) -> Path | None:
        """Finish the file; returns its path (None if writing failed: file discarded)."""
        self._q.put(None)
        self._t.join()
        if self.error is not None:
            self.sink.abort()
            return None
        if self.sink.frames == 0:
            self.sink.abort()
            return None
        return self.sink.close()


class Recorder:
    """Raw + annotated recording into ``folder`` as ``rec-<n>-raw.mp4`` and
    ``rec-<n>-annotated.mp4`` (n counts the recordings of this session)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.n = 0
        self._raw: ThreadedSink | None = None
        self._ann: ThreadedSink | None = None
        self._lock = threading.Lock()
        self.files: list[dict[str, Any]] = []
        self._started_ms: int | None = None

    @property
    def active(self) -> bool:
        return self._raw is not None

    def start(self, raw_fps: float, annotated_fps: float, size: tuple[int, int],
              t_ms: int = 0) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.n += 1
        base = self.folder / f"rec-{self.n}"
        with self._lock:
            self._raw = ThreadedSink(base.with_name(base.name + "-raw.mp4"), raw_fps, size)
            self._ann = ThreadedSink(base.with_name(base.name + "-annotated.mp4"),
                                     annotated_fps, size)
            self._started_ms = int(t_ms)

    def raw(self, bgr: np.ndarray) -> None:
        """Called from the capture thread with every captured frame."""
        with self._lock:
            sink = self._raw
        if sink is not None:
            sink.write(bgr)

    def annotated(self, bgr: np.ndarray) -> None:
        with self._lock:
            sink = self._ann
        if sink is not None:
            sink.write(bgr)

    def stop(self, t_ms: int = 0) -> list[Path]:
        with self._lock:
            raw, ann, self._raw, self._ann = self._raw, self._ann, None, None
        out: list[Path] = []
        for kind, s in (("raw", raw), ("annotated", ann)):
            if s is None:
                continue
            p = s.close()
            if p is not None:
                out.append(p)
                self.files.append({"file": p.name, "kind": kind, "frames": s.sink.frames,
                                   "frames_dropped": s.dropped, "start_ms": self._started_ms,
                                   "stop_ms": int(t_ms)})
        return out
