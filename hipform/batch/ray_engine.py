"""Ray engine: the same clips as Ray tasks on a Ray cluster (or a local Ray instance).

Each clip is one task (``num_cpus=1``) running :func:`hipform.batch.worker.run_task`;
Ray reuses its worker processes, and each keeps its loaded pose model between tasks
(same per-clip fresh tracking state as the local pool). Ray itself retries a task whose
worker process died (``max_retries=retries``); when the retries are used up the driver
records the clip as failed with the reason and the batch goes on. Results are gathered
as they complete (``ray.wait``) and the driver writes ``scores.csv`` exactly as with
the local engine.

Requirements on a real cluster: hipform (same version) installed on every node, and
the input clips and the output folder on a file system every node sees at the same
path (NFS, a cloud bucket mounted with the same path, ...): workers read clips and write
their output folders directly. The history database is written by the driver only.

``ray`` is imported only inside :func:`run_ray` (optional extra ``hipform[ray]``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from typing import Any

from hipform.errors import HipformError

__all__ = ["run_ray", "ray_available"]

_ENV_PASS = ("HIPFORM_BATCH_TEST_CRASH", "HIPFORM_MODELS", "HIPFORM_DEBUG",
             "GLOG_minloglevel", "TF_CPP_MIN_LOG_LEVEL", "OPENCV_LOG_LEVEL",
             "OPENCV_FFMPEG_LOGLEVEL", "PYTHONPATH")


def ray_available() -> bool:
    """True if ``import ray`` works."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def run_ray(
    tasks: list[dict[str, Any]],
    cfg: dict[str, Any],
    *,
    on_result: Callable[[dict[str, Any]], None],
    on_dead: Callable[[dict[str, Any], str], dict[str, Any] | None],
    stop: threading.Event,
    address: str | None = None,
    num_cpus: int | None = None,
    retries: int = 1,
    object_store_mb: int = 200,
) -> dict[str, Any]:
    """Run ``tasks`` as Ray tasks; call ``on_result(record)`` per finished clip.

    ``address``: an existing cluster (``"auto"``, ``"ray://host:10001"``, ``host:6379``);
    None starts a small local instance (``num_cpus`` CPUs, default all, no dashboard,
    a temporary folder) that is shut down at the end. ``on_dead(task, why)`` is called
    for a clip whose worker died more than ``retries`` times (its return value is
    ignored: Ray already did the retries). Returns facts about the cluster used.
    """
    try:
        import ray
        from ray.exceptions import (
            GetTimeoutError,
            RayError,
            TaskCancelledError,
            WorkerCrashedError,
        )
    except ImportError as e:
        raise HipformError("--engine ray needs ray: pip install 'hipform[ray]' "
                           f"(or 'ray[default]') ({e})") from e
    info: dict[str, Any] = {}
    if not tasks:
        return info
    started_here = not ray.is_initialized()
    tmp = None
    env = {k: os.environ[k] for k in _ENV_PASS if k in os.environ
           and not (address and k == "PYTHONPATH")}  # driver paths mean nothing remotely
    if started_here:
        kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                              "configure_logging": False,
                              "runtime_env": {"env_vars": env} if env else None}
        if address:
            kw = {"address": address, "log_to_driver": False,
                  "runtime_env": {"env_vars": env} if env else None}
        else:
            tmp = tempfile.mkdtemp(prefix="hfray")  # short: Ray's socket paths are limited
            kw.update(num_cpus=num_cpus or os.cpu_count() or 1, _temp_dir=tmp,
                      object_store_memory=object_store_mb * 1024 * 1024)
        try:
            ray.init(**kw)
        except Exception as e:  # noqa: BLE001 - ray raises many kinds
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)
            where = address or "a local Ray instance"
            raise HipformError(f"cannot start or reach {where}: {e}") from e
    try:
        from hipform.batch.worker import run_task

        info["cluster_cpus"] = float(ray.cluster_resources().get("CPU", 0))
        remote = ray.remote(num_cpus=1, max_retries=max(0, retries),
                            retry_exceptions=False)(run_task)
        pending = {remote.remote(t, cfg): t for t in tasks}
        while pending and not stop.is_set():
            done, _ = ray.wait(list(pending), num_returns=1, timeout=0.25)
            for ref in done:
                task = pending.pop(ref)
                try:
                    rec = ray.get(ref, timeout=60)
                except WorkerCrashedError as e:
                    if stop.is_set():
                        continue  # interrupted by the stop (Ctrl-C reaches Ray workers too)
                    on_dead({**task, "attempt": 1 + max(0, retries)},
                            f"worker process died while analysing this clip "
                            f"(tried {1 + max(0, retries)} times): {type(e).__name__}")
                    continue
                except (RayError, GetTimeoutError, TaskCancelledError) as e:
                    if stop.is_set():
                        continue
                    on_dead({**task, "attempt": 1 + max(0, retries)},
                            f"Ray task failed: {type(e).__name__}: "
                            f"{str(e).strip().splitlines()[-1][:300] if str(e) else ''}")
                    continue
                on_result(rec)
        if pending:  # stopped: cancel what is still queued or running
            for ref in pending:
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001,S110 - best effort
                    pass
    finally:
        if started_here:
            ray.shutdown()
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)
    return info
