"""`hipform history`: list, show, delete and export stored sessions.

Sessions are stored by ``analyze``, ``live`` and ``batch`` (unless ``--no-save``) in the
history database: ``--db PATH``, else ``$HIPFORM_DB``, else
``<user data dir>/hipform/history.sqlite3``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer


class Exercise(str, Enum):
    bridge = "bridge"
    step_down = "step_down"
    single_leg_squat = "single_leg_squat"


class ExportFormat(str, Enum):
    csv = "csv"
    json = "json"


DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", help="History database file. Default: $HIPFORM_DB, else "
        "<user data dir>/hipform/history.sqlite3.", dir_okay=False,
    ),
]
SubjectOption = Annotated[str | None, typer.Option("--subject", "-s", help="Only this subject.")]
ExerciseOption = Annotated[
    Exercise | None, typer.Option("--exercise", "-e", help="Only this exercise.")
]
SinceOption = Annotated[
    str | None,
    typer.Option("--since", help="Only sessions recorded on/after this ISO date or time "
                 "(e.g. 2026-11-01)."),
]
UntilOption = Annotated[
    str | None,
    typer.Option("--until", help="Only sessions recorded on/before this ISO date or time "
                 "(a bare date includes the whole day)."),
]


def _check_date(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    from hipform.store import _parse_time

    try:
        _parse_time(value)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint=name) from e
    return value


def _fmt(x: Any, digits: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _local(ts: str | None) -> str:
    """UTC ISO text from the store -> local 'YYYY-MM-DD HH:MM'."""
    if not ts:
        return "–"
    from datetime import UTC, datetime

    try:
        dt = datetime.fromisoformat(ts).replace(tzinfo=UTC).astimezone()
    except ValueError:
        return ts
    return dt.strftime("%Y-%m-%d %H:%M")


def register(app: typer.Typer) -> None:
    history_app = typer.Typer(
        name="history",
        help=(
            "Browse the session history: every analysed clip or live session is stored "
            "(unless --no-save) with its reps, faults and cues. Subcommands: list, show, "
            "delete, export."
        ),
        no_args_is_help=True,
    )

    @history_app.command("list")
    def list_cmd(
        subject: SubjectOption = None,
        exercise: ExerciseOption = None,
        since: SinceOption = None,
        until: UntilOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
        = False,
        db: DbOption = None,
    ) -> None:
        """List stored sessions, oldest first (times shown in local time)."""
        import json

        from hipform.store import open_store

        _check_date(since, "--since")
        _check_date(until, "--until")
        with open_store(db) as store:
            rows = store.list_sessions(subject=subject,
                                       exercise=exercise.value if exercise else None,
                                       since=since, until=until)
            path = store.path
        if as_json:
            typer.echo(json.dumps(rows, indent=1))
            return
        from rich.console import Console
        from rich.table import Table

        console = Console()
        if not rows:
            console.print(f"No sessions stored in {path} match.")
            return
        from rich import box

        t = Table(title=f"{len(rows)} session(s) in {path}", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        cols: list[tuple[str, dict[str, Any]]] = [
            ("ID", {"justify": "right"}), ("Recorded", {"no_wrap": True}), ("Subject", {}),
            ("Label", {}), ("Exercise", {}), ("Side", {}), ("Reps", {"justify": "right"}),
            ("Faults", {"justify": "right"}),
            ("Source", {"overflow": "ellipsis", "no_wrap": True, "max_width": 18})]
        for col, kw in cols:
            t.add_column(col, **kw)
        for r in rows:
            src = Path(r["source_path"]).name if r["source_path"] else "–"
            t.add_row(str(r["id"]), _local(r["recorded_at"]), r["subject"] or "–",
                      r["label"] or "–", (r["exercise"] or "–").replace("_", " "),
                      r["side"] or "–", str(r["n_reps"]), str(r["n_faults"]),
                      src if r["source_kind"] == "analyze" else f"{r['source_kind']}: {src}")
        console.print(t)

    @history_app.command("show")
    def show_cmd(
        session_id: Annotated[int, typer.Argument(help="Session ID (see `hipform history list`).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the stored session as "
                                              "JSON (analysis-shaped).")] = False,
        frames: Annotated[bool, typer.Option("--frames", help="With --json: include the "
                                             "per-frame series.")] = False,
        report: Annotated[Path | None, typer.Option(
            "--report", dir_okay=False,
            help="Also write an HTML report of this session (with the earlier sessions of "
            "the same subject and exercise as history).")] = None,
        db: DbOption = None,
    ) -> None:
        """Show one session: summary, reps, faults and cues."""
        import json

        from hipform.store import open_store

        with open_store(db) as store:
            s = store.get_session(session_id, frames=frames or report is not None)
            earlier = store.earlier_sessions(session_id) if report is not None else []
        if report is not None:
            from hipform.report.html import render_report

            out = render_report(s, report, history=earlier)
            if not as_json:
                typer.echo(f"report written to {out}", err=True)
        if as_json:
            if not frames:
                s.pop("frames", None)
            typer.echo(json.dumps(s, indent=1))
            return
        _print_session(s)

    @history_app.command("delete")
    def delete_cmd(
        session_id: Annotated[int, typer.Argument(help="Session ID to delete.")],
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
        = False,
        db: DbOption = None,
    ) -> None:
        """Delete one session and its reps, faults, cues and per-frame series."""
        from hipform.store import open_store

        with open_store(db) as store:
            s = store.get_session(session_id, frames=False)  # StoreError if absent
            desc = (f"session {session_id} ({s.get('subject') or 'no subject'}, "
                    f"{s.get('exercise') or 'unknown exercise'}, {_local(s['recorded_at'])})")
            if not yes and not typer.confirm(f"Delete {desc}?", default=False):
                typer.echo("nothing deleted", err=True)
                raise typer.Exit(1)
            store.delete_session(session_id)
        typer.echo(f"deleted {desc}")

    @history_app.command("export")
    def export_cmd(
        fmt: Annotated[ExportFormat, typer.Option(
            "--format", "-f", help="csv: one row per rep (per-side measures as "
            "<measure>_left/_right columns). json: the stored sessions without per-frame "
            "series.")] = ExportFormat.csv,
        out: Annotated[Path | None, typer.Option(
            "--out", "-o", dir_okay=False, help="File to write (default: print to stdout).")]
        = None,
        subject: SubjectOption = None,
        exercise: ExerciseOption = None,
        since: SinceOption = None,
        until: UntilOption = None,
        db: DbOption = None,
    ) -> None:
        """Export stored sessions as CSV or JSON."""
        from hipform.store import open_store

        _check_date(since, "--since")
        _check_date(until, "--until")
        with open_store(db) as store:
            text = store.export(fmt.value, out, subject=subject,
                                exercise=exercise.value if exercise else None,
                                since=since, until=until)
        if out is None:
            typer.echo(text, nl=False)
        else:
            typer.echo(f"exported to {out}", err=True)

    app.add_typer(history_app, name="history")


def _print_session(s: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    title = (s.get("exercise") or "unknown exercise").replace("_", " ")
    if s.get("side"):
        title += f", {s['side']} leg"
    console.print(f"[bold]Session {s['id']}[/bold]: {title}")
    src = s.get("source") or {}
    for label, value in [
        ("subject", s.get("subject")), ("label", s.get("session")),
        ("recorded", _local(s.get("recorded_at"))), ("stored from", s.get("source_kind")),
        ("view", s.get("view")), ("source", src.get("path")),
        ("model", (s.get("model") or {}).get("name")),
    ]:
        if value:
            console.print(f"  {label:<12} {value}")
    summary = s.get("summary") or {}
    if summary:
        console.print("  summary      " + ", ".join(f"{k} {_fmt(v, 2)}" for k, v in
                                                   summary.items()))
    reps = s.get("reps") or []
    if reps:
        measures = [k for k in ("peak_knee_valgus", "peak_hip_drop", "peak_lumbar_extension",
                                "trunk_lean") if any(k in r for r in reps)]
        t = Table(title="Reps", title_justify="left")
        t.add_column("#", justify="right")
        t.add_column("start–end (s)")
        for m in measures:
            t.add_column(m.replace("peak_", "").replace("_", " ") + " (°)", justify="right")
        t.add_column("faults")
        for n, r in enumerate(reps):
            idx = r.get("index")
            num = idx + 1 if isinstance(idx, int) else n + 1
            span = "–"
            if r.get("start_ms") is not None and r.get("end_ms") is not None:
                span = f"{r['start_ms'] / 1000:.1f}–{r['end_ms'] / 1000:.1f}"
            cells = []
            for m in measures:
                v = r.get(m)
                if isinstance(v, dict):
                    if not set(v) <= {"left", "right"}:
                        v = v.get("frontal")
                if isinstance(v, dict):
                    cells.append(" ".join(f"{k[0].upper()} {_fmt(x)}" for k, x in v.items()))
                else:
                    cells.append(_fmt(v))
            faults = ", ".join(
                f"[{'red' if f.get('severity') == 'severe' else 'yellow'}]{f.get('code')}"
                f"{' ' + f['side'] if f.get('side') else ''}"
                f"{' ' + _fmt(f.get('value')) + '°' if f.get('value') is not None else ''}"
                "[/]" for f in r.get("faults") or []) or "[green]clean[/]"
            t.add_row(str(num), span, *cells, faults)
        console.print(t)
    else:
        console.print("  no reps")
    cues = s.get("cues") or []
    if cues:
        console.print(f"[bold]Cues[/bold] ({len(cues)})")
        for c in cues:
            when = f"{c['t_ms'] / 1000:6.1f} s" if c.get("t_ms") is not None else "      –"
            console.print(f"  {when}  {c.get('message') or c.get('code')}")
