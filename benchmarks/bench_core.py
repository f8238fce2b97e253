"""Benchmark of the measurement core (hipform.core.compute_metrics).

Runs, in one process:

1. ``compute_metrics`` with everything (view classification and gating, NaN reasons,
   quiet-stance baseline search) on 1,000,000 frames of synthetic landmarks, median of
   several runs; also once with world landmarks (3-D flexion); peak memory of the run
   (tracemalloc: numpy allocations made by compute_metrics; and process max RSS).
2. A plain per-frame Python reference (``math`` on lists/tuples, written here,
   independent of the package) computing the same measures, view and view confidence
   on a subset of frames (default 20,000), scaled to frames/s; it is checked to agree
   with the vectorised numbers. Also timed: the same without the confidence, and the
   package's hand-tuned per-frame twin (the live path's kernel), for scale.
3. The live path: ``compute_metrics`` on a T = 1 Landmarks (median microseconds).
4. The vectorised core as it was before its speed-up (commit ``PREVIOUS_CORE``,
   extracted with ``git archive``), interleaved with the current one on the same clip.

Writes benchmarks/results/core.json and benchmarks/results/core.md.

    .venv/bin/python benchmarks/bench_core.py [--frames 1000000] [--ref-frames 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hipform.core.kinematics import _kernel_row  # noqa: E402
from hipform.core.metrics import compute_metrics  # noqa: E402
from hipform.landmarks import Landmarks  # noqa: E402
from tests.core.core_poses import frontal_pose, lying_pose, sagittal_pose  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
#: the last commit before the speed-up of the vectorised core (issue 3)
PREVIOUS_CORE = "7b02b9f"


# ----------------------------------------------------------------------------- data
def make_clip(n: int, seed: int = 0, world: bool = False) -> Landmarks:
    """n frames: a mix of frontal / side / lying poses with 2 px jitter, 1 % frames with
    no person, 5 % frames with a low-visibility knee."""
    rng = np.random.default_rng(seed)
    bases = np.stack([
        frontal_pose(valgus=(8, -3), obliquity=3, lean=5),
        frontal_pose(facing="back", valgus=(-2, 14), obliquity=-4),
        sagittal_pose(facing=-1, lean=15, thigh=40, knee=60),
        sagittal_pose(facing=1, lean=5, thigh=10, knee=20),
        lying_pose(extension=8),
    ])
    x = bases[rng.integers(0, len(bases), n)]
    x[..., :2] += rng.normal(0, 2.0, (n, 33, 2)).astype(np.float32)
    x[rng.random(n) < 0.05, 25, 3] = 0.2
    x[rng.random(n) < 0.01] = np.nan
    w = rng.normal(0, 0.3, (n, 33, 3)).astype(np.float32) if world else None
    return Landmarks(x, np.arange(n, dtype=np.int64) * 33, 1280, 720, w)


# ------------------------------------------------------------ plain Python reference
def _ang(c, d):
    if c == 0.0 and d == 0.0:
        return math.nan
    return math.degrees(math.atan2(c, d))


def _sgn(a):
    return 1.0 if a > 0 else (-1.0 if a < 0 else math.nan)


def _tanh0(a):
    t = math.tanh(a)
    return 0.0 if t != t else t


_VIS_IDX = (11, 12, 23, 24, 25, 26, 27, 28)  # landmarks whose visibility gates a measure


def reference_frame(p, vmin=0.5, base=0.0, confidence=True):
    """All measures of one frame from a list of 33 (x, y, z, v) tuples (pixels).

    Same definitions as docs/README_core.md; returns a dict of floats. With
    ``confidence`` also the view confidence (as compute_metrics does; the first version
    of this reference left it out, which made it do less work than the vectorised code).
    """
    nan = math.nan
    vis = [False] * 33
    for i in _VIS_IDX:
        vis[i] = p[i][3] >= vmin
    ls, rs, lh, rh = p[11], p[12], p[23], p[24]
    tx = (ls[0] + rs[0] - lh[0] - rh[0]) / 2
    ty = (ls[1] + rs[1] - lh[1] - rh[1]) / 2
    lt = math.hypot(tx, ty)
    rx, ry = rh[0] - lh[0], rh[1] - lh[1]
    # view
    okl, okr = vis[11] and vis[23], vis[12] and vis[24]
    lying = abs(ty) < abs(tx)
    view = 0
    near = nan
    conf = 0.0
    if lt > 0 and (okl or okr):
        width = (math.hypot(rs[0] - ls[0], rs[1] - ls[1]) + math.hypot(rx, ry)) / (2 * lt)
        s = _tanh0((rs[2] + rh[2] - ls[2] - lh[2]) / lt * 5)
        s += _tanh0(sum(p[i][3] - p[i + 1][3] for i in (11, 23, 25, 27, 7)) * 2)
        ex, ey = (p[7][0] + p[8][0]) / 2, (p[7][1] + p[8][1]) / 2
        s += _tanh0(((p[0][0] - ex) * ty - (p[0][1] - ey) * tx) / (lt * lt) * 20)
        near = _sgn(s)
        if okl != okr:
            near = 1.0 if okl else -1.0
            view = 5 if lying else (2 if okl else 3)
        elif lying:
            view = 5
        elif width >= 0.42:
            view = 1
        elif width <= 0.25:
            view = 2 if s > 0 else (3 if s < 0 else 0)
        else:
            view = 4
        # confidence: margin to the nearest threshold (saturating) x torso visibility
        if not confidence:
            conf = nan
        elif okl != okr or view:
            m = abs(math.degrees(math.atan2(abs(ty), abs(tx))) - 45) / 15  # lying margin
            if okl != okr:  # one side hidden: half confidence
                v = (ls[3] + lh[3] if okl else rs[3] + rh[3]) / 4
                v = 0.0 if v < 0 else (0.5 if v > 0.5 else v)
            else:
                if view == 1:
                    m = min(m, (width - 0.42) * 10)
                elif view in (2, 3):
                    m = min(m, (0.25 - width) * 10 * min(abs(s), 1.0))
                elif view == 4:
                    m = min(m, min(width - 0.25, 0.42 - width) / 0.085)
                v = (ls[3] + rs[3] + lh[3] + rh[3]) / 4
                v = 0.0 if v < 0 else (1.0 if v > 1 else v)
            conf = (0.0 if m < 0 else (1.0 if m > 1 else m)) * v
            if conf != conf:
                conf = 0.0
    frontal, side = view == 1, view in (2, 3)
    out = {"view": view, "view_confidence": conf}
    ax_, ay_ = (0.0, -1.0) if lying else (near * ty, -near * tx)
    for name, (s_, h, k, a, mult) in (("left", (11, 23, 25, 27, -1.0)),
                                      ("right", (12, 24, 26, 28, 1.0))):
        S, H, K, A = p[s_], p[h], p[k], p[a]
        gx, gy, qx, qy = K[0] - H[0], K[1] - H[1], A[0] - K[0], A[1] - K[1]
        theta = _ang(gx * qy - gy * qx, gx * qx + gy * qy)
        legv = vis[h] and vis[k] and vis[a]
        lx, ly = A[0] - H[0], A[1] - H[1]
        out["knee_valgus_" + name] = theta * _sgn(lx * ry - ly * rx) * mult \
            if legv and frontal else nan
        out["knee_flexion_" + name] = abs(theta) if legv and (side or view == 5) else nan
        dx, dy = H[0] - S[0], H[1] - S[1]
        hf = _ang(dx * gy - dy * gx, dx * gx + dy * gy) * _sgn(dx * ay_ - dy * ax_)
        hipv = vis[s_] and vis[h] and vis[k]
        out["hip_flexion_" + name] = hf if hipv and (side or view == 5) else nan
        out["_lum_" + name] = -hf if hipv else None
        out["_lean_" + name] = _ang(dx * near, dy) if vis[s_] and vis[h] else None
    obl = _ang(lh[1] - rh[1], abs(rx)) if vis[23] and vis[24] and frontal else nan
    out["pelvic_obliquity"] = obl
    out["hip_drop_left"], out["hip_drop_right"] = -(obl - base), obl - base
    tv = vis[11] and vis[12] and vis[23] and vis[24] and frontal
    lean = _ang(-tx * _sgn(rx), -ty) if tv else nan
    out["trunk_lean_frontal_left"], out["trunk_lean_frontal_right"] = lean, -lean
    lum = [v for v in (out.pop("_lum_left"), out.pop("_lum_right")) if v is not None]
    out["lumbar_extension"] = sum(lum) / len(lum) if lum and (side or view == 5) else nan
    ln = [v for v in (out.pop("_lean_left"), out.pop("_lean_right")) if v is not None]
    out["trunk_lean_sagittal"] = sum(ln) / len(ln) if ln and side else nan
    return out


# ------------------------------------------------------------------------- timing
def _prev_line(p: dict) -> str:
    if "speedup_median" in p:
        return (f"* against the core before the speed-up (commit {p['commit']}, same clip, "
                f"interleaved): {p['seconds_median']:.3f} s -> "
                f"{p['current_seconds_median']:.3f} s, **{p['speedup_median']:.2f}x** (best "
                f"vs best {p['speedup_best']:.2f}x; in CPU time "
                f"{p['cpu_seconds_median']:.3f} s -> {p['current_cpu_seconds_median']:.3f} s, "
                f"**{p['cpu_speedup_median']:.2f}x**); results identical: "
                f"{'yes' if p['identical_results'] else 'NO'}.\n")
    if p.get("error"):
        return f"* comparison with the previous core skipped: {p['error']}\n"
    return ""



def _median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _previous_core(commit: str, tmp: Path):
    """compute_metrics of hipform/core as it was at ``commit`` (git archive), imported
    as a separate package ``hipform_prev.core`` next to the current one."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "hipform/core"],
                          capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        tf.extractall(tmp, filter="data")
    pkg = tmp / "hipform_prev"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (tmp / "hipform" / "core").rename(pkg / "core")
    for f in (pkg / "core").glob("*.py"):
        f.write_text(f.read_text().replace("hipform.core", "hipform_prev.core"))
    sys.path.insert(0, str(tmp))
    from hipform_prev.core.metrics import compute_metrics as prev  # type: ignore

    return prev


