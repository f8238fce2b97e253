"""Run a batch: find the clips, skip the ones already done, score the rest on an engine,
then rebuild ``scores.csv`` / ``scores.parquet`` and ``summary.html`` from the per-clip
records.

Output folder layout::

    DIR/
      scores.csv            one row per clip, sorted by clip path (rebuilt from records)
      scores.parquet        the same table (if pyarrow is installed)
      summary.html          self-contained summary report
      batch.json            what ran: options, engine, counts, timings
      clips/<name>/         the clip's `hipform analyze` output folder, plus
      clips/<name>/score.json   its record: status, reason, score row, fingerprint

Resuming: a clip is skipped when its ``score.json`` says ``ok``, its fingerprint (file
size and mtime) and options key match the current run and its ``analysis.json`` exists.
Everything else (never run, failed, interrupted, changed file or options) is redone.
Every file is written atomically, so a batch killed at any moment (even SIGKILL) leaves
complete files only, and rerunning the same command finishes the job.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hipform.batch.clips import VIDEO_EXTS, Clip, discover_clips, fingerprint
from hipform.batch.scores import (
    atomic_write_text,
    failed_row,
    full_rows,
    read_record,
    write_record,
    write_scores,
)
from hipform.batch.worker import DEFAULT_ANALYZE, DEFAULT_ESTIMATOR, make_record
from hipform.errors import ConfigError, HipformError

__all__ = [
    "BatchOptions",
    "BatchResult",
    "EXIT_OK",
    "EXIT_ERROR",
    "EXIT_SOME_FAILED",
    "EXIT_INTERRUPTED",
    "CRASH_ENV",
    "run_batch",
    "stop_on_signals",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_SOME_FAILED = 3
EXIT_INTERRUPTED = 130
CRASH_ENV = "HIPFORM_BATCH_TEST_CRASH"
Event = Callable[[str, dict[str, Any]], None]


@dataclass
class BatchOptions:
    """Settings of a batch (the ``hipform batch`` options).

    ``exercise``/``side`` are defaults for clips whose manifest row does not set them.
    ``workers`` None = ``os.cpu_count()``. ``retries``: extra attempts for a clip whose
    worker process died (a clip that fails with an error is not retried: it would fail
    again). ``analyze_fn``/``estimator_fn``: ``"module:function"`` specs of the analyse
    function and the estimator factory (dependency injection for tests; the defaults
    are ``hipform.pipeline.analyze_video`` and ``hipform.pose.open_estimator``).
    ``clip_timeout`` (seconds, local engine only): a clip still running after it has its
    worker killed, then it is retried like a clip whose worker died.
    """

    exercise: str = "auto"
    side: str | None = None
    model: str | None = None
    profile: str | None = None
    overrides: list[str] = field(default_factory=list)
    write_video: bool = False
    write_report: bool = True
    workers: int | None = None
    engine: str = "local"
    address: str | None = None
    retries: int = 1
    save: bool = True
    db: str | None = None
    force: bool = False
    start_method: str = "spawn"
    clip_timeout: float | None = None
    pin_cpu: bool | None = None  # each worker's model on a CPU of its own (hipform.affinity)
    analyze_fn: str = DEFAULT_ANALYZE
    estimator_fn: str | None = DEFAULT_ESTIMATOR

    def worker_config(self) -> dict[str, Any]:
        return {
            "analyze_fn": self.analyze_fn,
            "estimator_fn": self.estimator_fn,
            "model": self.model,
            "options": {"exercise": self.exercise, "side": self.side,
                        "profile": self.profile, "overrides": list(self.overrides),
                        "write_video": self.write_video, "write_report": self.write_report,
                        "pin_cpu": self.pin_cpu},
        }


@dataclass
class BatchResult:
    """What a batch did. ``rows`` are the rows of scores.csv (sorted by clip)."""

    out: Path
    rows: list[dict[str, Any]]
    total: int
    ok: int
    failed: int
    skipped: int
    not_run: int
    interrupted: str | None
    elapsed_s: float
    files: dict[str, str]
    engine: dict[str, Any]

    @property
    def exit_code(self) -> int:
        """0 all ok; 3 some clips failed; 130 interrupted (finished clips kept)."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_SOME_FAILED if self.failed else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["out"] = str(self.out)
        d["exit_code"] = self.exit_code
        d.pop("rows")
        return d


