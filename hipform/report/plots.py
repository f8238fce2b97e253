"""Report plots (matplotlib, Agg canvas, no pyplot global state). Each function returns
PNG bytes. matplotlib is imported inside the functions only (the ``report`` extra).
Colours and the decimation of long clips are shared with :mod:`hipform.report.svgplot`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hipform.report.svgplot import FLAG as _FLAG
from hipform.report.svgplot import GRID as _GRID
from hipform.report.svgplot import INK as _INK
from hipform.report.svgplot import SEVERE as _SEVERE
from hipform.report.svgplot import SIDE_COLOURS, _arr, _decimate, trend_measures

__all__ = ["SIDE_COLOURS", "measure_plot_png", "trend_plot_png"]


def _figure(
    width_in: float,
    height_in: float,
    *,
    left: float = 0.62,
    right: float = 0.15,
    top: float = 0.42,
    bottom: float = 0.5,
    wspace: float = 0.0,
    hspace: float = 0.0,
) -> Any:
    """A Figure on an Agg canvas with fixed margins in inches (constrained layout would
    double the drawing time)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in))
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=left / width_in, right=1 - right / width_in,
                        bottom=bottom / height_in, top=1 - top / height_in,
                        wspace=wspace, hspace=hspace)
    return fig


def _style(ax: Any) -> None:
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    for s in ("left", "bottom"):
        ax.spines[s].set_color("#9ca3af")
    ax.tick_params(colors="#4b5563", labelsize=8.5)
    ax.grid(True, color=_GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def _png(fig: Any, dpi: int) -> bytes:
    """Render to PNG, reduced to a 96-colour palette (about a third of the bytes; the plots
    are flat colours and anti-aliased lines, so the difference is not visible).

    The Agg canvas's pixels go to PIL directly: the same pixels (and the same bytes) as
    ``savefig`` to PNG and decoding that again, without the intermediate PNG."""
    from PIL import Image  # a matplotlib dependency

    fig.set_facecolor("white")
    fig.set_dpi(dpi)
    canvas = fig.canvas
    canvas.draw()
    w, h = canvas.get_width_height()
    im = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    pal = im.convert("RGB").quantize(colors=96, method=Image.Quantize.MEDIANCUT,
                                     dither=Image.Dither.NONE)
    out = io.BytesIO()
    # zlib level 6, not PIL's optimize (level 9): 4-11 ms instead of 45-85 ms a plot for
    # ~10 % more bytes (27.0 -> 29.5 kB), about 0.35 s off every analysis with a report
    pal.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def measure_plot_png(
    t_s: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    ylabel: str = "degrees",
    flag: float | None = None,
    severe: float | None = None,
    reps: Sequence[tuple[float, float]] = (),
    width_in: float = 8.0,
    height_in: float = 2.5,
    dpi: int = 130,
) -> bytes:
    """Per-frame plot of one measure.

    Args:
        t_s: frame times, seconds, length T.
        series: label (``"left"``, ``"right"``, ``"both"``, ...) -> T values in degrees
            (None = not measured; the line breaks there).
        flag, severe: thresholds in degrees; the area above ``flag`` is shaded amber,
            above ``severe`` red.
        reps: (start_s, end_s) of each repetition, shaded grey and numbered from 1.
    Returns:
        PNG bytes.
    """
    fig = _figure(width_in, height_in)
    ax = fig.add_subplot()
    _style(ax)
    t = np.asarray(t_s, dtype=np.float64)
    data = {k: _arr(v) for k, v in series.items()}
    t, data = _decimate(t, data, max_points=int(width_in * dpi * 1.5))
    finite = [a[np.isfinite(a)] for a in data.values()]
    finite = [a for a in finite if a.size]
    lo = min([0.0] + [float(a.min()) for a in finite])
    hi = max([1.0] + [float(a.max()) for a in finite])
    for thr in (flag, severe):
        if thr is not None:
            hi = max(hi, thr * 1.15)
    pad = 0.08 * (hi - lo)
    ymin, ymax = lo - pad, hi + pad
    label_reps = len(reps) <= max(4, int(width_in * 2.5))  # labels would collide
    for k, (a, b) in enumerate(reps):
        ax.axvspan(a, b, color="#f3f4f6", zorder=0, linewidth=0)
        if label_reps:
            ax.text((a + b) / 2, ymax, f"{'rep ' if len(reps) <= 8 else ''}{k + 1}",
                    ha="center", va="top", fontsize=7.5, color="#6b7280")
    if flag is not None:
        ax.axhspan(flag, severe if severe is not None else ymax, color=_FLAG, alpha=0.13,
                   linewidth=0, zorder=0.5)
        ax.axhline(flag, color=_FLAG, linewidth=1.0, linestyle="--", zorder=1)
    if severe is not None:
        ax.axhspan(severe, ymax, color=_SEVERE, alpha=0.10, linewidth=0, zorder=0.5)
        ax.axhline(severe, color=_SEVERE, linewidth=1.0, linestyle="--", zorder=1)
    for label, y in data.items():
        ax.plot(t, y, color=SIDE_COLOURS.get(label, _INK), linewidth=1.6, label=label,
                zorder=2)
    ax.set_ylim(ymin, ymax)
    if t.size:
        ax.set_xlim(float(t[0]), float(t[-1]))
    ax.set_title(title, loc="left", fontsize=10.5, color=_INK, fontweight="bold")
    ax.set_ylabel(ylabel, fontsize=8.5, color="#4b5563")
    ax.set_xlabel("time (s)", fontsize=8.5, color="#4b5563")
    if len(data) > 1:
        ax.legend(loc="upper right", fontsize=8, frameon=False, ncols=len(data),
                  bbox_to_anchor=(1.0, 1.18))
    return _png(fig, dpi)


def trend_plot_png(
    trend: Sequence[Mapping[str, Any]],
    *,
    sdd: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    measures: Sequence[str] | None = None,
    width_in: float = 4.4,
    height_in: float = 2.6,
    dpi: int = 130,
) -> bytes:
    """Trend of each measure per side across sessions (one panel per measure).

    Args:
        trend: rows oldest first, each with ``recorded_at`` (ISO text), optional
            ``label`` and ``measures`` = ``{measure: {side: degrees}}``
            (:meth:`hipform.store.Store.trend`).
        sdd: smallest detectable difference per measure (degrees); drawn as a band of
            +/- SDD around the first session's value: points inside it are within
            measurement error of the first session.
        measures: which measures to draw (default: every measure found), in order.
        width_in, height_in: size of one panel, inches.
    Returns:
        PNG bytes.
    """
    sdd = sdd or {}
    labels = labels or {}
    if measures is None:
        measures = trend_measures(trend)
    n = max(len(measures), 1)
    ncols = 2 if n > 1 else 1
    nrows = (n + ncols - 1) // ncols
    fig = _figure(width_in * ncols, height_in * nrows + (0.4 if title else 0),
                  top=0.3 + (0.4 if title else 0), bottom=0.75, wspace=0.25,
                  hspace=0.55 if nrows > 1 else 0.0)
    if title:
        fig.suptitle(title, fontsize=11.5, color=_INK, fontweight="bold", x=0.01, ha="left",
                     y=1 - 0.12 / fig.get_figheight(), va="top")
    x = np.arange(len(trend))
    ticks = [str(r.get("recorded_at") or "")[:10] for r in trend]
    for i, m in enumerate(measures or ["(no measures)"]):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        _style(ax)
        ax.set_title(labels.get(m, m), loc="left", fontsize=10, color=_INK, fontweight="bold")
        sides: list[str] = []
        bounds: list[float] = []
        for row in trend:
            for s in row.get("measures", {}).get(m, {}):
                if s not in sides:
                    sides.append(s)
        for s in sides:
            y = _arr([row.get("measures", {}).get(m, {}).get(s) for row in trend])
            colour = SIDE_COLOURS.get(s, _INK)
            ax.plot(x, y, marker="o", markersize=4.5, linewidth=1.6, color=colour, label=s)
            first = y[np.isfinite(y)]
            if first.size and m in sdd:
                lo_b, hi_b = first[0] - sdd[m], first[0] + sdd[m]
                ax.axhspan(lo_b, hi_b, color=colour, alpha=0.08, linewidth=0)
                ax.axhline(lo_b, color=colour, alpha=0.35, linewidth=0.8, linestyle=":")
                ax.axhline(hi_b, color=colour, alpha=0.35, linewidth=0.8, linestyle=":")
                bounds += [lo_b, hi_b]
            bounds += [float(v) for v in first]
        ax.set_xticks(x, ticks, rotation=30, ha="right", fontsize=7.5)
        ax.set_ylabel("degrees", fontsize=8.5, color="#4b5563")
        if len(trend) == 1:
            ax.set_xlim(-0.5, 0.5)
        if bounds:
            span = max(bounds) - min(bounds) or 1.0
            ax.set_ylim(min(bounds) - 0.12 * span, max(bounds) + 0.12 * span)
        if sides:
            ax.legend(fontsize=7.5, frameon=False, loc="best")
    return _png(fig, dpi)
