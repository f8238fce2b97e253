"""Local engine: a pool of worker processes on this machine.

Why not ``concurrent.futures.ProcessPoolExecutor``: when one of its workers dies, the
whole pool is marked broken and every clip in flight fails with the same error, so the
clip that killed its worker cannot be told from its innocent neighbours. Here each
worker has its own pipe and is given one clip at a time, so the driver always knows
which clip a dead worker was running: that clip alone is retried (up to ``retries``
times) and then recorded as failed; the dead worker is replaced and the batch goes on.

Workers are started with the ``spawn`` method (``forkserver`` on request): forking a
process that has threads (MediaPipe, the rich progress bar, the frame reader) is
unsafe. Each worker loads the pose model once (see :mod:`hipform.batch.worker`).
Workers ignore SIGINT (Ctrl-C reaches the whole process group; the driver decides) and
turn SIGTERM into SystemExit, so a clip interrupted mid-way leaves no partial output
(the pipeline removes its temporary folder).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any

from hipform.errors import HipformError
from hipform.util import die_with_parent

__all__ = ["run_local", "worker_main"]

Result = Callable[[dict[str, Any]], None]


def worker_main(cfg: dict[str, Any], conn: Connection, parent_pid: int = 0) -> None:
    """Entry point of a pool process: load once, then analyse clips sent on ``conn``
    until it sends None (or closes)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def _term(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _term)
    if parent_pid and hasattr(os, "getppid"):
        die_with_parent(parent_pid)
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    from hipform.batch.worker import WorkerState, process_clip

    state = WorkerState(cfg)
    try:
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):
                return
            if task is None:
                return
            conn.send(process_clip(task, state))
    finally:
        state.close()
        conn.close()


class _Worker:
    def __init__(self, ctx: Any, cfg: dict[str, Any]) -> None:
        parent, child = ctx.Pipe(duplex=True)
        self.conn: Connection = parent
        self.proc = ctx.Process(target=worker_main, args=(cfg, child, os.getpid()), daemon=True,
                                name="hipform-batch-worker")
        self.proc.start()
        child.close()
        self.task: dict[str, Any] | None = None
        self.sent_at = time.monotonic()
        self.timed_out = False

    def send(self, task: dict[str, Any]) -> None:
        self.task = task
        self.sent_at = time.monotonic()
        self.conn.send(task)

    def stop(self, timeout: float) -> None:
        """Ask an idle worker to finish, SIGTERM a busy one, kill if it hangs."""
        try:
            if self.task is None and self.proc.is_alive():
                self.conn.send(None)
            elif self.proc.is_alive():
                self.proc.terminate()
        except (OSError, ValueError):
            pass
        self.proc.join(timeout)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(1.0)
        self.conn.close()


def run_local(
    tasks: list[dict[str, Any]],
    cfg: dict[str, Any],
    *,
    workers: int,
    on_result: Result,
    on_dead: Callable[[dict[str, Any], str], dict[str, Any] | None],
    stop: threading.Event,
    start_method: str = "spawn",
    stop_timeout: float = 10.0,
    clip_timeout: float | None = None,
) -> None:
    """Run ``tasks`` on ``workers`` processes; call ``on_result(record)`` in this
    thread as each clip finishes (in completion order).

    ``on_dead(task, why)`` is called when the worker running ``task`` died; it returns
    the task to retry (requeued first) or None when the clip is given up (the callback
    then records the failure itself). A worker still on one clip after
    ``clip_timeout`` seconds is killed and handled like a worker that died. Returns when
    every task is done or ``stop`` is set (running clips are then interrupted and not
    recorded).
    """
    if not tasks:
        return
    ctx = mp.get_context(start_method)
    queue: deque[dict[str, Any]] = deque(tasks)
    n = max(1, min(workers, len(tasks)))
    pool: list[_Worker] = []
    births = 0
    try:
        while (queue or any(w.task is not None for w in pool)) and not stop.is_set():
            # keep the pool full while there is work to hand out
            while len(pool) < n and queue:
                if births >= n + 3 * len(tasks):  # pragma: no cover - defensive
                    raise HipformError("batch workers keep dying before taking a clip")
                pool.append(_Worker(ctx, cfg))
                births += 1
            for w in pool:
                if w.task is None and queue:
                    w.send(queue.popleft())
            busy = [w for w in pool if w.task is not None]
            if clip_timeout is not None:
                now = time.monotonic()
                for w in busy:
                    if not w.timed_out and now - w.sent_at > clip_timeout:
                        w.timed_out = True
                        w.proc.kill()
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in pool], timeout=0.25)
            if not ready:
                continue
            dead: list[_Worker] = []
            for w in list(pool):
                if w.conn in ready and w.task is not None:
                    try:
                        rec = w.conn.recv()
                    except (EOFError, OSError):
                        dead.append(w)
                        continue
                    w.task = None
                    on_result(rec)
                elif w.proc.sentinel in ready and not w.proc.is_alive():
                    dead.append(w)
            for w in dead:
                w.proc.join(1.0)
                code = w.proc.exitcode
                pool.remove(w)
                w.conn.close()
                if w.task is not None:
                    why = (f"timed out after {clip_timeout:g} s (worker killed)"
                           if w.timed_out else
                           f"worker process died (exit code {code}) while analysing this clip")
                    again = on_dead(w.task, why)
                    if again is not None:
                        queue.appendleft(again)
    finally:
        for w in pool:
            w.stop(stop_timeout if not stop.is_set() else 5.0)
