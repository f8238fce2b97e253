"""Fixed choices shared by the commands (Typer shows them as enum values)."""

from __future__ import annotations

from enum import Enum


class ExerciseChoice(str, Enum):
    auto = "auto"
    bridge = "bridge"
    step_down = "step_down"
    single_leg_squat = "single_leg_squat"


class SideChoice(str, Enum):
    auto = "auto"
    left = "left"
    right = "right"


class PersonChoice(str, Enum):
    largest = "largest"
    leftmost = "leftmost"
    rightmost = "rightmost"
