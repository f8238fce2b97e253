"""Draw the overlay (skeleton, key angles by severity, cue, HUD) on a BGR frame.

Shared by the annotated video of ``analyze`` and the window of ``live``, so both
look the same. Drawing is in place on the given frame (callers pass their own copy).

Cost (it runs on every live frame): every text box (HUD lines, angle labels, the cue
box, the key hint) is opaque, so it is rendered once into a small bitmap ("sprite")
and afterwards copied into the frame with one slice assignment while the same text is
shown again (an LRU cache of :data:`SPRITE_CACHE_SIZE` sprites). The skeleton's bones
are one ``cv2.polylines`` call. No full-frame copy, blend or colour conversion.

Angle labels are placed by :func:`layout_labels`: each on the outer side of its joint
(away from the body's midline, so the two knees' labels go left and right), moved
up/down (then to the other side) until it overlaps no other label, and kept inside the
frame.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from hipform.landmarks import LM, POSE_EDGES

__all__ = ["HudState", "draw_overlay", "draw_skeleton", "draw_text_box", "layout_labels",
           "severity_colour", "text_box_size"]

OK = (80, 200, 80)        # BGR green
FLAG = (0, 190, 255)      # amber
SEVERE = (40, 40, 235)    # red
SKELETON = (255, 220, 120)
TEXT = (255, 255, 255)
PANEL = (25, 25, 25)

LEFT_IDS = {11, 13, 15, 23, 25, 27, 29, 31}

_EDGES = np.array(POSE_EDGES, np.int64)                       # (E, 2) landmark indices
_JOINTS = np.array([i for i in range(11, 33) if i not in (17, 18, 19, 20, 21, 22)])
_JOINT_LEFT = np.array([i in LEFT_IDS for i in _JOINTS])
LEFT_JOINT = (255, 140, 60)
RIGHT_JOINT = (60, 140, 255)

#: Text sprites kept (a few hundred small bitmaps: well under 10 MB).
SPRITE_CACHE_SIZE = 512
#: Gap kept between two angle labels and to the frame edge (pixels).
LABEL_GAP = 2

_FONT = 0  # cv2.FONT_HERSHEY_SIMPLEX (avoids importing cv2 at import time)


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


# ----------------------------------------------------------------------------- sprites
class _Sprite:
    """A rendered opaque text box: ``img`` uint8 (h, w, 3) BGR; ``dx``, ``dy`` the offset
    (px) of its top-left corner from the text origin it was rendered for."""

    __slots__ = ("img", "dx", "dy")

    def __init__(self, img: np.ndarray, dx: int, dy: int) -> None:
        self.img, self.dx, self.dy = img, dx, dy


_sprites: OrderedDict[tuple, _Sprite] = OrderedDict()


_sprites_lock = threading.Lock()  # analyze draws on a writer thread, live on the main one


def _cached(key: tuple, make) -> _Sprite:  # noqa: ANN001 - a () -> _Sprite factory
    with _sprites_lock:
        s = _sprites.get(key)
        if s is not None:
            _sprites.move_to_end(key)
            return s
    s = make()
    with _sprites_lock:
        _sprites[key] = s
        while len(_sprites) > SPRITE_CACHE_SIZE:
            _sprites.popitem(last=False)
    return s


def _blit(img: np.ndarray, sprite: np.ndarray, x: int, y: int) -> None:
    """Copy ``sprite`` (h, w, 3) into ``img`` with its top-left at (x, y), clipped."""
    H, W = img.shape[:2]
    h, w = sprite.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    img[y0:y1, x0:x1] = sprite[y0 - y:y1 - y, x0 - x:x1 - x]


def text_box_size(text: str, scale: float, thick: int = 1,
                  pad: int = 3) -> tuple[int, int, int, int]:
    """The box :func:`draw_text_box` draws for ``text``: (width, height, dx, dy) in px,
    where (dx, dy) is the box's top-left corner relative to the text origin (baseline
    start). The box is the text's extent plus ``pad`` px left/right, 4 px above and
    (baseline + 2) px below."""
    import cv2

    (tw, th), base = cv2.getTextSize(text, _FONT, scale, thick)
    return tw + 2 * pad + 1, th + base + 7, -pad, -th - 4


def draw_text_box(img: np.ndarray, text: str, org: tuple[int, int], scale: float,
                  colour: tuple, thick: int = 1, bg: tuple = PANEL, pad: int = 3) -> None:
    """``text`` on an opaque ``bg`` box, its baseline starting at ``org`` (x, y px), in
    place on ``img`` (BGR uint8 (H, W, 3)); clipped at the frame edges. Rendered once
    per (text, scale, colour, thickness, bg, pad) and then copied from the cache."""

    def make() -> _Sprite:
        import cv2

        w, h, dx, dy = text_box_size(text, scale, thick, pad)
        spr = np.empty((h, w, 3), np.uint8)
        spr[:] = bg
        cv2.putText(spr, text, (-dx, -dy), _FONT, scale, colour, thick, cv2.LINE_AA)
        return _Sprite(spr, dx, dy)

    s = _cached(("t", text, float(scale), tuple(colour), int(thick), tuple(bg), int(pad)), make)
    _blit(img, s.img, int(org[0]) + s.dx, int(org[1]) + s.dy)


def _put(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour: tuple,
         thick: int = 1, bg: tuple | None = PANEL) -> None:
    if bg is not None:
        draw_text_box(img, text, org, scale, colour, thick, bg)
        return
    import cv2

    cv2.putText(img, text, org, _FONT, scale, colour, thick, cv2.LINE_AA)


def _cue_sprite(msg: str, width: int, scale: float, col: tuple) -> _Sprite:
    """The framed cue box for a frame ``width`` px wide; dx = its left edge (frame x),
    dy = its top relative to the text baseline."""

    def make() -> _Sprite:
        import cv2

        big = scale * 1.6
        thick = 2
        (tw, th), _ = cv2.getTextSize(msg, _FONT, big, thick)
        while tw > width - 20 and big > 0.4:
            big *= 0.9
            (tw, th), _ = cv2.getTextSize(msg, _FONT, big, thick)
        x0 = max(10, (width - tw) // 2)
        # box: (x0 - 10, y0 - th - 12) .. (x0 + tw + 10, y0 + 10), border 2 px (1 outside)
        bw, bh = tw + 23, th + 25
        spr = np.empty((bh, bw, 3), np.uint8)
        spr[:] = PANEL
        cv2.rectangle(spr, (1, 1), (bw - 2, bh - 2), col, 2)
        cv2.putText(spr, msg, (11, th + 13), _FONT, big, col, thick, cv2.LINE_AA)
        return _Sprite(spr, x0 - 11, -th - 13)

    return _cached(("cue", msg, int(width), float(scale), tuple(col)), make)


# ----------------------------------------------------------------------------- skeleton
def draw_skeleton(img: np.ndarray, xyzv: np.ndarray, vis_min: float = 0.5) -> None:
    """Skeleton lines and joints for one person: xyzv float (33, 4) pixels."""
    import cv2

    if xyzv is None or not np.isfinite(xyzv[LM.LEFT_HIP, 0]):
        return
    h, w = img.shape[:2]
    thick = max(2, int(round(min(h, w) / 240)))
    ok = np.isfinite(xyzv[:, 0]) & (np.nan_to_num(xyzv[:, 3]) >= vis_min)
    pts = np.nan_to_num(xyzv[:, :2]).astype(np.int32)
    bones = _EDGES[ok[_EDGES[:, 0]] & ok[_EDGES[:, 1]]]
    if len(bones):
        cv2.polylines(img, list(pts[bones]), False, SKELETON, thick, cv2.LINE_AA)
    r = thick + 2
    for i, left in zip(_JOINTS[ok[_JOINTS]].tolist(), _JOINT_LEFT[ok[_JOINTS]].tolist(),
                       strict=True):
        cv2.circle(img, (int(pts[i, 0]), int(pts[i, 1])), r,
                   LEFT_JOINT if left else RIGHT_JOINT, -1, cv2.LINE_AA)


# ----------------------------------------------------------------------------- labels
def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int], gap: int) -> bool:
    return (a[0] < b[2] + gap and b[0] < a[2] + gap
            and a[1] < b[3] + gap and b[1] < a[3] + gap)


def layout_labels(anchors: np.ndarray, sizes: list[tuple[int, int]], frame: tuple[int, int],
                  mid_x: float | None = None, offset: int = 8,
                  gap: int = LABEL_GAP) -> list[tuple[int, int, int, int]]:
    """Boxes for labels next to their joints that overlap neither each other nor the
    frame edge.

    Args:
        anchors: float (N, 2) joint positions (x, y px).
        sizes: N label sizes (width, height px).
        frame: (width, height) px.
        mid_x: the body's midline x (px); a label goes on the side of its joint away
            from it (the outer side). None: to the right.
        offset: distance (px) of the box from its joint, sideways and upwards.
        gap: minimum distance (px) between two boxes.
    Returns:
        N boxes (x0, y0, x1, y1) px, x1/y1 exclusive, in the order given. Placed one
        after the other: first beside the joint, raised by ``offset``; if that overlaps
        an earlier box, the nearest free slot up or down the same side, then the other
        side; a label bigger than the frame is clamped.
    """
    W, H = int(frame[0]), int(frame[1])
    placed: list[tuple[int, int, int, int]] = []
    for (ax, ay), (w, h) in zip(np.asarray(anchors, np.float64), sizes, strict=True):
        right = mid_x is None or not np.isfinite(mid_x) or ax >= mid_x
        y_pref = int(ay) - offset - h
        best = None
        step = h + gap
        for side in (right, not right):
            x = int(ax) + offset if side else int(ax) - offset - w
            x = min(max(x, gap), W - gap - w)
            for k in range(0, 2 * (H // max(1, step)) + 2):
                dy = (k + 1) // 2 * step * (1 if k % 2 else -1)  # 0, +1, -1, +2, -2, ...
                y = min(max(y_pref + dy, gap), H - gap - h)
                box = (x, y, x + w, y + h)
                if not any(_overlaps(box, p, gap) for p in placed):
                    best = box
                    break
            if best is not None:
                break
        if best is None:  # no free slot anywhere (tiny frame): keep it beside the joint
            x = min(max(int(ax) + offset, 0), max(0, W - w))
            y = min(max(y_pref, 0), max(0, H - h))
            best = (x, y, x + w, y + h)
        placed.append(best)
    return placed


def _mid_x(xyzv: np.ndarray) -> float | None:
    for a, b in ((LM.LEFT_HIP, LM.RIGHT_HIP), (LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)):
        m = 0.5 * (float(xyzv[a, 0]) + float(xyzv[b, 0]))
        if np.isfinite(m):
            return m
    return None


def _draw_angle_labels(img: np.ndarray, xyzv: np.ndarray,
                       angles: list[tuple[int, str, int]], scale: float) -> None:
    items = [(int(i), t, s) for i, t, s in angles
             if np.isfinite(xyzv[int(i), 0]) and np.isfinite(xyzv[int(i), 1])]
    if not items:
        return
    h, w = img.shape[:2]
    boxes_of = [_label_offsets(text, scale) for _, text, _ in items]
    anchors = xyzv[[i for i, _, _ in items], :2]
    boxes = layout_labels(anchors, [(b[0], b[1]) for b in boxes_of], (w, h), _mid_x(xyzv))
    for (_, text, sev), (x0, y0, _, _), (_, _, dx, dy) in zip(items, boxes, boxes_of,
                                                              strict=True):
        # the text origin is the box corner minus the box's offset from the origin
        draw_text_box(img, text, (x0 - dx, y0 - dy), scale, severity_colour(sev))


def _label_offsets(text: str, scale: float) -> tuple[int, int, int, int]:
    s = _label_cache.get((text, scale))
    if s is None:
        s = text_box_size(text, scale)
        if len(_label_cache) > SPRITE_CACHE_SIZE:
            _label_cache.clear()
        _label_cache[(text, scale)] = s
    return s


_label_cache: dict[tuple[str, float], tuple[int, int, int, int]] = {}


# ----------------------------------------------------------------------------- overlay
def draw_overlay(img: np.ndarray, xyzv: np.ndarray | None, hud: HudState) -> np.ndarray:
    """Draw skeleton, angle labels, cue and HUD on ``img`` (in place); returns ``img``.

    Args:
        img: BGR uint8 (H, W, 3), drawn on in place.
        xyzv: float (33, 4) landmarks in pixels (x, y, z, visibility), or None.
        hud: what the HUD shows.
    """
    h, w = img.shape[:2]
    scale = max(0.45, min(h, w) / 900)
    if xyzv is not None:
        draw_skeleton(img, xyzv)
        if hud.angles:
            _draw_angle_labels(img, xyzv, hud.angles, scale)
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
        draw_text_box(img, ln, (8, y), scale, TEXT)
        y += int(20 * scale / 0.45)
    # the cue (or guidance) large, at the bottom
    if hud.guidance:
        msg, col = hud.guidance, FLAG
    else:
        msg, col = hud.cue, severity_colour(hud.cue_severity)
    if msg:
        s = _cue_sprite(msg, w, scale, col)
        _blit(img, s.img, s.dx, h - 18 + s.dy)
    return img
