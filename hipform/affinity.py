"""Keep the pose model's threads on one CPU of their own (Linux; elsewhere a no-op).

Why: each frame, the thread that calls the model hands the image to MediaPipe's graph
threads and waits for their result. Left to the scheduler on two cores, beside the
reader and writer threads, these hand-offs wander between CPUs. Kept on one CPU, the
bare model loop ran 49.6-54.6 frames/s against 44.8-47.7 unpinned (20 s 720p clip,
interleaved rounds; figures for ``analyze`` itself are in benchmarks/results/offline.md).

How: the thread that creates the model restricts itself to one CPU just before
(:func:`model_cpu`); the graph threads MediaPipe then starts inherit that. Threads
that must not share the model's CPU (reader, writer, import prewarm) call
:func:`helper_affinity` first thing, which moves them to the process's other CPUs.

Which CPU: one that no other hipform process has claimed. A claim is an ``flock`` on
``<tmp>/hipform-cpu-<uid>/cpu<N>.lock``, which the kernel drops when the process ends,
however it ends. CPUs are tried highest-numbered first (CPU 0 usually takes most
interrupts). Nothing is pinned when the process may use only one CPU, when every CPU
is claimed (a third analysis on two cores), or when ``HIPFORM_PIN_CPU=0`` (or
``--no-pin-cpu``) says not to.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: environment switch: "0" / "off" / "no" / "false" disables pinning everywhere
ENV = "HIPFORM_PIN_CPU"

_state = threading.local()
_lock = threading.Lock()
#: CPUs for helper threads while a claim is held in this process (None: no claim)
_helper_cpus: set[int] | None = None


def pinning_enabled(flag: bool | None = None) -> bool:
    """``flag`` if given, else the environment (default: on)."""
    if flag is not None:
        return flag
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "off", "no", "false")


def _lock_dir() -> Path:
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"hipform-cpu-{uid}"


def _try_claim(cpu: int) -> int | None:
    """An fd holding the exclusive lock of ``cpu``, or None if another process has it."""
    import fcntl

    d = _lock_dir()
    d.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(d / f"cpu{cpu}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


class CpuClaim:
    """This process's claim on one CPU for its model (the lock is held until
    :meth:`release`, or until the process ends)."""

    def __init__(self, cpu: int, fd: int, allowed: set[int]) -> None:
        self.cpu = cpu
        self.allowed = allowed  # the CPUs the process could use before the claim
        self.others = allowed - {cpu}  # the helpers' CPUs
        self._fd: int | None = fd

    def pin(self) -> None:
        """Keep the calling thread (and threads it starts from now) on the claimed CPU."""
        os.sched_setaffinity(0, {self.cpu})
        _state.cpu = self.cpu

    def unpin(self, to_others: bool = False) -> None:
        """Give the calling thread its CPUs back (all of them, or the helpers' ones)."""
        _state.cpu = None
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, self.others if to_others else self.allowed)

    def release(self) -> None:
        global _helper_cpus
        if self._fd is None:
            return
        with _lock:
            if _helper_cpus is self.others:
                _helper_cpus = None
        os.close(self._fd)  # releases the flock
        self._fd = None


def claim_cpu(enabled: bool | None = None) -> CpuClaim | None:
    """Claim a free CPU for this process's model (see the module docstring); None when
    pinning is off, unsupported, pointless (one usable CPU) or every CPU is claimed.
    While the claim is held, :func:`helper_affinity` keeps helper threads off it."""
    global _helper_cpus
    if not pinning_enabled(enabled) or not hasattr(os, "sched_setaffinity"):
        return None
    try:
        allowed = set(os.sched_getaffinity(0))
    except OSError:
        return None
    if len(allowed) < 2:
        return None
    for c in sorted(allowed, reverse=True):
        try:
            fd = _try_claim(c)
        except (OSError, ImportError):
            return None
        if fd is not None:
            claim = CpuClaim(c, fd, allowed)
            with _lock:
                _helper_cpus = claim.others
            return claim
    return None


def start_model(claim: CpuClaim | None, factory: Callable[..., T], *a: Any, **kw: Any) -> T:
    """``factory(*a, **kw)`` (e.g. a model constructor) run with the calling thread on
    ``claim``'s CPU, so the threads it starts stay there; the calling thread then moves
    to the helpers' CPUs (for a model that another thread runs, which calls
    ``claim.pin()`` itself). Without a claim, just ``factory(*a, **kw)``."""
    if claim is None:
        return factory(*a, **kw)
    try:
        claim.pin()
    except OSError:
        return factory(*a, **kw)
    try:
        return factory(*a, **kw)
    finally:
        claim.unpin(to_others=True)


def claimed_cpu() -> int | None:
    """The CPU the calling thread is pinned to by a claim, if any."""
    return getattr(_state, "cpu", None)


@contextlib.contextmanager
def model_cpu(enabled: bool | None = None) -> Iterator[int | None]:
    """Pin the calling thread (and the threads it starts, e.g. the model's) to one free
    CPU for the duration; yields that CPU, or None when nothing was pinned. Nested
    uses in a thread already pinned keep the outer claim. On exit the thread gets its
    CPUs back and the claim is released."""
    if claimed_cpu() is not None:
        yield claimed_cpu()
        return
    claim = claim_cpu(enabled)
    if claim is None:
        yield None
        return
    try:
        claim.pin()
    except OSError:
        claim.release()
        yield None
        return
    try:
        yield claim.cpu
    finally:
        claim.unpin()
        claim.release()


def helper_affinity() -> None:
    """Move the calling thread off the model's CPU, when one is claimed in this process
    (for threads started by the model's thread, which inherit its single CPU)."""
    cpus = _helper_cpus
    if cpus and hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, cpus)
