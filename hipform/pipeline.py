"""Offline analysis: video -> landmarks -> metrics -> exercise -> outputs.

Streaming and bounded memory: frames are never held for the whole clip. Pass 1 runs
the model with decoding overlapped in a reader thread (a bounded queue); pass 2 (only
when the annotated video is wanted) decodes again, draws the overlay and encodes in a
writer thread. Outputs are written into a temporary folder that is renamed into place
only when everything succeeded, so a failure never leaves a half-written folder.
"""

from __future__ import annotations

import json
import math
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
from hipform.errors import ConfigError, HipformError, OutputError
from hipform.landmarks import N_LANDMARKS, Landmarks

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
    subject: str | None = None
    session: str | None = None
    pipelined: bool = True
    image_fps: float = 30.0
    queue_size: int = 8


# ----------------------------------------------------------------------------- helpers
def _threaded(it: Iterable[Any], maxsize: int) -> Iterator[Any]:
    """Iterate ``it`` in a background thread through a bounded queue.

    Exceptions in the producer are re-raised in the consumer; closing the consumer early
    stops the producer.
    """
    q: queue.Queue = queue.Queue(maxsize=maxsize)
    done = object()
    stop = threading.Event()

    def run() -> None:
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


class _Growable:
    """Append-only float32 buffer of rows of a fixed shape (amortised doubling)."""

    def __init__(self, row_shape: tuple[int, ...], dtype: Any = np.float32) -> None:
        self.buf = np.empty((256, *row_shape), dtype)
        self.n = 0

    def append(self, row: np.ndarray) -> None:
        if self.n == len(self.buf):
            self.buf = np.concatenate([self.buf, np.empty_like(self.buf)])
        self.buf[self.n] = row
        self.n += 1

    def array(self) -> np.ndarray:
        return self.buf[: self.n].copy()


def _nan_to_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _nan_to_none(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_nan_to_none(v) for v in x]
    if isinstance(x, np.floating):
        return _nan_to_none(float(x))
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.ndarray):
        return _nan_to_none(x.tolist())
    return x


def write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w") as f:
        json.dump(_nan_to_none(obj), f, allow_nan=False, separators=(",", ":"))
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
) -> Landmarks:
    """Run ``estimator`` over every frame of ``source`` (every ``stride``-th frame, the
    rest linearly interpolated between detected neighbours). Returns raw landmarks."""
    info = source.info
    total = int(info.get("frames") or 0)
    xyzv = _Growable((N_LANDMARKS, 4))
    world = _Growable((N_LANDMARKS, 3))
    t_ms = _Growable((), np.int64)
    frames: Iterable[Any] = iter(source)
    if pipelined:
        frames = _threaded(frames, queue_size)
    nan4 = np.full((N_LANDMARKS, 4), np.nan, np.float32)
    nan3 = np.full((N_LANDMARKS, 3), np.nan, np.float32)
    for fr in frames:
        if fr.index % stride == 0:
            row, w = estimator.process(fr.bgr, fr.t_ms)
        else:
            row, w = nan4, None
        xyzv.append(row)
        world.append(nan3 if w is None else w)
        t_ms.append(fr.t_ms)
        if progress is not None:
            progress(fr.index + 1, total)
    info = source.info  # frames_lost is known only after iteration
    x = xyzv.array()
    wld = world.array()
    t = t_ms.array()
    if stride > 1 and len(t):
        x, wld = _fill_stride(x, wld, t, stride)
    meta = {"source": info, "model": {"name": estimator.name, "sha256": estimator.sha256},
            "stride": stride}
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
    """Everything computed from landmarks (no pixels)."""

    raw: Landmarks
    smooth: Landmarks
    metrics: Any
    exercise: Any  # ExerciseResult
    profile: Any
    analysis: dict


def smooth_offline(lm: Landmarks) -> Landmarks:
    """Offline filtering: fill gaps <= 120 ms, then zero-phase Butterworth low-pass."""
    from hipform.core import filters

    return filters.smooth_offline(lm)


def score_landmarks(lm: Landmarks, opts: AnalyzeOptions) -> Scored:
    """Landmarks -> metrics, exercise result and the analysis.json dict (deterministic:
    the same landmarks always give the same dict, which is what replay relies on)."""
    from hipform.config import load_profile
    from hipform.core.metrics import View, compute_metrics
    from hipform.exercises import analyze_exercise

    profile = load_profile(opts.profile, overrides=list(opts.overrides))
    smooth = smooth_offline(lm) if len(lm) else lm
    metrics = compute_metrics(smooth)
    result = analyze_exercise(smooth, metrics, exercise=opts.exercise, side=opts.side,
                              profile=profile)
    ex = result.to_dict()
    views = np.asarray(metrics.view)
    known = views[views != int(View.UNKNOWN)]
    dominant = View(int(np.bincount(known).argmax())).name.lower() if known.size else None
    frames = {"t_ms": lm.t_ms.tolist(), "detected": lm.detected.tolist()}
    frames.update(metrics.to_json_frames())
    meta = lm.meta or {}
    analysis = {
        "schema": SCHEMA,
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
        "thresholds": profile.thresholds_dict() if hasattr(profile, "thresholds_dict") else {},
    }
    for k, v in ex.items():  # anything else the engine reports (e.g. guidance)
        analysis.setdefault(k, v)
    return Scored(lm, smooth, metrics, result, profile, analysis)


