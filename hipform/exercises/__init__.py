"""Exercise engines: reps, phases, tempo, faults, rubric scores and cues.

    from hipform.exercises import analyze_exercise, ExerciseSession, recognize_exercise, EXERCISES
    res = analyze_exercise(lm, metrics, exercise="auto", side=None, profile=None)
    sess = ExerciseSession("single_leg_squat", side=None)
    events = sess.update(i, t_ms, lm_row, frame_metrics(metrics, i))
"""

from hipform.exercises.base import EngineBase, Exercise
from hipform.exercises.bridge import Bridge
from hipform.exercises.detect import detect_side, recognize_exercise
from hipform.exercises.segment import RepSegmenter, measure_tempo
from hipform.exercises.session import EXERCISES, ExerciseSession, analyze_exercise, get_exercise
from hipform.exercises.standing import SingleLegSquat, StepDown
from hipform.exercises.types import (
    Event,
    ExerciseResult,
    Fault,
    FrameMetrics,
    Rep,
    SessionState,
    frame_metrics,
)

__all__ = [
    "EXERCISES",
    "Bridge",
    "EngineBase",
    "Event",
    "Exercise",
    "ExerciseResult",
    "ExerciseSession",
    "Fault",
    "FrameMetrics",
    "Rep",
    "RepSegmenter",
    "SessionState",
    "SingleLegSquat",
    "StepDown",
    "analyze_exercise",
    "detect_side",
    "frame_metrics",
    "get_exercise",
    "measure_tempo",
    "recognize_exercise",
]
