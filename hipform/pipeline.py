"""Offline analysis: video -> landmarks -> metrics -> exercise -> outputs.

Streaming and bounded memory: frames are never held for the whole clip. Pass 1 runs
the model with decoding overlapped in a reader thread (a bounded queue); pass 2 (only
when the annotated video is wanted) decodes again, draws the overlay and encodes in a
writer thread. Outputs are written into a temporary folder that is renamed into place
only when everything succeeded, so a failure never leaves a half-written folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hipform import __version__
from hipform.affinity import contention_watch, helper_affinity, model_cpu
from hipform.errors import ConfigError, HipformError, OutputError
from hipform.landmarks import N_LANDMARKS, Landmarks
from hipform.rows import RowBuffer
from hipform.util import lower_thread_priority

SCHEMA = "hipform.analysis/1"
Progress = Callable[[int, int], None]  # (done, total or 0)


@dataclass
class AnalyzeOptions:
    """Everything ``analyze`` can be told. Defaults give the most accurate result."""

    model: str | Path | None = None
    exercise: str = "auto"
    side: str | None = None
    profile: str | Path | None = None
    overrides: list[str] = field(default_factory=list)
    write_video: bool = True
    write_report: bool = True
    stride: int = 1
    person: str = "largest"
    people: int = 1  # how many people the model looks for (>= 2 to choose by `person`)
    subject: str | None = None
    session: str | None = None
    pipelined: bool = True
    image_fps: float = 30.0
    save: bool = False            # store the session in the history database
    source_kind: str = "analyze"  # how the session was recorded (analyze/live/batch)
    db: str | Path | None = None  # history database (None: the default one)
    queue_size: int = 8
    pin_cpu: bool | None = None   # model threads on one free CPU (None: HIPFORM_PIN_CPU, on)


# ----------------------------------------------------------------------------- helpers
#: niceness the reader and writer threads add to themselves (0: the model's priority).
#: Measured (`benchmarks/bench_offline.py`, 20 s 720p clip with the annotated video,
#: 2 cores): the model thread's time per frame 19.4-21.0 ms at 0, 18.4-18.6 ms at 10
#: (18.2 ms alone): the scheduler gives the model's core back at once, and decoding,
#: drawing and encoding fill the gaps, which the bounded queues allow.
HELPER_NICE = 10
#: FFmpeg decoding threads of the reader (0: FFmpeg's default, one per core): see
#: :class:`hipform.video.VideoFileSource`.
DECODE_THREADS = 1


def _threaded(it: Iterable[Any], maxsize: int, nice: int = 0) -> Iterator[Any]:
    """Iterate ``it`` in a background thread through a bounded queue (the thread's
    niceness raised by ``nice``).

    Exceptions in the producer are re-raised in the consumer; closing the consumer early
    stops the producer.
    """
    q: queue.Queue = queue.Queue(maxsize=maxsize)
    done = object()
    stop = threading.Event()

    def run() -> None:
        helper_affinity()
        lower_thread_priority(nice)
        try:
            for x in it:
                while not stop.is_set():
                    try:
                        q.put(x, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            q.put(e)

    th = threading.Thread(target=run, name="hipform-reader", daemon=True)
    th.start()
    try:
        while True:
            x = q.get()
            if x is done:
                return
            if isinstance(x, BaseException):
                raise x
            yield x
    finally:
        stop.set()
        while th.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                th.join(0.05)


class _Consumer:
    """Runs ``fn(*item)`` for each item in a background thread (bounded queue; the
    thread's niceness raised by ``nice``). The first error stops the work and is
    re-raised by :meth:`close`."""

    def __init__(self, fn: Callable[..., None], maxsize: int, nice: int = 0) -> None:
        self.fn = fn
        self.nice = nice
        self.q: queue.Queue = queue.Queue(maxsize=maxsize)
        self.err: list[BaseException] = []
        self.th = threading.Thread(target=self._run, name="hipform-writer", daemon=True)
        self.th.start()

    def _run(self) -> None:
        helper_affinity()
        lower_thread_priority(self.nice)
        while True:
            item = self.q.get()
            if item is None:
                return
            if self.err:
                continue
            try:
                self.fn(*item)
            except BaseException as e:  # noqa: BLE001 - re-raised in close()
                self.err.append(e)

    def put(self, item: tuple) -> None:
        if self.err:
            raise self.err[0]
        self.q.put(item)

    def close(self, raise_errors: bool = True) -> None:
        self.q.put(None)
        self.th.join()
        if self.err and raise_errors:
            raise self.err[0]


#: Modules that only the end of an analysis needs (scoring's zero-phase filter, the
#: report and its SVG plots, the history store): scipy.signal alone costs ~0.8 s of a
#: cold process. :func:`prewarm_imports` loads them in a background thread while the
#: model runs, instead of after it. (The report needs no matplotlib.)
FINISH_MODULES = ("scipy.signal", "hipform.store", "hipform.report.html",
                  "hipform.report.svgplot")


#: the GIL switch interval while the model runs beside Python helper threads
#: (:func:`extract_landmarks` pipelined, :func:`prewarm_imports`); Python's default is
#: 5 ms. A thread waiting for the GIL waits up to this long for a holder that runs pure
#: Python (the writer thread's engine and drawing code, imports): the model thread wants
#: the GIL back several times a frame. A/B on a 20 s 720p clip with the annotated video,
#: 14 interleaved pairs (2026-12-07, shared machine): faster in 10, slower in 3, median
#: +0.85 frames/s (~1.8 %).
MODEL_SWITCH_S = 0.0005

_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.005


@contextlib.contextmanager
def short_gil_switch(interval_s: float = MODEL_SWITCH_S) -> Iterator[None]:
    """Run the block with a GIL switch interval of at most ``interval_s`` seconds.

    Process-wide (it is Python's setting), so nested and concurrent users (the model
    thread and the prewarm thread) share it: the first one in saves the interval, the
    last one out restores it."""
    import sys

    global _switch_users, _switch_saved
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
        _switch_users += 1
        sys.setswitchinterval(min(sys.getswitchinterval(), interval_s))
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


def prewarm_imports(names: Iterable[str] = FINISH_MODULES) -> threading.Thread | None:
    """Import ``names`` in a daemon thread (returns it; None when all are loaded).

    Only a head start: an import that fails here (e.g. an optional extra not installed) is
    ignored and fails again, with its own message, where the module is really used.
    Python's per-module import locks make a later import of the same module wait for
    this one instead of running twice."""
    import importlib
    import sys

    todo = [n for n in names if n not in sys.modules]
    if not todo:
        return None

    def run() -> None:
        # Importing is pure Python: by default it would keep the GIL for up to 5 ms
        # whenever the model thread wants it back (several times a frame). A shorter
        # switch interval while it runs keeps the model's frames on time.
        helper_affinity()
        with short_gil_switch():
            for n in todo:
                try:
                    importlib.import_module(n)
                except Exception:  # noqa: BLE001, S112 - see the docstring
                    continue

    th = threading.Thread(target=run, name="hipform-prewarm", daemon=True)
    th.start()
    return th


def recorded_time(path: str | None) -> str | None:
    """When a clip was recorded, as local ISO time: the file's modification time (the
    best a plain video file tells; deterministic, so a replay reproduces it)."""
    if not path:
        return None
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(mtime))


def write_json_atomic(path: Path, obj: Any) -> None:
    """JSON file written atomically; NaN -> null, numpy values -> Python (``clean``)."""
    from hipform.exercises.types import clean

    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w") as f:
        json.dump(clean(obj, share=True), f, allow_nan=False, separators=(",", ":"))
    tmp.replace(path)


# ----------------------------------------------------------------------------- pass 1
def extract_landmarks(
    source: Any,
    estimator: Any,
    *,
    stride: int = 1,
    pipelined: bool = True,
    queue_size: int = 8,
    progress: Progress | None = None,
    annotate: Callable[[Any, np.ndarray], None] | None = None,
    on_row: Callable[[int, int, np.ndarray], None] | None = None,
) -> Landmarks:
    """Run ``estimator`` over every frame of ``source`` (every ``stride``-th frame, the
    rest linearly interpolated between detected neighbours). Returns raw landmarks.

    With ``pipelined`` the source is decoded in a reader thread; ``annotate(frame, row)``
    (e.g. drawing and encoding the annotated video) runs in a writer thread, so the model
    thread only runs the model. Both queues are bounded: memory does not grow with the
    clip's length. ``on_row(index, t_ms, row)`` is called in the model thread with each
    frame's raw row (float32 (33, 4), NaN for no person or a frame skipped by ``stride``):
    a cheap hand-off, e.g. to the annotated-video writer process
    (:class:`hipform.video.annotate_worker.ProcessVideoWriter`).
    """
    info = source.info
    total = int(info.get("frames") or 0)
    hint = min(max(total, 0), 1_000_000)  # the container's frame count: a guess
    xyzv = RowBuffer((N_LANDMARKS, 4), capacity=hint)
    world = RowBuffer((N_LANDMARKS, 3), capacity=hint)
    t_ms = RowBuffer((), np.int64, capacity=hint)
    frames: Iterable[Any] = iter(source)
    if pipelined:
        frames = _threaded(frames, queue_size, HELPER_NICE)
    nan4 = np.full((N_LANDMARKS, 4), np.nan, np.float32)
    nan3 = np.full((N_LANDMARKS, 3), np.nan, np.float32)
    consumer = None
    if annotate is not None:
        consumer = _Consumer(annotate, queue_size, HELPER_NICE) if pipelined else None
    # pinned model (hipform.affinity): give the pinning up if its CPU turns out busy
    watch = contention_watch()
    # helper threads run Python beside the model: hand the GIL back to it sooner
    with short_gil_switch() if pipelined else contextlib.nullcontext():
        try:
            for fr in frames:
                if fr.index % stride == 0:
                    row, w = estimator.process(fr.bgr, fr.t_ms)
                    if watch is not None:
                        watch()
                else:
                    row, w = nan4, None
                xyzv.append(row)
                world.append(nan3 if w is None else w)
                t_ms.append(fr.t_ms)
                if on_row is not None:
                    on_row(fr.index, fr.t_ms, row)
                if consumer is not None:
                    consumer.put((fr, row))
                elif annotate is not None:
                    annotate(fr, row)
                if progress is not None:
                    progress(fr.index + 1, total)
        except BaseException:
            if consumer is not None:
                consumer.close(raise_errors=False)
            raise
        if consumer is not None:
            consumer.close()
    info = source.info  # frames_lost is known only after iteration
    x = xyzv.take()
    wld = world.take()
    t = t_ms.take()
    if stride > 1 and len(t):
        x, wld = _fill_stride(x, wld, t, stride)
    meta = {"source": info, "model": {"name": estimator.name, "sha256": estimator.sha256},
            "stride": stride, "created": recorded_time(info.get("path"))}
    return Landmarks(x, t, int(info["width"]), int(info["height"]), wld, meta)


def _fill_stride(x: np.ndarray, w: np.ndarray, t: np.ndarray, stride: int):
    """Linear interpolation of the frames skipped by ``stride`` between sampled frames
    that both have a person (skipped frames next to a miss stay NaN)."""
    idx = np.arange(len(t))
    sampled = idx % stride == 0
    ok = sampled & np.isfinite(x[:, 0, 0])
    if ok.sum() < 2:
        return x, w
    flat = x.reshape(len(t), -1)
    wflat = w.reshape(len(t), -1)
    fill = ~sampled
    # a skipped frame is filled only if its sampled neighbours on both sides are detected
    prev_s = (idx // stride) * stride
    next_s = np.minimum(prev_s + stride, len(t) - 1)
    det = np.isfinite(x[:, 0, 0])
    fill &= det[prev_s] & det[next_s] & (next_s != prev_s)
    tf = t.astype(np.float64)
    for arr in (flat, wflat):
        good = ok & np.isfinite(arr[:, 0])
        if good.sum() < 2:
            continue
        for c in range(arr.shape[1]):
            arr[fill, c] = np.interp(tf[fill], tf[good], arr[good, c])
    return flat.reshape(x.shape), wflat.reshape(w.shape)


# ----------------------------------------------------------------------------- scoring
@dataclass
class Scored:
    """Everything computed from landmarks (no pixels). ``raw`` is None when scoring
    smoothed the landmarks in place (``score_landmarks(in_place=True)``); ``t_ms`` and
    ``detected`` are the raw ones either way."""

    raw: Landmarks | None
    smooth: Landmarks
    metrics: Any
    exercise: Any  # ExerciseResult
    profile: Any
    analysis: dict
    t_ms: np.ndarray
    detected: np.ndarray


def smooth_offline(lm: Landmarks, *, in_place: bool = False) -> Landmarks:
    """Offline filtering: fill gaps <= 120 ms, then zero-phase Butterworth low-pass
    (in place on the gap-filled copy: one copy of the landmarks, not two; with
    ``in_place`` on ``lm``'s own arrays: no copy at all)."""
    from hipform.core.filters import interpolate_landmark_gaps, lowpass_landmarks

    return lowpass_landmarks(interpolate_landmark_gaps(lm, copy=not in_place), copy=False)


#: analysis.json threshold names -> profile sections
_THRESHOLD_KEYS = {"knee_valgus_deg": "knee_valgus", "hip_drop_deg": "hip_drop",
                   "lumbar_extension_deg": "lumbar_extension", "trunk_lean_deg": "trunk_lean"}


def thresholds_of(profile: Any) -> dict:
    """The flag/severe thresholds in force, for analysis.json, overlays and reports."""
    out = {}
    for key, sec in _THRESHOLD_KEYS.items():
        d = profile.section(sec)
        out[key] = {k: d[k] for k in ("flag", "severe") if k in d}
    return out


def score_landmarks(lm: Landmarks, opts: AnalyzeOptions, profile: Any = None, *,
                    in_place: bool = False) -> Scored:
    """Landmarks -> metrics, exercise result and the analysis.json dict (deterministic:
    the same landmarks always give the same dict, which is what replay relies on).

    ``in_place``: smooth ``lm``'s own arrays instead of a copy (``lm`` is then no longer
    raw; ``Scored.raw`` is None). The same dict, one copy of the landmarks fewer: for a
    caller that has already saved the raw landmarks and does not need them again."""
    from hipform.config import load_profile
    from hipform.core.metrics import View, compute_metrics
    from hipform.exercises import analyze_exercise

    if profile is None:
        profile = load_profile(opts.profile, overrides=list(opts.overrides))
    t_ms, detected = lm.t_ms, lm.detected  # raw: before smoothing fills short gaps
    smooth = smooth_offline(lm, in_place=in_place) if len(lm) else lm
    metrics = compute_metrics(smooth)
    result = analyze_exercise(smooth, metrics, exercise=opts.exercise, side=opts.side,
                              profile=profile)
    ex = result.to_dict()
    views = np.asarray(metrics.view)
    known = views[views != int(View.UNKNOWN)]
    dominant = View(int(np.bincount(known).argmax())).name.lower() if known.size else None
    frames = {"t_ms": t_ms.tolist(), "detected": detected.tolist()}
    frames.update(metrics.to_json_frames())
    meta = lm.meta or {}
    analysis = {
        "schema": SCHEMA,
        "created": meta.get("created"),
        "subject": opts.subject,
        "session": opts.session,
        "source": meta.get("source", {"path": None, "fps": None, "frames": len(lm),
                                      "width": lm.width, "height": lm.height,
                                      "frames_lost": 0}),
        "model": meta.get("model", {"name": None, "sha256": None}),
        "stride": int(meta.get("stride", 1)),
        "exercise": ex.get("exercise"),
        "exercise_confidence": ex.get("exercise_confidence"),
        "side": ex.get("side"),
        "view": dominant,
        "frames": frames,
        "reps": ex.get("reps", []),
        "cues": ex.get("cues", []),
        "summary": ex.get("summary", {}),
        "thresholds": thresholds_of(profile),
    }
    for k, v in ex.items():  # anything else the engine reports (e.g. guidance)
        analysis.setdefault(k, v)
    return Scored(None if in_place else lm, smooth, metrics, result, profile, analysis,
                  t_ms, detected)


# ----------------------------------------------------------------------------- outputs
def write_metrics_csv(path: Path, scored: Scored) -> None:
    header, rows = scored.metrics.csv_columns()
    t = scored.t_ms
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w") as f:
        f.write(",".join(["frame", "t_ms", "detected", *header]) + "\n")
        det = scored.detected
        for i in range(len(t)):
            vals = ["" if not np.isfinite(v) else f"{v:.2f}" for v in rows[i]]
            f.write(f"{i},{int(t[i])},{int(det[i])}," + ",".join(vals) + "\n")
    tmp.replace(path)


def _partial_dir(out_dir: Path) -> Path:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    p = out_dir.with_name(f".{out_dir.name}.partial-{os.getpid()}-{time.monotonic_ns()}")
    p.mkdir()
    return p


def _commit_dir(tmp: Path, out_dir: Path) -> None:
    """Move the finished ``tmp`` folder to ``out_dir``, replacing an older one."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{time.monotonic_ns()}")
        out_dir.rename(old)
    tmp.rename(out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_outputs(tmp: Path, scored: Scored, *, opts: AnalyzeOptions, elapsed_s: float) -> dict:
    """Write landmarks.npz, analysis.json, metrics.csv and run.json into the partial
    folder ``tmp`` (annotated.mp4, if wanted, is already there from pass 1; landmarks.npz
    too when scoring consumed the raw landmarks, ``scored.raw`` None)."""
    if scored.raw is not None:
        scored.raw.save(tmp / "landmarks.npz")
    analysis = scored.analysis
    write_metrics_csv(tmp / "metrics.csv", scored)
    write_json_atomic(tmp / "analysis.json", analysis)
    run = {"hipform": __version__, "elapsed_s": round(elapsed_s, 3),
           "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
           "options": {k: str(v) for k, v in vars(opts).items()}}
    write_json_atomic(tmp / "run.json", run)
    return analysis


def _thumb_frames(scored: Scored) -> dict[int, list[str]]:
    """Frame index of the worst moment of each fault, keyed "code:side", chosen by the
    report's own rule (:func:`hipform.report.html.worst_faults`) so frame and caption
    agree."""
    from hipform.report.html import worst_faults

    t = scored.t_ms
    out: dict[int, list[str]] = {}
    if not len(t):
        return out
    for f in worst_faults(scored.analysis):
        if f.get("t_ms") is None:
            continue
        i = int(np.clip(np.searchsorted(t, f["t_ms"]), 0, len(t) - 1))
        out.setdefault(i, []).append(f"{f['code']}:{f.get('side') or ''}")
    return out


def _thumbnails(video: Path, scored: Scored, max_width: int = 480) -> dict[str, bytes]:
    """JPEG thumbnails of the worst moment of each fault, cut from ``video``."""
    want = _thumb_frames(scored)
    if not want:
        return {}
    import cv2

    from hipform.video import read_frames_at

    out: dict[str, bytes] = {}
    for i, img in read_frames_at(video, sorted(want)).items():
        h, w = img.shape[:2]
        if w > max_width:
            img = cv2.resize(img, (max_width, int(h * max_width / w)), interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80])
        if ok:
            for key in want[i]:
                out[key] = buf.tobytes()
    return out


def _write_report(path: Path, analysis: dict, thumbs: dict[str, bytes],
                  history: list[dict] | None = None) -> None:
    from hipform.report.html import render_report

    render_report(analysis, path, thumbnails=thumbs or None, history=history or None)


# ----------------------------------------------------------------------------- entry
#: Which annotated-video writer ``analyze`` uses: "thread" (default), "process" or
#: "auto" (the process for clips of PROCESS_WRITER_MIN_FRAMES or more); the environment
#: variable HIPFORM_VIDEO_WRITER overrides it. The thread is the default: on this 2-core
#: machine the process showed no throughput gain (the model's two MediaPipe threads
#: already use the second core: 2026-11-25 12:07, process 0.74x / thread 0.80x the bare
#: model; 12:11, both ~0.82x) and it costs a second interpreter (~100 MB RSS).
VIDEO_WRITER = "thread"
#: "auto" writes clips shorter than this (frames) in a thread: starting the writer
#: process (a fresh interpreter importing cv2, numpy and hipform) costs about 0.3 s of
#: CPU and 0.6 s wall, mostly hidden behind the model load. Measured 2026-11-25 (shared
#: machine, medians of 3): 141 frames 640x360, thread 3.7 s vs process 3.9 s;
#: 299 frames 640x480, thread 10.9 s vs process 10.2 s.
PROCESS_WRITER_MIN_FRAMES = 150


def video_writer_kind(opts: AnalyzeOptions, info: dict) -> str:
    """"process" or "thread": where the annotated video is drawn and encoded.

    "process" (a separate writer process that decodes the clip itself and receives
    only landmark rows, see :mod:`hipform.video.annotate_worker`) when the analysis is
    pipelined, the clip has at least :data:`PROCESS_WRITER_MIN_FRAMES` frames and this
    process may start children (a daemonic process, e.g. a batch pool worker, may not);
    otherwise "thread" (``--no-pipeline`` then draws in the model thread)."""
    import multiprocessing as mp

    want = os.environ.get("HIPFORM_VIDEO_WRITER") or VIDEO_WRITER
    if want not in ("auto", "process", "thread"):
        raise ConfigError(f"HIPFORM_VIDEO_WRITER must be auto, process or thread, got {want!r}")
    if not opts.pipelined or mp.current_process().daemon:
        return "thread"
    if want != "auto":
        return want
    return "process" if int(info.get("frames") or 0) >= PROCESS_WRITER_MIN_FRAMES else "thread"


def _make_annotator(sink: Any, width: int, height: int, opts: AnalyzeOptions,
                    profile: Any) -> Callable[[Any, np.ndarray], None]:
    from hipform.report.annotate import CausalAnnotator

    ann = CausalAnnotator(width, height, exercise=opts.exercise, side=opts.side,
                          profile=profile)

    def annotate(fr: Any, row: np.ndarray) -> None:
        sink.write(ann.annotate(fr.bgr, row, fr.t_ms, fr.index))

    return annotate


def analyze_video(
    video: str | Path | None,
    out_dir: str | Path,
    options: AnalyzeOptions | None = None,
    *,
    landmarks: str | Path | Landmarks | None = None,
    estimator: Any = None,
    progress: Progress | None = None,
    **kw: Any,
) -> dict:
    """Analyse one clip end to end and write its output folder. Returns analysis.json.

    ``video``: a video file or image folder. ``landmarks``: a saved landmarks.npz (or a
    Landmarks) to replay instead of running the model (``video`` then only feeds the
    annotated video and may be None). ``estimator``: an already-open estimator to reuse
    (batch workers load the model once). Extra keywords set AnalyzeOptions fields.

    One pass over the video: decoding (reader thread), the model (this thread) and the
    annotated video (writer thread) overlap. The output folder appears only when
    everything succeeded; an existing one is then replaced.
    """
    from hipform.config import load_profile

    opts = options or AnalyzeOptions()
    for k, v in kw.items():
        if not hasattr(opts, k):
            raise TypeError(f"analyze_video() got an unexpected option {k!r}")
        setattr(opts, k, v)
    if opts.stride < 1:
        raise ConfigError(f"stride must be >= 1, got {opts.stride}")
    profile = load_profile(opts.profile, overrides=list(opts.overrides))  # fail early
    out = Path(out_dir)
    t0 = time.perf_counter()
    video_path = Path(video) if video is not None else None
    replay: Landmarks | None = None
    if landmarks is not None:
        replay = landmarks if isinstance(landmarks, Landmarks) else Landmarks.load(landmarks)
    owned = False  # lm's arrays are this call's own (made by extraction)
    if replay is not None and (video_path is None or not opts.write_video):
        lm, tmp = replay, _partial_dir(out)
        thumb_source = None
    else:
        if video_path is None:
            raise HipformError("analyze needs a video (or --landmarks to replay)")
        from hipform.video import open_source

        source = open_source(video_path, fps=opts.image_fps, threads=DECODE_THREADS)
        own = estimator is None and replay is None
        tmp = _partial_dir(out)
        sink = annotate = writer = None
        try:
            is_video = not video_path.is_dir()
            if opts.write_video and is_video:
                info = source.info
                fps = float(info.get("fps") or 30.0)
                size = (int(info["width"]), int(info["height"]))
                if video_writer_kind(opts, info) == "process":
                    from hipform.video.annotate_worker import ProcessVideoWriter

                    # started before the model loads: its start-up overlaps the load
                    writer = ProcessVideoWriter(video_path, tmp / "annotated.mp4", fps=fps,
                                                size=size, exercise=opts.exercise,
                                                side=opts.side, profile=profile,
                                                max_ahead=max(8 * opts.queue_size, 8))
                else:
                    from hipform.video import VideoSink

                    sink = VideoSink(tmp / "annotated.mp4", fps, size)
                    annotate = _make_annotator(sink, size[0], size[1], opts, profile)
            with contextlib.ExitStack() as pin:
                try:
                    if replay is not None:
                        from hipform.pose import ReplayEstimator

                        estimator = ReplayEstimator(replay)
                    elif own:
                        from hipform.pose import open_estimator

                        people = max(opts.people, 1 if opts.person == "largest" else 2)
                        # the model's threads on one CPU of their own (hipform.affinity)
                        pin.enter_context(model_cpu(opts.pin_cpu))
                        estimator = open_estimator(opts.model, mode="video", person=opts.person,
                                                   num_poses=people)
                    # after the model loaded (both are mostly Python: together they take
                    # turns on the GIL), beside the first frames' inference
                    prewarm_imports()
                    lm = extract_landmarks(source, estimator, stride=opts.stride,
                                           pipelined=opts.pipelined, queue_size=opts.queue_size,
                                           progress=progress, annotate=annotate,
                                           on_row=writer.put if writer is not None else None)
                    if writer is not None:
                        writer.close()
                except BaseException:
                    if sink is not None:
                        sink.abort()
                    if writer is not None:
                        writer.abort()
                    raise
                finally:
                    if own and estimator is not None:
                        estimator.close()
            if sink is not None:
                sink.close()
            if replay is not None:
                lm = Landmarks(lm.xyzv, lm.t_ms, lm.width, lm.height, lm.world, replay.meta)
            owned = True
            wrote = sink is not None or writer is not None
            thumb_source = tmp / "annotated.mp4" if wrote else (
                video_path if is_video else None)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    analysis, _ = finish_analysis(lm, out, opts, profile=profile, tmp=tmp,
                                  thumb_source=thumb_source, consume=owned,
                                  elapsed_s=time.perf_counter() - t0)
    return analysis


def finish_analysis(
    lm: Landmarks,
    out_dir: str | Path,
    opts: AnalyzeOptions,
    *,
    profile: Any = None,
    tmp: Path | None = None,
    thumb_source: Path | None = None,
    elapsed_s: float = 0.0,
    extra: dict | None = None,
    on_store_error: Callable[[HipformError], None] | None = None,
    consume: bool = False,
) -> tuple[dict, int | None]:
    """Everything after the landmarks, shared by ``analyze`` and ``live``: score, write
    the outputs into the partial folder ``tmp`` (a new one if None), store the session
    (when ``opts.save``), write the report (with the history and thumbnails cut from
    ``thumb_source``), then move the folder to ``out_dir`` at once.

    ``consume``: ``lm`` is not used by the caller afterwards: landmarks.npz is written
    first and the landmarks are then smoothed in place (one copy of a long clip's
    landmarks in memory instead of two; the same files).

    ``extra``: keys added to analysis.json (e.g. live's own summary). ``on_store_error``:
    called instead of failing when the history database refuses the session (live keeps
    what was seen). On any other failure the partial folder and a stored session are
    removed and the error is raised (an OSError as a one-line OutputError).

    Returns analysis.json's dict (with ``session_id`` when stored) and the session id.
    """
    out = Path(out_dir)
    if tmp is None:
        tmp = _partial_dir(out)
    session_id = None
    try:
        if consume:
            lm.save(tmp / "landmarks.npz")  # raw, before scoring smooths them in place
        scored = score_landmarks(lm, opts, profile=profile, in_place=consume)
        if extra:
            scored.analysis.update(extra)
        analysis = write_outputs(tmp, scored, opts=opts, elapsed_s=elapsed_s)
        history: list[dict] = []
        if opts.save:
            try:
                session_id, history = _store(analysis, opts)
            except HipformError as e:
                if on_store_error is None:
                    raise
                on_store_error(e)
        if opts.write_report:
            thumbs = _thumbnails(thumb_source, scored) if thumb_source is not None else {}
            _write_report(tmp / "report.html", analysis, thumbs, history)
        _commit_dir(tmp, out)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if session_id is not None:  # outputs failed: do not keep a session without them
            _unstore(session_id, opts)
        if isinstance(e, OSError) and not isinstance(e, HipformError):
            raise OutputError(f"{out}: cannot write outputs ({e})") from e
        raise
    if session_id is not None:
        analysis = {**analysis, "session_id": session_id}
    return analysis, session_id


def _store(analysis: dict, opts: AnalyzeOptions) -> tuple[int, list[dict]]:
    """Save the session in the history database; returns its id and the earlier
    sessions of the same subject and exercise (for the report)."""
    from hipform.store import open_store

    with open_store(opts.db) as st:
        sid = st.save_analysis(analysis, subject=opts.subject, session_label=opts.session,
                               source_kind=opts.source_kind)
        return sid, st.earlier_sessions(sid)


def _unstore(session_id: int, opts: AnalyzeOptions) -> None:
    from hipform.store import open_store

    try:
        with open_store(opts.db) as st:
            st.delete_session(session_id)
    except HipformError:
        pass
