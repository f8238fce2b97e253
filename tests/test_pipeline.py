"""The offline pipeline: bounded queues, error propagation, atomic outputs, and identical
results with and without pipelining."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from hipform.errors import ConfigError
from hipform.landmarks import Landmarks
from hipform.pipeline import _Consumer, _threaded, analyze_video
from tests.conftest import SAMPLES


def test_reader_thread_is_bounded() -> None:
    produced = []

    def gen():
        for i in range(100):
            produced.append(i)
            yield i

    it = _threaded(gen(), maxsize=4)
    assert next(it) == 0
    time.sleep(0.2)
    # the producer may be at most queue size (+1 in hand) ahead of the consumer
    assert len(produced) <= 1 + 4 + 1
    assert list(it) == list(range(1, 100))


def test_reader_errors_reach_the_consumer() -> None:
    def gen():
        yield 1
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        list(_threaded(gen(), maxsize=2))


def test_reader_stops_when_the_consumer_stops() -> None:
    started = threading.Event()

    def gen():
        started.set()
        i = 0
        while True:
            yield i
            i += 1

    it = _threaded(gen(), maxsize=2)
    next(it)
    it.close()  # must not hang
    assert started.is_set()


def test_writer_errors_propagate() -> None:
    def boom(x: int) -> None:
        if x == 3:
            raise ValueError("encoder failed")

    c = _Consumer(boom, 2)
    with pytest.raises(ValueError, match="encoder failed"):
        for i in range(10):
            c.put((i,))
            time.sleep(0.01)
        c.close()


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread niceness is Linux's")
def test_reader_and_writer_threads_yield_to_the_model_thread() -> None:
    """extract_landmarks' reader and writer threads run niced (HELPER_NICE): on two cores
    the model's thread gets the CPU first; the thread that calls it keeps its priority."""
    from hipform import pipeline as pl

    def nice_here() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    class Source:
        info = {"frames": 3, "width": 4, "height": 4, "fps": 30.0}

        def __iter__(self):
            for i in range(3):
                seen["reader"] = nice_here()
                yield SimpleNamespace(index=i, t_ms=i * 33, bgr=np.zeros((4, 4, 3), np.uint8))

    class Model:
        name, sha256 = "stub", None

        def process(self, bgr, t_ms):
            seen["model"] = nice_here()
            return np.full((33, 4), np.nan, np.float32), None

    def annotate(fr, row) -> None:
        seen["writer"] = nice_here()

    seen: dict[str, int] = {}
    main = nice_here()
    lm = pl.extract_landmarks(Source(), Model(), annotate=annotate)
    assert len(lm) == 3
    assert seen["model"] == main
    want = min(main + pl.HELPER_NICE, 19)
    assert seen["reader"] == want and seen["writer"] == want, (seen, main)


def test_bad_stride_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="stride"):
        analyze_video(SAMPLES / "sls_clean.mp4", tmp_path / "o", stride=0)
    assert not (tmp_path / "o").exists()


def test_failure_midway_leaves_no_output_folder(tmp_path: Path) -> None:
    class Exploding:
        name, sha256 = "fake", "0" * 64
        n = 0

        def process(self, bgr, t_ms):
            self.n += 1
            if self.n == 20:
                raise RuntimeError("model crashed")
            return np.full((33, 4), np.nan, np.float32), None

    with pytest.raises(RuntimeError, match="model crashed"):
        analyze_video(SAMPLES / "sls_clean.mp4", tmp_path / "o", estimator=Exploding())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.model
def test_pipelined_and_sequential_give_identical_results(tmp_path: Path) -> None:
    clip = SAMPLES / "sls_faulty.mp4"
    a = analyze_video(clip, tmp_path / "p", pipelined=True, write_report=False)
    b = analyze_video(clip, tmp_path / "s", pipelined=False, write_report=False)
    la = Landmarks.load(tmp_path / "p" / "landmarks.npz")
    lb = Landmarks.load(tmp_path / "s" / "landmarks.npz")
    np.testing.assert_array_equal(la.xyzv, lb.xyzv)
    np.testing.assert_array_equal(la.t_ms, lb.t_ms)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert (tmp_path / "p" / "analysis.json").read_text() == \
        (tmp_path / "s" / "analysis.json").read_text()
    # the annotated videos hold the same number of frames
    import cv2

    for d in ("p", "s"):
        cap = cv2.VideoCapture(str(tmp_path / d / "annotated.mp4"))
        assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == len(la)
        cap.release()


@pytest.mark.model
def test_stride_interpolates_skipped_frames(tmp_path: Path) -> None:
    clip = SAMPLES / "sls_faulty.mp4"
    analyze_video(clip, tmp_path / "f", write_video=False, write_report=False)
    half = analyze_video(clip, tmp_path / "h", write_video=False, write_report=False,
                         stride=2)
    assert half["stride"] == 2
    lf = Landmarks.load(tmp_path / "f" / "landmarks.npz")
    lh = Landmarks.load(tmp_path / "h" / "landmarks.npz")
    assert len(lf) == len(lh)
    assert lh.detected.mean() > 0.95  # skipped frames were filled in
    d = np.nanmedian(np.abs(lf.xyzv[:, 23:29, :2] - lh.xyzv[:, 23:29, :2]))
    assert d < 4.0, d  # pixels: interpolation stays close to running every frame


def test_prewarm_imports_loads_in_the_background_and_ignores_failures() -> None:
    import sys

    from hipform.pipeline import prewarm_imports

    name = "hipform_no_such_module_x"
    sys.modules.pop("wave", None)
    th = prewarm_imports([name, "wave"])
    assert th is not None and th.daemon
    th.join(10)
    assert "wave" in sys.modules and name not in sys.modules
    assert prewarm_imports(["wave", "json"]) is None  # all loaded: no thread


def test_short_gil_switch_is_shared_and_restored() -> None:
    """Nested and overlapping users (the model thread and the prewarm thread) share the
    short interval; the last one out restores what was there before, also on error."""
    import sys

    from hipform.pipeline import short_gil_switch

    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.004)
        first = short_gil_switch(0.0005)
        first.__enter__()
        assert sys.getswitchinterval() == pytest.approx(0.0005)
        with short_gil_switch(0.001):  # a longer wish never lengthens it
            assert sys.getswitchinterval() == pytest.approx(0.0005)
        assert sys.getswitchinterval() == pytest.approx(0.0005)  # still one user
        first.__exit__(None, None, None)
        assert sys.getswitchinterval() == pytest.approx(0.004)
        with pytest.raises(RuntimeError), short_gil_switch():
            raise RuntimeError("boom")
        assert sys.getswitchinterval() == pytest.approx(0.004)
    finally:
        sys.setswitchinterval(before)


def test_extraction_runs_with_the_short_switch_and_restores_it(tiny_video: Path) -> None:
    import sys

    from hipform.pipeline import MODEL_SWITCH_S, extract_landmarks
    from hipform.video import VideoFileSource

    seen: list[float] = []

    class Est:
        name, sha256 = "stub", ""

        def process(self, bgr, t_ms):
            seen.append(sys.getswitchinterval())
            return np.zeros((33, 4), np.float32), None

    before = sys.getswitchinterval()
    extract_landmarks(VideoFileSource(tiny_video), Est(), pipelined=True)
    assert seen and max(seen) <= MODEL_SWITCH_S < before
    assert sys.getswitchinterval() == before
    seen.clear()
    extract_landmarks(VideoFileSource(tiny_video), Est(), pipelined=False)
    assert seen and min(seen) == before  # one thread: nothing to hand over
