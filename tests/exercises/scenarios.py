"""Named synthetic scenarios with their expected reps, faults and rubric totals."""

from __future__ import annotations

from dataclasses import dataclass

from tests.exercises.synthetic import RepSpec, Synthetic, make


@dataclass(frozen=True)
class Scenario:
    exercise: str
    specs: tuple[RepSpec, ...]
    faults: tuple[frozenset[str], ...]     # expected fault codes per rep
    totals: tuple[int, ...]                # expected rubric total per rep
    view: str = "default"
    single_leg: bool = True                # False: double-leg bridge (side "both")

    def make(self, side: str = "left", seed: int = 0, noise_px: float = 1.0) -> Synthetic:
        return make(self.exercise, list(self.specs), side=side if self.single_leg else "both",
                    seed=seed, noise_px=noise_px, view=self.view)


F = frozenset
SD = {"depth": 60.0, "down_s": 2.0, "hold_s": 0.0, "up_s": 2.0}
BR = {"down_s": 1.5, "hold_s": 2.0, "up_s": 2.0}

SCENARIOS: dict[str, Scenario] = {
    "single_leg_squat": Scenario(
        "single_leg_squat",
        (RepSpec(), RepSpec(valgus=18, hip_drop=7), RepSpec(down_s=1.0, lean=14),
         RepSpec(depth=50), RepSpec(touchdown=True)),
        (F(), F({"knee_valgus", "hip_drop"}), F({"trunk_lean", "fast_descent"}),
         F({"insufficient_depth"}), F({"unsteady"})),
        # Crossley points (good 0, fair 1, poor 2 over overall/trunk/pelvis/hip/knee):
        # clean 0; valgus 18 (knee poor) + drop 7 (pelvis fair) -> overall fair: 1+1+2 = 4;
        # lean 14 (trunk fair) + fast -> overall fair: 2; shallow (fair depth) -> 1;
        # touch-down -> overall poor: 2
        (0, 4, 2, 1, 2),
    ),
    "step_down": Scenario(
        "step_down",
        (RepSpec(**SD), RepSpec(**SD, valgus=18, arms_out=True), RepSpec(**SD, lean=14, hip_drop=7),
         RepSpec(**{**SD, "hold_s": 1.5}), RepSpec(**SD, wobble=0.08)),
        (F(), F({"knee_valgus", "knee_medial", "arm_strategy"}), F({"trunk_lean", "hip_drop"}),
         F({"unsteady"}), F({"unsteady"})),
        # Piva: clean 0; knee medial of the foot 2 + arm 1 = 3; trunk 1 + pelvis 1 = 2;
        # resting on the free foot 1; wavering knee 1
        (0, 3, 2, 1, 1),
    ),
    "bridge": Scenario(
        "bridge",
        (RepSpec(**BR), RepSpec(**BR, top_line=15), RepSpec(**{**BR, "hold_s": 0.3}, top_line=-22)),
        (F(), F({"lumbar_arch"}), F({"incomplete_extension", "short_hold"})),
        (0, 1, 2),
        single_leg=False,
    ),
    "bridge_single_leg": Scenario(
        "bridge",
        (RepSpec(**BR), RepSpec(**BR, top_line=15)),
        (F(), F({"lumbar_arch"})),
        (0, 1),
    ),
    "bridge_feet": Scenario(
        "bridge",
        (RepSpec(**BR), RepSpec(**BR, pelvic_tilt=12), RepSpec(**BR, knee_gap=-0.3),
         RepSpec(**BR, knee_gap=0.4)),
        (F(), F({"pelvic_tilt"}), F({"knee_cave"}), F({"knee_drift"})),
        (0, 2, 1, 1),
        view="feet",
        single_leg=False,
    ),
}