def _file_sha256(path: str | None) -> str | None:
    if not path:
        return None
    p = Path(path)
    if not p.is_file():
        return str(path)  # a model name such as "full"
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def options_key(opts: BatchOptions) -> str:
    """Hash of every option that changes a clip's result (model, exercise, side,
    profile content, overrides, video/report)."""
    key = {"exercise": opts.exercise, "side": opts.side, "model": str(opts.model),
           "profile": _file_sha256(opts.profile), "overrides": sorted(opts.overrides),
           "write_video": opts.write_video, "write_report": opts.write_report,
           "analyze_fn": opts.analyze_fn}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def _is_done(rec: dict[str, Any] | None, fp: dict[str, int] | None, okey: str,
             out: Path) -> bool:
    return (rec is not None and rec.get("status") == "ok" and fp is not None
            and rec.get("fingerprint") == fp and rec.get("options_key") == okey
            and (out / "analysis.json").is_file())


def _clean_partials(clips_dir: Path) -> None:
    """Remove temporary folders left by an analysis killed mid-write (SIGKILL)."""
    if not clips_dir.is_dir():
        return
    for p in clips_dir.iterdir():
        if p.name.startswith(".") and (".partial-" in p.name or ".old-" in p.name):
            shutil.rmtree(p, ignore_errors=True)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[dict[str, Any]]:
    """While active, SIGINT and SIGTERM set ``stop`` (a second SIGINT raises
    KeyboardInterrupt). Yields a dict whose ``"signal"`` is the name of the signal
    received. Only installs handlers in the main thread."""
    got: dict[str, Any] = {"signal": None}
    if threading.current_thread() is not threading.main_thread():
        yield got
        return

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        got["signal"] = signal.Signals(signum).name
        stop.set()

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield got
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _check_settings(opts: BatchOptions) -> None:
    """Fail before starting any worker if the profile, an override or the pose model is
    wrong (otherwise every clip would fail with the same message)."""
    from hipform.config import load_profile

    load_profile(opts.profile, overrides=list(opts.overrides))
    if opts.estimator_fn == DEFAULT_ESTIMATOR:
        from hipform.pose import resolve_model

        resolve_model(opts.model)


def run_batch(
    source: str | Path | list[Clip],
    out_dir: str | Path,
    opts: BatchOptions | None = None,
    *,
    on_event: Event | None = None,
    stop: threading.Event | None = None,
) -> BatchResult:
    """Score every clip of ``source`` (a folder, a CSV manifest or a list of Clips)
    into ``out_dir``; see the module docstring for the layout and resuming.

    ``on_event(kind, data)`` is called in this thread with kind ``"start"``
    (``total``, ``todo``, ``skipped``), ``"clip"`` (the record of a finished clip) and
    ``"retry"`` (a clip requeued after its worker died). ``stop``: set it (e.g. from a
    signal handler, see :func:`stop_on_signals`) to stop after the running clips are
    interrupted; what finished is kept. Raises HipformError for a batch that cannot
    start (missing input, bad manifest, missing model, Ray unavailable).
    """
    opts = opts or BatchOptions()
    out = Path(out_dir)
    stop = stop or threading.Event()
    emit = on_event or (lambda kind, data: None)
    t0 = time.perf_counter()
    if opts.engine not in ("local", "ray"):
        raise ConfigError(f"engine must be 'local' or 'ray', got {opts.engine!r}")
    if opts.clip_timeout is not None and opts.clip_timeout <= 0:
        raise ConfigError(f"clip timeout must be > 0 s, got {opts.clip_timeout}")
    if opts.retries < 0:
        raise ConfigError(f"retries must be >= 0, got {opts.retries}")
    clips = list(source) if isinstance(source, list) else discover_clips(source, exclude=out)
    if not clips and not isinstance(source, list):
        raise HipformError(f"{source}: no video clips found (looked for "
                           f"{', '.join(VIDEO_EXTS[:6])}, ... files)")
    _check_settings(opts)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise HipformError(f"{out}: cannot create the output folder ({e})") from e
    clips_dir = out / "clips"
    _clean_partials(clips_dir)
    okey = options_key(opts)
    crash_pat = os.environ.get(CRASH_ENV) or None

    records: dict[str, dict[str, Any]] = {}
    tasks: list[dict[str, Any]] = []
    skipped = 0
    for c in clips:
        cout = clips_dir / c.name
        fp = fingerprint(c.path)
        rec = read_record(cout / "score.json")
        if not opts.force and _is_done(rec, fp, okey, cout):
            assert rec is not None
            records[c.name] = rec
            skipped += 1
            continue
        tasks.append({"clip": c.to_dict(), "out": str(cout), "out_rel": f"clips/{c.name}",
                      "fingerprint": fp, "options_key": okey, "attempt": 1,
                      "crash": bool(crash_pat and crash_pat in c.rel)})
    emit("start", {"total": len(clips), "todo": len(tasks), "skipped": skipped})

    store_ctx = _Saver(opts) if opts.save else None

    def on_result(rec: dict[str, Any]) -> None:
        records[rec["name"]] = rec
        if store_ctx is not None and rec.get("status") == "ok":
            store_ctx.save(out / rec["out"], rec)
        emit("clip", rec)

    def record_dead(task: dict[str, Any], why: str) -> None:
        c = task["clip"]
        err = "Timeout" if why.startswith("timed out") else "WorkerDied"
        rec = make_record(task, status="failed", reason=why, error=err,
                          attempts=int(task.get("attempt", 1)),
                          row=failed_row(clip=c["rel"], subject=c.get("subject"),
                                         session=c.get("session"),
                                         exercise=c.get("exercise") or (
                                             None if opts.exercise == "auto"
                                             else opts.exercise),
                                         side=c.get("side") or opts.side))
        write_record(Path(task["out"]) / "score.json", rec)
        on_result(rec)

    def on_dead_local(task: dict[str, Any], why: str) -> dict[str, Any] | None:
        n = int(task.get("attempt", 1))
        if n <= opts.retries:
            emit("retry", {"clip": task["clip"]["rel"], "attempt": n + 1, "why": why})
            return {**task, "attempt": n + 1}
        record_dead(task, f"{why}; tried {n} times")
        return None

    workers = opts.workers or os.cpu_count() or 1
    engine: dict[str, Any] = {"engine": opts.engine, "workers": workers}
    cfg = opts.worker_config()
    try:
        if opts.engine == "ray":
            from hipform.batch.ray_engine import run_ray

            engine.update(run_ray(tasks, cfg, on_result=on_result, on_dead=record_dead,
                                  stop=stop, address=opts.address,
                                  num_cpus=opts.workers, retries=opts.retries))
            engine["workers"] = engine.get("cluster_cpus", workers)
        else:
            from hipform.batch.local import run_local

            run_local(tasks, cfg, workers=workers, on_result=on_result,
                      on_dead=on_dead_local, stop=stop, start_method=opts.start_method,
                      clip_timeout=opts.clip_timeout)
    finally:
        if store_ctx is not None:
            store_ctx.close()
        _clean_partials(clips_dir)  # left by workers killed mid-clip (timeout, crash)
        result = _finish(out, clips, records, skipped, stop, t0, engine, opts)
    return result


