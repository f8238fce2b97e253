"""The annotated video written by a separate process (hipform.video.annotate_worker):
same frames as the thread writer, lock-step with the analysis, errors surfaced as one
line, nothing half-written, no orphan process. No model: a deterministic fake estimator
stands in for MediaPipe."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from hipform import pipeline
from hipform.errors import HipformError, OutputError
from hipform.landmarks import Landmarks
from hipform.pipeline import AnalyzeOptions, analyze_video, video_writer_kind
from hipform.video.annotate_worker import ProcessVideoWriter
from tests.conftest import ROOT, SAMPLES
from tests.helpers import make_video

# a standing figure, BlazePose order, in units of body height (x right, y down)
_POSE = np.array([
    [0, -.45], [-.02, -.47], [-.03, -.47], [-.04, -.47], [.02, -.47], [.03, -.47],
    [.04, -.47], [-.06, -.46], [.06, -.46], [-.02, -.42], [.02, -.42],
    [-.12, -.32], [.12, -.32], [-.16, -.16], [.16, -.16], [-.18, -.02], [.18, -.02],
    [-.19, 0], [.19, 0], [-.19, .01], [.19, .01], [-.18, 0], [.18, 0],
    [-.08, 0], [.08, 0], [-.09, .25], [.09, .25], [-.09, .48], [.09, .48],
    [-.1, .5], [.1, .5], [-.06, .52], [.06, .52]], np.float64)


class FakeEstimator:
    """Deterministic landmarks from the timestamp: a figure that squats (knees move in
    and down) and is missing on every 23rd call; optionally raises at call ``fail_at``
    or sleeps ``delay_s`` a call."""

    name, sha256 = "fake", "0" * 64

    def __init__(self, fail_at: int | None = None, delay_s: float = 0.0) -> None:
        self.n = 0
        self.fail_at = fail_at
        self.delay_s = delay_s
        self.closed = False

    def process(self, bgr: np.ndarray, t_ms: int):
        self.n += 1
        if self.fail_at is not None and self.n == self.fail_at:
            raise RuntimeError("model crashed")
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.n % 23 == 0:
            return np.full((33, 4), np.nan, np.float32), None
        h, w = bgr.shape[:2]
        s = 0.5 + 0.5 * np.sin(t_ms / 700.0)
        p = _POSE.copy()
        p[25:27, 1] -= 0.08 * s
        p[25, 0] += 0.05 * s
        p[26, 0] -= 0.05 * s
        p[:23, 1] += 0.12 * s
        xy = np.stack([w / 2 + p[:, 0] * 0.8 * h, h / 2 + p[:, 1] * 0.8 * h], 1)
        row = np.concatenate([xy, np.zeros((33, 1)), np.full((33, 1), 0.95)], 1)
        return row.astype(np.float32), None

    def close(self) -> None:
        self.closed = True


def frame_hashes(video: Path) -> list[str]:
    import cv2

    cap = cv2.VideoCapture(str(video))
    out = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        out.append(hashlib.sha256(img.tobytes()).hexdigest())
    cap.release()
    return out


_BEFORE: set[int] = set()


@pytest.fixture(autouse=True)
def _children_before():
    """Child processes that exist before a test (e.g. multiprocessing's resource tracker,
    started by an earlier test's spawn pool and alive until pytest exits) are not ours."""
    _BEFORE.clear()
    _BEFORE.update(p.pid for p in psutil.Process().children(recursive=True))
    yield


def children() -> list[psutil.Process]:
    """Child processes started during the current test and still alive."""
    return [p for p in psutil.Process().children(recursive=True) if p.pid not in _BEFORE]


@pytest.fixture
def writer(monkeypatch: pytest.MonkeyPatch):
    """Set the annotated-video writer used by analyze_video: "process" or "thread"."""
    monkeypatch.delenv("HIPFORM_VIDEO_WRITER", raising=False)

    def use(kind: str) -> None:
        monkeypatch.setattr(pipeline, "VIDEO_WRITER", kind)

    return use


def _analyze(clip: Path, out: Path, **kw):
    return analyze_video(clip, out, estimator=FakeEstimator(), write_report=False, **kw)


# ----------------------------------------------------------------------------- identical
@pytest.mark.parametrize("stride", [1, 2])
def test_process_writer_frames_equal_thread_writer(tmp_path: Path, writer, stride: int) -> None:
    clip = SAMPLES / "sls_faulty.mp4"
    writer("thread")
    a = _analyze(clip, tmp_path / "t", stride=stride)
    writer("process")
    b = _analyze(clip, tmp_path / "p", stride=stride)
    ht = frame_hashes(tmp_path / "t" / "annotated.mp4")
    hp = frame_hashes(tmp_path / "p" / "annotated.mp4")
    assert len(ht) == len(a["frames"]["t_ms"]) == 299
    assert hp == ht
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert (tmp_path / "t" / "analysis.json").read_text() == \
        (tmp_path / "p" / "analysis.json").read_text()
    assert not children()


def test_process_writer_draws_the_overlay(tmp_path: Path, writer) -> None:
    """The process writer's video is the source with the overlay drawn, not a copy."""
    clip = make_video(tmp_path / "c.avi", 40, size=(320, 240))
    writer("process")
    _analyze(clip, tmp_path / "o")
    hp = frame_hashes(tmp_path / "o" / "annotated.mp4")
    assert len(hp) == 40
    writer("thread")
    _analyze(clip, tmp_path / "t")
    assert frame_hashes(tmp_path / "t" / "annotated.mp4") == hp
    raw = tmp_path / "raw.mp4"
    from hipform.video import VideoFileSource, VideoSink

    sink = VideoSink(raw, 25.0, (320, 240))
    for fr in VideoFileSource(clip):
        sink.write(fr.bgr)
    sink.close()
    assert frame_hashes(raw) != hp


def test_truncated_file_same_frames_in_both_decodes(tmp_path: Path, writer) -> None:
    full = make_video(tmp_path / "full.avi", 60, size=(320, 240))
    cut = tmp_path / "cut.avi"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    writer("process")
    a = _analyze(cut, tmp_path / "p")
    n = len(a["frames"]["t_ms"])
    assert 5 < n < 60 and a["source"]["frames_lost"] == 60 - n
    assert len(frame_hashes(tmp_path / "p" / "annotated.mp4")) == n
    writer("thread")
    _analyze(cut, tmp_path / "t")
    assert frame_hashes(tmp_path / "t" / "annotated.mp4") == \
        frame_hashes(tmp_path / "p" / "annotated.mp4")


def test_image_folder_writes_no_video_with_either_writer(tmp_path: Path, writer) -> None:
    import cv2

    d = tmp_path / "imgs"
    d.mkdir()
    for i in range(12):
        cv2.imwrite(str(d / f"f{i}.png"), np.full((120, 160, 3), 10 * i, np.uint8))
    writer("process")
    a = _analyze(d, tmp_path / "o")
    assert len(a["frames"]["t_ms"]) == 12
    assert not (tmp_path / "o" / "annotated.mp4").exists()
    assert not children()


# ----------------------------------------------------------------------------- choice
def test_writer_choice_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HIPFORM_VIDEO_WRITER", raising=False)
    long = {"frames": pipeline.PROCESS_WRITER_MIN_FRAMES}
    short = {"frames": pipeline.PROCESS_WRITER_MIN_FRAMES - 1}
    assert video_writer_kind(AnalyzeOptions(), long) == "thread"  # the default
    monkeypatch.setattr(pipeline, "VIDEO_WRITER", "auto")
    assert video_writer_kind(AnalyzeOptions(), long) == "process"
    assert video_writer_kind(AnalyzeOptions(), short) == "thread"
    assert video_writer_kind(AnalyzeOptions(), {"frames": 0}) == "thread"
    assert video_writer_kind(AnalyzeOptions(pipelined=False), long) == "thread"
    monkeypatch.setenv("HIPFORM_VIDEO_WRITER", "process")
    assert video_writer_kind(AnalyzeOptions(), short) == "process"
    assert video_writer_kind(AnalyzeOptions(pipelined=False), short) == "thread"
    monkeypatch.setenv("HIPFORM_VIDEO_WRITER", "thread")
    assert video_writer_kind(AnalyzeOptions(), long) == "thread"
    monkeypatch.setenv("HIPFORM_VIDEO_WRITER", "fast")
    with pytest.raises(HipformError, match="HIPFORM_VIDEO_WRITER"):
        video_writer_kind(AnalyzeOptions(), long)


def test_daemonic_process_uses_the_thread_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch pool worker is daemonic and may not start children."""
    import multiprocessing as mp

    monkeypatch.setenv("HIPFORM_VIDEO_WRITER", "process")
    monkeypatch.setattr(mp.current_process(), "_config",
                        {**mp.current_process()._config, "daemon": True})
    assert mp.current_process().daemon
    assert video_writer_kind(AnalyzeOptions(), {"frames": 10_000}) == "thread"


# ----------------------------------------------------------------------------- failures
def _start(clip: Path, out: Path, **kw) -> ProcessVideoWriter:
    from hipform.video import probe_video

    v = probe_video(clip)
    return ProcessVideoWriter(clip, out, fps=v.fps, size=(v.width, v.height), **kw)


def _rows(clip: Path):
    from hipform.video import VideoFileSource

    est = FakeEstimator()
    for fr in VideoFileSource(clip):
        yield fr.index, fr.t_ms, est.process(fr.bgr, fr.t_ms)[0]


def test_writer_out_of_step_is_one_line_error_and_no_file(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.avi", 30)
    out = tmp_path / "a.mp4"
    w = _start(clip, out)
    with pytest.raises(OutputError, match=r"annotated video not written: .*out of step") as e:
        for i, t, row in _rows(clip):
            w.put(i, t + (1 if i == 5 else 0), row)
        w.close()
    assert "\n" not in str(e.value) and "c.avi" in str(e.value)
    w.abort()
    assert list(tmp_path.iterdir()) == [clip]
    assert w.proc.poll() is not None


def test_writer_checks_frame_counts(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.avi", 20)
    rows = list(_rows(clip))
    w = _start(clip, tmp_path / "short.mp4")  # analysis ended early: too few rows
    for r in rows[:15]:
        w.put(*r)
    with pytest.raises(OutputError, match="decoded more frames than the analysis"):
        w.close()
    w = _start(clip, tmp_path / "long.mp4")  # more rows than the video has frames
    with pytest.raises(OutputError, match="decoded only 20 frames"):
        for r in [*rows, (20, rows[-1][1] + 40, rows[-1][2])]:
            w.put(*r)
        w.close()
    w.abort()
    assert list(tmp_path.iterdir()) == [clip]
    w = _start(clip, tmp_path / "ok.mp4")
    for r in rows:
        w.put(*r)
    assert w.close() == 20
    assert len(frame_hashes(tmp_path / "ok.mp4")) == 20


def test_writer_killed_midway_is_reported(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.avi", 200)
    w = _start(clip, tmp_path / "a.mp4", max_ahead=8)
    rows = _rows(clip)
    for _ in range(10):
        w.put(*next(rows))
    w.proc.send_signal(signal.SIGKILL)
    with pytest.raises(OutputError, match="writer process ended unexpectedly") as e:
        for r in rows:
            w.put(*r)
        w.close()
    assert "\n" not in str(e.value)
    w.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.avi"]


def test_writer_that_cannot_open_its_output_is_reported(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.avi", 20)
    w = _start(clip, tmp_path / "no" / "such" / "dir" / "a.mp4")
    with pytest.raises(OutputError, match="annotated video not written: OutputError: .*"
                       "cannot open a video writer"):
        for r in _rows(clip):
            w.put(*r)
        w.close()
    w.abort()


def test_model_failure_stops_the_writer_process(tmp_path: Path, writer) -> None:
    writer("process")
    with pytest.raises(RuntimeError, match="model crashed"):
        analyze_video(SAMPLES / "sls_faulty.mp4", tmp_path / "o",
                      estimator=FakeEstimator(fail_at=100))
    assert list(tmp_path.iterdir()) == []
    assert not children()


def test_writer_failure_in_analyze_leaves_no_output(tmp_path: Path, writer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that dies mid-clip: one-line OutputError, no output folder, no process."""
    writer("process")
    real = ProcessVideoWriter.put

    def put(self, index, t_ms, row):
        if index == 50:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        real(self, index, t_ms, row)

    monkeypatch.setattr(ProcessVideoWriter, "put", put)
    with pytest.raises(OutputError, match="sls_faulty.mp4: annotated video not written"):
        _analyze(SAMPLES / "sls_faulty.mp4", tmp_path / "o")
    assert list(tmp_path.iterdir()) == []
    assert not children()


# ----------------------------------------------------------------------------- signals
_SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from tests.test_pipeline_writer import FakeEstimator
    from hipform import pipeline
    pipeline.VIDEO_WRITER = "process"
    print("start", flush=True)
    pipeline.analyze_video({clip!r}, {out!r}, estimator=FakeEstimator(delay_s=0.02),
                           write_report=False, progress=lambda d, t: d == 30 and
                           print("frames", flush=True))
""")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_leaves_no_orphan_writer(tmp_path: Path, sig: int) -> None:
    """Ctrl-C (SIGINT to the whole process group) and SIGTERM (to the main process
    only) end the writer process too; Ctrl-C also leaves no output or partial folder."""
    out = tmp_path / "o"
    code = _SCRIPT.format(root=str(ROOT), clip=str(SAMPLES / "sls_faulty.mp4"), out=str(out))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                         env=env, start_new_session=True)
    try:
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "start"
        assert p.stdout.readline().strip() == "frames"
        kids = psutil.Process(p.pid).children(recursive=True)
        assert len(kids) == 1 and "annotate_worker" in " ".join(kids[0].cmdline())
        if sig == signal.SIGINT:
            os.killpg(p.pid, sig)  # what a terminal's Ctrl-C does
        else:
            p.send_signal(sig)
        p.wait(20)
        gone, alive = psutil.wait_procs(kids, timeout=10)
        assert not alive
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert not out.exists()
    if sig == signal.SIGINT:
        assert p.returncode != 0
        assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- finish
def _still_landmarks(n: int = 40) -> Landmarks:
    rng = np.random.default_rng(3)
    x = np.zeros((n, 33, 4), np.float32)
    x[..., 0] = rng.uniform(200, 440, 33)
    x[..., 1] = rng.uniform(40, 440, 33)
    x[..., 3] = 0.99
    return Landmarks(x, np.arange(n) * 33, 640, 480)


def test_finish_analysis_store_failure_is_reported_or_raised(tmp_path: Path) -> None:
    """The shared end of analyze and live: a history database that cannot be opened is
    passed to ``on_store_error`` (live keeps what was seen) or, without it, fails the
    whole analysis with no output folder left."""
    from hipform.errors import StoreError
    from hipform.pipeline import finish_analysis

    bad_db = tmp_path / "db_is_a_folder"
    bad_db.mkdir()
    opts = AnalyzeOptions(save=True, db=bad_db, write_report=False)
    seen: list[Exception] = []
    a, sid = finish_analysis(_still_landmarks(), tmp_path / "kept", opts,
                             extra={"live": {"k": 1}}, on_store_error=seen.append)
    assert sid is None and len(seen) == 1 and isinstance(seen[0], StoreError)
    on_disk = json.loads((tmp_path / "kept" / "analysis.json").read_text())
    assert on_disk["live"] == {"k": 1} and a["live"] == {"k": 1}
    with pytest.raises(StoreError):
        finish_analysis(_still_landmarks(), tmp_path / "lost", opts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db_is_a_folder", "kept"]
