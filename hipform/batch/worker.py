"""Worker side of a batch: analyse one clip, write its record, return it.

The same code runs in a local pool process and in a Ray worker. A worker loads the
pose model once (import of mediapipe, model file resolved and verified, first graph
built) and reuses it for every clip it is given. MediaPipe's VIDEO mode keeps tracking
state (the last pose's region of interest and the last timestamp) inside the
landmarker, so a landmarker reused as-is would make a clip's landmarks depend on which
clip the worker happened to process before. The worker therefore builds a fresh
landmarker graph from the already-loaded model before each clip that follows a clip
which ran the model (measured: about 0.07 s, against about 1 s for the first load and
about 35 ms per 640x360 frame), so every clip is analysed exactly as ``hipform analyze``
would analyse it alone.

Test-only hook: a task with ``crash=True`` ends its worker process with ``os._exit(86)``
before doing anything (the driver sets it for clips whose path contains the value of
the ``HIPFORM_BATCH_TEST_CRASH`` environment variable); it exists to test that a dying
worker has its clip retried and then recorded as failed.
"""

from __future__ import annotations

import importlib
import json
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hipform.batch.clips import Clip
from hipform.batch.scores import RECORD_SCHEMA, failed_row, score_row, write_record
from hipform.errors import HipformError

__all__ = [
    "DEFAULT_ANALYZE",
    "DEFAULT_ESTIMATOR",
    "CRASH_EXIT_CODE",
    "WorkerState",
    "load_callable",
    "process_clip",
    "make_record",
    "run_task",
]

DEFAULT_ANALYZE = "hipform.pipeline:analyze_video"
DEFAULT_ESTIMATOR = "hipform.pose:open_estimator"
CRASH_EXIT_CODE = 86


def load_callable(spec: str) -> Callable[..., Any]:
    """``"package.module:function"`` -> the function (importable by every worker)."""
    mod, _, name = spec.partition(":")
    if not mod or not name:
        raise ValueError(f"callable spec must look like 'module:function', got {spec!r}")
    return getattr(importlib.import_module(mod), name)


class _Tracked:
    """Estimator proxy that notes whether the model ran (``used``)."""

    def __init__(self, est: Any) -> None:
        self._est = est
        self.used = False

    def process(self, bgr: Any, t_ms: int) -> Any:
        self.used = True
        return self._est.process(bgr, t_ms)

    def close(self) -> None:
        self._est.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._est, name)


class WorkerState:
    """What a worker process keeps between clips: the analyse function and the model.

    ``cfg`` keys: ``analyze_fn`` and ``estimator_fn`` (callable specs; ``estimator_fn``
    None = let the analyse function open its own), ``model`` (name or path), ``options``
    (AnalyzeOptions fields shared by all clips).
    """

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.analyze = load_callable(cfg.get("analyze_fn") or DEFAULT_ANALYZE)
        spec = cfg.get("estimator_fn")
        self._make = load_callable(spec) if spec else None
        self._model: Any = cfg.get("model")
        self._est: _Tracked | None = None
        self.init_error: BaseException | None = None
        self.clips_done = 0
        self._claim: Any = None
        if self._make is not None:
            from hipform.affinity import claim_cpu

            # this worker's model on a CPU of its own, claimed for the worker's life: the
            # model is opened (its threads started) and run from this thread, which
            # stays pinned; reader/writer threads move off it (hipform.affinity)
            self._claim = claim_cpu((cfg.get("options") or {}).get("pin_cpu"))
            if self._claim is not None and not self._claim.pin():
                self._claim.release()
                self._claim = None
            try:
                if spec == DEFAULT_ESTIMATOR:
                    from hipform.pose import resolve_model

                    self._model = resolve_model(self._model)  # verify the file once
                self._open()
            except HipformError as e:
                self.init_error = e

    def _open(self) -> None:
        assert self._make is not None
        kw: dict[str, Any] = {"mode": "video"}
        if self.cfg.get("estimator_fn") == DEFAULT_ESTIMATOR:
            kw.update(person="largest", num_poses=1)  # what `hipform analyze` opens
        self._est = _Tracked(self._make(self._model, **kw))

    def estimator(self) -> Any:
        """The estimator for the next clip (fresh tracking state; see module doc)."""
        if self.init_error is not None:
            raise self.init_error
        if self._make is None:
            return None
        if self._est is None or self._est.used:
            self.close()
            self._open()
        return self._est

    def close(self) -> None:
        if self._est is not None:
            est, self._est = self._est, None
            est.close()
        if self._claim is not None:
            claim, self._claim = self._claim, None
            claim.close()