class _Saver:
    """Stores finished clips in the history database (driver side, one connection)."""

    def __init__(self, opts: BatchOptions) -> None:
        self.opts = opts
        self.store: Any = None
        self.warned = False

    def save(self, clip_out: Path, rec: dict[str, Any]) -> None:
        if rec.get("session_id") is not None:
            return
        try:
            if self.store is None:
                from hipform.store import open_store

                self.store = open_store(self.opts.db)
            analysis = json.loads((clip_out / "analysis.json").read_text())
            sid = self.store.save_analysis(analysis, subject=rec.get("subject"),
                                           session_label=rec.get("session"),
                                           source_kind="batch")
        except (ImportError, HipformError, OSError, ValueError) as e:
            if not self.warned:
                self.warned = True
                rec.setdefault("warnings", []).append(f"not stored in history: {e}")
            return
        rec["session_id"] = sid
        write_record(clip_out / "score.json", rec)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def _finish(out: Path, clips: list[Clip], records: dict[str, dict[str, Any]], skipped: int,
            stop: threading.Event, t0: float, engine: dict[str, Any],
            opts: BatchOptions) -> BatchResult:
    recs = [records[c.name] for c in clips if c.name in records]
    rows = full_rows(recs)
    files = {k: str(v) for k, v in write_scores(out, rows).items()}
    try:
        from hipform.batch.summary import write_summary

        files["summary"] = str(write_summary(out / "summary.html", rows))
    except ImportError:  # pragma: no cover
        pass
    n_ok = sum(r.get("status") == "ok" for r in rows)
    n_failed = sum(r.get("status") == "failed" for r in rows)
    res = BatchResult(
        out=out, rows=rows, total=len(clips), ok=n_ok, failed=n_failed, skipped=skipped,
        not_run=len(clips) - len(rows),
        interrupted="stopped" if stop.is_set() and len(rows) < len(clips) else None,
        elapsed_s=round(time.perf_counter() - t0, 3), files=files, engine=engine)
    meta = res.to_dict()
    meta["options"] = {k: v for k, v in asdict(opts).items()}
    meta["warnings"] = sorted({w for r in recs for w in r.get("warnings", [])})
    atomic_write_text(out / "batch.json", json.dumps(meta, indent=1, default=str))
    return res
