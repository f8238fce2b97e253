"""`hipform analyze` (being built)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("analyze", help="(being built)")
    def _stub() -> None:
        raise typer.Exit(2)
