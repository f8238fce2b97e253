"""Draw the overlay (skeleton, key angles by severity, cue, HUD) on a BGR frame.

Shared by the annotated video of ``analyze`` and the window of ``live``, so both
look the same. Drawing is in place on the given frame (callers pass their own copy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hipform.landmarks import LM, POSE_EDGES

OK = (80, 200, 80)        # BGR green
FLAG = (0, 190, 255)      # amber
SEVERE = (40, 40, 235)    # red
SKELETON = (255, 220, 120)
TEXT = (255, 255, 255)
PANEL = (25, 25, 25)

LEFT_IDS = {11, 13, 15, 23, 25, 27, 29, 31}


@dataclass
class HudState:
    """What the HUD shows for one frame. Any field may be empty."""

    exercise: str = ""
    side: str = ""
    reps: int = 0
    phase: str = ""
    last_tempo: str = ""
    faults: dict[str, int] = field(default_factory=dict)
    cue: str = ""
    cue_severity: int = 1            # 1 = flag, 2 = severe
    guidance: str = ""               # e.g. "Step back: whole body must be in view"
    fps: float | None = None
    #: angle labels: (landmark index, text, severity 0/1/2)
    angles: list[tuple[int, str, int]] = field(default_factory=list)


def severity_colour(sev: int) -> tuple[int, int, int]:
    return SEVERE if sev >= 2 else FLAG if sev == 1 else OK


def _put(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour: tuple,
         thick: int = 1, bg: tuple | None = PANEL) -> None:
    import cv2

    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    x, y = org
    if bg is not None:
        cv2.rectangle(img, (x - 3, y - th - 4), (x + tw + 3, y + base + 2), bg, -1)
    cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick, cv2.LINE_AA)


def draw_skeleton(img: np.ndarray, xyzv: np.ndarray, vis_min: float = 0.5) -> None:
    """Skeleton lines and joints for one person: xyzv float (33, 4) pixels."""
    import cv2

    if xyzv is None or not np.isfinite(xyzv[LM.LEFT_HIP, 0]):
        return
    h, w = img.shape[:2]
    thick = max(2, int(round(min(h, w) / 240)))
    ok = np.isfinite(xyzv[:, 0]) & (np.nan_to_num(xyzv[:, 3]) >= vis_min)
    pts = np.nan_to_num(xyzv[:, :2]).astype(np.int32)
    for a, b in POSE_EDGES:
        if ok[a] and ok[b]:
            cv2.line(img, tuple(pts[a]), tuple(pts[b]), SKELETON, thick, cv2.LINE_AA)
    for i in range(11, 33):
        if ok[i] and i not in (17, 18, 19, 20, 21, 22):
            col = (255, 140, 60) if i in LEFT_IDS else (60, 140, 255)
            cv2.circle(img, tuple(pts[i]), thick + 2, col, -1, cv2.LINE_AA)


def draw_overlay(img: np.ndarray, xyzv: np.ndarray | None, hud: HudState) -> np.ndarray:
    """Draw skeleton, angle labels, cue and HUD on ``img`` (in place); returns ``img``."""
    h, w = img.shape[:2]
    scale = max(0.45, min(h, w) / 900)
    if xyzv is not None:
        draw_skeleton(img, xyzv)
        for idx, text, sev in hud.angles:
            x, y = xyzv[idx, 0], xyzv[idx, 1]
            if np.isfinite(x) and np.isfinite(y):
                _put(img, text, (int(x) + 8, int(y) - 8), scale, severity_colour(sev), 1)
    # top-left HUD panel
    lines = []
    if hud.exercise:
        lines.append(f"{hud.exercise.replace('_', ' ')}" + (f" ({hud.side})" if hud.side else ""))
    lines.append(f"reps {hud.reps}" + (f"  phase {hud.phase}" if hud.phase else ""))
    if hud.last_tempo:
        lines.append(f"tempo {hud.last_tempo}")
    if hud.faults:
        from hipform.coaching.messages import FAULT_TITLES

        lines.append("faults: " + ", ".join(f"{FAULT_TITLES.get(k, k)} x{v}"
                                             for k, v in sorted(hud.faults.items())))
    if hud.fps is not None:
        lines.append(f"{hud.fps:.0f} fps")
    y = int(22 * scale / 0.45)
    for ln in lines:
        _put(img, ln, (8, y), scale, TEXT, 1)
        y += int(20 * scale / 0.45)
    # the cue (or guidance) large, at the bottom
    if hud.guidance:
        msg, col = hud.guidance, FLAG
    else:
        msg, col = hud.cue, severity_colour(hud.cue_severity)
    if msg:
        import cv2

        big = scale * 1.6
        thick = 2
        (tw, th), _ = cv2.getTextSize(msg, cv2.FONT_HERSHEY_SIMPLEX, big, thick)
        while tw > w - 20 and big > 0.4:
            big *= 0.9
            (tw, th), _ = cv2.getTextSize(msg, cv2.FONT_HERSHEY_SIMPLEX, big, thick)
        x0 = max(10, (w - tw) // 2)
        y0 = h - 18
        cv2.rectangle(img, (x0 - 10, y0 - th - 12), (x0 + tw + 10, y0 + 10), PANEL, -1)
        cv2.rectangle(img, (x0 - 10, y0 - th - 12), (x0 + tw + 10, y0 + 10), col, 2)
        cv2.putText(img, msg, (x0, y0), cv2.FONT_HERSHEY_SIMPLEX, big, col, thick, cv2.LINE_AA)
    return img