# ----------------------------------------------------------------------------- pass 2
_SIDES = ("left", "right")


def _sev(value: float, flag: float | None, severe: float | None) -> int:
    if not np.isfinite(value) or flag is None:
        return 0
    if severe is not None and value > severe:
        return 2
    return 1 if value > flag else 0


def _thr(th: dict, key: str) -> tuple[float | None, float | None]:
    d = th.get(key) or {}
    return d.get("flag"), d.get("severe")


class HudTimeline:
    """Per-frame HUD state of an offline analysis (what a live session would have
    shown at that moment: reps done so far, phase, the cue on screen)."""

    CUE_SHOW_MS = 2500

    def __init__(self, scored: Scored) -> None:
        a = scored.analysis
        self.a = a
        self.m = scored.metrics
        self.t = np.asarray(scored.raw.t_ms)
        self.reps = a.get("reps") or []
        self.cues = sorted(a.get("cues") or [], key=lambda c: c.get("t_ms", 0))
        self.th = a.get("thresholds") or {}
        self.side = a.get("side")

    def at(self, i: int):
        from hipform.report.overlay import HudState

        t = int(self.t[i])
        done = [r for r in self.reps if (r.get("end_ms") or 0) <= t]
        phase = "rest"
        for r in self.reps:
            s, b, e = r.get("start_ms"), r.get("bottom_ms"), r.get("end_ms")
            if s is not None and e is not None and s <= t <= e:
                phase = "down" if b is not None and t <= b else "up"
        faults: dict[str, int] = {}
        for r in done:
            for f in r.get("faults", []):
                faults[f["code"]] = faults.get(f["code"], 0) + 1
        last = done[-1] if done else None
        tempo = ""
        if last is not None:
            parts = [last.get("eccentric_s"), last.get("hold_s"), last.get("concentric_s")]
            tempo = "/".join("-" if p is None else f"{p:.1f}" for p in parts) + " s"
        cue, sev = "", 1
        for c in self.cues:
            if c["t_ms"] <= t < c["t_ms"] + self.CUE_SHOW_MS:
                cue, sev = c.get("message", ""), int(c.get("severity", 1) or 1)
        hud = HudState(exercise=self.a.get("exercise") or "", side=self.side or "",
                       reps=len(done), phase=phase, last_tempo=tempo, faults=faults,
                       cue=cue, cue_severity=sev)
        hud.angles = self.angles(i)
        return hud

    def angles(self, i: int) -> list[tuple[int, str, int]]:
        from hipform.landmarks import LM

        m, out = self.m, []
        vf, vs = _thr(self.th, "knee_valgus_deg")
        for k, knee in enumerate((LM.LEFT_KNEE, LM.RIGHT_KNEE)):
            v = float(m.knee_valgus[i, k])
            if np.isfinite(v):
                out.append((int(knee), f"valgus {v:+.0f}", _sev(v, vf, vs)))
        hf, hs = _thr(self.th, "hip_drop_deg")
        if self.side in _SIDES:
            k = _SIDES.index(self.side)
            v = float(m.hip_drop[i, k])
            if np.isfinite(v):
                hip = LM.RIGHT_HIP if k == 0 else LM.LEFT_HIP  # label the side that drops
                out.append((int(hip), f"hip drop {v:+.0f}", _sev(v, hf, hs)))
        lf, ls = _thr(self.th, "lumbar_extension_deg")
        v = float(m.lumbar_extension[i])
        if np.isfinite(v):
            out.append((int(LM.LEFT_HIP), f"lumbar {v:+.0f}", _sev(v, lf, ls)))
        return out


def _render_video(video: Path, scored: Scored, out_path: Path, thumbs_at: dict[int, list[str]],
                  opts: AnalyzeOptions, progress: Progress | None) -> dict[str, bytes]:
    """Decode ``video`` again, draw the overlay on every frame and encode it (writer
    thread). Returns JPEG thumbnails of the frames named in ``thumbs_at``."""
    import cv2

    from hipform.report.overlay import draw_overlay
    from hipform.video import VideoFileSource, VideoSink

    src = VideoFileSource(video)
    info = scored.raw.meta.get("source", {}) if scored.raw.meta else {}
    fps = float(info.get("fps") or src.vinfo.fps or 30.0)
    sink = VideoSink(out_path, fps, (src.vinfo.width, src.vinfo.height))
    timeline = HudTimeline(scored)
    xy = scored.smooth.xyzv
    thumbs: dict[str, bytes] = {}
    q: queue.Queue = queue.Queue(maxsize=opts.queue_size)
    err: list[BaseException] = []

    def write() -> None:
        while True:
            img = q.get()
            if img is None:
                return
            if not err:
                try:
                    sink.write(img)
                except BaseException as e:  # noqa: BLE001
                    err.append(e)

    wt = threading.Thread(target=write, name="hipform-writer", daemon=True)
    wt.start()
    frames: Iterable[Any] = _threaded(src, opts.queue_size) if opts.pipelined else src
    n = len(scored.raw)
    try:
        for fr in frames:
            if fr.index >= n:
                break
            img = draw_overlay(fr.bgr, xy[fr.index], timeline.at(fr.index))
            for key in thumbs_at.get(fr.index, []):
                ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80])
                if ok:
                    thumbs[key] = buf.tobytes()
            if opts.pipelined:
                q.put(img)
            else:
                sink.write(img)
            if progress is not None:
                progress(fr.index + 1, n)
    except BaseException:
        q.put(None)
        wt.join()
        sink.abort()
        raise
    q.put(None)
    wt.join()
    if err:
        sink.abort()
        raise err[0]
    sink.close()
    return thumbs


