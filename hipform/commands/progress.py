"""`hipform progress`: trend of each measure across sessions, and a re-test comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from hipform.commands.history import DbOption, Exercise


def _pick(values: list[str], given: str | None, what: str, flag: str) -> str:
    from hipform.errors import ConfigError

    if given is not None:
        return given
    if len(values) == 1:
        return values[0]
    if not values:
        raise ConfigError(f"no stored sessions with a {what}; nothing to show")
    raise ConfigError(f"several {what}s are stored ({', '.join(values)}): choose one with {flag}")


def progress_data(
    store: Any,
    subject: str,
    exercise: str,
    compare: tuple[int, int] | None = None,
    sdd: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Everything ``hipform progress`` prints, as a JSON-ready dict.

    Keys: ``subject, exercise, sdd, sessions`` (trend rows with ``asymmetry``) and
    ``comparison`` = ``{"a": id, "b": id, "changes": [Change.as_dict(), ...]}`` or None
    when fewer than two sessions exist.
    """
    from hipform.errors import ConfigError
    from hipform.report.progress import DEFAULT_SDD, asymmetry, compare_sessions

    table = {**DEFAULT_SDD, **(sdd or {})}
    rows = store.trend(subject, exercise)
    for r in rows:
        r["asymmetry"] = asymmetry(r["measures"])
    comparison = None
    if compare is not None:
        a_id, b_id = compare
        a = store.get_session(a_id, frames=False)
        b = store.get_session(b_id, frames=False)
        if a.get("exercise") != b.get("exercise"):
            raise ConfigError(
                f"sessions {a_id} ({a.get('exercise')}) and {b_id} ({b.get('exercise')}) are "
                "different exercises: their measures cannot be compared")
        comparison = {"a": a_id, "b": b_id,
                      "changes": [c.as_dict() for c in compare_sessions(a, b, table)]}
    elif len(rows) >= 2:
        comparison = {"a": rows[0]["id"], "b": rows[-1]["id"],
                      "changes": [c.as_dict() for c in
                                  compare_sessions(rows[0], rows[-1], table)]}
    return {"subject": subject, "exercise": exercise, "sdd": table, "sessions": rows,
            "comparison": comparison}


def register(app: typer.Typer) -> None:
    @app.command("progress")
    def progress(
        subject: Annotated[str | None, typer.Option(
            "--subject", "-s", help="Subject (default: the only one stored).")] = None,
        exercise: Annotated[Exercise | None, typer.Option(
            "--exercise", "-e", help="Exercise (default: the only one stored for the "
            "subject).")] = None,
        compare: Annotated[tuple[int, int] | None, typer.Option(
            "--compare", metavar="A B",
            help="Compare session A (before) with session B (after). Default: the first "
            "with the last session of the subject and exercise.")] = None,
        sdd: Annotated[list[str] | None, typer.Option(
            "--sdd", metavar="MEASURE=DEG",
            help="Override a smallest detectable difference, e.g. --sdd hip_drop=3 "
            "(repeatable). Defaults: knee_valgus=8 (Munro et al. 2012), hip_drop=4, "
            "lumbar_extension=8, trunk_lean=6.")] = None,
        plot: Annotated[Path | None, typer.Option(
            "--plot", dir_okay=False,
            help="PNG file for the trend plot (default: "
            "hipform-progress-<subject>-<exercise>.png in the current folder).")] = None,
        no_plot: Annotated[bool, typer.Option("--no-plot", help="Do not draw the plot.")]
        = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
        = False,
        db: DbOption = None,
    ) -> None:
        """Progress over time for one subject and exercise.

        Shows, per session, the mean per-rep peak of each measure per side (knee valgus,
        hip drop, lumbar arching, trunk lean, in degrees) and the left-right asymmetry;
        then a re-test comparison that calls a change real only when it exceeds the
        measure's smallest detectable difference (a decrease of a fault measure is
        "improved", an increase "worse"; anything smaller is "within measurement error").
        Also draws the trend as a PNG.
        """
        import json

        from hipform.report.progress import parse_sdd_overrides
        from hipform.store import open_store

        overrides = parse_sdd_overrides(sdd or [])
        with open_store(db) as store:
            subj = _pick(store.subjects(), subject, "subject", "--subject")
            ex = _pick(store.exercises(subj), exercise.value if exercise else None,
                       "exercise", "--exercise")
            data = progress_data(store, subj, ex, compare, overrides)
        if not data["sessions"]:
            from hipform.errors import ConfigError

            raise ConfigError(f"no stored sessions for subject {subj!r} and exercise {ex!r}")
        plot_path = None
        if not no_plot:
            plot_path = plot or Path(f"hipform-progress-{_slug(subj)}-{_slug(ex)}.png")
            _write_plot(data, plot_path)
            data["plot"] = str(plot_path)
        if as_json:
            typer.echo(json.dumps(data, indent=1))
            return
        _print(data)
        if plot_path is not None:
            typer.echo(f"trend plot written to {plot_path}")


