"""The live loop: capture -> pose -> One Euro -> metrics -> exercise engine -> screen/voice.

Threads (so a slow frame never stalls the camera):

* **capture** (:class:`~hipform.live.capture.FrameGrabber`): reads the camera (or a file
  paced at its own frame rate) and keeps only the newest frame (or, with
  ``drop=False``, hands over every frame).
* **inference**: takes the newest frame, runs the pose model, then the frame's step
  (smoothing, metrics, calibration, exercise engine, overlay, recording, printing) and
  shows it in the X11 window, reading its keys (see :meth:`LiveSession._infer` for why
  the step follows the model on its thread).
* **main** (this one): waits for the end (Ctrl-C, ``max_seconds``); with OpenCV's
  window (Qt wants its own thread) it shows the picture and reads the keys.
  ``LiveOptions.step_thread="main"`` puts the step here too (the design before
  2026-12-07, kept for comparison).

At the end (quit key, ``max_seconds``, end of file, camera disconnected, display lost,
Ctrl-C) the RAW landmarks of every processed frame are scored exactly as ``hipform
analyze`` does (:func:`hipform.pipeline.score_landmarks`) and written with
:func:`hipform.pipeline.write_outputs`; what the live engine showed (reps, cues, as seen)
is added under ``analysis["live"]``.
"""

from __future__ import annotations

import math
import queue
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from hipform.errors import CameraError, HipformError
from hipform.landmarks import LM, N_LANDMARKS, Landmarks
from hipform.live.capture import Captured, FrameGrabber

__all__ = ["EXERCISES", "Calibrator", "LiveOptions", "LiveSession", "guidance_for"]

#: The exercises the ``e`` key cycles through.
EXERCISES = ("single_leg_squat", "step_down", "bridge")

#: One Euro speed coefficient for world landmarks (m/s), ~ the pixel filter's x 300 px/m.
WORLD_BETA = 6.0

#: How long an on-screen cue stays up (ms), as in the offline annotated video.
CUE_SHOW_MS = 2500

#: OpenCV worker threads while the loop runs (1 = OpenCV runs each call on the calling
#: thread). The loop has its own threads (capture, inference, main); OpenCV's pool would
#: split every 640x480 colour conversion (the model's BGR->RGB, the window's imshow)
#: across workers that then spin-wait, ~0.4 ms of CPU per call for no gain.
OPENCV_THREADS = 1

#: Landmarks that must be in view (shoulders, hips, knees, ankles).
KEY_LANDMARKS = (LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, LM.LEFT_HIP, LM.RIGHT_HIP,
                 LM.LEFT_KNEE, LM.RIGHT_KNEE, LM.LEFT_ANKLE, LM.RIGHT_ANKLE)
_KEY_IDX = np.array([int(i) for i in KEY_LANDMARKS])


@dataclass
class LiveOptions:
    """Everything ``hipform live`` can be told (see the command's --help)."""

    exercise: str = "auto"
    side: str | None = None
    model: str | Path | None = None
    profile: str | Path | None = None
    overrides: list[str] = field(default_factory=list)
    voice: bool = False
    window: bool = True
    json: bool = False
    out: Path | None = None
    record: bool = False
    max_seconds: float | None = None
    subject: str | None = None
    db: Path | None = None
    save: bool = True
    drop: bool = True          # newest-frame capture (a camera); False = every frame
    fast: bool = False         # files: no real-time pacing
    draw: bool | None = None   # draw the overlay (default: when a window or recording)
    calibrate_s: float = 6.0   # give up looking for a quiet stance after this long
    report: bool = True
    pin_cpu: bool | None = None  # model threads on a CPU of their own (hipform.affinity)
    #: where each frame's work after the model (smoothing, metrics, engine, drawing)
    #: runs: "model" = on the inference thread, right after the model, on its CPU (the
    #: default: see :meth:`LiveSession._infer`); "main" = handed to the main thread
    step_thread: str = "model"


