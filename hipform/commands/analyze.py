"""`hipform analyze`: offline analysis of one recorded video."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hipform.commands.choices import (
    ExerciseChoice,
    HistoryDbOption,
    PersonChoice,
    PinCpuOption,
    ProfileSetOption,
    QuietOption,
    SideChoice,
    SubjectOption,
)


def register(app: typer.Typer) -> None:
    @app.command("analyze")
    def analyze(
        video: Annotated[Path | None, typer.Argument(
            help="Video file (mp4, mov, avi, ...) or a folder of images.", show_default=False)]
        = None,
        out: Annotated[Path | None, typer.Option(
            "--out", "-o", help="Output folder (default: runs/VIDEO-NAME). An existing "
            "folder is replaced only once the new analysis has succeeded.")] = None,
        exercise: Annotated[ExerciseChoice, typer.Option(
            help="Exercise in the clip; 'auto' recognises it from the movement.")]
        = ExerciseChoice.auto,
        side: Annotated[SideChoice, typer.Option(
            help="Stance (working) leg; 'auto' finds it from the motion.")] = SideChoice.auto,
        model: Annotated[str | None, typer.Option(
            help="Pose model: lite | full | heavy, or the path of a .task bundle. "
            "[default: full]")] = None,
        landmarks: Annotated[Path | None, typer.Option(
            help="Replay a saved landmarks.npz instead of running the pose model "
            "(re-scores with new settings; VIDEO is then optional).")] = None,
        profile: Annotated[Path | None, typer.Option(
            help="TOML profile of thresholds (see `hipform/profiles/default.toml`).")] = None,
        set_: ProfileSetOption = None,
        video_out: Annotated[bool, typer.Option(
            "--video/--no-video", help="Write the annotated video (annotated.mp4).")] = True,
        report: Annotated[bool, typer.Option(
            "--report/--no-report", help="Write the HTML report (report.html).")] = True,
        stride: Annotated[int, typer.Option(
            min=1, help="Run the model on every Nth frame and interpolate the rest "
            "(faster, less accurate; see README for the measured effect).")] = 1,
        person: Annotated[PersonChoice, typer.Option(
            help="Whom to follow when several people are in view (leftmost/rightmost make "
            "the model look for 2 people, which is slower).")] = PersonChoice.largest,
        people: Annotated[int, typer.Option(
            min=1, max=6, help="How many people the model looks for; 1 is fastest and "
            "follows the first person found.")] = 1,
        subject: SubjectOption = None,
        save: Annotated[bool, typer.Option(
            "--save/--no-save", help="Store the session in the history database.")] = True,
        db: HistoryDbOption = None,
        image_fps: Annotated[float, typer.Option(
            help="Frame rate assumed for a folder of images (they carry no timestamps).")]
        = 30.0,
        json_out: Annotated[bool, typer.Option(
            "--json", help="Print the summary as JSON instead of a sentence.")] = False,
        quiet: QuietOption = False,
        pin_cpu: PinCpuOption = None,
    ) -> None:
        """Analyse a recorded video: reps, tempo, faults and cues, per-frame angles.

        Runs the pose model on every frame, then measures knee valgus, hip drop, lumbar
        arching and trunk lean per frame, and scores reps, tempo and faults.

        Writes into the output folder: landmarks.npz (raw landmarks, replayable),
        analysis.json, metrics.csv (one row per frame), annotated.mp4 (skeleton, angles and
        cues drawn as the live screen would show them) and report.html.

        Exit codes: 0 done, 1 error (one line on stderr, nothing written), 2 bad usage.
        """
        import json
        import sys

        from hipform.pipeline import AnalyzeOptions, analyze_video

        if video is None and landmarks is None:
            raise typer.BadParameter("give a VIDEO, or --landmarks to replay")
        name = video.stem if video is not None else landmarks.parent.name  # type: ignore[union-attr]
        out_dir = out or Path("runs") / name
        opts = AnalyzeOptions(
            model=model,
            exercise=exercise.value,
            side=side.stance(),
            profile=profile,
            overrides=list(set_ or []),
            write_video=video_out,
            write_report=report,
            stride=stride,
            person=person.value,
            people=people,
            subject=subject,
            image_fps=image_fps,
            save=save,
            db=db,
            pin_cpu=pin_cpu,
        )
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        console = Console(stderr=True)
        with Progress(TextColumn("{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total} frames"), TimeRemainingColumn(),
                      console=console, disable=quiet or not console.is_terminal,
                      transient=True) as bar:
            task = bar.add_task(f"analysing {name}", total=None)
            state = {"pass": 1}

            def progress(done: int, total: int) -> None:
                if done == 1 and state["pass"] > 1:
                    bar.update(task, description=f"writing video {name}")
                if done == 1:
                    state["pass"] += 1
                bar.update(task, completed=done, total=total or None)

            analysis = analyze_video(video, out_dir, opts, landmarks=landmarks,
                                     progress=progress)
        src = analysis.get("source", {})
        lost = int(src.get("frames_lost") or 0)
        if lost:
            typer.echo(f"hipform: warning: {src.get('path')}: {lost} frames could not be "
                       f"decoded (truncated or corrupt file); analysed the "
                       f"{src.get('frames')} that did", err=True)
        summary = _summary(analysis, out_dir, analysis.get("session_id"))
        if json_out:
            json.dump(summary, sys.stdout)
            sys.stdout.write("\n")
        else:
            typer.echo(summary["line"])


def _summary(a: dict, out_dir: Path, session_id: int | None) -> dict:
    import math

    fr = a.get("frames", {})
    det = fr.get("detected", [])
    n = len(det)
    pct = 100.0 * sum(bool(d) for d in det) / n if n else 0.0
    reps = a.get("reps") or []
    faults: dict[str, int] = {}
    for r in reps:
        for f in r.get("faults", []):
            faults[f["code"]] = faults.get(f["code"], 0) + 1
    ex = a.get("exercise") or "unknown exercise"
    side = {"both": ", both legs", None: ""}.get(a.get("side"), f", {a.get('side')} leg")
    fault_txt = ", ".join(f"{k} x{v}" for k, v in sorted(faults.items())) or "no faults"
    kv = fr.get("knee_valgus_deg", {})
    peaks = []
    for s in ("left", "right"):
        vals = [v for v in kv.get(s, []) if v is not None and math.isfinite(v)]
        if vals:
            peaks.append(f"{s} {max(vals):+.0f}°")
    line = (f"{out_dir}: {n} frames, person on {pct:.0f}%, {ex}{side}: {len(reps)} reps, "
            f"{fault_txt}; peak knee valgus {' / '.join(peaks) or 'n/a'}")
    return {"out": str(out_dir), "frames": n, "detected_pct": round(pct, 1),
            "exercise": a.get("exercise"), "side": a.get("side"), "reps": len(reps),
            "faults": faults, "session_id": session_id, "line": line}
