"""Stand-in overlay thumbnails for the report tests (the real ones come from the
integrator's overlay drawing)."""

from __future__ import annotations

import io
import math


def stick_figure(valgus_deg: float, *, highlight: str = "knee", fmt: str = "jpeg") -> bytes:
    """A 320x240 frame with a front-view stick figure whose left knee caves in by
    ``valgus_deg``; the faulty segment drawn red (like the overlay). JPEG or PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.2, 2.4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 320)
    ax.set_ylim(240, 0)
    ax.set_facecolor("#2b2f36")
    ax.axis("off")
    ax.add_patch(__import__("matplotlib.patches", fromlist=["Rectangle"]).Rectangle(
        (0, 0), 320, 240, color="#2b2f36"))
    ax.plot([0, 320], [222, 222], color="#4b5563", lw=3)
    sh_l, sh_r, hip_l, hip_r = (182, 60), (138, 60), (174, 125), (146, 125)
    if highlight == "hip":
        hip_r = (146, 133)
    ank_l = (178, 215)
    shift = 45 * math.tan(math.radians(valgus_deg))
    knee_l = ((hip_l[0] + ank_l[0]) / 2 - shift, 170)
    knee_r, ank_r = (128, 160), (112, 185)
    bone = {"color": "#e5e7eb", "lw": 4, "solid_capstyle": "round"}
    bad = {"color": "#ef4444", "lw": 5, "solid_capstyle": "round"}
    for p, q in [(sh_l, sh_r), (sh_l, hip_l), (sh_r, hip_r), (knee_r, ank_r),
                 (hip_r, knee_r)]:
        ax.plot([p[0], q[0]], [p[1], q[1]], **bone)
    ax.plot([hip_l[0], hip_r[0]], [hip_l[1], hip_r[1]], **(bad if highlight == "hip" else bone))
    for p, q in [(hip_l, knee_l), (knee_l, ank_l)]:
        ax.plot([p[0], q[0]], [p[1], q[1]], **(bad if highlight == "knee" else bone))
    ax.plot([hip_l[0], ank_l[0]], [hip_l[1], ank_l[1]], color="#fbbf24", lw=1.2, ls="--")
    ax.add_patch(__import__("matplotlib.patches", fromlist=["Circle"]).Circle(
        (160, 38), 14, color="#e5e7eb"))
    ax.text(10, 18, f"{valgus_deg:.0f}°" if highlight == "knee" else "hip drop",
            color="#fecaca", fontsize=11, fontweight="bold")
    buf = io.BytesIO()
    fig.savefig(buf, format="jpeg" if fmt == "jpeg" else "png", dpi=100)
    return buf.getvalue()
