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

When the claimed CPU turns out busy with other work (another program, or a second
analysis's reader and writer), pinned threads could not move to an idle CPU as the
scheduler would move them: :class:`ContentionWatch` notices it within about two seconds
and gives the pinning up (:meth:`CpuClaim.give_up`). Measured with two ``analyze``
commands at once on the 20 s 720p clip: 20.4 / 21.3 s pinned without the watch, 17.9 /
17.4 s with it, 18.2 / 17.2 / 17.1 / 19.1 s unpinned.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
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
#: the claim held in this process, if any
_active: CpuClaim | None = None


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
        self.given_up: str | None = None  # why pinning was abandoned (see give_up)

    def pin(self) -> bool:
        """Keep the calling thread (and threads it starts from now) on the claimed CPU.
        False, and nothing done, once the claim was given up or if the system refuses."""
        if self.given_up:
            return False
        try:
            os.sched_setaffinity(0, {self.cpu})
        except OSError:
            return False
        _state.cpu = self.cpu
        return True

    def unpin(self, to_others: bool = False) -> None:
        """Give the calling thread its CPUs back (all of them, or the helpers' ones)."""
        _state.cpu = None
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, self.others if to_others and not self.given_up
                                 else self.allowed)

    def give_up(self, why: str) -> None:
        """Stop pinning for the rest of this claim: every thread of the process on the
        claimed CPU or on the helpers' CPUs gets all CPUs back, and the CPU is released
        for other processes. For a CPU that turned out to be contended."""
        global _helper_cpus
        if self.given_up:
            return
        self.given_up = why
        _state.cpu = None
        with _lock:
            if _helper_cpus is self.others:
                _helper_cpus = None
        for tid in _tids():
            try:
                if set(os.sched_getaffinity(tid)) in ({self.cpu}, self.others):
                    os.sched_setaffinity(tid, self.allowed)
            except OSError:  # ended meanwhile
                continue
        self.release()
        _debug(f"CPU {self.cpu} unpinned: {why}")

    def close(self) -> None:
        """The end of the claim for the calling thread: its CPUs back, the claim
        released."""
        self.unpin()
        self.release()

    def release(self) -> None:
        global _helper_cpus, _active
        if self._fd is None:
            return
        with _lock:
            if _helper_cpus is self.others:
                _helper_cpus = None
            if _active is self:
                _active = None
        os.close(self._fd)  # releases the flock
        self._fd = None


def _debug(msg: str) -> None:
    if os.environ.get("HIPFORM_DEBUG"):
        import sys

        print(f"hipform: {msg}", file=sys.stderr)


def _tids() -> list[int]:
    try:
        return [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        return []


def _run_ns(tid: int) -> int | None:
    """Nanoseconds of CPU thread ``tid`` has run (Linux schedstat), or None."""
    try:
        with open(f"/proc/self/task/{tid}/schedstat") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _cpu_busy_s(cpu: int) -> float | None:
    """Seconds CPU ``cpu`` has spent running anything (user, nice, system, irq, softirq;
    not idle, I/O wait or steal), from /proc/stat, or None."""
    try:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith(f"cpu{cpu} "):
                    v = [int(x) for x in line.split()[1:8]]
                    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None
    return None


#: give pinning up when other work used more than this share of the claimed CPU ...
CONTENTION_SHARE = 0.15
#: ... in this many consecutive checks ...
CONTENTION_CHECKS = 2
#: ... made this often (seconds)
CHECK_S = 1.0


class ContentionWatch:
    """Called once a frame by the thread that runs the model; about once a second it
    compares how busy the claimed CPU was (/proc/stat) with what the process's threads
    on it ran (schedstat). The rest is other work on that CPU: another process, or a
    second analysis's helpers. Pinned, the model's threads cannot move to an idle CPU as
    the scheduler would move them, so when other work took more than
    :data:`CONTENTION_SHARE` of the CPU in :data:`CONTENTION_CHECKS` checks in a row the
    claim is given up."""

    def __init__(self, claim: CpuClaim, clock: Callable[[], float] = time.monotonic) -> None:
        self.claim = claim
        self.clock = clock
        self.hits = 0
        self.history: list[float] = []  # other work's share of the CPU, each check
        self.t, self.busy, self.ran = clock(), _cpu_busy_s(claim.cpu), self._ran()

    def _ran(self) -> dict[int, int]:
        out = {}
        for tid in _tids():
            try:
                if set(os.sched_getaffinity(tid)) != {self.claim.cpu}:
                    continue
            except OSError:
                continue
            r = _run_ns(tid)
            if r is not None:
                out[tid] = r
        return out

    def __call__(self) -> None:
        now = self.clock()
        if now - self.t < CHECK_S or self.claim.given_up:
            return
        busy, ran = _cpu_busy_s(self.claim.cpu), self._ran()
        if busy is None or self.busy is None:
            return
        ours = sum(r - self.ran.get(t, 0) for t, r in ran.items()) / 1e9
        share = max(0.0, (busy - self.busy) - ours) / (now - self.t)
        self.t, self.busy, self.ran = now, busy, ran
        self.history.append(share)
        _debug(f"CPU {self.claim.cpu}: other work {share:.0%}, ours {ours:.2f} s")
        self.hits = self.hits + 1 if share > CONTENTION_SHARE else 0
        if self.hits >= CONTENTION_CHECKS:
            self.claim.give_up(f"other work took {share:.0%} of it")


def contention_watch() -> ContentionWatch | None:
    """A :class:`ContentionWatch` for the calling thread's claim, or None when the
    calling thread is not pinned."""
    claim = _active
    if claim is None or claimed_cpu() != claim.cpu or claim.given_up:
        return None
    return ContentionWatch(claim)


def claim_cpu(enabled: bool | None = None) -> CpuClaim | None:
    """Claim a free CPU for this process's model (see the module docstring); None when
    pinning is off, unsupported, pointless (one usable CPU) or every CPU is claimed.
    While the claim is held, :func:`helper_affinity` keeps helper threads off it."""
    global _helper_cpus, _active
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
                _active = claim
            return claim
    return None


def start_model(claim: CpuClaim | None, factory: Callable[..., T], *a: Any, **kw: Any) -> T:
    """``factory(*a, **kw)`` (e.g. a model constructor) run with the calling thread on
    ``claim``'s CPU, so the threads it starts stay there; the calling thread then moves
    to the helpers' CPUs (for a model that another thread runs, which calls
    ``claim.pin()`` itself). Without a claim, just ``factory(*a, **kw)``."""
    if claim is None or not claim.pin():
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
    if claim is not None and not claim.pin():
        claim.release()
        claim = None
    if claim is None:
        yield None
        return
    try:
        yield claim.cpu
    finally:
        claim.close()


def helper_affinity() -> None:
    """Move the calling thread off the model's CPU, when one is claimed in this process
    (for threads started by the model's thread, which inherit its single CPU)."""
    cpus = _helper_cpus
    if cpus and hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, cpus)
