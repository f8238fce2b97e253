"""The trend plot as a PNG file, for ``hipform progress --plot FILE.png`` (matplotlib, Agg
canvas, no pyplot global state). matplotlib is imported inside the functions only (the
``report`` extra). The HTML report does not use this module: its plots are inline SVG
(:mod:`hipform.report.svgplot`), which also holds the colours used here.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hipform.report.svgplot import GRID as _GRID
from hipform.report.svgplot import INK as _INK
from hipform.report.svgplot import SIDE_COLOURS, _arr, trend_measures

__all__ = ["trend_plot_png"]


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
