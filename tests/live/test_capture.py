"""Capture thread: newest-frame hand-over drops frames when the consumer is slow,
no-drop mode delivers every frame, files are paced at their timestamps; the live loop
drops frames under real-time pacing with a slow (fake) estimator."""

from __future__ import annotations

import io
import time
from typing import NamedTuple

import numpy as np
import pytest

from hipform.live.capture import FrameGrabber
from hipform.live.session import LiveOptions, LiveSession
from hipform.pose.base import NAN_XYZV


class Fr(NamedTuple):
    index: int
    t_ms: int
    bgr: np.ndarray


def frames(n: int, fps: float, size: tuple[int, int] = (64, 48)) -> list[Fr]:
    img = np.zeros((size[1], size[0], 3), np.uint8)
    return [Fr(i, int(round(i * 1000 / fps)), img) for i in range(n)]


class FakeSource:
    """A 'camera' or file of ``n`` frames; ``disconnect_after`` ends it early."""

    def __init__(self, n: int, fps: float, disconnect_after: int | None = None) -> None:
        self.fr = frames(n, fps)
        self.fps = fps
        self.cut = disconnect_after
        self.disconnected = False

    @property
    def info(self) -> dict:
        return {"path": "fake", "fps": self.fps, "frames": len(self.fr), "width": 64,
                "height": 48, "frames_lost": 0}

    def __iter__(self):
        for f in self.fr:
            if self.cut is not None and f.index >= self.cut:
                self.disconnected = True
                return
            yield f

    def close(self) -> None:
        pass


class SlowEstimator:
    """Stands in for the pose model: sleeps ``ms`` per frame, finds nobody."""

    name = "fake-slow"
    sha256 = ""

    def __init__(self, ms: float) -> None:
        self.ms = ms
        self.calls = 0

    def process(self, bgr, t_ms):
        self.calls += 1
        time.sleep(self.ms / 1000)
        return NAN_XYZV.copy(), None

    def close(self) -> None:
        pass


class NullEngine:
    """Minimal ExerciseSession stand-in (no reps, no cues)."""

    def __init__(self, *a, **k) -> None:
        self.n = 0

    def update(self, i, t_ms, row, metrics):
        self.n += 1
        return []

    @property
    def state(self):
        return None

    def finish(self):
        return None


def test_drop_mode_keeps_only_newest():
    g = FrameGrabber(frames(50, 1000.0), drop=True, paced=False).start()
    time.sleep(0.3)  # the source is exhausted long before the consumer looks
    got = g.get(timeout=1)
    assert got is not None and got.frame.index == 49  # the newest, not the first
    assert g.get(timeout=0.2) is None and g.ended
    assert g.captured == 50 and g.dropped == 49


def test_no_drop_mode_delivers_every_frame_in_order():
    g = FrameGrabber(frames(40, 1000.0), drop=False, paced=False, queue_size=2).start()
    seen = []
    while True:
        c = g.get(timeout=2)
        if c is None:
            break
        seen.append(c.frame.index)
        time.sleep(0.002)  # slow consumer: the producer must wait, not drop
    assert seen == list(range(40))
    assert g.dropped == 0


def test_paced_file_is_not_faster_than_real_time():
    fps = 100.0
    g = FrameGrabber(frames(31, fps), drop=False, paced=True).start()
    t0 = time.perf_counter()
    n = 0
    while g.get(timeout=2) is not None:
        n += 1
    dt = time.perf_counter() - t0
    assert n == 31
    assert dt >= 0.30 * 0.95, f"31 frames at 100 fps took {dt:.3f} s (< 0.3 s)"


def test_real_time_pacing_drops_frames_when_processing_is_slow():
    """30 fps source, 60 ms per frame 'model': about half the frames must be dropped,
    and the loop must still reach the end of the clip in about real time."""
    src = FakeSource(60, 30.0)  # 2 s
    est = SlowEstimator(60.0)
    opts = LiveOptions(exercise="single_leg_squat", window=False, save=False, drop=True)
    s = LiveSession(src, est, opts, paced=True, engine_factory=NullEngine,
                    stream=io.StringIO())
    t0 = time.perf_counter()
    s.run_loop()
    wall = time.perf_counter() - t0
    g = s._grabber
    assert g is not None and g.captured == 60
    assert g.dropped > 15, f"only {g.dropped} of 60 frames dropped"
    assert s.frames_processed + g.dropped == 60
    assert s.frames_processed == est.calls
    assert wall < 3.0, f"loop took {wall:.2f} s for a 2 s clip"
    lm = s.landmarks()
    assert len(lm) == s.frames_processed
    assert np.all(np.diff(lm.t_ms) > 0)
    assert lm.meta["source"]["frames_dropped"] == g.dropped


