#!/usr/bin/env python3
"""Batch throughput (issue 6): clips per minute on the same set of clips, in one run, for

  1 worker      the local engine with one worker process;
  pool          the local engine with the default pool (os.cpu_count() workers);
  pool+1        one worker more than cores (does oversubscribing help MediaPipe?);
  ray           the Ray engine on a local Ray instance with os.cpu_count() CPUs
                (start-up of Ray included, as a user sees it), if ray is installed.

Each configuration scores the whole set from scratch into its own folder with the real
``hipform.pipeline.analyze_video`` (``--no-video``, report on, no history), and the
score rows of every configuration are compared (they must be identical apart from the
processing time). Wall time includes starting the workers and loading the model.

Clips: cut from the bundled samples (real_sports2d_demo.mp4 and the synthetic
sls_*.mp4 when present), ``--frames`` frames each, ``--clips`` of them.

Usage: python benchmarks/bench_batch.py [--clips 8] [--frames 90] [--repeats 2]
Results: benchmarks/results/batch.json and batch.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


def make_clips(folder: Path, n: int, frames: int) -> list[Path]:
    """``n`` clips of ``frames`` frames cut (round robin, successive windows) from the
    sample videos; returns their paths."""
    import cv2

    sources = [ROOT / "sample_videos" / "real_sports2d_demo.mp4"]
    sources += sorted(p for p in (ROOT / "sample_videos").glob("sls_*.mp4")
                      if ".part" not in p.name)
    decoded = []
    for s in sources:
        cap = cv2.VideoCapture(str(s))
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        imgs = []
        while True:
            ok, img = cap.read()
            if not ok:
                break
            imgs.append(img)
        cap.release()
        if imgs:
            decoded.append((s.stem, fps, imgs))
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        stem, fps, imgs = decoded[i % len(decoded)]
        k = i // len(decoded)
        start = (k * frames // 2) % max(1, len(imgs) - frames) if len(imgs) > frames else 0
        seg = imgs[start:start + frames]
        h, w = seg[0].shape[:2]
        p = folder / f"{i:02d}_{stem}.mp4"
        vw = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        for img in seg:
            vw.write(img)
        vw.release()
        out.append(p)
    return out


def run_config(name: str, clips_dir: Path, out: Path, **kw) -> dict:
    from hipform.batch import BatchOptions, run_batch

    opts = BatchOptions(save=False, write_video=False, **kw)
    shutil.rmtree(out, ignore_errors=True)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = run_batch(clips_dir, out, opts)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of the local pool's worker processes (Ray's workers are not our children)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    proc = [r["processing_s"] for r in res.rows if r.get("processing_s") is not None]
    return {
        "config": name, "workers": res.engine.get("workers"), "engine": res.engine["engine"],
        "clips": res.total, "ok": res.ok, "failed": res.failed,
        "wall_s": round(wall, 2), "clips_per_min": round(60 * res.total / wall, 2),
        "clip_s_median": round(statistics.median(proc), 3) if proc else None,
        "clip_s_sum": round(sum(proc), 2),
        "worker_cpu_s": round(cpu, 1) if res.engine["engine"] == "local" else None,
        "cores_busy": round(cpu / wall, 2) if res.engine["engine"] == "local" else None,
        "reasons": sorted({r["reason"] for r in res.rows if r.get("reason")})[:3],
        # compared across configurations: everything but the time and the failure text
        # (a failure message may quote a line number of code being edited meanwhile)
        "_rows": [{k: v for k, v in r.items() if k not in ("processing_s", "reason")}
                  for r in res.rows],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--frames", type=int, default=90)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="hipform-bench-batch-"))
    try:
        clips = make_clips(work / "clips", args.clips, args.frames)
        configs: list[tuple[str, dict]] = [
            ("1 worker", {"workers": 1}),
            (f"pool ({cores} workers, default)", {}),
            (f"pool+1 ({cores + 1} workers)", {"workers": cores + 1}),
        ]
        from hipform.batch.ray_engine import ray_available

        if not args.no_ray and ray_available():
            configs.append((f"ray (local, {cores} CPUs)", {"engine": "ray"}))
        runs: dict[str, list[dict]] = {n: [] for n, _ in configs}
        for rep in range(args.repeats):  # interleaved rounds
            for name, kw in configs:
                r = run_config(name, work / "clips", work / f"out{len(runs[name])}", **kw)
                runs[name].append(r)
                print(f"round {rep + 1}: {name}: {r['wall_s']} s, {r['clips_per_min']} "
                      f"clips/min, median clip {r['clip_s_median']} s, ok {r['ok']}/"
                      f"{r['clips']}", flush=True)
        # each run is compared with the 1-worker run of the same round (other engineers'
        # code may change between rounds on a shared working tree)
        diffs: dict[str, list[str]] = {}
        identical: dict[str, bool] = {}
        for name, _ in configs:
            identical[name] = True
            for rnd, r in enumerate(runs[name]):
                ref_rows = runs[configs[0][0]][rnd]["_rows"]
                identical[name] &= r["_rows"] == ref_rows
                for a, b in zip(ref_rows, r["_rows"], strict=False):
                    cols = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
                    if cols:
                        diffs.setdefault(name, []).append(f"{a.get('clip')}: {cols}")
        table = []
        for name, _ in configs:
            rs = runs[name]
            table.append({
                "config": name, "engine": rs[0]["engine"], "workers": rs[0]["workers"],
                "clips": rs[0]["clips"], "ok": rs[0]["ok"],
                "wall_s_median": statistics.median(r["wall_s"] for r in rs),
                "clips_per_min_median": statistics.median(r["clips_per_min"] for r in rs),
                "clip_s_median": statistics.median(r["clip_s_median"] or 0 for r in rs),
                "cpu_s_per_clip": (round(statistics.median(r["worker_cpu_s"] for r in rs)
                                         / rs[0]["clips"], 2)
                                   if rs[0]["worker_cpu_s"] is not None else None),
                "cores_busy_median": (round(statistics.median(r["cores_busy"] for r in rs), 2)
                                      if rs[0]["cores_busy"] is not None else None),
                "rows_identical_to_1_worker": identical[name],
                "reasons": rs[0]["reasons"],
            })
        single = table[0]
        pool = table[1]
        speedup = pool["clips_per_min_median"] / single["clips_per_min_median"]
        c1 = single["clip_s_median"]
        eff = speedup / cores
        result = {
            "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "machine": {"cpus": cores, "platform": platform.platform(),
                        "loadavg": " ".join(f"{x:.1f}" for x in os.getloadavg()),
                        "python": platform.python_version(),
                        "note": "shared machine (other engineers running tests): noisy"},
            "set": {"clips": args.clips, "frames_per_clip": args.frames,
                    "clip_files": [p.name for p in clips], "video": False, "report": True,
                    "repeats": args.repeats},
            "configs": table,
            "row_differences_vs_1_worker": diffs,
            "pool_speedup_vs_1_worker": round(speedup, 2),
            "parallel_efficiency_per_core": round(eff, 2),
            "single_worker_clip_s_median": c1,
            "projection": {
                "rule": "clips/min on C dedicated cores ~= C * 60 / (worker CPU s per clip)",
                "cpu_s_per_clip": single["cpu_s_per_clip"],
                "cpu_ms_per_frame": (round(1000 * single["cpu_s_per_clip"] / args.frames, 1)
                                     if single["cpu_s_per_clip"] else None),
                "clips_per_min_per_core": (round(60 / single["cpu_s_per_clip"], 1)
                                           if single["cpu_s_per_clip"] else None),
                "ray_startup_s_approx": (round(table[-1]["wall_s_median"]
                                               - pool["wall_s_median"], 1)
                                         if table[-1]["engine"] == "ray" else None),
            },
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "batch.json").write_text(json.dumps(result, indent=1) + "\n")
        (RESULTS / "batch.md").write_text(_markdown(result))
        print((RESULTS / "batch.md").read_text())
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _markdown(r: dict) -> str:
    s = r["set"]
    lines = [
        f"# Batch throughput ({r['date']})",
        "",
        f"{s['clips']} clips of {s['frames_per_clip']} frames cut from the bundled samples "
        f"(`--no-video`, report on, no history), {r['machine']['cpus']} CPUs, "
        f"{s['repeats']} round(s), medians. {r['machine']['note']}.",
        "Wall time includes starting the workers (and Ray) and loading the model.",
        "",
        "| configuration | workers | clips ok (1st round) | wall (s) | clips/min | median s "
        "per clip (in its worker) | worker CPU s per clip | cores busy | rows = 1 worker's |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in r["configs"]:
        lines.append(f"| {c['config']} | {c['workers']} | {c['ok']}/{c['clips']} | "
                     f"{c['wall_s_median']:.1f} | {c['clips_per_min_median']:.1f} | "
                     f"{c['clip_s_median']:.2f} | "
                     f"{'' if c['cpu_s_per_clip'] is None else c['cpu_s_per_clip']} | "
                     f"{'' if c['cores_busy_median'] is None else c['cores_busy_median']} | "
                     f"{'yes' if c['rows_identical_to_1_worker'] else 'NO'} |")
    lines += ["", f"Cores busy = worker CPU time / wall time: the share of the "
              f"{r['machine']['cpus']} CPUs the batch actually got (the load average of the "
              f"machine during the run was {r['machine'].get('loadavg', '?')})."]
    if r.get("row_differences_vs_1_worker"):
        lines += ["", "Rows that differ from the 1-worker run of the same round (clip: "
                  "columns; processing time and failure text excluded):", ""]
        for name, ds in r["row_differences_vs_1_worker"].items():
            lines += [f"- {name}: " + "; ".join(ds[:6])]
    p = r["projection"]
    fails = sorted({x for c in r["configs"] for x in c["reasons"]})
    if fails:
        lines += ["", "Failures seen (a clip failing in some runs only means the code "
                  "changed between runs): "
                  + "; ".join(f"`{x}`" for x in fails[:2])]
    lines += [
        "",
        f"Default pool vs 1 worker: x{r['pool_speedup_vs_1_worker']:.2f} "
        f"(parallel efficiency {r['parallel_efficiency_per_core']:.2f} per core).",
        f"Projection for a Ray cluster: {p['rule']}. Here a clip of "
        f"{s['frames_per_clip']} frames costs {p['cpu_s_per_clip']} CPU s "
        f"({p['cpu_ms_per_frame']} ms per frame, all threads), so about "
        f"{p['clips_per_min_per_core']} clips/min per dedicated core; the local Ray "
        f"instance added about {p['ray_startup_s_approx']} s of start-up to this run "
        "(an existing cluster has none).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
