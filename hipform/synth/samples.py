"""The bundled sample clips (``sample_videos/``): specs and descriptions."""

from __future__ import annotations

from hipform.synth.clip import ClipSpec
from hipform.synth.motion import Exercise, MotionParams, Side

#: (down, hold, up) seconds: descents slow enough for the default profile's tempo rule.
_SLS_TEMPO = (2.2, 0.25, 1.0)
_SD_TEMPO = (1.6, 0.3, 1.0)
_BRIDGE_TEMPO = (1.6, 1.4, 1.0)  # bridge: lift 1.0 s, hold 1.4 s, lower 1.6 s
_REST = 0.6  # pause at the start position between reps

#: Per exercise: (tempo, depth) of every sample clip (depth: knee flexion in degrees for
#: the squat, step height in metres for the step-down, None = MotionParams' default).
_EXERCISE: dict[str, tuple[tuple[float, float, float], float | None]] = {
    "single_leg_squat": (_SLS_TEMPO, 65),
    "bridge": (_BRIDGE_TEMPO, None),
    "step_down": (_SD_TEMPO, 0.15),
}


def _sample(name: str, exercise: Exercise, side: Side, seed: int, description: str,
            **faults: float) -> tuple[ClipSpec, str]:
    """One sample clip: 2 reps of ``exercise`` at its sample tempo and depth, ``_REST``
    seconds between reps, with the fault sizes ``faults`` (degrees; see MotionParams)."""
    tempo, depth = _EXERCISE[exercise]
    extra = {} if depth is None else {"depth": depth}
    motion = MotionParams(exercise, reps=2, tempo=tempo, rest=_REST, side=side, seed=seed,
                          **extra, **faults)
    return ClipSpec(name, motion), description


#: name -> (spec, one-line description). Every clip: 640x480, 30 fps, seeded.
SAMPLES: dict[str, tuple[ClipSpec, str]] = {
    spec.name: (spec, description)
    for spec, description in (
        _sample(
            "sls_clean", "single_leg_squat", "left", 11,
            "single-leg squat on the left leg, frontal view, 2 reps to 65 deg knee flexion, "
            "good form (knee over the foot, level pelvis)",
        ),
        _sample(
            "sls_faulty", "single_leg_squat", "right", 12,
            "single-leg squat on the right leg, frontal view, 2 reps: 15 deg knee valgus "
            "(FPPA) and 6 deg contralateral pelvic drop at the bottom of every rep",
            valgus=15.0, hip_drop=6.0,
        ),
        _sample(
            "bridge_clean", "bridge", "right", 21,
            "glute bridge, side view (subject's right side to the camera), 2 reps, hips "
            "lifted to the shoulder-knee line (lumbar extension 0 deg)",
            lumbar=0.0,
        ),
        _sample(
            "bridge_arching", "bridge", "right", 22,
            "glute bridge, side view, 2 reps with lumbar arching: hips pushed 15 deg above "
            "the shoulder-knee line at the top",
            lumbar=15.0,
        ),
        _sample(
            "stepdown_clean", "step_down", "left", 31,
            "lateral step-down from a 15 cm step on the left leg, frontal view, 2 reps, free "
            "heel lowered to 2 cm above the floor, level pelvis",
        ),
        _sample(
            "stepdown_hipdrop", "step_down", "left", 32,
            "lateral step-down from a 15 cm step on the left leg, frontal view, 2 reps with "
            "8 deg contralateral pelvic drop at the bottom",
            hip_drop=8.0,
        ),
    )
}
