"""`hipform live`: live webcam session (or a recorded clip played as if it were a camera)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hipform.commands.choices import (
    ExerciseChoice,
    HistoryDbOption,
    PinCpuOption,
    ProfileSetOption,
    SideChoice,
    SubjectOption,
    WindowBackendChoice,
)


def register(app: typer.Typer) -> None:
    @app.command("live")
    def live(
        camera: Annotated[int, typer.Option(
            "--camera", min=0, help="Webcam index (0 = the default camera).")] = 0,
        source: Annotated[Path | None, typer.Option(
            "--source", exists=True, dir_okay=False,
            help="Play a recorded clip as if it were the camera: paced at its own frame "
            "rate, frames dropped when processing falls behind.")] = None,
        exercise: Annotated[ExerciseChoice, typer.Option(
            help="Exercise; 'auto' recognises it from the movement. Key e switches.")]
        = ExerciseChoice.auto,
        side: Annotated[SideChoice, typer.Option(
            help="Stance (working) leg; 'auto' finds it. Key s switches.")] = SideChoice.auto,
        model: Annotated[str | None, typer.Option(
            help="Pose model: lite | full | heavy, or a .task bundle. [default: full]")]
        = None,
        profile: Annotated[Path | None, typer.Option(
            help="TOML profile of thresholds (see hipform/profiles/default.toml).")] = None,
        set_: ProfileSetOption = None,
        voice: Annotated[bool, typer.Option(
            "--voice/--no-voice", help="Speak the cues (espeak-ng).")] = False,
        window: Annotated[bool, typer.Option(
            "--window/--no-window", help="Show the window. --no-window prints reps and "
            "cues as lines instead (no display needed).")] = True,
        window_backend: Annotated[WindowBackendChoice | None, typer.Option(
            "--window-backend", help="How the window is drawn: x11 (shared memory, the "
            "cheapest; Linux), opencv (OpenCV's window), auto = x11 where it works. "
            "[default: $HIPFORM_WINDOW, else auto]")] = None,
        json_out: Annotated[bool, typer.Option(
            "--json", help="With --no-window: one JSON object per line.")] = False,
        out: Annotated[Path | None, typer.Option(
            "--out", "-o", help="Session output folder [default: runs/live-<timestamp>].")]
        = None,
        record: Annotated[bool, typer.Option(
            "--record", help="Record from the start (raw + annotated clip; key r "
            "starts/stops).")] = False,
        max_seconds: Annotated[float | None, typer.Option(
            min=0.0, help="End the session after this many seconds (wall clock).")] = None,
        subject: SubjectOption = None,
        db: HistoryDbOption = None,
        no_save: Annotated[bool, typer.Option(
            "--no-save", help="Do not store the session in the history database.")] = False,
        no_drop: Annotated[bool, typer.Option(
            "--no-drop", help="With --source: process every frame (deterministic; "
            "still paced no faster than real time).")] = False,
        fast: Annotated[bool, typer.Option(
            "--fast", help="With --source: no real-time pacing (as fast as possible).")]
        = False,
        pin_cpu: PinCpuOption = None,
    ) -> None:
        """Live form check: pose landmarks, knee valgus, hip drop and lumbar arching on
        every frame it can process, with the skeleton, key angles, the current cue, rep
        count, phase, tempo, fault tally and frame rate drawn on the picture.

        The first seconds of quiet two-foot stance, facing the camera, set the hip-drop
        baseline (key c recalibrates). If you are not fully in view or the camera sees
        you from the wrong side for the exercise, the screen says what to do.

        Keys: q/Esc quit, space pause, e switch exercise, s switch side,
        c recalibrate, r start/stop recording.

        At the end (quit, --max-seconds, end of --source, camera unplugged, Ctrl-C) the
        session is written like `hipform analyze` does (landmarks.npz with the raw
        landmarks, analysis.json, metrics.csv, report.html, plus what was shown live
        under analysis.json "live"), and stored in the history unless --no-save.

        Exit codes: 0 done, 1 error (one line on stderr), 2 bad usage.
        """
        import json
        import sys

        from hipform.live.session import LiveOptions, LiveSession

        if json_out and window:
            raise typer.BadParameter("--json needs --no-window")
        if (no_drop or fast) and source is None:
            raise typer.BadParameter("--no-drop and --fast apply to --source only")
        opts = LiveOptions(
            exercise=exercise.value, side=side.stance(),
            model=model, profile=profile, overrides=list(set_ or []), voice=voice,
            window=window, json=json_out, out=out, record=record, max_seconds=max_seconds,
            subject=subject, db=db, save=not no_save, drop=not no_drop, fast=fast, pin_cpu=pin_cpu,
        )
        from hipform.config import load_profile

        load_profile(profile, overrides=opts.overrides)  # bad settings fail before the camera
        from hipform.video import CameraSource, VideoFileSource

        src = VideoFileSource(source) if source is not None else CameraSource(camera)
        spoken = None
        win = None
        est = claim = None
        try:
            if voice:
                from hipform.coaching.voice import Voice

                spoken = Voice()
            if window:
                from hipform.live.window import open_window

                # before the model: no display fails at once
                win = open_window(backend=window_backend.value if window_backend else None)
            from hipform.affinity import claim_cpu, start_model
            from hipform.pose import open_estimator

            # the model's threads on a CPU of their own; this thread (drawing, the
            # window) and the capture thread on the others (hipform.affinity)
            claim = claim_cpu(opts.pin_cpu)
            est = start_model(claim, open_estimator, model, mode="live")
            sess = LiveSession(src, est, opts, paced=source is not None, window=win,
                               voice=spoken, cpu_claim=claim)
            summary = sess.run()
        finally:
            if est is not None:
                est.close()
            if claim is not None:
                claim.close()  # this thread was moved to the helpers' CPUs: all back
            src.close()
        if window:
            if json_out:
                json.dump(summary, sys.stdout)
                sys.stdout.write("\n")
            else:
                typer.echo(f"reps {summary['reps']}, cues {summary['cues']}, "
                           f"{summary['fps']:.1f} fps ({summary['stop_reason']}) -> "
                           f"{summary['out']}")
