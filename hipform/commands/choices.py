"""Fixed choices and option definitions shared by the commands.

The choices are enums (Typer shows them as enum values). The ``*Option`` aliases are
``Annotated`` types carrying one ``typer.Option`` each, for options that read the same in
several commands: same flag, same help text (Typer copies the option per command). Give
the default in the command's signature, e.g. ``db: HistoryDbOption = None``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer


class ExerciseChoice(str, Enum):
    auto = "auto"
    bridge = "bridge"
    step_down = "step_down"
    single_leg_squat = "single_leg_squat"


class SideChoice(str, Enum):
    auto = "auto"
    left = "left"
    right = "right"

    def stance(self) -> str | None:
        """The stance leg ("left"/"right"), or None for auto (found from the motion)."""
        return None if self is SideChoice.auto else self.value


class WindowBackendChoice(str, Enum):
    """``hipform live --window-backend`` (see :mod:`hipform.live.window`)."""

    auto = "auto"
    x11 = "x11"
    opencv = "opencv"


class PersonChoice(str, Enum):
    largest = "largest"
    leftmost = "leftmost"
    rightmost = "rightmost"


#: ``--set KEY=VALUE`` (repeatable): analyze, batch, live.
ProfileSetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="Override one profile value, e.g. --set knee_valgus.flag=12 "
    "(repeatable).")]

#: ``--db PATH``: analyze, batch, live (history has its own, with the default spelt out).
HistoryDbOption = Annotated[Path | None, typer.Option(help="History database file.")]

#: ``--subject NAME``: analyze, live.
SubjectOption = Annotated[str | None, typer.Option(help="Subject name or id for history.")]

#: ``--quiet/-q``: analyze, batch.
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
PinCpuOption = Annotated[bool | None, typer.Option(
    "--pin-cpu/--no-pin-cpu",
    help="Keep the pose model's threads on a CPU of their own, one no other hipform "
    "process has claimed (Linux; default on, or the HIPFORM_PIN_CPU environment "
    "variable: 0 turns it off). Faster on small machines; see README.")]
