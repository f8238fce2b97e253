"""History store: round trip, migrations, atomicity under SIGKILL, concurrent writers."""

from __future__ import annotations

import copy
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hipform_testdata import make_analysis, minimal_analysis

from hipform.errors import StoreError
from hipform.store import (
    SCHEMA_VERSION,
    default_db_path,
    open_store,
    session_measures,
)

HERE = Path(__file__).resolve().parent
WRITER = HERE / "store_writer.py"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


def _counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("subjects", "sessions", "reps", "rep_measures", "faults", "cues",
                          "session_frames")}
    finally:
        con.close()


# ----------------------------------------------------------------------------- round trip


def test_round_trip_every_value(db: Path) -> None:
    a = make_analysis()
    original = copy.deepcopy(a)
    with open_store(db) as store:
        sid = store.save_analysis(a, source_kind="live")
        got = store.get_session(sid)
    assert a == original, "save_analysis must not mutate its input"
    for key, value in a.items():
        assert got[key] == value, key
    assert got["id"] == sid and got["source_kind"] == "live"
    assert got["recorded_at"] == "2026-11-02T09:30:00.000000"
    # the per-frame series, including lost frames (None), come back exactly
    assert got["frames"]["knee_valgus_deg"]["left"][40:44] == [None] * 4
    assert len(got["frames"]["t_ms"]) == a["source"]["frames"]


def test_round_trip_extra_keys_per_side_measures_and_nan(db: Path) -> None:
    a = make_analysis(exercise="bridge", side=None)
    a["future_key"] = {"nested": [1, 2, 3]}
    a["reps"][0]["peak_knee_valgus"] = {"left": 11.5, "right": None}
    a["reps"][0]["note"] = "wobbly"
    a["reps"][0]["faults"][0]["t_ms"] = 1234
    a["cues"][0]["voice"] = True
    a["exercise_confidence"] = float("nan")
    with open_store(db) as store:
        got = store.get_session(store.save_analysis(a))
    assert got["future_key"] == {"nested": [1, 2, 3]}
    assert got["reps"][0]["peak_knee_valgus"] == {"left": 11.5, "right": None}
    assert got["reps"][0]["note"] == "wobbly"
    assert got["reps"][0]["faults"][0]["t_ms"] == 1234
    assert got["cues"][0]["voice"] is True
    assert got["exercise_confidence"] is None  # NaN is stored as NULL
    assert got["reps"][1:] == a["reps"][1:]


def test_numpy_values_are_accepted(db: Path) -> None:
    np = pytest.importorskip("numpy")
    a = make_analysis()
    a["frames"]["lumbar_extension_deg"] = np.array([1.0, np.nan, 3.0], dtype=np.float32)
    a["reps"][0]["peak_knee_valgus"] = np.float32(12.5)
    with open_store(db) as store:
        got = store.get_session(store.save_analysis(a))
    assert got["frames"]["lumbar_extension_deg"] == [1.0, None, 3.0]
    assert got["reps"][0]["peak_knee_valgus"] == 12.5


def test_partial_analysis_still_stores(db: Path) -> None:
    with open_store(db) as store:
        sid = store.save_analysis(minimal_analysis())
        got = store.get_session(sid)
        rows = store.list_sessions()
    assert got["exercise"] == "bridge" and got["reps"] == [] and got["cues"] == []
    assert "frames" not in got and "summary" not in got
    assert rows[0]["n_reps"] == 0 and rows[0]["subject"] is None


def test_bad_arguments(db: Path) -> None:
    with open_store(db) as store:
        with pytest.raises(ValueError, match="source_kind"):
            store.save_analysis(make_analysis(), source_kind="webcam")
        with pytest.raises(ValueError, match="dict"):
            store.save_analysis([])  # type: ignore[arg-type]
        with pytest.raises(StoreError, match="no session 42") as e:
            store.get_session(42)
        assert str(db) in str(e.value)


# ----------------------------------------------------------------------------- schema


def test_fresh_database_is_latest_schema_in_wal_mode(db: Path) -> None:
    with open_store(db) as store:
        assert store.schema_version == SCHEMA_VERSION == 2
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
        tables = {r[0] for r in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"subjects", "sessions", "reps", "rep_measures", "faults", "cues",
            "session_frames"} <= tables