def make_record(task: dict[str, Any], *, status: str, row: dict[str, Any],
                reason: str | None = None, error: str | None = None,
                processing_s: float = 0.0, attempts: int = 1) -> dict[str, Any]:
    """The per-clip record written to ``<clip out>/score.json``."""
    clip = task["clip"]
    from hipform import __version__

    return {
        "schema": RECORD_SCHEMA,
        "hipform": __version__,
        "clip": clip["rel"],
        "name": clip["name"],
        "path": clip["path"],
        "subject": clip.get("subject"),
        "session": clip.get("session"),
        "fingerprint": task.get("fingerprint"),
        "options_key": task.get("options_key"),
        "status": status,
        "reason": reason,
        "error": error,
        "attempts": attempts,
        "processing_s": round(float(processing_s), 3),
        "out": task.get("out_rel"),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "row": row,
    }


def process_clip(task: dict[str, Any], state: WorkerState) -> dict[str, Any]:
    """Analyse one clip (a task made by the driver), write its record atomically and
    return it. Every error of the clip becomes a ``failed`` record; nothing is raised
    except BaseExceptions that end the worker (SystemExit on SIGTERM, ...)."""
    if task.get("crash"):
        os._exit(CRASH_EXIT_CODE)  # test-only hook, see module docstring
    t0 = time.perf_counter()
    clip = Clip.from_dict(task["clip"])
    out = Path(task["out"])
    from hipform.pipeline import AnalyzeOptions

    o = dict(state.cfg.get("options") or {})
    opts = AnalyzeOptions(
        model=state.cfg.get("model"),
        exercise=clip.exercise or o.get("exercise") or "auto",
        side=clip.side or o.get("side"),
        profile=o.get("profile"),
        overrides=list(o.get("overrides") or []),
        write_video=bool(o.get("write_video", False)),
        write_report=bool(o.get("write_report", True)),
        subject=clip.subject,
        session=clip.session,
        pin_cpu=o.get("pin_cpu"),
    )
    attempts = int(task.get("attempt", 1))
    try:
        est = state.estimator()
        analysis = state.analyze(clip.path, out, opts, estimator=est)
        row = score_row(analysis, clip=clip.rel, subject=clip.subject, session=clip.session)
        rec = make_record(task, status="ok", row=row, attempts=attempts,
                          processing_s=time.perf_counter() - t0)
    except HipformError as e:
        rec = make_record(task, status="failed", row=_failed(clip, opts),
                          reason=str(e), error=type(e).__name__, attempts=attempts,
                          processing_s=time.perf_counter() - t0)
    except Exception as e:  # noqa: BLE001 - a bug on one clip must not stop the batch
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
        rec = make_record(task, status="failed", row=_failed(clip, opts),
                          reason=f"unexpected {type(e).__name__}: {e}{where}",
                          error=type(e).__name__, attempts=attempts,
                          processing_s=time.perf_counter() - t0)
    state.clips_done += 1
    write_record(out / "score.json", rec)
    return rec


def _failed(clip: Clip, opts: Any) -> dict[str, Any]:
    return failed_row(clip=clip.rel, subject=clip.subject, session=clip.session,
                      exercise=clip.exercise or (None if opts.exercise == "auto"
                                                 else opts.exercise),
                      side=clip.side or opts.side)


# --------------------------------------------------------------------------- Ray
_STATES: dict[str, WorkerState] = {}


def run_task(task: dict[str, Any], cfg: dict[str, Any]) -> dict[str, Any]:
    """Process one task in a long-lived worker (Ray): the WorkerState for ``cfg`` is
    created on the first task this process runs and kept for the next ones."""
    key = json.dumps(cfg, sort_keys=True, default=str)
    state = _STATES.get(key)
    if state is None:
        for old in _STATES.values():
            old.close()
        _STATES.clear()
        state = _STATES[key] = WorkerState(cfg)
    return process_clip(task, state)