def _thumb_frames(scored: Scored) -> dict[int, list[str]]:
    """Frame index of the worst moment of each fault (by code and side)."""
    t = np.asarray(scored.raw.t_ms)
    best: dict[str, tuple[float, int]] = {}
    for r in scored.analysis.get("reps") or []:
        for f in r.get("faults", []):
            key = f"{f.get('code')}:{f.get('side') or ''}"
            val = f.get("value")
            val = float(val) if isinstance(val, int | float) and math.isfinite(val) else 0.0
            at = f.get("t_ms", r.get("bottom_ms"))
            if at is None or not len(t):
                continue
            i = int(np.clip(np.searchsorted(t, at), 0, len(t) - 1))
            if key not in best or abs(val) > abs(best[key][0]):
                best[key] = (val, i)
    out: dict[int, list[str]] = {}
    for key, (_, i) in best.items():
        out.setdefault(i, []).append(key)
    return out


# ----------------------------------------------------------------------------- outputs
def write_metrics_csv(path: Path, scored: Scored) -> None:
    header, rows = scored.metrics.csv_columns()
    t = np.asarray(scored.raw.t_ms)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w") as f:
        f.write(",".join(["frame", "t_ms", "detected", *header]) + "\n")
        det = scored.raw.detected
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


def write_outputs(out_dir: Path, scored: Scored, *, video: Path | None, opts: AnalyzeOptions,
                  elapsed_s: float, progress: Progress | None = None) -> dict:
    """Write landmarks.npz, analysis.json, metrics.csv, annotated.mp4 and report.html
    into ``out_dir`` atomically (all or nothing)."""
    tmp = _partial_dir(out_dir)
    try:
        scored.raw.save(tmp / "landmarks.npz")
        analysis = dict(scored.analysis)
        write_metrics_csv(tmp / "metrics.csv", scored)
        thumbs: dict[str, bytes] = {}
        if video is not None and opts.write_video:
            thumbs = _render_video(video, scored, tmp / "annotated.mp4", _thumb_frames(scored),
                                   opts, progress)
        write_json_atomic(tmp / "analysis.json", analysis)
        if opts.write_report:
            _write_report(tmp / "report.html", analysis, thumbs)
        run = {"hipform": __version__, "elapsed_s": round(elapsed_s, 3),
               "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               "options": {k: str(v) for k, v in vars(opts).items()}}
        write_json_atomic(tmp / "run.json", run)
        _commit_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return analysis


def _write_report(path: Path, analysis: dict, thumbs: dict[str, bytes]) -> None:
    try:
        from hipform.report.html import render_report
    except ImportError:  # report module not available in this build
        return
    render_report(analysis, path, thumbnails=thumbs or None)


# ----------------------------------------------------------------------------- entry
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
    """
    opts = options or AnalyzeOptions()
    for k, v in kw.items():
        if not hasattr(opts, k):
            raise TypeError(f"analyze_video() got an unexpected option {k!r}")
        setattr(opts, k, v)
    if opts.stride < 1:
        raise ConfigError(f"stride must be >= 1, got {opts.stride}")
    out = Path(out_dir)
    t0 = time.perf_counter()
    video_path = Path(video) if video is not None else None
    if landmarks is not None:
        lm = landmarks if isinstance(landmarks, Landmarks) else Landmarks.load(landmarks)
        if video_path is not None:
            from hipform.video import probe_video

            probe_video(video_path)
    else:
        if video_path is None:
            raise HipformError("analyze needs a video (or --landmarks to replay)")
        from hipform.video import open_source

        source = open_source(video_path, fps=opts.image_fps)
        own = estimator is None
        if own:
            from hipform.pose import open_estimator

            estimator = open_estimator(opts.model, mode="video", person=opts.person)
        try:
            lm = extract_landmarks(source, estimator, stride=opts.stride,
                                   pipelined=opts.pipelined, queue_size=opts.queue_size,
                                   progress=progress)
        finally:
            if own:
                estimator.close()
        if video_path.is_dir():
            video_path = None  # image folders get no annotated video
    scored = score_landmarks(lm, opts)
    try:
        return write_outputs(out, scored, video=video_path, opts=opts,
                             elapsed_s=time.perf_counter() - t0, progress=progress)
    except OSError as e:
        if isinstance(e, HipformError):
            raise
        raise OutputError(f"{out}: cannot write outputs ({e})") from e
