"""CPU pinning of the model's threads (hipform.affinity): claims, inheritance by the
threads the model starts, helpers kept off the model's CPU, clean release, and the
analyse / live / batch paths using it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from hipform import affinity

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs Linux thread affinity and at least 2 usable CPUs")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def own_lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Claims in a folder of this test's own, so that hipform processes running on the
    machine at the same time (benchmarks, other test workers) do not take part."""
    d = tmp_path / "locks"
    monkeypatch.setattr(affinity, "_lock_dir", lambda: d)
    monkeypatch.delenv(affinity.ENV, raising=False)
    return d


def _mask(tid: int = 0) -> set[int]:
    return set(os.sched_getaffinity(tid))


def _in_thread(fn):  # noqa: ANN001, ANN202
    out: list = []
    th = threading.Thread(target=lambda: out.append(fn()))
    th.start()
    th.join()
    return out[0]


def test_model_cpu_pins_this_thread_and_its_new_threads_then_restores() -> None:
    before = _mask()
    with affinity.model_cpu() as cpu:
        assert cpu == max(before)  # highest-numbered first
        assert _mask() == {cpu}
        assert _in_thread(_mask) == {cpu}  # threads started now inherit the CPU
        # a helper moves itself to the other CPUs
        assert _in_thread(lambda: (affinity.helper_affinity(), _mask())[1]) == before - {cpu}
        with affinity.model_cpu() as again:  # nested: the same claim
            assert again == cpu
        assert _mask() == {cpu}
    assert _mask() == before
    assert affinity.claimed_cpu() is None
    # released: helpers started now are left alone
    assert _in_thread(lambda: (affinity.helper_affinity(), _mask())[1]) == before


def test_a_claimed_cpu_is_not_claimed_again_and_every_claim_taken_means_no_pin() -> None:
    allowed = _mask()
    claims = [affinity.claim_cpu() for _ in allowed]
    try:
        cpus = [c.cpu for c in claims if c is not None]
        assert sorted(cpus) == sorted(allowed)  # each CPU once
        assert affinity.claim_cpu() is None  # all taken: nothing pinned
        with affinity.model_cpu() as cpu:
            assert cpu is None and _mask() == allowed
    finally:
        for c in claims:
            if c is not None:
                c.release()
    c = affinity.claim_cpu()  # released: free again
    assert c is not None
    c.release()