# ----------------------------------------------------------------------------- calibration
class Calibrator:
    """Sets the hip-drop baseline (pelvic obliquity of quiet stance) and the camera roll
    from the first seconds of a session (or after the ``c`` key).

    Feed smoothed rows with :meth:`feed`; every ~0.25 s the buffer is searched with
    :func:`hipform.core.metrics.find_quiet_stance_baseline` (stillest 0.5 s of
    two-foot frontal stance). ``state``: "calibrating", "done" (``baseline`` set),
    "none_found" (``timeout_s`` passed: baseline 0, hip drop is then raw obliquity) or
    "not_needed" (a bridge).
    ``roll_deg``: camera roll, the median tilt of the body axis (mid-ankle to
    mid-shoulder) from the image vertical over the quiet window, + = the picture is
    turned clockwise (an upright body's top leans right in the image). Informative: the baseline
    already removes roll from hip drop.
    """

    def __init__(self, size: tuple[int, int], timeout_s: float = 6.0,
                 keep_s: float = 3.0) -> None:
        self.size = size
        self.timeout_ms = 1000.0 * timeout_s
        self.keep_ms = 1000.0 * keep_s
        self.restart(None)

    def restart(self, t_ms: int | None) -> None:
        self.state = "calibrating"
        self.baseline: float | None = None
        self.roll_deg: float | None = None
        self.t0: int | None = t_ms
        self.done_ms: int | None = None
        self._rows: deque[tuple[int, np.ndarray]] = deque()
        self._last_try = -1e18

    @property
    def active(self) -> bool:
        return self.state == "calibrating"

    def feed(self, row: np.ndarray, t_ms: int) -> bool:
        """Add one frame (float32 (33, 4) px); True when calibration just finished."""
        if not self.active:
            return False
        if self.t0 is None:
            self.t0 = int(t_ms)
        self._rows.append((int(t_ms), row))
        while self._rows and self._rows[0][0] < t_ms - self.keep_ms:
            self._rows.popleft()
        if t_ms - self._last_try >= 250 and len(self._rows) >= 3:
            self._last_try = t_ms
            if self._try():
                self.state, self.done_ms = "done", int(t_ms)
                return True
        if t_ms - self.t0 >= self.timeout_ms:
            self.state, self.baseline, self.done_ms = "none_found", 0.0, int(t_ms)
            return True
        return False

    def _try(self) -> bool:
        from hipform.core.metrics import _baseline

        t = np.array([r[0] for r in self._rows], np.int64)
        x = np.stack([r[1] for r in self._rows])
        lm = Landmarks(x, t, self.size[0], self.size[1])
        base, win = _baseline(lm, 0.5)
        if not math.isfinite(base) or win is None:
            return False
        self.baseline = float(base)
        a = x[win[0]:win[1]]
        # a person standing still is vertical: the mid-ankle -> mid-shoulder axis tilt
        # from the image vertical is the camera roll (+ = the picture is turned clockwise)
        ankle = (a[:, LM.LEFT_ANKLE, :2] + a[:, LM.RIGHT_ANKLE, :2]) / 2
        shoulder = (a[:, LM.LEFT_SHOULDER, :2] + a[:, LM.RIGHT_SHOULDER, :2]) / 2
        d = shoulder - ankle
        roll = np.degrees(np.arctan2(d[:, 0], -d[:, 1]))
        self.roll_deg = float(np.nanmedian(roll)) if np.isfinite(roll).any() else None
        return True

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "baseline_obliquity_deg": self.baseline,
                "roll_deg": self.roll_deg, "done_ms": self.done_ms}


# ----------------------------------------------------------------------------- guidance
def _views_for(exercise: str | None) -> tuple[set[int], str] | None:
    from hipform.core.metrics import View

    if exercise in ("single_leg_squat", "step_down"):
        return {int(View.FRONTAL)}, "face_camera"
    if exercise == "bridge":
        return {int(View.SAGITTAL_LEFT), int(View.SAGITTAL_RIGHT), int(View.LYING),
                int(View.FRONTAL)}, "turn_side_on"
    return None


def guidance_for(row: np.ndarray, size: tuple[int, int], view: int, exercise: str | None,
                 vmin: float = 0.5) -> str | None:
    """The guidance code for one frame, or None if the person is well framed.

    ``row`` float32 (33, 4) px; ``view`` a :class:`~hipform.core.metrics.View` code.
    Codes: "nobody" (no person), "out_of_view" (a shoulder, hip, knee or ankle missing
    or outside the frame), "face_camera"/"turn_side_on" (wrong view for ``exercise``).
    """
    if not np.isfinite(row[:, 0]).any():
        return "nobody"
    k = row[_KEY_IDX]
    w, h = size
    x, y = k[:, 0], k[:, 1]
    # NaN compares False: a missing landmark is not in view
    if not ((k[:, 3] >= vmin) & (x >= 0) & (x < w) & (y >= 0) & (y < h)).all():
        return "out_of_view"
    need = _views_for(exercise)
    if need is not None and view != 0 and view not in need[0]:
        return need[1]
    return None


def _guidance_text(code: str) -> str:
    if code == "nobody":
        return "No one in view: step into the picture."
    from hipform.coaching.messages import message

    return message(code, None)


