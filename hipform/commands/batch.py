"""`hipform batch`: score a folder or CSV manifest of clips, one row per clip."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from hipform.commands.choices import (
    ExerciseChoice,
    HistoryDbOption,
    PinCpuOption,
    ProfileSetOption,
    QuietOption,
    SideChoice,
)


class EngineChoice(str, Enum):
    local = "local"
    ray = "ray"


def register(app: typer.Typer) -> None:
    @app.command("batch")
    def batch(
        input_: Annotated[Path, typer.Argument(
            metavar="INPUT", exists=True, show_default=False,
            help="Folder of clips (searched recursively for mp4, mov, avi, mkv, webm, m4v, "
            "...) or a CSV manifest with columns path[, exercise, side, subject, session] "
            "(paths relative to the manifest).")],
        out: Annotated[Path, typer.Option(
            "--out", "-o", help="Batch output folder: scores.csv, scores.parquet, "
            "summary.html, batch.json and clips/<name>/ (each clip's analyze output and "
            "score.json).", show_default=False)],
        exercise: Annotated[ExerciseChoice, typer.Option(
            help="Exercise of clips whose manifest row does not say; 'auto' recognises "
            "it.")] = ExerciseChoice.auto,
        side: Annotated[SideChoice, typer.Option(
            help="Stance leg of clips whose manifest row does not say.")] = SideChoice.auto,
        model: Annotated[str | None, typer.Option(
            help="Pose model: lite | full | heavy, or a .task bundle path. [default: full]")]
        = None,
        profile: Annotated[Path | None, typer.Option(
            exists=True, dir_okay=False, help="TOML profile of thresholds.")] = None,
        set_: ProfileSetOption = None,
        workers: Annotated[int | None, typer.Option(
            min=1, help="Worker processes (local) or CPUs of the local Ray instance. "
            "[default: number of CPUs]")] = None,
        engine: Annotated[EngineChoice, typer.Option(
            help="local: a process pool on this machine. ray: Ray tasks on a cluster "
            "(needs the 'ray' extra).")] = EngineChoice.local,
        address: Annotated[str | None, typer.Option(
            help="Ray cluster address ('auto', 'ray://host:10001', host:6379); without it "
            "--engine ray starts a local Ray instance.")] = None,
        video_out: Annotated[bool, typer.Option(
            "--video/--no-video", help="Write each clip's annotated.mp4 (off by default: "
            "it roughly doubles the time per clip and the disk use).")] = False,
        report: Annotated[bool, typer.Option(
            "--report/--no-report", help="Write each clip's report.html.")] = True,
        retries: Annotated[int, typer.Option(
            min=0, help="Extra attempts for a clip whose worker process died (a clip that "
            "fails with an error is not retried).")] = 1,
        timeout: Annotated[float | None, typer.Option(
            min=0.1, help="Seconds a clip may take before its worker is killed (then it "
            "is retried like a dead worker, and failed). Local engine only. "
            "[default: no limit]")] = None,
        force: Annotated[bool, typer.Option(
            "--force", help="Redo every clip, even those already done.")] = False,
        save: Annotated[bool, typer.Option(
            "--save/--no-save", help="Store each clip in the history database.")] = True,
        db: HistoryDbOption = None,
        json_out: Annotated[bool, typer.Option(
            "--json", help="Print the batch summary as JSON on stdout.")] = False,
        quiet: QuietOption = False,
        pin_cpu: PinCpuOption = None,
        analyze_fn: Annotated[str | None, typer.Option(
            hidden=True, help="module:function replacing hipform.pipeline.analyze_video "
            "(tests, plugins).")] = None,
        estimator_fn: Annotated[str | None, typer.Option(
            hidden=True, help="module:function replacing hipform.pose.open_estimator; "
            "'none' = let the analyse function open its own.")] = None,
    ) -> None:
        """Score many clips: each is analysed exactly as `hipform analyze` does (its
        full output folder under OUT/clips/), and one row per clip goes to
        OUT/scores.csv (sorted by clip path), plus OUT/summary.html.

        Rerunning the same command resumes: clips already done (same file size and
        mtime, same options) are skipped, the rest are redone. Ctrl-C or SIGTERM stops
        cleanly, keeping what finished.

        Exit codes: 0 every clip scored; 3 some clips failed (their rows say why);
        1 the batch could not run (bad manifest, missing model, Ray unreachable);
        2 bad usage (e.g. INPUT does not exist); 130 stopped by Ctrl-C / SIGINT,
        143 by SIGTERM (rerun to finish).
        """
        import json
        import sys
        import threading
        import time

        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from hipform.batch import BatchOptions, run_batch, stop_on_signals

        opts = BatchOptions(
            exercise=exercise.value,
            side=side.stance(),
            model=model,
            profile=str(profile) if profile else None,
            overrides=list(set_ or []),
            write_video=video_out,
            write_report=report,
            workers=workers,
            engine=engine.value,
            address=address,
            retries=retries,
            save=save,
            db=str(db) if db else None,
            force=force,
            clip_timeout=timeout,
            pin_cpu=pin_cpu,
        )
        if analyze_fn:
            opts.analyze_fn = analyze_fn
        if estimator_fn:
            opts.estimator_fn = None if estimator_fn.lower() == "none" else estimator_fn
        console = Console(stderr=True)
        stop = threading.Event()
        t0 = time.monotonic()
        state = {"done": 0, "failed": 0}
        with Progress(TextColumn("{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total} clips"),
                      TextColumn("[red]{task.fields[failed]} failed"),
                      TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                      TimeRemainingColumn(), console=console,
                      disable=quiet or not console.is_terminal) as bar:
            task = bar.add_task("batch", total=None, failed=0, rate="")

            def on_event(kind: str, data: dict) -> None:
                if kind == "start":
                    bar.update(task, total=data["total"], completed=data["skipped"],
                               description=f"batch ({data['skipped']} already done)")
                elif kind == "clip":
                    state["done"] += 1
                    if data.get("status") != "ok":
                        state["failed"] += 1
                        if not quiet and console.is_terminal:
                            bar.console.print(f"[red]failed[/red] {data.get('clip')}: "
                                              f"{data.get('reason')}")
                    mins = max(time.monotonic() - t0, 1e-6) / 60
                    bar.update(task, advance=1, failed=state["failed"],
                               rate=f"{state['done'] / mins:.1f} clips/min")
                elif kind == "retry" and not quiet:
                    bar.console.print(f"[yellow]retrying[/yellow] {data['clip']}: "
                                      f"{data['why']}")

            with stop_on_signals(stop) as got:
                res = run_batch(input_, out, opts, on_event=on_event, stop=stop)
        code = res.exit_code
        if res.interrupted:
            code = 143 if got.get("signal") == "SIGTERM" else 130
        summary = res.to_dict()
        summary["exit_code"] = code
        summary["signal"] = got.get("signal")
        if json_out:
            json.dump(summary, sys.stdout, default=str)
            sys.stdout.write("\n")
        else:
            line = (f"{out}: {res.total} clips: {res.ok} scored, {res.failed} failed"
                    + (f", {res.skipped} already done" if res.skipped else "")
                    + (f", {res.not_run} not run (stopped; rerun to finish)"
                       if res.not_run else "")
                    + f"; {res.files.get('csv')}")
            typer.echo(line, err=True)
        if code:
            raise typer.Exit(code)
