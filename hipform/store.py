"""SQLite session history (stdlib ``sqlite3`` only).

One database file holds every analysed session of every subject:

* ``subjects``  one row per subject name;
* ``sessions``  date, source, exercise, side, view, model, summary (JSON), thresholds;
* ``reps``      timing of each repetition, its rubric (JSON);
* ``rep_measures`` one row per (rep, measure, side): the per-rep peak values
  (``peak_knee_valgus``, ``peak_hip_drop``, ``peak_lumbar_extension``, ``trunk_lean``, ...)
  in degrees; ``side`` is ``"left"``/``"right"`` when the analysis gave a per-side dict,
  NULL when it gave one number;
* ``faults``    each fault of each rep (code, side, value in degrees, severity);
* ``cues``      each cue given (time in ms, code, side, value, message);
* ``session_frames`` (schema v2) the per-frame series, zlib-compressed JSON, so a
  report can be re-rendered from history.

Where the file lives: ``--db PATH`` > ``$HIPFORM_DB`` >
``platformdirs.user_data_dir("hipform")/history.sqlite3``.

Durability and concurrency: the file is in WAL mode with a busy timeout; each session is
written inside one ``BEGIN IMMEDIATE`` ... ``COMMIT`` transaction, so a crash, a power cut
or a SIGKILL never leaves a half-stored session, and several worker processes may save at
the same time (writers queue on the lock for up to ``busy_timeout_ms``).

Schema versions are tracked with ``PRAGMA user_version`` and upgraded in place by the
steps in :data:`MIGRATIONS` (each one runs in its own transaction).

NaN values are stored as NULL and come back as ``None`` (the analysis JSON already writes
NaN as null).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import sqlite3
import time as _time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from hipform.errors import StoreError
from hipform.util import finite_float as _num
from hipform.util import write_text_replacing

__all__ = [
    "DB_ENV_VAR",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Store",
    "default_db_path",
    "migrate",
    "open_store",
    "session_measures",
]

DB_ENV_VAR = "HIPFORM_DB"
SOURCE_KINDS = ("analyze", "live", "batch")

# Keys of a rep that have their own column; every other numeric (or per-side dict of
# numbers) key becomes rows of ``rep_measures``; anything else goes to ``extra_json``.
_REP_COLUMNS = ("start_ms", "bottom_ms", "end_ms", "eccentric_s", "hold_s", "concentric_s")
# Top-level analysis keys stored in their own columns / tables.
_SESSION_KEYS = {
    "schema", "created", "subject", "session", "source", "model", "exercise",
    "exercise_confidence", "side", "view", "frames", "reps", "cues", "summary", "thresholds",
}
_FAULT_KEYS = ("code", "side", "value", "severity")
_CUE_KEYS = ("t_ms", "code", "side", "value", "message")
_SIDES = ("left", "right")


# --------------------------------------------------------------------------- schema

_V1 = """
CREATE TABLE subjects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    subject_id INTEGER REFERENCES subjects(id) ON DELETE SET NULL,
    label TEXT,
    created TEXT,                 -- analysis 'created' exactly as given
    recorded_at TEXT NOT NULL,    -- UTC ISO 'YYYY-MM-DDTHH:MM:SS.ffffff', sortable
    stored_at TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    schema TEXT,
    source_path TEXT,
    source_json TEXT,             -- the whole 'source' object
    exercise TEXT,
    exercise_confidence REAL,
    side TEXT,
    view TEXT,
    model_name TEXT,
    model_sha256 TEXT,
    model_json TEXT,
    n_reps INTEGER NOT NULL DEFAULT 0,
    summary_json TEXT,
    thresholds_json TEXT,
    extra_json TEXT               -- unknown top-level keys, kept for the round trip
);
CREATE TABLE reps (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    pos INTEGER NOT NULL,         -- order in the analysis list
    idx INTEGER,                  -- the analysis' own 'index'
    start_ms REAL, bottom_ms REAL, end_ms REAL,
    eccentric_s REAL, hold_s REAL, concentric_s REAL,
    rubric_json TEXT,
    extra_json TEXT
);
CREATE TABLE rep_measures (
    rep_id INTEGER NOT NULL REFERENCES reps(id) ON DELETE CASCADE,
    measure TEXT NOT NULL,
    side TEXT,                    -- 'left' / 'right' / NULL (single value)
    value REAL
);
CREATE TABLE faults (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    rep_id INTEGER REFERENCES reps(id) ON DELETE CASCADE,
    pos INTEGER NOT NULL,
    code TEXT, side TEXT, value REAL, severity TEXT,
    extra_json TEXT
);
CREATE TABLE cues (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    pos INTEGER NOT NULL,
    t_ms REAL, code TEXT, side TEXT, value REAL, message TEXT,
    extra_json TEXT
);
CREATE INDEX reps_session ON reps(session_id);
CREATE INDEX rep_measures_rep ON rep_measures(rep_id);
CREATE INDEX faults_session ON faults(session_id);
CREATE INDEX cues_session ON cues(session_id);
"""

_V2 = """
CREATE TABLE session_frames (
    session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    encoding TEXT NOT NULL,       -- 'json+zlib'
    data BLOB NOT NULL
);
CREATE INDEX sessions_subject_exercise ON sessions(subject_id, exercise, recorded_at);
"""


def _exec_script(sql: str) -> Callable[[sqlite3.Connection], None]:
    """A migration step that runs plain SQL statements (inside the caller's transaction)."""

    def step(conn: sqlite3.Connection) -> None:
        for stmt in sql.split(";"):
            if stmt.strip():
                conn.execute(stmt)

    return step


#: Migration steps: ``MIGRATIONS[k]`` upgrades a database from version k to k + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _exec_script(_V1),  # 0 -> 1: core tables
    _exec_script(_V2),  # 1 -> 2: per-frame series, subject/exercise index
]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, target: int | None = None, *, path: str = "?") -> int:
    """Bring ``conn`` (autocommit mode) to schema version ``target`` (default: latest).

    Each step runs in its own ``BEGIN IMMEDIATE`` transaction and re-reads
    ``user_version`` under the write lock, so two processes opening a fresh file at once
    do not both apply a step. Returns the version reached. Raises :class:`StoreError`
    if the file is newer than this hipform.
    """
    target = SCHEMA_VERSION if target is None else target
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"history database {path} has schema version {version}, newer than this "
            f"hipform understands ({SCHEMA_VERSION}); upgrade hipform"
        )
    while version < target:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version < target:
                MIGRATIONS[version](conn)
                version += 1
                conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
    return version