def test_migration_from_v1_keeps_data(db: Path) -> None:
    a = make_analysis()
    with open_store(db, migrate_to=1) as old:
        assert old.schema_version == 1
        sid = old.save_analysis(a)  # a v1 database has nowhere to keep frames
    with open_store(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        got = store.get_session(sid)
        for key in a:
            if key != "frames":
                assert got[key] == a[key], key
        assert "frames" not in got
        sid2 = store.save_analysis(a)
        assert store.get_session(sid2)["frames"] == a["frames"]
        idx = {r[0] for r in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "sessions_subject_exercise" in idx


def test_newer_schema_is_refused(db: Path) -> None:
    open_store(db).close()
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(StoreError, match="newer") as e:
        open_store(db)
    assert str(db) in str(e.value)


def test_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "notes.sqlite3"
    bad.write_bytes(b"this is not sqlite" * 200)
    with pytest.raises(StoreError, match="cannot open history database") as e:
        open_store(bad)
    assert str(bad) in str(e.value)
    assert isinstance(e.value, OSError)


def test_default_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HIPFORM_DB", str(tmp_path / "env.sqlite3"))
    assert default_db_path() == tmp_path / "env.sqlite3"
    with open_store() as store:
        assert store.path == tmp_path / "env.sqlite3"
    monkeypatch.delenv("HIPFORM_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert default_db_path() == tmp_path / "xdg" / "hipform" / "history.sqlite3"


# ----------------------------------------------------------------------------- queries


def test_list_filters_delete_and_trend(db: Path) -> None:
    with open_store(db) as store:
        ids = [store.save_analysis(make_analysis(created=f"2026-11-{d:02d}T09:30:00+00:00",
                                                 valgus_peak=v))
               for d, v in [(2, 24.0), (9, 20.0), (16, 16.0)]]
        store.save_analysis(make_analysis(subject="bo", exercise="bridge", side=None))
        assert [s["id"] for s in store.list_sessions(subject="ana")] == ids
        assert [s["id"] for s in store.list_sessions(exercise="bridge")] == [4]
        assert [s["id"] for s in store.list_sessions(subject="ana", since="2026-11-09")] \
            == ids[1:]
        assert [s["id"] for s in store.list_sessions(until="2026-11-09")] == [ids[0], 4, ids[1]]
        assert store.list_sessions(subject="nobody") == []
        assert store.subjects() == ["ana", "bo"]
        assert store.exercises("ana") == ["single_leg_squat"]
        with pytest.raises(ValueError, match="ISO"):
            store.list_sessions(since="last tuesday")

        trend = store.trend("ana", "single_leg_squat")
        assert [t["id"] for t in trend] == ids
        kv = [t["measures"]["knee_valgus"]["left"] for t in trend]
        assert kv[0] > kv[1] > kv[2]
        assert trend[0]["measures"]["lumbar_extension"] == {"both": 7.0}

        before = _counts(db)
        assert store.delete_session(ids[0]) is True
        assert store.delete_session(ids[0]) is False
        after = _counts(db)
    per_session = make_analysis()
    n_reps = len(per_session["reps"])
    assert before["sessions"] - after["sessions"] == 1
    assert before["reps"] - after["reps"] == n_reps
    assert before["faults"] - after["faults"] == sum(len(r["faults"]) for r in
                                                    make_analysis(valgus_peak=24.0)["reps"])
    assert before["session_frames"] - after["session_frames"] == 1
    assert before["rep_measures"] - after["rep_measures"] == 3 * n_reps


def test_session_measures_mean_of_peaks() -> None:
    s = {"side": "right", "reps": [
        {"peak_knee_valgus": 10.0, "peak_hip_drop": {"left": 1.0, "right": 3.0}},
        {"peak_knee_valgus": 14.0, "peak_hip_drop": {"left": 2.0, "right": None},
         "peak_lumbar_extension": 5.0, "trunk_lean": {"frontal": 4.0, "sagittal": 30.0}},
        {"peak_knee_valgus": float("nan")},
    ]}
    m = session_measures(s)
    assert m["knee_valgus"] == {"right": 12.0}
    assert m["hip_drop"] == {"left": 1.5, "right": 3.0}
    assert m["lumbar_extension"] == {"both": 5.0}
    assert m["trunk_lean"] == {"right": 4.0}
    assert session_measures({"reps": []}) == {}


def test_export_csv_and_json(db: Path, tmp_path: Path) -> None:
    import csv
    import io

    a = make_analysis(exercise="bridge", side=None)
    a["reps"][0]["peak_knee_valgus"] = {"left": 11.0, "right": 4.0}
    with open_store(db) as store:
        store.save_analysis(a)
        store.save_analysis(minimal_analysis())
        text = store.export("csv", tmp_path / "out" / "h.csv")
        js = json.loads(store.export("json"))
        with pytest.raises(ValueError, match="csv"):
            store.export("xml")
    assert (tmp_path / "out" / "h.csv").read_text() == text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(a["reps"]) + 1  # the rep-less session still has a row
    # oldest first: the minimal analysis (October) has one row without rep fields
    assert rows[0]["rep_index"] == "" and rows[0]["peak_knee_valgus"] == ""
    assert rows[0]["exercise"] == "bridge" and rows[0]["recorded_at"].startswith("2026-10-01")
    reps = rows[1:]
    assert [r["rep_index"] for r in reps] == [str(r["index"]) for r in a["reps"]]
    assert reps[0]["peak_knee_valgus_left"] == "11.0"
    assert reps[0]["peak_knee_valgus_right"] == "4.0"
    assert reps[1]["peak_knee_valgus"] == str(a["reps"][1]["peak_knee_valgus"])
    assert reps[0]["faults"].startswith("knee_valgus:left:")
    assert reps[0]["rubric_total"] == str(a["reps"][0]["rubric"]["total"])
    assert len(js) == 2 and "frames" not in js[1] and js[1]["reps"] == a["reps"]


# ----------------------------------------------------------------------------- durability


def _child(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(HERE))
    return subprocess.Popen([sys.executable, str(WRITER), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _read_line(proc: subprocess.Popen[str], timeout: float = 60.0) -> str:
    import select

    assert proc.stdout is not None
    r, _, _ = select.select([proc.stdout], [], [], timeout)
    assert r, "child printed nothing in time"
    return proc.stdout.readline().strip()


def test_sigkill_inside_transaction_leaves_no_partial_session(db: Path) -> None:
    with open_store(db) as store:
        kept = store.save_analysis(make_analysis(subject="kept"))
    before = _counts(db)

    proc = _child(str(db), "hang")
    try:
        assert _read_line(proc) == "MID"
        # The child is inside its write transaction: it holds the write lock, so a write
        # from here fails immediately...
        probe = sqlite3.connect(db, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            probe.execute("BEGIN IMMEDIATE")
        probe.close()
        # ...and its rows already exist in the WAL. Now kill it there.
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stdout is not None and "COMMITTED" not in proc.stdout.read()

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()
    assert _counts(db) == before, "a killed writer must leave no rows behind"
    with open_store(db) as store:
        assert [s["subject"] for s in store.list_sessions()] == ["kept"]
        assert store.get_session(kept)["subject"] == "kept"
        again = store.save_analysis(make_analysis(subject="after"))
        assert store.get_session(again)["reps"] == make_analysis()["reps"]


def test_concurrent_writers_all_land(tmp_path: Path) -> None:
    db = tmp_path / "fresh" / "history.sqlite3"  # created and migrated by the racers
    go = tmp_path / "go"
    n, tags = 15, ["w1", "w2", "w3"]
    procs = [_child(str(db), "write", str(n), tag, str(go)) for tag in tags]
    try:
        time.sleep(0.3)
        go.touch()
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            assert out.strip() == "DONE"
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    with open_store(db) as store:
        rows = store.list_sessions()
        assert len(rows) == n * len(tags)
        for tag in tags:
            mine = store.list_sessions(subject=tag)
            assert sorted(r["label"] for r in mine) == sorted(f"{tag}-{i}" for i in range(n))
        a = make_analysis()
        got = store.get_session(rows[-1]["id"])
        assert got["reps"] == a["reps"] and got["frames"] == a["frames"]
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    counts = _counts(db)
    assert counts["reps"] == n * len(tags) * len(a["reps"])
    assert counts["subjects"] == len(tags)
    assert counts["cues"] == n * len(tags) * len(a["cues"])


def test_earlier_sessions_for_the_report(db: Path) -> None:
    with open_store(db) as store:
        ids = [store.save_analysis(make_analysis(created=f"2026-11-{d:02d}T09:30:00+00:00"))
               for d in (9, 2, 16, 23)]  # saved out of order on purpose
        store.save_analysis(make_analysis(subject="bo", created="2026-11-01T09:00:00"))
        store.save_analysis(make_analysis(exercise="bridge", created="2026-11-01T09:00:00"))
        anon = store.save_analysis(make_analysis(subject=None))
        got = store.earlier_sessions(ids[2])  # the 16th: the 2nd and the 9th before it
        assert [s["id"] for s in got] == [ids[1], ids[0]]
        assert all("frames" not in s for s in got)
        assert [s["id"] for s in store.earlier_sessions(ids[3], limit=2)] == [ids[0], ids[2]]
        assert store.earlier_sessions(ids[1]) == []
        assert store.earlier_sessions(anon) == []
        with pytest.raises(StoreError):
            store.earlier_sessions(999)


def test_busy_database_gives_store_error_naming_the_file(db: Path) -> None:
    open_store(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock and does not let go
    try:
        with open_store(db, busy_timeout_ms=50) as store:
            with pytest.raises(StoreError, match="cannot write") as e:
                store.save_analysis(make_analysis())
            assert str(db) in str(e.value)
            assert not store.conn.in_transaction
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with open_store(db) as store:
        assert store.list_sessions() == []
        store.save_analysis(make_analysis())  # works once the lock is released