# ----------------------------------------------------------------------------- printing
class Printer:
    """Headless output: one line per event (or one JSON object per line)."""

    def __init__(self, stream: TextIO, as_json: bool) -> None:
        self.stream = stream
        self.json = as_json

    def emit(self, kind: str, text: str, data: dict[str, Any]) -> None:
        import json

        if self.json:
            from hipform.exercises.types import clean

            self.stream.write(json.dumps(clean({"kind": kind, **data}),
                                         separators=(",", ":")) + "\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _fmt_s(x: Any) -> str:
    return "-" if x is None or not isinstance(x, int | float) or not math.isfinite(x) \
        else f"{x:.1f}"


def _tempo_text(t: Any) -> str:
    if not t:
        return ""
    return "/".join(_fmt_s(v) for v in t) + " s"


# ----------------------------------------------------------------------------- the engine
def _state_of(sess: Any) -> Any:
    st = getattr(sess, "state", None)
    return st() if callable(st) else st


class LiveSession:
    """One live session. Build it with an open ``source`` (FrameSource) and
    ``estimator`` (PoseEstimator), then call :meth:`run`.

    Args:
        source: frames (CameraSource, VideoFileSource, ...). ``paced`` says whether it
            must be paced at its timestamps (a file played as a camera).
        estimator: ``.process(bgr, t_ms) -> (xyzv (33, 4), world (33, 3) | None)``.
        opts: :class:`LiveOptions`.
        paced: pace the source at real time (files; False for cameras).
        engine_factory: ``(exercise, side, profile, frame_size) -> session`` with
            ExerciseSession's API; default ``hipform.exercises.ExerciseSession``.
        window: a window from :func:`~hipform.live.window.open_window` (or any object
            with its ``show``/``poll``/``close`` methods), or None.
        voice: a :class:`~hipform.coaching.voice.Voice`-like object or None.
        stream: where headless lines go (default stdout).
    """

    def __init__(self, source: Any, estimator: Any, opts: LiveOptions, *, paced: bool = False,
                 engine_factory: Callable[..., Any] | None = None, window: Any = None,
                 voice: Any = None, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.perf_counter,
                 cpu_claim: Any = None) -> None:
        import sys

        from hipform.config import load_profile

        self.source = source
        self.est = estimator
        # a hipform.affinity.CpuClaim whose CPU the model's threads were started on
        # (hipform.affinity.start_model): the inference thread joins them there
        self.cpu_claim = cpu_claim
        self.opts = opts
        self.paced = paced and not opts.fast
        self.window = window
        self.voice = voice
        self.clock = clock
        self.profile = load_profile(opts.profile, overrides=list(opts.overrides))
        self._engine_factory = engine_factory or _default_engine
        self.exercise = opts.exercise
        self.side = opts.side
        self.switched = False
        self.engine: Any = None  # created at the first frame (needs the frame size)
        self.printer = None if window is not None else Printer(stream or sys.stdout, opts.json)
        self.draw = opts.draw if opts.draw is not None else (window is not None or opts.record)
        self.vmin = _profile_get(self.profile, "view.min_visibility", 0.5)
        self.wrong_view_ms = 1000.0 * _profile_get(self.profile, "view.wrong_view_s", 1.0)
        self.out_view_ms = 1000.0 * _profile_get(self.profile, "view.out_of_view_s", 0.5)
        # per-frame records (raw landmarks of every processed frame)
        # one tuple per frame fed to the engine, appended in one step so an interrupt
        # can never leave the columns of different lengths:
        # (xyzv (33, 4) float32 px, world (33, 3) float32 m, t_ms, source frame index)
        self._rows: list[tuple[np.ndarray, np.ndarray, int, int]] = []
        self.latency_ms: list[float] = []
        self.model_ms: list[float] = []
        self.step_ms: list[float] = []  # the step's work per frame (everything but the model)
        self.step_cpu_ms: list[float] = []  # the same in CPU time of the thread running it
        self.events: list[dict[str, Any]] = []
        self.size: tuple[int, int] | None = None
        from hipform.core.filters import OneEuroFilter

        self.smoother = OneEuroFilter()
        # world landmarks (metres) get their own filter; speed is in m/s there, so beta
        # is scaled by ~300 px/m to behave like the pixel filter
        self.world_smoother = OneEuroFilter(beta=WORLD_BETA)
        self.calib: Calibrator | None = None
        self.paused = False
        self.stop_reason = ""
        self._fps = 0.0
        self._last_done: float | None = None
        self._cue: tuple[str, int, int] | None = None  # message, t_ms, severity
        self._thresholds: dict[str, Any] | None = None
        self._guid_since: dict[str, int] = {}
        self._rec_dir: Path | None = None
        self.recorder: Any = None
        self._grabber: FrameGrabber | None = None
        self._results: queue.Queue = queue.Queue(maxsize=2)
        if opts.step_thread not in ("model", "main"):
            raise ValueError(f"step_thread must be 'model' or 'main', got {opts.step_thread!r}")
        self._inline = opts.step_thread == "model"
        # with no window, or one that may be driven from another thread than the one
        # that opened it (hipform's X11 window: one thread at a time), the inference
        # thread does all of a frame's work, showing included, and the main thread has
        # none left; OpenCV's window (Qt) stays on the main thread, which shows each
        # picture the inference thread hands over
        self._infer_only = self._inline and (
            window is None or bool(getattr(window, "any_thread", False)))
        self._actions: deque[str] = deque()  # keys read on the main thread, for _infer
        self._shown = threading.Semaphore(1)  # the main thread took the last picture
        self._stop = threading.Event()
        self._infer_error: BaseException | None = None
        self.frames_shown = 0  # frames taken from the model, paused ones included
        self._interrupt = False
        self.t_start = 0.0
        self.t_end = 0.0

    # ------------------------------------------------------------------ threads
    def _infer(self, grabber: FrameGrabber) -> None:
        """The inference thread: the model on each frame the grabber hands over, then
        (``step_thread="model"``) the frame's own work, :meth:`step`, on the same
        thread, and with a window that allows it (``any_thread``: the X11 window) shows
        the picture and applies the keys here too; headless, nothing of a frame is left
        for the main thread either. With OpenCV's window the picture goes
        to the main thread, which shows it and reads the keys (key actions other than
        quit come back here through ``_actions`` and are applied between two frames, so
        the session's state has one writer).

        Why the step runs here, after the model, rather than on the main thread beside
        the next frame's inference: on the 2-core machines measured (docs/README_live.md),
        the same step cost ~0.85 ms of CPU run back to back but ~1.4-1.5 ms when the
        thread had waited ~18 ms for the next frame, however it waited (sleeping or
        spinning): the waiting thread starts each frame cold. Right after the model on
        the model's own thread it cost ~1.27 ms, and the model no longer shares the
        machine with it while running. The loop's ceiling becomes 1 / (model + step)
        frames per second instead of 1 / model, yet it measured faster (47.5 against
        43.6 frames/s unpaced in an A/B), far above a camera's 30, and the
        capture-to-overlay latency stays about the same (the overlay always waited for
        its frame's model)."""
        watch = None
        if self.cpu_claim is not None:
            self.cpu_claim.pin()
            from hipform.affinity import contention_watch

            watch = contention_watch()  # gives the pinning up if its CPU turns out busy
        try:
            while not self._stop.is_set():
                c = grabber.get(timeout=0.05)
                if c is None:
                    if grabber.ended and grabber.finished:
                        break
                    if (self._infer_only and self.window is not None
                            and self._last_img is not None):
                        # no new frame: keep the window responsive (keys, repaints)
                        if self._handle_key(self.window.poll()):
                            break
                    continue
                t0 = time.perf_counter()
                xyzv, world = self.est.process(c.frame.bgr, c.frame.t_ms)
                dt = (time.perf_counter() - t0) * 1000.0
                if watch is not None:
                    watch()
                if self._infer_only:
                    # this thread also shows the picture and applies the keys read
                    img = self.step(c, xyzv, world, dt)
                    if (self.window is not None and img is not None
                            and self._handle_key(self.window.show(img))):
                        break
                elif self._inline:
                    # the previous picture has been shown and its keys read (as when
                    # the main thread stepped: keys act from the next frame on)
                    while not self._shown.acquire(timeout=0.05):
                        if self._stop.is_set():
                            return
                    while self._actions:
                        self._handle_key(self._actions.popleft())
                    self._put(("shown", self.step(c, xyzv, world, dt)))
                else:
                    self._put((c, xyzv, world, dt))
        except BaseException as e:  # noqa: BLE001 - re-raised on the main thread
            self._infer_error = e
        finally:
            if self._infer_only and self.window is not None:
                # closed by the thread that drove it: after the X server died under
                # this thread, closing from another one blocks forever in Xlib's
                # display lock (seen with libX11 1.8, which makes displays thread-safe)
                try:
                    self.window.close()
                except Exception as e:  # noqa: BLE001 - the session is saved regardless
                    self._warn(f"closing the window failed: {e}")
            self._put(None)

    def _put(self, item: Any) -> None:
        while not self._stop.is_set():
            try:
                self._results.put(item, timeout=0.05)
                return
            except queue.Full:
                continue
        if item is None:  # stopping: make room so the main thread sees the end
            try:
                self._results.put_nowait(None)
            except queue.Full:
                pass

    def _on_captured(self, frame: Any) -> None:
        rec = self.recorder
        if rec is not None and rec.active:
            rec.raw(frame.bgr)

    # ------------------------------------------------------------------ run
    def run(self) -> dict[str, Any]:
        """Run until the end; returns the summary (also printed/written). Ctrl-C, the
        quit key, ``max_seconds``, the end of a file and a camera that stops delivering
        frames all end the session the same clean way."""
        self.run_loop()
        return self.finish()

    def run_loop(self) -> None:
        """The loop alone (capture, inference, per-frame work) until the session ends;
        :meth:`finish` then scores and writes it."""
        self.t_start = self.clock()
        info = getattr(self.source, "info", None) or {}
        if self.opts.record and info.get("width") and info.get("height"):
            # start before capture so the raw clip holds every frame from the first
            self.size = (int(info["width"]), int(info["height"]))
            self._toggle_record(0)
        cv_threads = _set_opencv_threads(OPENCV_THREADS)
        grabber = FrameGrabber(self.source, drop=self.opts.drop, paced=self.paced,
                               on_frame=self._on_captured)
        self._grabber = grabber
        grabber.start()
        th = threading.Thread(target=self._infer, args=(grabber,), name="hipform-infer",
                              daemon=True)
        th.start()
        interrupted = False
        prev_handler = self._catch_sigint()
        try:
            self._loop()
        except KeyboardInterrupt:  # a second Ctrl-C, or no handler (not the main thread)
            interrupted = True
            self.stop_reason = "interrupted"
        finally:
            if prev_handler is not None:
                import signal

                signal.signal(signal.SIGINT, prev_handler)
            self._stop.set()
            grabber.stop()
            th.join(5.0)
            self.t_end = self.clock()
            if self.recorder is not None and self.recorder.active:
                self.recorder.stop(self._last_t(0) or 0)
            if self.voice is not None:
                self.voice.close()
            if self.window is not None:
                self.window.close()
            _set_opencv_threads(cv_threads)
        if self._infer_error is not None and not interrupted:
            raise self._infer_error
        err = grabber.error
        if err is not None and not self.stop_reason:
            if not self._rows:  # nothing seen: the source error is the whole story
                raise err
            # frames were seen: end cleanly, keep them, and say why it stopped
            kind = "camera" if isinstance(err, CameraError) else "source"
            self.stop_reason = f"{kind} error: {err}"
            self._warn(f"{kind} stopped delivering frames ({err}); saving what was seen")
        if not self.stop_reason:
            disc = bool(getattr(self.source, "disconnected", False))
            self.stop_reason = "camera disconnected" if disc else "end of source"

    def _catch_sigint(self) -> Any:
        """Ctrl-C ends the session between two frames (never in the middle of one, so
        the engine and the saved landmarks stay consistent); a second Ctrl-C interrupts
        at once. Returns the previous handler (None when not on the main thread)."""
        import signal

        if threading.current_thread() is not threading.main_thread():
            return None

        def handler(signum: int, frame: Any) -> None:
            if self._interrupt:
                raise KeyboardInterrupt
            self._interrupt = True

        prev = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, handler)
        return prev if prev is not None else signal.SIG_DFL

    def _loop(self) -> None:
        max_s = self.opts.max_seconds
        while True:
            if self._interrupt:
                self.stop_reason = "interrupted"
                return
            if max_s is not None and self.clock() - self.t_start >= max_s:
                self.stop_reason = "max_seconds"
                return
            try:
                item = self._results.get(timeout=0.05)
            except queue.Empty:
                # nothing new to show: keep the window responsive (keys, repaints)
                # without pushing the same picture again (unless _infer does it)
                if (self.window is not None and self._last_img is not None
                        and not self._infer_only):
                    poll = getattr(self.window, "poll", None)
                    action = poll() if poll is not None else self.window.show(self._last_img)
                    if self._key(action):
                        return
                continue
            if item is None:
                return
            if self._inline:
                img = item[1]
            else:
                c, xyzv, world, model_ms = item
                img = self.step(c, xyzv, world, model_ms)
            if self.window is not None and img is not None:
                if self._key(self.window.show(img)):
                    return
            if self._inline:
                self._shown.release()

    def _key(self, action: str | None) -> bool:
        """A key read on the main thread: quit ends the loop here; other actions are
        applied by the thread that runs :meth:`step` (here, or queued for ``_infer``)."""
        if action is None:
            return False
        if action == "quit" or not self._inline:
            return self._handle_key(action)
        self._actions.append(action)
        return False

    _last_img: np.ndarray | None = None

    # ------------------------------------------------------------------ one frame
    def step(self, c: Captured, xyzv: np.ndarray, world: np.ndarray | None,
             model_ms: float = float("nan")) -> np.ndarray | None:
        """Process one inferred frame; returns the drawn overlay (or None if not drawing)."""
        from hipform.core.metrics import compute_metrics

        t_step = time.perf_counter()
        c_step = time.thread_time()
        fr = c.frame
        t = int(fr.t_ms)
        h, w = fr.bgr.shape[:2]
        if self.engine is None:
            self.size = (w, h)
            self.calib = Calibrator(self.size, self.opts.calibrate_s)
            self.engine = self._engine_factory(self.exercise, self.side, self.profile,
                                               self.size)
            if self.opts.record and self.recorder is None:
                self._toggle_record(t)
        xyzv = np.asarray(xyzv, np.float32)
        smooth = self.smoother(xyzv, t)
        hud_guidance = ""
        metrics = None
        if not self.paused:
            self._rows.append((xyzv, np.full((N_LANDMARKS, 3), np.nan, np.float32)
                               if world is None else np.asarray(world, np.float32), t,
                               int(fr.index)))
            self.model_ms.append(model_ms)
            assert self.calib is not None
            calibrating = self.calib.active and self._needs_calibration()
            if calibrating and self.calib.feed(smooth, t):
                self._emit("calibration", self._calib_text(), self.calib.to_dict())
            base = self.calib.baseline if self.calib.baseline is not None else 0.0
            sworld = None
            if world is not None:
                pad = np.ones((N_LANDMARKS, 4), np.float32)
                pad[:, :3] = world
                sworld = self.world_smoother(pad, t)[None, :, :3]
            lm1 = Landmarks(smooth[None], np.array([t], np.int64), w, h, sworld)
            metrics = compute_metrics(lm1, baseline_obliquity=base, reasons=False)
            events = self.engine.update(len(self._rows) - 1, t, smooth, metrics)
            for ev in events:
                self._on_event(ev)
            code = self._guidance(smooth, int(metrics.view[0]), t)
            if code:
                hud_guidance = _guidance_text(code)
            elif self.calib.active and self._needs_calibration():
                hud_guidance = "Stand still, facing the camera: calibrating..."
        else:
            hud_guidance = "Paused: press space to continue."
        self.frames_shown += 1
        now = time.perf_counter()
        if self._last_done is not None:
            dt = now - self._last_done
            if dt > 0:
                inst = 1.0 / dt
                self._fps = inst if self._fps == 0 else 0.9 * self._fps + 0.1 * inst
        self._last_done = now
        img = None
        rec = self.recorder
        if self.draw or (rec is not None and rec.active):
            from hipform.report.overlay import draw_overlay

            hud = self._hud(metrics, t, hud_guidance)
            img = draw_overlay(fr.bgr.copy() if rec is not None and rec.active else fr.bgr,
                               smooth, hud)
            if self.window is not None:
                _draw_key_hint(img)
            if rec is not None and rec.active:
                rec.annotated(img)
            self._last_img = img
        done = time.perf_counter()
        self.latency_ms.append((done - c.t_cap) * 1000.0)
        self.step_ms.append((done - t_step) * 1000.0)
        self.step_cpu_ms.append((time.thread_time() - c_step) * 1000.0)
        return img

    @property
    def frames_processed(self) -> int:
        """Frames fed to the engine (and saved): paused frames are not counted."""
        return len(self._rows)

    def _last_t(self, default: int | None) -> int | None:
        rows = self._rows
        return int(rows[-1][2]) if rows else default

    def _needs_calibration(self) -> bool:
        """Lying exercises (bridge) need no standing baseline."""
        if self._current_exercise() == "bridge":
            if self.calib is not None and self.calib.active:
                self.calib.state = "not_needed"
            return False
        return True

    def _calib_text(self) -> str:
        assert self.calib is not None
        c = self.calib
        if c.state == "done":
            roll = "" if c.roll_deg is None else f", camera roll {c.roll_deg:+.1f} deg"
            return f"calibrated: pelvis baseline {c.baseline:+.1f} deg{roll}"
        return "calibration: no quiet stance found, hip drop uses 0 deg as baseline"

    def _guidance(self, row: np.ndarray, view: int, t: int) -> str | None:
        """Guidance code once it has persisted (out of view 0.5 s, wrong view 1 s)."""
        ex = self._current_exercise()
        code = guidance_for(row, self.size or (1, 1), view, ex, self.vmin)
        if code is None:
            self._guid_since.clear()
            return None
        since = self._guid_since.setdefault(code, t)
        for k in list(self._guid_since):
            if k != code:
                del self._guid_since[k]
        need = self.wrong_view_ms if code in ("face_camera", "turn_side_on") else (
            0.0 if code == "nobody" else self.out_view_ms)
        return code if t - since >= need else None

    def _current_exercise(self) -> str | None:
        st = _state_of(self.engine)
        ex = getattr(st, "exercise", None) if st is not None else None
        if ex in EXERCISES:
            return ex
        return self.exercise if self.exercise in EXERCISES else None

    # ------------------------------------------------------------------ events
    def _on_event(self, ev: Any) -> None:
        d = ev.to_dict() if hasattr(ev, "to_dict") else dict(ev)
        kind = d.get("kind", "")
        self.events.append(d)
        if kind == "cue":
            cue = d.get("cue") or d
            msg = str(cue.get("message") or "")
            sev = self._cue_severity(cue)
            self._cue = (msg, int(d.get("t_ms", 0)), sev)
            if self.voice is not None and not d.get("replayed"):
                self.voice.say(msg)
            side = f" ({cue.get('side')})" if cue.get("side") else ""
            self._emit("cue", f"cue  {d.get('t_ms', 0) / 1000:7.2f} s  {cue.get('code')}{side}: "
                       f"{msg}", d)
        elif kind == "rep":
            rep = d.get("rep") or {}
            codes = sorted({f.get("code") for f in rep.get("faults", [])})
            tempo = _tempo_text((rep.get("eccentric_s"), rep.get("hold_s"),
                                 rep.get("concentric_s")))
            n = int(rep.get("index", 0)) + 1
            side = f" {rep.get('side')}" if rep.get("side") else ""
            self._emit("rep", f"rep  {n:3d}{side}  tempo {tempo}  faults: "
                       f"{', '.join(codes) if codes else 'none'}", d)
        elif kind in ("exercise", "side"):
            val = d.get(kind)
            self._emit(kind, f"{kind} {val}", d)

    def _cue_severity(self, cue: dict[str, Any]) -> int:
        code, val = cue.get("code"), cue.get("value")
        sec = {"knee_valgus": "knee_valgus", "knee_medial": "knee_valgus",
               "hip_drop": "hip_drop", "trunk_lean": "trunk_lean",
               "lumbar_arch": "lumbar_extension"}.get(str(code))
        if sec is None or not isinstance(val, int | float) or not math.isfinite(val):
            return 1
        return 2 if abs(val) >= _profile_get(self.profile, f"{sec}.severe", math.inf) else 1

    def _emit(self, kind: str, text: str, data: dict[str, Any]) -> None:
        if self.printer is not None:
            self.printer.emit(kind, text, data)

    # ------------------------------------------------------------------ HUD
    def _hud(self, metrics: Any, t: int, guidance: str) -> Any:
        from hipform.report.overlay import HudState

        st = _state_of(self.engine)
        hud = HudState(fps=self._fps or None, guidance=guidance)
        if st is not None:
            hud.exercise = str(getattr(st, "exercise", "") or self.exercise or "")
            hud.side = str(getattr(st, "side", "") or "")
            hud.reps = int(getattr(st, "reps", 0) or 0)
            hud.phase = str(getattr(st, "phase", "") or "")
            hud.last_tempo = _tempo_text(getattr(st, "last_tempo", None))
            hud.faults = dict(getattr(st, "fault_tally", {}) or {})
        if self._cue is not None and t - self._cue[1] < CUE_SHOW_MS:
            hud.cue, hud.cue_severity = self._cue[0], self._cue[2]
        if self.recorder is not None and self.recorder.active:
            hud.exercise = ("REC  " + hud.exercise).strip()
        if metrics is not None and not guidance:
            hud.angles = self._angles(metrics, hud.side)
        return hud

    def _angles(self, m: Any, side: str) -> list[tuple[int, str, int]]:
        from hipform.exercises.types import frame_metrics
        from hipform.report.annotate import angle_labels

        if self._thresholds is None:
            from hipform.pipeline import thresholds_of

            self._thresholds = thresholds_of(self.profile)
        return angle_labels(frame_metrics(m, 0), side, self._thresholds)

    # ------------------------------------------------------------------ keys
    def _handle_key(self, action: str | None) -> bool:
        """Apply a key action; True when the session must end."""
        if action is None:
            return False
        t = self._last_t(0) or 0
        if action == "quit":
            if getattr(self.window, "lost", False):
                # the X server went away (not the user): end as a closed window does,
                # with everything seen saved, and say so
                self.stop_reason = "display lost"
                self._warn("the connection to the X display broke; saving what was seen")
            else:
                self.stop_reason = "quit key"
            return True
        if action == "pause":
            self.paused = not self.paused
            self._emit("pause", "paused" if self.paused else "resumed",
                       {"paused": self.paused})
        elif action == "exercise":
            cur = self._current_exercise()
            nxt = EXERCISES[(EXERCISES.index(cur) + 1) % len(EXERCISES)] if cur in EXERCISES \
                else EXERCISES[0]
            self._set_exercise(nxt)
        elif action == "side":
            st = _state_of(self.engine)
            cur = getattr(st, "side", None) or self.side
            self.side = "right" if cur == "left" else "left"
            if hasattr(self.engine, "set_side"):
                self.engine.set_side(self.side)
            self._emit("side", f"side {self.side}", {"side": self.side})
        elif action == "calibrate" and self.calib is not None:
            self.calib.restart(t)
            self._emit("calibration", "calibrating: stand still, facing the camera",
                       self.calib.to_dict())
        elif action == "record":
            self._toggle_record(t)
        return False

    def _set_exercise(self, name: str) -> None:
        self.exercise = name
        self.switched = True
        if self.calib is not None and self.calib.state == "not_needed" and name != "bridge":
            self.calib.restart(self._last_t(None))
        if hasattr(self.engine, "set_exercise"):
            self.engine.set_exercise(name)
        else:
            self.engine = self._engine_factory(name, self.side, self.profile, self.size)
        self._emit("exercise", f"exercise {name}", {"exercise": name})

    def _toggle_record(self, t: int) -> None:
        from hipform.live.record import Recorder

        if self.recorder is not None and self.recorder.active:
            files = self.recorder.stop(t)
            self._emit("record", "recording stopped: " + ", ".join(p.name for p in files),
                       {"recording": False, "files": [p.name for p in files]})
            return
        if self._rec_dir is None:
            out = self.out_dir()
            self._rec_dir = out.with_name(f".{out.name}.recording")
        if self.recorder is None:
            self.recorder = Recorder(self._rec_dir)
        fps_src = float((getattr(self.source, "info", {}) or {}).get("fps") or 30.0)
        fps_ann = min(fps_src, max(1.0, round(self._fps))) if self._fps else fps_src
        assert self.size is not None
        self.recorder.start(fps_src, fps_ann if self.opts.drop else fps_src, self.size, t)
        self._emit("record", "recording...", {"recording": True})

    # ------------------------------------------------------------------ the end
    def out_dir(self) -> Path:
        if self.opts.out is None:
            self.opts.out = Path("runs") / time.strftime("live-%Y%m%d-%H%M%S")
        return Path(self.opts.out)

    def landmarks(self) -> Landmarks:
        """RAW landmarks of every processed frame (T, 33, 4) with their timestamps."""
        w, h = self.size or (1, 1)
        rows = list(self._rows)
        if not rows:
            return Landmarks.empty(w, h)
        info = dict(getattr(self.source, "info", {}) or {})
        g = self._grabber
        info.update({
            "kind": "live",
            "frames_captured": g.captured if g else len(rows),
            "frames_dropped": g.dropped if g else 0,
            "frames_processed": len(rows),
        })
        model = {"name": getattr(self.est, "name", None), "sha256": getattr(self.est, "sha256",
                                                                           None)}
        meta = {"source": info, "model": model, "stride": 1,
                "frame_index": [r[3] for r in rows]}
        world = np.stack([r[1] for r in rows])
        return Landmarks(np.stack([r[0] for r in rows]), np.array([r[2] for r in rows],
                                                                  np.int64), w, h,
                         None if not np.isfinite(world).any() else world, meta)

    def live_summary(self) -> dict[str, Any]:
        lat = np.array(self.latency_ms, np.float64)
        mod = np.array(self.model_ms, np.float64)
        mod = mod[np.isfinite(mod)]
        wall = max(1e-9, self.t_end - self.t_start)
        st = _state_of(self.engine)
        reps = [e["rep"] for e in self.events if e.get("kind") == "rep"]
        cues = [e["cue"] for e in self.events if e.get("kind") == "cue"]
        g = self._grabber
        result = None
        if self.engine is not None and hasattr(self.engine, "finish"):
            res = self.engine.finish()
            result = res.to_dict() if hasattr(res, "to_dict") else None
        return {
            "result": result,
            "exercise": getattr(st, "exercise", None) if st is not None else self.exercise,
            "side": getattr(st, "side", None) if st is not None else self.side,
            "reps": reps,
            "cues": cues,
            "fault_tally": dict(getattr(st, "fault_tally", {}) or {}) if st is not None else {},
            "events": self.events,
            "calibration": self.calib.to_dict() if self.calib else None,
            "frames_captured": g.captured if g else 0,
            "frames_dropped": g.dropped if g else 0,
            "frames_processed": len(self._rows),
            "frames_shown": self.frames_shown,
            "wall_s": round(wall, 3),
            "fps": round(self.frames_shown / wall, 2),
            "latency_ms": {"median": _q(lat, 50), "p95": _q(lat, 95)},
            "model_ms": {"median": _q(mod, 50), "p95": _q(mod, 95)},
            "step_ms": {"median": _q(np.array(self.step_ms), 50),
                        "p95": _q(np.array(self.step_ms), 95)},
            "stop_reason": self.stop_reason,
            # the window backend ("x11" / "opencv"), None when headless
            "window": getattr(self.window, "backend", None),
            "options": {"drop": self.opts.drop, "paced": self.paced,
                        "exercise": self.opts.exercise, "side": self.opts.side},
            "recordings": list(self.recorder.files) if self.recorder else [],
        }

    def finish(self) -> dict[str, Any]:
        """Score and write the session (analysis.json etc. in ``out``), store it in the
        history unless ``save`` is off; returns the end-of-session summary."""
        from hipform import pipeline as pl

        live = self.live_summary()
        out = self.out_dir()
        lm = self.landmarks()
        summary: dict[str, Any] = {"out": str(out), "reps": len(live["reps"]),
                                   "fault_tally": live["fault_tally"],
                                   "cues": len(live["cues"]),
                                   "frames_processed": live["frames_processed"],
                                   "frames_dropped": live["frames_dropped"],
                                   "fps": live["fps"], "stop_reason": live["stop_reason"],
                                   "stored": None}
        if len(lm) == 0:
            summary["out"] = None
            self._emit("end", f"end  ({live['stop_reason']}): no frame was processed, "
                       "nothing saved", summary)
            return summary
        exercise = self.exercise if self.switched else self.opts.exercise
        aopts = pl.AnalyzeOptions(model=self.opts.model, exercise=exercise or "auto",
                                  side=self.side if self.switched else self.opts.side,
                                  profile=self.opts.profile,
                                  overrides=list(self.opts.overrides), write_video=False,
                                  write_report=self.opts.report, subject=self.opts.subject,
                                  save=self.opts.save, source_kind="live", db=self.opts.db)
        # the same steps as analyze: score, write, store (the report shows the history),
        # report, then the folder appears at once
        thumb = self._thumb_source(len(lm)) if aopts.write_report else None
        try:
            analysis, session_id = pl.finish_analysis(
                lm, out, aopts, profile=self.profile, thumb_source=thumb,
                elapsed_s=live["wall_s"], extra={"live": live},
                # a busy/broken database must not lose the session
                on_store_error=lambda e: self._warn(f"not stored in history: {e}"))
        except BaseException:
            # never lose what was seen: keep the raw landmarks next to the failed output
            lm.save(out.with_name(out.name + ".landmarks.npz"))
            raise
        self._move_recordings(out)  # after the commit: a failed write never loses them
        summary["stored"] = session_id
        summary["offline_reps"] = len(analysis.get("reps") or [])
        tally = ", ".join(f"{k} {v}" for k, v in sorted(live["fault_tally"].items())) or "none"
        self._emit("end", f"end  ({live['stop_reason']}): reps {summary['reps']}  faults "
                   f"{tally}  {live['fps']:.1f} fps  -> {out}", summary)
        return summary

    def _thumb_source(self, n_rows: int) -> Path | None:
        """The raw recording, when its frames are exactly the landmark rows (recorded
        from the start, nothing dropped or paused), to cut fault thumbnails from."""
        rec = self.recorder
        if rec is None or self._rec_dir is None:
            return None
        raws = [f for f in rec.files if f["kind"] == "raw"]
        if len(raws) != 1 or raws[0]["frames"] != n_rows or raws[0]["frames_dropped"]:
            return None
        g = self._grabber
        if g is None or g.dropped or self.frames_shown != n_rows:
            return None
        p = self._rec_dir / raws[0]["file"]
        return p if p.exists() else None

    def _move_recordings(self, out: Path) -> None:
        if self._rec_dir is None or not self._rec_dir.exists():
            return
        dest = out / "recordings"
        dest.mkdir(exist_ok=True)
        for f in self._rec_dir.iterdir():
            shutil.move(str(f), dest / f.name)
        shutil.rmtree(self._rec_dir, ignore_errors=True)

    def _warn(self, msg: str) -> None:
        import sys

        sys.stderr.write(f"hipform: warning: {msg}\n")