def _time_world(n: int, repeat: int) -> float:
    lm_w = make_clip(n, world=True)
    return _median_time(lambda: compute_metrics(lm_w), repeat)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--ref-frames", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--previous", default=PREVIOUS_CORE,
                    help="git commit of the core to compare with ('' to skip)")
    args = ap.parse_args()
    n, nref = args.frames, args.ref_frames

    lm = make_clip(n)
    compute_metrics(lm.slice(0, 1000))  # warm up
    # the per-frame reference input, converted to lists/tuples outside the timing
    sub = [list(map(tuple, f)) for f in lm.xyzv[:nref].tolist()]

    # interleave the vectorised and the reference runs so that load changes on the
    # shared machine hit both alike; medians of each
    # (also: the vectorised path without NaN reasons and with the baseline given, and
    # the reference without the view confidence, as the first version of it had)
    tv, tvf, tr, trn, trt = [], [], [], [], []
    cv, cr = [], []  # CPU (process) time of the main pair: not stretched by preemption
    for _ in range(args.repeat):
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        compute_metrics(lm)
        tv.append(time.perf_counter() - t0)
        cv.append(time.process_time() - c0)
        tvf.append(_median_time(lambda: compute_metrics(lm, baseline_obliquity=0.0,
                                                         reasons=False), 1))
        # (the timed reference runs drop their per-frame dicts: keeping 20,000 of them
        # costs about 1 us/frame of allocation, which is not the measures' work; the
        # results for the agreement check come from one untimed run below)
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        for f in sub:
            reference_frame(f, 0.5, 0.0)
        tr.append(time.perf_counter() - t0)
        cr.append(time.process_time() - c0)
        gc.collect()
        t0 = time.perf_counter()
        for f in sub:
            reference_frame(f, 0.5, 0.0, False)
        trn.append(time.perf_counter() - t0)
        # the package's own hand-tuned per-frame twin (the live path's kernel), no reasons
        gc.collect()
        t0 = time.perf_counter()
        for f in sub:
            _kernel_row(f, 0.5, True, None, False)
        trt.append(time.perf_counter() - t0)
    ref = [reference_frame(f, 0.5, 0.0) for f in sub]
    t_vec = statistics.median(tv)
    t_ref = statistics.median(tr)
    t_ref_nc = statistics.median(trn)
    t_twin = statistics.median(trt)
    cpu_ratio = (n / statistics.median(cv)) / (nref / statistics.median(cr))
    t_vec_w = _time_world(n, max(1, args.repeat // 2))

    # the vectorised core before the speed-up, interleaved with the current one
    prev_res: dict = {"commit": args.previous or None}
    if args.previous:
        tmp = Path(tempfile.mkdtemp(prefix="hipform_prev_"))
        try:
            prev = _previous_core(args.previous, tmp)
            mp, mc = prev(lm), compute_metrics(lm)
            same = all(np.array_equal(getattr(mp, f), getattr(mc, f), equal_nan=True)
                       for f in ("knee_valgus", "pelvic_obliquity", "hip_drop",
                                 "lumbar_extension", "trunk_lean_frontal",
                                 "trunk_lean_sagittal", "knee_flexion", "hip_flexion",
                                 "view", "view_confidence"))
            del mp, mc
            tp, tc, cp, cc = [], [], [], []  # wall and CPU (process) time
            for _ in range(args.repeat):
                for fn, wall, cpu in ((lambda: prev(lm), tp, cp),
                                      (lambda: compute_metrics(lm), tc, cc)):
                    gc.collect()
                    c0, t0 = time.process_time(), time.perf_counter()
                    fn()
                    wall.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
            prev_res.update({
                "seconds_median": round(statistics.median(tp), 4),
                "current_seconds_median": round(statistics.median(tc), 4),
                "speedup_median": round(statistics.median(tp) / statistics.median(tc), 2),
                "speedup_best": round(min(tp) / min(tc), 2),
                "cpu_seconds_median": round(statistics.median(cp), 4),
                "current_cpu_seconds_median": round(statistics.median(cc), 4),
                "cpu_speedup_median": round(statistics.median(cp) / statistics.median(cc),
                                            2),
                "identical_results": bool(same),
            })
        except (OSError, subprocess.CalledProcessError, ImportError) as e:
            prev_res["error"] = f"{type(e).__name__}: {e}"
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    t_vec_fast = statistics.median(tvf)
    gc.collect()
    tracemalloc.start()
    m = compute_metrics(lm)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    input_bytes = lm.xyzv.nbytes + lm.t_ms.nbytes

    # (the reference used baseline 0; this clip has no quiet stance, so does m)
    assert m.baseline_source == "none_found", m.baseline_source

    # agreement of the reference with the vectorised numbers
    def col(name, a):
        return np.array([r[name] for r in ref], np.float64), np.asarray(a[:nref], np.float64)

    pairs = {"pelvic_obliquity": m.pelvic_obliquity,
             "trunk_lean_sagittal": m.trunk_lean_sagittal,
             "lumbar_extension": m.lumbar_extension}
    for f in ("knee_valgus", "hip_drop", "trunk_lean_frontal", "knee_flexion", "hip_flexion"):
        for j, side in enumerate(("left", "right")):
            pairs[f"{f}_{side}"] = getattr(m, f)[:, j]
    max_diff = 0.0
    nan_mismatch = 0
    for name, arr in pairs.items():
        r, v = col(name, arr)
        nan_mismatch += int(np.sum(np.isnan(r) != np.isnan(v)))
        both = ~np.isnan(r) & ~np.isnan(v)
        if both.any():
            max_diff = max(max_diff, float(np.max(np.abs(r[both] - v[both]))))
    view_mismatch = int(np.sum(np.array([r["view"] for r in ref]) != m.view[:nref]))
    conf_r, conf_v = col("view_confidence", m.view_confidence)
    conf_diff = float(np.max(np.abs(conf_r - conf_v)))

    # live path: T = 1
    one = lm.slice(5, 6)
    compute_metrics(one, baseline_obliquity=0.0)
    lat = []
    for _ in range(20):
        t0 = time.perf_counter()
        for _ in range(500):
            compute_metrics(one, baseline_obliquity=0.0)
        lat.append((time.perf_counter() - t0) / 500 * 1e6)
    t1 = statistics.median(lat)

    fps_vec = n / t_vec
    fps_ref = nref / t_ref
    res = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "note": "shared 2-core machine (other engineers' jobs running): timings are noisy",
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "machine": {
            "nproc": os.cpu_count(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "numpy": np.__version__,
        },
        "frames": n,
        "vectorised": {
            "seconds_median": round(t_vec, 4),
            "seconds_all": [round(t, 4) for t in tv],
            "frames_per_s": round(fps_vec),
            "repeat": args.repeat,
            "what": "compute_metrics(lm): all measures, view + gating, NaN reasons, "
                    "quiet-stance baseline search",
        },
        "vectorised_with_world_3d_flexion": {
            "seconds_median": round(t_vec_w, 4), "frames_per_s": round(n / t_vec_w)},
        "vectorised_no_reasons_given_baseline": {
            "seconds_median": round(t_vec_fast, 4), "frames_per_s": round(n / t_vec_fast)},
        "reference_python_per_frame": {
            "frames": nref, "seconds_median": round(t_ref, 4),
            "seconds_all": [round(t, 4) for t in tr], "frames_per_s": round(fps_ref),
            "agreement": {"fields_compared": sorted(pairs) + ["view", "view_confidence"],
                          "max_abs_diff_deg": round(max_diff, 5),
                          "nan_pattern_mismatches": nan_mismatch,
                          "view_mismatches": view_mismatch,
                          "view_confidence_max_abs_diff": round(conf_diff, 6)},
        },
        "reference_without_view_confidence": {
        "frames_per_s": round(nref / t_ref_nc),
        "seconds_all": [round(t, 4) for t in trn],
        "speedup_vs_it": round(fps_vec / (nref / t_ref_nc), 1),
    },
    "previous_core": prev_res,
    "tuned_per_frame_twin": {
        "what": "hipform.core.kinematics._kernel_row (pure-Python per-frame kernel of the "
                "live path, written for speed), no NaN reasons",
        "frames_per_s": round(nref / t_twin),
        "seconds_all": [round(t, 4) for t in trt],
        "speedup_vs_it": round(fps_vec / (nref / t_twin), 1),
    },
    "speedup_vs_reference": round(fps_vec / fps_ref, 1),
    "speedup_vs_reference_cpu_time": {
        "value": round(cpu_ratio, 1),
        "vectorised_cpu_seconds_median": round(statistics.median(cv), 4),
        "reference_cpu_seconds_median": round(statistics.median(cr), 4),
        "what": "same pair, process CPU time instead of wall time (time lost while other "
                "jobs hold the CPU is not counted; contention for caches and memory is)",
    },
    "speedup_like_for_like": {
        "value": round((n / t_vec_fast) / fps_ref, 1),
        "what": "compute_metrics(lm, baseline_obliquity=0.0, reasons=False) against the "
                "reference, which also takes the baseline as given and gives no reasons",
    },
        "best_of_runs": {
            "vectorised_frames_per_s": round(n / min(tv)),
            "reference_frames_per_s": round(nref / min(tr)),
            "speedup": round((n / min(tv)) / (nref / min(tr)), 1),
        },
        "live_T1_compute_metrics_us_median": round(t1, 2),
        "live_T1_compute_metrics_us_best_batch": round(min(lat), 2),
        "memory": {
            "input_bytes": int(input_bytes),
            "tracemalloc_peak_bytes_compute_metrics": int(peak),
            "process_max_rss_bytes": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
            * 1024,
        },
        "targets": {"frames_per_s": 1_000_000, "speedup": 50},
        "targets_met": {"frames_per_s": fps_vec >= 1_000_000,
                        "speedup": fps_vec / fps_ref >= 50},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "core.json").write_text(json.dumps(res, indent=2) + "\n")
    mb = 1 / 2**20
    md = f"""# Core benchmark ({res['date']})

Shared {res['machine']['nproc']}-core machine, Python {res['machine']['python']},
numpy {res['machine']['numpy']}; medians of {args.repeat} interleaved runs (vectorised and
reference variants alternate); timings are noisy (other jobs were running, load average
{os.getloadavg()[0]:.1f} at the end).

| what | frames | time (s) | frames/s |
|---|---:|---:|---:|
| `compute_metrics` (everything) | {n:,} | {t_vec:.3f} | {fps_vec:,.0f} |
| same, with world landmarks (3-D flexion) | {n:,} | {t_vec_w:.3f} | {n / t_vec_w:,.0f} |
| same, no NaN reasons, baseline given | {n:,} | {t_vec_fast:.3f} | {n / t_vec_fast:,.0f} |
| plain per-frame Python reference | {nref:,} | {t_ref:.3f} | {fps_ref:,.0f} |
| same, without the view confidence | {nref:,} | {t_ref_nc:.3f} | {nref / t_ref_nc:,.0f} |
| hand-tuned per-frame twin (live path) | {nref:,} | {t_twin:.3f} | {nref / t_twin:,.0f} |

* speed-up vs the per-frame reference (medians): **{fps_vec / fps_ref:.0f}x** (target 50x:
  **{'met' if fps_vec / fps_ref >= 50 else 'NOT met'}**); throughput target 1,000,000 frames/s:
  **{'met' if fps_vec >= 1e6 else 'NOT met'}**.
* the same pair in CPU time (process time, so not stretched while other jobs hold the
  CPU): **{cpu_ratio:.0f}x**.
* like for like (no NaN reasons, baseline given, as the reference):
  **{(n / t_vec_fast) / fps_ref:.0f}x**. Against the reference without the view confidence
  (which the vectorised path computes): **{fps_vec / (nref / t_ref_nc):.0f}x**. Against the
  hand-tuned per-frame twin of the live path: **{fps_vec / (nref / t_twin):.0f}x**.
* best of the {args.repeat} runs instead of medians: {n / min(tv):,.0f} frames/s vectorised,
  {nref / min(tr):,.0f} frames/s reference, {(n / min(tv)) / (nref / min(tr)):.0f}x (the spread
  comes from the other jobs on the machine; see seconds_all in core.json).
{_prev_line(prev_res)}* reference vs vectorised, all {len(pairs)} angle columns, the view and its
  confidence: max |diff| {max_diff:.4f} deg, {nan_mismatch} NaN-pattern and {view_mismatch}
  view mismatches, confidence max |diff| {conf_diff:.1e}, on {nref:,} frames.
* live path, `compute_metrics` on one frame: {t1:.1f} us (median of 20 batches of 500;
  best batch {min(lat):.1f} us).
* memory: input {input_bytes * mb:.0f} MiB; peak numpy allocation during
  `compute_metrics` {peak * mb:.0f} MiB (tracemalloc); process max RSS
  {res['memory']['process_max_rss_bytes'] * mb:.0f} MiB (includes the world-landmark run).
"""
    (args.out / "core.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
