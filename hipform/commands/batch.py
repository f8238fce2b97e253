"""`hipform batch` (not built yet)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("batch", help="(not built yet)", hidden=True)
    def _stub() -> None:
        raise typer.Exit(2)
