"""``summary.html`` of a batch: one self-contained file (inline CSS and SVG, no scripts,
no network).

Sections: counts; flagged clips first (failed, then clips with faults, most faults
first), then the table of every clip; a histogram per measure (inline SVG, the
clip-level worst values, degrees or seconds); a left/right comparison per subject (mean
of the clip worst values over the clips of each stance side, and right - left).
"""

from __future__ import annotations

import html
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hipform.batch.scores import MEASURES, atomic_write_text
from hipform.util import finite_float as _num

__all__ = ["write_summary", "render_summary", "svg_histogram"]

_UNITS = {"_s_mean": "s"}
_HIST = [(f"{m}_worst", f"{m.replace('_', ' ')} (worst per clip)", "°") for m, _, _ in MEASURES]
_HIST += [("eccentric_s_mean", "eccentric time (mean per clip)", "s"),
          ("concentric_s_mean", "concentric time (mean per clip)", "s"),
          ("rubric_total", "rubric total", "")]
_TABLE = ["clip", "status", "reason", "subject", "session", "exercise", "side", "view", "reps",
          "knee_valgus_worst", "hip_drop_worst", "lumbar_extension_worst", "trunk_lean_worst",
          "eccentric_s_mean", "concentric_s_mean", "rubric_total", "faults_total",
          "processing_s"]
#: short column titles (the full names are in scores.csv)
_TITLES = {"knee_valgus_worst": "valgus worst °", "hip_drop_worst": "hip drop worst °",
           "lumbar_extension_worst": "lumbar worst °", "trunk_lean_worst": "trunk lean worst °",
           "eccentric_s_mean": "eccentric s", "concentric_s_mean": "concentric s",
           "rubric_total": "rubric", "faults_total": "faults", "processing_s": "time s"}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right;vertical-align:top}
