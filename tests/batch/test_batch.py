"""Batch engine and command with an injected fake analysis (no pose model): bad files
become failed rows, resume after SIGKILL, clean SIGTERM stop, a crashing worker."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from hipform.batch import BatchOptions, Clip, run_batch, scan_folder, score_row
from hipform.batch.clips import read_manifest, safe_name
from hipform.batch.scores import columns_for
from hipform.errors import ConfigError
from tests.batch.conftest import FAKE, ROOT, add_bad_files, cli_env, hipform_cmd

FAKE_OPTS = dict(analyze_fn="tests.batch.fakes:fake_analyze",
                 estimator_fn="tests.batch.fakes:open_fake_estimator", save=False)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def without_time(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in r.items() if k != "processing_s"} for r in rows]


def run_cli(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(hipform_cmd() + ["batch", *args], cwd=ROOT, env=cli_env(**env),
                          capture_output=True, text=True, timeout=120)


# ----------------------------------------------------------------------------- inputs
def test_scan_folder_sorted_unique_and_skips_output(tmp_path: Path) -> None:
    for rel in ("b/x.mp4", "a/y.MOV", "a__y.MOV", "notes.txt", ".hidden/z.mp4", "out/w.mp4"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    clips = scan_folder(tmp_path, exclude=tmp_path / "out")
    assert [c.rel for c in clips] == ["a/y.MOV", "a__y.MOV", "b/x.mp4"]
    names = [c.name for c in clips]
    assert len(set(names)) == 3  # "a/y.MOV" and "a__y.MOV" collide -> hashed suffixes
    assert names[2] == "b__x.mp4"
    assert scan_folder(tmp_path, exclude=tmp_path / "out") == clips  # stable


def test_safe_name() -> None:
    assert safe_name("subj 1/left/sls.mp4") == "subj_1__left__sls.mp4"
    assert safe_name("../up/x.mp4") == "up__up__x.mp4"


def test_manifest_columns_and_errors(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("path,exercise,side,subject,session\n"
                                    "v/a.mp4,single-leg-squat,Left,P01,pre\n"
                                    ",,,,\n"
                                    "v/b.mp4,,,P02,\n")
    clips = read_manifest(tmp_path / "m.csv")
    assert [(c.rel, c.exercise, c.side, c.subject, c.session) for c in clips] == [
        ("v/a.mp4", "single_leg_squat", "left", "P01", "pre"),
        ("v/b.mp4", None, None, "P02", None)]
    assert clips[0].path == (tmp_path / "v/a.mp4").resolve()
    (tmp_path / "bad.csv").write_text("file\nx.mp4\n")
    with pytest.raises(ConfigError, match="bad.csv.*'path' column"):
        read_manifest(tmp_path / "bad.csv")
    (tmp_path / "bad2.csv").write_text("path,exercise\nx.mp4,jumping\n")
    with pytest.raises(ConfigError, match=r"bad2.csv:2.*jumping"):
        read_manifest(tmp_path / "bad2.csv")


def test_score_row_reads_stance_side_and_worst() -> None:
    a = {"exercise": "step_down", "side": "right", "view": "frontal",
         "reps": [{"peak_knee_valgus": {"left": 30.0, "right": 4.0}, "peak_hip_drop": 2.0,
                   "trunk_lean": -9.0, "eccentric_s": 1.0, "concentric_s": 2.0,
                   "faults": [{"code": "trunk_lean"}], "rubric": {"total": 2}},
                  {"peak_knee_valgus": {"left": 1.0, "right": 8.0}, "peak_hip_drop": None,
                   "trunk_lean": 3.0, "eccentric_s": 3.0, "concentric_s": None,
                   "faults": [], "rubric": {"a": 1, "b": 3}}],
         "summary": {"rubric_total": 6}}
    r = score_row(a, clip="x.mp4", subject="P1")
    assert (r["knee_valgus_mean"], r["knee_valgus_worst"]) == (6.0, 8.0)
    assert (r["hip_drop_mean"], r["hip_drop_worst"]) == (2.0, 2.0)
    assert (r["trunk_lean_mean"], r["trunk_lean_worst"]) == (-3.0, -9.0)
    assert r["lumbar_extension_mean"] is None
    assert (r["eccentric_s_mean"], r["concentric_s_mean"]) == (2.0, 2.0)
    assert (r["rubric_total"], r["rubric_rep_mean"], r["rubric_rep_worst"]) == (6.0, 3.0, 4.0)
    assert (r["faults_total"], r["faults_per_rep"], r["fault_trunk_lean"]) == (1, 0.5, 1)
    assert r["subject"] == "P1" and r["reps"] == 2
    assert "fault_trunk_lean" in columns_for([r])


# ----------------------------------------------------------------------------- CLI
def test_folder_with_bad_files_scores_good_and_fails_bad(clip_folder: Path,
                                                          tmp_path: Path) -> None:
    bad = add_bad_files(clip_folder)
    out = tmp_path / "out"
    p = run_cli([str(clip_folder), "--out", str(out), "--no-save", "--json", *FAKE])
    assert p.returncode == 3, p.stderr
    summary = json.loads(p.stdout)
    assert (summary["total"], summary["ok"], summary["failed"]) == (9, 6, 3)
    rows = read_csv(out / "scores.csv")
    assert [r["clip"] for r in rows] == sorted(r["clip"] for r in rows)
    by = {r["clip"]: r for r in rows}
    for rel, err in bad.items():
        assert by[rel]["status"] == "failed"
        assert by[rel]["error"] == err
        assert Path(rel).name in by[rel]["reason"]  # the message names the file
    good = [r for r in rows if r["clip"] not in bad]
    assert len(good) == 6 and all(r["status"] == "ok" and int(r["reps"]) >= 1 for r in good)
    assert all((out / r["out"] / "analysis.json").is_file() for r in good)
    html = (out / "summary.html").read_text()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html and "<script" not in html
    assert html.index("bad/corrupt.mp4") < html.index("s1/c0.avi")  # flagged first
    if (out / "scores.parquet").exists():
        import pyarrow.parquet as pq

        assert pq.read_table(out / "scores.parquet").num_rows == 9


def test_all_ok_exit_zero_and_rerun_skips(clip_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    p = run_cli([str(clip_folder), "--out", str(out), "--no-save", "--json", *FAKE])
    assert p.returncode == 0, p.stderr
    first = read_csv(out / "scores.csv")
    p = run_cli([str(clip_folder), "--out", str(out), "--no-save", "--json", *FAKE])
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["skipped"] == 6
    assert read_csv(out / "scores.csv") == first
    # a changed clip is redone, the others are not
    from tests.helpers import make_video

    make_video(clip_folder / "s1" / "c0.avi", 40)
    p = run_cli([str(clip_folder), "--out", str(out), "--no-save", "--json", *FAKE])
    assert json.loads(p.stdout)["skipped"] == 5
    changed = {r["clip"]: r for r in read_csv(out / "scores.csv")}["s1/c0.avi"]
    assert changed != {r["clip"]: r for r in first}["s1/c0.avi"]


def _wait_for_ok_record(out: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        for rec in (out / "clips").glob("*/score.json"):
            try:
                if json.loads(rec.read_text())["status"] == "ok":
                    return
            except (OSError, ValueError):
                pass
        assert proc.poll() is None, "batch ended before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError("no clip finished in time")


def test_sigkill_midway_then_rerun_equals_uninterrupted(clip_folder: Path,
                                                         tmp_path: Path) -> None:
    add_bad_files(clip_folder)
    ref = tmp_path / "ref"
    p = run_cli([str(clip_folder), "--out", str(ref), "--no-save", *FAKE])
    assert p.returncode == 3, p.stderr
    out = tmp_path / "out"
    args = hipform_cmd() + ["batch", str(clip_folder), "--out", str(out), "--no-save",
                            "--workers", "2", *FAKE]
    proc = subprocess.Popen(args, cwd=ROOT, env=cli_env(HIPFORM_FAKE_SLEEP="0.4"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        _wait_for_ok_record(out, proc)
        os.killpg(proc.pid, signal.SIGKILL)  # driver and workers, no chance to clean up
        proc.wait(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not (out / "scores.csv").exists()  # only written at the end, atomically
    done_before = sum(json.loads(r.read_text())["status"] == "ok"
                      for r in (out / "clips").glob("*/score.json"))
    assert 1 <= done_before < 6
    p = run_cli([str(clip_folder), "--out", str(out), "--no-save", "--json", *FAKE])
    assert p.returncode == 3, p.stderr
    assert json.loads(p.stdout)["skipped"] == done_before
    rows = read_csv(out / "scores.csv")
    assert without_time(rows) == without_time(read_csv(ref / "scores.csv"))
    assert len({r["clip"] for r in rows}) == len(rows) == 9
    assert not [p for p in (out / "clips").iterdir() if p.name.startswith(".")]


def test_sigterm_stops_cleanly_keeping_finished(clip_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = hipform_cmd() + ["batch", str(clip_folder), "--out", str(out), "--no-save",
                            "--workers", "2", "--json", *FAKE]
    proc = subprocess.Popen(args, cwd=ROOT, env=cli_env(HIPFORM_FAKE_SLEEP="0.6"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_ok_record(out, proc)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, stderr
    summary = json.loads(stdout)
    assert summary["signal"] == "SIGTERM" and summary["not_run"] >= 1
    rows = read_csv(out / "scores.csv")
    assert 1 <= len(rows) == summary["ok"] < 6
    assert all(r["status"] == "ok" for r in rows)
    assert not [p for p in (out / "clips").iterdir() if p.name.startswith(".")]


# ----------------------------------------------------------------------------- engine
def test_crashing_worker_is_retried_then_failed_and_batch_goes_on(
        clip_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIPFORM_BATCH_TEST_CRASH", "s2/c1")
    events: list[tuple[str, dict]] = []
    res = run_batch(clip_folder, tmp_path / "out", BatchOptions(workers=2, retries=1,
                                                                 **FAKE_OPTS),
                    on_event=lambda k, d: events.append((k, d)))
    assert res.exit_code == 3 and (res.ok, res.failed) == (5, 1)
    row = {r["clip"]: r for r in res.rows}["s2/c1.avi"]
    assert row["status"] == "failed" and row["error"] == "WorkerDied"
    assert "worker process died (exit code 86)" in row["reason"]
    assert row["attempts"] == 2
    assert [d["clip"] for k, d in events if k == "retry"] == ["s2/c1.avi"]


def test_run_batch_stop_event_and_clip_list(clip_folder: Path, tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    res = run_batch(clip_folder, tmp_path / "out", BatchOptions(**FAKE_OPTS), stop=stop)
    assert res.interrupted and res.exit_code == 130 and res.not_run == 6
    clips = [Clip(clip_folder / "s1" / "c0.avi", "one.avi", "one")]
    res = run_batch(clips, tmp_path / "out2", BatchOptions(**FAKE_OPTS))
    assert res.exit_code == 0 and [r["clip"] for r in res.rows] == ["one.avi"]


def test_folder_without_clips_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.txt").write_text("no clips here")
    p = run_cli([str(tmp_path / "in"), "--out", str(tmp_path / "o"), "--no-save", *FAKE])
    assert p.returncode == 1 and "no video clips found" in p.stderr


def test_missing_input_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("file\nx.mp4\n")
    p = run_cli([str(tmp_path / "m.csv"), "--out", str(tmp_path / "o"), "--no-save", *FAKE])
    assert p.returncode == 1
    assert p.stderr.strip().startswith("hipform: error:") and "'path' column" in p.stderr


def test_manifest_batch_subjects_sides_and_missing_file(clip_folder: Path,
                                                        tmp_path: Path) -> None:
    (clip_folder / "manifest.csv").write_text(
        "path,exercise,side,subject,session\n"
        "s1/c0.avi,step_down,left,P01,pre\n"
        "s1/c1.avi,step_down,right,P01,pre\n"
        "s2/c0.avi,,left,P02,\n"
        "s2/missing.mp4,,right,P02,\n")
    out = tmp_path / "out"
    p = run_cli([str(clip_folder / "manifest.csv"), "--out", str(out), "--no-save",
                 "--exercise", "bridge", *FAKE])
    assert p.returncode == 3, p.stderr
    rows = read_csv(out / "scores.csv")
    assert [(r["clip"], r["subject"], r["side"], r["exercise"], r["status"]) for r in rows] == [
        ("s1/c0.avi", "P01", "left", "step_down", "ok"),
        ("s1/c1.avi", "P01", "right", "step_down", "ok"),
        ("s2/c0.avi", "P02", "left", "bridge", "ok"),
        ("s2/missing.mp4", "P02", "right", "bridge", "failed")]
    assert rows[3]["error"] == "VideoNotFoundError" and "missing.mp4" in rows[3]["reason"]
    assert rows[0]["session"] == "pre"
    html = (out / "summary.html").read_text()
    lr = html[html.index("Left / right per subject"):html.index("All clips")]
    assert "P01" in lr and "P02" in lr


def test_bad_override_stops_before_any_clip(clip_folder: Path, tmp_path: Path) -> None:
    p = run_cli([str(clip_folder), "--out", str(tmp_path / "o"), "--no-save",
                 "--set", "knee_valgus.nope=3", *FAKE])
    assert p.returncode == 1 and "knee_valgus.nope" in p.stderr
    assert not (tmp_path / "o").exists()


def test_clip_timeout_kills_the_worker_and_fails_the_clip(clip_folder: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIPFORM_FAKE_SLEEP", "30")
    clips = scan_folder(clip_folder)[:2]
    t0 = time.monotonic()
    res = run_batch(clips, tmp_path / "out", BatchOptions(workers=2, retries=0,
                                                          clip_timeout=1.0, **FAKE_OPTS))
    assert time.monotonic() - t0 < 20
    assert res.failed == 2 and res.exit_code == 3
    assert {r["error"] for r in res.rows} == {"Timeout"}
    assert all("timed out after 1 s" in r["reason"] for r in res.rows)


def test_atomic_path_replaces_on_success_and_keeps_old_file_on_error(tmp_path: Path) -> None:
    from hipform.batch.scores import atomic_path, atomic_write_text

    dest = tmp_path / "sub" / "scores.csv"
    atomic_write_text(dest, "a,b\n1,2\n")
    assert dest.read_text(encoding="utf-8") == "a,b\n1,2\n"
    with pytest.raises(RuntimeError):
        with atomic_path(dest) as tmp:
            tmp.write_text("half written")
            raise RuntimeError("writer died")
    assert dest.read_text(encoding="utf-8") == "a,b\n1,2\n"  # old content kept
    assert sorted(p.name for p in dest.parent.iterdir()) == ["scores.csv"]  # no .part left
    with atomic_path(dest) as tmp:
        assert tmp.parent == dest.parent and tmp.name.endswith(".part")
        tmp.write_bytes(b"new")
    assert dest.read_bytes() == b"new"
