"""The overlay: angle labels never overlap each other or leave the frame; cached text
sprites draw the same pixels as drawing the text directly; the skeleton is drawn."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hipform.landmarks import LM
from hipform.report import overlay as ov
from hipform.report.overlay import HudState, draw_overlay, layout_labels, text_box_size

W, H = 640, 480


def _body(knee_gap: float = 10.0, cx: float = 320.0) -> np.ndarray:
    """A frontal standing person, float32 (33, 4) px, knees ``knee_gap`` px apart."""
    x = np.full((33, 4), np.nan, np.float32)
    x[:, 3] = 1.0
    pts = {LM.NOSE: (cx, 60), LM.LEFT_EYE: (cx + 8, 52), LM.RIGHT_EYE: (cx - 8, 52),
           LM.LEFT_SHOULDER: (cx + 45, 110), LM.RIGHT_SHOULDER: (cx - 45, 110),
           LM.LEFT_ELBOW: (cx + 55, 170), LM.RIGHT_ELBOW: (cx - 55, 170),
           LM.LEFT_WRIST: (cx + 60, 225), LM.RIGHT_WRIST: (cx - 60, 225),
           LM.LEFT_HIP: (cx + 30, 240), LM.RIGHT_HIP: (cx - 30, 240),
           LM.LEFT_KNEE: (cx + knee_gap / 2, 330), LM.RIGHT_KNEE: (cx - knee_gap / 2, 332),
           LM.LEFT_ANKLE: (cx + 30, 420), LM.RIGHT_ANKLE: (cx - 30, 420),
           LM.LEFT_HEEL: (cx + 32, 430), LM.RIGHT_HEEL: (cx - 32, 430),
           LM.LEFT_FOOT_INDEX: (cx + 40, 440), LM.RIGHT_FOOT_INDEX: (cx - 40, 440)}
    for i, (px, py) in pts.items():
        x[int(i), :2] = (px, py)
    return x


def _no_overlap(boxes: list[tuple[int, int, int, int]]) -> None:
    for a, b in itertools.combinations(boxes, 2):
        sep = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
        assert sep, f"labels overlap: {a} and {b}"


def _inside(boxes: list[tuple[int, int, int, int]], w: int = W, h: int = H) -> None:
    for x0, y0, x1, y1 in boxes:
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, f"box {(x0, y0, x1, y1)} off the frame"


def test_two_labels_near_each_other_do_not_overlap():
    # the knees of a frontal single-leg squat, 6 px apart: left knee (image right of the
    # midline) goes right, right knee goes left
    sizes = [text_box_size("valgus +12", 0.53)[:2], text_box_size("valgus -3", 0.53)[:2]]
    anchors = np.array([[323.0, 330.0], [317.0, 331.0]])
    boxes = layout_labels(anchors, sizes, (W, H), mid_x=320.0)
    _no_overlap(boxes)
    _inside(boxes)
    assert boxes[0][0] > 323 and boxes[1][2] < 317, "each label on its outer side"
    # the same anchors with no midline known (both prefer the right): stacked instead
    boxes = layout_labels(anchors, sizes, (W, H), mid_x=None)
    _no_overlap(boxes)
    _inside(boxes)


def test_labels_on_the_same_joint_stack():
    sizes = [(90, 20)] * 4
    anchors = np.array([[300.0, 200.0]] * 4)
    boxes = layout_labels(anchors, sizes, (W, H), mid_x=250.0)
    _no_overlap(boxes)
    _inside(boxes)
    # all still next to the joint (within a few label heights)
    assert all(abs((b[1] + b[3]) / 2 - 200) < 4 * 22 for b in boxes)


@pytest.mark.parametrize("anchor", [(2.0, 3.0), (637.0, 478.0), (636.0, 2.0), (1.0, 477.0),
                                    (-30.0, 250.0), (700.0, 250.0)])
def test_labels_at_the_frame_edge_stay_inside(anchor):
    sizes = [(110, 22), (95, 22)]
    anchors = np.array([anchor, (anchor[0] + 4, anchor[1] + 3)])
    boxes = layout_labels(anchors, sizes, (W, H), mid_x=320.0)
    _no_overlap(boxes)
    _inside(boxes)


def test_drawn_knee_labels_do_not_overlap_in_the_picture():
    """Drawn through draw_overlay: the two label boxes (PANEL pixels) are separate."""
    import cv2

    img = np.full((H, W, 3), 128, np.uint8)
    hud = HudState(angles=[(int(LM.LEFT_KNEE), "valgus +14", 2),
                           (int(LM.RIGHT_KNEE), "valgus +11", 1)])
    draw_overlay(img, _body(knee_gap=4.0), hud)
    panel = np.all(img == ov.PANEL, axis=2).astype(np.uint8)
    panel[:200] = 0  # the HUD lines (top left) are PANEL too
    n, _, stats, _ = cv2.connectedComponentsWithStats(panel, connectivity=4)
    big = [s for s in stats[1:] if s[cv2.CC_STAT_AREA] > 200]
    assert len(big) == 2, f"expected 2 separate label boxes, got {len(big)}: {big}"
    # red for the severe one, amber for the flagged one
    assert (np.abs(img.astype(int) - ov.SEVERE).max(axis=2) <= 10).sum() > 20
    assert (np.abs(img.astype(int) - ov.FLAG).max(axis=2) <= 10).sum() > 20


def test_cached_text_box_is_the_same_as_drawing_it():
    import cv2

    ov._sprites.clear()
    for text, org, scale, col in [("reps 3  phase down", (8, 26), 0.53, ov.TEXT),
                                  ("valgus +12", (400, 300), 0.6, ov.SEVERE)]:
        a = np.full((H, W, 3), 90, np.uint8)
        b = a.copy()
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        x, y = org
        cv2.rectangle(a, (x - 3, y - th - 4), (x + tw + 3, y + base + 2), ov.PANEL, -1)
        cv2.putText(a, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, col, 1, cv2.LINE_AA)
        ov.draw_text_box(b, text, org, scale, col)   # rendered
        c = np.full_like(b, 90)
        ov.draw_text_box(c, text, org, scale, col)   # from the cache
        assert np.array_equal(b, c)
        # the same pixels, except anti-aliasing that spilled outside the box
        diff = np.abs(a.astype(int) - b).max(axis=2)
        assert (diff > 0).sum() <= 0.01 * (tw * th), (diff > 0).sum()
    assert len(ov._sprites) == 2


def test_text_box_clipped_at_the_frame_edge():
    img = np.zeros((40, 60, 3), np.uint8)
    ov.draw_text_box(img, "a long label that runs off", (30, 20), 0.6, ov.TEXT)
    assert img[:, 30:].any() and not img[:, :20].any()
    ov.draw_text_box(img, "off", (500, 500), 0.6, ov.TEXT)  # entirely outside: no error


def test_overlay_draws_skeleton_cue_and_hud():
    img = np.full((H, W, 3), 128, np.uint8)
    hud = HudState(exercise="single_leg_squat", side="left", reps=2, phase="down",
                   faults={"knee_valgus": 1}, cue="Knee out", cue_severity=2, fps=30.0)
    out = draw_overlay(img, _body(), hud)
    assert out is img
    d = np.abs(img.astype(int) - ov.SKELETON).max(axis=2)
    assert (d <= 10).sum() > 300
    bottom = img[H - 80:]
    assert (np.abs(bottom.astype(int) - ov.SEVERE).max(axis=2) <= 10).sum() > 200
    assert np.all(img[30, 10] == ov.PANEL) or np.all(img[20, 10] == ov.PANEL)
    # no person: only the HUD, no skeleton
    img2 = np.full((H, W, 3), 128, np.uint8)
    draw_overlay(img2, None, hud)
    assert (np.abs(img2.astype(int) - ov.SKELETON).max(axis=2) <= 10).sum() == 0