# --------------------------------------------------------------------------- helpers


def default_db_path() -> Path:
    """``$HIPFORM_DB`` if set, else ``user_data_dir("hipform")/history.sqlite3``."""
    env = os.environ.get(DB_ENV_VAR)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("hipform")) / "history.sqlite3"


def _is_number(x: Any) -> bool:
    return x is None or (isinstance(x, int | float) and not isinstance(x, bool))


def _dumps(obj: Any) -> str | None:
    if obj is None:
        return None
    return json.dumps(_clean_json(obj), separators=(",", ":"), sort_keys=False)


def _loads(s: str | None) -> Any:
    return None if s is None else json.loads(s)


def _clean_json(obj: Any) -> Any:
    """Replace NaN/inf by None and numpy scalars/arrays by Python values (recursively)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean_json(v) for v in obj]
    if hasattr(obj, "tolist"):  # numpy array or scalar, without importing numpy
        return _clean_json(obj.tolist())
    return obj


def _parse_time(value: Any, *, end_of_day: bool = False) -> datetime | None:
    """Parse an ISO date/datetime (str, date or datetime) to an aware UTC datetime.

    A naive time is taken as the machine's local time. A bare date means the start of
    that day, or its end when ``end_of_day``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time.max if end_of_day else time.min)
    else:
        s = str(value).strip()
        if s.endswith("Z"):
            s = s[:-1] + "+00:00"
        try:
            if len(s) == 10:
                d = date.fromisoformat(s)
                dt = datetime.combine(d, time.max if end_of_day else time.min)
            else:
                dt = datetime.fromisoformat(s)
        except ValueError as e:
            raise ValueError(f"not an ISO date or time: {value!r}") from e
    if dt.tzinfo is None:
        dt = dt.astimezone()  # local time
    return dt.astimezone(UTC)


