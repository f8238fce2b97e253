"""The bundled sample clips (``sample_videos/``): specs and descriptions."""

from __future__ import annotations

from hipform.synth.clip import ClipSpec
from hipform.synth.motion import MotionParams

#: (down, hold, up) seconds: descents slow enough for the default profile's tempo rule.
_SLS_TEMPO = (2.2, 0.25, 1.0)
_SD_TEMPO = (1.6, 0.3, 1.0)
_BRIDGE_TEMPO = (1.6, 1.4, 1.0)  # bridge: lift 1.0 s, hold 1.4 s, lower 1.6 s
_REST = 0.6  # pause at the start position between reps

#: name -> (spec, one-line description). Every clip: 640x480, 30 fps, seeded.
SAMPLES: dict[str, tuple[ClipSpec, str]] = {
    "sls_clean": (
        ClipSpec(
            "sls_clean",
            MotionParams(
                "single_leg_squat",
                reps=2,
                tempo=_SLS_TEMPO,
                rest=_REST,
                depth=65,
                side="left",
                seed=11,
            ),
        ),
        "single-leg squat on the left leg, frontal view, 2 reps to 65 deg knee flexion, "
        "good form (knee over the foot, level pelvis)",
    ),
    "sls_faulty": (
        ClipSpec(
            "sls_faulty",
            MotionParams(
                "single_leg_squat",
                reps=2,
                tempo=_SLS_TEMPO,
                rest=_REST,
                depth=65,
                side="right",
                valgus=15.0,
                hip_drop=6.0,
                seed=12,
            ),
        ),
        "single-leg squat on the right leg, frontal view, 2 reps: 15 deg knee valgus "
        "(FPPA) and 6 deg contralateral pelvic drop at the bottom of every rep",
    ),
    "bridge_clean": (
        ClipSpec(
            "bridge_clean",
            MotionParams(
                "bridge", reps=2, tempo=_BRIDGE_TEMPO, rest=_REST, side="right", lumbar=0.0, seed=21
            ),
        ),
        "glute bridge, side view (subject's right side to the camera), 2 reps, hips lifted "
        "to the shoulder-knee line (lumbar extension 0 deg)",
    ),
    "bridge_arching": (
        ClipSpec(
            "bridge_arching",
            MotionParams(
                "bridge",
                reps=2,
                tempo=_BRIDGE_TEMPO,
                rest=_REST,
                side="right",
                lumbar=15.0,
                seed=22,
            ),
        ),
        "glute bridge, side view, 2 reps with lumbar arching: hips pushed 15 deg above the "
        "shoulder-knee line at the top",
    ),
    "stepdown_clean": (
        ClipSpec(
            "stepdown_clean",
            MotionParams(
                "step_down", reps=2, tempo=_SD_TEMPO, rest=_REST, depth=0.15, side="left", seed=31
            ),
        ),
        "lateral step-down from a 15 cm step on the left leg, frontal view, 2 reps, free "
        "heel lowered to 2 cm above the floor, level pelvis",
    ),
    "stepdown_hipdrop": (
        ClipSpec(
            "stepdown_hipdrop",
            MotionParams(
                "step_down",
                reps=2,
                tempo=_SD_TEMPO,
                rest=_REST,
                depth=0.15,
                side="left",
                hip_drop=8.0,
                seed=32,
            ),
        ),
        "lateral step-down from a 15 cm step on the left leg, frontal view, 2 reps with "
        "8 deg contralateral pelvic drop at the bottom",
    ),
}
