"""Batch scoring of many clips: one score row per clip, on a local process pool or Ray.

    >>> from hipform.batch import BatchOptions, run_batch
    >>> res = run_batch("clips/", "out/", BatchOptions(workers=2))   # doctest: +SKIP
    >>> res.exit_code, res.ok, res.failed                             # doctest: +SKIP

Heavy packages (mediapipe, ray, pyarrow) are imported only inside the functions that
need them.
"""

from __future__ import annotations

from hipform.batch.clips import Clip, discover_clips, read_manifest, scan_folder
from hipform.batch.runner import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    BatchOptions,
    BatchResult,
    run_batch,
    stop_on_signals,
)
from hipform.batch.scores import score_row

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SOME_FAILED",
    "BatchOptions",
    "BatchResult",
    "Clip",
    "discover_clips",
    "read_manifest",
    "run_batch",
    "scan_folder",
    "score_row",
    "stop_on_signals",
]
