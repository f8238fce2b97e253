"""`hipform samples`: regenerate the bundled synthetic sample clips and their truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

_NAMES = ("sls_clean, sls_faulty, bridge_clean, bridge_arching, stepdown_clean, "
          "stepdown_hipdrop")


def _default_out() -> Path:
    """The checkout's sample_videos/ when run from a source tree, else ./sample_videos."""
    repo = Path(__file__).resolve().parents[2] / "sample_videos"
    return repo if repo.is_dir() else Path("sample_videos")


def register(app: typer.Typer) -> None:
    @app.command("samples")
    def samples(
        out: Annotated[Path | None, typer.Option(
            "--out", help="Folder to write the clips to [default: the source tree's "
                          "sample_videos/, else ./sample_videos].", file_okay=False,
        )] = None,
        only: Annotated[list[str] | None, typer.Option(
            "--only", help=f"Regenerate only this clip (repeatable): {_NAMES}.",
        )] = None,
        no_truth: Annotated[bool, typer.Option(
            "--no-truth", help="Do not write <clip>.truth.json.",
        )] = False,
    ) -> None:
        """Render the synthetic sample clips (and their ground truth) into OUT.

        Each clip is a rendered figure performing one exercise, clean or with faults of a
        known size, 640x480 at 30 fps, with <clip>.truth.json next to it (3-D joints,
        their 2-D projections, the true value of every hipform measure, reps, phases,
        tempo and faults). Rendering is deterministic (seeded): the same version writes
        the same frames. The real clip real_sports2d_demo.mp4 is not touched.
        """
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskID,
            TextColumn,
            TimeRemainingColumn,
        )

        from hipform.errors import ConfigError
        from hipform.synth.clip import write_clip
        from hipform.synth.samples import SAMPLES

        out = out or _default_out()
        names = list(SAMPLES)
        if only:
            bad = [n for n in only if n.removesuffix(".mp4") not in SAMPLES]
            if bad:
                raise ConfigError(f"unknown sample {bad[0]!r}; choose from {', '.join(names)}")
            names = [n.removesuffix(".mp4") for n in only]
        with Progress(TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn()) as prog:
            for name in names:
                spec, _ = SAMPLES[name]
                task = prog.add_task(name, total=None)

                def tick(i: int, n: int, task: TaskID = task) -> None:
                    prog.update(task, completed=i + 1, total=n)

                video, truth = write_clip(spec, out, truth=not no_truth, on_frame=tick)
        for name in names:
            p = out / f"{name}.mp4"
            typer.echo(f"{p} ({p.stat().st_size / 1e6:.2f} MB)")