def _slug(s: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in s)


def _write_plot(data: dict[str, Any], path: Path) -> None:
    import os
    import tempfile

    from hipform.errors import HipformError, OutputError
    from hipform.report.plots import trend_plot_png
    from hipform.report.progress import MEASURE_LABELS

    try:
        png = trend_plot_png(
            data["sessions"], sdd=data["sdd"], labels=MEASURE_LABELS,
            title=f"{data['subject']} · {data['exercise'].replace('_', ' ')}: mean per-rep peak",
        )
    except ImportError as e:
        if (e.name or "").split(".")[0] not in ("matplotlib", "PIL"):
            raise
        raise HipformError("the trend plot PNG needs matplotlib: pip install "
                           "'hipform[report]', or pass --no-plot") from e
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(png)
        os.replace(tmp, path)
    except OSError as e:
        raise OutputError(f"cannot write plot {path}: {e}") from e


def _print(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from hipform.commands.history import _local
    from hipform.report.progress import MEASURE_LABELS

    console = Console()
    rows = data["sessions"]
    cols: list[tuple[str, str]] = []
    for r in rows:
        for m, sides in r["measures"].items():
            for s in sides:
                if (m, s) not in cols:
                    cols.append((m, s))
    order = list(MEASURE_LABELS)
    cols.sort(key=lambda c: (order.index(c[0]) if c[0] in order else 99, c[1]))
    t = Table(title=f"{data['subject']} · {data['exercise'].replace('_', ' ')}: mean per-rep "
              "peak (°) per session", title_justify="left")
    t.add_column("ID", justify="right")
    t.add_column("Recorded")
    t.add_column("Label")
    t.add_column("Reps", justify="right")
    for m, s in cols:
        t.add_column(f"{MEASURE_LABELS.get(m, m)}\n{s}", justify="right")
    asym_cols = sorted({m for r in rows for m in r["asymmetry"]})
    for m in asym_cols:
        t.add_column(f"{MEASURE_LABELS.get(m, m)}\nL−R", justify="right")
    for r in rows:
        vals = [r["measures"].get(m, {}).get(s) for m, s in cols]
        t.add_row(str(r["id"]), _local(r["recorded_at"]), r["label"] or "–", str(r["n_reps"]),
                  *("–" if v is None else f"{v:.1f}" for v in vals),
                  *(f"{r['asymmetry'][m]:+.1f}" if m in r["asymmetry"] else "–"
                    for m in asym_cols))
    console.print(t)
    comp = data["comparison"]
    if comp is None:
        console.print("Only one session: nothing to compare yet.")
        return
    c = Table(title=f"Re-test: session {comp['a']} → session {comp['b']}",
              title_justify="left")
    for col, j in [("Measure", "left"), ("Side", "left"), ("Before", "right"),
                   ("After", "right"), ("Change", "right"), ("SDD", "right"),
                   ("Verdict", "left")]:
        c.add_column(col, justify=j)  # type: ignore[arg-type]
    style = {"improved": "bold green", "worse": "bold red", "within measurement error": "dim"}
    for ch in comp["changes"]:
        def f(x: float | None, sign: bool = False) -> str:
            return "–" if x is None else (f"{x:+.1f}" if sign else f"{x:.1f}")

        c.add_row(MEASURE_LABELS.get(ch["measure"], ch["measure"]), ch["side"],
                  f(ch["before"]), f(ch["after"]), f(ch["delta"], True), f"{ch['sdd']:g}",
                  f"[{style.get(ch['verdict'], '')}]{ch['verdict']}[/]")
    console.print(c)
