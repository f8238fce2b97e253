"""Small standard-library helpers shared by the report, history store, batch and the
annotated-video writer process.

Stdlib only (no numpy): :mod:`hipform.store` and the report writers import it cheaply.
"""

from __future__ import annotations

import math
import os
import signal
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["die_with_parent", "finite_float", "write_text_replacing"]


def finite_float(x: Any) -> float | None:
    """``float(x)`` when that is finite, else None.

    None, booleans, NaN, +/-inf and anything ``float()`` rejects give None. Strings that
    parse as numbers ("3.5") and numpy scalars are accepted, e.g. values read back from
    JSON, CSV or SQLite.
    """
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def write_text_replacing(path: Path, text: str, *, newline: str | None = None,
                         mode: int | None = None) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically: a temporary ``.<name>.*.tmp`` in the
    same folder (parent folders created), fsync, then rename over ``path``; a reader sees
    the old file or the new one, never half of it. The temporary file is deleted if
    anything fails.

    ``newline``: as for :func:`open` (``""`` writes ``\\n`` untranslated); ``mode``: file
    permissions to set (e.g. ``0o644``), else the temporary file's 0600 stays.
    Raises OSError (the caller wraps it in its typed error).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def die_with_parent(parent_pid: int) -> None:
    """Linux: this (child) process gets SIGTERM when ``parent_pid`` dies, even by SIGKILL,
    so no orphan keeps writing into an output folder (batch pool workers, the
    annotated-video writer process). Elsewhere a no-op. If the parent is already gone
    before the request took effect, exits at once (status 128 + SIGTERM)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        raise SystemExit(128 + int(signal.SIGTERM))


def lower_thread_priority(by: int) -> None:
    """Linux: raise the calling *thread's* niceness by ``by`` (Linux schedules threads
    separately, so the rest of the process keeps its priority). Threads it starts later
    (e.g. FFmpeg's decoder threads) inherit it. Elsewhere, or if refused, a no-op.

    The offline reader and writer threads use it: on two cores they compete with the
    pose model's thread, and each millisecond they take from it is a millisecond of wall
    time, while their own work has slack (bounded queues absorb it)."""
    if by <= 0:
        return
    try:
        import threading

        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(os.getpriority(os.PRIO_PROCESS, tid) + by, 19))
    except (OSError, AttributeError):
        pass