KEY_HINT = "q quit | space pause | e exercise | s side | c calibrate | r record"

#: frame (width, height) -> the key hint's (scale, text origin x, y), or None (no room)
_hint_fit: dict[tuple[int, int], tuple[float, int, int] | None] = {}


def _draw_key_hint(img: np.ndarray) -> None:
    """The keys, small, top right of the window picture (BGR uint8 (H, W, 3), in place).
    The box is a cached sprite (:func:`hipform.report.overlay.draw_text_box`)."""
    from hipform.report.overlay import draw_text_box, text_box_size

    h, w = img.shape[:2]
    if (w, h) not in _hint_fit:
        scale = max(0.4, min(h, w) / 1200)
        bw, _, _, dy = text_box_size(KEY_HINT, scale, 1, pad=4)
        tw, th = bw - 9, -dy - 4  # text width, height above the baseline
        # too narrow a picture: leave the HUD room
        _hint_fit[(w, h)] = None if tw + 16 > w * 0.6 else (scale, w - tw - 8, th + 8)
    fit = _hint_fit[(w, h)]
    if fit is not None:
        scale, x, y = fit
        draw_text_box(img, KEY_HINT, (x, y), scale, (200, 200, 200), 1, bg=(25, 25, 25),
                      pad=4)


def _set_opencv_threads(n: int | None) -> int | None:
    """Set OpenCV's worker thread count; returns the previous one (None: not set)."""
    if n is None:
        return None
    import cv2

    prev = int(cv2.getNumThreads())
    cv2.setNumThreads(int(n))
    return prev


def _q(a: np.ndarray, p: float) -> float | None:
    return round(float(np.percentile(a, p)), 2) if a.size else None


def _profile_get(profile: Any, key: str, default: float) -> float:
    try:
        return float(profile.get(key))
    except (HipformError, KeyError, TypeError, ValueError):
        return default


def _default_engine(exercise: str, side: str | None, profile: Any,
                    frame_size: tuple[int, int] | None = None) -> Any:
    from hipform.exercises import ExerciseSession

    return ExerciseSession(exercise, side=side, profile=profile, frame_size=frame_size)
