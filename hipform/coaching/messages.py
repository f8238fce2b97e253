"""The cue catalogue: fault or guidance code -> a short, plain-words cue.

Texts are written for a person mid-exercise: one action, said positively, at most one
sentence or two short ones. ``{side}`` is the stance side ("left"/"right"), ``{other}``
the free side; codes without a side use the generic text.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CueText", "CATALOGUE", "message", "FAULT_TITLES"]


@dataclass(frozen=True)
class CueText:
    """One catalogue entry: ``text`` (no side) and ``sided`` (with {side}/{other})."""

    text: str
    sided: str | None = None


CATALOGUE: dict[str, CueText] = {
    # ---- camera / view guidance
    "out_of_view": CueText("Step back so your whole body, feet included, is in view."),
    "turn_side_on": CueText("Turn side-on to the camera so I can see your hips from the side."),
    "face_camera": CueText("Face the camera so I can see both knees and your hips."),
    # ---- knee
    "knee_valgus": CueText(
        "Keep your knee over your second toe; don't let it cave in.",
        "Keep your {side} knee over your second toe; don't let it cave in.",
    ),
    "knee_medial": CueText(
        "Your knee is moving inside your foot: guide it out over your second toe.",
        "Your {side} knee is moving inside your foot: guide it out over your second toe.",
    ),
    "knee_cave": CueText("Keep your knees hip-width apart: press them gently outwards."),
    "knee_drift": CueText("Don't let your knees fall open: keep them in line with your feet."),
    # ---- pelvis
    "hip_drop": CueText(
        "Keep your pelvis level: don't let the free hip sink.",
        "Keep your pelvis level: push through your {side} hip so your {other} hip doesn't sink.",
    ),
    "hip_hike": CueText(
        "Keep your pelvis level: don't hitch the free hip up.",
        "Keep your pelvis level: don't hitch your {other} hip up.",
    ),
    "pelvic_tilt": CueText("Keep both hips at the same height at the top."),
    # ---- trunk and spine
    "trunk_lean": CueText(
        "Stay tall: keep your chest upright instead of leaning to the side.",
        "Stay tall: keep your chest upright instead of leaning over your {side} leg.",
    ),
    "lumbar_arch": CueText(
        "Ribs down and squeeze your glutes: lift with your hips, not by arching your back."
    ),
    # ---- balance and arms
    "arm_strategy": CueText("Keep your hands on your hips and find your balance through the leg."),
    "unsteady": CueText(
        "Stay steady: keep the free foot light and the standing leg still.",
        "Stay steady on your {side} leg: keep the {other} foot light, don't stand on it.",
    ),
    # ---- range and tempo
    "fast_descent": CueText("Slow the descent: take about {target:.0f} seconds on the way down."),
    "insufficient_depth": CueText("Go a little deeper, as far as you can keep control."),
    "incomplete_extension": CueText(
        "Push the floor away through your heels and lift until knees, hips and shoulders line up."
    ),
    "short_hold": CueText("Pause at the top and squeeze your glutes for a count of two."),
}

#: Short titles for reports and the overlay.
FAULT_TITLES: dict[str, str] = {
    "out_of_view": "body out of view",
    "turn_side_on": "turn side-on",
    "face_camera": "face the camera",
    "knee_valgus": "knee valgus",
    "knee_medial": "knee medial of the foot",
    "knee_cave": "knees caving in",
    "knee_drift": "knees drifting apart",
    "hip_drop": "contralateral hip drop",
    "hip_hike": "hip hike",
    "pelvic_tilt": "pelvis tilting",
    "trunk_lean": "trunk lean",
    "lumbar_arch": "lumbar arching",
    "arm_strategy": "arm strategy",
    "unsteady": "unsteady stance",
    "fast_descent": "fast descent",
    "insufficient_depth": "insufficient depth",
    "incomplete_extension": "incomplete hip extension",
    "short_hold": "short hold at the top",
}


def message(code: str, side: str | None = None, **params: float) -> str:
    """The cue text for ``code`` (KeyError if unknown).

    Args:
        code: a key of :data:`CATALOGUE`.
        side: stance side "left"/"right" for sided cues, or None.
        params: values for placeholders (e.g. ``target`` seconds for fast_descent).
    """
    entry = CATALOGUE[code]
    other = {"left": "right", "right": "left"}.get(side or "", "")
    tmpl = entry.sided if (entry.sided and side in ("left", "right")) else entry.text
    if "{target" in tmpl and "target" not in params:
        params = {**params, "target": 3.0}
    return tmpl.format(side=side or "", other=other, **params)