def test_claims_are_per_process_and_die_with_the_process(own_lock_dir: Path,
                                                         tmp_path: Path) -> None:
    """A second process gets another CPU while the first holds its claim; the lock is
    dropped when the holder exits (even killed)."""
    code = (
        "import sys, time; from pathlib import Path; from hipform import affinity as a\n"
        f"a._lock_dir = lambda: Path({str(own_lock_dir)!r})\n"
        "c = a.claim_cpu(); print(c.cpu if c else None, flush=True)\n"
        "time.sleep(float(sys.argv[1]))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(affinity.ENV, None)
    holder = subprocess.Popen([sys.executable, "-c", code, "30"], stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        held = int(holder.stdout.readline())  # type: ignore[union-attr]
        other = subprocess.run([sys.executable, "-c", code, "0"], capture_output=True,
                               text=True, env=env, check=True).stdout.strip()
        assert other != "None" and int(other) != held
        mine = affinity.claim_cpu()
        assert mine is not None and mine.cpu != held
        mine.release()
    finally:
        holder.kill()
        holder.wait()
    after = subprocess.run([sys.executable, "-c", code, "0"], capture_output=True,
                           text=True, env=env, check=True).stdout.strip()
    assert int(after) == held  # the killed holder's claim is gone


def test_switched_off_by_flag_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert affinity.claim_cpu(False) is None
    monkeypatch.setenv(affinity.ENV, "0")
    assert affinity.claim_cpu() is None
    c = affinity.claim_cpu(True)  # an explicit flag wins over the environment
    assert c is not None
    c.release()


def test_mediapipe_threads_start_on_the_claimed_cpu() -> None:
    """The reason for all this: the threads MediaPipe starts for the model inherit the
    CPU of the thread that creates it."""
    from hipform.pose import open_estimator

    def tids() -> set[int]:
        return {int(t) for t in os.listdir("/proc/self/task")}

    before = tids()
    with affinity.model_cpu() as cpu:
        est = open_estimator(mode="video")
        try:
            est.process(np.zeros((240, 320, 3), np.uint8), 0)
            new = tids() - before
            assert new, "the model started no threads?"
            masks = {t: _mask(t) for t in new if Path(f"/proc/self/task/{t}").exists()}
            assert masks and all(m == {cpu} for m in masks.values()), masks
        finally:
            est.close()


def test_analyze_runs_the_model_pinned_and_reader_writer_off_its_cpu(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hipform.pose
    from hipform import pipeline as pl
    from tests.conftest import SAMPLES

    allowed = _mask()
    seen: dict[str, set[int]] = {}

    class Model:
        name, sha256 = "stub", "0" * 64

        def __init__(self, *a, **kw) -> None:
            seen["created"] = _mask()

        def process(self, bgr, t_ms):  # noqa: ANN001, ANN201
            seen["model"] = _mask()
            for th in threading.enumerate():
                if th.name in ("hipform-reader", "hipform-writer") and th.native_id:
                    try:
                        seen[th.name] = _mask(th.native_id)
                    except OSError:  # ended meanwhile
                        pass
            return np.full((33, 4), np.nan, np.float32), None

        def close(self) -> None:
            pass

    monkeypatch.setattr(hipform.pose, "open_estimator", Model)
    monkeypatch.setattr(pl, "VIDEO_WRITER", "thread")
    pl.analyze_video(SAMPLES / "sls_clean.mp4", tmp_path / "o", write_report=False)
    cpu = max(allowed)
    assert seen["created"] == {cpu} and seen["model"] == {cpu}
    assert seen["hipform-reader"] == allowed - {cpu}
    assert seen["hipform-writer"] == allowed - {cpu}
    assert _mask() == allowed  # given back

    seen.clear()
    pl.analyze_video(SAMPLES / "sls_clean.mp4", tmp_path / "o2", write_report=False,
                     write_video=False, pin_cpu=False)
    assert seen["created"] == allowed and seen["model"] == allowed


def test_live_inference_thread_joins_the_claimed_cpu() -> None:
    from hipform.live.session import LiveOptions, LiveSession

    frames = [SimpleNamespace(index=i, t_ms=33 * i, bgr=np.zeros((48, 64, 3), np.uint8))
              for i in range(5)]

    class Source:
        info = {"fps": 30.0, "width": 64, "height": 48}

        def __iter__(self):
            return iter(frames)

        def close(self) -> None:
            pass

    masks: list[set[int]] = []

    class Model:
        name, sha256 = "stub", "0" * 64

        def process(self, bgr, t_ms):  # noqa: ANN001, ANN201
            masks.append(_mask())
            return np.full((33, 4), np.nan, np.float32), None

    claim = affinity.claim_cpu()
    assert claim is not None
    try:
        import io

        est = affinity.start_model(claim, Model)
        assert _mask() == claim.others  # the caller (drawing, window) left the model's CPU
        sess = LiveSession(Source(), est, LiveOptions(window=False, save=False, drop=False,
                                                      fast=True, report=False),
                           stream=io.StringIO(), cpu_claim=claim)
        sess.run_loop()
        assert masks and all(m == {claim.cpu} for m in masks)
    finally:
        claim.unpin()
        claim.release()


def test_batch_worker_keeps_its_claim_for_its_life() -> None:
    from hipform.batch.worker import WorkerState

    created: list[set[int]] = []

    def make(model, **kw):  # noqa: ANN001, ANN202
        created.append(_mask())
        return SimpleNamespace(close=lambda: None, process=None)

    import tests.test_affinity as me

    me._factory = make  # type: ignore[attr-defined]
    allowed = _mask()
    st = WorkerState({"estimator_fn": "tests.test_affinity:_factory", "model": None,
                      "options": {}})
    try:
        assert st._claim is not None
        assert created == [{st._claim.cpu}]
        assert _mask() == {st._claim.cpu}
    finally:
        st.close()
    assert _mask() == allowed
    off = WorkerState({"estimator_fn": "tests.test_affinity:_factory", "model": None,
                       "options": {"pin_cpu": False}})
    try:
        assert off._claim is None and created[-1] == allowed
    finally:
        off.close()


@pytest.mark.parametrize("flag, want", [([], None), (["--no-pin-cpu"], False),
                                        (["--pin-cpu"], True)])
def test_cli_flag_reaches_analyze_live_and_batch(flag: list[str], want: bool | None,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """--pin-cpu/--no-pin-cpu (absent: None, i.e. the environment decides)."""
    from typer.testing import CliRunner

    import hipform.batch
    import hipform.pipeline
    from hipform.cli import app
    from hipform.errors import HipformError
    from tests.conftest import SAMPLES

    got: dict[str, object] = {}

    class Stop(HipformError):
        pass

    def fake_analyze(video, out, opts, **kw):  # noqa: ANN001, ANN202
        got["analyze"] = opts.pin_cpu
        raise Stop("stub")

    def fake_batch(source, out, opts, **kw):  # noqa: ANN001, ANN202
        got["batch"] = opts.pin_cpu
        raise Stop("stub")

    def fake_claim(enabled=None):  # noqa: ANN001, ANN202
        got["live"] = enabled
        raise Stop("stub")

    monkeypatch.setattr(hipform.pipeline, "analyze_video", fake_analyze)
    monkeypatch.setattr(hipform.batch, "run_batch", fake_batch)
    monkeypatch.setattr(affinity, "claim_cpu", fake_claim)
    clip = str(SAMPLES / "sls_clean.mp4")
    r = CliRunner()
    r.invoke(app, ["analyze", clip, "-o", str(tmp_path / "a"), "--no-save", *flag])
    r.invoke(app, ["batch", str(SAMPLES), "-o", str(tmp_path / "b"), "--no-save", *flag])
    r.invoke(app, ["live", "--source", clip, "--no-window", "--no-save", "-o",
                   str(tmp_path / "l"), *flag])
    assert got == {"analyze": want, "batch": want, "live": want}


def test_contention_watch_gives_pinning_up_when_other_work_takes_the_cpu(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulated /proc figures: the claimed CPU busy 100 % of the time while our pinned
    threads ran 50 % -> other work 50 % > CONTENTION_SHARE; given up after
    CONTENTION_CHECKS checks in a row, every thread gets all CPUs back, the CPU is free
    for another claim. Our own work alone never counts as contention."""
    allowed = _mask()
    t = [0.0]
    busy = [0.0]
    ran = [0]
    monkeypatch.setattr(affinity, "_cpu_busy_s", lambda cpu: busy[0])
    me = threading.get_native_id()
    monkeypatch.setattr(affinity, "_run_ns", lambda tid: ran[0] if tid == me else 0)

    def tick(busy_s: float, ours_s: float) -> None:
        t[0] += 1.0
        busy[0] += busy_s
        ran[0] += int(ours_s * 1e9)  # one pinned thread here: this one

    with affinity.model_cpu() as cpu:
        helper_mask: list[set[int]] = []
        go = threading.Event()
        done = threading.Event()

        def helper() -> None:
            affinity.helper_affinity()
            helper_mask.append(_mask())
            go.wait(5)
            helper_mask.append(_mask())
            done.set()

        th = threading.Thread(target=helper)
        th.start()
        watch = affinity.contention_watch()
        assert watch is not None
        watch.clock = lambda: t[0]
        watch.t, watch.busy, watch.ran = 0.0, busy[0], watch._ran()
        for _ in range(5):  # the CPU fully busy, all of it ours: no contention
            tick(1.0, 1.0)
            watch()
        assert watch.history == [0.0] * 5 and _mask() == {cpu}
        tick(1.0, 0.5)
        watch()
        assert _mask() == {cpu}  # one check over the line is not enough
        tick(1.0, 0.9)
        watch()  # back under: the count restarts
        tick(1.0, 0.5)
        watch()
        assert _mask() == {cpu}
        tick(1.0, 0.4)
        watch()
        assert watch.claim.given_up and "60%" in watch.claim.given_up
        assert _mask() == allowed  # this thread, ...
        go.set()
        done.wait(5)
        assert helper_mask == [allowed - {cpu}, allowed]  # ... and the helper
        other = affinity.claim_cpu()  # the CPU was released
        assert other is not None and other.cpu == cpu
        other.release()
        assert affinity.contention_watch() is None
        assert watch.claim.pin() is False and _mask() == allowed  # given up: no pinning
    assert _mask() == allowed


def test_contention_watch_notices_a_real_busy_process() -> None:
    """A process spinning on the claimed CPU makes the watch give pinning up within a few
    checks; without it, the same watch keeps it."""
    with affinity.model_cpu() as cpu:
        watch = affinity.contention_watch()
        assert watch is not None
        t_end = time_now() + 2.2
        while time_now() < t_end:  # our own work only
            watch()
        assert not watch.claim.given_up and max(watch.history) < affinity.CONTENTION_SHARE
        spin = subprocess.Popen([sys.executable, "-c", "import os\n"
                                 f"os.sched_setaffinity(0, {{{cpu}}})\nwhile True: pass"])
        try:
            t_end = time_now() + 4.5
            while time_now() < t_end and not watch.claim.given_up:
                sum(range(1000))
                watch()
        finally:
            spin.kill()
            spin.wait()
        assert watch.claim.given_up, watch.history


def time_now() -> float:
    import time

    return time.monotonic()
