"""Capture thread: reads a frame source on its own thread so a slow frame never stalls it.

Two hand-over policies:

* ``drop=True`` (a camera, and ``--source FILE`` by default): a one-frame slot that
  always holds the **newest** frame. When the consumer is slower than the source, the
  older frame is overwritten and counted in ``dropped``, exactly what a webcam driver
  does.
* ``drop=False`` (``--no-drop``): a bounded queue; the capture thread waits for the
  consumer, so every frame is processed (deterministic, for comparing with ``analyze``).

A file played "as if it were a camera" is paced at its own timestamps (``paced=True``):
frame ``k`` is released no earlier than ``t_ms[k]`` after the first. A camera paces
itself (``paced=False``). ``fast`` (files only) switches pacing off.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Captured", "FrameGrabber"]


@dataclass(frozen=True)
class Captured:
    """One captured frame: ``frame`` is a :class:`hipform.video.Frame` (index, t_ms,
    bgr uint8 (H, W, 3)); ``t_cap`` the ``time.perf_counter()`` seconds when it was
    captured (start of the capture-to-overlay latency)."""

    frame: Any
    t_cap: float


_END = object()


class FrameGrabber:
    """Runs ``source`` (any iterable of Frame) on a daemon thread.

    Args:
        source: a FrameSource (CameraSource, VideoFileSource, ...) or any iterable of
            frames with ``.index``, ``.t_ms``, ``.bgr``.
        drop: newest-frame slot (True) or blocking queue (False); see module docstring.
        paced: release frames at their timestamps (real time) -- for files.
        queue_size: queue length when ``drop`` is False.
        on_frame: called on the capture thread with every captured frame (also the ones
            dropped later), e.g. to record the raw clip; must be quick.
        clock: seconds clock (tests may pass a fake).
        sleep: sleep function (tests may pass a fake).

    Attributes (read at any time): ``captured`` frames read, ``dropped`` frames
    overwritten before the consumer took them, ``ended`` True once the source is
    exhausted (or the camera disconnected), ``error`` the exception that stopped the
    source, if any.
    """

    def __init__(self, source: Iterable[Any], *, drop: bool = True, paced: bool = False,
                 queue_size: int = 4, on_frame: Callable[[Any], None] | None = None,
                 clock: Callable[[], float] = time.perf_counter,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.source = source
        self.drop = bool(drop)
        self.paced = bool(paced)
        self.on_frame = on_frame
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._slot: Captured | None = None
        self._q: queue.Queue = queue.Queue(maxsize=max(1, int(queue_size)))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.captured = 0
        self.dropped = 0
        self.ended = False
        self.error: BaseException | None = None

    # ------------------------------------------------------------------ producer
    def start(self) -> FrameGrabber:
        self._thread = threading.Thread(target=self._run, name="hipform-capture", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        t0: float | None = None
        first_ms = 0
        try:
            for fr in self.source:
                if self._stop.is_set():
                    break
                if self.paced:
                    if t0 is None:
                        t0, first_ms = self._clock(), int(fr.t_ms)
                    due = t0 + (int(fr.t_ms) - first_ms) / 1000.0
                    while not self._stop.is_set():
                        wait = due - self._clock()
                        if wait <= 0:
                            break
                        self._sleep(min(wait, 0.05))
                    if self._stop.is_set():
                        break
                item = Captured(fr, self._clock())
                self.captured += 1
                if self.on_frame is not None:
                    self.on_frame(fr)
                self._hand_over(item)
        except BaseException as e:  # noqa: BLE001 - reported to the consumer
            self.error = e
        finally:
            self.ended = True
            if self.drop:
                with self._cond:
                    self._cond.notify_all()
            else:
                self._put_blocking(_END)

    def _hand_over(self, item: Captured) -> None:
        if self.drop:
            with self._cond:
                if self._slot is not None:
                    self.dropped += 1
                self._slot = item
                self._cond.notify_all()
        else:
            self._put_blocking(item)

    def _put_blocking(self, item: Any) -> None:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    # ------------------------------------------------------------------ consumer
    def get(self, timeout: float | None = None) -> Captured | None:
        """The next frame to process (the newest one in drop mode). Returns None when
        the source has ended and nothing is left, or on ``timeout`` (check ``ended``)."""
        if self.drop:
            with self._cond:
                if self._slot is None and not self.ended:
                    self._cond.wait_for(lambda: self._slot is not None or self.ended, timeout)
                item, self._slot = self._slot, None
                return item
        try:
            item = self._q.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _END:
            self._q.put(_END)  # later calls see the end too
            return None
        return item

    @property
    def finished(self) -> bool:
        """True when the source has ended and every handed-over frame was taken."""
        if not self.ended:
            return False
        if self.drop:
            return self._slot is None
        return self._q.qsize() <= 1 and (self._q.empty() or self._q.queue[0] is _END)

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the capture thread to stop and wait for it (briefly)."""
        self._stop.set()
        if not self.drop:  # unblock a producer waiting on a full queue
            try:
                while True:
                    self._q.get_nowait()
            except queue.Empty:
                pass
        if self._thread is not None:
            self._thread.join(timeout)