th{background:#f2f2f2}td.t{text-align:left}td.clip{white-space:nowrap}
td.reason{min-width:14em;max-width:26em;font-size:.9em}.scroll{overflow-x:auto}
tr.failed td{background:#fde2e2}tr.flag td{background:#fff4d6}
.cards span{display:inline-block;border:1px solid #ccc;border-radius:6px;padding:6px 12px;
margin:0 8px 8px 0}.hists{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #ddd;padding:6px}figcaption{font-size:.85em}
"""


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"
    return str(v)


def svg_histogram(values: Sequence[float | None], title: str, unit: str = "", bins: int = 12,
                  width: int = 300, height: int = 160) -> str:
    """An inline SVG histogram of ``values`` (any units; NaN/None ignored)."""
    vals = [v for v in (_num(x) for x in values) if v is not None]
    esc = html.escape
    if not vals:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="40">'
                f'<text x="4" y="24" font-size="12">{esc(title)}: no values</text></svg>')
    lo, hi = min(vals), max(vals)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    nb = max(1, min(bins, len(set(vals)) * 2))
    step = (hi - lo) / nb
    counts = [0] * nb
    for v in vals:
        counts[min(nb - 1, int((v - lo) / step))] += 1
    top = max(counts)
    ml, mb, mt = 28, 30, 8
    pw, ph = width - ml - 8, height - mb - mt
    bw = pw / nb
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="{esc(title)}">',
             f'<line x1="{ml}" y1="{mt + ph}" x2="{ml + pw}" y2="{mt + ph}" stroke="#444"/>',
             f'<line x1="{ml}" y1="{mt}" x2="{ml}" y2="{mt + ph}" stroke="#444"/>',
             f'<text x="{ml - 4}" y="{mt + 10}" font-size="10" text-anchor="end">{top}</text>',
             f'<text x="{ml - 4}" y="{mt + ph}" font-size="10" text-anchor="end">0</text>']
    for i, c in enumerate(counts):
        h = ph * c / top
        parts.append(f'<rect x="{ml + i * bw + 1:.1f}" y="{mt + ph - h:.1f}" '
                     f'width="{max(bw - 2, 1):.1f}" height="{h:.1f}" fill="#4a7bd0">'
                     f'<title>{lo + i * step:.1f} to {lo + (i + 1) * step:.1f}{unit}: {c}'
                     f'</title></rect>')
    parts.append(f'<text x="{ml}" y="{height - 14}" font-size="10">{lo:.1f}{esc(unit)}</text>')
    parts.append(f'<text x="{ml + pw}" y="{height - 14}" font-size="10" text-anchor="end">'
                 f'{hi:.1f}{esc(unit)}</text>')
    parts.append(f'<text x="{ml + pw / 2}" y="{height - 2}" font-size="10" '
                 f'text-anchor="middle">n = {len(vals)}</text></svg>')
    return "".join(parts)


def _flag_key(r: Mapping[str, Any]) -> tuple:
    failed = r.get("status") != "ok"
    faults = int(_num(r.get("faults_total")) or 0)
    return (0 if failed else 1 if faults else 2, -faults, str(r.get("clip") or ""))


def _row_html(r: Mapping[str, Any], cols: Sequence[str]) -> str:
    cls = "failed" if r.get("status") != "ok" else "flag" if _num(r.get("faults_total")) else ""
    cells = []
    for c in cols:
        v = r.get(c)
        t = (f' class="t {c}"' if c in ("clip", "reason", "subject", "session", "exercise")
             else "")
        cells.append(f"<td{t}>{html.escape(_fmt(v))}</td>")
    return f'<tr class="{cls}">' + "".join(cells) + "</tr>"


def _lr_table(rows: Sequence[Mapping[str, Any]]) -> str:
    measures = [f"{m}_worst" for m, _, _ in MEASURES]
    by: dict[str, dict[str, dict[str, list[float]]]] = {}
    for r in rows:
        if r.get("status") != "ok" or r.get("side") not in ("left", "right"):
            continue
        subj = str(r.get("subject") or "(no subject)")
        d = by.setdefault(subj, {"left": {}, "right": {}})
        for m in measures:
            v = _num(r.get(m))
            if v is not None:
                d[str(r["side"])].setdefault(m, []).append(v)
    if not by:
        return "<p>No clip with a known stance side was scored.</p>"
    head = "".join(f"<th colspan=3>{html.escape(m.replace('_worst', '').replace('_', ' '))}"
                   "</th>" for m in measures)
    sub = "".join("<th>left</th><th>right</th><th>R − L</th>" for _ in measures)
    out = [f"<table><tr><th rowspan=2>subject</th>{head}</tr><tr>{sub}</tr>"]
    for subj in sorted(by):
        cells = [f'<td class="t">{html.escape(subj)}</td>']
        for m in measures:
            lv, rv = by[subj]["left"].get(m, []), by[subj]["right"].get(m, [])
            lm = sum(lv) / len(lv) if lv else None
            rm = sum(rv) / len(rv) if rv else None
            diff = rm - lm if lm is not None and rm is not None else None
            cells += [f"<td>{_fmt(lm)}</td>", f"<td>{_fmt(rm)}</td>", f"<td>{_fmt(diff)}</td>"]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table><p>Values: mean over the subject's clips on that stance side of each "
               "clip's worst value (degrees). A side difference under about 8° is within the "
               "measurement error of 2D knee valgus (Munro et al. 2012).</p>")
    return "".join(out)


def render_summary(rows: Sequence[Mapping[str, Any]], *, title: str = "hipform batch") -> str:
    """The summary page (HTML text) of score rows as written to scores.csv."""
    esc = html.escape
    n = len(rows)
    ok = sum(r.get("status") == "ok" for r in rows)
    failed = n - ok
    flagged = sum(1 for r in rows if r.get("status") == "ok" and _num(r.get("faults_total")))
    cards = (f'<div class="cards"><span>{n} clips</span><span>{ok} scored</span>'
             f'<span>{failed} failed</span><span>{flagged} with faults</span></div>')
    hdr = "<tr>" + "".join(f'<th title="{esc(c)}">{esc(_TITLES.get(c, c))}</th>'
                           for c in _TABLE) + "</tr>"
    flag_rows = sorted((r for r in rows if _flag_key(r)[0] < 2), key=_flag_key)
    flag_html = ('<div class="scroll"><table>' + hdr
                 + "".join(_row_html(r, _TABLE) for r in flag_rows)
                 + "</table></div>") if flag_rows else "<p>No failed or faulty clip.</p>"
    all_html = ('<div class="scroll"><table>' + hdr
                + "".join(_row_html(r, _TABLE) for r in sorted(rows, key=_flag_key))
                + "</table></div>")
    scored = [r for r in rows if r.get("status") == "ok"]
    hists = "".join(
        f"<figure>{svg_histogram([r.get(c) for r in scored], t, u)}"
        f"<figcaption>{esc(t)}</figcaption></figure>" for c, t, u in _HIST)
    when = time.strftime("%Y-%m-%d %H:%M")
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{esc(title)}</h1><p>Written {esc(when)}. Angles in degrees, times in "
            f"seconds; measures are per-rep peaks summarised per clip (see scores.csv)."
            f"</p>{cards}<h2>Flagged clips</h2>{flag_html}"
            f"<h2>Distributions</h2><div class=hists>{hists}</div>"
            f"<h2>Left / right per subject</h2>{_lr_table(rows)}"
            f"<h2>All clips</h2>{all_html}</body></html>")


def write_summary(path: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write summary.html atomically; returns ``path``."""
    atomic_write_text(path, render_summary(rows))
    return path