def test_no_drop_processes_every_frame_even_when_slow():
    src = FakeSource(20, 30.0)
    est = SlowEstimator(50.0)
    opts = LiveOptions(exercise="single_leg_squat", window=False, save=False, drop=False)
    s = LiveSession(src, est, opts, paced=True, engine_factory=NullEngine,
                    stream=io.StringIO())
    s.run_loop()
    assert s.frames_processed == 20 and s._grabber.dropped == 0
    assert s.landmarks().meta["frame_index"] == list(range(20))


def test_camera_disconnect_ends_the_session_with_frames_kept():
    src = FakeSource(100, 200.0, disconnect_after=30)
    opts = LiveOptions(exercise="single_leg_squat", window=False, save=False, drop=False)
    s = LiveSession(src, SlowEstimator(0.0), opts, paced=False, engine_factory=NullEngine,
                    stream=io.StringIO())
    s.run_loop()
    assert s.stop_reason == "camera disconnected"
    assert len(s.landmarks()) == 30


def test_max_seconds_stops_the_loop():
    src = FakeSource(1000, 30.0)  # 33 s clip
    opts = LiveOptions(exercise="single_leg_squat", window=False, save=False,
                       max_seconds=0.5)
    s = LiveSession(src, SlowEstimator(1.0), opts, paced=True, engine_factory=NullEngine,
                    stream=io.StringIO())
    t0 = time.perf_counter()
    s.run_loop()
    assert time.perf_counter() - t0 < 2.0
    assert s.stop_reason == "max_seconds"
    assert 5 <= s.frames_processed <= 25


def test_estimator_error_is_raised_not_swallowed():
    class Broken(SlowEstimator):
        def process(self, bgr, t_ms):
            raise RuntimeError("model exploded")

    opts = LiveOptions(exercise="single_leg_squat", window=False, save=False)
    s = LiveSession(FakeSource(10, 100.0), Broken(0), opts, engine_factory=NullEngine,
                    stream=io.StringIO())
    with pytest.raises(RuntimeError, match="model exploded"):
        s.run_loop()


def test_source_error_mid_session_keeps_the_frames(capsys):
    from hipform.errors import TruncatedVideoError

    class Truncated(FakeSource):
        def __iter__(self):
            yield from self.fr[:12]
            raise TruncatedVideoError("clip.mp4: truncated", frames_read=12, frames_lost=8)

    opts = LiveOptions(exercise="single_leg_squat", window=False, save=False, drop=False)
    s = LiveSession(Truncated(20, 100.0), SlowEstimator(0.0), opts, engine_factory=NullEngine,
                    stream=io.StringIO())
    s.run_loop()
    assert len(s.landmarks()) == 12
    assert s.stop_reason.startswith("source error: clip.mp4: truncated")
    assert "saving what was seen" in capsys.readouterr().err


def test_source_error_before_any_frame_is_raised():
    from hipform.errors import CameraError

    class Dead(FakeSource):
        def __iter__(self):
            raise CameraError("camera 0: stopped")
            yield  # pragma: no cover

    opts = LiveOptions(exercise="single_leg_squat", window=False, save=False)
    s = LiveSession(Dead(5, 30.0), SlowEstimator(0.0), opts, engine_factory=NullEngine,
                    stream=io.StringIO())
    with pytest.raises(CameraError, match="camera 0"):
        s.run_loop()


def test_ctrl_c_ends_between_frames_and_restores_the_handler():
    import os
    import signal
    import threading

    before = signal.getsignal(signal.SIGINT)
    src = FakeSource(3000, 100.0)  # 30 s
    opts = LiveOptions(exercise="single_leg_squat", window=False, save=False, drop=False)
    s = LiveSession(src, SlowEstimator(2.0), opts, paced=True, engine_factory=NullEngine,
                    stream=io.StringIO())
    threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    t0 = time.perf_counter()
    s.run_loop()
    assert time.perf_counter() - t0 < 3.0
    assert s.stop_reason == "interrupted"
    lm = s.landmarks()  # consistent: every column has one row per frame fed
    assert 10 < len(lm) == s.frames_processed == s.engine.n
    assert signal.getsignal(signal.SIGINT) is before
