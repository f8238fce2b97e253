"""`hipform models`: list, verify and download pose model bundles."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer


class ModelName(str, Enum):
    lite = "lite"
    full = "full"
    heavy = "heavy"


def register(app: typer.Typer) -> None:
    models = typer.Typer(help="Pose models: list what is available, download official bundles.",
                         no_args_is_help=True)
    app.add_typer(models, name="models")

    @models.command("list")
    def list_(json_out: Annotated[bool, typer.Option("--json", help="Machine-readable.")] = False
              ) -> None:
        """Show every known model bundle, where it is and whether it verifies."""
        import json
        import sys

        from hipform.pose.models import list_models, search_dirs

        rows = list_models()
        if json_out:
            json.dump(rows, sys.stdout, indent=1)
            sys.stdout.write("\n")
            return
        from rich.console import Console
        from rich.table import Table

        t = Table(title="pose models")
        for c in ("name", "status", "path", "sha256"):
            t.add_column(c)
        for r in rows:
            colour = {"ok": "green", "corrupt": "red"}.get(r["status"], "yellow")
            t.add_row(r["name"], f"[{colour}]{r['status']}[/]", r["path"], r["sha256"][:16])
        Console().print(t)
        typer.echo("searched: " + ", ".join(str(d) for d in search_dirs()))
        typer.echo("any other bundle: --model PATH")

    @models.command("download")
    def download(name: Annotated[ModelName, typer.Argument(help="Which model.")],
                 timeout: Annotated[float, typer.Option(help="Seconds to wait.")] = 20.0) -> None:
        """Fetch Google's official bundle (needs internet) into the user models folder."""
        from hipform.pose.models import download_model

        info = download_model(name.value, timeout=timeout)
        typer.echo(f"{info.name}: {info.path} (sha256 {info.sha256[:16]}…)")