def _utc_text(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _now_text() -> str:
    return _utc_text(datetime.now(UTC))


# --------------------------------------------------------------------------- measures

#: The fault measures compared across sessions; rep key -> short measure name.
REP_MEASURE_NAMES = {
    "peak_knee_valgus": "knee_valgus",
    "peak_hip_drop": "hip_drop",
    "peak_lumbar_extension": "lumbar_extension",
    "trunk_lean": "trunk_lean",
}

#: Measures that have no left/right (one value per frame for the whole body).
_UNSIDED = frozenset({"lumbar_extension"})


def session_measures(session: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Per-session value of each fault measure per side: the mean of the per-rep peaks.

    Args:
        session: an analysis dict (``hipform.analysis/1``) or the output of
            :meth:`Store.get_session`; only ``reps`` and ``side`` are read.
    Returns:
        ``{measure: {side: degrees}}`` with measure in ``knee_valgus``, ``hip_drop``,
        ``lumbar_extension``, ``trunk_lean`` and side ``"left"``, ``"right"`` or
        ``"both"`` (a measure with one value per rep and no stance side, e.g. lumbar
        extension). A rep value given as one number is assigned to the session's
        stance ``side`` when there is one. Measures absent from every rep are omitted.
    """
    side_default = session.get("side") or "both"
    acc: dict[str, dict[str, list[float]]] = {}
    for rep in session.get("reps") or []:
        for key, name in REP_MEASURE_NAMES.items():
            if key not in rep:
                continue
            v = rep[key]
            if isinstance(v, dict) and not set(v) <= set(_SIDES):
                v = v.get("frontal")  # e.g. trunk_lean = {"frontal": ..., "sagittal": ...}
            if isinstance(v, dict):
                items = [(s, v.get(s)) for s in _SIDES if s in v]
            else:
                items = [("both" if name in _UNSIDED else side_default, v)]
            for s, val in items:
                f = _num(val)
                if f is not None:
                    acc.setdefault(name, {}).setdefault(str(s), []).append(f)
    return {
        m: {s: sum(vals) / len(vals) for s, vals in sides.items()} for m, sides in acc.items()
    }


# --------------------------------------------------------------------------- store


@dataclass
class Store:
    """An open history database. Use :func:`open_store` to get one; close when done
    (or use it as a context manager)."""

    path: Path
    conn: sqlite3.Connection
    busy_timeout_ms: int = 30_000
    #: Test hook: called inside the write transaction of :meth:`save_analysis`, after all
    #: rows are inserted and before COMMIT. Lets a test kill the process mid-transaction.
    _mid_transaction_hook: Callable[[], None] | None = None

    # ---- lifecycle
    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``); rolled back on any exception."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise StoreError(f"cannot write to history database {self.path}: {e}") from e
        try:
            yield self.conn
        except BaseException:
            _rollback(self.conn)
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as e:
                _rollback(self.conn)
                raise StoreError(f"cannot commit to history database {self.path}: {e}") from e

    # ---- writing
    def save_analysis(
        self,
        analysis: dict[str, Any],
        *,
        subject: str | None = None,
        session_label: str | None = None,
        source_kind: str = "analyze",
    ) -> int:
        """Store one analysis (``hipform.analysis/1`` dict) as one session, atomically.

        Args:
            analysis: the analysis dict; optional keys may be missing (older or partial
                analyses still store).
            subject: subject name; default ``analysis["subject"]``; None = anonymous.
            session_label: free label; default ``analysis["session"]``.
            source_kind: ``"analyze"``, ``"live"`` or ``"batch"``.
        Returns:
            the new session id.
        Raises:
            StoreError: the database cannot be written (message names the file).
            ValueError: ``source_kind`` is not one of the three, or ``analysis`` is not
                a dict.
        """
        if not isinstance(analysis, dict):
            raise ValueError(f"analysis must be a dict, got {type(analysis).__name__}")
        if source_kind not in SOURCE_KINDS:
            raise ValueError(f"source_kind must be one of {SOURCE_KINDS}, got {source_kind!r}")
        subject = subject if subject is not None else analysis.get("subject")
        label = session_label if session_label is not None else analysis.get("session")
        created = analysis.get("created")
        try:
            rec = _parse_time(created) if created else None
        except ValueError:
            rec = None
        now = _now_text()
        recorded_at = _utc_text(rec) if rec else now
        source = analysis.get("source") or {}
        model = analysis.get("model") or {}
        extra = {k: v for k, v in analysis.items() if k not in _SESSION_KEYS}
        reps = analysis.get("reps") or []
        try:
            with self._write() as c:
                subject_id = None
                if subject:
                    c.execute(
                        "INSERT OR IGNORE INTO subjects(name, created_at) VALUES (?, ?)",
                        (subject, now),
                    )
                    subject_id = c.execute(
                        "SELECT id FROM subjects WHERE name = ?", (subject,)
                    ).fetchone()[0]
                cur = c.execute(
                    """INSERT INTO sessions(subject_id, label, created, recorded_at, stored_at,
                        source_kind, schema, source_path, source_json, exercise,
                        exercise_confidence, side, view, model_name, model_sha256, model_json,
                        n_reps, summary_json, thresholds_json, extra_json)
                       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                    (
                        subject_id, label, created, recorded_at, now, source_kind,
                        analysis.get("schema"),
                        source.get("path") if isinstance(source, dict) else None,
                        _dumps(analysis["source"]) if "source" in analysis else None,
                        analysis.get("exercise"), _num(analysis.get("exercise_confidence")),
                        analysis.get("side"), analysis.get("view"),
                        model.get("name") if isinstance(model, dict) else None,
                        model.get("sha256") if isinstance(model, dict) else None,
                        _dumps(analysis["model"]) if "model" in analysis else None,
                        len(reps),
                        _dumps(analysis["summary"]) if "summary" in analysis else None,
                        _dumps(analysis["thresholds"]) if "thresholds" in analysis else None,
                        _dumps(extra) if extra else None,
                    ),
                )
                sid = int(cur.lastrowid or 0)
                self._insert_reps(c, sid, reps)
                for pos, cue in enumerate(analysis.get("cues") or []):
                    cx = {k: v for k, v in cue.items() if k not in _CUE_KEYS}
                    c.execute(
                        "INSERT INTO cues(session_id, pos, t_ms, code, side, value, message,"
                        " extra_json) VALUES (?,?,?,?,?,?,?,?)",
                        (sid, pos, _num(cue.get("t_ms")), cue.get("code"), cue.get("side"),
                         _num(cue.get("value")), cue.get("message"), _dumps(cx) if cx else None),
                    )
                if analysis.get("frames") is not None and self.schema_version >= 2:
                    blob = zlib.compress(str(_dumps(analysis["frames"])).encode(), 6)
                    c.execute(
                        "INSERT INTO session_frames(session_id, encoding, data) VALUES (?,?,?)",
                        (sid, "json+zlib", blob),
                    )
                if self._mid_transaction_hook is not None:
                    self._mid_transaction_hook()
        except sqlite3.Error as e:
            raise StoreError(f"cannot save session to history database {self.path}: {e}") from e
        return sid

    def _insert_reps(self, c: sqlite3.Connection, sid: int, reps: list[dict[str, Any]]) -> None:
        for pos, rep in enumerate(reps):
            measures: list[tuple[str, str | None, float | None]] = []
            extra: dict[str, Any] = {}
            for k, v in rep.items():
                if k in ("index", "faults", "rubric", *_REP_COLUMNS):
                    continue
                if _is_number(v):
                    measures.append((k, None, _num(v)))
                elif isinstance(v, dict) and v and all(
                    s in _SIDES and _is_number(x) for s, x in v.items()
                ):
                    measures.extend((k, s, _num(x)) for s, x in v.items())
                else:
                    extra[k] = v
            idx = rep.get("index")
            cur = c.execute(
                "INSERT INTO reps(session_id, pos, idx, start_ms, bottom_ms, end_ms, eccentric_s,"
                " hold_s, concentric_s, rubric_json, extra_json) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (sid, pos, idx if isinstance(idx, int) else None,
                 *(_num(rep.get(k)) for k in _REP_COLUMNS),
                 _dumps(rep["rubric"]) if "rubric" in rep else None,
                 _dumps(extra) if extra else None),
            )
            rid = int(cur.lastrowid or 0)
            c.executemany(
                "INSERT INTO rep_measures(rep_id, measure, side, value) VALUES (?,?,?,?)",
                [(rid, m, s, v) for m, s, v in measures],
            )
            for fpos, f in enumerate(rep.get("faults") or []):
                fx = {k: v for k, v in f.items() if k not in _FAULT_KEYS}
                c.execute(
                    "INSERT INTO faults(session_id, rep_id, pos, code, side, value, severity,"
                    " extra_json) VALUES (?,?,?,?,?,?,?,?)",
                    (sid, rid, fpos, f.get("code"), f.get("side"), _num(f.get("value")),
                     f.get("severity"), _dumps(fx) if fx else None),
                )

    def delete_session(self, session_id: int) -> bool:
        """Delete one session and everything stored with it. Returns False if absent."""
        try:
            with self._write() as c:
                n = c.execute("DELETE FROM sessions WHERE id = ?", (int(session_id),)).rowcount
        except sqlite3.Error as e:
            raise StoreError(f"cannot delete from history database {self.path}: {e}") from e
        return n > 0

    # ---- reading
    def list_sessions(
        self,
        subject: str | None = None,
        exercise: str | None = None,
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Sessions matching the filters, oldest first (by recording time).

        ``since``/``until`` are ISO dates or times (inclusive; a bare date covers the
        whole day; naive times are local). Each row: ``id, subject, label, created,
        recorded_at (UTC ISO), stored_at, source_kind, source_path, exercise, side, view,
        model_name, n_reps, n_faults, summary``.
        """
        where, args = [], []
        if subject is not None:
            where.append("sub.name = ?")
            args.append(subject)
        if exercise is not None:
            where.append("s.exercise = ?")
            args.append(exercise)
        lo = _parse_time(since)
        hi = _parse_time(until, end_of_day=True)
        if lo is not None:
            where.append("s.recorded_at >= ?")
            args.append(_utc_text(lo))
        if hi is not None:
            where.append("s.recorded_at <= ?")
            args.append(_utc_text(hi))
        sql = (
            "SELECT s.id, sub.name, s.label, s.created, s.recorded_at, s.stored_at,"
            " s.source_kind, s.source_path, s.exercise, s.side, s.view, s.model_name,"
            " s.n_reps, s.summary_json,"
            " (SELECT COUNT(*) FROM faults f WHERE f.session_id = s.id)"
            " FROM sessions s LEFT JOIN subjects sub ON sub.id = s.subject_id"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY s.recorded_at, s.id"
        rows = self._query(sql, args)
        keys = ("id", "subject", "label", "created", "recorded_at", "stored_at", "source_kind",
                "source_path", "exercise", "side", "view", "model_name", "n_reps", "summary",
                "n_faults")
        out = []
        for r in rows:
            d = dict(zip(keys, r, strict=True))
            d["summary"] = _loads(d["summary"])
            out.append(d)
        return out

    def _query(self, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.conn.execute(sql, tuple(args)).fetchall()
        except sqlite3.Error as e:
            raise StoreError(f"cannot read history database {self.path}: {e}") from e

    def get_session(self, session_id: int, *, frames: bool = True) -> dict[str, Any]:
        """One stored session as an analysis-shaped dict (round-trips every stored value).

        Besides the analysis keys it carries ``id``, ``subject``, ``session`` (label),
        ``recorded_at``, ``stored_at`` and ``source_kind``. ``frames`` is present when
        stored and requested. Raises :class:`StoreError` (also a ``LookupError``-free
        ``OSError``) if there is no such session.
        """
        rows = self._query(
            "SELECT s.id, sub.name, s.label, s.created, s.recorded_at, s.stored_at,"
            " s.source_kind, s.schema, s.source_json, s.exercise, s.exercise_confidence,"
            " s.side, s.view, s.model_json, s.summary_json, s.thresholds_json, s.extra_json"
            " FROM sessions s LEFT JOIN subjects sub ON sub.id = s.subject_id WHERE s.id = ?",
            (int(session_id),),
        )
        if not rows:
            raise StoreError(f"no session {session_id} in history database {self.path}")
        (sid, subject, label, created, recorded_at, stored_at, kind, schema, source_json,
         exercise, ex_conf, side, view, model_json, summary_json, thr_json, extra_json) = rows[0]
        out: dict[str, Any] = {}
        if schema is not None:
            out["schema"] = schema
        out.update(
            id=sid, subject=subject, session=label, created=created, recorded_at=recorded_at,
            stored_at=stored_at, source_kind=kind,
        )
        if source_json is not None:
            out["source"] = _loads(source_json)
        if model_json is not None:
            out["model"] = _loads(model_json)
        out.update(exercise=exercise, exercise_confidence=ex_conf, side=side, view=view)
        out["reps"] = self._reps(sid)
        out["cues"] = [
            {"t_ms": _intish(t), "code": code, "side": s, "value": v, "message": m,
             **(_loads(x) or {})}
            for t, code, s, v, m, x in self._query(
                "SELECT t_ms, code, side, value, message, extra_json FROM cues"
                " WHERE session_id = ? ORDER BY pos", (sid,))
        ]
        if summary_json is not None:
            out["summary"] = _loads(summary_json)
        if thr_json is not None:
            out["thresholds"] = _loads(thr_json)
        if extra_json is not None:
            out.update(_loads(extra_json))
        if frames and self.schema_version >= 2:
            fr = self._query(
                "SELECT encoding, data FROM session_frames WHERE session_id = ?", (sid,))
            if fr:
                out["frames"] = json.loads(zlib.decompress(fr[0][1]).decode())
        return out

    def _reps(self, sid: int) -> list[dict[str, Any]]:
        reps = self._query(
            "SELECT id, idx, start_ms, bottom_ms, end_ms, eccentric_s, hold_s, concentric_s,"
            " rubric_json, extra_json FROM reps WHERE session_id = ? ORDER BY pos", (sid,))
        measures: dict[int, list[tuple[str, str | None, float | None]]] = {}
        for rid, m, s, v in self._query(
            "SELECT m.rep_id, m.measure, m.side, m.value FROM rep_measures m"
            " JOIN reps r ON r.id = m.rep_id WHERE r.session_id = ? ORDER BY m.rowid", (sid,)):
            measures.setdefault(rid, []).append((m, s, v))
        faults: dict[int, list[dict[str, Any]]] = {}
        for rid, code, s, v, sev, x in self._query(
            "SELECT rep_id, code, side, value, severity, extra_json FROM faults"
            " WHERE session_id = ? ORDER BY rep_id, pos", (sid,)):
            faults.setdefault(rid, []).append(
                {"code": code, "side": s, "value": v, "severity": sev, **(_loads(x) or {})})
        out = []
        for rid, idx, *timing, rubric_json, extra_json in reps:
            rep: dict[str, Any] = {"index": idx}
            for k, v in zip(_REP_COLUMNS, timing, strict=True):
                rep[k] = _intish(v) if k.endswith("_ms") else v
            for m, s, v in measures.get(rid, []):
                if s is None:
                    rep[m] = v
                else:
                    rep.setdefault(m, {})[s] = v
            rep["faults"] = faults.get(rid, [])
            if rubric_json is not None:
                rep["rubric"] = _loads(rubric_json)
            if extra_json is not None:
                rep.update(_loads(extra_json))
            out.append(rep)
        return out

    def earlier_sessions(self, session_id: int, limit: int | None = 12) -> list[dict[str, Any]]:
        """The sessions before ``session_id`` of the same subject and exercise, oldest first
        (the ``history`` argument of :func:`hipform.report.html.render_report`).

        At most the ``limit`` most recent ones (None = all), without per-frame series.
        Anonymous sessions (no subject) or an unknown exercise have no history: ``[]``.
        """
        rows = self._query(
            "SELECT s.subject_id, s.exercise, s.recorded_at FROM sessions s WHERE s.id = ?",
            (int(session_id),))
        if not rows:
            raise StoreError(f"no session {session_id} in history database {self.path}")
        subject_id, exercise, recorded_at = rows[0]
        if subject_id is None or exercise is None:
            return []
        ids = [r[0] for r in self._query(
            "SELECT id FROM sessions WHERE subject_id = ? AND exercise = ? AND id != ?"
            " AND (recorded_at < ? OR (recorded_at = ? AND id < ?))"
            " ORDER BY recorded_at DESC, id DESC" + (" LIMIT ?" if limit is not None else ""),
            (subject_id, exercise, int(session_id), recorded_at, recorded_at, int(session_id),
             *((int(limit),) if limit is not None else ())))]
        return [self.get_session(i, frames=False) for i in reversed(ids)]

    def subjects(self) -> list[str]:
        """Names of every subject with at least one stored session, sorted."""
        return [r[0] for r in self._query(
            "SELECT DISTINCT sub.name FROM subjects sub JOIN sessions s"
            " ON s.subject_id = sub.id ORDER BY sub.name")]

    def exercises(self, subject: str | None = None) -> list[str]:
        """Exercises stored (for one subject when given), sorted; unknown ones left out."""
        sql = ("SELECT DISTINCT s.exercise FROM sessions s LEFT JOIN subjects sub"
               " ON sub.id = s.subject_id WHERE s.exercise IS NOT NULL")
        args: list[Any] = []
        if subject is not None:
            sql += " AND sub.name = ?"
            args.append(subject)
        return [r[0] for r in self._query(sql + " ORDER BY s.exercise", args)]

    def trend(self, subject: str | None, exercise: str | None) -> list[dict[str, Any]]:
        """Per-session measures of one subject and exercise, oldest first.

        Each row: ``id, recorded_at, label, side, view, n_reps, n_faults`` and
        ``measures`` = :func:`session_measures` (mean per-rep peak, degrees, per side).
        """
        out = []
        for s in self.list_sessions(subject=subject, exercise=exercise):
            full = self.get_session(s["id"], frames=False)
            out.append({
                "id": s["id"], "recorded_at": s["recorded_at"], "label": s["label"],
                "subject": s["subject"], "exercise": s["exercise"], "side": s["side"],
                "view": s["view"], "n_reps": s["n_reps"], "n_faults": s["n_faults"],
                "measures": session_measures(full),
            })
        return out

    # ---- export
    def export(
        self,
        fmt: str = "csv",
        out: str | os.PathLike[str] | None = None,
        *,
        subject: str | None = None,
        exercise: str | None = None,
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
    ) -> str:
        """Export the matching sessions.

        ``csv``: one row per rep (a session without reps gives one row with empty rep
        fields); per-side measures become ``<measure>_left``/``<measure>_right``; faults
        are joined as ``code:side:severity``. ``json``: a list of :meth:`get_session`
        dicts without the per-frame series.
        Returns the text; also writes it to ``out`` (atomically) when given.
        """
        sessions = self.list_sessions(subject=subject, exercise=exercise, since=since,
                                      until=until)
        if fmt == "json":
            text = json.dumps([self.get_session(s["id"], frames=False) for s in sessions],
                              indent=1)
        elif fmt == "csv":
            text = self._export_csv(sessions)
        else:
            raise ValueError(f"export format must be 'csv' or 'json', got {fmt!r}")
        if out is not None:
            _atomic_write_text(Path(out), text)
        return text

    def _export_csv(self, sessions: list[dict[str, Any]]) -> str:
        base = ["session_id", "subject", "label", "recorded_at", "source_kind", "exercise",
                "side", "view", "source_path", "rep_index", *_REP_COLUMNS]
        rows: list[dict[str, Any]] = []
        measure_cols: list[str] = []
        for s in sessions:
            full = self.get_session(s["id"], frames=False)
            head = {"session_id": s["id"], "subject": s["subject"], "label": s["label"],
                    "recorded_at": s["recorded_at"], "source_kind": s["source_kind"],
                    "exercise": s["exercise"], "side": s["side"], "view": s["view"],
                    "source_path": s["source_path"]}
            if not full["reps"]:
                rows.append(head)
            for rep in full["reps"]:
                row = dict(head, rep_index=rep.get("index"))
                for k in _REP_COLUMNS:
                    row[k] = rep.get(k)
                for k, v in rep.items():
                    if k in ("index", "faults", "rubric", *_REP_COLUMNS):
                        continue
                    if _is_number(v):
                        cols = [(k, v)]
                    elif isinstance(v, dict) and all(s in _SIDES for s in v):
                        cols = [(f"{k}_{side}", x) for side, x in v.items()]
                    else:
                        continue
                    for col, x in cols:
                        if col not in measure_cols:
                            measure_cols.append(col)
                        row[col] = x
                rub = rep.get("rubric")
                if isinstance(rub, dict) and _is_number(rub.get("total")):
                    row["rubric_total"] = rub.get("total")
                row["faults"] = ";".join(
                    f"{f.get('code')}:{f.get('side') or ''}:{f.get('severity') or ''}"
                    for f in rep.get("faults", []))
                rows.append(row)
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=[*base, *measure_cols, "rubric_total", "faults"],
                           extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if v is None else v) for k, v in r.items()})
        return buf.getvalue()


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open (SQLite may already have done it)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _intish(x: float | None) -> int | float | None:
    """Times in ms come back as int when they are whole numbers."""
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


def _atomic_write_text(path: Path, text: str) -> None:
    path = path.expanduser()
    try:
        write_text_replacing(path, text, newline="")
    except OSError as e:
        from hipform.errors import OutputError

        raise OutputError(f"cannot write {path}: {e}") from e


def open_store(
    path: str | os.PathLike[str] | None = None,
    *,
    busy_timeout_ms: int = 30_000,
    migrate_to: int | None = None,
) -> Store:
    """Open (creating if needed) the history database and bring its schema up to date.

    Args:
        path: database file; default :func:`default_db_path` (``$HIPFORM_DB`` or the
            user data directory). The parent folder is created.
        busy_timeout_ms: how long a writer waits for another writer's lock.
        migrate_to: schema version to migrate to (tests only; default latest).
    Raises:
        StoreError: the file cannot be created/opened, is not a SQLite database, or
            was written by a newer hipform. The message names the path.
    """
    p = Path(path).expanduser() if path is not None else default_db_path()
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(p, timeout=busy_timeout_ms / 1000, isolation_level=None,
                               check_same_thread=False)
    except (OSError, sqlite3.Error) as e:
        raise StoreError(f"cannot open history database {p}: {e}") from e
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        # Switching a fresh file to WAL (and migrating it) while other processes do the
        # same can return SQLITE_BUSY at once: SQLite skips the busy handler where
        # waiting could deadlock. Retry with jitter until the busy timeout is spent.
        deadline = _time.monotonic() + busy_timeout_ms / 1000
        while True:
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise sqlite3.OperationalError(
                        f"cannot switch to WAL journal (got {mode})")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
                migrate(conn, migrate_to, path=str(p))
                break
            except sqlite3.OperationalError as e:
                busy = "locked" in str(e) or "busy" in str(e)
                if not busy or _time.monotonic() > deadline:
                    raise
                _time.sleep(0.02 + 0.08 * random.random())
    except sqlite3.DatabaseError as e:
        conn.close()
        raise StoreError(f"cannot open history database {p}: {e}") from e
    except StoreError:
        conn.close()
        raise
    return Store(path=p, conn=conn, busy_timeout_ms=busy_timeout_ms)
