"""One score row per clip, the per-clip record (``score.json``) and ``scores.csv``.

Row columns (angles in degrees, times in seconds; empty = not measured):

* ``subject, session, clip, exercise, side, view, reps``
* ``<measure>_mean`` / ``<measure>_worst`` for knee_valgus, hip_drop, lumbar_extension
  (per-rep peaks: mean over reps, and the largest) and trunk_lean (mean of the per-rep
  values, and the largest in absolute value, sign kept). A per-rep value given per side
  (``{"left": .., "right": ..}``) is read on the clip's stance side, else the larger.
* ``eccentric_s_mean, hold_s_mean, concentric_s_mean`` tempo.
* ``rubric_total`` (the analysis summary's rubric total), ``rubric_rep_mean`` /
  ``rubric_rep_worst`` (per-rep rubric totals: mean, largest = worst).
* ``faults_total, faults_per_rep`` and one ``fault_<code>`` count per fault code seen in
  the batch.
* ``status`` (ok / failed), ``reason`` (why it failed), ``error`` (error type),
  ``attempts``, ``processing_s`` (wall time of the clip in its worker), ``out``
  (the clip's output folder, relative to the batch folder).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "MEASURES",
    "BASE_COLUMNS",
    "TAIL_COLUMNS",
    "RECORD_SCHEMA",
    "score_row",
    "failed_row",
    "columns_for",
    "write_record",
    "read_record",
    "write_scores",
    "atomic_write_text",
    "atomic_path",
]

RECORD_SCHEMA = "hipform.batch.score/1"
#: (column prefix, rep key, worst rule)
MEASURES = (
    ("knee_valgus", "peak_knee_valgus", "max"),
    ("hip_drop", "peak_hip_drop", "max"),
    ("lumbar_extension", "peak_lumbar_extension", "max"),
    ("trunk_lean", "trunk_lean", "absmax"),
)
_TEMPO = ("eccentric_s", "hold_s", "concentric_s")
BASE_COLUMNS = (
    ["subject", "session", "clip", "exercise", "side", "view", "reps"]
    + [f"{m}_{s}" for m, _, _ in MEASURES for s in ("mean", "worst")]
    + [f"{t}_mean" for t in _TEMPO]
    + ["rubric_total", "rubric_rep_mean", "rubric_rep_worst", "faults_total", "faults_per_rep"]
)
TAIL_COLUMNS = ["status", "reason", "error", "attempts", "processing_s", "out"]


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, int | float):
        v = float(x)
        return v if math.isfinite(v) else None
    return None


def _rep_value(v: Any, side: str | None) -> float | None:
    if isinstance(v, Mapping):
        if side in v and _num(v[side]) is not None:
            return _num(v[side])
        vals = [_num(x) for x in v.values()]
        vals2 = [x for x in vals if x is not None]
        return max(vals2, key=abs) if vals2 else None
    return _num(v)


def _round(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(float(x), nd)


def _rubric_total(rubric: Any) -> float | None:
    if not isinstance(rubric, Mapping) or not rubric:
        return None
    for k in ("total", "score", "rubric_total"):
        if k in rubric:
            return _num(rubric[k])
    vals = [_num(v) for v in rubric.values()]
    vals2 = [v for v in vals if v is not None]
    return float(sum(vals2)) if vals2 else None


def score_row(analysis: Mapping[str, Any], *, clip: str, subject: str | None = None,
              session: str | None = None) -> dict[str, Any]:
    """The score columns (BASE_COLUMNS + ``fault_<code>``) of one analysis.json dict.

    ``subject``/``session`` default to the analysis' own. Values are floats rounded to
    3 decimals (degrees / seconds) or None when not measured.
    """
    side = analysis.get("side")
    reps = [r for r in (analysis.get("reps") or []) if isinstance(r, Mapping)]
    row: dict[str, Any] = {
        "subject": subject if subject is not None else analysis.get("subject"),
        "session": session if session is not None else analysis.get("session"),
        "clip": clip,
        "exercise": analysis.get("exercise"),
        "side": side,
        "view": analysis.get("view"),
        "reps": len(reps),
    }
    for col, key, rule in MEASURES:
        vals = [v for v in (_rep_value(r.get(key), side) for r in reps) if v is not None]
        row[f"{col}_mean"] = _round(sum(vals) / len(vals)) if vals else None
        if not vals:
            row[f"{col}_worst"] = None
        elif rule == "absmax":
            row[f"{col}_worst"] = _round(max(vals, key=abs))
        else:
            row[f"{col}_worst"] = _round(max(vals))
    for t in _TEMPO:
        vals = [v for v in (_num(r.get(t)) for r in reps) if v is not None]
        row[f"{t}_mean"] = _round(sum(vals) / len(vals)) if vals else None
    summary = analysis.get("summary") or {}
    rt = None
    if isinstance(summary, Mapping):  # summary.rubric_total, or summary.rubric.total
        rt = summary.get("rubric_total", summary.get("rubric"))
    row["rubric_total"] = _round(_rubric_total(rt) if isinstance(rt, Mapping) else _num(rt))
    totals = [v for v in (_rubric_total(r.get("rubric")) for r in reps) if v is not None]
    row["rubric_rep_mean"] = _round(sum(totals) / len(totals)) if totals else None
    row["rubric_rep_worst"] = _round(max(totals)) if totals else None
    counts: dict[str, int] = {}
    for r in reps:
        for f in r.get("faults") or []:
            code = str(f.get("code")) if isinstance(f, Mapping) else str(f)
            counts[code] = counts.get(code, 0) + 1
    row["faults_total"] = sum(counts.values())
    row["faults_per_rep"] = _round(sum(counts.values()) / len(reps)) if reps else None
    for code in sorted(counts):
        row[f"fault_{code}"] = counts[code]
    return row


def failed_row(*, clip: str, subject: str | None, session: str | None,
               exercise: str | None = None, side: str | None = None) -> dict[str, Any]:
    """The score columns of a clip that could not be analysed (all measures empty)."""
    row: dict[str, Any] = dict.fromkeys(BASE_COLUMNS)
    row.update(subject=subject, session=session, clip=clip, exercise=exercise, side=side)
    return row


def columns_for(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """BASE_COLUMNS, then every ``fault_<code>`` present (sorted), then TAIL_COLUMNS."""
    codes = sorted({k for r in rows for k in r if k.startswith("fault_")})
    return list(BASE_COLUMNS) + codes + list(TAIL_COLUMNS)


# --------------------------------------------------------------------------- files
@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path next to ``path`` (``.<name>.<pid>.part``, parent folders created)
    to write to; renamed onto ``path`` when the block ends cleanly, deleted when it raises,
    so a reader (or a rerun after a kill) sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically: temporary file + fsync + rename."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def write_record(path: Path, record: Mapping[str, Any]) -> None:
    """Write a per-clip record (``score.json``) atomically."""
    atomic_write_text(path, json.dumps(record, indent=1, sort_keys=True, allow_nan=False))


def read_record(path: Path) -> dict[str, Any] | None:
    """A per-clip record, or None if missing, unreadable or of another schema."""
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or rec.get("schema") != RECORD_SCHEMA:
        return None
    return rec


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3f}".rstrip("0").rstrip(".") if math.isfinite(v) else ""
    return str(v)


def full_rows(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Score rows (score columns + status columns) of records, sorted by clip path."""
    rows = []
    for rec in records:
        row = dict(rec.get("row") or {})
        row.update(status=rec.get("status"), reason=rec.get("reason"),
                   error=rec.get("error"), attempts=rec.get("attempts"),
                   processing_s=_round(_num(rec.get("processing_s")), 2),
                   out=rec.get("out"))
        rows.append(row)
    rows.sort(key=lambda r: (str(r.get("clip") or ""), str(r.get("subject") or ""),
                             str(r.get("session") or ""), str(r.get("out") or "")))
    return rows


def write_scores(out_dir: Path, rows: list[dict[str, Any]]) -> dict[str, Path]:
    """Write ``scores.csv`` (always) and ``scores.parquet`` (if pyarrow is installed)
    atomically; rows must already be in their final order. Returns the paths written."""
    cols = columns_for(rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in cols])
    written = {"csv": out_dir / "scores.csv"}
    atomic_write_text(written["csv"], buf.getvalue())
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return written
    data: dict[str, list[Any]] = {c: [r.get(c) for r in rows] for c in cols}
    arrays = {}
    for c, vals in data.items():
        if c.startswith("fault_") or c in ("reps", "faults_total", "attempts"):
            arrays[c] = pa.array([None if v is None else int(v) for v in vals], pa.int64())
        elif any(isinstance(v, float) for v in vals) or c.endswith(
                ("_mean", "_worst", "_s", "_per_rep", "_total")):
            arrays[c] = pa.array([_num(v) for v in vals], pa.float64())
        else:
            arrays[c] = pa.array([None if v is None else str(v) for v in vals], pa.string())
    table = pa.table(arrays)
    dest = out_dir / "scores.parquet"
    with atomic_path(dest) as tmp:
        pq.write_table(table, tmp)
    written["parquet"] = dest
    return written
