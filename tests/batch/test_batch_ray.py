"""The Ray engine gives the same rows as the local engine, and a clip that kills its Ray
worker is retried then recorded as failed while the batch goes on.

One small local Ray instance (2 CPUs, no dashboard, temporary folder) started and shut
down by run_batch; the analysis is the injected fake (engine behaviour is under test,
not the model; tests/batch/test_batch_model.py runs the real pipeline)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hipform.batch import BatchOptions, run_batch
from tests.batch.conftest import ROOT, add_bad_files
from tests.batch.test_batch import FAKE_OPTS

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def _no_time(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ("processing_s", "reason")} for r in rows]


def test_ray_engine_matches_local_and_survives_a_dying_worker(
        clip_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ray", reason="ray is not installed (pip install -e '.[ray]')")
    bad = add_bad_files(clip_folder)
    # Ray workers must import tests.batch.fakes; the crash hook kills the worker of one clip
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("HIPFORM_BATCH_TEST_CRASH", "s1/c2")
    local = run_batch(clip_folder, tmp_path / "local", BatchOptions(workers=2, **FAKE_OPTS))
    ray_res = run_batch(clip_folder, tmp_path / "ray",
                        BatchOptions(engine="ray", workers=2, retries=1, **FAKE_OPTS))
    import ray

    assert not ray.is_initialized()  # shut down again
    assert ray_res.engine["cluster_cpus"] == 2
    assert (ray_res.ok, ray_res.failed, ray_res.exit_code) == (5, 4, 3)
    assert _no_time(ray_res.rows) == _no_time(local.rows)
    by = {r["clip"]: r for r in ray_res.rows}
    crashed = by["s1/c2.avi"]
    assert crashed["status"] == "failed" and crashed["error"] == "WorkerDied"
    assert crashed["attempts"] == 2 and "worker process died" in crashed["reason"]
    for rel, err in bad.items():
        assert by[rel]["error"] == err and Path(rel).name in by[rel]["reason"]
    assert (tmp_path / "ray" / "scores.csv").read_text().count("\n") == 10
